//! Self-service: change the password, change the email address, close the account, against
//! DynamoDB Local with an injectable clock.

use crate::support::{pair, AuditCapture, Call, Pair, Reply, TestApp, PASSWORD};
use chrono::Duration;
use lambda_http::http::Method;
use serde_json::{json, Value};
use shared::domain::one_time;
use shared::model::{OneTimeToken, Purpose, QueuedMail};
use shared::store::{ItemKind, StoredItem};
use std::collections::BTreeMap;

const CHANGE_PASSWORD: &str = "/api/v1/auth/change-password";
const CHANGE_EMAIL: &str = "/api/v1/auth/change-email";
const CONFIRM_EMAIL: &str = "/api/v1/auth/change-email/confirm";
const ME: &str = "/api/v1/auth/me";
const SESSIONS: &str = "/api/v1/auth/sessions";
const REFRESH: &str = "/api/v1/auth/refresh";
const NEW_PASSWORD: &str = "NewSecret5678!";
const LOCKED: &str = "Account temporarily locked due to too many failed login attempts. Please try again later.";
const CONFIRM_SUBJECT: &str = "Confirm your new email address";

async fn sign_in(t: &TestApp, email: &str, password: &str) -> Pair {
    pair(&t.login(email, password).await)
}

fn password_change(current: &str, new: &str) -> String {
    json!({ "current_password": current, "new_password": new }).to_string()
}

fn email_change(new_email: &str, password: &str) -> String {
    json!({ "new_email": new_email, "password": password }).to_string()
}

fn password_only(password: &str) -> String {
    json!({ "password": password }).to_string()
}

fn token_body(token: &str) -> String {
    json!({ "token": token }).to_string()
}

async fn refresh(t: &TestApp, token: &str) -> Reply {
    t.post_json(REFRESH, &json!({ "refresh_token": token }).to_string())
        .await
}

async fn close_account(t: &TestApp, access: &str, password: &str) -> Reply {
    t.call(Method::DELETE, ME, Some(access), Some(&password_only(password)))
        .await
}

/// The queued mail items of the table.
async fn mail_items(t: &TestApp) -> Vec<QueuedMail> {
    t.all_items()
        .await
        .into_iter()
        .filter(|item| item.kind == ItemKind::Mail)
        .map(|item| serde_dynamo::from_item(item.attributes).unwrap())
        .collect()
}

async fn email_change_tokens(t: &TestApp) -> Vec<OneTimeToken> {
    t.all_items()
        .await
        .into_iter()
        .filter(|item| item.kind == ItemKind::OneTimeToken)
        .map(|item| serde_dynamo::from_item::<_, OneTimeToken>(item.attributes).unwrap())
        .filter(|token| token.purpose == Purpose::EmailChange)
        .collect()
}

