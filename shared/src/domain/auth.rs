//! Login, bearer-token authentication and logout.

use crate::audit::AuditEvent;
use crate::domain::keys::USERNAME_HASH_LABEL;
use crate::domain::lockout;
use crate::domain::mfa;
use crate::domain::one_time;
use crate::domain::password;
use crate::domain::password::Verdict;
use crate::domain::sessions;
use crate::error::AppError;
use crate::model::{Caller, Email, Origin, TokenPair};
use crate::App;
use secrecy::SecretString;

/// `POST /auth/token`: the password grant. Unknown emails and wrong passwords are one answer and
/// cost one Argon2 verification each. Attempts are counted per normalised email whether or not
/// an account exists, so the lockout's 403 reveals nothing either (see `lockout`).
///
/// For an account with a second factor, the right password answers `AppError::MfaRequired`
/// with a challenge for `mfa::verify` instead of a session, and counts as an attempt until that
/// second step succeeds.
pub async fn login(app: &App, username: &str, password: SecretString, origin: &Origin) -> Result<TokenPair, AppError> {
    let email = Email::parse(username).ok();
    // Anything that is not an email (of any length) is counted under a keyed hash, which keeps
    // the item key short and, since it also appears in the audit log, makes a password typed
    // into the username field impossible to crack from the logs.
    let lockout_key = email.as_ref().map_or_else(
        || {
            let key = app.derived_key(USERNAME_HASH_LABEL);
            format!(
                "not-an-email:{}",
                one_time::keyed_hash(&key, &username.trim().to_lowercase())
            )
        },
        |e| e.to_string(),
    );
    let email_text = email.as_ref().map(|e| e.as_str());
    let (slot, user_id) = lockout::reserve(app, &lockout_key, email_text, None).await?;

    // An unknown email costs the same read as a known one, so timing tells them apart no more
    // than the answer does.
    let user = app
        .store
        .user(user_id.unwrap_or(0))
        .await?
        .filter(|_| user_id.is_some());
    let stored_hash = user.as_ref().map(|u| u.hashed_password.clone());
    app.password_checks.record();
    let Verdict::Match { upgraded } = password::verify_and_upgrade(password, stored_hash).await else {
        // The attempt keeps its slot: that is the failure counted. Known or not, the email
        // costs the same write here.
        let failure = AuditEvent::new("auth.login_failed").actor_email(&lockout_key);
        lockout::failed(app, &lockout_key, slot, user_id, failure).await?;
        return Err(AppError::InvalidCredentials);
    };
    let user = user.expect("a matching password implies a user");
    if !user.is_active {
        // With a second factor, the attempt keeps its slot until the second step succeeds: were
        // a right password to clear the count, it would restart the budget of wrong codes.
        if !user.mfa_enabled {
            lockout::succeeded(app, &lockout_key, slot).await?;
        }
        let event = AuditEvent::new("auth.login_disabled")
            .actor_email(&user.email)
            .actor_id(user.id)
            .subject(user.id)
            .at(app.clock.now());
        app.store.record(&[event]).await?;
        return Err(AppError::Forbidden("Account disabled".into()));
    }
    if user.mfa_enabled {
        // No session yet: the second step (`mfa::verify`) starts it.
        let mfa_token = mfa::challenge(app, &user).await?;
        return Err(AppError::MfaRequired { mfa_token });
    }
    let now = app.clock.now();
    let mut event = AuditEvent::new("auth.login_success")
        .actor_email(&user.email)
        .actor_id(user.id)
        .subject(user.id);
    if upgraded.is_some() {
        event = event.detail("password hash upgraded to the current parameters");
    }
    // The session is written together with `last_login` (and the upgraded hash), the freed
    // lockout slot and the event.
    let freed = slot.freed_on(&lockout_key);
    sessions::start_login(app, user, origin, upgraded, freed, event.at(now)).await
}

/// Resolves an access token to a live, active user in a live session; every failure is the
/// same 401.
pub async fn authenticate(app: &App, token: &str) -> Result<Caller, AppError> {
    let now = app.clock.now();
    let claims = app.tokens.verify(token, now).await.ok_or(AppError::Unauthenticated)?;
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
    let event = AuditEvent::new("auth.logout")
        .actor_id(caller.user.id)
        .subject(caller.user.id)
        .target("session", caller.claims.sid.clone())
        .at(app.clock.now());
    app.store
        .end_session(
            caller.user.id,
            &caller.claims.sid,
            &caller.claims.jti,
            caller.claims.exp,
            &[event],
        )
        .await?;
    Ok(())
}
