//! Sessions: every login and registration starts a refresh-token family. Refresh tokens rotate
//! on every use; the previous one, replayed within the grace window, gets the family's current
//! pair (two tabs refreshing at once); replayed later, it revokes the whole family.
//!
//! A family's tokens are derived, not random: token = HMAC(K, salt, generation), with a
//! per-family random salt and K derived from the key set's root secret (HKDF, its own label). Only their SHA-256 is stored, yet the server can hand the current
//! token out again during the grace window without keeping it.

use crate::audit::{AuditEvent, AuditRecord};
use crate::clock::format_timestamp;
use crate::domain::keys;
use crate::domain::one_time;
use crate::domain::ports::{FreedSlot, Rehash};
use crate::error::AppError;
use crate::model::{AccessClaims, Origin, RefreshRecord, Session, SessionView, TokenPair, User, AMR_OTP, AMR_PASSWORD};
use crate::App;
use base64ct::{Base64UrlUnpadded, Encoding};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const INVALID_REFRESH: &str = "Invalid refresh token";

fn refresh_token(app: &App, salt: &str, generation: i64) -> String {
    let key = app.derived_key(keys::REFRESH_TOKEN_LABEL);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(b"gatehouse refresh token\0");
    mac.update(salt.as_bytes());
    mac.update(&generation.to_be_bytes());
    Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes())
}

fn lifetime(app: &App) -> Duration {
    Duration::days(app.settings.refresh_token_expire_days)
}

fn record_of(app: &App, session: &Session) -> RefreshRecord {
    RefreshRecord {
        hash: one_time::hash(&refresh_token(app, &session.salt, session.generation)),
        user_id: session.user_id,
        session_id: session.id.clone(),
        generation: session.generation,
        expires_at: session.expires_at,
    }
}

/// The session's current refresh token and an access token issued at `now`.
pub async fn pair(app: &App, user: User, session: &Session, now: DateTime<Utc>) -> TokenPair {
    let (access_token, _) = app.tokens.issue(&user, session, now).await;
    TokenPair {
        access_token,
        refresh_token: refresh_token(app, &session.salt, session.generation),
        session_id: session.id.clone(),
        user,
    }
}

/// The session at its next generation, issued at `at`, and that generation's refresh record
/// (neither stored yet).
pub fn advance(app: &App, session: &Session, at: DateTime<Utc>) -> (Session, RefreshRecord) {
    let mut next = session.clone();
    next.generation += 1;
    next.rotated_at_ms = at.timestamp_millis();
    next.last_used_at = Some(format_timestamp(at));
    next.expires_at = (at + lifetime(app)).timestamp();
    let record = record_of(app, &next);
    (next, record)
}

/// Starts the session of a password login: `last_login`, the password hash when
/// `upgraded_hash` replaces one made with older parameters, the attempt's lockout slot (`freed`)
/// and the login's `event` are written with it.
pub async fn start_login(
    app: &App,
    user: User,
    origin: &Origin,
    upgraded_hash: Option<String>,
    freed: FreedSlot<'_>,
    event: AuditRecord,
) -> Result<TokenPair, AppError> {
    let writes = LoginWrites {
        upgraded_hash,
        freed: Some(freed),
    };
    begin(app, user, "password", origin, writes, &[AMR_PASSWORD], &[event]).await
}

/// Starts the session of a login completed with the second factor (`amr` `["pwd", "otp"]`),
/// written with the attempt's lockout slot (`freed`) and the login's `event`.
pub async fn start_with_second_factor(
    app: &App,
    user: User,
    origin: &Origin,
    freed: FreedSlot<'_>,
    event: AuditRecord,
) -> Result<TokenPair, AppError> {
    let writes = LoginWrites {
        upgraded_hash: None,
        freed: Some(freed),
    };
    let amr = &[AMR_PASSWORD, AMR_OTP];
    begin(app, user, "password", origin, writes, amr, &[event]).await
}

