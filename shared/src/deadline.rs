//! The request deadline (`REQUEST_DEADLINE_MS`): how long one request may take, across all its
//! DynamoDB calls and their retries.
//!
//! Three layers keep an answer inside the budget (see `aws::timeouts_for` and `http::router`):
//! the SDK's own timeouts and jittered retries per call, the store's conflict retries (which
//! stop when the budget is spent, read here), and the edge's `tokio::time::timeout` around the
//! whole handler, which answers 503 at the deadline whatever is still running.

use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `work` with a deadline `budget` from now, visible to `remaining()` inside it.
pub async fn scope<F: Future>(budget: Duration, work: F) -> F::Output {
    DEADLINE.scope(Instant::now() + budget, work).await
}

/// What is left of the current request's budget; `None` outside a request (start-up, tools).
pub fn remaining() -> Option<Duration> {
    DEADLINE
        .try_with(|deadline| deadline.saturating_duration_since(Instant::now()))
        .ok()
}

/// Whether waiting `pause` and then an attempt of up to `attempt` fit in what is left (always,
/// outside a request).
pub fn allows(pause: Duration, attempt: Duration) -> bool {
    remaining().is_none_or(|left| left > pause + attempt)
}
