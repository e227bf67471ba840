//! Password reset and email verification: one-time tokens delivered by mail, consumed once.

use crate::audit::AuditEvent;
use crate::clock::format_timestamp;
use crate::domain::invites;
use crate::domain::mail;
use crate::domain::one_time;
use crate::domain::password;
use crate::domain::sessions;
use crate::domain::store_error::StoreError;
use crate::error::AppError;
use crate::model::{AutoAccept, Email, MailContent, MailSecret, OneTimeToken, Password, Purpose, QueuedMail, User};
use crate::App;
use chrono::{DateTime, Duration, Utc};

pub const INVALID_TOKEN: &str = "Invalid or expired token";

fn invalid_token() -> AppError {
    AppError::BadRequest(INVALID_TOKEN.into())
}

/// A fresh verification token for a user and the queued mail that carries it.
pub fn verification_token(app: &App, user_id: i64, email: &str, now: DateTime<Utc>) -> (OneTimeToken, QueuedMail) {
    let hours = app.settings.email_verification_expire_hours;
    let issued = one_time::issue(
        Purpose::EmailVerification,
        user_id,
        email,
        format_timestamp(now),
        (now + Duration::hours(hours)).timestamp(),
    );
    let content = MailContent::Verification {
        token: MailSecret(issued.secret),
        expire_hours: hours,
    };
    (issued.record, mail::queue(app, email, &content, now))
}

/// `POST /auth/password-reset/request`. Same answer and comparable work for every address: a
/// live account gets a token; any other address gets a notice that no account matched (as Ory
/// Kratos does), so both paths read twice, seal one message and write one three-item
/// transaction. Delivery happens later, in the mailer, so it costs neither path anything.
pub async fn request_password_reset(app: &App, email: &Email) -> Result<(), AppError> {
    let now = app.clock.now();
    let user = app.store.user_by_email_padded(email.as_str()).await?;
    let event = AuditEvent::new("auth.password_reset_requested").actor_email(email.as_str());
    match user.filter(|u| u.is_active) {
        Some(user) => {
            let minutes = app.settings.password_reset_expire_minutes;
            let issued = one_time::issue(
                Purpose::PasswordReset,
                user.id,
                &user.email,
                format_timestamp(now),
                (now + Duration::minutes(minutes)).timestamp(),
            );
            let content = MailContent::PasswordReset {
                token: MailSecret(issued.secret),
                expire_minutes: minutes,
            };
            let queued = mail::queue(app, &user.email, &content, now);
            let event = event.subject(user.id).at(now);
            if app.store.issue_token(&issued.record, &queued, &[event]).await? {
                mail::log_queued(&queued);
            }
        }
        None => {
            let queued = mail::queue(app, email.as_str(), &MailContent::UnknownAccountReset, now);
            app.store.queue_mail_like_a_token(&queued, &[event.at(now)]).await?;
            mail::log_queued(&queued);
        }
    }
    Ok(())
}

/// The stored token behind `secret`, if it is of this purpose and unexpired.
async fn live_token(app: &App, secret: &str, purpose: Purpose) -> Result<OneTimeToken, AppError> {
    let token = app.store.one_time_token(&one_time::hash(secret)).await?;
    token
        .filter(|t| t.purpose == purpose && t.expires_at > app.clock.now().timestamp())
        .ok_or_else(invalid_token)
}

/// `POST /auth/password-reset/confirm`: sets the password, consumes the token exactly once, ends
/// every access token issued before, lifts the email's lockout, and tells the owner (a notice
/// queued in the same transaction). An account with a second factor keeps its lockout count:
/// lifting it would give whoever reads the mailbox a fresh budget of code guesses per reset.
pub async fn confirm_password_reset(app: &App, secret: &str, new_password: Password) -> Result<(), AppError> {
    let token = live_token(app, secret, Purpose::PasswordReset).await?;
    let has_second_factor = app.store.user(token.user_id).await?.is_some_and(|u| u.mfa_enabled);
    let hashed = password::hash(&new_password).await;
    let now = app.clock.now();
    // Tokens issued in this very millisecond may predate the reset, so they end too.
    let tokens_valid_after_ms = now.timestamp_millis() + 1;
    let notice = mail::queue(
        app,
        &token.email,
        &MailContent::PasswordChanged {
            changed_at: format_timestamp(now),
            kept_signed_in: false,
        },
        now,
    );
    let consumed = app
        .store
        .consume_password_reset(
            &token,
            &hashed,
            &format_timestamp(now),
            tokens_valid_after_ms,
            now.timestamp(),
            &notice,
            !has_second_factor,
            &[AuditEvent::new("auth.password_reset_confirmed")
                .actor_id(token.user_id)
                .subject(token.user_id)
                .at(now)],
        )
        .await?;
    if !consumed {
        return Err(invalid_token());
    }
    mail::log_queued(&notice);
    // Nothing to keep (ASVS 7.4.3): every session ends, the one that asked included. The
    // consumed token's `tokens_valid_after_ms` already refuses every earlier access and refresh
    // token; marking the sessions revoked is bookkeeping, so a DynamoDB fault here does not undo
    // the answer: the reset is done.
    if let Err(error) = sessions::revoke_all(app, token.user_id, token.user_id, None).await {
        match error {
            AppError::Internal(StoreError::Unavailable { operation, class }) => {
                tracing::warn!(
                    operation,
                    error_class = class.as_str(),
                    "sessions left to expire after a reset"
                );
            }
            other => return Err(other),
        }
    }
    Ok(())
}

/// `POST /auth/verify-email`.
pub async fn verify_email(app: &App, secret: &str) -> Result<(), AppError> {
    let token = live_token(app, secret, Purpose::EmailVerification).await?;
    let now = app.clock.now();
    let event = AuditEvent::new("auth.email_verified")
        .actor_id(token.user_id)
        .subject(token.user_id)
        .at(now);
    if !app
        .store
        .consume_email_verification(&token, &format_timestamp(now), now.timestamp(), &[event])
        .await?
    {
        return Err(invalid_token());
    }
    // The address is proven now: with INVITE_AUTO_ACCEPT=verification its invites apply.
    if app.settings.invite_auto_accept == AutoAccept::Verification {
        if let Some(user) = app.store.user(token.user_id).await? {
            invites::accept_pending_for(app, &user).await?;
        }
    }
    Ok(())
}

pub enum Resend {
    Sent,
    AlreadyVerified,
}

/// `POST /auth/resend-verification`: a new token replaces the previous one.
pub async fn resend_verification(app: &App, user: &User) -> Result<Resend, AppError> {
    let now = app.clock.now();
    if user.is_verified {
        let event = AuditEvent::new("auth.resend_verification.noop_already_verified")
            .actor_id(user.id)
            .at(now);
        app.store.record(&[event]).await?;
        return Ok(Resend::AlreadyVerified);
    }
    let (token, queued) = verification_token(app, user.id, &user.email, now);
    let event = AuditEvent::new("auth.resend_verification.sent")
        .actor_id(user.id)
        .at(now);
    if app.store.issue_token(&token, &queued, &[event]).await? {
        mail::log_queued(&queued);
    }
    Ok(Resend::Sent)
}
