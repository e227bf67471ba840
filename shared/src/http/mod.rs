//! The HTTP edge: one `axum::Router` per function, built from that function's route table
//! (`auth::routes()`, `users::routes()`, `orgs::routes()`). Extractors parse what a client sent
//! (`extract`), handlers call the domain, and `AppError`'s `IntoResponse` below is the one place
//! where errors become status codes and JSON. Nothing a client sends can turn into a 500.

pub mod audit;
pub mod auth;
pub mod browser;
pub mod cookies;
mod extract;
pub mod faults;
pub mod functions;
pub mod openapi;
pub mod orgs;
pub mod route;
pub mod users;

pub use extract::{bearer_token, client_address, source_ip, Fields, FromFields, Json, OptionalJson, Path, Query};
pub use route::Route;

use crate::domain::store_error::{ErrorClass, StoreError};
use crate::error::AppError;
use crate::App;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use axum::Router;
use serde::Serialize;
use serde_json::json;
use std::time::Duration;
use tower::ServiceExt;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The router serving `routes`: 404 JSON for unknown paths, 405 JSON for a known path with
/// another method (HEAD included: axum would answer it with the GET handler), bodies up to
/// 64 KiB, a trailing slash ignored, and browsers' requests checked first (`browser`: CSRF,
/// CORS).
pub fn router(app: App, routes: Vec<Route>) -> Router {
    let deadline = app.settings.request_deadline;
    let browsers = middleware::from_fn_with_state(app.clone(), browser::guard);
    let origins = middleware::from_fn_with_state(app.clone(), with_origin);
    let mut inner = Router::new();
    for route in routes {
        let mut endpoint = route.endpoint;
        if route.method == Method::GET {
            endpoint = endpoint.head(method_not_allowed);
        }
        inner = inner.route(route.path, endpoint);
    }
    let inner = inner
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app);
    // The edge middleware wraps the whole inner router, so it sees the path before routing
    // and the response after axum has finished with it.
    Router::new()
        .fallback_service(inner)
        .layer(middleware::from_fn(edge))
        .layer(origins)
        .layer(browsers)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(move |req, next| {
            within_deadline(deadline, req, next)
        }))
}

/// The request deadline's last line: whatever the handler is still waiting for when `budget`
/// has passed, the answer is 503 now (the SDK's timeouts, sized from the same budget, normally
/// give up first and name the failing call). The handler's budget is visible to the store
/// through `crate::deadline`.
async fn within_deadline(budget: Duration, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    match tokio::time::timeout(budget, crate::deadline::scope(budget, next.run(req))).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%method, %path, budget_ms = budget.as_millis() as u64, "request deadline passed");
            AppError::Internal(StoreError::Unavailable {
                operation: "request",
                class: ErrorClass::Deadline,
            })
            .into_response()
        }
    }
}

/// Audit events built while handling the request name its address, user agent and request id.
async fn with_origin(State(app): State<App>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let origin = extract::origin(&parts, &app);
    crate::audit::scope(origin, next.run(Request::from_parts(parts, body))).await
}

/// Runs one request through a function's router, for in-process callers (tests, the bench).
pub async fn call(router: Router, req: lambda_http::Request) -> Response {
    match router.oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The trailing-slash tolerance of the router (`/api/v1/orgs/` is `/api/v1/orgs`), request
/// tracing, and no `Allow` header on 405s (the contract has none).
async fn edge(mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let rebuilt = match req.uri().query() {
            Some(query) => format!("{trimmed}?{query}"),
            None => trimmed.to_string(),
        };
        let mut parts = req.uri().clone().into_parts();
        if let Ok(path_and_query) = rebuilt.parse() {
            parts.path_and_query = Some(path_and_query);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut response = next.run(req).await;
    response.headers_mut().remove(header::ALLOW);
    tracing::debug!(%method, %path, status = response.status().as_u16(), "request");
    response
}

async fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not Found")
}

async fn method_not_allowed() -> Response {
    AppError::MethodNotAllowed.into_response()
}

pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let text = serde_json::to_string(body).expect("responses serialize");
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        text,
    )
        .into_response()
}

