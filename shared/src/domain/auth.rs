//! Login, bearer-token authentication and logout.

use crate::audit::AuditEvent;
use crate::domain::keys::USERNAME_HASH_LABEL;
use crate::domain::one_time;
use crate::domain::password;
use crate::domain::password::Verdict;
use crate::domain::ports::Reservation;
use crate::domain::sessions;
use crate::error::AppError;
use crate::model::{Caller, Email, Origin, TokenPair};
use crate::App;
use secrecy::SecretString;

pub const ACCOUNT_LOCKED: &str =
    "Account temporarily locked due to too many failed login attempts. Please try again later.";

/// Rounds of read-then-reserve before an attempt gives up as locked (a round is lost only to
/// a parallel attempt that restarted a stale counter first).
const RESERVE_ROUNDS: usize = 3;

/// `POST /auth/token`: the password grant. Unknown emails and wrong passwords are one answer and
/// cost one Argon2 verification each. Attempts are counted per normalised email whether or not
/// an account exists, so the lockout's 403 reveals nothing either.
///
/// Each attempt first reserves a slot on the email's counter with one conditional write (see
/// `Reservation`), and only then checks the password: of any number of parallel attempts, at
/// most `ACCOUNT_LOCKOUT_ATTEMPTS` per lock period reach a password check. A failure keeps its
/// slot; a success frees the counter unless attempts were reserved after it.
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
    let attempts = app.settings.lockout_attempts;
    let lock_ms = app.settings.lockout_minutes * 60_000;
    let email_text = email.as_ref().map(|e| e.as_str());
    let (mut seen, user_id) = app.store.failures_and_user_id(&lockout_key, email_text).await?;
    let mut slot = None;
    for _ in 0..RESERVE_ROUNDS {
        let now_ms = app.clock.now().timestamp_millis();
        let Some(reservation) = Reservation::plan(seen, now_ms, lock_ms, attempts) else {
            break;
        };
        slot = app.store.reserve_attempt(&lockout_key, &reservation).await?;
        if slot.is_some() {
            break;
        }
        // Locked by parallel attempts, or restarted by one: read again and decide again.
        seen = app.store.failures_and_user_id(&lockout_key, None).await?.0;
    }
    let Some(slot) = slot else {
        return Err(locked(app, &lockout_key, user_id).await);
    };

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
        let now = app.clock.now();
        let mut events = vec![on_account(AuditEvent::new("auth.login_failed"), user_id)
            .actor_email(&lockout_key)
            .at(now)];
        if slot == attempts {
            events.push(
                on_account(AuditEvent::new("auth.account_locked"), user_id)
                    .actor_email(&lockout_key)
                    .at(now),
            );
        }
        app.store.record(&events).await?;
        return Err(AppError::InvalidCredentials);
    };
    let user = user.expect("a matching password implies a user");
    app.store.clear_failures(&lockout_key, slot).await?;
    if !user.is_active {
        let event = AuditEvent::new("auth.login_disabled")
            .actor_email(&user.email)
            .actor_id(user.id)
            .subject(user.id)
            .at(app.clock.now());
        app.store.record(&[event]).await?;
        return Err(AppError::Forbidden("Account disabled".into()));
    }
    let now = app.clock.now();
    let mut event = AuditEvent::new("auth.login_success")
        .actor_email(&user.email)
        .actor_id(user.id)
        .subject(user.id);
    if upgraded.is_some() {
        event = event.detail("password hash upgraded to the current parameters");
    }
    // The session is written together with `last_login` (and the upgraded hash) and the event.
    sessions::start_login(app, user, origin, upgraded, event.at(now)).await
}

/// Lists the event in the security log of the account the email belongs to, if any.
fn on_account(event: AuditEvent, user_id: Option<i64>) -> AuditEvent {
    match user_id {
        Some(id) => event.subject(id),
        None => event,
    }
}

/// The 403 of a locked email, recorded (a failure to record it is the answer instead).
async fn locked(app: &App, lockout_key: &str, user_id: Option<i64>) -> AppError {
    let event = on_account(AuditEvent::new("auth.login_locked"), user_id)
        .actor_email(lockout_key)
        .at(app.clock.now());
    match app.store.record(&[event]).await {
        Ok(()) => AppError::Forbidden(ACCOUNT_LOCKED.into()),
        Err(error) => error.into(),
    }
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
