//! Typed settings, read once at start-up from the environment, with every default in one place.

use crate::model::{
    AcceptanceMode, AutoAccept, KeySource, MailTransport, OriginList, RateLimit, SigningAlgorithm, SmtpTls, WebOrigin,
};
use secrecy::SecretString;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

/// The key `APP_ENV=dev` falls back to when `SECRET_KEY` is unset; refused everywhere else.
const DEV_PLACEHOLDER_KEY: &str = "dev-only-insecure-key-change-me-before-deploying!!";
const KNOWN_PLACEHOLDERS: &[&str] = &[
    DEV_PLACEHOLDER_KEY,
    "change-this-secret-key-in-production-use-env-variable",
    "changeme",
    "secret",
];
const MIN_SECRET_BYTES: usize = 32;

/// Every environment variable `Settings::from_lookup` reads (a unit test below holds it to that).
/// `.env.example` and `template.yaml` list the same set, with the exceptions named in
/// `shared/tests/api/deployment.rs`.
pub const SETTING_NAMES: &[&str] = &[
    "APP_ENV",
    "TABLE_NAME",
    "SECRET_KEY",
    "KEY_SET_SECRET_ID",
    "KEY_SET_FILE",
    "SECRETS_MANAGER_ENDPOINT",
    "JWT_ALGORITHM",
    "PUBLIC_URL",
    "DYNAMODB_ENDPOINT",
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
    "RATE_LIMIT_MFA_MAX",
    "RATE_LIMIT_MFA_WINDOW",
    "ACCOUNT_LOCKOUT_ATTEMPTS",
    "ACCOUNT_LOCKOUT_MINUTES",
    "TRUST_PROXY_HEADERS",
    "TRUSTED_PROXY_HOPS",
    "MAIL_TRANSPORT",
    "MAIL_FROM",
    "MAIL_PRODUCT_NAME",
    "MAIL_VERIFY_URL",
    "MAIL_RESET_URL",
    "MAIL_INVITE_URL",
    "MAIL_EMAIL_CHANGE_URL",
    "SES_CONFIGURATION_SET",
    "SES_ENDPOINT",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_TLS",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_CREDENTIALS_SECRET_ID",
    "INVITE_ACCEPTANCE_MODE",
    "REFRESH_TOKEN_EXPIRE_DAYS",
    "REFRESH_REUSE_GRACE_SECONDS",
    "PROJECT_NAME",
    "REQUEST_DEADLINE_MS",
    "INVITE_AUTO_ACCEPT",
    "ORG_MEMBER_CONSENT",
    "ORG_LIMIT_PER_USER",
    "RATE_LIMIT_ORG_WRITE_MAX",
    "RATE_LIMIT_ORG_WRITE_WINDOW",
    "RATE_LIMIT_INVITE_MAX",
    "RATE_LIMIT_INVITE_WINDOW",
    "CORS_ALLOWED_ORIGINS",
    "AUDIT_RETENTION_DAYS",
];

/// Days an audit event is kept when `AUDIT_RETENTION_DAYS` is not set.
pub const DEFAULT_AUDIT_RETENTION_DAYS: i64 = 365;

