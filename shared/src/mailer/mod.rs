//! The mailer function's edge (only with the `mailer` feature, so only the mailer binary links
//! the SES and SMTP clients): the transports, and the handler of DynamoDB Stream batches.

mod ses;
mod smtp;

use crate::domain::mail::{self, Delivery, SendError, Transport};
use crate::model::{MailTransport, RenderedMail};
use crate::App;
use serde_json::{json, Value};

pub use ses::Ses;
pub use smtp::{login as smtp_login, Smtp};

/// The transport `MAIL_TRANSPORT` names, built once per Lambda instance.
pub enum Transports {
    Ses(Ses),
    Smtp(Smtp),
    /// Delivery is keeping the message in the table (for `gatehouse auth outbox`).
    Capture,
}

impl Transports {
    pub async fn from_settings(app: &App) -> Result<Self, String> {
        let settings = &app.settings.mail;
        Ok(match settings.transport {
            MailTransport::Ses => Transports::Ses(Ses::new(settings).await),
            MailTransport::Smtp => Transports::Smtp(Smtp::new(settings).await?),
            MailTransport::Capture => Transports::Capture,
        })
    }
}

impl Transport for Transports {
    fn name(&self) -> &'static str {
        match self {
            Transports::Ses(_) => "ses",
            Transports::Smtp(_) => "smtp",
            Transports::Capture => "capture",
        }
    }

    async fn send(&self, mail: &RenderedMail) -> Result<(), SendError> {
        match self {
            Transports::Ses(ses) => ses.send(mail).await,
            Transports::Smtp(smtp) => smtp.send(mail).await,
            Transports::Capture => Ok(()),
        }
    }
}

/// The mail item's id in a stream record (from `dynamodb.Keys.pk.S`).
fn mail_id(record: &Value) -> Option<&str> {
    crate::store::keys::mail_id(record["dynamodb"]["Keys"]["pk"]["S"].as_str()?)
}

/// One batch of stream records (already filtered to inserted mail items; anything else is
/// skipped). Answers with the records to retry, in Lambda's partial-batch-response shape:
/// `{"batchItemFailures": [{"itemIdentifier": "<SequenceNumber>"}]}`.
pub async fn handle_stream(app: &App, transport: &impl Transport, event: &Value) -> Value {
    let mut failures = Vec::new();
    let records = event["Records"].as_array().map(Vec::as_slice).unwrap_or_default();
    for record in records {
        let Some(id) = mail_id(record).filter(|_| record["eventName"] == "INSERT") else {
            continue;
        };
        let sequence = record["dynamodb"]["SequenceNumber"].as_str().unwrap_or_default();
        let outcome = mail::deliver(app, transport, id).await;
        match outcome {
            Ok(Delivery::Retry) => failures.push(sequence.to_string()),
            Ok(_) => {}
            Err(e) => {
                tracing::error!(mail_id = %id, error = %e, "mail delivery could not be recorded");
                failures.push(sequence.to_string());
            }
        }
    }
    json!({
        "batchItemFailures": failures
            .into_iter()
            .map(|sequence| json!({ "itemIdentifier": sequence }))
            .collect::<Vec<_>>()
    })
}
