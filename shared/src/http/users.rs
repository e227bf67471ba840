//! The `users` function: admin user management under `/api/v1/auth/users`.

use super::{
    caller, error_response, integer, json_object, json_response, no_content, not_found, query_param, Matched, Router,
};
use crate::domain::admin;
use crate::error::{AppError, FieldError};
use crate::model::{Actor, User, UserView};
use crate::store::UserCursor;
use crate::App;
use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use std::sync::LazyLock;

const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = 1000;

#[derive(Clone, Copy)]
pub enum UsersRoute {
    List,
    Create,
    Get,
    Update,
    Deactivate,
    Activate,
    SetRole,
    Delete,
    RevokeSessions,
    RevokeSession,
}

pub static ROUTER: LazyLock<Router<UsersRoute>> = LazyLock::new(|| {
    Router::new(vec![
        (Method::GET, "/api/v1/auth/users", UsersRoute::List),
        (Method::POST, "/api/v1/auth/users", UsersRoute::Create),
        (Method::GET, "/api/v1/auth/users/{user_id}", UsersRoute::Get),
        (Method::PATCH, "/api/v1/auth/users/{user_id}", UsersRoute::Update),
        (Method::DELETE, "/api/v1/auth/users/{user_id}", UsersRoute::Delete),
        (
            Method::DELETE,
            "/api/v1/auth/users/{user_id}/sessions",
            UsersRoute::RevokeSessions,
        ),
        (
            Method::DELETE,
            "/api/v1/auth/users/{user_id}/sessions/{session_id}",
            UsersRoute::RevokeSession,
        ),
        (
            Method::PATCH,
            "/api/v1/auth/users/{user_id}/deactivate",
            UsersRoute::Deactivate,
        ),
        (
            Method::PATCH,
            "/api/v1/auth/users/{user_id}/activate",
            UsersRoute::Activate,
        ),
        (Method::PATCH, "/api/v1/auth/users/{user_id}/role", UsersRoute::SetRole),
    ])
});

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let result = match ROUTER.find(req.method(), req.uri().path()) {
        Matched::Found { route, params } => {
            let param = |wanted: &str| params.iter().find(|(name, _)| *name == wanted).map(|(_, v)| *v);
            dispatch(app, &req, route, param("user_id"), param("session_id")).await
        }
        Matched::MethodNotAllowed => Err(AppError::MethodNotAllowed),
        Matched::NotFound => Ok(not_found()),
    };
    result.unwrap_or_else(|e| error_response(&e))
}

async fn dispatch(
    app: &App,
    req: &Request,
    route: UsersRoute,
    user_id: Option<&str>,
    session_id: Option<&str>,
) -> Result<Response<Body>, AppError> {
    let caller = caller(app, req).await?;
    let id = || integer(user_id.unwrap_or_default(), "path", "user_id");
    let view = |user: &User| json_response(StatusCode::OK, &UserView::from(user));
    match route {
        UsersRoute::List => list(app, req, &caller).await,
        UsersRoute::Create => {
            let registration = super::auth::registration(req)?;
            let user = admin::create(app, Actor::User(&caller), registration).await?;
            Ok(json_response(StatusCode::CREATED, &UserView::from(&user)))
        }
        UsersRoute::Get => Ok(view(&admin::get(app, &caller, id()?).await?)),
        UsersRoute::Update => {
            let id = id()?;
            let full_name = query_param(req, "full_name");
            Ok(view(&admin::update_full_name(app, &caller, id, full_name).await?))
        }
        UsersRoute::Deactivate => Ok(view(&admin::set_active(app, &caller, id()?, false).await?)),
        UsersRoute::Activate => Ok(view(&admin::set_active(app, &caller, id()?, true).await?)),
        UsersRoute::SetRole => {
            let id = id()?;
            let mut fields = json_object(req)?;
            let role = fields.required_str("role");
            fields.finish()?;
            let role = role.expect("finish() reports a missing role");
            Ok(view(&admin::set_role(app, Actor::User(&caller), id, &role).await?))
        }
        UsersRoute::Delete => {
            admin::delete(app, &caller, id()?).await?;
            Ok(no_content())
        }
        UsersRoute::RevokeSessions => {
            let revoked = admin::revoke_sessions(app, &caller, id()?).await?;
            Ok(json_response(
                StatusCode::OK,
                &serde_json::json!({ "revoked": revoked }),
            ))
        }
        UsersRoute::RevokeSession => {
            admin::revoke_session(app, &caller, id()?, session_id.unwrap_or_default()).await?;
            Ok(no_content())
        }
    }
}

async fn list(app: &App, req: &Request, caller: &crate::model::Caller) -> Result<Response<Body>, AppError> {
    let limit = match query_param(req, "limit") {
        None => DEFAULT_PAGE,
        Some(raw) => integer(&raw, "query", "limit")?,
    };
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::validation(
            FieldError::new(
                "limit_range",
                &["query", "limit"],
                format!("Input should be between 1 and {MAX_PAGE}"),
            )
            .with_ctx(json!({ "ge": 1, "le": MAX_PAGE })),
        ));
    }
    let after = match query_param(req, "cursor") {
        None => None,
        Some(raw) => Some(UserCursor::decode(&raw).ok_or_else(|| AppError::BadRequest("Invalid cursor".into()))?),
    };
    let (users, next) = admin::list(app, caller, limit as i32, after).await?;
    let views: Vec<UserView> = users.iter().map(UserView::from).collect();
    let mut response = json_response(StatusCode::OK, &views);
    if let Some(next) = next {
        let value = header::HeaderValue::from_str(&next.encode()).expect("a cursor is URL-safe ASCII");
        response.headers_mut().insert("x-next-cursor", value);
    }
    Ok(response)
}
