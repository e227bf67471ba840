//! The one error type handlers return; `http::respond` decides each status code and body here.

use serde::Serialize;
use serde_json::Value;

/// One entry of a 422 body, in FastAPI's shape: `{"type", "loc", "msg", "ctx"?}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldError {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub loc: Vec<Value>,
    pub msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

impl FieldError {
    pub fn new(kind: &'static str, loc: &[&str], msg: impl Into<String>) -> Self {
        Self {
            kind,
            loc: loc.iter().map(|s| Value::from(*s)).collect(),
            msg: msg.into(),
            ctx: None,
        }
    }

    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    /// Any failure to authenticate a bearer token; one message so nothing tells the cases apart.
    #[error("Could not validate credentials")]
    Unauthenticated,
    #[error("Incorrect email or password")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("Method Not Allowed")]
    MethodNotAllowed,
    #[error("Request body too large")]
    PayloadTooLarge,
    #[error("{0}")]
    Conflict(String),
    /// A refresh that must fail and clear the session cookies.
    #[error("{0}")]
    RefreshRejected(String),
    #[error("Too many requests. Please try again later.")]
    TooManyRequests { retry_after_seconds: i64 },
    #[error(transparent)]
    Internal(#[from] crate::domain::store_error::StoreError),
}

impl AppError {
    pub fn validation(error: FieldError) -> Self {
        AppError::Validation(vec![error])
    }
}
