//! What an operator sees of a dependency fault: one log line with the operation and the error
//! class, and one CloudWatch embedded-metric (EMF) line that counts it, in total and by class
//! (namespace `Gatehouse`, metric `DependencyFaults`, dimension `ErrorClass`). Nothing of the
//! request (no body, header, token or email) goes into either.

use crate::domain::store_error::ErrorClass;
use std::io::Write;

pub const METRIC_NAMESPACE: &str = "Gatehouse";
pub const METRIC_NAME: &str = "DependencyFaults";

/// Logs and counts one request answered 503 because of `class` during `operation`.
pub fn record(operation: &str, class: ErrorClass) {
    tracing::warn!(
        operation,
        error_class = class.as_str(),
        "dependency unavailable: answering 503"
    );
    let line = emf_line(class, chrono::Utc::now().timestamp_millis());
    // One write of one line, so lines of parallel requests never interleave.
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

/// The EMF document for one fault: CloudWatch Logs extracts the metric from it (Lambda writes
/// stdout to the function's log group), under both dimension sets `[ErrorClass]` and `[]`.
pub fn emf_line(class: ErrorClass, timestamp_ms: i64) -> String {
    let document = serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": METRIC_NAMESPACE,
                "Dimensions": [["ErrorClass"], []],
                "Metrics": [{ "Name": METRIC_NAME, "Unit": "Count" }],
            }],
        },
        "ErrorClass": class.as_str(),
        METRIC_NAME: 1,
    });
    format!("{document}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emf_line_is_one_json_document_naming_the_class() {
        let line = emf_line(ErrorClass::Throttled, 1_700_000_000_000);
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["ErrorClass"], "throttled");
        assert_eq!(value[METRIC_NAME], 1);
        assert_eq!(value["_aws"]["CloudWatchMetrics"][0]["Namespace"], METRIC_NAMESPACE);
    }
}
