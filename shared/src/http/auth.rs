//! The `auth` function: register, token, me, logout, password reset, email verification,
//! sessions, self-service (change password or email, close the account), accepting invites,
//! and the OpenAPI document.

use super::extract::{Form, Limited, RateLimited};
use super::route::Input;
use super::{cookies, json_response, no_content, Fields, FromFields, Json, OptionalJson, Path, Route};
use crate::domain::account;
use crate::domain::auth;
use crate::domain::discovery;
use crate::domain::invites;
use crate::domain::limits;
use crate::domain::mfa;
use crate::domain::recovery::{self, Resend};
use crate::domain::sessions;
use crate::domain::users;
use crate::error::{AppError, FieldError};
use crate::model::{
    Caller, Email, FullName, Origin, Password, RecoveryCode, Registration, TokenPair, TotpCode, UserView,
};
use crate::App;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::json;

/// Every route of the function, once: the router, the OpenAPI document and the deployment
/// tests read this table.
pub fn routes() -> Vec<Route> {
    vec![
        Route::post("/api/v1/auth/register", register, "Register (and sign in)")
            .input(Input::Json("UserCreate"))
            .ok(200, "UserResponse")
            .errors(&[400, 403, 413, 422, 429]),
        Route::post(
            "/api/v1/auth/token",
            token,
            "OAuth2 password or refresh-token grant (an account with a second factor: 401 with an mfa_token)",
        )
        .input(Input::TokenForm)
        .ok(200, "TokenResponse")
        .errors(&[401, 403, 413, 422, 429]),
        Route::post(
            "/api/v1/auth/mfa/verify",
            mfa_verify,
            "The second step of a login: the mfa_token with a TOTP code or a recovery code",
        )
        .input(Input::Json("MfaVerify"))
        .ok(200, "TokenResponse")
        .errors(&[401, 403, 413, 422, 429]),
        Route::post(
            "/api/v1/auth/mfa/totp",
            mfa_enrol,
            "Start enrolling a TOTP authenticator (with the current password)",
        )
        .auth()
        .input(Input::Json("PasswordBody"))
        .ok(200, "TotpEnrolment")
        .errors(&[400, 401, 403, 409, 413, 422]),
        Route::post(
            "/api/v1/auth/mfa/totp/confirm",
            mfa_confirm,
            "Confirm the enrolment with a first code; answers the recovery codes, once",
        )
        .auth()
        .input(Input::Json("CodeBody"))
        .ok(200, "RecoveryCodes")
        .errors(&[400, 401, 409, 413, 422]),
        Route::delete(
            "/api/v1/auth/mfa/totp",
            mfa_disable,
            "Remove the second factor (a session signed in with it)",
        )
        .auth()
        .no_content()
        .errors(&[401, 403, 404]),
        Route::post(
            "/api/v1/auth/mfa/recovery-codes",
            mfa_recovery_codes,
            "New recovery codes replace the unused ones (a session signed in with the second factor)",
        )
        .auth()
        .ok(200, "RecoveryCodes")
        .errors(&[400, 401, 403]),
        Route::post("/api/v1/auth/refresh", refresh, "Rotate the refresh token")
            .input(Input::OptionalJson("RefreshRequest"))
            .ok(200, "TokenResponse")
            .errors(&[401, 413, 422]),
        Route::get("/api/v1/auth/me", me, "The caller")
            .auth()
            .ok(200, "UserResponse")
            .errors(&[401]),
        Route::get(
            "/api/v1/auth/me/security-log",
            super::audit::security_log,
            "The caller's security log: sign-ins, failures on their email, credential and session changes",
        )
        .auth()
        .params(super::audit::OWN_PARAMS)
        .ok(200, "AuditEventList")
        .errors(&[400, 401, 422]),
        Route::post("/api/v1/auth/logout", logout, "Revoke this token and its session")
            .auth()
            .ok(200, "Detail")
            .errors(&[401]),
        Route::delete("/api/v1/auth/me", close_account, "Close the caller's account")
            .auth()
            .input(Input::Json("PasswordBody"))
            .ok(200, "Detail")
            .errors(&[400, 401, 403, 409, 413, 422, 429]),
        Route::post(
            "/api/v1/auth/change-password",
            change_password,
            "Change the password: every other session ends; the answer is this session's new tokens",
        )
        .auth()
        .input(Input::Json("PasswordChange"))
        .ok(200, "TokenResponse")
        .errors(&[400, 401, 403, 409, 413, 422, 429]),
        Route::post(
            "/api/v1/auth/change-email",
            change_email,
            "Mail a link to a new address that moves the account there (same answer for every address)",
        )
        .auth()
        .input(Input::Json("EmailChange"))
        .ok(200, "Detail")
        .errors(&[400, 401, 403, 413, 422, 429]),
        Route::post(
            "/api/v1/auth/change-email/confirm",
            confirm_email_change,
            "Move the account to the new address with the token mailed there",
        )
        .input(Input::Json("TokenBody"))
        .ok(200, "Detail")
        .errors(&[400, 413, 422]),
        Route::get("/api/v1/auth/sessions", list_sessions, "The caller's live sessions")
            .auth()
            .ok(200, "SessionList")
            .errors(&[401]),
        Route::delete(
            "/api/v1/auth/sessions",
            revoke_other_sessions,
            "End every session but the current one",
        )
        .auth()
        .ok(200, "Revoked")
        .errors(&[401]),
        Route::delete(
            "/api/v1/auth/sessions/{session_id}",
            revoke_session,
            "End one of the caller's sessions",
        )
        .auth()
        .params(&[("session_id", "path", "string", true)])
        .no_content()
        .errors(&[401, 404]),
        Route::post(
            "/api/v1/auth/password-reset/request",
            password_reset_request,
            "Mail a password-reset token (same answer for every address)",
        )
        .input(Input::Json("PasswordResetRequest"))
        .ok(200, "Detail")
        .errors(&[413, 422, 429]),
        Route::post(
            "/api/v1/auth/password-reset/confirm",
            password_reset_confirm,
            "Set a new password with a reset token",
        )
        .input(Input::Json("PasswordResetConfirm"))
        .ok(200, "Detail")
        .errors(&[400, 413, 422]),
        Route::post(
            "/api/v1/auth/verify-email",
            verify_email,
            "Verify the email address with its token",
        )
        .input(Input::Json("TokenBody"))
        .ok(200, "Detail")
        .errors(&[400, 413, 422]),
        Route::post(
            "/api/v1/auth/resend-verification",
            resend_verification,
            "Mail a new verification token",
        )
        .auth()
        .ok(200, "ResendResponse")
        .errors(&[401, 429]),
        Route::post(
            "/api/v1/auth/accept-invite",
            accept_invite,
            "Join an organization with an invite token",
        )
        .auth()
        .input(Input::Json("TokenBody"))
        .ok(200, "InviteResponse")
        .errors(&[400, 401, 403, 409, 413, 422]),
        Route::get(
            "/api/v1/auth/invites",
            received_invites,
            "The caller's pending invites to organizations",
        )
        .auth()
        .ok(200, "ReceivedInviteList")
        .errors(&[401]),
        Route::post(
            "/api/v1/auth/invites/{invite_id}/accept",
            accept_received_invite,
            "Accept one of the caller's invites and join the organization",
        )
        .auth()
        .params(&[INVITE])
        .ok(200, "MemberResponse")
        .errors(&[400, 401, 403, 404, 422]),
        Route::post(
            "/api/v1/auth/invites/{invite_id}/decline",
            decline_invite,
            "Decline one of the caller's invites",
        )
        .auth()
        .params(&[INVITE])
        .no_content()
        .errors(&[401, 404, 422]),
        Route::get(
            "/.well-known/jwks.json",
            jwks,
            "The public keys that verify access tokens (JWKS, RFC 7517)",
        )
        .ok(200, "JwkSet"),
        Route::get(
            "/.well-known/openid-configuration",
            openid_configuration,
            "Discovery: issuer, jwks_uri, token endpoint, grant types and algorithms",
        )
        .ok(200, "OpenIdConfiguration"),
    ]
}

