//! The `auth` function: register, token, me, logout.

use super::{
    bearer_token, error_response, form_fields, json_object, json_response, not_found, source_ip,
    Matched, Router,
};
use crate::domain::auth::{self, Caller};
use crate::domain::email::Email;
use crate::domain::password;
use crate::domain::users::{self, Registration, UserView};
use crate::error::{AppError, FieldError};
use crate::App;
use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use std::sync::LazyLock;

const MAX_FULL_NAME_CHARS: usize = 255;

#[derive(Clone, Copy)]
pub enum AuthRoute {
    Register,
    Token,
    Me,
    Logout,
}

pub static ROUTER: LazyLock<Router<AuthRoute>> = LazyLock::new(|| {
    Router::new(vec![
        (Method::POST, "/api/v1/auth/register", AuthRoute::Register),
        (Method::POST, "/api/v1/auth/token", AuthRoute::Token),
        (Method::GET, "/api/v1/auth/me", AuthRoute::Me),
        (Method::POST, "/api/v1/auth/logout", AuthRoute::Logout),
    ])
});

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let result = match ROUTER.find(req.method(), req.uri().path()) {
        Matched::Found { route, .. } => match route {
            AuthRoute::Register => register(app, &req).await,
            AuthRoute::Token => token(app, &req).await,
            AuthRoute::Me => me(app, &req).await,
            AuthRoute::Logout => logout(app, &req).await,
        },
        Matched::MethodNotAllowed => Err(AppError::MethodNotAllowed),
        Matched::NotFound => Ok(not_found()),
    };
    result.unwrap_or_else(|e| error_response(&e))
}

/// The caller behind the request's bearer token, or the one 401.
pub async fn caller(app: &App, req: &Request) -> Result<Caller, AppError> {
    let token = bearer_token(req).ok_or(AppError::Unauthenticated)?;
    auth::authenticate(app, token).await
}

async fn register(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    let mut fields = json_object(req)?;
    let email = fields
        .required_str("email")
        .and_then(|raw| match Email::parse(&raw) {
            Ok(email) => Some(email),
            Err(reason) => {
                fields.reject(FieldError::new(
                    "value_error",
                    &["body", "email"],
                    format!("value is not a valid email address: {reason}"),
                ));
                None
            }
        });
    let new_password = fields
        .required_str("password")
        .and_then(|pw| match password::check_policy(&pw, "password") {
            Ok(()) => Some(pw),
            Err(problem) => {
                fields.reject(problem);
                None
            }
        });
    let full_name = fields.optional_str("full_name");
    if full_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_FULL_NAME_CHARS)
    {
        fields.reject(
            FieldError::new(
                "string_too_long",
                &["body", "full_name"],
                format!("String should have at most {MAX_FULL_NAME_CHARS} characters"),
            )
            .with_ctx(json!({ "max_length": MAX_FULL_NAME_CHARS })),
        );
    }
    fields.finish()?;
    let (Some(email), Some(password)) = (email, new_password) else {
        unreachable!("finish() reports missing fields");
    };
    let registration = Registration {
        email,
        password,
        full_name: full_name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
    };
    let user = users::register(app, registration).await?;
    Ok(json_response(StatusCode::OK, &UserView::from(&user)))
}

async fn token(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    let mut fields = form_fields(req)?;
    let username = fields.required_str("username");
    let password = fields.required_str("password");
    if let Some(grant) = fields.optional_str("grant_type") {
        if grant != "password" {
            fields.reject(
                FieldError::new(
                    "string_pattern_mismatch",
                    &["body", "grant_type"],
                    "String should match pattern '^password$'",
                )
                .with_ctx(json!({ "pattern": "^password$" })),
            );
        }
    }
    fields.finish()?;
    let (Some(username), Some(password)) = (username, password) else {
        unreachable!("finish() reports missing fields");
    };
    let access_token = auth::login(app, &username, password, source_ip(req).as_deref()).await?;
    let mut response = json_response(
        StatusCode::OK,
        &json!({ "access_token": access_token, "token_type": "bearer" }),
    );
    // RFC 6749 §5.1: token responses must not be cached.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

async fn me(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    let caller = caller(app, req).await?;
    Ok(json_response(StatusCode::OK, &UserView::from(&caller.user)))
}

async fn logout(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    let caller = caller(app, req).await?;
    auth::logout(app, &caller).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "detail": "Logged out" }),
    ))
}
