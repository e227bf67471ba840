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

/// When pending invites for an address are accepted without the invitee asking: at
/// `registration` (the seed's behaviour, code default) or only once the address is proven by
/// `verification` (`POST /auth/verify-email`; the template's default). An `invite_token` given
/// at registration proves the address in either mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AutoAccept {
    Registration,
    Verification,
}

impl std::str::FromStr for AutoAccept {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "registration" => Ok(AutoAccept::Registration),
            "verification" => Ok(AutoAccept::Verification),
            other => Err(format!(
                "unknown mode {other:?}; use \"registration\" or \"verification\""
            )),
        }
    }
}

/// A browser origin, `scheme://host[:port]`, lower-cased, as browsers send it in `Origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebOrigin(String);

impl WebOrigin {
    /// The origin of an absolute `http(s)` URL (path, query and fragment dropped); `None` for
    /// anything else (`null`, relative references, other schemes, user info).
    pub fn of_url(url: &str) -> Option<WebOrigin> {
        let url = url.trim();
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
        if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
            return None;
        }
        let default_port = if scheme == "https" { ":443" } else { ":80" };
        let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
        Some(WebOrigin(format!("{scheme}://{authority}")))
    }

    /// An origin and nothing more (an `Origin` header, a `CORS_ALLOWED_ORIGINS` entry); a
    /// trailing `/` is tolerated.
    pub fn parse(text: &str) -> Option<WebOrigin> {
        let origin = WebOrigin::of_url(text)?;
        let (_, rest) = text.trim().split_once("://")?;
        let after_authority = rest.find(['/', '?', '#']).map_or("", |at| &rest[at..]);
        matches!(after_authority, "" | "/").then_some(origin)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `CORS_ALLOWED_ORIGINS`: comma-separated origins (`https://app.example.com`), possibly none.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OriginList(pub Vec<WebOrigin>);

impl OriginList {
    pub fn contains(&self, origin: &WebOrigin) -> bool {
        self.0.contains(origin)
    }
}

impl std::str::FromStr for OriginList {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let mut origins = Vec::new();
        for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let origin = WebOrigin::parse(item)
                .ok_or_else(|| format!("{item:?} is not an origin like https://app.example.com"))?;
            origins.push(origin);
        }
        Ok(OriginList(origins))
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

#[cfg(test)]
mod tests {
    use super::{OriginList, WebOrigin};

    #[test]
    fn origins_are_scheme_host_and_port_as_browsers_send_them() {
        let origin = |t: &str| WebOrigin::parse(t).map(|o| o.as_str().to_string());
        assert_eq!(
            origin("https://App.Example.com").as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(origin("https://a.example:443/").as_deref(), Some("https://a.example"));
        assert_eq!(
            origin("http://localhost:8000").as_deref(),
            Some("http://localhost:8000")
        );
        for refused in [
            "null",
            "",
            "app.example.com",
            "ftp://a.example",
            "https://a.example/x",
            "https://u@a.example",
        ] {
            assert_eq!(origin(refused), None, "{refused}");
        }
        let referer = WebOrigin::of_url("https://a.example:8443/page?q=1#top").unwrap();
        assert_eq!(referer.as_str(), "https://a.example:8443");
        let list: OriginList = " https://a.example , http://localhost:3000/ ,".parse().unwrap();
        assert_eq!(list.0.len(), 2);
        assert!(list.contains(&WebOrigin::parse("http://localhost:3000").unwrap()));
        assert!("https://a.example/path".parse::<OriginList>().is_err());
        assert_eq!("".parse::<OriginList>().unwrap(), OriginList::default());
    }
}
