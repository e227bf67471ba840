//! The lockout: failed attempts in a row, counted per subject (a normalised email, whether or
//! not an account exists), lock it for `ACCOUNT_LOCKOUT_MINUTES` after `ACCOUNT_LOCKOUT_ATTEMPTS`.
//! Password logins and the second step of a login (wrong codes) count on the same counter; for
//! an account with a second factor, only the second step's success clears it.
//!
//! Each attempt first reserves a slot on the counter with one conditional write (see
//! `Reservation`), and only then checks what it was given: of any number of parallel attempts,
//! at most `ACCOUNT_LOCKOUT_ATTEMPTS` per lock period reach a check. A failure keeps its slot;
//! a success frees the counter unless attempts were reserved after it.

use crate::audit::AuditEvent;
use crate::domain::password;
use crate::domain::ports::{FreedSlot, Reservation};
use crate::error::AppError;
use crate::model::User;
use crate::App;
use secrecy::SecretString;

pub const ACCOUNT_LOCKED: &str =
    "Account temporarily locked due to too many failed login attempts. Please try again later.";

/// Rounds of read-then-reserve before an attempt gives up as locked (a round is lost only to
/// a parallel attempt that restarted a stale counter first).
const RESERVE_ROUNDS: usize = 3;

/// An attempt's slot on a lockout counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot(pub i64);

impl Slot {
    /// This failure is the one that locks the subject.
    pub fn locks(self, app: &App) -> bool {
        self.0 == app.settings.lockout_attempts
    }

    /// A success's slot on `subject`'s counter, for the write that completes the login to free
    /// it (as `succeeded` does).
    pub fn freed_on(self, subject: &str) -> FreedSlot<'_> {
        FreedSlot {
            lockout: subject,
            slot: self.0,
        }
    }
}

/// Reserves the next attempt slot for `subject`, or answers the lockout's 403 (recorded as
/// `auth.login_locked`). `email` is also looked up in the same round trip, for the login;
/// `account` is the subject's account when the caller already knows it. The account found either
/// way is answered, and lists the lockout's events in its security log.
pub async fn reserve(
    app: &App,
    subject: &str,
    email: Option<&str>,
    account: Option<i64>,
) -> Result<(Slot, Option<i64>), AppError> {
    let attempts = app.settings.lockout_attempts;
    let lock_ms = app.settings.lockout_minutes * 60_000;
    let (mut seen, found) = app.store.failures_and_user_id(subject, email).await?;
    let account = account.or(found);
    for _ in 0..RESERVE_ROUNDS {
        let now_ms = app.clock.now().timestamp_millis();
        let Some(reservation) = Reservation::plan(seen, now_ms, lock_ms, attempts) else {
            break;
        };
        if let Some(slot) = app.store.reserve_attempt(subject, &reservation).await? {
            return Ok((Slot(slot), account));
        }
        // Locked by parallel attempts, or restarted by one: read again and decide again.
        seen = app.store.failures_and_user_id(subject, None).await?.0;
    }
    let event = on_account(AuditEvent::new("auth.login_locked"), account)
        .actor_email(subject)
        .at(app.clock.now());
    app.store.record(&[event]).await?;
    Err(AppError::Forbidden(ACCOUNT_LOCKED.into()))
}

/// After a successful attempt: forgets the counter unless attempts were reserved after `slot`.
pub async fn succeeded(app: &App, subject: &str, slot: Slot) -> Result<(), AppError> {
    app.store.clear_failures(subject, slot.0).await?;
    Ok(())
}

/// After a failed attempt (which keeps its slot): records `failure`, and the lock when this
/// failure set it, in one write whether or not `account` exists.
pub async fn failed(
    app: &App,
    subject: &str,
    slot: Slot,
    account: Option<i64>,
    failure: AuditEvent,
) -> Result<(), AppError> {
    let now = app.clock.now();
    let mut events = vec![on_account(failure, account).at(now)];
    if slot.locks(app) {
        events.push(
            on_account(AuditEvent::new("auth.account_locked"), account)
                .actor_email(subject)
                .at(now),
        );
    }
    app.store.record(&events).await?;
    Ok(())
}

/// Lists the event in the security log of the account, if there is one.
fn on_account(event: AuditEvent, account: Option<i64>) -> AuditEvent {
    match account {
        Some(id) => event.subject(id),
        None => event,
    }
}

pub const INCORRECT_PASSWORD: &str = "Incorrect password";

/// Re-checks the signed-in user's password before a credential change (change password or
/// email, close the account, enrol a second factor). The attempt counts on the email's lockout
/// counter exactly as a login does: the slot is reserved before Argon2 runs, a failure keeps it
/// (400), a success frees the counter, and a locked email gets the login's 403 without a check.
pub async fn confirm_password(app: &App, user: &User, password: SecretString) -> Result<(), AppError> {
    let (slot, _) = reserve(app, &user.email, None, Some(user.id)).await?;
    app.password_checks.record();
    if !password::verify(password, Some(user.hashed_password.clone())).await {
        let failure = AuditEvent::new("auth.password_check_failed")
            .actor_id(user.id)
            .actor_email(&user.email);
        failed(app, &user.email, slot, Some(user.id), failure).await?;
        return Err(AppError::BadRequest(INCORRECT_PASSWORD.into()));
    }
    succeeded(app, &user.email, slot).await
}