const INVITE: super::route::Param = ("invite_id", "path", "integer", true);

/// A public document verifiers may cache.
fn cacheable(mut response: Response) -> Response {
    let value = HeaderValue::from_str(&discovery::cache_control()).expect("a valid header value");
    response.headers_mut().insert(header::CACHE_CONTROL, value);
    response
}

/// `GET /.well-known/jwks.json`: public keys only.
async fn jwks(State(app): State<App>) -> Response {
    cacheable(json_response(StatusCode::OK, &discovery::jwks(&app).await))
}

/// `GET /.well-known/openid-configuration`; URLs from `PUBLIC_URL`, else the request's host.
async fn openid_configuration(State(app): State<App>, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let document = discovery::openid_configuration(&app, &format!("https://{host}")).await;
    cacheable(json_response(StatusCode::OK, &document))
}

pub struct LoginLimit;
impl Limited for LoginLimit {
    const ROUTE: limits::Route = limits::Route::Login;
}

pub struct RegisterLimit;
impl Limited for RegisterLimit {
    const ROUTE: limits::Route = limits::Route::Register;
}

pub struct ResetLimit;
impl Limited for ResetLimit {
    const ROUTE: limits::Route = limits::Route::PasswordResetRequest;
}

pub struct ResendLimit;
impl Limited for ResendLimit {
    const ROUTE: limits::Route = limits::Route::ResendVerification;
}

