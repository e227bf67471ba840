//! Rate limits: a sliding window per client address and route, kept in DynamoDB. A bucket has
//! `max` slots; a request passes by taking a slot whose last grant is older than the window, so
//! no window of that length ever holds more than `max` grants, across every Lambda instance.
//! Refused requests take nothing.
//!
//! A request first tries one slot picked at random, with a write conditioned on its being free:
//! in a bucket with free slots (a client well under its limit) that is the only round trip. Only
//! when the pick is in use does it read the bucket and claim a slot it saw free.

use crate::domain::ports::SlotHolds;
use crate::error::AppError;
use crate::model::RateLimit;
use crate::App;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};

#[derive(Debug, Clone, Copy)]
pub enum Route {
    Login,
    Register,
    PasswordResetRequest,
    ResendVerification,
    /// Signed-in credential changes that check the password (change password or email, close the
    /// account): a bucket of their own under the login's limit, since each is a password guess.
    AccountChange,
    /// The second step of a login.
    Mfa,
    /// Requests that change orgs, counted per user.
    OrgWrite,
    /// Invites created, counted per org.
    Invite,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Login => "login",
            Route::Register => "register",
            Route::PasswordResetRequest => "reset",
            Route::ResendVerification => "resend-verification",
            Route::AccountChange => "account",
            Route::Mfa => "mfa",
            Route::OrgWrite => "org-write",
            Route::Invite => "invite",
        }
    }

    fn limit(self, app: &App) -> RateLimit {
        let s = &app.settings;
        match self {
            Route::Login => s.login_limit,
            Route::Register => s.register_limit,
            Route::PasswordResetRequest => s.reset_limit,
            Route::ResendVerification => s.resend_verification_limit,
            Route::AccountChange => s.login_limit,
            Route::Mfa => s.mfa_limit,
            Route::OrgWrite => s.org_write_limit,
            Route::Invite => s.invite_limit,
        }
    }
}

/// Passes, or answers 429 with the whole seconds until a request would pass. The work is
/// proportional to the slots in use, not to the limit. `client` is what the limit counts: a
/// client address, `user:<id>` or `org:<id>`.
pub async fn check(app: &App, route: Route, client: &str) -> Result<(), AppError> {
    let limit = route.limit(app);
    let window_ms = limit.window_seconds * 1000;
    let bucket = format!("{}#{}", route.name(), client_key(client));
    let now_ms = app.clock.now().timestamp_millis();
    let expires_at = (now_ms + window_ms) / 1000 + 1;
    let pick = random_below(limit.max);
    let unread = SlotHolds::NoGrantAfter(now_ms - window_ms);
    if app
        .store
        .claim_rate_slot(&bucket, pick, unread, now_ms, expires_at)
        .await?
    {
        return Ok(());
    }
    // A failed claim means another request took that slot meanwhile; a few rounds settle it.
    for _ in 0..=limit.max.min(32) {
        let now_ms = app.clock.now().timestamp_millis();
        let taken: HashMap<i64, i64> = app
            .store
            .rate_slots(&bucket)
            .await?
            .granted_ms
            .into_iter()
            .filter(|(slot, _)| *slot < limit.max)
            .collect();
        let Some((slot, expected)) = free_slot(&taken, limit.max, now_ms - window_ms) else {
            return Err(AppError::TooManyRequests {
                retry_after_seconds: retry_after_seconds(&taken, window_ms, now_ms),
            });
        };
        let expires_at = (now_ms + window_ms) / 1000 + 1;
        if app
            .store
            .claim_rate_slot(&bucket, slot, expected, now_ms, expires_at)
            .await?
        {
            return Ok(());
        }
    }
    Err(AppError::TooManyRequests { retry_after_seconds: 1 })
}

/// Whole seconds until the oldest grant leaves the window (at least 1).
fn retry_after_seconds(taken: &HashMap<i64, i64>, window_ms: i64, now_ms: i64) -> i64 {
    let oldest = taken.values().min().copied().unwrap_or(now_ms);
    let wait_ms = (oldest + window_ms - now_ms).max(1);
    (wait_ms + 999) / 1000
}

