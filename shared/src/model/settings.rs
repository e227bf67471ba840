//! The value types of settings that are more than a number or a string.

use secrecy::SecretString;
use std::path::PathBuf;

/// Where the key set (signing keys and root secret) comes from; read at start-up.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// `KEY_SET_SECRET_ID`: an AWS Secrets Manager secret (name or ARN) holding the key set's
    /// JSON; `endpoint` (`SECRETS_MANAGER_ENDPOINT`) only for a local stand-in.
    SecretsManager {
        secret_id: String,
        endpoint: Option<String>,
    },
    /// `KEY_SET_FILE`: the key set's JSON in a local file (`make serve`).
    File(PathBuf),
    /// `SECRET_KEY` (legacy): one HS256 signing key, which is also the root secret.
    Legacy(SecretString),
}

impl KeySource {
    /// Names the source in messages, without its secret.
    pub fn describe(&self) -> String {
        match self {
            KeySource::SecretsManager { secret_id, endpoint } => match endpoint {
                Some(url) => format!("Secrets Manager secret '{secret_id}' at {url}"),
                None => format!("Secrets Manager secret '{secret_id}'"),
            },
            KeySource::File(path) => format!("key set file {}", path.display()),
            KeySource::Legacy(_) => "SECRET_KEY (legacy HS256)".to_string(),
        }
    }
}

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

/// Where mail goes. `outbox` (the only one so far) stores each message in the table for 24 h,
/// for `gatehouse auth outbox`; nothing leaves the machine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mailer {
    Outbox,
}

impl std::str::FromStr for Mailer {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "outbox" => Ok(Mailer::Outbox),
            other => Err(format!("unknown mailer {other:?}; the one available is \"outbox\"")),
        }
    }
}

/// At most `max` requests per `window_seconds`, per client address and route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub max: i64,
    pub window_seconds: i64,
}