pub struct AccountChangeLimit;
impl Limited for AccountChangeLimit {
    const ROUTE: limits::Route = limits::Route::AccountChange;
}

pub struct MfaLimit;
impl Limited for MfaLimit {
    const ROUTE: limits::Route = limits::Route::Mfa;
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

fn detail_ok(message: &str) -> Response {
    json_response(StatusCode::OK, &json!({ "detail": message }))
}

/// A `UserCreate` body (`email`, `password`, optional `full_name`), parsed and policy-checked.
pub(super) fn registration(fields: &mut Fields) -> Option<Registration> {
    let email = email_field(fields, "email");
    let new_password = new_password_field(fields, "password");
    let full_name = fields.optional_str("full_name").and_then(|raw| {
        FullName::parse(&raw, &["body", "full_name"])
            .map_err(|problem| fields.reject(problem))
            .ok()
            .flatten()
    });
    let (email, password) = email.zip(new_password)?;
    Some(Registration {
        email,
        password,
        full_name,
    })
}

impl FromFields for Registration {
    fn read(fields: &mut Fields) -> Option<Self> {
        registration(fields)
    }
}

/// The `UserCreate` body of `/register`: a registration and, optionally, an invite token to the
/// same address (which proves it).
struct SignUp {
    registration: Registration,
    invite_token: Option<String>,
}

impl FromFields for SignUp {
    fn read(fields: &mut Fields) -> Option<Self> {
        let invite_token = fields.optional_str("invite_token");
        Some(SignUp {
            registration: registration(fields)?,
            invite_token,
        })
    }
}

async fn register(
    State(app): State<App>,
    _: RateLimited<RegisterLimit>,
    origin: Origin,
    Json(body): Json<SignUp>,
) -> Result<Response, AppError> {
    let (user, pair) = users::register(&app, body.registration, body.invite_token.as_deref(), &origin).await?;
    let mut response = json_response(StatusCode::OK, &UserView::from(&user));
    cookies::set_session(&app, &mut response, &pair);
    Ok(response)
}

/// The `/auth/token` form: the password grant (the default) or the refresh-token grant.
enum Grant {
    Password { username: String, password: SecretString },
    RefreshToken(String),
}

impl FromFields for Grant {
    fn read(fields: &mut Fields) -> Option<Self> {
        let grant = fields.optional_str("grant_type");
        if grant.as_deref() == Some("refresh_token") {
            return fields.required_str("refresh_token").map(Grant::RefreshToken);
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
        let (username, password) = username.zip(password)?;
        Some(Grant::Password {
            username,
            password: SecretString::from(password),
        })
    }
}

async fn token(
    State(app): State<App>,
    _: RateLimited<LoginLimit>,
    origin: Origin,
    Form(grant): Form<Grant>,
) -> Result<Response, AppError> {
    match grant {
        Grant::RefreshToken(presented) => Ok(refreshed(&app, sessions::refresh(&app, &presented).await)),
        Grant::Password { username, password } => {
            let pair = auth::login(&app, &username, password, &origin).await?;
            Ok(token_response(&app, &pair))
        }
    }
}

/// The OAuth2 token response (RFC 6749 §5.1) with both cookies set.
fn token_response(app: &App, pair: &TokenPair) -> Response {
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
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    cookies::set_session(app, &mut response, pair);
    response
}

/// A refresh's answer: the new pair, or a 401 that also clears both cookies.
fn refreshed(app: &App, result: Result<TokenPair, AppError>) -> Response {
    match result {
        Ok(pair) => token_response(app, &pair),
        Err(error) => {
            let mut response = error.into_response();
            cookies::clear_session(app, &mut response);
            response
        }
    }
}

/// `{"refresh_token"?}`.
struct RefreshBody(Option<String>);

impl FromFields for RefreshBody {
    fn read(fields: &mut Fields) -> Option<Self> {
        Some(RefreshBody(fields.optional_str("refresh_token")))
    }
}

/// `POST /auth/refresh`: the refresh cookie, or `{"refresh_token"}` in a JSON body.
async fn refresh(
    State(app): State<App>,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<RefreshBody>,
) -> Result<Response, AppError> {
    let from_body = body.and_then(|RefreshBody(token)| token);
    let Some(presented) = from_body.or_else(|| cookies::read(&app, &headers, "refresh")) else {
        return Err(AppError::RefreshRejected("No refresh token".into()));
    };
    Ok(refreshed(&app, sessions::refresh(&app, &presented).await))
}

async fn list_sessions(State(app): State<App>, caller: Caller) -> Result<Response, AppError> {
    let list = sessions::list(&app, caller.user.id, &caller.claims).await?;
    Ok(json_response(StatusCode::OK, &list))
}

/// `DELETE /auth/sessions`: every session but the current one.
async fn revoke_other_sessions(State(app): State<App>, caller: Caller) -> Result<Response, AppError> {
    let revoked = sessions::revoke_all(&app, caller.user.id, caller.user.id, Some(&caller.claims.sid)).await?;
    Ok(json_response(StatusCode::OK, &json!({ "revoked": revoked })))
}

async fn revoke_session(
    State(app): State<App>,
    caller: Caller,
    Path(session_id): Path<String>,
) -> Result<Response, AppError> {
    if !sessions::revoke(&app, caller.user.id, caller.user.id, &session_id).await? {
        return Err(AppError::NotFound("Session not found".into()));
    }
    Ok(no_content())
}

async fn me(caller: Caller) -> Response {
    json_response(StatusCode::OK, &UserView::from(&caller.user))
}

/// `POST /auth/logout`: ends the session; both cookies are cleared whatever happens.
async fn logout(State(app): State<App>, caller: Result<Caller, AppError>) -> Response {
    let result = match caller {
        Ok(caller) => auth::logout(&app, &caller).await,
        Err(e) => Err(e),
    };
    let mut response = match result {
        Ok(()) => detail_ok("Logged out"),
        Err(error) => error.into_response(),
    };
    cookies::clear_session(&app, &mut response);
    response
}

/// `{"email"}`.
struct ResetRequest(Email);

impl FromFields for ResetRequest {
    fn read(fields: &mut Fields) -> Option<Self> {
        email_field(fields, "email").map(ResetRequest)
    }
}

async fn password_reset_request(
    State(app): State<App>,
    _: RateLimited<ResetLimit>,
    Json(ResetRequest(email)): Json<ResetRequest>,
) -> Result<Response, AppError> {
    recovery::request_password_reset(&app, &email).await?;
    Ok(detail_ok("If an account exists, a reset token has been created"))
}

/// `{"token", "new_password"}`.
struct ResetConfirm {
    token: String,
    new_password: Password,
}

impl FromFields for ResetConfirm {
    fn read(fields: &mut Fields) -> Option<Self> {
        let token = fields.required_str("token");
        let new_password = new_password_field(fields, "new_password");
        let (token, new_password) = token.zip(new_password)?;
        Some(ResetConfirm { token, new_password })
    }
}

async fn password_reset_confirm(State(app): State<App>, Json(body): Json<ResetConfirm>) -> Result<Response, AppError> {
    recovery::confirm_password_reset(&app, &body.token, body.new_password).await?;
    Ok(detail_ok("Password has been reset successfully"))
}

/// `{"token"}`.
struct TokenBody(String);

impl FromFields for TokenBody {
    fn read(fields: &mut Fields) -> Option<Self> {
        fields.required_str("token").map(TokenBody)
    }
}

async fn verify_email(State(app): State<App>, Json(TokenBody(token)): Json<TokenBody>) -> Result<Response, AppError> {
    recovery::verify_email(&app, &token).await?;
    Ok(detail_ok("Email has been verified successfully"))
}

async fn resend_verification(
    State(app): State<App>,
    caller: Caller,
    _: RateLimited<ResendLimit>,
) -> Result<Response, AppError> {
    let status = match recovery::resend_verification(&app, &caller.user).await? {
        Resend::Sent => "sent",
        Resend::AlreadyVerified => "already_verified",
    };
    Ok(json_response(StatusCode::OK, &json!({ "status": status })))
}

async fn accept_invite(
    State(app): State<App>,
    caller: Caller,
    Json(TokenBody(token)): Json<TokenBody>,
) -> Result<Response, AppError> {
    let invite = invites::accept(&app, &caller, &token).await?;
    Ok(json_response(StatusCode::OK, &invite))
}

async fn received_invites(State(app): State<App>, caller: Caller) -> Result<Response, AppError> {
    let list = invites::received(&app, &caller).await?;
    Ok(json_response(StatusCode::OK, &list))
}

async fn accept_received_invite(
    State(app): State<App>,
    caller: Caller,
    Path(invite_id): Path<i64>,
) -> Result<Response, AppError> {
    let membership = invites::accept_received(&app, &caller, invite_id).await?;
    Ok(json_response(StatusCode::OK, &membership))
}

async fn decline_invite(
    State(app): State<App>,
    caller: Caller,
    Path(invite_id): Path<i64>,
) -> Result<Response, AppError> {
    invites::decline(&app, &caller, invite_id).await?;
    Ok(no_content())
}

/// `{"current_password", "new_password"}`: the new one meets registration's rules; the current
/// one is only compared (it may predate them).
struct PasswordChangeBody {
    current: SecretString,
    new_password: Password,
}

impl FromFields for PasswordChangeBody {
    fn read(fields: &mut Fields) -> Option<Self> {
        let current = fields.required_str("current_password");
        let new_password = new_password_field(fields, "new_password");
        let (current, new_password) = current.zip(new_password)?;
        Some(PasswordChangeBody {
            current: SecretString::from(current),
            new_password,
        })
    }
}

async fn change_password(
    State(app): State<App>,
    caller: Caller,
    _: RateLimited<AccountChangeLimit>,
    Json(body): Json<PasswordChangeBody>,
) -> Result<Response, AppError> {
    let pair = account::change_password(&app, &caller, body.current, body.new_password).await?;
    Ok(token_response(&app, &pair))
}

/// `{"new_email", "password"}`.
struct EmailChangeBody {
    new_email: Email,
    password: SecretString,
}

impl FromFields for EmailChangeBody {
    fn read(fields: &mut Fields) -> Option<Self> {
        let new_email = email_field(fields, "new_email");
        let password = fields.required_str("password");
        let (new_email, password) = new_email.zip(password)?;
        Some(EmailChangeBody {
            new_email,
            password: SecretString::from(password),
        })
    }
}

async fn change_email(
    State(app): State<App>,
    caller: Caller,
    _: RateLimited<AccountChangeLimit>,
    Json(body): Json<EmailChangeBody>,
) -> Result<Response, AppError> {
    account::request_email_change(&app, &caller, &body.new_email, body.password).await?;
    Ok(detail_ok(
        "A confirmation link has been sent to the new address; the account moves once it is opened",
    ))
}

async fn confirm_email_change(
    State(app): State<App>,
    Json(TokenBody(token)): Json<TokenBody>,
) -> Result<Response, AppError> {
    account::confirm_email_change(&app, &token).await?;
    Ok(detail_ok("Email address has been changed"))
}

/// `DELETE /auth/me`: on success both cookies are cleared.
async fn close_account(
    State(app): State<App>,
    caller: Caller,
    _: RateLimited<AccountChangeLimit>,
    Json(PasswordBody(password)): Json<PasswordBody>,
) -> Result<Response, AppError> {
    account::close_own_account(&app, &caller, password).await?;
    let mut response = detail_ok("Account deleted");
    cookies::clear_session(&app, &mut response);
    Ok(response)
}

/// `{"mfa_token", "code"}` or `{"mfa_token", "recovery_code"}`.
struct MfaVerify {
    mfa_token: String,
    answer: mfa::Answer,
}

impl FromFields for MfaVerify {
    fn read(fields: &mut Fields) -> Option<Self> {
        let mfa_token = fields.required_str("mfa_token");
        let code = fields.optional_str("code");
        let recovery_code = fields.optional_str("recovery_code");
        let answer = match (code, recovery_code) {
            (Some(code), None) => TotpCode::parse(&code, &["body", "code"])
                .map(mfa::Answer::Totp)
                .map_err(|problem| fields.reject(problem))
                .ok(),
            (None, Some(code)) => RecoveryCode::parse(&code, &["body", "recovery_code"])
                .map(mfa::Answer::RecoveryCode)
                .map_err(|problem| fields.reject(problem))
                .ok(),
            _ => {
                fields.reject(FieldError::new(
                    "value_error",
                    &["body"],
                    "Value error, send exactly one of 'code' and 'recovery_code'",
                ));
                None
            }
        };
        let (mfa_token, answer) = mfa_token.zip(answer)?;
        Some(MfaVerify { mfa_token, answer })
    }
}

async fn mfa_verify(
    State(app): State<App>,
    _: RateLimited<MfaLimit>,
    origin: Origin,
    Json(body): Json<MfaVerify>,
) -> Result<Response, AppError> {
    let pair = mfa::verify(&app, &body.mfa_token, body.answer, &origin).await?;
    Ok(token_response(&app, &pair))
}

/// `{"password"}`.
struct PasswordBody(SecretString);

impl FromFields for PasswordBody {
    fn read(fields: &mut Fields) -> Option<Self> {
        fields
            .required_str("password")
            .map(|password| PasswordBody(SecretString::from(password)))
    }
}

/// Secrets shown once: never cached.
fn not_stored(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn mfa_enrol(
    State(app): State<App>,
    caller: Caller,
    Json(PasswordBody(password)): Json<PasswordBody>,
) -> Result<Response, AppError> {
    let enrolment = mfa::enrol(&app, &caller, password).await?;
    Ok(not_stored(json_response(StatusCode::OK, &enrolment)))
}

/// `{"code"}`.
struct CodeBody(TotpCode);

impl FromFields for CodeBody {
    fn read(fields: &mut Fields) -> Option<Self> {
        let code = fields.required_str("code")?;
        TotpCode::parse(&code, &["body", "code"])
            .map_err(|problem| fields.reject(problem))
            .ok()
            .map(CodeBody)
    }
}

async fn mfa_confirm(
    State(app): State<App>,
    caller: Caller,
    Json(CodeBody(code)): Json<CodeBody>,
) -> Result<Response, AppError> {
    let codes = mfa::confirm(&app, &caller, code).await?;
    Ok(not_stored(json_response(
        StatusCode::OK,
        &json!({ "recovery_codes": codes }),
    )))
}

async fn mfa_disable(State(app): State<App>, caller: Caller) -> Result<Response, AppError> {
    mfa::disable(&app, &caller).await?;
    Ok(no_content())
}

async fn mfa_recovery_codes(State(app): State<App>, caller: Caller) -> Result<Response, AppError> {
    let codes = mfa::regenerate_recovery_codes(&app, &caller).await?;
    Ok(not_stored(json_response(
        StatusCode::OK,
        &json!({ "recovery_codes": codes }),
    )))
}
