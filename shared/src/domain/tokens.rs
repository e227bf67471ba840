//! Access tokens: JWT HS256, algorithm pinned, issuer and audience checked, expiry read from the
//! injectable clock.

use crate::config::Settings;
use crate::model::{AccessClaims, User};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use uuid::{NoContext, Timestamp, Uuid};

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    lifetime: Duration,
}

impl TokenKeys {
    pub fn new(settings: &Settings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&settings.jwt_issuer]);
        validation.set_audience(&[&settings.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        validation.leeway = 0;
        // Expiry is checked against the app's clock in `verify`, so tests can move time.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(settings.secret_bytes()),
            decoding: DecodingKey::from_secret(settings.secret_bytes()),
            validation,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            lifetime: Duration::minutes(settings.access_token_expire_minutes),
        }
    }

    /// Seconds an access token lives (`expires_in`, the session cookie's `Max-Age`).
    pub fn lifetime_seconds(&self) -> i64 {
        self.lifetime.num_seconds()
    }

    pub fn issue(&self, user: &User, session_id: &str, now: DateTime<Utc>) -> (String, AccessClaims) {
        let ms_timestamp = Timestamp::from_unix(
            NoContext,
            u64::try_from(now.timestamp()).unwrap_or_default(),
            now.timestamp_subsec_nanos(),
        );
        let claims = AccessClaims {
            sub: user.id.to_string(),
            role: user.role,
            jti: Uuid::new_v7(ms_timestamp).to_string(),
            sid: session_id.to_string(),
            iat: now.timestamp(),
            exp: (now + self.lifetime).timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding of plain claims cannot fail");
        (token, claims)
    }

    /// The claims of a well-signed, unexpired token of ours; `None` for anything else.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<AccessClaims> {
        let claims = decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        (claims.exp > now.timestamp()).then_some(claims)
    }
}
