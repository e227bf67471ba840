//! The `auth` function: register, token, me, logout, password reset, email verification.

use super::{
    caller, client_address, cookies, error_response, form_fields, json_object, json_response, no_content, not_found,
    origin, source_ip, Fields, Matched, Router,
};
use crate::domain::auth;
use crate::domain::discovery;
use crate::domain::invites;
use crate::domain::limits::{self, Route};
use crate::domain::recovery::{self, Resend};
use crate::domain::sessions;
use crate::domain::users;
use crate::error::{AppError, FieldError};
use crate::model::{Email, FullName, Password, Registration, TokenPair, UserView};
use crate::App;
use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use secrecy::SecretString;
use serde_json::json;
use std::sync::LazyLock;

#[derive(Clone, Copy)]
pub enum AuthRoute {
    Register,
    Token,
    Me,
    Logout,
    PasswordResetRequest,
    PasswordResetConfirm,
    VerifyEmail,
    ResendVerification,
    AcceptInvite,
    Refresh,
    ListSessions,
    RevokeOtherSessions,
    RevokeSession,
    OpenApi,
    Jwks,
    OpenIdConfiguration,
}

pub static ROUTER: LazyLock<Router<AuthRoute>> = LazyLock::new(|| {
    Router::new(vec![
        (Method::POST, "/api/v1/auth/register", AuthRoute::Register),
        (Method::POST, "/api/v1/auth/token", AuthRoute::Token),
        (Method::GET, "/api/v1/auth/me", AuthRoute::Me),
        (Method::POST, "/api/v1/auth/logout", AuthRoute::Logout),
        (
            Method::POST,
            "/api/v1/auth/password-reset/request",
            AuthRoute::PasswordResetRequest,
        ),
        (
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            AuthRoute::PasswordResetConfirm,
        ),
        (Method::POST, "/api/v1/auth/verify-email", AuthRoute::VerifyEmail),
        (
            Method::POST,
            "/api/v1/auth/resend-verification",
            AuthRoute::ResendVerification,
        ),
        (Method::POST, "/api/v1/auth/accept-invite", AuthRoute::AcceptInvite),
        (Method::POST, "/api/v1/auth/refresh", AuthRoute::Refresh),
        (Method::GET, "/api/v1/auth/sessions", AuthRoute::ListSessions),
        (Method::DELETE, "/api/v1/auth/sessions", AuthRoute::RevokeOtherSessions),
        (
            Method::DELETE,
            "/api/v1/auth/sessions/{session_id}",
            AuthRoute::RevokeSession,
        ),
        (Method::GET, "/api/v1/openapi.json", AuthRoute::OpenApi),
        (Method::GET, "/.well-known/jwks.json", AuthRoute::Jwks),
        (
            Method::GET,
            "/.well-known/openid-configuration",
            AuthRoute::OpenIdConfiguration,
        ),
    ])
});

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let result = match ROUTER.find(req.method(), req.uri().path()) {
        Matched::Found { route, params } => match route {
            AuthRoute::Register => register(app, &req).await,
            AuthRoute::Token => token(app, &req).await,
            AuthRoute::Me => me(app, &req).await,
            AuthRoute::Logout => logout(app, &req).await,
            AuthRoute::PasswordResetRequest => password_reset_request(app, &req).await,
            AuthRoute::PasswordResetConfirm => password_reset_confirm(app, &req).await,
            AuthRoute::VerifyEmail => verify_email(app, &req).await,
            AuthRoute::ResendVerification => resend_verification(app, &req).await,
            AuthRoute::AcceptInvite => accept_invite(app, &req).await,
            AuthRoute::Refresh => refresh(app, &req).await,
            AuthRoute::ListSessions => list_sessions(app, &req).await,
            AuthRoute::RevokeOtherSessions => revoke_other_sessions(app, &req).await,
            AuthRoute::OpenApi => Ok(json_response(StatusCode::OK, &crate::openapi::document())),
            AuthRoute::Jwks => Ok(cacheable(json_response(StatusCode::OK, &discovery::jwks(app).await))),
            AuthRoute::OpenIdConfiguration => {
                let host = req
                    .headers()
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("localhost");
                let document = discovery::openid_configuration(app, &format!("https://{host}")).await;
                Ok(cacheable(json_response(StatusCode::OK, &document)))
            }
            AuthRoute::RevokeSession => {
                let session_id = params.first().map(|(_, v)| *v).unwrap_or_default();
                revoke_session(app, &req, session_id).await
            }
        },
        Matched::MethodNotAllowed => Err(AppError::MethodNotAllowed),
        Matched::NotFound => Ok(not_found()),
    };
    result.unwrap_or_else(|e| error_response(&e))
}

