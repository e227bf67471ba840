//! The seed doc's §7 and §8 over HTTP, as its curl lines send them (ids and addresses are this
//! run's own, so tests can share one stack).

use blackbox::{gatehouse, token_from_mail, unique_email, Api};
use serde_json::{json, Value};

/// Registers from an address of its own: a test that makes several users would otherwise meet
/// the register limit (3 a minute per address).
fn register(email: &str, password: &str) -> i64 {
    let reply = Api::new().post_json(
        "/api/v1/auth/register",
        &format!(r#"{{"email": "{email}", "password": "{password}"}}"#),
    );
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["id"].as_i64().unwrap()
}

fn login(api: &Api, email: &str, password: &str) -> String {
    let reply = api.post_form("/api/v1/auth/token", &format!("username={email}&password={password}"));
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_string()
}

fn send(api: &Api, method: &str, path: &str, token: &str, body: Option<&str>) -> blackbox::Reply {
    api.request(method, path, body.map(|_| "application/json"), Some(token), body)
}

fn create_org(api: &Api, token: &str) -> i64 {
    let slug = format!("acme-{}", uuid::Uuid::new_v4().simple());
    let body = format!(r#"{{"name": "Acme Corp", "slug": "{slug}", "description": "Main organization"}}"#);
    let created = send(api, "POST", "/api/v1/orgs", token, Some(&body));
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["slug"], slug.as_str());
    assert_eq!(created.body["is_active"], true);
    created.body["id"].as_i64().unwrap()
}

#[test]
fn organization_management() {
    let api = Api::new();
    let admin_email = unique_email("admin");
    register(&admin_email, "Admin1234!");
    let bob = register(&unique_email("bob"), "Secret1234!");
    let others: Vec<i64> = (0..3).map(|_| register(&unique_email("user"), "Secret1234!")).collect();
    let admin_token = login(&api, &admin_email, "Admin1234!");
    let org = create_org(&api, &admin_token);

    let added = send(
        &api,
        "POST",
        &format!("/api/v1/orgs/{org}/members?user_id={bob}&role=member"),
        &admin_token,
        None,
    );
    assert_eq!(added.status, 201);
    assert_eq!(
        (added.body["user_id"].as_i64(), added.body["role"].as_str()),
        (Some(bob), Some("member"))
    );

    let bulk = format!(
        r#"{{"user_ids": [{}, {}, {}], "role": "member"}}"#,
        others[0], others[1], others[2]
    );
    let bulk_added = send(
        &api,
        "POST",
        &format!("/api/v1/orgs/{org}/members/bulk"),
        &admin_token,
        Some(&bulk),
    );
    assert_eq!((bulk_added.status, bulk_added.body.as_array().unwrap().len()), (201, 3));

    let promoted = send(
        &api,
        "PATCH",
        &format!("/api/v1/orgs/{org}/members/{bob}?role=admin"),
        &admin_token,
        None,
    );
    assert_eq!(promoted.body["role"], "admin");

    let details = send(
        &api,
        "GET",
        &format!("/api/v1/orgs/{org}/members/details"),
        &admin_token,
        None,
    );
    let rows = details.body.as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0]["email"], admin_email.as_str());
    assert_eq!(rows[0]["role"], "owner");
    assert!(rows.iter().any(|r| r["user_id"] == bob && r["role"] == "admin"));

    let transferred = send(
        &api,
        "POST",
        &format!("/api/v1/orgs/{org}/transfer-ownership"),
        &admin_token,
        Some(&format!(r#"{{"user_id": {bob}}}"#)),
    );
    assert_eq!(
        (transferred.status, transferred.body),
        (200, json!({ "detail": "Ownership transferred" }))
    );
}

#[test]
fn invite_flow() {
    let api = Api::new();
    let admin_email = unique_email("admin");
    register(&admin_email, "Admin1234!");
    let admin_token = login(&api, &admin_email, "Admin1234!");
    let org = create_org(&api, &admin_token);

    // An existing user is added at once.
    let existing = unique_email("bob");
    register(&existing, "Secret1234!");
    let body = format!(r#"{{"email": "{existing}", "role": "member"}}"#);
    let accepted = send(
        &api,
        "POST",
        &format!("/api/v1/orgs/{org}/invites"),
        &admin_token,
        Some(&body),
    );
    assert_eq!(
        (accepted.status, accepted.body["status"].as_str()),
        (201, Some("accepted"))
    );

    // A new user: pending until they register.
    let newcomer = unique_email("newcomer");
    let body = format!(r#"{{"email": "{newcomer}", "role": "member"}}"#);
    let pending = send(
        &api,
        "POST",
        &format!("/api/v1/orgs/{org}/invites"),
        &admin_token,
        Some(&body),
    );
    assert_eq!(
        (pending.status, pending.body["status"].as_str()),
        (201, Some("pending"))
    );
    assert_eq!(pending.body["token"].as_str().unwrap().len(), 43);
    let listed = send(&api, "GET", &format!("/api/v1/orgs/{org}/invites"), &admin_token, None);
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let joined = register(&newcomer, "Welcome1234!");
    let members = send(&api, "GET", &format!("/api/v1/orgs/{org}/members"), &admin_token, None);
    assert!(members.body.as_array().unwrap().iter().any(|m| m["user_id"] == joined));

    // Step 3b: an account made with the CLI (no auto-accept) accepts by token.
    let late = unique_email("late");
    let body = format!(r#"{{"email": "{late}", "role": "member"}}"#);
    let invite = send(
        &api,
        "POST",
        &format!("/api/v1/orgs/{org}/invites"),
        &admin_token,
        Some(&body),
    );
    // The link in the invite mail carries the token the response showed.
    let token = token_from_mail(&late, "Invitation to Acme Corp", "invite");
    assert_eq!(invite.body["token"], token.as_str());
    assert!(gatehouse(&[
        "auth",
        "create-test-user",
        "--email",
        &late,
        "--password",
        "Welcome1234!"
    ])
    .status
    .success());
    let late_token = login(&api, &late, "Welcome1234!");
    let accept = send(
        &api,
        "POST",
        "/api/v1/auth/accept-invite",
        &late_token,
        Some(&format!(r#"{{"token": "{token}"}}"#)),
    );
    assert_eq!(accept.status, 200, "{:?}", accept.body);
    assert_eq!(
        (accept.body["status"].as_str(), accept.body["email"].as_str()),
        (Some("accepted"), Some(late.as_str()))
    );
    let mine = send(&api, "GET", "/api/v1/orgs", &late_token, None);
    let ids: Vec<Value> = mine.body.as_array().unwrap().iter().map(|o| o["id"].clone()).collect();
    assert_eq!(ids, [json!(org)]);
}
