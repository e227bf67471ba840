//! Each function's router, from its route table; the auth function also serves the OpenAPI
//! document of every function's routes. (Kept apart from the tables, which the document reads,
//! so no module imports one that imports it.)

use super::route::Route;
use super::{auth, call, json_response, openapi, orgs, router, users};
use crate::App;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;
use serde_json::Value;

pub fn auth_routes() -> Vec<Route> {
    let mut routes = auth::routes();
    routes.push(Route::get("/api/v1/openapi.json", serve_document, "This document").ok(200, "OpenApiDocument"));
    routes
}

pub fn users_routes() -> Vec<Route> {
    users::routes()
}

pub fn orgs_routes() -> Vec<Route> {
    orgs::routes()
}

/// The OpenAPI document of every route of every function.
pub fn document() -> Value {
    let all: Vec<Route> = [auth_routes(), users_routes(), orgs_routes()]
        .into_iter()
        .flatten()
        .collect();
    openapi::document(&all)
}

async fn serve_document() -> Response {
    json_response(StatusCode::OK, &document())
}

/// The auth function's router (`lambda_http::run(auth_router(app))`).
pub fn auth_router(app: App) -> Router {
    router(app, auth_routes())
}

pub fn users_router(app: App) -> Router {
    router(app, users_routes())
}

pub fn orgs_router(app: App) -> Router {
    router(app, orgs_routes())
}

/// One request through the router of the function API Gateway would send it to, for
/// in-process callers (tests, the bench).
pub async fn handle(app: &App, req: lambda_http::Request) -> Response {
    let path = req.uri().path();
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    let router = if under("/api/v1/auth/users") || under("/api/v1/audit") {
        users_router(app.clone())
    } else if under("/api/v1/orgs") {
        orgs_router(app.clone())
    } else {
        auth_router(app.clone())
    };
    call(router, req).await
}