/// A public document verifiers may cache.
fn cacheable(mut response: Response<Body>) -> Response<Body> {
    let value = header::HeaderValue::from_str(&discovery::cache_control()).expect("a valid header value");
    response.headers_mut().insert(header::CACHE_CONTROL, value);
    response
}

/// Counts the request against the route's limit for this client; 429 once it is used up.
async fn rate_limit(app: &App, req: &Request, route: Route) -> Result<(), AppError> {
    limits::check(app, route, &client_address(req, app.settings.trust_proxy_headers)).await
}

pub(super) fn email_field(fields: &mut Fields, name: &str) -> Option<Email> {
    let raw = fields.required_str(name)?;
    match Email::parse(&raw) {
        Ok(email) => Some(email),
        Err(reason) => {
            fields.reject(FieldError::new(
                "value_error",
                &["body", name],
                format!("value is not a valid email address: {reason}"),
            ));
            None
        }
    }
}

fn new_password_field(fields: &mut Fields, name: &str) -> Option<Password> {
    let candidate = fields.required_str(name)?;
    Password::parse(candidate, name)
        .map_err(|problem| fields.reject(problem))
        .ok()
}

fn detail_ok(message: &str) -> Result<Response<Body>, AppError> {
    Ok(json_response(StatusCode::OK, &json!({ "detail": message })))
}

/// A `UserCreate` body (`email`, `password`, optional `full_name`), parsed and policy-checked.
pub(super) fn registration(req: &Request) -> Result<Registration, AppError> {
    let mut fields = json_object(req)?;
    let email = email_field(&mut fields, "email");
    let new_password = new_password_field(&mut fields, "password");
    let full_name = fields.optional_str("full_name").and_then(|raw| {
        FullName::parse(&raw, &["body", "full_name"])
            .map_err(|problem| fields.reject(problem))
            .ok()
            .flatten()
    });
    fields.finish()?;
    let (Some(email), Some(password)) = (email, new_password) else {
        unreachable!("finish() reports missing fields");
    };
    Ok(Registration {
        email,
        password,
        full_name,
    })
}

async fn register(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    rate_limit(app, req, Route::Register).await?;
    let user = users::register(app, registration(req)?).await?;
    let mut response = json_response(StatusCode::OK, &UserView::from(&user));
    let pair = sessions::start(app, user, "registration", &origin(req)).await?;
    cookies::set_session(app, &mut response, &pair);
    Ok(response)
}

async fn token(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    rate_limit(app, req, Route::Login).await?;
    let mut fields = form_fields(req)?;
    let grant = fields.optional_str("grant_type");
    if grant.as_deref() == Some("refresh_token") {
        let presented = fields.required_str("refresh_token");
        fields.finish()?;
        let presented = presented.expect("finish() reports a missing refresh_token");
        return refreshed(app, sessions::refresh(app, &presented).await);
    }
    let username = fields.required_str("username");
    let password = fields.required_str("password");
    if grant.is_some_and(|g| g != "password") {
        fields.reject(
            FieldError::new(
                "string_pattern_mismatch",
                &["body", "grant_type"],
                "String should match pattern '^(password|refresh_token)$'",
            )
            .with_ctx(json!({ "pattern": "^(password|refresh_token)$" })),
        );
    }
    fields.finish()?;
    let (Some(username), Some(password)) = (username, password) else {
        unreachable!("finish() reports missing fields");
    };
    let pair = auth::login(app, &username, SecretString::from(password), &origin(req)).await?;
    Ok(token_response(app, &pair))
}

/// The OAuth2 token response (RFC 6749 §5.1) with both cookies set.
fn token_response(app: &App, pair: &TokenPair) -> Response<Body> {
    let body = json!({
        "access_token": pair.access_token,
        "token_type": "bearer",
        "expires_in": app.tokens.lifetime_seconds(),
        "refresh_token": pair.refresh_token,
    });
    let mut response = json_response(StatusCode::OK, &body);
    // Token responses must not be cached.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    cookies::set_session(app, &mut response, pair);
    response
}