/// What a limit counts requests under: the IPv4 address, or the /64 of an IPv6 one (a client
/// usually holds a whole /64 and could otherwise take a fresh address per request). An
/// IPv4-mapped IPv6 address counts as its IPv4 address; anything else as given.
pub fn client_key(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", Ipv6Addr::from(prefix))
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => address.to_string(),
    }
}

fn random_below(n: i64) -> i64 {
    let random = getrandom::u64().expect("the OS random source is available");
    (random % n.max(1) as u64) as i64
}

/// A random free slot, so parallel requests rarely race for the same one: one whose last grant
/// is at or before `cutoff` (holding that grant), or one never used (holding nothing).
fn free_slot(taken: &HashMap<i64, i64>, max: i64, cutoff: i64) -> Option<(i64, SlotHolds)> {
    let expired: Vec<(i64, i64)> = taken
        .iter()
        .filter(|(_, at)| **at <= cutoff)
        .map(|(s, at)| (*s, *at))
        .collect();
    let unused = max - taken.len() as i64;
    let choices = expired.len() as i64 + unused;
    if choices <= 0 {
        return None;
    }
    let pick = random_below(choices);
    if let Some(&(slot, at)) = expired.get(pick as usize) {
        return Some((slot, SlotHolds::GrantAt(at)));
    }
    // An unused slot number: probing finds one quickly while most are free; a scan otherwise.
    (0..64)
        .map(|_| random_below(max))
        .find(|slot| !taken.contains_key(slot))
        .or_else(|| (0..max).find(|slot| !taken.contains_key(slot)))
        .map(|slot| (slot, SlotHolds::Nothing))
}

#[cfg(test)]
mod tests {
    use super::{client_key, free_slot, retry_after_seconds, SlotHolds};
    use std::collections::HashMap;

    #[test]
    fn ipv6_clients_count_by_their_64_prefix() {
        assert_eq!(client_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
        assert_eq!(client_key("2001:db8:1:2::1"), client_key("2001:db8:1:2:ffff::9"));
        assert_ne!(client_key("2001:db8:1:2::1"), client_key("2001:db8:1:3::1"));
        assert_eq!(client_key("::ffff:203.0.113.9"), "203.0.113.9", "IPv4-mapped");
        assert_eq!(client_key("203.0.113.9"), "203.0.113.9");
        assert_eq!(client_key("unknown"), "unknown");
    }

    #[test]
    fn free_slots_are_unused_or_expired_and_full_buckets_have_none() {
        let full: HashMap<i64, i64> = (0..5).map(|s| (s, 1_000)).collect();
        assert_eq!(free_slot(&full, 5, 999), None, "every grant is inside the window");
        let (slot, previous) = free_slot(&full, 5, 1_000).unwrap();
        assert!(
            slot < 5 && previous == SlotHolds::GrantAt(1_000),
            "an expired grant is reused with its time"
        );
        let sparse: HashMap<i64, i64> = HashMap::from([(0, 1_000)]);
        let (slot, previous) = free_slot(&sparse, 1_000_000, 0).unwrap();
        assert!(slot != 0 && slot < 1_000_000 && previous == SlotHolds::Nothing);
        let nearly_full: HashMap<i64, i64> = (0..999).map(|s| (s, 1_000)).collect();
        assert_eq!(
            free_slot(&nearly_full, 1_000, 0),
            Some((999, SlotHolds::Nothing)),
            "the one unused slot"
        );
    }

    #[test]
    fn retry_after_counts_whole_seconds_until_the_oldest_grant_leaves() {
        let taken: HashMap<i64, i64> = HashMap::from([(0, 10_000), (1, 40_000)]);
        assert_eq!(retry_after_seconds(&taken, 60_000, 10_001), 60, "59.999 s round up");
        assert_eq!(retry_after_seconds(&taken, 60_000, 69_000), 1);
        assert_eq!(retry_after_seconds(&taken, 60_000, 70_000), 1, "never 0");
        assert_eq!(retry_after_seconds(&HashMap::new(), 60_000, 5), 60);
    }
}