/// A new session of `user_id`, started at `now` by `source` with the methods `amr`, and its
/// first refresh record (neither stored yet).
pub fn open(
    app: &App,
    user_id: i64,
    source: &str,
    origin: &Origin,
    amr: &[&str],
    now: DateTime<Utc>,
) -> (Session, RefreshRecord) {
    let session = Session {
        id: uuid::Uuid::new_v4().to_string(),
        user_id,
        source: source.to_string(),
        user_agent: origin.user_agent.as_ref().map(|ua| ua.chars().take(512).collect()),
        ip: origin.ip.clone(),
        created_at: format_timestamp(now),
        last_used_at: None,
        expires_at: (now + lifetime(app)).timestamp(),
        revoked: false,
        salt: one_time::random_secret(),
        generation: 0,
        rotated_at_ms: now.timestamp_millis(),
        amr: amr.iter().map(|method| method.to_string()).collect(),
        auth_time: Some(now.timestamp()),
    };
    let first = record_of(app, &session);
    (session, first)
}

/// What a login writes with its session besides `last_login`.
struct LoginWrites<'a> {
    upgraded_hash: Option<String>,
    freed: Option<FreedSlot<'a>>,
}

async fn begin(
    app: &App,
    user: User,
    source: &str,
    origin: &Origin,
    login: LoginWrites<'_>,
    amr: &[&str],
    events: &[AuditRecord],
) -> Result<TokenPair, AppError> {
    let now = app.clock.now();
    let (session, first) = open(app, user.id, source, origin, amr, now);
    let last_login = (source == "password").then(|| format_timestamp(now));
    let rehash = login.upgraded_hash.as_deref().map(|to| Rehash {
        from: &user.hashed_password,
        to,
    });
    app.store
        .create_session(&session, &first, last_login.as_deref(), rehash, login.freed, events)
        .await?;
    Ok(pair(app, user, &session, now).await)
}

fn invalid() -> AppError {
    AppError::RefreshRejected(INVALID_REFRESH.into())
}

/// `POST /auth/refresh` and `grant_type=refresh_token`: rotation with reuse detection.
pub async fn refresh(app: &App, presented: &str) -> Result<TokenPair, AppError> {
    let now = app.clock.now();
    let Some(record) = app.store.refresh_record(&one_time::hash(presented)).await? else {
        return Err(invalid());
    };
    let (user, session) = app.store.user_and_session(record.user_id, &record.session_id).await?;
    let (Some(user), Some(mut session)) = (user, session) else {
        return Err(invalid());
    };
    let superseded = user
        .tokens_valid_after_ms
        .is_some_and(|after| session.rotated_at_ms < after);
    if !session.is_live(now) || record.expires_at <= now.timestamp() || superseded {
        return Err(invalid());
    }
    if !user.is_active {
        return Err(AppError::RefreshRejected("User unavailable".into()));
    }
    let grace_ms = app.settings.refresh_reuse_grace_seconds * 1000;
    for _ in 0..3 {
        let verdict = judge_presented(
            record.generation,
            session.generation,
            session.rotated_at_ms,
            now.timestamp_millis(),
            grace_ms,
        );
        if verdict == Presented::Current {
            let mut next = session.clone();
            next.generation += 1;
            next.rotated_at_ms = now.timestamp_millis();
            next.last_used_at = Some(format_timestamp(now));
            next.expires_at = (now + lifetime(app)).timestamp();
            let event = AuditEvent::new("auth.token_refreshed")
                .actor_id(user.id)
                .target("session", next.id.clone())
                .at(now);
            if app
                .store
                .rotate_session(&next, record.generation, &record_of(app, &next), &[event])
                .await?
            {
                return Ok(pair(app, user, &next, now).await);
            }
            // Another request rotated it first: judge this one against the family as it is now.
            match app.store.user_and_session(user.id, &session.id).await?.1 {
                Some(current) if current.is_live(now) => session = current,
                _ => return Err(invalid()),
            }
            continue;
        }
        if verdict == Presented::PreviousWithinGrace {
            return Ok(pair(app, user, &session, now).await);
        }
        break;
    }
    let event = AuditEvent::new("auth.refresh_reuse_detected")
        .actor_id(user.id)
        .subject(user.id)
        .target("session", session.id.clone())
        .at(now);
    app.store.revoke_session(user.id, &session.id, &[event]).await?;
    Err(invalid())
}

/// What a presented refresh token is, against its family as it is now.
#[derive(Debug, PartialEq)]
enum Presented {
    /// The family's current token: rotate.
    Current,
    /// The one before, replayed within the grace window (two tabs refreshing at once): hand
    /// back the current pair.
    PreviousWithinGrace,
    /// Anything older, or the previous one after the grace window: reuse, so the family ends.
    Reused,
}

