//! The stored audit trail read back through its query routes: pages without duplicates or
//! gaps, a retention TTL on every event item, an org's log for its admins only, the security
//! log of a user, and (`every_logged_event_reads_back`, run by `audit_routes` after it walks
//! every mutating route) each logged event stored with the same fields.

use crate::support::{TestApp, PASSWORD};
use lambda_http::http::Method;
use lambda_http::Body;
use serde_json::{json, Value};
use shared::audit::AuditEvent;
use shared::model::Role;
use shared::store::ItemKind;
use shared::Clock;
use std::collections::{BTreeMap, HashSet};

/// Every page of `path` (a query route with its filters), `limit` at a time: the events in
/// order, and how many pages it took.
async fn all_pages(t: &TestApp, token: &str, path: &str, limit: usize) -> (Vec<Value>, usize) {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut url = format!("{path}{separator}limit={limit}");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let reply = t.get_with_token(&url, token).await;
        assert_eq!(reply.status, 200, "{url}: {:?}", reply.body);
        let page = reply.body.as_array().unwrap().clone();
        assert!(page.len() <= limit, "{url}: a page holds at most `limit` events");
        events.extend(page);
        pages += 1;
        assert!(pages <= 200, "{url}: the listing never ends");
        match reply.headers.get("x-next-cursor") {
            Some(next) => cursor = Some(next.to_str().unwrap().to_string()),
            None => return (events, pages),
        }
    }
}

fn ids(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect()
}

/// Stores `count` events on their own (as a failed login is), some sharing a timestamp,
/// alternating two types and two actors, all in `subject`'s security log; their ids, newest
/// first.
async fn store_events(t: &TestApp, count: usize, subject: i64) -> Vec<String> {
    let mut stored = Vec::new();
    for i in 0..count {
        if i % 3 != 0 {
            t.clock.advance(chrono::Duration::milliseconds(5));
        }
        let kind = if i % 2 == 0 { "test.even" } else { "test.odd" };
        let record = AuditEvent::new(kind)
            .actor_id(1000 + (i % 2) as i64)
            .subject(subject)
            .detail(format!("event {i}"))
            .at(t.clock.now());
        t.app.store.record(std::slice::from_ref(&record)).await.unwrap();
        stored.push((record.timestamp.clone(), record.id.clone()));
    }
    stored.sort();
    stored.reverse();
    stored.into_iter().map(|(_, id)| id).collect()
}

#[tokio::test]
async fn every_listing_pages_through_each_event_once_newest_first() {
    let t = TestApp::new().await;
    let (admin_id, admin) = t.quick_user("admin@example.com", Role::Admin).await;
    let newest_first = store_events(&t, 23, admin_id).await;

    // The global log (two shards, merged), at several page sizes.
    for limit in [1, 4, 7, 23, 100] {
        let (events, pages) = all_pages(&t, &admin, "/api/v1/audit", limit).await;
        assert_eq!(
            ids(&events),
            newest_first,
            "limit {limit}: every event once, newest first"
        );
        assert!(pages <= 23 / limit + 2, "limit {limit}: {pages} pages");
    }
    // One lane (the security log, an actor's events), and filters that leave pages short.
    let (events, _) = all_pages(&t, &admin, "/api/v1/auth/me/security-log", 5).await;
    assert_eq!(ids(&events), newest_first);
    let (events, _) = all_pages(&t, &admin, "/api/v1/audit?event_type=test.even", 3).await;
    assert_eq!(events.len(), 12, "{events:?}");
    assert!(events.iter().all(|e| e["event_type"] == "test.even"));
    assert_eq!(ids(&events).iter().collect::<HashSet<_>>().len(), 12, "no duplicates");
    let (events, _) = all_pages(&t, &admin, "/api/v1/audit?actor_id=1001", 4).await;
    assert_eq!(events.len(), 11);
    assert!(events.iter().all(|e| e["actor_id"] == 1001));
    let found = ids(&events);
    let expected: Vec<&String> = newest_first.iter().filter(|id| found.contains(id)).collect();
    assert_eq!(found.iter().collect::<Vec<_>>(), expected, "newest first");

    // Time bounds, inclusive: the oldest event's own timestamp.
    let (all, _) = all_pages(&t, &admin, "/api/v1/audit", 100).await;
    let oldest = all.last().unwrap()["timestamp"].as_str().unwrap().to_string();
    let encoded = oldest.replace(':', "%3A");
    let (until_oldest, _) = all_pages(&t, &admin, &format!("/api/v1/audit?until={encoded}"), 10).await;
    assert!(!until_oldest.is_empty());
    assert!(until_oldest.iter().all(|e| e["timestamp"] == oldest.as_str()));
    let (since_oldest, _) = all_pages(&t, &admin, &format!("/api/v1/audit?since={encoded}"), 10).await;
    assert_eq!(since_oldest.len(), 23);
}

