//! SMTP with lettre over rustls: STARTTLS, implicit TLS, or plain for a local server (maildev).

use crate::config::{MailSettings, SmtpCredentials};
use crate::domain::mail::SendError;
use crate::model::{RenderedMail, SmtpTls};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    pub async fn new(settings: &MailSettings) -> Result<Self, String> {
        let host = settings.smtp_host.as_str();
        let builder = match settings.smtp_tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| format!("SMTP_HOST={host:?}: {e}"))?,
            SmtpTls::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(|e| format!("SMTP_HOST={host:?}: {e}"))?
            }
        };
        let mut builder = builder.port(settings.smtp_port).timeout(Some(Duration::from_secs(5)));
        if let Some((username, password)) = login(&settings.smtp_credentials).await? {
            builder = builder.credentials(Credentials::new(username, password.expose_secret().to_string()));
        }
        let from = settings
            .from
            .parse()
            .map_err(|e| format!("MAIL_FROM={:?} is not a mailbox: {e}", settings.from))?;
        Ok(Smtp {
            transport: builder.build(),
            from,
        })
    }

    pub async fn send(&self, mail: &RenderedMail) -> Result<(), SendError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| SendError::Permanent(format!("recipient is not a mailbox: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|e| SendError::Permanent(format!("message cannot be built: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("SMTP: {e}"))),
            Err(e) => Err(SendError::Transient(format!("SMTP: {e}"))),
        }
    }
}

/// The SMTP login, if the server wants one: from the settings, or read once from the Secrets
/// Manager secret they name. An error is one line naming the secret and what is wrong.
pub async fn login(credentials: &SmtpCredentials) -> Result<Option<(String, SecretString)>, String> {
    #[derive(serde::Deserialize)]
    struct Login {
        username: String,
        password: String,
    }
    match credentials {
        SmtpCredentials::None => Ok(None),
        SmtpCredentials::Plain { username, password } => Ok(Some((username.clone(), password.clone()))),
        SmtpCredentials::SecretsManager { secret_id, endpoint } => {
            let text = crate::key_source::read_secret(secret_id, endpoint.as_deref())
                .await
                .map_err(|e| format!("SMTP_CREDENTIALS_SECRET_ID={secret_id:?}: {e}"))?;
            let login: Login = serde_json::from_str(&text).map_err(|_| {
                format!("SMTP_CREDENTIALS_SECRET_ID={secret_id:?}: the secret must be JSON {{\"username\": \"...\", \"password\": \"...\"}}")
            })?;
            Ok(Some((login.username, SecretString::from(login.password))))
        }
    }
}
