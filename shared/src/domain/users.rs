//! Users: the stored record, what the API shows of it, and registration.

use crate::audit::AuditEvent;
use crate::clock::format_timestamp;
use crate::domain::email::Email;
use crate::domain::password;
use crate::domain::ports::CreateUserOutcome;
use crate::domain::{invites, mail, recovery};
use crate::error::AppError;
use crate::App;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Moderator,
    User,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Moderator, Role::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Moderator => "moderator",
            Role::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

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
    /// Tokens issued before this instant (epoch ms) are refused: set by password reset,
    /// deactivation and deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_valid_after_ms: Option<i64>,
    /// SHA-256 of the one live password-reset token; issuing another replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_token_hash: Option<String>,
    /// SHA-256 of the one live email-verification token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_token_hash: Option<String>,
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
        }
    }
}

/// A parsed, policy-checked registration.
pub struct Registration {
    pub email: Email,
    pub password: String,
    pub full_name: Option<String>,
}

pub const EMAIL_TAKEN: &str = "Email already registered";

/// Creates a user; the first user ever becomes `admin`. With `send_verification`, an
/// email-verification token and the message carrying it are written in the same transaction.
pub async fn create_user(app: &App, registration: Registration, send_verification: bool) -> Result<User, AppError> {
    if app.store.email_taken(registration.email.as_str()).await? {
        return Err(AppError::BadRequest(EMAIL_TAKEN.into()));
    }
    let hashed_password = password::hash(registration.password).await;
    let id = app.store.next_id("user").await?;
    let claim_first_admin = !app.store.first_admin_claimed();
    let now = app.clock.now();
    let verification =
        send_verification.then(|| recovery::verification_token(app, id, registration.email.as_str(), now));
    let mut user = User {
        id,
        email: registration.email.to_string(),
        full_name: registration.full_name,
        hashed_password,
        is_active: true,
        is_verified: false,
        role: if claim_first_admin { Role::Admin } else { Role::User },
        last_login: None,
        created_at: format_timestamp(now),
        updated_at: None,
        tokens_valid_after_ms: None,
        reset_token_hash: None,
        verification_token_hash: verification.as_ref().map(|(token, _)| token.hash.clone()),
    };
    let pending = verification.as_ref().map(|(token, message)| (token, message));
    let mut outcome = app.store.create_user(&user, claim_first_admin, pending).await?;
    if let CreateUserOutcome::FirstAdminAlreadyClaimed = outcome {
        user.role = Role::User;
        outcome = app.store.create_user(&user, false, pending).await?;
    }
    match outcome {
        CreateUserOutcome::Created => {
            if let Some((_, message)) = &verification {
                mail::log_queued(message);
            }
            Ok(user)
        }
        CreateUserOutcome::EmailTaken => Err(AppError::BadRequest(EMAIL_TAKEN.into())),
        CreateUserOutcome::FirstAdminAlreadyClaimed => unreachable!("the retry does not claim"),
    }
}

/// `POST /auth/register`: public sign-up, closed by `REGISTRATION_ENABLED=false`.
pub async fn register(app: &App, registration: Registration) -> Result<User, AppError> {
    if !app.settings.registration_enabled {
        return Err(AppError::Forbidden("Registration is closed".into()));
    }
    let user = create_user(app, registration, true).await?;
    AuditEvent::new("auth.user_registered")
        .actor_email(&user.email)
        .target("user", user.id)
        .emit(app.clock.now());
    invites::accept_pending_for(app, &user).await?;
    Ok(user)
}
