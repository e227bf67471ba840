//! Password reset and email verification: one-time tokens delivered by mail, consumed once.

use crate::audit::AuditEvent;
use crate::clock::format_timestamp;
use crate::domain::mail;
use crate::domain::one_time;
use crate::domain::password;
use crate::domain::sessions;
use crate::error::AppError;
use crate::model::{Email, OneTimeToken, OutboxMessage, Password, Purpose, User};
use crate::App;
use chrono::{DateTime, Duration, Utc};

pub const INVALID_TOKEN: &str = "Invalid or expired token";

fn invalid_token() -> AppError {
    AppError::BadRequest(INVALID_TOKEN.into())
}

/// A fresh verification token for a user and the message that carries it.
pub fn verification_token(app: &App, user_id: i64, email: &str, now: DateTime<Utc>) -> (OneTimeToken, OutboxMessage) {
    let hours = app.settings.email_verification_expire_hours;
    let issued = one_time::issue(
        Purpose::EmailVerification,
        user_id,
        email,
        format_timestamp(now),
        (now + Duration::hours(hours)).timestamp(),
    );
    let body = format!(
        "Welcome! Confirm your email address with this token within {hours} hours:\n\n{}\n\n\
         (POST /api/v1/auth/verify-email with {{\"token\": \"...\"}})",
        issued.secret
    );
    let message = mail::compose(email, "Verify your email address", body, now);
    (issued.record, message)
}

/// `POST /auth/password-reset/request`. Same answer and comparable work for every address: a
/// live account gets a token; any other address gets a notice that no account matched (as Ory
/// Kratos does), so both paths read twice and write once.
pub async fn request_password_reset(app: &App, email: &Email, ip: Option<&str>) -> Result<(), AppError> {
    let now = app.clock.now();
    let user = app.store.user_by_email_padded(email.as_str()).await?;
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
            let body = format!(
                "Someone asked to reset your password. If it was you, use this token within {minutes} minutes:\n\n{}\n\n\
                 (POST /api/v1/auth/password-reset/confirm with {{\"token\": \"...\", \"new_password\": \"...\"}})\n\
                 If it was not you, ignore this message: your password is unchanged.",
                issued.secret
            );
            let message = mail::compose(&user.email, "Reset your password", body, now);
            if app.store.issue_token(&issued.record, &message).await? {
                tracing::info!(to = %message.to, subject = %message.subject, "mail stored in the outbox");
            }
        }
        None => {
            let body = "Someone asked to reset the password of an account with this email address, \
                        but there is no active account for it. If it was not you, ignore this message."
                .to_string();
            let message = mail::compose(email.as_str(), "Password reset requested", body, now);
            app.store.queue_mail_like_a_token(&message).await?;
            tracing::info!(to = %message.to, subject = %message.subject, "mail stored in the outbox");
        }
    }
    AuditEvent::new("auth.password_reset_requested")
        .actor_email(email.as_str())
        .ip_address(ip)
        .emit(now);
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
/// every access token issued before, and lifts the email's lockout.
pub async fn confirm_password_reset(app: &App, secret: &str, new_password: Password) -> Result<(), AppError> {
    let token = live_token(app, secret, Purpose::PasswordReset).await?;
    let hashed = password::hash(&new_password).await;
    let now = app.clock.now();
    // Tokens issued in this very millisecond may predate the reset, so they end too.
    let tokens_valid_after_ms = now.timestamp_millis() + 1;
    let consumed = app
        .store
        .consume_password_reset(
            &token,
            &hashed,
            &format_timestamp(now),
            tokens_valid_after_ms,
            now.timestamp(),
        )
        .await?;
    if !consumed {
        return Err(invalid_token());
    }
    AuditEvent::new("auth.password_reset_confirmed")
        .actor_id(token.user_id)
        .emit(now);
    // Nothing to keep (ASVS 7.4.3): every session ends, the one that asked included.
    sessions::revoke_all(app, token.user_id, token.user_id, None).await?;
    Ok(())
}

/// `POST /auth/verify-email`.
pub async fn verify_email(app: &App, secret: &str) -> Result<(), AppError> {
    let token = live_token(app, secret, Purpose::EmailVerification).await?;
    let now = app.clock.now();
    if !app
        .store
        .consume_email_verification(&token, &format_timestamp(now), now.timestamp())
        .await?
    {
        return Err(invalid_token());
    }
    AuditEvent::new("auth.email_verified").actor_id(token.user_id).emit(now);
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
        AuditEvent::new("auth.resend_verification.noop_already_verified")
            .actor_id(user.id)
            .emit(now);
        return Ok(Resend::AlreadyVerified);
    }
    let (token, message) = verification_token(app, user.id, &user.email, now);
    if app.store.issue_token(&token, &message).await? {
        tracing::info!(to = %message.to, subject = %message.subject, "mail stored in the outbox");
    }
    AuditEvent::new("auth.resend_verification.sent")
        .actor_id(user.id)
        .emit(now);
    Ok(Resend::Sent)
}