fn judge_presented(presented: i64, current: i64, rotated_at_ms: i64, now_ms: i64, grace_ms: i64) -> Presented {
    if presented == current {
        Presented::Current
    } else if presented + 1 == current && now_ms - rotated_at_ms <= grace_ms {
        Presented::PreviousWithinGrace
    } else {
        Presented::Reused
    }
}

fn view(session: &Session, current: Option<&str>) -> SessionView {
    SessionView {
        id: session.id.clone(),
        source: session.source.clone(),
        user_agent: session.user_agent.clone(),
        ip: session.ip.clone(),
        created_at: session.created_at.clone(),
        last_used_at: session.last_used_at.clone(),
        expires_at: format_timestamp(DateTime::from_timestamp(session.expires_at, 0).unwrap_or_default()),
        is_current: current == Some(session.id.as_str()),
    }
}

/// The live sessions of a user, most recently used first.
pub async fn list(app: &App, user_id: i64, current: &AccessClaims) -> Result<Vec<SessionView>, AppError> {
    let now = app.clock.now();
    let mut sessions: Vec<Session> = app
        .store
        .sessions_of(user_id)
        .await?
        .into_iter()
        .filter(|s| s.is_live(now))
        .collect();
    sessions.sort_by(|a, b| {
        let last = |s: &Session| s.last_used_at.clone().unwrap_or_else(|| s.created_at.clone());
        last(b).cmp(&last(a))
    });
    Ok(sessions.iter().map(|s| view(s, Some(current.sid.as_str()))).collect())
}

/// Revokes one live session of `user_id`; `false` if there is none by that id.
pub async fn revoke(app: &App, actor: i64, user_id: i64, session_id: &str) -> Result<bool, AppError> {
    let now = app.clock.now();
    let live = app
        .store
        .user_and_session(user_id, session_id)
        .await?
        .1
        .is_some_and(|s| s.is_live(now));
    if !live {
        return Ok(false);
    }
    let event = AuditEvent::new("auth.session_revoked")
        .actor_id(actor)
        .subject(user_id)
        .target("session", session_id)
        .at(now);
    app.store.revoke_session(user_id, session_id, &[event]).await?;
    Ok(true)
}

/// Revokes every live session of `user_id` but `keep`; returns how many. One event records
/// them all, written with the last revocation (or on its own when there was none).
pub async fn revoke_all(app: &App, actor: i64, user_id: i64, keep: Option<&str>) -> Result<usize, AppError> {
    let now = app.clock.now();
    let live: Vec<Session> = app
        .store
        .sessions_of(user_id)
        .await?
        .into_iter()
        .filter(|s| s.is_live(now) && Some(s.id.as_str()) != keep)
        .collect();
    let event = AuditEvent::new("auth.session_revoked")
        .actor_id(actor)
        .subject(user_id)
        .target("user", user_id)
        .detail(format!("revoked {} sessions", live.len()))
        .at(now);
    match live.split_last() {
        Some((last, earlier)) => {
            for session in earlier {
                app.store.revoke_session(user_id, &session.id, &[]).await?;
            }
            app.store.revoke_session(user_id, &last.id, &[event]).await?;
        }
        None => app.store.record(&[event]).await?,
    }
    Ok(live.len())
}

#[cfg(test)]
mod tests {
    use super::{judge_presented, Presented};

    #[test]
    fn the_current_token_rotates_the_previous_one_gets_a_grace_window_older_ones_are_reuse() {
        assert_eq!(judge_presented(4, 4, 0, 1_000_000, 30_000), Presented::Current);
        assert_eq!(
            judge_presented(3, 4, 1_000, 31_000, 30_000),
            Presented::PreviousWithinGrace
        );
        assert_eq!(
            judge_presented(3, 4, 1_000, 31_001, 30_000),
            Presented::Reused,
            "grace over"
        );
        assert_eq!(
            judge_presented(2, 4, 1_000, 1_001, 30_000),
            Presented::Reused,
            "two behind"
        );
        assert_eq!(
            judge_presented(5, 4, 1_000, 1_001, 30_000),
            Presented::Reused,
            "from the future"
        );
    }
}
