//! The HTTP edge: parse requests, authenticate, call the domain, and map every outcome to a
//! status code and a JSON body. Nothing a client sends can turn into a 500.

pub mod auth;
mod request;
mod router;

pub use request::{
    bearer_token, client_address, form_fields, json_object, source_ip, Fields, MAX_BODY_BYTES,
};
pub use router::{Matched, Router};

use crate::error::AppError;
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::json;

pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(
            serde_json::to_string(body).expect("responses serialize"),
        ))
        .expect("static response parts are valid")
}

pub fn detail(status: StatusCode, message: &str) -> Response<Body> {
    json_response(status, &json!({ "detail": message }))
}

/// The one place where errors become responses.
pub fn error_response(error: &AppError) -> Response<Body> {
    let with_bearer_challenge = |mut response: Response<Body>| {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        response
    };
    match error {
        AppError::Validation(errors) => json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({ "detail": errors }),
        ),
        AppError::BadRequest(m) => detail(StatusCode::BAD_REQUEST, m),
        AppError::Unauthenticated | AppError::InvalidCredentials => {
            with_bearer_challenge(detail(StatusCode::UNAUTHORIZED, &error.to_string()))
        }
        AppError::Forbidden(m) => detail(StatusCode::FORBIDDEN, m),
        AppError::NotFound(m) => detail(StatusCode::NOT_FOUND, m),
        AppError::MethodNotAllowed => detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
        AppError::PayloadTooLarge => {
            detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large")
        }
        AppError::Conflict(m) => detail(StatusCode::CONFLICT, m),
        AppError::TooManyRequests {
            retry_after_seconds,
        } => {
            let mut response = detail(StatusCode::TOO_MANY_REQUESTS, &error.to_string());
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(*retry_after_seconds),
            );
            response
        }
        AppError::Internal(cause) => {
            tracing::error!(error = %cause, "request failed");
            detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

pub fn not_found() -> Response<Body> {
    detail(StatusCode::NOT_FOUND, "Not Found")
}
