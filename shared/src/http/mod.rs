//! The HTTP edge: parse requests, authenticate, call the domain, and map every outcome to a
//! status code and a JSON body. Nothing a client sends can turn into a 500.

pub mod auth;
pub mod cookies;
pub mod orgs;
mod request;
mod router;
pub mod users;

pub use request::{bearer_token, client_address, form_fields, json_object, source_ip, Fields};
pub use router::{Matched, Router};

use crate::error::{AppError, FieldError};
use crate::model::Caller;
use crate::App;
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::json;

pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(serde_json::to_string(body).expect("responses serialize")))
        .expect("static response parts are valid")
}

pub fn detail(status: StatusCode, message: &str) -> Response<Body> {
    json_response(status, &json!({ "detail": message }))
}

/// The one place where errors become responses.
pub fn error_response(error: &AppError) -> Response<Body> {
    let with_bearer_challenge = |mut response: Response<Body>| {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        response
    };
    match error {
        AppError::Validation(errors) => json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({ "detail": errors })),
        AppError::BadRequest(m) => detail(StatusCode::BAD_REQUEST, m),
        AppError::EmailTaken | AppError::InvalidRole => detail(StatusCode::BAD_REQUEST, &error.to_string()),
        AppError::UserNotFound => detail(StatusCode::NOT_FOUND, &error.to_string()),
        AppError::RefreshRejected(m) => detail(StatusCode::UNAUTHORIZED, m),
        AppError::Unauthenticated | AppError::InvalidCredentials => {
            with_bearer_challenge(detail(StatusCode::UNAUTHORIZED, &error.to_string()))
        }
        AppError::Forbidden(m) => detail(StatusCode::FORBIDDEN, m),
        AppError::NotFound(m) => detail(StatusCode::NOT_FOUND, m),
        AppError::MethodNotAllowed => detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
        AppError::PayloadTooLarge => detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"),
        AppError::Conflict(m) => detail(StatusCode::CONFLICT, m),
        AppError::TooManyRequests { retry_after_seconds } => {
            let mut response = detail(StatusCode::TOO_MANY_REQUESTS, &error.to_string());
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(*retry_after_seconds));
            response
        }
        AppError::Internal(cause) => {
            tracing::error!(error = %cause, "request failed");
            detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

/// The caller behind the request's bearer token (or, without one, the session cookie), or the
/// one 401.
pub async fn caller(app: &App, req: &Request) -> Result<Caller, AppError> {
    let token = match bearer_token(req) {
        Some(token) => token.to_string(),
        None => cookies::read(app, req, "session").ok_or(AppError::Unauthenticated)?,
    };
    crate::domain::auth::authenticate(app, &token).await
}

/// The client's user agent and address, for the session list.
pub fn origin(req: &Request) -> crate::model::Origin {
    crate::model::Origin {
        user_agent: req
            .headers()
            .get(lambda_http::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        ip: source_ip(req),
    }
}

/// A query parameter (the first, when repeated), decoded.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    form_urlencoded::parse(req.uri().query()?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// An integer from the path or the query, or FastAPI's 422 naming where it was.
pub fn integer(raw: &str, location: &str, name: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| {
        AppError::validation(FieldError::new(
            "int_parsing",
            &[location, name],
            "Input should be a valid integer, unable to parse string as an integer",
        ))
    })
}

pub fn no_content() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .expect("static response parts are valid")
}

pub fn not_found() -> Response<Body> {
    detail(StatusCode::NOT_FOUND, "Not Found")
}
