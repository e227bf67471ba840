//! The one error type handlers return; `http::respond` decides each status code and body here.

pub use crate::model::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    /// Registration or account creation for an address that already has an account (400).
    #[error("Email already registered")]
    EmailTaken,
    /// A global role name that is not `admin`, `moderator` or `user` (400).
    #[error("Invalid role. Must be one of: ['admin', 'moderator', 'user']")]
    InvalidRole,
    /// A user id or address with no account behind it (404).
    #[error("User not found")]
    UserNotFound,
    /// Any failure to authenticate a bearer token; one message so nothing tells the cases apart.
    #[error("Could not validate credentials")]
    Unauthenticated,
    #[error("Incorrect email or password")]
    InvalidCredentials,
    /// The password was right, and the account has a second factor: no session yet, but a
    /// challenge for `POST /auth/mfa/verify` (401 with `mfa_token` and the methods).
    #[error("MFA required")]
    MfaRequired { mfa_token: String },
    /// The second step of a login failed: the challenge or the code (401).
    #[error("{0}")]
    SecondFactorRejected(String),
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