#[derive(Debug)]
pub struct Settings {
    pub app_env: String,
    pub table_name: String,
    /// Set locally (DynamoDB Local); unset on AWS.
    pub dynamodb_endpoint: Option<String>,
    /// Where the key set (signing keys, root secret) is read from.
    pub key_source: KeySource,
    /// The algorithm of the keys rotation generates; tokens are signed by the current key,
    /// whatever its algorithm.
    pub jwt_algorithm: SigningAlgorithm,
    /// The API's public base URL (no trailing slash), for the issuer and the discovery document.
    pub public_url: Option<String>,
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
    /// The second step of a login (`POST /auth/mfa/verify`), per client address.
    pub mfa_limit: RateLimit,
    pub lockout_attempts: i64,
    pub lockout_minutes: i64,
    /// Take the client's address from `X-Forwarded-For` (a proxy in front of API Gateway);
    /// otherwise API Gateway's `sourceIp`.
    pub trust_proxy_headers: bool,
    /// With `trust_proxy_headers`: how many proxies append to `X-Forwarded-For`, counting API
    /// Gateway itself; the client is that many entries from the right (1: what API Gateway saw).
    pub trusted_proxy_hops: usize,
    pub mail: MailSettings,
    pub invite_acceptance_mode: AcceptanceMode,
    pub refresh_token_expire_days: i64,
    pub refresh_reuse_grace_seconds: i64,
    /// Cookie names are `<project>_session` and `<project>_refresh`.
    pub cookie_prefix: String,
    /// The most one request may take, all its DynamoDB calls and retries included; past it the
    /// answer is 503 (see `crate::deadline`).
    pub request_deadline: Duration,
    /// When pending invites for an address are accepted without being asked for.
    pub invite_auto_accept: AutoAccept,
    /// Adding an existing user to an org (by id or by address) invites them instead; they join
    /// when they accept.
    pub org_member_consent: bool,
    /// How many orgs one user may own.
    pub org_limit_per_user: i64,
    /// Org-changing requests per user (`/api/v1/orgs…` with POST, PATCH or DELETE).
    pub org_write_limit: RateLimit,
    /// Invites created per org.
    pub invite_limit: RateLimit,
    /// Days an audit event stays queryable; DynamoDB's TTL removes it after.
    pub audit_retention_days: i64,
    /// Origins other than the API's own whose pages may call it with cookies (CORS with
    /// credentials, and the CSRF check).
    pub cors_allowed_origins: OriginList,
    /// The API's own origin as browsers see it (`PUBLIC_URL`'s scheme, host and port), besides
    /// the request's own scheme and `Host`.
    pub public_origin: Option<WebOrigin>,
}

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
    pub email_change_url: String,
    pub public_url: String,
    pub ses_configuration_set: Option<String>,
    /// moto's URL in tests; unset on AWS.
    pub ses_endpoint: Option<String>,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_credentials: SmtpCredentials,
}

