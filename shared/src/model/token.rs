//! Access-token claims and one-time tokens (password reset, email verification, email change). Only a one-time
//! token's SHA-256 is ever stored.

use super::roles::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    /// The user id, as a string (RFC 7519).
    pub sub: String,
    pub role: Role,
    /// A UUIDv7: besides naming the token for revocation, it records the issue time to the
    /// millisecond, which `tokens_valid_after` needs (`iat` has whole seconds only).
    pub jti: String,
    /// The session (refresh-token family) the token belongs to.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    /// How the user authenticated (RFC 8176): `["pwd"]` or `["pwd", "otp"]`. Tokens issued
    /// before the claim existed read as none.
    #[serde(default)]
    pub amr: Vec<String>,
    /// When the user authenticated (epoch seconds), kept across refreshes.
    #[serde(default)]
    pub auth_time: i64,
}

impl AccessClaims {
    pub fn user_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }

    /// The session began with a second factor.
    pub fn has_second_factor(&self) -> bool {
        self.amr.iter().any(|method| method == super::mfa::AMR_OTP)
    }

    /// The issue time in epoch milliseconds, from the UUIDv7 `jti`.
    pub fn issued_at_ms(&self) -> Option<i64> {
        let uuid = Uuid::parse_str(&self.jti).ok()?;
        let (secs, nanos) = uuid.get_timestamp()?.to_unix();
        i64::try_from(secs)
            .ok()
            .map(|s| s * 1000 + i64::from(nanos / 1_000_000))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    PasswordReset,
    EmailVerification,
    /// Proves the mailbox of the address a signed-in user asked to move their account to.
    EmailChange,
}

/// What the table keeps of a token: never the token itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OneTimeToken {
    pub hash: String,
    pub purpose: Purpose,
    pub user_id: i64,
    /// The account's email when the token was issued (a reset also clears its lockout).
    pub email: String,
    /// For an email change: the address the account moves to once the token is confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_email: Option<String>,
    pub created_at: String,
    /// Epoch seconds; the token is void from then on, whatever DynamoDB's TTL has done.
    pub expires_at: i64,
}
