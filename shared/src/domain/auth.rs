//! Login, bearer-token authentication and logout.

use crate::audit::AuditEvent;
use crate::clock::format_timestamp;
use crate::domain::email::Email;
use crate::domain::password;
use crate::domain::tokens::AccessClaims;
use crate::domain::users::User;
use crate::error::AppError;
use crate::App;

/// Who is calling, established from a valid bearer token.
pub struct Caller {
    pub user: User,
    pub claims: AccessClaims,
}

/// `POST /auth/token`: the password grant. Unknown emails and wrong passwords are one answer and
/// cost one Argon2 verification each.
pub async fn login(
    app: &App,
    username: &str,
    password: String,
    ip: Option<&str>,
) -> Result<String, AppError> {
    let user = match Email::parse(username) {
        Ok(email) => app.store.user_by_email(email.as_str()).await?,
        Err(_) => None,
    };
    let stored_hash = user.as_ref().map(|u| u.hashed_password.clone());
    if !password::verify(password, stored_hash).await {
        AuditEvent::new("auth.login_failed")
            .actor_email(username.trim())
            .ip_address(ip)
            .emit(app.clock.now());
        return Err(AppError::InvalidCredentials);
    }
    let user = user.expect("a matching password implies a user");
    if !user.is_active {
        AuditEvent::new("auth.login_disabled")
            .actor_email(&user.email)
            .actor_id(user.id)
            .ip_address(ip)
            .emit(app.clock.now());
        return Err(AppError::Forbidden("Account disabled".into()));
    }
    let now = app.clock.now();
    app.store
        .set_last_login(user.id, &format_timestamp(now))
        .await?;
    let (token, _) = app.tokens.issue(&user, now);
    AuditEvent::new("auth.login_success")
        .actor_email(&user.email)
        .actor_id(user.id)
        .ip_address(ip)
        .emit(now);
    Ok(token)
}

/// Resolves a bearer token to a live, active user; every failure is the same 401.
pub async fn authenticate(app: &App, token: &str) -> Result<Caller, AppError> {
    let now = app.clock.now();
    let claims = app
        .tokens
        .verify(token, now)
        .ok_or(AppError::Unauthenticated)?;
    let user_id = claims.user_id().ok_or(AppError::Unauthenticated)?;
    let (user, revoked) = app
        .store
        .user_and_revocation(user_id, &claims.jti, now.timestamp())
        .await?;
    let user = user.ok_or(AppError::Unauthenticated)?;
    let issued_at_ms = claims.issued_at_ms().ok_or(AppError::Unauthenticated)?;
    let superseded = user
        .tokens_valid_after_ms
        .is_some_and(|after| issued_at_ms < after);
    if revoked || superseded || !user.is_active {
        return Err(AppError::Unauthenticated);
    }
    Ok(Caller { user, claims })
}

/// `POST /auth/logout`: revokes this token's `jti` until it would have expired.
pub async fn logout(app: &App, caller: &Caller) -> Result<(), AppError> {
    app.store
        .revoke_token(&caller.claims.jti, caller.claims.exp)
        .await?;
    AuditEvent::new("auth.logout")
        .actor_id(caller.user.id)
        .emit(app.clock.now());
    Ok(())
}
