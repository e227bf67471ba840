//! The `users` function: admin user management under `/api/v1/auth/users`.

use super::route::{Input, USER};
use super::{json_response, no_content, Fields, FromFields, Json, Path, Query, Route};
use crate::domain::admin;
use crate::domain::mfa;
use crate::domain::ports::UserCursor;
use crate::error::{AppError, FieldError};
use crate::model::{Actor, Caller, FullName, Registration, User, UserView};
use crate::App;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

/// Every route of the function, once: the router, the OpenAPI document and the deployment
/// tests read this table.
pub fn routes() -> Vec<Route> {
    vec![
        Route::get(
            "/api/v1/auth/users",
            list,
            "List users, newest first (admin, moderator)",
        )
        .auth()
        .params(&[
            ("limit", "query", "integer", false),
            ("cursor", "query", "string", false),
        ])
        .ok(200, "UserList")
        .errors(&[400, 401, 403, 422]),
        Route::get(
            "/api/v1/audit",
            super::audit::all,
            "Audit events, newest first, filtered (admin)",
        )
        .auth()
        .params(super::audit::ALL_PARAMS)
        .ok(200, "AuditEventList")
        .errors(&[400, 401, 403, 422]),
        Route::post("/api/v1/auth/users", create, "Create a user (admin)")
            .auth()
            .input(Input::Json("UserCreate"))
            .ok(201, "UserResponse")
            .errors(&[400, 401, 403, 413, 422]),
        Route::get("/api/v1/auth/users/{user_id}", get, "A user (self or admin)")
            .auth()
            .params(&[USER])
            .ok(200, "UserResponse")
            .errors(&[401, 403, 404, 422]),
        Route::patch(
            "/api/v1/auth/users/{user_id}",
            update,
            "Change a user's full name (self or admin)",
        )
        .auth()
        .params(&[USER, ("full_name", "query", "string", false)])
        .ok(200, "UserResponse")
        .errors(&[400, 401, 403, 404, 422]),
        Route::delete("/api/v1/auth/users/{user_id}", delete, "Delete a user (admin)")
            .auth()
            .params(&[USER])
            .no_content()
            .errors(&[400, 401, 403, 404, 409, 422]),
        Route::patch(
            "/api/v1/auth/users/{user_id}/deactivate",
            deactivate,
            "Deactivate a user, ending their tokens (admin)",
        )
        .auth()
        .params(&[USER])
        .ok(200, "UserResponse")
        .errors(&[400, 401, 403, 404, 422]),
        Route::patch(
            "/api/v1/auth/users/{user_id}/activate",
            activate,
            "Activate a user (admin)",
        )
        .auth()
        .params(&[USER])
        .ok(200, "UserResponse")
        .errors(&[401, 403, 404, 422]),
        Route::patch(
            "/api/v1/auth/users/{user_id}/role",
            set_role,
            "Set a user's global role (admin)",
        )
        .auth()
        .input(Input::Json("RoleUpdate"))
        .params(&[USER])
        .ok(200, "UserResponse")
        .errors(&[400, 401, 403, 404, 413, 422]),
        Route::delete(
            "/api/v1/auth/users/{user_id}/sessions",
            revoke_sessions,
            "End every session of a user (admin)",
        )
        .auth()
        .params(&[USER])
        .ok(200, "Revoked")
        .errors(&[401, 403, 422]),
        Route::delete(
            "/api/v1/auth/users/{user_id}/sessions/{session_id}",
            revoke_session,
            "End one session of a user (admin)",
        )
        .auth()
        .params(&[USER, ("session_id", "path", "string", true)])
        .no_content()
        .errors(&[401, 403, 404, 422]),
        Route::delete(
            "/api/v1/auth/users/{user_id}/mfa",
            remove_mfa,
            "Remove a user's second factor for account recovery, ending their sessions (admin)",
        )
        .auth()
        .params(&[USER])
        .no_content()
        .errors(&[401, 403, 404, 422]),
    ]
}

fn view(user: &User) -> Response {
    json_response(StatusCode::OK, &UserView::from(user))
}

async fn list(State(app): State<App>, caller: Caller, query: Query) -> Result<Response, AppError> {
    let limit = query.page_limit()?;
    let after = match query.get("cursor") {
        None => None,
        Some(raw) => Some(UserCursor::decode(&raw).ok_or_else(|| AppError::BadRequest("Invalid cursor".into()))?),
    };
    let (users, next) = admin::list(&app, &caller, limit as i32, after).await?;
    let views: Vec<UserView> = users.iter().map(UserView::from).collect();
    let mut response = json_response(StatusCode::OK, &views);
    if let Some(next) = next {
        let value = HeaderValue::from_str(&next.encode()).expect("a cursor is URL-safe ASCII");
        response.headers_mut().insert("x-next-cursor", value);
    }
    Ok(response)
}

async fn create(
    State(app): State<App>,
    caller: Caller,
    Json(registration): Json<Registration>,
) -> Result<Response, AppError> {
    let user = admin::create(&app, Actor::User(&caller), registration).await?;
    Ok(json_response(StatusCode::CREATED, &UserView::from(&user)))
}

async fn get(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Result<Response, AppError> {
    Ok(view(&admin::get(&app, &caller, id).await?))
}

async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    query: Query,
) -> Result<Response, AppError> {
    // The rules of registration's `full_name`, except that a blank one is a 422 rather than
    // no name: `?full_name=` is more likely a client bug than a wish to erase the name.
    let loc = ["query", "full_name"];
    let full_name = match query.get("full_name") {
        None => None,
        Some(raw) => match FullName::parse(&raw, &loc).map_err(|e| AppError::Validation(vec![e]))? {
            Some(name) => Some(name),
            None => return Err(AppError::Validation(vec![FieldError::too_short(&loc, 1)])),
        },
    };
    Ok(view(&admin::update_full_name(&app, &caller, id, full_name).await?))
}

async fn deactivate(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Result<Response, AppError> {
    Ok(view(&admin::set_active(&app, &caller, id, false).await?))
}

async fn activate(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Result<Response, AppError> {
    Ok(view(&admin::set_active(&app, &caller, id, true).await?))
}

/// `{"role"}`.
struct RoleUpdate(String);

impl FromFields for RoleUpdate {
    fn read(fields: &mut Fields) -> Option<Self> {
        fields.required_str("role").map(RoleUpdate)
    }
}

async fn set_role(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(RoleUpdate(role)): Json<RoleUpdate>,
) -> Result<Response, AppError> {
    Ok(view(&admin::set_role(&app, Actor::User(&caller), id, &role).await?))
}

async fn delete(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Result<Response, AppError> {
    admin::delete(&app, &caller, id).await?;
    Ok(no_content())
}

async fn revoke_sessions(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Result<Response, AppError> {
    let revoked = admin::revoke_sessions(&app, &caller, id).await?;
    Ok(json_response(StatusCode::OK, &json!({ "revoked": revoked })))
}

async fn revoke_session(
    State(app): State<App>,
    caller: Caller,
    Path((id, session_id)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    admin::revoke_session(&app, &caller, id, &session_id).await?;
    Ok(no_content())
}

async fn remove_mfa(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Result<Response, AppError> {
    mfa::remove_by_admin(&app, &caller, id).await?;
    Ok(no_content())
}