/// A refresh's answer: the new pair, or a 401 that also clears both cookies.
fn refreshed(app: &App, result: Result<TokenPair, AppError>) -> Result<Response<Body>, AppError> {
    match result {
        Ok(pair) => Ok(token_response(app, &pair)),
        Err(error) => {
            let mut response = error_response(&error);
            cookies::clear_session(app, &mut response);
            Ok(response)
        }
    }
}

/// `POST /auth/refresh`: the refresh cookie, or `{"refresh_token"}` in a JSON body.
async fn refresh(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    let from_body = if req.body().is_empty() {
        None
    } else {
        let mut fields = json_object(req)?;
        let token = fields.optional_str("refresh_token");
        fields.finish()?;
        token
    };
    let Some(presented) = from_body.or_else(|| cookies::read(app, req, "refresh")) else {
        return Err(AppError::RefreshRejected("No refresh token".into()));
    };
    refreshed(app, sessions::refresh(app, &presented).await)
}

async fn list_sessions(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    let caller = caller(app, req).await?;
    let list = sessions::list(app, caller.user.id, &caller.claims).await?;
    Ok(json_response(StatusCode::OK, &list))
}

/// `DELETE /auth/sessions`: every session but the current one.
async fn revoke_other_sessions(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    let caller = caller(app, req).await?;
    let revoked = sessions::revoke_all(app, caller.user.id, caller.user.id, Some(&caller.claims.sid)).await?;
    Ok(json_response(StatusCode::OK, &json!({ "revoked": revoked })))
}

async fn revoke_session(app: &App, req: &Request, session_id: &str) -> Result<Response<Body>, AppError> {
    let caller = caller(app, req).await?;
    if !sessions::revoke(app, caller.user.id, caller.user.id, session_id).await? {
        return Err(AppError::NotFound("Session not found".into()));
    }
    Ok(no_content())
}

async fn me(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    let caller = caller(app, req).await?;
    Ok(json_response(StatusCode::OK, &UserView::from(&caller.user)))
}

/// `POST /auth/logout`: ends the session; both cookies are cleared whatever happens.
async fn logout(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    let result = match caller(app, req).await {
        Ok(caller) => auth::logout(app, &caller).await,
        Err(e) => Err(e),
    };
    let mut response = match result {
        Ok(()) => json_response(StatusCode::OK, &json!({ "detail": "Logged out" })),
        Err(error) => error_response(&error),
    };
    cookies::clear_session(app, &mut response);
    Ok(response)
}

async fn password_reset_request(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    rate_limit(app, req, Route::PasswordResetRequest).await?;
    let mut fields = json_object(req)?;
    let email = email_field(&mut fields, "email");
    fields.finish()?;
    let email = email.expect("finish() reports a missing email");
    recovery::request_password_reset(app, &email, source_ip(req).as_deref()).await?;
    detail_ok("If an account exists, a reset token has been created")
}

async fn password_reset_confirm(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    let mut fields = json_object(req)?;
    let token = fields.required_str("token");
    let new_password = new_password_field(&mut fields, "new_password");
    fields.finish()?;
    let (Some(token), Some(new_password)) = (token, new_password) else {
        unreachable!("finish() reports missing fields");
    };
    recovery::confirm_password_reset(app, &token, new_password).await?;
    detail_ok("Password has been reset successfully")
}

async fn verify_email(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    let mut fields = json_object(req)?;
    let token = fields.required_str("token");
    fields.finish()?;
    recovery::verify_email(app, &token.expect("finish() reports a missing token")).await?;
    detail_ok("Email has been verified successfully")
}

async fn resend_verification(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    let caller = caller(app, req).await?;
    rate_limit(app, req, Route::ResendVerification).await?;
    let status = match recovery::resend_verification(app, &caller.user).await? {
        Resend::Sent => "sent",
        Resend::AlreadyVerified => "already_verified",
    };
    Ok(json_response(StatusCode::OK, &json!({ "status": status })))
}

async fn accept_invite(app: &App, req: &Request) -> Result<Response<Body>, AppError> {
    let caller = caller(app, req).await?;
    let mut fields = json_object(req)?;
    let token = fields.required_str("token");
    fields.finish()?;
    let invite = invites::accept(app, &caller, &token.expect("finish() reports a missing token")).await?;
    Ok(json_response(StatusCode::OK, &invite))
}
