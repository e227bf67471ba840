//! The audit queries over HTTP and through the CLI: a user's security log with the address a
//! failed sign-in came from, an org's log for its admins only, the global log page by page.

use blackbox::{gatehouse, unique_email, Api};
use serde_json::Value;

fn register(api: &Api, email: &str) -> i64 {
    let body = format!(r#"{{"email": "{email}", "password": "Secret1234!"}}"#);
    let reply = api.post_json("/api/v1/auth/register", &body);
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["id"].as_i64().unwrap()
}

fn login(api: &Api, email: &str) -> String {
    let reply = api.post_form("/api/v1/auth/token", &format!("username={email}&password=Secret1234!"));
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_string()
}

fn event_types(events: &Value) -> Vec<&str> {
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect()
}

#[test]
fn security_log_org_log_and_global_log() {
    let jane_api = Api::new();
    let jane_email = unique_email("jane");
    let jane_id = register(&jane_api, &jane_email);
    // A failed sign-in on Jane's email from somewhere else, then hers.
    let stranger = Api::new();
    let failed = stranger.post_form(
        "/api/v1/auth/token",
        &format!("username={jane_email}&password=Wrong1234!"),
    );
    assert_eq!(failed.status, 401);
    let jane = login(&jane_api, &jane_email);

    let log = jane_api.get("/api/v1/auth/me/security-log", &jane);
    assert_eq!(log.status, 200, "{:?}", log.body);
    assert_eq!(
        event_types(&log.body),
        ["auth.login_success", "auth.login_failed", "auth.user_registered"]
    );
    let attempt = &log.body[1];
    assert_eq!(attempt["actor_email"], jane_email.as_str());
    assert_eq!(attempt["ip_address"], stranger.client_address().unwrap());
    assert!(attempt["user_agent"].is_string(), "{attempt}");
    assert_eq!(log.body[0]["ip_address"], jane_api.client_address().unwrap());

    // Jane's org: its log is hers to read, not a member's.
    let bob_api = Api::new();
    let bob_email = unique_email("bob");
    let bob_id = register(&bob_api, &bob_email);
    let bob = login(&bob_api, &bob_email);
    let slug = format!("audit-{}", uuid::Uuid::new_v4().simple());
    let body = format!(r#"{{"name": "Audited", "slug": "{slug}"}}"#);
    let org = jane_api.request(
        "POST",
        "/api/v1/orgs",
        Some("application/json"),
        Some(&jane),
        Some(&body),
    );
    assert_eq!(org.status, 201, "{:?}", org.body);
    let org_id = org.body["id"].as_i64().unwrap();
    let added = jane_api.request(
        "POST",
        &format!("/api/v1/orgs/{org_id}/members?user_id={bob_id}&role=member"),
        None,
        Some(&jane),
        None,
    );
    assert!(added.status < 300, "{:?}", added.body);
    let org_log = format!("/api/v1/orgs/{org_id}/audit");
    let read = jane_api.get(&org_log, &jane);
    assert_eq!(read.status, 200);
    let types = event_types(&read.body);
    assert!(types.contains(&"auth.org_created"), "{types:?}");
    assert!(read.body.as_array().unwrap().iter().all(|e| e["org_id"] == org_id));
    assert_eq!(bob_api.get(&org_log, &bob).status, 403);
    assert_eq!(bob_api.get("/api/v1/audit", &bob).status, 403);

    // A global admin pages through Jane's doings, one event a page.
    let promoted = gatehouse(&["auth", "promote-user", "--email", &jane_email, "--role", "admin"]);
    assert!(
        promoted.status.success(),
        "{}",
        String::from_utf8_lossy(&promoted.stderr)
    );
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/audit?actor_id={jane_id}&limit=1");
    loop {
        let page = jane_api.get(&path, &jane);
        assert_eq!(page.status, 200, "{:?}", page.body);
        seen.extend(page.body.as_array().unwrap().iter().map(|e| e["id"].clone()));
        match page.header("x-next-cursor") {
            Some(cursor) => path = format!("/api/v1/audit?actor_id={jane_id}&limit=1&cursor={cursor}"),
            None => break,
        }
        assert!(seen.len() < 50, "the listing ends");
    }
    let mut unique = seen.clone();
    unique.sort_by_key(|id| id.to_string());
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no event twice");
    assert!(seen.len() >= 3, "login, org created, member added: {seen:?}");

    // The CLI reads the same log.
    let org_arg = org_id.to_string();
    let cli = gatehouse(&["audit", "--org", &org_arg, "--json"]);
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    let result: Value = serde_json::from_slice(&cli.stdout).expect("--json prints JSON");
    assert_eq!(event_types(&result["events"]), types);
    let text = gatehouse(&["audit", "--org", &org_arg, "--type", "auth.member_added"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("auth.member_added") && !text.contains("auth.org_created"),
        "{text}"
    );
}