pub fn detail(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "detail": message }))
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// The one place where errors become responses.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let with_bearer_challenge = |mut response: Response| {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        };
        match &self {
            AppError::Validation(errors) => {
                json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({ "detail": errors }))
            }
            AppError::BadRequest(m) => detail(StatusCode::BAD_REQUEST, m),
            AppError::EmailTaken | AppError::InvalidRole => detail(StatusCode::BAD_REQUEST, &self.to_string()),
            AppError::UserNotFound => detail(StatusCode::NOT_FOUND, &self.to_string()),
            AppError::RefreshRejected(m) => detail(StatusCode::UNAUTHORIZED, m),
            AppError::Unauthenticated | AppError::InvalidCredentials => {
                with_bearer_challenge(detail(StatusCode::UNAUTHORIZED, &self.to_string()))
            }
            AppError::MfaRequired { mfa_token } => {
                let body = json!({
                    "detail": self.to_string(),
                    "mfa_token": mfa_token,
                    "methods": crate::domain::mfa::METHODS,
                });
                let mut response = json_response(StatusCode::UNAUTHORIZED, &body);
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            AppError::SecondFactorRejected(m) => detail(StatusCode::UNAUTHORIZED, m),
            AppError::Forbidden(m) => detail(StatusCode::FORBIDDEN, m),
            AppError::NotFound(m) => detail(StatusCode::NOT_FOUND, m),
            AppError::MethodNotAllowed => detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
            AppError::PayloadTooLarge => detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"),
            AppError::Conflict(m) => detail(StatusCode::CONFLICT, m),
            AppError::TooManyRequests { retry_after_seconds } => {
                let mut response = detail(StatusCode::TOO_MANY_REQUESTS, &self.to_string());
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_seconds));
                response
            }
            AppError::Internal(StoreError::Unavailable { operation, class }) => {
                faults::record(operation, *class);
                let mut response = detail(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable");
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(class.retry_after_seconds()));
                response
            }
            AppError::Internal(cause) => {
                tracing::error!(error = %cause, "request failed");
                detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The edge's own behaviour, on routes that answer before touching the table.

    use super::*;
    use crate::{ManualClock, Settings, Store};
    use std::sync::Arc;

    async fn app() -> App {
        let settings = Settings::from_lookup(|name| match name {
            "TABLE_NAME" => Some("unused".into()),
            "SECRET_KEY" => Some("edge-tests-secret-key-0123456789abcdef".into()),
            "APP_ENV" => Some("test".into()),
            _ => None,
        })
        .unwrap();
        let store = Store::new(crate::store::connect(Some("http://127.0.0.1:9")).await, "unused");
        let keys = crate::domain::keys::KeyRing::fixed(
            crate::domain::keys::KeySet::generate(crate::model::SigningAlgorithm::EdDSA, chrono::Utc::now()),
            "a generated key set".into(),
        );
        App::new(settings, store, Arc::new(ManualClock::starting_now()), keys)
    }

    async fn send(method: Method, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Response {
        let mut request = axum::http::Request::builder()
            .method(method)
            .uri(format!("https://localhost{path}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(lambda_http::Body::Binary(body)).unwrap();
        call(functions::auth_router(app().await), request).await
    }

    async fn body(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn unknown_paths_and_methods_answer_json_without_an_allow_header() {
        let missing = send(Method::GET, "/api/v1/auth/nope", &[], vec![]).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(body(missing).await, json!({ "detail": "Not Found" }));
        for method in [Method::DELETE, Method::HEAD, Method::PUT] {
            let wrong = send(method.clone(), "/api/v1/openapi.json", &[], vec![]).await;
            assert_eq!(wrong.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
            assert!(wrong.headers().get(header::ALLOW).is_none());
        }
        let wrong = send(Method::PUT, "/api/v1/auth/me", &[], vec![]).await;
        assert_eq!(body(wrong).await, json!({ "detail": "Method Not Allowed" }));
    }

    #[tokio::test]
    async fn a_trailing_slash_is_ignored() {
        let document = send(Method::GET, "/api/v1/openapi.json/?x=1", &[], vec![]).await;
        assert_eq!(document.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn bodies_over_64_kib_are_413_and_read_only_after_authentication() {
        let json = [("content-type", "application/json")];
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        let too_large = send(Method::POST, "/api/v1/auth/verify-email", &json, big.clone()).await;
        assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body(too_large).await, json!({ "detail": "Request body too large" }));
        let at_limit = send(
            Method::POST,
            "/api/v1/auth/verify-email",
            &json,
            vec![b' '; MAX_BODY_BYTES],
        )
        .await;
        assert_eq!(at_limit.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let anonymous = send(Method::POST, "/api/v1/auth/accept-invite", &json, big).await;
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(anonymous.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }

    #[tokio::test]
    async fn every_field_error_comes_in_one_422() {
        let json = [("content-type", "application/json")];
        let reply = send(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            &json,
            br#"{"new_password": 5}"#.to_vec(),
        )
        .await;
        assert_eq!(reply.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let kinds: Vec<_> = body(reply).await["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].clone())
            .collect();
        assert_eq!(kinds, [json!("missing"), json!("string_type")]);
        let broken = send(Method::POST, "/api/v1/auth/verify-email", &json, vec![0xff, b'{']).await;
        assert_eq!(body(broken).await["detail"][0]["type"], "json_invalid");
    }
}
