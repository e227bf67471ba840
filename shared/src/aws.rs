//! The AWS SDK configuration every client here shares.

use aws_config::environment::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::time::Duration;

/// The budget of calls made outside a request: start-up's reachability check, creating a table.
pub const STARTUP_DEADLINE: Duration = Duration::from_secs(10);

/// Attempts of one DynamoDB call (the first and two retries), while the budget allows.
const MAX_ATTEMPTS: u32 = 3;

/// SDK timeouts and retries that fit one call into a request's `deadline`:
/// - each attempt gets a third of the budget (connecting, a fifth, at most 1 s), so a hung
///   DynamoDB costs at most three attempts;
/// - the whole call (attempts + jittered exponential backoff, the SDK's standard mode) stops at
///   80 % of the budget, so the store names the failure before the edge's hard cut at 100 %;
/// - throttling, 5xx, timeouts and broken connections are retried; transactions carry an
///   idempotency token (`ClientRequestToken`, filled in by the SDK), so a retried write whose
///   first answer was lost is not applied twice.
pub fn timeouts_for(deadline: Duration) -> (TimeoutConfig, RetryConfig) {
    let attempt = deadline / MAX_ATTEMPTS;
    let timeouts = TimeoutConfig::builder()
        .connect_timeout((deadline / 5).min(Duration::from_secs(1)))
        .operation_attempt_timeout(attempt)
        .operation_timeout(deadline * 4 / 5)
        .build();
    let retries = RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff((deadline / 100).max(Duration::from_millis(5)))
        .with_max_backoff(deadline / 10);
    (timeouts, retries)
}

/// SDK settings with TLS by rustls on ring (no aws-lc build). With a local `endpoint` (DynamoDB
/// Local, `cargo lambda watch`) the credentials are fixed dummies and the region defaults to
/// us-east-1, so nothing reaches for AWS or instance metadata.
pub async fn sdk_config(endpoint: Option<&str>) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    // Outside a request (start-up, table set-up, tools) calls get the roomier timeouts of
    // `STARTUP_DEADLINE`; `Store::with_deadline` sizes them for requests.
    let (timeouts, retries) = timeouts_for(STARTUP_DEADLINE);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(timeouts)
        .retry_config(retries);
    if let Some(url) = endpoint {
        let region =
            RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new()).or_else(Region::new("us-east-1"));
        loader = loader
            .endpoint_url(url)
            .region(region)
            .credentials_provider(aws_credential_types::Credentials::new(
                "local", "local", None, None, "local",
            ));
    }
    loader.load().await
}
