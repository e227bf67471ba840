//! Issue 12 over HTTP against `cargo lambda watch` with the code's defaults (the seed's flows;
//! the hardened settings are covered in `shared/tests/api/tenancy.rs`), `PUBLIC_URL` set to the
//! stack's own address and `CORS_ALLOWED_ORIGINS=https://app.example.test` (`make test`).

use blackbox::{gatehouse, unique_email, Api, Reply};
use serde_json::{json, Value};

const APP: &str = "https://app.example.test";
const EVIL: &str = "https://evil.example";

fn register(email: &str) -> i64 {
    let reply = Api::new().post_json(
        "/api/v1/auth/register",
        &json!({ "email": email, "password": "Secret1234!" }).to_string(),
    );
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["id"].as_i64().unwrap()
}

fn login(api: &Api, email: &str) -> String {
    let reply = api.post_form("/api/v1/auth/token", &format!("username={email}&password=Secret1234!"));
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_string()
}

fn send(api: &Api, method: &str, path: &str, token: &str, body: Option<&str>) -> Reply {
    api.request(method, path, body.map(|_| "application/json"), Some(token), body)
}

/// A fresh user owning a fresh org: (token, org id).
fn owner_with_org(api: &Api) -> (String, i64) {
    let email = unique_email("owner");
    register(&email);
    let token = login(api, &email);
    let slug = format!("org-{}", uuid::Uuid::new_v4().simple());
    let body = json!({ "name": "Acme Corp", "slug": slug }).to_string();
    let created = send(api, "POST", "/api/v1/orgs", &token, Some(&body));
    assert_eq!(created.status, 201, "{:?}", created.body);
    (token, created.body["id"].as_i64().unwrap())
}

