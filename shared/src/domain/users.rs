//! Users: the stored record, what the API shows of it, and registration.

use crate::audit::AuditEvent;
use crate::clock::format_timestamp;
use crate::domain::password;
use crate::domain::ports::CreateUserOutcome;
use crate::domain::store_error::StoreError;
use crate::domain::{invites, mail, recovery, sessions};
use crate::error::AppError;
use crate::model::{AutoAccept, FullName, Origin, Registration, Role, TokenPair, User, AMR_PASSWORD};
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
    let (user, _) = create_user_with(app, registration, send_verification, false, None, event).await?;
    Ok(user)
}

/// As `create_user`; `verified` when the address is already proven (an invite token to it);
/// with `signs_in`, the new user's first session too (its origin), in the same transaction.
///
/// A taken email is refused by the email guard's condition in that transaction, not by a read
/// before it: one round trip fewer for every registration, for an id left unused and a hash
/// computed in vain by each refused one.
async fn create_user_with(
    app: &App,
    registration: Registration,
    send_verification: bool,
    verified: bool,
    signs_in: Option<&Origin>,
    event: AuditEvent,
) -> Result<(User, Option<TokenPair>), AppError> {
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
    let session = signs_in.map(|origin| sessions::open(app, id, "registration", origin, &[AMR_PASSWORD], now));
    let first_session = session.as_ref().map(|(session, first)| (session, first));
    let events = [event.target("user", id).subject(id).at(now)];
    let mut outcome = app
        .store
        .create_user(&user, claim_first_admin, pending, first_session, &events)
        .await?;
    if let CreateUserOutcome::FirstAdminAlreadyClaimed = outcome {
        user.role = Role::User;
        outcome = app
            .store
            .create_user(&user, false, pending, first_session, &events)
            .await?;
    }
    match outcome {
        CreateUserOutcome::Created => {
            if let Some((_, queued)) = &verification {
                mail::log_queued(queued);
            }
            let pair = match &session {
                Some((session, _)) => Some(sessions::pair(app, user.clone(), session, now).await),
                None => None,
            };
            Ok((user, pair))
        }
        CreateUserOutcome::EmailTaken => Err(AppError::EmailTaken),
        CreateUserOutcome::FirstAdminAlreadyClaimed => unreachable!("the retry does not claim"),
    }
}

/// `POST /auth/register`: public sign-up, closed by `REGISTRATION_ENABLED=false`. Pending
/// invites for the address are accepted now with `INVITE_AUTO_ACCEPT=registration`, else once
/// the address is verified; an `invite_token` to this address proves it, so the account starts
/// verified and joins at once in either mode. The account is signed in: its first session is
/// written with it.
pub async fn register(
    app: &App,
    registration: Registration,
    invite_token: Option<&str>,
    origin: &Origin,
) -> Result<(User, TokenPair), AppError> {
    if !app.settings.registration_enabled {
        return Err(AppError::Forbidden("Registration is closed".into()));
    }
    if let Some(secret) = invite_token {
        invites::check_registration_token(app, secret, &registration.email).await?;
    }
    let proven = invite_token.is_some();
    let event = AuditEvent::new("auth.user_registered").actor_email(registration.email.as_str());
    let (user, pair) = create_user_with(app, registration, !proven, proven, Some(origin), event).await?;
    let pair = pair.expect("a registration signs in");
    if proven || app.settings.invite_auto_accept == AutoAccept::Registration {
        // The account (user, email guard, verification token and mail, first session) is one
        // transaction and is done. Should DynamoDB fail while its pending invites are
        // accepted, each invite is either accepted whole or still pending and acceptable with
        // its token: the registration succeeded, so it answers as such (a 503 here would send
        // the client into "Email already registered").
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
    Ok((user, pair))
}
