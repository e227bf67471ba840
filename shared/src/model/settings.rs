//! The value types of settings that are more than a number or a string.

/// Who may redeem an invite token: `email` (default) the invited address only; `token` anyone
/// holding it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AcceptanceMode {
    Email,
    Token,
}

impl std::str::FromStr for AcceptanceMode {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "email" => Ok(AcceptanceMode::Email),
            "token" => Ok(AcceptanceMode::Token),
            other => Err(format!("unknown mode {other:?}; use \"email\" or \"token\"")),
        }
    }
}

/// How the mailer function delivers: `ses` (Amazon SES v2 `SendEmail`), `smtp` (any SMTP server;
/// maildev under `make serve`), or `capture` (kept in the table for `gatehouse auth outbox`;
/// only for `APP_ENV` `dev` or `test`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailTransport {
    Ses,
    Smtp,
    Capture,
}

impl MailTransport {
    pub fn as_str(self) -> &'static str {
        match self {
            MailTransport::Ses => "ses",
            MailTransport::Smtp => "smtp",
            MailTransport::Capture => "capture",
        }
    }
}

impl std::str::FromStr for MailTransport {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "ses" => Ok(MailTransport::Ses),
            "smtp" => Ok(MailTransport::Smtp),
            "capture" => Ok(MailTransport::Capture),
            other => Err(format!(
                "unknown transport {other:?}; use \"ses\", \"smtp\" or \"capture\""
            )),
        }
    }
}

/// How the SMTP connection is secured: `starttls` (upgrade a plain connection, usually port
/// 587), `tls` (implicit TLS, usually 465), or `none` (plain, for a local server only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Tls,
}

impl std::str::FromStr for SmtpTls {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "none" => Ok(SmtpTls::None),
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" => Ok(SmtpTls::Tls),
            other => Err(format!("unknown mode {other:?}; use \"starttls\", \"tls\" or \"none\"")),
        }
    }
}

/// At most `max` requests per `window_seconds`, per client address and route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub max: i64,
    pub window_seconds: i64,
}
