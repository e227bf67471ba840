//! Users: the stored record, what the API shows of it, and a parsed registration.

use super::email::Email;
use super::names::FullName;
use super::password::Password;
use super::roles::Role;
use serde::{Deserialize, Serialize};

/// The stored user. No `Debug`: it holds the password hash.
#[derive(Clone, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    pub hashed_password: String,
    pub is_active: bool,
    pub is_verified: bool,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Tokens issued before this instant (epoch ms) are refused: set by password reset and
    /// change, deactivation and deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_valid_after_ms: Option<i64>,
    /// SHA-256 of the one live password-reset token; issuing another replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_token_hash: Option<String>,
    /// SHA-256 of the one live email-verification token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_token_hash: Option<String>,
    /// SHA-256 of the one live email-change token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_change_token_hash: Option<String>,
    /// A confirmed second factor (TOTP) exists: a password alone no longer signs in.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mfa_enabled: bool,
}

/// What the API shows of a user (`UserResponse`).
#[derive(Debug, Serialize, PartialEq)]
pub struct UserView {
    pub email: String,
    pub full_name: Option<String>,
    pub is_active: bool,
    pub is_verified: bool,
    pub role: Role,
    pub id: i64,
    pub last_login: Option<String>,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub mfa_enabled: bool,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        UserView {
            email: user.email.clone(),
            full_name: user.full_name.clone(),
            is_active: user.is_active,
            is_verified: user.is_verified,
            role: user.role,
            id: user.id,
            last_login: user.last_login.clone(),
            created_at: user.created_at.clone(),
            updated_at: user.updated_at.clone(),
            mfa_enabled: user.mfa_enabled,
        }
    }
}

/// A parsed, policy-checked registration.
pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub full_name: Option<FullName>,
}
