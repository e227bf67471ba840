//! Typed settings, read once at start-up from the environment, with every default in one place.

use crate::model::{AcceptanceMode, MailTransport, RateLimit, SmtpTls};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::fmt::Display;
use std::str::FromStr;

/// The key `APP_ENV=dev` falls back to when `SECRET_KEY` is unset; refused everywhere else.
const DEV_PLACEHOLDER_KEY: &str = "dev-only-insecure-key-change-me-before-deploying!!";
const KNOWN_PLACEHOLDERS: &[&str] = &[
    DEV_PLACEHOLDER_KEY,
    "change-this-secret-key-in-production-use-env-variable",
    "changeme",
    "secret",
];
const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug)]
pub struct Settings {
    pub app_env: String,
    pub table_name: String,
    /// Set locally (DynamoDB Local); unset on AWS.
    pub dynamodb_endpoint: Option<String>,
    pub secret_key: SecretString,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_expire_minutes: i64,
    pub registration_enabled: bool,
    pub password_reset_expire_minutes: i64,
    pub email_verification_expire_hours: i64,
    pub login_limit: RateLimit,
    pub register_limit: RateLimit,
    pub reset_limit: RateLimit,
    pub resend_verification_limit: RateLimit,
    pub lockout_attempts: i64,
    pub lockout_minutes: i64,
    /// Count the right-most `X-Forwarded-For` address as the client (a proxy in front of API
    /// Gateway); otherwise API Gateway's `sourceIp`.
    pub trust_proxy_headers: bool,
    pub mail: MailSettings,
    pub invite_acceptance_mode: AcceptanceMode,
    pub refresh_token_expire_days: i64,
    pub refresh_reuse_grace_seconds: i64,
    /// Cookie names are `<project>_session` and `<project>_refresh`.
    pub cookie_prefix: String,
}

/// Every environment variable `Settings::from_lookup` reads (a unit test below holds it to that).
/// `.env.example` and `template.yaml` list the same set, with the exceptions named in
/// `shared/tests/api/deployment.rs`.
pub const SETTING_NAMES: &[&str] = &[
    "APP_ENV",
    "TABLE_NAME",
    "DYNAMODB_ENDPOINT",
    "SECRET_KEY",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "ACCESS_TOKEN_EXPIRE_MINUTES",
    "REGISTRATION_ENABLED",
    "PASSWORD_RESET_EXPIRE_MINUTES",
    "EMAIL_VERIFICATION_EXPIRE_HOURS",
    "RATE_LIMIT_LOGIN_MAX",
    "RATE_LIMIT_LOGIN_WINDOW",
    "RATE_LIMIT_REGISTER_MAX",
    "RATE_LIMIT_REGISTER_WINDOW",
    "RATE_LIMIT_RESET_MAX",
    "RATE_LIMIT_RESET_WINDOW",
    "RATE_LIMIT_RESEND_VERIFICATION_MAX",
    "RATE_LIMIT_RESEND_VERIFICATION_WINDOW",
    "ACCOUNT_LOCKOUT_ATTEMPTS",
    "ACCOUNT_LOCKOUT_MINUTES",
    "TRUST_PROXY_HEADERS",
    "INVITE_ACCEPTANCE_MODE",
    "REFRESH_TOKEN_EXPIRE_DAYS",
    "REFRESH_REUSE_GRACE_SECONDS",
    "PROJECT_NAME",
    "MAIL_TRANSPORT",
    "MAIL_FROM",
    "MAIL_PRODUCT_NAME",
    "PUBLIC_URL",
    "MAIL_VERIFY_URL",
    "MAIL_RESET_URL",
    "MAIL_INVITE_URL",
    "SES_CONFIGURATION_SET",
    "SES_ENDPOINT",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_TLS",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
];

