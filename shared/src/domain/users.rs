//! Users: the stored record, what the API shows of it, and registration.

use crate::audit::AuditEvent;
use crate::clock::format_timestamp;
use crate::domain::password;
use crate::domain::ports::CreateUserOutcome;
use crate::domain::store_error::StoreError;
use crate::domain::{invites, mail, recovery};
use crate::error::AppError;
use crate::model::{AutoAccept, FullName, Registration, Role, User};
use crate::App;

/// Creates a user; the first user ever becomes `admin`. With `send_verification`, an
/// email-verification token and the message carrying it are written in the same transaction,
/// as is `event` (aimed at the new user, and in their security log).
pub async fn create_user(
    app: &App,
    registration: Registration,
    send_verification: bool,
    event: AuditEvent,
) -> Result<User, AppError> {
    create_user_with(app, registration, send_verification, false, event).await
}

/// As `create_user`; `verified` when the address is already proven (an invite token to it).
async fn create_user_with(
    app: &App,
    registration: Registration,
    send_verification: bool,
    verified: bool,
    event: AuditEvent,
) -> Result<User, AppError> {
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
        is_verified: verified,
        role: if claim_first_admin { Role::Admin } else { Role::User },
        last_login: None,
        created_at: format_timestamp(now),
        updated_at: None,
        tokens_valid_after_ms: None,
        reset_token_hash: None,
        verification_token_hash: verification.as_ref().map(|(token, _)| token.hash.clone()),
        email_change_token_hash: None,
        mfa_enabled: false,
    };
    let pending = verification.as_ref().map(|(token, message)| (token, message));
    let events = [event.target("user", id).subject(id).at(now)];
    let mut outcome = app
        .store
        .create_user(&user, claim_first_admin, pending, &events)
        .await?;
    if let CreateUserOutcome::FirstAdminAlreadyClaimed = outcome {
        user.role = Role::User;
        outcome = app.store.create_user(&user, false, pending, &events).await?;
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

/// `POST /auth/register`: public sign-up, closed by `REGISTRATION_ENABLED=false`. Pending
/// invites for the address are accepted now with `INVITE_AUTO_ACCEPT=registration`, else once
/// the address is verified; an `invite_token` to this address proves it, so the account starts
/// verified and joins at once in either mode.
pub async fn register(app: &App, registration: Registration, invite_token: Option<&str>) -> Result<User, AppError> {
    if !app.settings.registration_enabled {
        return Err(AppError::Forbidden("Registration is closed".into()));
    }
    if let Some(secret) = invite_token {
        invites::check_registration_token(app, secret, &registration.email).await?;
    }
    let proven = invite_token.is_some();
    let event = AuditEvent::new("auth.user_registered").actor_email(registration.email.as_str());
    let user = create_user_with(app, registration, !proven, proven, event).await?;
    if proven || app.settings.invite_auto_accept == AutoAccept::Registration {
        // The account (user, email guard, verification token and mail) is one transaction and
        // is done. Should DynamoDB fail while its pending invites are accepted, each invite is
        // either accepted whole or still pending and acceptable with its token: the
        // registration succeeded, so it answers as such (a 503 here would send the client into
        // "Email already registered").
        if let Err(error) = invites::accept_pending_for(app, &user).await {
            match error {
                AppError::Internal(StoreError::Unavailable { operation, class }) => {
                    tracing::warn!(
                        operation,
                        error_class = class.as_str(),
                        user_id = user.id,
                        "pending invites left pending at registration"
                    );
                }
                other => return Err(other),
            }
        }
    }
    Ok(user)
}