/// Every POST, PATCH and DELETE the stack documents (its route tables), from the served document.
fn unsafe_operations(api: &Api) -> Vec<(String, String)> {
    let document = api.request("GET", "/api/v1/openapi.json", None, None, None).body;
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["post", "patch", "delete", "put"].contains(&method.as_str()) {
                operations.push((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    operations
}

#[test]
fn an_evil_origin_is_refused_on_every_cookie_authenticated_unsafe_route() {
    let api = Api::new();
    let (token, org) = owner_with_org(&api);
    let cookie = format!("gatehouse_session={token}");
    let operations = unsafe_operations(&api);
    assert!(operations.len() >= 25, "{operations:?}");
    let before = (
        send(&api, "GET", &format!("/api/v1/orgs/{org}"), &token, None).body,
        send(&api, "GET", &format!("/api/v1/orgs/{org}/members"), &token, None).body,
        send(&api, "GET", "/api/v1/auth/sessions", &token, None)
            .body
            .as_array()
            .unwrap()
            .len(),
    );
    for (method, template) in &operations {
        let path = template
            .replace("{org_id}", &org.to_string())
            .replace("{user_id}", "1")
            .replace("{invite_id}", "1")
            .replace("{session_id}", "x");
        let body = (method != "DELETE").then_some(r#"{"name": "Evil"}"#);
        for source in [("Origin", EVIL), ("Referer", "https://evil.example/a-page")] {
            let headers = [
                ("Cookie", cookie.as_str()),
                ("Content-Type", "application/json"),
                source,
            ];
            let reply = api.request_with(method, &path, &headers, body);
            assert_eq!(
                (reply.status, &reply.body),
                (403, &json!({ "detail": "Cross-site request refused" })),
                "{method} {path} with {source:?}"
            );
        }
    }
    let after = (
        send(&api, "GET", &format!("/api/v1/orgs/{org}"), &token, None).body,
        send(&api, "GET", &format!("/api/v1/orgs/{org}/members"), &token, None).body,
        send(&api, "GET", "/api/v1/auth/sessions", &token, None)
            .body
            .as_array()
            .unwrap()
            .len(),
    );
    assert_eq!(after, before, "a refused request changed something");
}

#[test]
fn cookie_requests_from_the_stacks_own_pages_and_allowed_apps_work() {
    let api = Api::new();
    let (token, _) = owner_with_org(&api);
    let cookie = format!("gatehouse_session={token}");
    for (n, origin) in [api.own_origin().to_string(), APP.to_string()].iter().enumerate() {
        let body = json!({ "name": "Mine", "slug": format!("mine-{n}-{}", uuid::Uuid::new_v4().simple()) });
        let headers = [
            ("Cookie", cookie.as_str()),
            ("Content-Type", "application/json"),
            ("Origin", origin.as_str()),
        ];
        let created = api.request_with("POST", "/api/v1/orgs", &headers, Some(&body.to_string()));
        assert_eq!(created.status, 201, "{origin}: {:?}", created.body);
    }
    let text_plain = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "text/plain"),
        ("Origin", APP),
    ];
    let refused = api.request_with(
        "POST",
        "/api/v1/orgs",
        &text_plain,
        Some(r#"{"name": "x", "slug": "x"}"#),
    );
    assert_eq!(refused.status, 415);
}

#[test]
fn sign_in_from_a_foreign_page_is_refused_and_curl_is_not() {
    let api = Api::new();
    let email = unique_email("jane");
    let body = json!({ "email": email, "password": "Secret1234!" }).to_string();
    let json_type = ("Content-Type", "application/json");
    let refused = api.request_with(
        "POST",
        "/api/v1/auth/register",
        &[json_type, ("Origin", EVIL)],
        Some(&body),
    );
    assert_eq!(
        (refused.status, refused.body),
        (403, json!({ "detail": "Cross-site request refused" }))
    );
    assert_eq!(api.post_json("/api/v1/auth/register", &body).status, 200);
    let form = format!("username={email}&password=Secret1234!");
    let form_type = ("Content-Type", "application/x-www-form-urlencoded");
    let login = api.request_with(
        "POST",
        "/api/v1/auth/token",
        &[form_type, ("Origin", EVIL)],
        Some(&form),
    );
    assert_eq!(login.status, 403);
    let login = api.request_with("POST", "/api/v1/auth/token", &[form_type, ("Origin", APP)], Some(&form));
    assert_eq!(login.status, 200);
    let refresh = json!({ "refresh_token": login.body["refresh_token"] }).to_string();
    let reply = api.request_with(
        "POST",
        "/api/v1/auth/refresh",
        &[json_type, ("Origin", EVIL)],
        Some(&refresh),
    );
    assert_eq!(reply.status, 403);
}

#[test]
fn preflights_are_answered_by_the_functions_for_allowed_origins_only() {
    let api = Api::new();
    let ask = |origin: &str| {
        api.request_with(
            "OPTIONS",
            "/api/v1/orgs",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
            None,
        )
    };
    let allowed = ask(APP);
    assert_eq!(allowed.status, 204);
    assert_eq!(allowed.header("access-control-allow-origin"), Some(APP));
    assert_eq!(allowed.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(
        allowed.header("access-control-allow-methods"),
        Some("GET, POST, PATCH, DELETE")
    );
    assert_eq!(allowed.header("access-control-max-age"), Some("600"));
    assert_eq!(allowed.header("vary"), Some("Origin"));
    // cargo-lambda's own CORS layer (off: --disable-cors) would echo this one too.
    let evil = ask(EVIL);
    assert!(
        evil.headers
            .iter()
            .all(|(name, _)| !name.to_ascii_lowercase().starts_with("access-control-")),
        "{:?}",
        evil.headers
    );
    let me = api.request_with("GET", "/api/v1/openapi.json", &[("Origin", APP)], None);
    assert_eq!(me.header("access-control-allow-origin"), Some(APP));
}

#[test]
fn registering_with_an_invite_token_verifies_the_address_and_joins() {
    let api = Api::new();
    let (owner, org) = owner_with_org(&api);
    let email = unique_email("newcomer");
    let invite = send(
        &api,
        "POST",
        &format!("/api/v1/orgs/{org}/invites"),
        &owner,
        Some(&json!({ "email": email, "role": "member" }).to_string()),
    );
    assert_eq!(invite.body["status"], "pending");
    let body = json!({ "email": email, "password": "Secret1234!", "invite_token": invite.body["token"] });
    let registered = Api::new().post_json("/api/v1/auth/register", &body.to_string());
    assert_eq!(registered.status, 200, "{:?}", registered.body);
    assert_eq!(registered.body["is_verified"], true);
    let token = login(&api, &email);
    let mine = send(&api, "GET", "/api/v1/orgs", &token, None);
    assert_eq!(mine.body.as_array().unwrap()[0]["id"], org);
}

#[test]
fn an_invited_account_lists_accepts_and_leaves() {
    let api = Api::new();
    let (owner, org) = owner_with_org(&api);
    let email = unique_email("late");
    let invite = send(
        &api,
        "POST",
        &format!("/api/v1/orgs/{org}/invites"),
        &owner,
        Some(&json!({ "email": email, "role": "admin" }).to_string()),
    );
    assert_eq!(invite.status, 201);
    // An account made with the CLI (so no invite was accepted at registration).
    let created = gatehouse(&[
        "auth",
        "create-test-user",
        "--email",
        &email,
        "--password",
        "Secret1234!",
    ]);
    assert!(created.status.success());
    let token = login(&api, &email);
    let listed = send(&api, "GET", "/api/v1/auth/invites", &token, None);
    let rows = listed.body.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0]["organization_id"].as_i64(), rows[0]["org_name"].as_str()),
        (Some(org), Some("Acme Corp"))
    );
    let invite_id = rows[0]["id"].as_i64().unwrap();
    let (stranger, _) = owner_with_org(&api);
    let theirs = send(
        &api,
        "POST",
        &format!("/api/v1/auth/invites/{invite_id}/accept"),
        &stranger,
        None,
    );
    assert_eq!(theirs.status, 404);
    let accepted = send(
        &api,
        "POST",
        &format!("/api/v1/auth/invites/{invite_id}/accept"),
        &token,
        None,
    );
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    assert_eq!(
        (
            accepted.body["organization_id"].as_i64(),
            accepted.body["role"].as_str()
        ),
        (Some(org), Some("admin"))
    );
    assert_eq!(send(&api, "GET", "/api/v1/auth/invites", &token, None).body, json!([]));

    let left = send(&api, "DELETE", &format!("/api/v1/orgs/{org}/members/me"), &token, None);
    assert_eq!(left.status, 204);
    let mine: Value = send(&api, "GET", "/api/v1/orgs", &token, None).body;
    assert_eq!(mine, json!([]));
    let owner_leaves = send(&api, "DELETE", &format!("/api/v1/orgs/{org}/members/me"), &owner, None);
    assert_eq!(
        (owner_leaves.status, owner_leaves.body),
        (
            409,
            json!({ "detail": "Transfer ownership before leaving the organization" })
        )
    );
}