/// Mail: the transport, the sender, and the links messages carry.
#[derive(Debug)]
pub struct MailSettings {
    pub transport: MailTransport,
    /// `Name <address>` or a bare address; for SES, an address of the verified identity.
    pub from: String,
    pub product_name: String,
    /// Link templates with a `{token}` placeholder.
    pub verify_url: String,
    pub reset_url: String,
    pub invite_url: String,
    pub public_url: String,
    pub ses_configuration_set: Option<String>,
    /// moto's URL in tests; unset on AWS.
    pub ses_endpoint: Option<String>,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<SecretString>,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(String);

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads settings through `lookup`, so tests can build them without touching the process env.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());
        let app_env = get("APP_ENV").unwrap_or_else(|| "production".into());
        let is_dev = app_env == "dev";
        let table_name =
            get("TABLE_NAME").ok_or_else(|| ConfigError("TABLE_NAME is not set: name the DynamoDB table".into()))?;
        let secret_key = match get("SECRET_KEY") {
            Some(key) => key,
            None if is_dev => DEV_PLACEHOLDER_KEY.to_string(),
            None => {
                return Err(ConfigError(
                    "SECRET_KEY is not set: give it at least 32 random bytes (e.g. `openssl rand -base64 48`)".into(),
                ))
            }
        };
        if !is_dev {
            check_secret_strength(&secret_key)?;
        }
        Ok(Settings {
            table_name,
            dynamodb_endpoint: get("DYNAMODB_ENDPOINT"),
            secret_key: SecretString::from(secret_key),
            jwt_issuer: get("JWT_ISSUER").unwrap_or_else(|| "gatehouse".into()),
            jwt_audience: get("JWT_AUDIENCE").unwrap_or_else(|| "gatehouse".into()),
            access_token_expire_minutes: parse_positive(&get, "ACCESS_TOKEN_EXPIRE_MINUTES", 30)?,
            registration_enabled: parse(&get, "REGISTRATION_ENABLED", true)?,
            password_reset_expire_minutes: parse_positive(&get, "PASSWORD_RESET_EXPIRE_MINUTES", 60)?,
            email_verification_expire_hours: parse_positive(&get, "EMAIL_VERIFICATION_EXPIRE_HOURS", 24)?,
            login_limit: rate_limit(&get, "LOGIN", 5, 60)?,
            register_limit: rate_limit(&get, "REGISTER", 3, 60)?,
            reset_limit: rate_limit(&get, "RESET", 3, 60)?,
            resend_verification_limit: rate_limit(&get, "RESEND_VERIFICATION", 3, 300)?,
            lockout_attempts: parse_positive(&get, "ACCOUNT_LOCKOUT_ATTEMPTS", 5)?,
            lockout_minutes: parse_positive(&get, "ACCOUNT_LOCKOUT_MINUTES", 15)?,
            trust_proxy_headers: parse(&get, "TRUST_PROXY_HEADERS", false)?,
            mail: mail_settings(&get, &app_env)?,
            invite_acceptance_mode: parse(&get, "INVITE_ACCEPTANCE_MODE", AcceptanceMode::Email)?,
            refresh_token_expire_days: parse_positive(&get, "REFRESH_TOKEN_EXPIRE_DAYS", 14)?,
            refresh_reuse_grace_seconds: parse(&get, "REFRESH_REUSE_GRACE_SECONDS", 30)?,
            cookie_prefix: cookie_prefix(&get("PROJECT_NAME").unwrap_or_else(|| "gatehouse".into())),
            app_env,
        })
    }

    pub fn secret_bytes(&self) -> &[u8] {
        self.secret_key.expose_secret().as_bytes()
    }

    /// A 32-byte key for one job, derived from `SECRET_KEY` with HKDF-SHA256 (RFC 5869) under
    /// `label`, so that no two jobs share a key and none of them is the signing key itself.
    pub fn derived_key(&self, label: &str) -> [u8; 32] {
        hkdf_sha256(self.secret_bytes(), label.as_bytes())
    }
}

/// HKDF-SHA256 with an empty salt, for one 32-byte output block (L = HashLen, so one round).
fn hkdf_sha256(input_key: &[u8], info: &[u8]) -> [u8; 32] {
    type HmacSha256 = Hmac<Sha256>;
    let mut extract = <HmacSha256 as KeyInit>::new_from_slice(&[0u8; 32]).expect("HMAC takes any key length");
    extract.update(input_key);
    let pseudo_random_key = extract.finalize().into_bytes();
    let mut expand = <HmacSha256 as KeyInit>::new_from_slice(&pseudo_random_key).expect("HMAC takes any key length");
    expand.update(info);
    expand.update(&[1]);
    expand.finalize().into_bytes().into()
}