#[tokio::test]
async fn bad_query_parameters_are_4xx_and_only_admins_read_the_global_log() {
    let t = TestApp::new().await;
    let (_, admin) = t.quick_user("admin@example.com", Role::Admin).await;
    let (_, user) = t.quick_user("user@example.com", Role::User).await;
    let (_, moderator) = t.quick_user("mod@example.com", Role::Moderator).await;
    for token in [&user, &moderator] {
        assert_eq!(t.get_with_token("/api/v1/audit", token).await.status, 403);
    }
    for (query, status) in [
        ("limit=0", 422),
        ("limit=1001", 422),
        ("limit=x", 422),
        ("since=yesterday", 422),
        ("until=2026-13-01", 422),
        ("actor_id=me", 422),
        ("target_type=user", 422),
        ("target_id=3", 422),
        ("cursor=garbage", 400),
        // "2026-01-01T00:00:00Z#xyz": a well-formed time, not an event id.
        ("cursor=MjAyNi0wMS0wMVQwMDowMDowMFojeHl6", 400),
    ] {
        let reply = t.get_with_token(&format!("/api/v1/audit?{query}"), &admin).await;
        assert_eq!(reply.status, status, "{query}: {:?}", reply.body);
    }
    let reply = t.get_with_token("/api/v1/audit?limit=0", &admin).await;
    assert_eq!(reply.body["detail"][0]["loc"], json!(["query", "limit"]));
    assert_eq!(
        t.get_with_token("/api/v1/auth/me/security-log", &user).await.status,
        200
    );
    let anonymous = t.call(Method::GET, "/api/v1/audit", None, None).await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn every_event_item_keeps_the_retention_ttl() {
    let t = TestApp::with_env(&[("AUDIT_RETENTION_DAYS", "30")]).await;
    let (_, admin) = t.quick_user("admin@example.com", Role::Admin).await;
    assert_eq!(t.register("jane@example.com", PASSWORD).await.status, 200);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200);
    assert_eq!(t.login("jane@example.com", "Wrong1234!").await.status, 401);
    assert_eq!(t.login("nobody@example.com", "Wrong1234!").await.status, 401);
    let org = t
        .post_json_with_token("/api/v1/orgs", r#"{"name": "Acme", "slug": "acme"}"#, &admin)
        .await;
    assert_eq!(org.status, 201, "{:?}", org.body);

    let items: Vec<_> = t
        .all_items()
        .await
        .into_iter()
        .filter(|i| i.kind == ItemKind::AuditEvent)
        .collect();
    let events: HashSet<String> = items
        .iter()
        .map(|i| {
            let document: Value = serde_json::from_str(i.attributes["document"].as_s().unwrap()).unwrap();
            document["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(events.len(), 5, "registered, login, two failures, org created");
    // All but the failure on an unknown email are also in a security log or an org's log.
    assert_eq!(items.len(), 9);
    for item in items {
        let document: Value = serde_json::from_str(item.attributes["document"].as_s().unwrap()).unwrap();
        let at = chrono::DateTime::parse_from_rfc3339(document["timestamp"].as_str().unwrap()).unwrap();
        assert_eq!(
            item.number("expires_at"),
            Some(at.timestamp() + 30 * 86_400),
            "{document}"
        );
    }
}

#[tokio::test]
async fn an_org_admin_reads_only_that_orgs_events_and_a_member_gets_403() {
    let t = TestApp::new().await;
    let (_, alice) = t.quick_user("alice@example.com", Role::User).await;
    let (_, bob) = t.quick_user("bob@example.com", Role::User).await;
    let (carol_id, carol) = t.quick_user("carol@example.com", Role::User).await;
    let (dave_id, dave) = t.quick_user("dave@example.com", Role::User).await;
    let create = |name: &'static str, token: &str| {
        let token = token.to_string();
        let t = &t;
        async move {
            let body = json!({ "name": name, "slug": name.to_lowercase() }).to_string();
            let reply = t.post_json_with_token("/api/v1/orgs", &body, &token).await;
            assert_eq!(reply.status, 201, "{:?}", reply.body);
            reply.body["id"].as_i64().unwrap()
        }
    };
    let acme = create("Acme", &alice).await;
    let globex = create("Globex", &bob).await;
    for (id, role) in [(carol_id, "admin"), (dave_id, "member")] {
        // Each change a little later, so the log's order is the order of the changes.
        t.clock.advance(chrono::Duration::milliseconds(10));
        let path = format!("/api/v1/orgs/{acme}/members?user_id={id}&role={role}");
        let reply = t.call(Method::POST, &path, Some(&alice), None).await;
        assert!(reply.status < 300, "{:?}", reply.body);
    }
    let path = format!("/api/v1/orgs/{globex}/members?user_id={carol_id}&role=member");
    assert!(t.call(Method::POST, &path, Some(&bob), None).await.status < 300);

    let acme_log = format!("/api/v1/orgs/{acme}/audit");
    for token in [&alice, &carol] {
        let (events, _) = all_pages(&t, token, &acme_log, 2).await;
        let summary: Vec<(&str, &Value)> = events
            .iter()
            .map(|e| (e["event_type"].as_str().unwrap(), &e["target_id"]))
            .collect();
        assert_eq!(
            summary,
            [
                ("auth.member_added", &json!(dave_id)),
                ("auth.member_added", &json!(carol_id)),
                ("auth.org_created", &json!(acme)),
            ]
        );
        assert!(events.iter().all(|e| e["org_id"] == acme), "{events:?}");
    }
    let target = format!("{acme_log}?target_type=user&target_id={dave_id}");
    let (filtered, _) = all_pages(&t, &carol, &target, 10).await;
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0]["target_id"], dave_id);
    // A member, and an admin of another org, get the same 403 as a stranger.
    assert_eq!(t.get_with_token(&acme_log, &dave).await.status, 403);
    assert_eq!(t.get_with_token(&acme_log, &bob).await.status, 403);
    let globex_log = format!("/api/v1/orgs/{globex}/audit");
    assert_eq!(t.get_with_token(&globex_log, &carol).await.status, 403);
    assert_eq!(t.get_with_token("/api/v1/orgs/999/audit", &carol).await.status, 403);
}

#[tokio::test]
async fn the_security_log_shows_a_failed_login_on_the_users_email_with_its_ip() {
    let t = TestApp::with_env(&[("TRUST_PROXY_HEADERS", "true")]).await;
    assert_eq!(t.register("jane@example.com", PASSWORD).await.status, 200);
    assert_eq!(t.register("john@example.com", PASSWORD).await.status, 200);
    let attempt = |email: &str, password: &str, ip: &'static str| {
        let form = format!("username={email}&password={password}");
        let t = &t;
        async move {
            // Each attempt a little later, so the log's order is the order of the attempts.
            t.clock.advance(chrono::Duration::milliseconds(10));
            let headers = [
                ("content-type", "application/x-www-form-urlencoded"),
                ("x-forwarded-for", ip),
                ("user-agent", "curl/8.5.0"),
            ];
            t.send(Method::POST, "/api/v1/auth/token", &headers, Body::Text(form))
                .await
        }
    };
    assert_eq!(
        attempt("jane@example.com", "Wrong1234!", "203.0.113.7").await.status,
        401
    );
    assert_eq!(
        attempt("john@example.com", "Wrong1234!", "203.0.113.8").await.status,
        401
    );
    assert_eq!(
        attempt("nobody@example.com", "Wrong1234!", "203.0.113.9").await.status,
        401
    );
    let login = attempt("jane@example.com", PASSWORD, "198.51.100.2").await;
    assert_eq!(login.status, 200);
    let jane = login.body["access_token"].as_str().unwrap().to_string();

    let (log, _) = all_pages(&t, &jane, "/api/v1/auth/me/security-log", 50).await;
    let types: Vec<&str> = log.iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["auth.login_success", "auth.login_failed", "auth.user_registered"]
    );
    let failed = &log[1];
    assert_eq!(failed["actor_email"], "jane@example.com");
    assert_eq!(failed["ip_address"], "203.0.113.7");
    assert_eq!(failed["user_agent"], "curl/8.5.0");
    assert_eq!(log[0]["ip_address"], "198.51.100.2");
}

/// Every event `logged` (the JSON lines of a walk over every mutating route) is stored and
/// reads back through `GET /api/v1/audit` with the same fields, and nothing else is stored.
pub async fn every_logged_event_reads_back(t: &TestApp, admin: &str, logged: &[Value]) {
    let (stored, _) = all_pages(t, admin, "/api/v1/audit", 7).await;
    let by_id: BTreeMap<String, &Value> = stored
        .iter()
        .map(|e| (e["id"].as_str().unwrap().to_string(), e))
        .collect();
    assert_eq!(by_id.len(), stored.len(), "no event twice");
    let logged_ids: HashSet<&str> = logged.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(logged_ids.len(), logged.len());
    assert_eq!(
        by_id.keys().map(String::as_str).collect::<HashSet<_>>(),
        logged_ids,
        "what was logged is what was stored"
    );
    for line in logged {
        let read = by_id[line["id"].as_str().unwrap()];
        for (name, value) in line.as_object().unwrap() {
            if name != "subject_id" {
                assert_eq!(&read[name], value, "{name} of {line} read back as {read}");
            }
        }
    }
}
