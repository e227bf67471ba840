//! Users: the stored record, what the API shows of it, and registration.

use crate::audit::AuditEvent;
use crate::clock::format_timestamp;
use crate::domain::password;
use crate::domain::ports::CreateUserOutcome;
use crate::domain::{invites, mail, recovery};
use crate::error::AppError;
use crate::model::{FullName, Registration, Role, User};
use crate::App;

/// Creates a user; the first user ever becomes `admin`. With `send_verification`, an
/// email-verification token and the message carrying it are written in the same transaction.
pub async fn create_user(app: &App, registration: Registration, send_verification: bool) -> Result<User, AppError> {
    if app.store.email_taken(registration.email.as_str()).await? {
        return Err(AppError::EmailTaken);
    }
    let hashed_password = password::hash(&registration.password).await;
    let id = app.store.next_id("user").await?;
    let claim_first_admin = !app.store.first_admin_claimed();
    let now = app.clock.now();
    let verification =
        send_verification.then(|| recovery::verification_token(app, id, registration.email.as_str(), now));
    let mut user = User {
        id,
        email: registration.email.to_string(),
        full_name: registration.full_name.map(FullName::into_inner),
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
            if let Some((_, queued)) = &verification {
                mail::log_queued(queued);
            }
            Ok(user)
        }
        CreateUserOutcome::EmailTaken => Err(AppError::EmailTaken),
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