fn mail_settings(get: &impl Fn(&str) -> Option<String>, app_env: &str) -> Result<MailSettings, ConfigError> {
    let transport = parse(get, "MAIL_TRANSPORT", MailTransport::Ses)?;
    if transport == MailTransport::Capture && !matches!(app_env, "dev" | "test") {
        return Err(ConfigError(format!(
            "MAIL_TRANSPORT=capture keeps mail in the table and is for APP_ENV dev or test only (APP_ENV is {app_env:?}): use ses or smtp"
        )));
    }
    let public_url = get("PUBLIC_URL")
        .unwrap_or_else(|| "http://localhost:8000".into())
        .trim_end_matches('/')
        .to_string();
    if !(public_url.starts_with("https://") || public_url.starts_with("http://")) {
        return Err(ConfigError(format!(
            "PUBLIC_URL={public_url:?} must start with https:// or http://"
        )));
    }
    let link = |key: &str, page: &str| -> Result<String, ConfigError> {
        let template = get(key).unwrap_or_else(|| format!("{public_url}/{page}?token={{token}}"));
        if !template.contains("{token}") {
            return Err(ConfigError(format!("{key}={template:?} must contain {{token}}")));
        }
        Ok(template)
    };
    let from = get("MAIL_FROM").unwrap_or_else(|| "Gatehouse <no-reply@example.com>".into());
    if !from.contains('@') {
        return Err(ConfigError(format!("MAIL_FROM={from:?} is not an email address")));
    }
    Ok(MailSettings {
        transport,
        from,
        product_name: get("MAIL_PRODUCT_NAME").unwrap_or_else(|| "Gatehouse".into()),
        verify_url: link("MAIL_VERIFY_URL", "verify")?,
        reset_url: link("MAIL_RESET_URL", "reset")?,
        invite_url: link("MAIL_INVITE_URL", "invite")?,
        public_url,
        ses_configuration_set: get("SES_CONFIGURATION_SET"),
        ses_endpoint: get("SES_ENDPOINT"),
        smtp_host: get("SMTP_HOST").unwrap_or_else(|| "127.0.0.1".into()),
        smtp_port: parse(get, "SMTP_PORT", 587)?,
        smtp_tls: parse(get, "SMTP_TLS", SmtpTls::StartTls)?,
        smtp_username: get("SMTP_USERNAME"),
        smtp_password: get("SMTP_PASSWORD").map(SecretString::from),
    })
}

fn check_secret_strength(key: &str) -> Result<(), ConfigError> {
    let lowered = key.to_ascii_lowercase();
    if KNOWN_PLACEHOLDERS.iter().any(|p| lowered == *p) || lowered.contains("change-me") || lowered.contains("changeme")
    {
        return Err(ConfigError(
            "SECRET_KEY is a placeholder: set it to at least 32 random bytes (e.g. `openssl rand -base64 48`)".into(),
        ));
    }
    if key.len() < MIN_SECRET_BYTES {
        return Err(ConfigError(format!(
            "SECRET_KEY is {} bytes: it must be at least {MIN_SECRET_BYTES} (e.g. `openssl rand -base64 48`)",
            key.len()
        )));
    }
    Ok(())
}

fn parse<T: FromStr>(get: &impl Fn(&str) -> Option<String>, key: &str, default: T) -> Result<T, ConfigError>
where
    T::Err: Display,
{
    match get(key) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e| ConfigError(format!("{key}={raw:?} is not valid: {e}"))),
    }
}

fn parse_positive(get: &impl Fn(&str) -> Option<String>, key: &str, default: i64) -> Result<i64, ConfigError> {
    let value = parse(get, key, default)?;
    if value <= 0 {
        return Err(ConfigError(format!(
            "{key} must be a positive whole number, got {value}"
        )));
    }
    Ok(value)
}

