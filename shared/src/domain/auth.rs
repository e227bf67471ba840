//! Login, bearer-token authentication and logout.

use crate::audit::AuditEvent;
use crate::domain::one_time;
use crate::domain::password;
use crate::domain::ports::{failure_expiry, FailureCount};
use crate::domain::sessions;
use crate::error::AppError;
use crate::model::{Caller, Email, Origin, TokenPair};
use crate::App;
use secrecy::SecretString;

const USERNAME_HASH_LABEL: &str = "gatehouse username hash";

pub const ACCOUNT_LOCKED: &str =
    "Account temporarily locked due to too many failed login attempts. Please try again later.";

/// `POST /auth/token`: the password grant. Unknown emails and wrong passwords are one answer and
/// cost one Argon2 verification each. Failures are counted per normalised email whether or not
/// an account exists, so the lockout's 403 reveals nothing either.
pub async fn login(app: &App, username: &str, password: SecretString, origin: &Origin) -> Result<TokenPair, AppError> {
    let ip = origin.ip.as_deref();
    let email = Email::parse(username).ok();
    // Anything that is not an email (of any length) is counted under a keyed hash, which keeps
    // the item key short and, since it also appears in the audit log, makes a password typed
    // into the username field impossible to crack from the logs.
    let lockout_key = email.as_ref().map_or_else(
        || {
            let key = app.settings.derived_key(USERNAME_HASH_LABEL);
            format!(
                "not-an-email:{}",
                one_time::keyed_hash(&key, &username.trim().to_lowercase())
            )
        },
        |e| e.to_string(),
    );
    let attempts = app.settings.lockout_attempts;
    let lock_ms = app.settings.lockout_minutes * 60_000;
    let email_text = email.as_ref().map(|e| e.as_str());
    let (mut failures, user_id) = app.store.failures_and_user_id(&lockout_key, email_text).await?;
    let started_ms = app.clock.now().timestamp_millis();
    // Failures older than the lockout period are forgotten; that also ends an expired lock.
    if failures.is_stale(started_ms, lock_ms) {
        app.store.clear_failures(&lockout_key, failures).await?;
        failures = FailureCount::default();
    }
    if failures.is_locked(attempts) {
        return Err(locked(app, &lockout_key));
    }

    // An unknown email costs the same read as a known one, so timing tells them apart no more
    // than the answer does.
    let user = app
        .store
        .user(user_id.unwrap_or(0))
        .await?
        .filter(|_| user_id.is_some());
    let stored_hash = user.as_ref().map(|u| u.hashed_password.clone());
    if !password::verify(password, stored_hash).await {
        let now_ms = app.clock.now().timestamp_millis();
        let expires_at = failure_expiry(now_ms, lock_ms);
        let Some(count) = app
            .store
            .add_failure(&lockout_key, attempts, now_ms, expires_at)
            .await?
        else {
            return Err(locked(app, &lockout_key));
        };
        AuditEvent::new("auth.login_failed")
            .actor_email(&lockout_key)
            .ip_address(ip)
            .emit(app.clock.now());
        if count == attempts {
            AuditEvent::new("auth.account_locked")
                .actor_email(&lockout_key)
                .emit(app.clock.now());
        }
        return Err(AppError::InvalidCredentials);
    }
    let user = user.expect("a matching password implies a user");
    if failures.failures > 0 {
        app.store.clear_failures(&lockout_key, failures).await?;
    }
    if !user.is_active {
        AuditEvent::new("auth.login_disabled")
            .actor_email(&user.email)
            .actor_id(user.id)
            .ip_address(ip)
            .emit(app.clock.now());
        return Err(AppError::Forbidden("Account disabled".into()));
    }
    let now = app.clock.now();
    AuditEvent::new("auth.login_success")
        .actor_email(&user.email)
        .actor_id(user.id)
        .ip_address(ip)
        .emit(now);
    // The session is written together with `last_login`.
    sessions::start(app, user, "password", origin).await
}

fn locked(app: &App, lockout_key: &str) -> AppError {
    AuditEvent::new("auth.login_locked")
        .actor_email(lockout_key)
        .emit(app.clock.now());
    AppError::Forbidden(ACCOUNT_LOCKED.into())
}

/// Resolves an access token to a live, active user in a live session; every failure is the
/// same 401.
pub async fn authenticate(app: &App, token: &str) -> Result<Caller, AppError> {
    let now = app.clock.now();
    let claims = app.tokens.verify(token, now).ok_or(AppError::Unauthenticated)?;
    let user_id = claims.user_id().ok_or(AppError::Unauthenticated)?;
    let (user, revoked, session) = app
        .store
        .token_context(user_id, &claims.jti, &claims.sid, now.timestamp())
        .await?;
    let user = user.ok_or(AppError::Unauthenticated)?;
    let issued_at_ms = claims.issued_at_ms().ok_or(AppError::Unauthenticated)?;
    let superseded = user.tokens_valid_after_ms.is_some_and(|after| issued_at_ms < after);
    let session_live = session.is_some_and(|s| s.is_live(now));
    if revoked || superseded || !user.is_active || !session_live {
        return Err(AppError::Unauthenticated);
    }
    Ok(Caller { user, claims })
}

/// `POST /auth/logout`: revokes this token's `jti` until it would have expired, and its session
/// (with every other token of it); the user's other sessions live on.
pub async fn logout(app: &App, caller: &Caller) -> Result<(), AppError> {
    app.store.revoke_token(&caller.claims.jti, caller.claims.exp).await?;
    app.store.revoke_session(caller.user.id, &caller.claims.sid).await?;
    AuditEvent::new("auth.logout")
        .actor_id(caller.user.id)
        .target("session", caller.claims.sid.clone())
        .emit(app.clock.now());
    Ok(())
}