async fn user_id(t: &TestApp, access: &str) -> i64 {
    t.get_with_token(ME, access).await.body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session_and_keeps_this_one() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let here = sign_in(&t, "jane@example.com", PASSWORD).await;
    let elsewhere = sign_in(&t, "jane@example.com", PASSWORD).await;
    let audit = AuditCapture::start();

    let changed = t
        .post_json_with_token(CHANGE_PASSWORD, &password_change(PASSWORD, NEW_PASSWORD), &here.access)
        .await;
    let renewed = pair(&changed);
    assert_eq!(changed.body["token_type"], "bearer");
    assert!(
        changed.headers.get_all("set-cookie").iter().count() >= 2,
        "the browser's cookies follow the new pair"
    );

    let me = t.get_with_token(ME, &renewed.access).await;
    assert_eq!(me.status, 200, "the new access token works at once: {:?}", me.body);
    assert_eq!(
        t.get_with_token(ME, &here.access).await.status,
        401,
        "earlier tokens end"
    );
    assert_eq!(t.get_with_token(ME, &elsewhere.access).await.status, 401);
    assert_eq!(
        refresh(&t, &elsewhere.refresh).await.status,
        401,
        "the other session ended"
    );

    let live = t.get_with_token(SESSIONS, &renewed.access).await;
    let sessions = live.body.as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["is_current"], true);

    // The current session lives on: its new refresh token rotates as usual.
    t.clock.advance(Duration::seconds(1));
    let rotated = pair(&refresh(&t, &renewed.refresh).await);
    assert_eq!(t.get_with_token(ME, &rotated.access).await.status, 200);

    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 401);
    assert_eq!(t.login("jane@example.com", NEW_PASSWORD).await.status, 200);

    let notices: Vec<QueuedMail> = mail_items(&t)
        .await
        .into_iter()
        .filter(|m| m.kind == "password_changed")
        .collect();
    assert_eq!(notices.len(), 1, "one notice queued with the change");
    assert_eq!(notices[0].to, "jane@example.com");
    let outbox = t.outbox("jane@example.com").await;
    let notice = outbox
        .iter()
        .find(|m| m["subject"] == "Your password was changed")
        .expect("the notice");
    assert!(
        notice["body"].as_str().unwrap().contains("every other session"),
        "{notice:?}"
    );

    let events = audit.events();
    let event = events
        .iter()
        .find(|e| e["event_type"] == "auth.password_changed")
        .expect("audited");
    assert_eq!(event["actor_email"], "jane@example.com");
    assert!(!audit.raw().contains(NEW_PASSWORD) && !audit.raw().contains(PASSWORD));
    assert_eq!(t.app.db.invariant_violations().await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn a_new_password_follows_registration_rules_and_the_body_is_checked() {
    let t = TestApp::new().await;
    let access = t.user_with_token("jane@example.com").await;
    let weak = t
        .post_json_with_token(CHANGE_PASSWORD, &password_change(PASSWORD, "short"), &access)
        .await;
    assert_eq!(weak.status, 422, "{:?}", weak.body);
    assert_eq!(weak.detail()[0]["loc"], json!(["body", "new_password"]));
    let common = t
        .post_json_with_token(CHANGE_PASSWORD, &password_change(PASSWORD, "password123"), &access)
        .await;
    assert_eq!(common.status, 422, "{:?}", common.body);
    let missing = t
        .post_json_with_token(CHANGE_PASSWORD, r#"{"new_password": "NewSecret5678!"}"#, &access)
        .await;
    assert_eq!(missing.status, 422);
    assert_eq!(missing.detail()[0]["loc"], json!(["body", "current_password"]));
    let anonymous = t
        .post_json(CHANGE_PASSWORD, &password_change(PASSWORD, NEW_PASSWORD))
        .await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        t.login("jane@example.com", PASSWORD).await.status,
        200,
        "nothing changed"
    );
}

#[tokio::test]
async fn a_wrong_password_is_400_on_every_route_and_counts_towards_the_lockout() {
    let t = TestApp::new().await;
    let access = t.user_with_token("jane@example.com").await;
    // All but the failure counter and the audit trail, which the failures write to.
    let unchanged = |rows: Vec<BTreeMap<String, String>>| -> Vec<_> {
        rows.into_iter()
            .filter(|row| {
                !row.get("pk")
                    .is_some_and(|pk| pk.contains("LOCKOUT#") || pk.contains("AUDIT"))
            })
            .collect()
    };
    let before = unchanged(t.data_snapshot().await);

    let wrong = "Wrong1234!";
    let replies = [
        t.post_json_with_token(CHANGE_PASSWORD, &password_change(wrong, NEW_PASSWORD), &access)
            .await,
        t.post_json_with_token(CHANGE_PASSWORD, &password_change(wrong, NEW_PASSWORD), &access)
            .await,
        t.post_json_with_token(CHANGE_EMAIL, &email_change("new@example.com", wrong), &access)
            .await,
        t.post_json_with_token(CHANGE_EMAIL, &email_change("new@example.com", wrong), &access)
            .await,
        close_account(&t, &access, wrong).await,
    ];
    for reply in &replies {
        assert_eq!(
            (reply.status, &reply.body),
            (400, &json!({ "detail": "Incorrect password" }))
        );
    }
    let after = unchanged(t.data_snapshot().await);
    assert_eq!(before, after, "only the failure counter and the audit trail changed");
    let lockout = t
        .all_items()
        .await
        .into_iter()
        .find(|item| item.kind == ItemKind::Lockout && item.lockout_subject() == Some("jane@example.com"))
        .expect("the failures are counted on the email");
    assert_eq!(lockout.number("failures"), Some(5));

    // Five failures lock the email: the right password is refused everywhere, login included.
    let locked = t
        .post_json_with_token(CHANGE_PASSWORD, &password_change(PASSWORD, NEW_PASSWORD), &access)
        .await;
    assert_eq!((locked.status, locked.body), (403, json!({ "detail": LOCKED })));
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 403);
    assert_eq!(close_account(&t, &access, PASSWORD).await.status, 403);

    t.clock.advance(Duration::minutes(15));
    let changed = t
        .post_json_with_token(CHANGE_PASSWORD, &password_change(PASSWORD, NEW_PASSWORD), &access)
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    t.clock.advance(Duration::seconds(1));
    assert_eq!(t.login("jane@example.com", NEW_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn parallel_changes_with_the_same_current_password_apply_once() {
    let t = TestApp::new().await;
    let access = t.user_with_token("jane@example.com").await;
    let calls = (0..5)
        .map(|i| {
            Call::json(
                Method::POST,
                CHANGE_PASSWORD,
                Some(&access),
                Some(&password_change(PASSWORD, &format!("Parallel{i}5678!"))),
            )
        })
        .collect();
    let replies = t.concurrently(calls).await;
    let winners: Vec<usize> = (0..5).filter(|i| replies[*i].status == 200).collect();
    assert_eq!(winners.len(), 1, "{replies:?}");
    // A loser found the password changed (400), or, as parallel logins can, lost its lockout
    // slot to attempts that cleared and restarted the counter meanwhile (403).
    for reply in replies.iter().filter(|r| r.status != 200) {
        assert!([400, 403].contains(&reply.status), "{:?}", reply.body);
    }
    t.clock.advance(Duration::seconds(1));
    let winner = format!("Parallel{}5678!", winners[0]);
    assert_eq!(t.login("jane@example.com", &winner).await.status, 200);
}

#[tokio::test]
async fn an_email_change_mails_the_new_address_a_link_and_the_old_a_notice_then_moves_the_account() {
    let t = TestApp::new().await;
    let access = t.user_with_token("jane@example.com").await;
    let id = user_id(&t, &access).await;
    let audit = AuditCapture::start();

    let requested = t
        .post_json_with_token(CHANGE_EMAIL, &email_change(" Jane.New@Example.com ", PASSWORD), &access)
        .await;
    assert_eq!(requested.status, 200, "{:?}", requested.body);
    let answer = requested.body.clone();

    let token = t.token_from_outbox("jane.new@example.com", CONFIRM_SUBJECT).await;
    let notice = t.outbox("jane@example.com").await;
    assert!(
        notice
            .iter()
            .any(|m| m["subject"] == "Your email address is about to change"
                && m["body"].as_str().unwrap().contains("jane.new@example.com")),
        "{notice:?}"
    );
    // The token is stored hashed, with a TTL, and the mail rows were written with it.
    let stored = email_change_tokens(&t).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].hash, one_time::hash(&token));
    assert_eq!(stored[0].new_email.as_deref(), Some("jane.new@example.com"));
    assert_eq!(stored[0].email, "jane@example.com");
    assert!(stored[0].expires_at > t.clock_ms() / 1000);
    let user = t.app.store.user(id).await.unwrap().unwrap();
    assert_eq!(user.email_change_token_hash.as_deref(), Some(stored[0].hash.as_str()));
    let kinds: Vec<(String, String)> = mail_items(&t).await.into_iter().map(|m| (m.kind, m.to)).collect();
    assert!(
        kinds.contains(&("email_change".into(), "jane.new@example.com".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("email_change_requested".into(), "jane@example.com".into())),
        "{kinds:?}"
    );
    assert!(!audit.raw().contains(&token), "the token never reaches a log line");

    let confirmed = t.post_json(CONFIRM_EMAIL, &token_body(&token)).await;
    assert_eq!(
        (confirmed.status, confirmed.body),
        (200, json!({ "detail": "Email address has been changed" }))
    );
    let me = t.get_with_token(ME, &access).await;
    assert_eq!(me.body["email"], "jane.new@example.com");
    assert_eq!(me.body["is_verified"], true);
    assert_eq!(t.login("jane.new@example.com", PASSWORD).await.status, 200);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 401);
    assert!(email_change_tokens(&t).await.is_empty(), "the token is consumed");

    let again = t.post_json(CONFIRM_EMAIL, &token_body(&token)).await;
    assert_eq!(
        (again.status, again.body),
        (400, json!({ "detail": "Invalid or expired token" }))
    );
    assert_eq!(
        t.register("jane@example.com", PASSWORD).await.status,
        200,
        "the old address is free"
    );
    assert_eq!(t.app.db.invariant_violations().await.unwrap(), Vec::<String>::new());

    let events = audit.events();
    let event = events
        .iter()
        .find(|e| e["event_type"] == "auth.email_changed")
        .expect("audited");
    assert_eq!(event["actor_id"], id);
    assert_eq!(event["actor_email"], "jane.new@example.com");

    // A taken address gets the same answer; its owner a notice; no token exists.
    let taken = t
        .post_json_with_token(CHANGE_EMAIL, &email_change("jane@example.com", PASSWORD), &access)
        .await;
    assert_eq!((taken.status, taken.body), (200, answer));
    assert!(email_change_tokens(&t).await.is_empty());
    let to_owner = t.outbox("jane@example.com").await;
    assert!(
        to_owner.iter().any(|m| m["subject"] == "Email change requested"),
        "{to_owner:?}"
    );
}

#[tokio::test]
async fn an_email_change_token_expires_and_a_newer_one_replaces_the_older() {
    let t = TestApp::new().await;
    let access = t.user_with_token("jane@example.com").await;
    let body = email_change("new@example.com", PASSWORD);
    let ask = || t.post_json_with_token(CHANGE_EMAIL, &body, &access);
    assert_eq!(ask().await.status, 200);
    let first = t.token_from_outbox("new@example.com", CONFIRM_SUBJECT).await;
    t.clock.advance(Duration::seconds(1));
    assert_eq!(ask().await.status, 200);
    let second = t.token_from_outbox("new@example.com", CONFIRM_SUBJECT).await;
    assert_ne!(first, second);
    let same = t
        .post_json_with_token(CHANGE_EMAIL, &email_change("Jane@example.com", PASSWORD), &access)
        .await;
    assert_eq!(same.status, 400, "the current address: {:?}", same.body);
    assert_eq!(
        t.post_json(CONFIRM_EMAIL, &token_body(&first)).await.status,
        400,
        "replaced"
    );
    t.clock.advance(Duration::hours(24));
    assert_eq!(
        t.post_json(CONFIRM_EMAIL, &token_body(&second)).await.status,
        400,
        "expired"
    );
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200, "nothing moved");
}

