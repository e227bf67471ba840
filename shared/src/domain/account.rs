//! Self-service: a signed-in user changes their password or email address, or closes their
//! account. Each needs a session signed in with the second factor when the account has one
//! (step-up), then checks the password, counted on the email's lockout like a login.

use crate::audit::AuditEvent;
use crate::clock::format_timestamp;
use crate::domain::admin;
use crate::domain::lockout;
use crate::domain::mail;
use crate::domain::mfa;
use crate::domain::one_time;
use crate::domain::password;
use crate::domain::ports::{EmailChangeOutcome, PasswordChange, PasswordChangeOutcome};
use crate::domain::recovery::INVALID_TOKEN;
use crate::domain::sessions;
use crate::domain::store_error::StoreError;
use crate::error::AppError;
use crate::model::{Caller, Email, MailContent, MailSecret, Password, Purpose, TokenPair};
use crate::App;
use chrono::Duration;
use secrecy::SecretString;

/// Rounds of read-then-write when the caller's session is refreshed during a password change.
const SESSION_ROUNDS: usize = 3;

/// `POST /auth/change-password`. One transaction sets the new hash, ends every token issued
/// before it (`tokens_valid_after_ms`, as a reset does: atomic with the change, so no failure
/// leaves another session alive with the new password in place) and moves the caller's own
/// session to a new generation issued at that very instant, which alone survives; the caller
/// gets that generation's pair. The other sessions are then marked revoked (bookkeeping: they
/// are already refused).
pub async fn change_password(
    app: &App,
    caller: &Caller,
    current: SecretString,
    new_password: Password,
) -> Result<TokenPair, AppError> {
    let user = &caller.user;
    mfa::require_step_up(caller)?;
    lockout::confirm_password(app, user, current).await?;
    let new_hash = password::hash(&new_password).await;
    let mut changed = None;
    for _ in 0..SESSION_ROUNDS {
        let now = app.clock.now();
        let session = app
            .store
            .user_and_session(user.id, &caller.claims.sid)
            .await?
            .1
            .filter(|s| s.is_live(now))
            .ok_or(AppError::Unauthenticated)?;
        // Tokens issued in this very millisecond may predate the change, so they end too; the
        // caller's new pair is issued at the first instant after it.
        let valid_from = now + Duration::milliseconds(1);
        let (next, refresh) = sessions::advance(app, &session, valid_from);
        let notice = mail::queue(
            app,
            &user.email,
            &MailContent::PasswordChanged {
                changed_at: format_timestamp(now),
                kept_signed_in: true,
            },
            now,
        );
        let change = PasswordChange {
            user_id: user.id,
            from_hash: &user.hashed_password,
            new_hash: &new_hash,
            now: &format_timestamp(now),
            tokens_valid_after_ms: valid_from.timestamp_millis(),
            session: &next,
            from_generation: session.generation,
            refresh: &refresh,
            notice: &notice,
            events: &[AuditEvent::new("auth.password_changed")
                .actor_id(user.id)
                .actor_email(&user.email)
                .target("user", user.id)
                .subject(user.id)
                .at(now)],
        };
        match app.store.change_password(&change).await? {
            PasswordChangeOutcome::Changed => {
                mail::log_queued(&notice);
                changed = Some((next, valid_from));
                break;
            }
            // A parallel change won: the password checked is no longer the current one.
            PasswordChangeOutcome::PasswordMoved => {
                return Err(AppError::BadRequest(lockout::INCORRECT_PASSWORD.into()));
            }
            // Refreshed by another tab meanwhile: read the session again.
            PasswordChangeOutcome::SessionMoved => continue,
        }
    }
    let Some((session, valid_from)) = changed else {
        return Err(AppError::Conflict(
            "The session changed while the password was being changed: try again".into(),
        ));
    };
    keep_going_on_fault(
        sessions::revoke_all(app, user.id, user.id, Some(&session.id)).await,
        "sessions left to expire after a password change",
    )?;
    let mut user = user.clone();
    user.hashed_password = new_hash;
    user.tokens_valid_after_ms = Some(valid_from.timestamp_millis());
    Ok(sessions::pair(app, user, &session, valid_from).await)
}

/// Bookkeeping after the change committed: a DynamoDB fault there does not undo the answer.
fn keep_going_on_fault<T>(result: Result<T, AppError>, what: &'static str) -> Result<(), AppError> {
    match result {
        Ok(_) => Ok(()),
        Err(AppError::Internal(StoreError::Unavailable { operation, class })) => {
            tracing::warn!(operation, error_class = class.as_str(), "{what}");
            Ok(())
        }
        Err(other) => Err(other),
    }
}

