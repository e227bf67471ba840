//! Amazon SES v2 `SendEmail` (simple content: subject, text and HTML), optionally through a
//! configuration set. `SES_ENDPOINT` points it at moto in tests.

use crate::config::MailSettings;
use crate::domain::mail::SendError;
use crate::model::RenderedMail;
use aws_sdk_sesv2::error::{DisplayErrorContext, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sesv2::Client;

pub struct Ses {
    client: Client,
    from: String,
    configuration_set: Option<String>,
}

fn content(text: &str) -> Result<Content, SendError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| SendError::Permanent(e.to_string()))
}

impl Ses {
    pub async fn new(settings: &MailSettings) -> Self {
        let config = crate::aws::sdk_config(settings.ses_endpoint.as_deref()).await;
        Ses {
            client: Client::new(&config),
            from: settings.from.clone(),
            configuration_set: settings.ses_configuration_set.clone(),
        }
    }

    pub async fn send(&self, mail: &RenderedMail) -> Result<(), SendError> {
        let message = Message::builder()
            .subject(content(&mail.subject)?)
            .body(
                Body::builder()
                    .text(content(&mail.text)?)
                    .html(content(&mail.html)?)
                    .build(),
            )
            .build();
        let result = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }
}

/// Refusals of this message or sender are permanent; throttling, quotas that reset, server
/// errors and connection failures are worth another try.
fn classify(error: SdkError<SendEmailError, aws_sdk_sesv2::config::http::HttpResponse>) -> SendError {
    let text = format!("SES: {}", DisplayErrorContext(&error));
    match error.as_service_error() {
        Some(
            SendEmailError::MessageRejected(_)
            | SendEmailError::MailFromDomainNotVerifiedException(_)
            | SendEmailError::AccountSuspendedException(_)
            | SendEmailError::SendingPausedException(_)
            | SendEmailError::BadRequestException(_)
            | SendEmailError::NotFoundException(_),
        ) => SendError::Permanent(text),
        _ => SendError::Transient(text),
    }
}