#[tokio::test]
async fn a_confirm_to_an_address_taken_meanwhile_is_400_and_changes_nothing() {
    let t = TestApp::new().await;
    let access = t.user_with_token("jane@example.com").await;
    let requested = t
        .post_json_with_token(CHANGE_EMAIL, &email_change("carol@example.com", PASSWORD), &access)
        .await;
    assert_eq!(requested.status, 200);
    let token = t.token_from_outbox("carol@example.com", CONFIRM_SUBJECT).await;
    assert_eq!(t.register("carol@example.com", PASSWORD).await.status, 200);
    let before = t.data_snapshot().await;

    let refused = t.post_json(CONFIRM_EMAIL, &token_body(&token)).await;
    assert_eq!(
        (refused.status, refused.body),
        (400, json!({ "detail": "Email already registered" }))
    );
    assert_eq!(before, t.data_snapshot().await, "nothing changed");
    assert_eq!(t.get_with_token(ME, &access).await.body["email"], "jane@example.com");
}

#[tokio::test]
async fn parallel_confirms_of_different_tokens_to_one_address_let_exactly_one_win() {
    let t = TestApp::new().await;
    // Four users, and one of them asking twice (its earlier token is void anyway).
    let mut accounts = Vec::new();
    for i in 0..4 {
        let email = format!("user{i}@example.com");
        let access = t.user_with_token(&email).await;
        accounts.push((email, access));
    }
    let mut tokens = Vec::new();
    for (_, access) in &accounts {
        let reply = t
            .post_json_with_token(CHANGE_EMAIL, &email_change("wanted@example.com", PASSWORD), access)
            .await;
        assert_eq!(reply.status, 200);
        let token = t.token_from_outbox("wanted@example.com", CONFIRM_SUBJECT).await;
        tokens.push(token);
        t.clock.advance(Duration::milliseconds(10));
    }
    let again = t
        .post_json_with_token(
            CHANGE_EMAIL,
            &email_change("wanted@example.com", PASSWORD),
            &accounts[3].1,
        )
        .await;
    assert_eq!(again.status, 200);
    tokens.push(t.token_from_outbox("wanted@example.com", CONFIRM_SUBJECT).await);
    assert_eq!(tokens.len(), 5);

    let calls = tokens
        .iter()
        .map(|token| Call::json(Method::POST, CONFIRM_EMAIL, None, Some(&token_body(token))))
        .collect();
    let replies = t.concurrently(calls).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{replies:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 4, "{replies:?}");

    let mut moved = 0;
    for (email, access) in &accounts {
        let me = t.get_with_token(ME, access).await.body;
        if me["email"] == "wanted@example.com" {
            moved += 1;
        } else {
            assert_eq!(me["email"], email.as_str(), "a loser changed nothing");
            assert_eq!(t.login(email, PASSWORD).await.status, 200);
        }
    }
    assert_eq!(moved, 1);
    let guards: Vec<StoredItem> = t
        .all_items()
        .await
        .into_iter()
        .filter(|item| item.kind == ItemKind::EmailGuard)
        .collect();
    assert_eq!(guards.len(), 4, "one guard per account, the new address's included");
    assert_eq!(t.app.db.invariant_violations().await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn closing_the_account_deletes_it_and_ends_every_session() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let here = sign_in(&t, "jane@example.com", PASSWORD).await;
    let elsewhere = sign_in(&t, "jane@example.com", PASSWORD).await;
    let solo = t
        .call(
            Method::POST,
            "/api/v1/orgs",
            Some(&here.access),
            Some(r#"{"name": "Solo", "slug": "solo"}"#),
        )
        .await;
    assert_eq!(solo.status, 201);
    let audit = AuditCapture::start();

    let missing = t.call(Method::DELETE, ME, Some(&here.access), None).await;
    assert_eq!(missing.status, 422, "a password is required: {:?}", missing.body);

    let closed = close_account(&t, &here.access, PASSWORD).await;
    assert_eq!(
        (closed.status, &closed.body),
        (200, &json!({ "detail": "Account deleted" }))
    );
    let cleared: Vec<String> = closed
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        cleared.iter().all(|c| c.contains("Max-Age=0")) && cleared.len() == 2,
        "{cleared:?}"
    );
    for access in [&here.access, &elsewhere.access] {
        assert_eq!(t.get_with_token(ME, access).await.status, 401);
    }
    assert_eq!(refresh(&t, &elsewhere.refresh).await.status, 401);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 401);
    assert_eq!(
        t.count_items(&[ItemKind::Org, ItemKind::SlugGuard]).await,
        0,
        "the org went too"
    );
    assert_eq!(
        t.register("jane@example.com", PASSWORD).await.status,
        200,
        "the address is free"
    );
    assert!(audit.event_types().contains(&"auth.account_deleted".to_string()));
    assert_eq!(t.app.db.invariant_violations().await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn closing_the_account_is_refused_while_it_owns_an_org_with_other_members() {
    let t = TestApp::new().await;
    let jane = t.user_with_token("jane@example.com").await;
    let bob = t.user_with_token("bob@example.com").await;
    let bob_id = user_id(&t, &bob).await;
    let org = t
        .call(
            Method::POST,
            "/api/v1/orgs",
            Some(&jane),
            Some(r#"{"name": "Shared", "slug": "shared"}"#),
        )
        .await;
    let org_id = org.body["id"].as_i64().unwrap();
    let added = t
        .call(
            Method::POST,
            &format!("/api/v1/orgs/{org_id}/members?user_id={bob_id}"),
            Some(&jane),
            None,
        )
        .await;
    assert!(added.status < 300, "{:?}", added.body);

    let refused = close_account(&t, &jane, PASSWORD).await;
    assert_eq!(refused.status, 409);
    assert!(
        refused.detail().as_str().unwrap().contains("'shared'"),
        "{:?}",
        refused.body
    );
    assert_eq!(t.get_with_token(ME, &jane).await.status, 200, "nothing was deleted");

    let handed_over = t
        .call(
            Method::POST,
            &format!("/api/v1/orgs/{org_id}/transfer-ownership"),
            Some(&jane),
            Some(&json!({ "user_id": bob_id }).to_string()),
        )
        .await;
    assert_eq!(handed_over.status, 200);
    assert_eq!(close_account(&t, &jane, PASSWORD).await.status, 200);
    let members: Vec<Value> = t
        .get_with_token(&format!("/api/v1/orgs/{org_id}/members"), &bob)
        .await
        .body
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(members.len(), 1, "the org stays with bob alone: {members:?}");
}

#[tokio::test]
async fn the_self_service_routes_share_a_rate_limit_of_their_own_per_client() {
    let t = TestApp::with_env(&[("RATE_LIMIT_LOGIN_MAX", "3")]).await;
    let access = t.user_with_token("jane@example.com").await;
    let wrong = "Wrong1234!";
    let first = [
        t.post_json_with_token(CHANGE_PASSWORD, &password_change(wrong, NEW_PASSWORD), &access)
            .await,
        t.post_json_with_token(CHANGE_EMAIL, &email_change("new@example.com", wrong), &access)
            .await,
        close_account(&t, &access, wrong).await,
    ];
    assert_eq!(first.map(|r| r.status), [400, 400, 400]);
    let limited = t
        .post_json_with_token(CHANGE_PASSWORD, &password_change(PASSWORD, NEW_PASSWORD), &access)
        .await;
    assert_eq!(limited.status, 429, "{:?}", limited.body);
    assert!(limited.headers.get("retry-after").is_some());
    assert_eq!(
        t.login("jane@example.com", PASSWORD).await.status,
        200,
        "logins count in a bucket of their own"
    );
    t.clock.advance(Duration::seconds(61));
    let passes = t
        .post_json_with_token(CHANGE_PASSWORD, &password_change(PASSWORD, NEW_PASSWORD), &access)
        .await;
    assert_eq!(passes.status, 200, "the window slid: {:?}", passes.body);
}

#[tokio::test]
async fn twenty_parallel_wrong_passwords_run_exactly_the_lockout_attempts_in_password_checks() {
    let t = TestApp::new().await;
    let access = t.user_with_token("jane@example.com").await;
    let checks_before = t.app.password_checks.get();
    let calls = (0..20)
        .map(|_| Call::json(Method::DELETE, ME, Some(&access), Some(&password_only("Wrong1234!"))))
        .collect();
    let statuses: Vec<u16> = t.concurrently(calls).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 15, "{statuses:?}");
    assert_eq!(
        t.app.password_checks.get() - checks_before,
        5,
        "no check past the lockout"
    );
    assert_eq!(
        t.get_with_token(ME, &access).await.status,
        200,
        "the account is still there"
    );
}
