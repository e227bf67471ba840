//! The error of every store port (see `ports`): a file of its own, so that `error.rs` can name it
//! without depending on the ports' value types.

/// A storage failure: the store could not be reached, refused, or held something unreadable.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB did not answer in time, could not be reached, throttled us, or kept cancelling a
    /// transaction for conflicts: a dependency fault, not a bug (503 with `Retry-After`).
    #[error("DynamoDB {operation} unavailable ({class})")]
    Unavailable { operation: &'static str, class: ErrorClass },
    #[error("DynamoDB {operation} failed: {message}")]
    Sdk { operation: &'static str, message: String },
    #[error("stored item is malformed: {0}")]
    Malformed(String),
}

/// Why DynamoDB was unavailable: the label of the log line and of the metric an operator alarms on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// An attempt or the whole operation ran out of time (a hung or slow DynamoDB).
    Timeout,
    /// No connection, or it broke before an answer (DynamoDB down, network fault).
    Unreachable,
    /// `ThrottlingException`, `ProvisionedThroughputExceededException`, `RequestLimitExceeded`,
    /// or a transaction cancelled for throttling, after the SDK's retries.
    Throttled,
    /// A transaction cancelled for conflicts with others in flight, after our retries.
    TransactionConflict,
    /// DynamoDB answered with a 5xx (`InternalServerError`, `ServiceUnavailable`).
    ServerError,
    /// The request's deadline (`REQUEST_DEADLINE_MS`) passed before the handler finished.
    Deadline,
}

impl ErrorClass {
    pub const ALL: [ErrorClass; 6] = [
        ErrorClass::Timeout,
        ErrorClass::Unreachable,
        ErrorClass::Throttled,
        ErrorClass::TransactionConflict,
        ErrorClass::ServerError,
        ErrorClass::Deadline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Timeout => "timeout",
            ErrorClass::Unreachable => "unreachable",
            ErrorClass::Throttled => "throttled",
            ErrorClass::TransactionConflict => "transaction_conflict",
            ErrorClass::ServerError => "server_error",
            ErrorClass::Deadline => "deadline",
        }
    }

    /// Seconds a client should wait before trying again.
    pub fn retry_after_seconds(self) -> u64 {
        match self {
            ErrorClass::Throttled | ErrorClass::TransactionConflict => 1,
            _ => 2,
        }
    }
}

impl std::fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The service error codes that mean "slow down".
pub const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingError",
];