/// Where the SMTP login comes from. A deployed mailer reads it from Secrets Manager at start-up,
/// so no secret sits in the function's configuration; the two plain settings are for local runs.
#[derive(Debug)]
pub enum SmtpCredentials {
    None,
    /// `SMTP_USERNAME` and `SMTP_PASSWORD`.
    Plain {
        username: String,
        password: SecretString,
    },
    /// `SMTP_CREDENTIALS_SECRET_ID`: a secret holding `{"username": ..., "password": ...}`.
    SecretsManager {
        secret_id: String,
        endpoint: Option<String>,
    },
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
        let key_source = key_source(&get, is_dev)?;
        let public_url = get("PUBLIC_URL").map(|url| url.trim().trim_end_matches('/').to_string());
        if let Some(url) = &public_url {
            if WebOrigin::of_url(url).is_none() {
                return Err(ConfigError(format!("PUBLIC_URL={url:?} is not an http(s) URL")));
            }
        }
        let mail = mail_settings(&get, &app_env, public_url.as_deref())?;
        let public_origin = public_url.as_deref().and_then(WebOrigin::of_url);
        Ok(Settings {
            table_name,
            dynamodb_endpoint: get("DYNAMODB_ENDPOINT"),
            key_source,
            jwt_algorithm: parse(&get, "JWT_ALGORITHM", SigningAlgorithm::EdDSA)?,
            jwt_issuer: get("JWT_ISSUER")
                .or_else(|| public_url.clone())
                .unwrap_or_else(|| "gatehouse".into()),
            public_url,
            jwt_audience: get("JWT_AUDIENCE").unwrap_or_else(|| "gatehouse".into()),
            access_token_expire_minutes: parse_positive(&get, "ACCESS_TOKEN_EXPIRE_MINUTES", 30)?,
            registration_enabled: parse(&get, "REGISTRATION_ENABLED", true)?,
            password_reset_expire_minutes: parse_positive(&get, "PASSWORD_RESET_EXPIRE_MINUTES", 60)?,
            email_verification_expire_hours: parse_positive(&get, "EMAIL_VERIFICATION_EXPIRE_HOURS", 24)?,
            login_limit: rate_limit(&get, "LOGIN", 5, 60)?,
            register_limit: rate_limit(&get, "REGISTER", 3, 60)?,
            reset_limit: rate_limit(&get, "RESET", 3, 60)?,
            resend_verification_limit: rate_limit(&get, "RESEND_VERIFICATION", 3, 300)?,
            mfa_limit: rate_limit(&get, "MFA", 5, 60)?,
            lockout_attempts: parse_positive(&get, "ACCOUNT_LOCKOUT_ATTEMPTS", 5)?,
            lockout_minutes: parse_positive(&get, "ACCOUNT_LOCKOUT_MINUTES", 15)?,
            trust_proxy_headers: parse(&get, "TRUST_PROXY_HEADERS", false)?,
            trusted_proxy_hops: parse_positive(&get, "TRUSTED_PROXY_HOPS", 1)? as usize,
            mail,
            invite_acceptance_mode: parse(&get, "INVITE_ACCEPTANCE_MODE", AcceptanceMode::Email)?,
            refresh_token_expire_days: parse_positive(&get, "REFRESH_TOKEN_EXPIRE_DAYS", 14)?,
            refresh_reuse_grace_seconds: parse(&get, "REFRESH_REUSE_GRACE_SECONDS", 30)?,
            cookie_prefix: cookie_prefix(&get("PROJECT_NAME").unwrap_or_else(|| "gatehouse".into())),
            request_deadline: Duration::from_millis(parse_positive(&get, "REQUEST_DEADLINE_MS", 3000)? as u64),
            invite_auto_accept: parse(&get, "INVITE_AUTO_ACCEPT", AutoAccept::Registration)?,
            org_member_consent: parse(&get, "ORG_MEMBER_CONSENT", false)?,
            org_limit_per_user: parse_positive(&get, "ORG_LIMIT_PER_USER", 10)?,
            org_write_limit: rate_limit(&get, "ORG_WRITE", 60, 60)?,
            invite_limit: rate_limit(&get, "INVITE", 100, 86_400)?,
            audit_retention_days: parse_positive(&get, "AUDIT_RETENTION_DAYS", DEFAULT_AUDIT_RETENTION_DAYS)?,
            cors_allowed_origins: parse(&get, "CORS_ALLOWED_ORIGINS", OriginList::default())?,
            public_origin,
            app_env,
        })
    }

    /// How many `X-Forwarded-For` entries from the right the client's address is, when the
    /// header is trusted at all.
    pub fn forwarded_hops(&self) -> Option<usize> {
        self.trust_proxy_headers.then_some(self.trusted_proxy_hops)
    }
}

/// The key set's source: `KEY_SET_SECRET_ID` (Secrets Manager) or `KEY_SET_FILE`, or the legacy
/// `SECRET_KEY` (one HS256 key); `APP_ENV=dev` with none of them falls back to a fixed local key.
fn key_source(get: &impl Fn(&str) -> Option<String>, is_dev: bool) -> Result<KeySource, ConfigError> {
    let secret_id = get("KEY_SET_SECRET_ID");
    let file = get("KEY_SET_FILE");
    let legacy = get("SECRET_KEY");
    let endpoint = get("SECRETS_MANAGER_ENDPOINT");
    if secret_id.is_some() && file.is_some() {
        return Err(ConfigError(
            "KEY_SET_SECRET_ID and KEY_SET_FILE are both set: keep the one the key set is in".into(),
        ));
    }
    if legacy.is_some() && (secret_id.is_some() || file.is_some()) {
        return Err(ConfigError(
            "SECRET_KEY is set next to a key set (KEY_SET_SECRET_ID or KEY_SET_FILE): SECRET_KEY is the legacy HS256 key; unset it".into(),
        ));
    }
    match (secret_id, file, legacy) {
        (Some(secret_id), _, _) => Ok(KeySource::SecretsManager {
            secret_id: secret_id.trim().to_string(),
            endpoint,
        }),
        (None, Some(path), _) => Ok(KeySource::File(path.trim().into())),
        (None, None, Some(key)) => {
            if !is_dev {
                check_secret_strength(&key)?;
            }
            Ok(KeySource::Legacy(SecretString::from(key)))
        }
        (None, None, None) if is_dev => Ok(KeySource::Legacy(SecretString::from(DEV_PLACEHOLDER_KEY))),
        (None, None, None) => Err(ConfigError(
            "no key set: set KEY_SET_SECRET_ID (a Secrets Manager secret, see `gatehouse keys generate`) or KEY_SET_FILE; SECRET_KEY is accepted as a legacy HS256 key".into(),
        )),
    }
}

