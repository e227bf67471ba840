//! Access tokens: JWTs signed by the key set's current key, with its `kid` and `typ: at+jwt`
//! (RFC 9068). Verification takes the key the `kid` names and pins the algorithm to that key's;
//! it refuses `none`, any other algorithm, unknown or expired kids, keys carried or pointed at
//! by the token itself (`jwk`, `jku`, `x5u`, `x5c`), `crit`, and a missing or wrong `typ`.
//! Issuer and audience are checked; expiry against the injectable clock.

use crate::config::Settings;
use crate::domain::keys::KeyRing;
use crate::model::{AccessClaims, Session, User};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{decode, decode_header, encode, Algorithm, Header, Validation};
use std::sync::Arc;
use uuid::{NoContext, Timestamp, Uuid};

/// The `typ` header of access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

pub struct TokenKeys {
    keys: Arc<KeyRing>,
    issuer: String,
    audience: String,
    lifetime: Duration,
}

impl TokenKeys {
    pub fn new(settings: &Settings, keys: Arc<KeyRing>) -> Self {
        Self {
            keys,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            lifetime: Duration::minutes(settings.access_token_expire_minutes),
        }
    }

    /// Seconds an access token lives (`expires_in`, the session cookie's `Max-Age`).
    pub fn lifetime_seconds(&self) -> i64 {
        self.lifetime.num_seconds()
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        validation.leeway = 0;
        // Expiry is checked against the app's clock in `verify`, so tests can move time.
        validation.validate_exp = false;
        validation
    }

    /// An access token of `session`, which carries how and when the user authenticated.
    pub async fn issue(&self, user: &User, session: &Session, now: DateTime<Utc>) -> (String, AccessClaims) {
        let ms_timestamp = Timestamp::from_unix(
            NoContext,
            u64::try_from(now.timestamp()).unwrap_or_default(),
            now.timestamp_subsec_nanos(),
        );
        let claims = AccessClaims {
            sub: user.id.to_string(),
            role: user.role,
            jti: Uuid::new_v7(ms_timestamp).to_string(),
            sid: session.id.clone(),
            iat: now.timestamp(),
            exp: (now + self.lifetime).timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            amr: session.amr.clone(),
            auth_time: session.authenticated_at(),
        };
        let set = self.keys.fresh(now).await;
        let key = set.signing_key();
        let mut header = Header::new(key.algorithm);
        header.typ = Some(ACCESS_TOKEN_TYPE.to_string());
        header.kid = Some(key.kid.to_string());
        let token =
            encode(&header, &claims, key.encoding).expect("signing plain claims with a checked key cannot fail");
        (token, claims)
    }

    /// The claims of a well-signed, unexpired token of ours; `None` for anything else.
    pub async fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<AccessClaims> {
        // An unknown `alg` (`none` among them) fails here already.
        let header = decode_header(token).ok()?;
        let carries_a_key =
            header.jwk.is_some() || header.jku.is_some() || header.x5u.is_some() || header.x5c.is_some();
        let typ_ok = header.typ.as_deref().is_some_and(|typ| {
            typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE) || typ.eq_ignore_ascii_case("application/at+jwt")
        });
        if carries_a_key || header.crit.is_some() || !typ_ok {
            return None;
        }
        let kid = header.kid?;
        let mut set = self.keys.fresh(now).await;
        if !set.knows(&kid) {
            // Perhaps a rotation this instance has not seen yet.
            set = self.keys.reload_for_unknown_kid(now).await;
        }
        let key = set.verifying_key(&kid, now)?;
        if header.alg != key.algorithm {
            return None;
        }
        let claims = decode::<AccessClaims>(token, key.decoding, &self.validation(key.algorithm))
            .ok()?
            .claims;
        (claims.exp > now.timestamp()).then_some(claims)
    }
}