/// The project name with every character outside `[A-Za-z0-9_-]` replaced by `_`.
fn cookie_prefix(project: &str) -> String {
    project
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Settings {
    /// Cookies carry `Secure` everywhere but `APP_ENV=dev` (plain http on localhost).
    pub fn secure_cookies(&self) -> bool {
        self.app_env != "dev"
    }
}

fn rate_limit(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    max: i64,
    window: i64,
) -> Result<RateLimit, ConfigError> {
    Ok(RateLimit {
        max: parse_positive(get, &format!("RATE_LIMIT_{name}_MAX"), max)?,
        window_seconds: parse_positive(get, &format!("RATE_LIMIT_{name}_WINDOW"), window)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    const STRONG: &str = "0123456789abcdef0123456789abcdef-strong";

    #[test]
    fn production_refuses_missing_short_and_placeholder_keys() {
        let missing = settings(&[("TABLE_NAME", "t")]).unwrap_err().to_string();
        assert!(missing.contains("SECRET_KEY is not set"), "{missing}");
        let short = settings(&[("TABLE_NAME", "t"), ("SECRET_KEY", "short")])
            .unwrap_err()
            .to_string();
        assert!(short.contains("at least 32"), "{short}");
        let placeholder = settings(&[
            ("TABLE_NAME", "t"),
            ("SECRET_KEY", "change-this-secret-key-in-production-use-env-variable"),
        ])
        .unwrap_err()
        .to_string();
        assert!(placeholder.contains("placeholder"), "{placeholder}");
        assert!(settings(&[("TABLE_NAME", "t"), ("SECRET_KEY", STRONG)]).is_ok());
    }

    #[test]
    fn dev_falls_back_to_a_local_key() {
        let s = settings(&[("TABLE_NAME", "t"), ("APP_ENV", "dev")]).unwrap();
        assert_eq!(s.secret_bytes(), DEV_PLACEHOLDER_KEY.as_bytes());
    }

    #[test]
    fn missing_table_and_bad_numbers_are_named() {
        let err = settings(&[("SECRET_KEY", STRONG)]).unwrap_err().to_string();
        assert!(err.contains("TABLE_NAME"), "{err}");
        let err = settings(&[
            ("TABLE_NAME", "t"),
            ("SECRET_KEY", STRONG),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "x"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("ACCESS_TOKEN_EXPIRE_MINUTES"), "{err}");
        let err = settings(&[
            ("TABLE_NAME", "t"),
            ("SECRET_KEY", STRONG),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("positive"), "{err}");
    }

    #[test]
    fn rate_limits_default_to_the_seed_and_read_their_env() {
        let s = settings(&[
            ("TABLE_NAME", "t"),
            ("SECRET_KEY", STRONG),
            ("RATE_LIMIT_LOGIN_MAX", "10"),
        ])
        .unwrap();
        assert_eq!(
            s.login_limit,
            RateLimit {
                max: 10,
                window_seconds: 60
            }
        );
        assert_eq!(
            s.register_limit,
            RateLimit {
                max: 3,
                window_seconds: 60
            }
        );
        assert_eq!(
            s.reset_limit,
            RateLimit {
                max: 3,
                window_seconds: 60
            }
        );
        assert_eq!(
            s.resend_verification_limit,
            RateLimit {
                max: 3,
                window_seconds: 300
            }
        );
        assert_eq!((s.lockout_attempts, s.lockout_minutes), (5, 15));
    }

    #[test]
    fn hkdf_matches_rfc_5869_and_labels_give_distinct_keys() {
        // RFC 5869 test case 3 (SHA-256, empty salt and info), first 32 bytes of its OKM.
        let okm = hkdf_sha256(&[0x0b; 22], b"");
        let hex: String = okm.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d");
        let s = settings(&[("TABLE_NAME", "t"), ("SECRET_KEY", STRONG)]).unwrap();
        assert_ne!(s.derived_key("a"), s.derived_key("b"));
        assert_ne!(&s.derived_key("a")[..], s.secret_bytes());
    }

    #[test]
    fn capture_is_refused_outside_dev_and_test() {
        for env in ["production", "staging", "prod"] {
            let err = settings(&[
                ("TABLE_NAME", "t"),
                ("SECRET_KEY", STRONG),
                ("APP_ENV", env),
                ("MAIL_TRANSPORT", "capture"),
            ])
            .unwrap_err()
            .to_string();
            assert!(err.contains("MAIL_TRANSPORT=capture"), "{err}");
        }
        for env in ["dev", "test"] {
            let s = settings(&[
                ("TABLE_NAME", "t"),
                ("SECRET_KEY", STRONG),
                ("APP_ENV", env),
                ("MAIL_TRANSPORT", "capture"),
            ])
            .unwrap();
            assert_eq!(s.mail.transport, MailTransport::Capture);
        }
        let s = settings(&[("TABLE_NAME", "t"), ("SECRET_KEY", STRONG)]).unwrap();
        assert_eq!(s.mail.transport, MailTransport::Ses);
    }

    #[test]
    fn links_default_to_the_public_url_and_templates_need_a_token() {
        let s = settings(&[
            ("TABLE_NAME", "t"),
            ("SECRET_KEY", STRONG),
            ("PUBLIC_URL", "https://auth.example.com/"),
            ("MAIL_INVITE_URL", "https://app.example.com/join?t={token}"),
        ])
        .unwrap();
        assert_eq!(s.mail.verify_url, "https://auth.example.com/verify?token={token}");
        assert_eq!(s.mail.reset_url, "https://auth.example.com/reset?token={token}");
        assert_eq!(s.mail.invite_url, "https://app.example.com/join?t={token}");
        let err = settings(&[
            ("TABLE_NAME", "t"),
            ("SECRET_KEY", STRONG),
            ("MAIL_RESET_URL", "https://app.example.com/reset"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("MAIL_RESET_URL"), "{err}");
    }

    #[test]
    fn setting_names_are_exactly_what_from_lookup_reads() {
        let asked = std::cell::RefCell::new(std::collections::BTreeSet::new());
        // The two required settings given, so no early return skips the names after them.
        let s = Settings::from_lookup(|key| {
            asked.borrow_mut().insert(key.to_string());
            match key {
                "TABLE_NAME" => Some("t".to_string()),
                "SECRET_KEY" => Some(STRONG.to_string()),
                _ => None,
            }
        });
        assert!(s.is_ok(), "{s:?}");
        let listed: std::collections::BTreeSet<String> = SETTING_NAMES.iter().map(|n| n.to_string()).collect();
        assert_eq!(listed.len(), SETTING_NAMES.len(), "SETTING_NAMES has a duplicate");
        assert_eq!(
            *asked.borrow(),
            listed,
            "SETTING_NAMES differs from the names from_lookup reads"
        );
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let s = settings(&[("TABLE_NAME", "t"), ("SECRET_KEY", STRONG)]).unwrap();
        assert!(!format!("{s:?}").contains(STRONG));
    }
}
