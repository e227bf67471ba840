//! Rate limits: a sliding window per client address and route, kept in DynamoDB. A bucket has
//! `max` slots; a request passes by taking a slot whose last grant is older than the window, so
//! no window of that length ever holds more than `max` grants, across every Lambda instance.
//! Refused requests take nothing.

use crate::config::RateLimit;
use crate::error::AppError;
use crate::App;

#[derive(Debug, Clone, Copy)]
pub enum Route {
    Login,
    Register,
    PasswordResetRequest,
    ResendVerification,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Login => "login",
            Route::Register => "register",
            Route::PasswordResetRequest => "reset",
            Route::ResendVerification => "resend-verification",
        }
    }

    fn limit(self, app: &App) -> RateLimit {
        let s = &app.settings;
        match self {
            Route::Login => s.login_limit,
            Route::Register => s.register_limit,
            Route::PasswordResetRequest => s.reset_limit,
            Route::ResendVerification => s.resend_verification_limit,
        }
    }
}

/// Passes, or answers 429 with the whole seconds until a request would pass.
pub async fn check(app: &App, route: Route, client: &str) -> Result<(), AppError> {
    let limit = route.limit(app);
    let window_ms = limit.window_seconds * 1000;
    let bucket = format!("{}#{client}", route.name());
    // Each failed claim means another request took a slot, so this ends within `max` rounds.
    for _ in 0..=limit.max {
        let now_ms = app.clock.now().timestamp_millis();
        let slots = app.store.rate_slots(&bucket).await?;
        let granted = |slot: i64| slots.granted_ms.iter().find(|(s, _)| *s == slot).map(|(_, at)| *at);
        let free: Vec<(i64, Option<i64>)> = (0..limit.max)
            .map(|slot| (slot, granted(slot)))
            .filter(|(_, at)| at.is_none_or(|at| at <= now_ms - window_ms))
            .collect();
        let Some(&(slot, previous)) = pick(&free) else {
            let oldest = (0..limit.max).filter_map(granted).min().unwrap_or(now_ms);
            let wait_ms = (oldest + window_ms - now_ms).max(1);
            return Err(AppError::TooManyRequests {
                retry_after_seconds: (wait_ms + 999) / 1000,
            });
        };
        let expires_at = (now_ms + window_ms) / 1000 + 1;
        if app
            .store
            .claim_rate_slot(&bucket, slot, previous, now_ms, expires_at)
            .await?
        {
            return Ok(());
        }
    }
    Err(AppError::TooManyRequests { retry_after_seconds: 1 })
}

/// A random free slot, so parallel requests rarely race for the same one.
fn pick<T>(free: &[T]) -> Option<&T> {
    if free.is_empty() {
        return None;
    }
    let random = getrandom::u32().expect("the OS random source is available") as usize;
    free.get(random % free.len())
}