/// `POST /auth/change-email`: mails a confirmation link to the new address and a notice to the
/// current one. The answer is the same whether or not the new address has an account: if it
/// has, it gets a notice instead of a token (at the cost of the token's transaction), so the
/// request reveals nothing; the confirmation refuses a taken address anyway.
pub async fn request_email_change(
    app: &App,
    caller: &Caller,
    new_email: &Email,
    password: SecretString,
) -> Result<(), AppError> {
    let user = &caller.user;
    mfa::require_step_up(caller)?;
    lockout::confirm_password(app, user, password).await?;
    if new_email.as_str() == user.email {
        return Err(AppError::BadRequest(
            "The new email address is the account's current one".into(),
        ));
    }
    let now = app.clock.now();
    let event = AuditEvent::new("auth.email_change_requested")
        .actor_id(user.id)
        .actor_email(&user.email)
        .target("user", user.id)
        .subject(user.id)
        .at(now);
    let notice = mail::queue(
        app,
        &user.email,
        &MailContent::EmailChangeRequested {
            new_email: new_email.to_string(),
        },
        now,
    );
    let to_new = if app.store.email_taken(new_email.as_str()).await? {
        let taken = mail::queue(app, new_email.as_str(), &MailContent::EmailChangeAddressTaken, now);
        app.store
            .queue_mail_like_an_email_change(&taken, &notice, &[event])
            .await?;
        taken
    } else {
        let hours = app.settings.email_verification_expire_hours;
        let mut issued = one_time::issue(
            Purpose::EmailChange,
            user.id,
            &user.email,
            format_timestamp(now),
            (now + Duration::hours(hours)).timestamp(),
        );
        issued.record.new_email = Some(new_email.to_string());
        let confirmation = mail::queue(
            app,
            new_email.as_str(),
            &MailContent::EmailChange {
                token: MailSecret(issued.secret),
                expire_hours: hours,
            },
            now,
        );
        if !app
            .store
            .issue_email_change(&issued.record, &confirmation, &notice, &[event])
            .await?
        {
            return Err(AppError::Unauthenticated);
        }
        confirmation
    };
    mail::log_queued(&to_new);
    mail::log_queued(&notice);
    Ok(())
}

/// `POST /auth/change-email/confirm`: the token (which proves the new mailbox) moves the account
/// to its address, marked verified, in one transaction with the email guards; of parallel
/// confirms to one address exactly one wins, and a taken address changes nothing (400).
pub async fn confirm_email_change(app: &App, secret: &str) -> Result<(), AppError> {
    let invalid = || AppError::BadRequest(INVALID_TOKEN.into());
    let now = app.clock.now();
    let token = app
        .store
        .one_time_token(&one_time::hash(secret))
        .await?
        .filter(|t| t.purpose == Purpose::EmailChange && t.expires_at > now.timestamp())
        .ok_or_else(invalid)?;
    let new_email = token.new_email.clone().ok_or_else(invalid)?;
    let event = AuditEvent::new("auth.email_changed")
        .actor_id(token.user_id)
        .actor_email(&new_email)
        .target("user", token.user_id)
        .subject(token.user_id)
        .detail(format!("from {}", token.email))
        .at(now);
    let outcome = app
        .store
        .confirm_email_change(&token, &new_email, &format_timestamp(now), now.timestamp(), &[event])
        .await?;
    match outcome {
        EmailChangeOutcome::Changed => Ok(()),
        EmailChangeOutcome::InvalidToken => Err(invalid()),
        EmailChangeOutcome::AddressTaken => Err(AppError::EmailTaken),
    }
}

/// `DELETE /auth/me`: the admin delete's rules (`admin::close_account`) on the caller's own
/// account; every session ends with it (its tokens name a user that is gone).
pub async fn close_own_account(app: &App, caller: &Caller, password: SecretString) -> Result<(), AppError> {
    let user = &caller.user;
    mfa::require_step_up(caller)?;
    lockout::confirm_password(app, user, password).await?;
    let event = AuditEvent::new("auth.account_deleted")
        .actor_id(user.id)
        .actor_email(&user.email)
        .target("user", user.id)
        .subject(user.id)
        .at(app.clock.now());
    admin::close_account(app, user.id, user, event).await
}