/// `public_url` is `PUBLIC_URL`, already checked.
fn mail_settings(
    get: &impl Fn(&str) -> Option<String>,
    app_env: &str,
    public_url: Option<&str>,
) -> Result<MailSettings, ConfigError> {
    let transport = parse(get, "MAIL_TRANSPORT", MailTransport::Ses)?;
    if transport == MailTransport::Capture && !matches!(app_env, "dev" | "test") {
        return Err(ConfigError(format!(
            "MAIL_TRANSPORT=capture keeps mail in the table and is for APP_ENV dev or test only (APP_ENV is {app_env:?}): use ses or smtp"
        )));
    }
    let public_url = public_url.unwrap_or("http://localhost:8000").to_string();
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
        email_change_url: link("MAIL_EMAIL_CHANGE_URL", "verify-email-change")?,
        public_url,
        ses_configuration_set: get("SES_CONFIGURATION_SET"),
        ses_endpoint: get("SES_ENDPOINT"),
        smtp_host: get("SMTP_HOST").unwrap_or_else(|| "127.0.0.1".into()),
        smtp_port: parse(get, "SMTP_PORT", 587)?,
        smtp_tls: parse(get, "SMTP_TLS", SmtpTls::StartTls)?,
        smtp_credentials: smtp_credentials(get)?,
    })
}

