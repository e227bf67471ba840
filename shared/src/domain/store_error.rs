//! The error of every store port (see `ports`): a file of its own, so that `error.rs` can name it
//! without depending on the ports' value types.

/// A storage failure: the store could not be reached, refused, or held something unreadable.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DynamoDB {operation} failed: {message}")]
    Sdk { operation: &'static str, message: String },
    #[error("stored item is malformed: {0}")]
    Malformed(String),
}
