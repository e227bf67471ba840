//! The AWS SDK configuration every client here shares.

use aws_config::environment::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::time::Duration;

/// SDK settings with TLS by rustls on ring (no aws-lc build). With a local `endpoint` (DynamoDB
/// Local, `cargo lambda watch`) the credentials are fixed dummies and the region defaults to
/// us-east-1, so nothing reaches for AWS or instance metadata.
pub async fn sdk_config(endpoint: Option<&str>) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(5))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(timeouts);
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