fn smtp_credentials(get: &impl Fn(&str) -> Option<String>) -> Result<SmtpCredentials, ConfigError> {
    let secret_id = get("SMTP_CREDENTIALS_SECRET_ID");
    match (get("SMTP_USERNAME"), get("SMTP_PASSWORD"), secret_id) {
        (None, None, None) => Ok(SmtpCredentials::None),
        (None, None, Some(secret_id)) => Ok(SmtpCredentials::SecretsManager {
            secret_id: secret_id.trim().to_string(),
            endpoint: get("SECRETS_MANAGER_ENDPOINT"),
        }),
        (Some(username), Some(password), None) => Ok(SmtpCredentials::Plain {
            username,
            password: SecretString::from(password),
        }),
        (_, _, Some(_)) => Err(ConfigError(
            "SMTP_CREDENTIALS_SECRET_ID is set next to SMTP_USERNAME or SMTP_PASSWORD: keep the one the credentials are in".into(),
        )),
        _ => Err(ConfigError(
            "SMTP_USERNAME and SMTP_PASSWORD go together: set both, or neither".into(),
        )),
    }
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
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    const STRONG: &str = "0123456789abcdef0123456789abcdef-strong";

    #[test]
    fn production_refuses_missing_short_and_placeholder_keys() {
        let missing = settings(&[("TABLE_NAME", "t")]).unwrap_err().to_string();
        assert!(missing.contains("no key set"), "{missing}");
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
        assert!(matches!(&s.key_source, KeySource::Legacy(key) if key.expose_secret() == DEV_PLACEHOLDER_KEY));
    }

    #[test]
    fn the_key_set_source_is_one_of_secret_file_or_legacy_key() {
        let s = settings(&[("TABLE_NAME", "t"), ("KEY_SET_SECRET_ID", "gatehouse/prod/key-set")]).unwrap();
        assert!(
            matches!(&s.key_source, KeySource::SecretsManager { secret_id, endpoint: None } if secret_id == "gatehouse/prod/key-set")
        );
        let s = settings(&[("TABLE_NAME", "t"), ("KEY_SET_FILE", ".local/key-set.json")]).unwrap();
        assert!(matches!(&s.key_source, KeySource::File(path) if path.ends_with("key-set.json")));
        let both = settings(&[("TABLE_NAME", "t"), ("KEY_SET_FILE", "f"), ("KEY_SET_SECRET_ID", "s")]);
        assert!(both.unwrap_err().to_string().contains("both set"));
        let with_legacy = settings(&[("TABLE_NAME", "t"), ("KEY_SET_FILE", "f"), ("SECRET_KEY", STRONG)]);
        assert!(with_legacy.unwrap_err().to_string().contains("legacy"));
        assert_eq!(s.jwt_algorithm, SigningAlgorithm::EdDSA);
        let bad = settings(&[("TABLE_NAME", "t"), ("KEY_SET_FILE", "f"), ("JWT_ALGORITHM", "none")]);
        assert!(bad.unwrap_err().to_string().contains("JWT_ALGORITHM"));
    }

    #[test]
    fn the_issuer_defaults_to_the_public_url() {
        let s = settings(&[
            ("TABLE_NAME", "t"),
            ("KEY_SET_FILE", "f"),
            ("PUBLIC_URL", "https://auth.example.com/"),
        ])
        .unwrap();
        assert_eq!(s.jwt_issuer, "https://auth.example.com");
        assert_eq!(s.public_url.as_deref(), Some("https://auth.example.com"));
        let s = settings(&[("TABLE_NAME", "t"), ("KEY_SET_FILE", "f")]).unwrap();
        assert_eq!(s.jwt_issuer, "gatehouse");
        let s = settings(&[
            ("TABLE_NAME", "t"),
            ("KEY_SET_FILE", "f"),
            ("PUBLIC_URL", "https://a"),
            ("JWT_ISSUER", "me"),
        ])
        .unwrap();
        assert_eq!(s.jwt_issuer, "me");
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
    fn forwarded_hops_count_only_when_the_header_is_trusted() {
        let base = [("TABLE_NAME", "t"), ("SECRET_KEY", STRONG)];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut pairs = base.to_vec();
            pairs.extend_from_slice(extra);
            settings(&pairs)
        };
        assert_eq!(with(&[]).unwrap().forwarded_hops(), None);
        assert_eq!(with(&[("TRUSTED_PROXY_HOPS", "2")]).unwrap().forwarded_hops(), None);
        assert_eq!(
            with(&[("TRUST_PROXY_HEADERS", "true")]).unwrap().forwarded_hops(),
            Some(1)
        );
        let behind_cloudfront = with(&[("TRUST_PROXY_HEADERS", "true"), ("TRUSTED_PROXY_HOPS", "2")]);
        assert_eq!(behind_cloudfront.unwrap().forwarded_hops(), Some(2));
        let zero = with(&[("TRUST_PROXY_HEADERS", "true"), ("TRUSTED_PROXY_HOPS", "0")]);
        assert!(zero.unwrap_err().to_string().contains("TRUSTED_PROXY_HOPS"));
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
        assert_eq!(
            s.mfa_limit,
            RateLimit {
                max: 5,
                window_seconds: 60
            }
        );
        assert_eq!((s.lockout_attempts, s.lockout_minutes), (5, 15));
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
    fn the_smtp_login_is_both_plain_settings_or_one_secret() {
        let base = [("TABLE_NAME", "t"), ("SECRET_KEY", STRONG)];
        let with = |extra: &[(&str, &str)]| settings(&[&base[..], extra].concat()).map(|s| s.mail.smtp_credentials);
        assert!(matches!(with(&[]).unwrap(), SmtpCredentials::None));
        let SmtpCredentials::Plain { username, password } =
            with(&[("SMTP_USERNAME", "u"), ("SMTP_PASSWORD", "p")]).unwrap()
        else {
            panic!("plain settings")
        };
        assert_eq!((username.as_str(), password.expose_secret()), ("u", "p"));
        let SmtpCredentials::SecretsManager { secret_id, .. } =
            with(&[("SMTP_CREDENTIALS_SECRET_ID", " smtp/login ")]).unwrap()
        else {
            panic!("a secret")
        };
        assert_eq!(secret_id, "smtp/login");
        let half = with(&[("SMTP_USERNAME", "u")]).unwrap_err().to_string();
        assert!(half.contains("go together"), "{half}");
        let both = with(&[("SMTP_PASSWORD", "p"), ("SMTP_CREDENTIALS_SECRET_ID", "smtp/login")])
            .unwrap_err()
            .to_string();
        assert!(both.contains("SMTP_CREDENTIALS_SECRET_ID is set next to"), "{both}");
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
        assert_eq!(
            s.mail.email_change_url,
            "https://auth.example.com/verify-email-change?token={token}"
        );
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
