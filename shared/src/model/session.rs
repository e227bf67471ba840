//! Sessions (refresh-token families), what the table keeps of a refresh token, and what a login
//! hands back.

use super::user::User;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The stored session (refresh-token family).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub user_id: i64,
    pub source: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// Epoch seconds: the current refresh token's expiry (renewed by each rotation).
    pub expires_at: i64,
    pub revoked: bool,
    pub salt: String,
    /// Which token of the family is current.
    pub generation: i64,
    /// When the current generation was issued (epoch ms): the grace window runs from here.
    pub rotated_at_ms: i64,
    /// How the user authenticated when the session began (RFC 8176 `amr`: `pwd`, `otp`); every
    /// access token of the session carries it. Sessions from before the second factor: `pwd`.
    #[serde(default = "password_only")]
    pub amr: Vec<String>,
    /// When the user authenticated (epoch seconds); refreshes keep it. `None` on sessions from
    /// before it was recorded (their `created_at` stands in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}

fn password_only() -> Vec<String> {
    vec![super::mfa::AMR_PASSWORD.to_string()]
}

impl Session {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        !self.revoked && self.expires_at > now.timestamp()
    }

    /// When the user authenticated, in epoch seconds.
    pub fn authenticated_at(&self) -> i64 {
        self.auth_time
            .unwrap_or_else(|| DateTime::parse_from_rfc3339(&self.created_at).map_or(0, |at| at.timestamp()))
    }
}

/// What the table keeps of a refresh token: its hash, its family and generation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub hash: String,
    pub user_id: i64,
    pub session_id: String,
    pub generation: i64,
    pub expires_at: i64,
}

/// `SessionResponse`.
#[derive(Debug, Serialize)]
pub struct SessionView {
    pub id: String,
    pub source: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: String,
    pub is_current: bool,
}

/// A fresh access token and the family's current refresh token.
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub session_id: String,
    pub user: User,
}

/// Where a request comes from: for the session list and every audit event.
#[derive(Debug, Default, Clone)]
pub struct Origin {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// API Gateway's id of the request (`requestContext.requestId`), as its access log shows it.
    pub request_id: Option<String>,
}
