//! The seed doc's flows over HTTP, sent as its curl lines send them.

use blackbox::{unique_email, Api};
use serde_json::json;

#[test]
fn quick_start_register_token_me() {
    let api = Api::new();
    let email = unique_email("jane");
    let registered = api.post_json(
        "/api/v1/auth/register",
        &format!(r#"{{"email": "{email}", "password": "Secret1234!", "full_name": "Jane Doe"}}"#),
    );
    assert_eq!(registered.status, 200, "{:?}", registered.body);
    assert_eq!(registered.body["email"], email.as_str());
    assert_eq!(registered.body["full_name"], "Jane Doe");
    assert_eq!(registered.body["is_active"], true);
    assert_eq!(registered.body["is_verified"], false);
    assert!(registered.body["id"].is_i64());

    let login = api.post_form("/api/v1/auth/token", &format!("username={email}&password=Secret1234!"));
    assert_eq!(login.status, 200, "{:?}", login.body);
    assert_eq!(login.body["token_type"], "bearer");
    let token = login.body["access_token"].as_str().unwrap();

    let me = api.get("/api/v1/auth/me", token);
    assert_eq!(me.status, 200);
    for field in [
        "email",
        "full_name",
        "is_active",
        "is_verified",
        "role",
        "id",
        "created_at",
        "updated_at",
    ] {
        assert_eq!(me.body[field], registered.body[field], "{field}");
    }
    assert!(me.body["last_login"].is_string());
}

#[test]
fn logout_then_the_token_is_refused() {
    let api = Api::new();
    let email = unique_email("jane");
    let body = format!(r#"{{"email": "{email}", "password": "NewSecret5678!"}}"#);
    assert_eq!(api.post_json("/api/v1/auth/register", &body).status, 200);
    let login = api.post_form(
        "/api/v1/auth/token",
        &format!("username={email}&password=NewSecret5678!"),
    );
    let token = login.body["access_token"].as_str().unwrap();

    assert_eq!(api.get("/api/v1/auth/me", token).status, 200);
    let logout = api.post_with_token("/api/v1/auth/logout", token);
    assert_eq!((logout.status, logout.body), (200, json!({ "detail": "Logged out" })));
    let after = api.get("/api/v1/auth/me", token);
    assert_eq!(after.status, 401);
    assert_eq!(after.body, json!({ "detail": "Could not validate credentials" }));
    assert_eq!(after.header("www-authenticate"), Some("Bearer"));
}

#[test]
fn wrong_password_and_unknown_user_look_the_same() {
    let api = Api::new();
    let email = unique_email("known");
    let body = format!(r#"{{"email": "{email}", "password": "Correct1234!"}}"#);
    assert_eq!(api.post_json("/api/v1/auth/register", &body).status, 200);
    let wrong = api.post_form("/api/v1/auth/token", &format!("username={email}&password=WrongPass"));
    let unknown = api.post_form(
        "/api/v1/auth/token",
        &format!("username={}&password=wrong", unique_email("nobody")),
    );
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert_eq!(wrong.status, 401);
}

#[test]
fn errors_are_json_at_the_edge() {
    let api = Api::new();
    let unknown = api.request("GET", "/api/v1/auth/does-not-exist", None, None, None);
    assert_eq!((unknown.status, unknown.body), (404, json!({ "detail": "Not Found" })));
    let wrong_method = api.request("PUT", "/api/v1/auth/register", None, None, None);
    assert_eq!(
        (wrong_method.status, wrong_method.body),
        (405, json!({ "detail": "Method Not Allowed" }))
    );
    let malformed = api.post_json("/api/v1/auth/register", "{not json");
    assert_eq!(malformed.status, 422);
    let oversized = api.post_json(
        "/api/v1/auth/register",
        &format!(r#"{{"pad": "{}"}}"#, "x".repeat(70 * 1024)),
    );
    assert_eq!(oversized.status, 413);
    let unauthenticated = api.request("GET", "/api/v1/auth/me", None, None, None);
    assert_eq!(unauthenticated.status, 401);
}

#[test]
fn refresh_rotates_over_http() {
    let api = Api::new();
    let email = unique_email("tabs");
    let body = format!(r#"{{"email": "{email}", "password": "Secret1234!"}}"#);
    assert_eq!(api.post_json("/api/v1/auth/register", &body).status, 200);
    let login = api.post_form("/api/v1/auth/token", &format!("username={email}&password=Secret1234!"));
    let first = login.body["refresh_token"].as_str().unwrap().to_string();
    assert!(
        login.header("set-cookie").is_some(),
        "cookies come with the token response"
    );
    let refreshed = api.post_json("/api/v1/auth/refresh", &format!(r#"{{"refresh_token": "{first}"}}"#));
    assert_eq!(refreshed.status, 200, "{:?}", refreshed.body);
    assert_ne!(refreshed.body["refresh_token"].as_str().unwrap(), first);
    let me = api.get("/api/v1/auth/me", refreshed.body["access_token"].as_str().unwrap());
    assert_eq!(me.body["email"], email.as_str());
}
