//! Invokes the seed function and turns its typed reply into a result or a one-line error.

use crate::Target;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::Client;
use serde_json::Value;
use shared::seed::SeedReply;

pub struct SeedClient {
    client: Client,
    function_name: String,
    location: String,
}

impl SeedClient {
    pub async fn new(target: &Target) -> Self {
        let local_endpoint = (!target.aws).then_some(target.endpoint.as_str());
        let mut config = aws_sdk_lambda::config::Builder::from(&shared::aws::sdk_config(local_endpoint).await);
        if let Some(region) = &target.region {
            config = config.region(aws_sdk_lambda::config::Region::new(region.clone()));
        }
        let location = match local_endpoint {
            Some(url) => format!("at {url} (is `make serve` running?)"),
            None => "on AWS".to_string(),
        };
        SeedClient {
            client: Client::from_conf(config.build()),
            function_name: target.function_name.clone(),
            location,
        }
    }

    pub async fn invoke(&self, payload: Value) -> Result<Value, String> {
        let output = self
            .client
            .invoke()
            .function_name(&self.function_name)
            .payload(Blob::new(payload.to_string()))
            .send()
            .await
            .map_err(|e| {
                let status = e
                    .raw_response()
                    .map(|r| format!(" (HTTP {})", r.status().as_u16()))
                    .unwrap_or_default();
                format!(
                    "could not invoke function '{}' {}: {}{status}",
                    self.function_name,
                    self.location,
                    error_chain(&e)
                )
            })?;
        let bytes = output.payload().map(|b| b.as_ref()).unwrap_or_default();
        if let Some(error) = output.function_error() {
            return Err(format!(
                "function '{}' failed ({error}): {}",
                self.function_name,
                String::from_utf8_lossy(bytes)
            ));
        }
        match serde_json::from_slice::<SeedReply>(bytes) {
            Ok(SeedReply::Ok { result }) => Ok(result),
            Ok(SeedReply::Error { message, .. }) => Err(message),
            Err(e) => Err(format!("unexpected reply from '{}': {e}", self.function_name)),
        }
    }
}

/// An error and its causes on one line, without the SDK's debug dump.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}
