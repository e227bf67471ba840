//! Password reset, email verification, the outbox, rate limits, lockout and the audit trail,
//! against DynamoDB Local with an injectable clock.

use crate::support::{AuditCapture, Call, TestApp, PASSWORD};
use chrono::Duration;
use lambda_http::http::Method;
use serde_json::{json, Value};
use shared::store::ItemKind;

const RESET_REQUEST: &str = "/api/v1/auth/password-reset/request";
const RESET_CONFIRM: &str = "/api/v1/auth/password-reset/confirm";
const VERIFY: &str = "/api/v1/auth/verify-email";
const RESEND: &str = "/api/v1/auth/resend-verification";
const ME: &str = "/api/v1/auth/me";
const RESET_SENT: &str = "If an account exists, a reset token has been created";
const LOCKED: &str = "Account temporarily locked due to too many failed login attempts. Please try again later.";

fn reset_body(email: &str) -> String {
    json!({ "email": email }).to_string()
}

fn confirm_body(token: &str, new_password: &str) -> String {
    json!({ "token": token, "new_password": new_password }).to_string()
}

#[tokio::test]
async fn password_reset_flow_consumes_the_token_once_and_ends_old_tokens() {
    let t = TestApp::new().await;
    let old_access = t.user_with_token("jane@example.com").await;
    let audit = AuditCapture::start();

    let requested = t.post_json(RESET_REQUEST, &reset_body("Jane@Example.com")).await;
    assert_eq!(
        (requested.status, requested.body),
        (200, json!({ "detail": RESET_SENT }))
    );
    let token = t.token_from_outbox("jane@example.com", "Reset your password").await;

    let confirmed = t
        .post_json(RESET_CONFIRM, &confirm_body(&token, "NewSecret5678!"))
        .await;
    assert_eq!(
        (confirmed.status, confirmed.body),
        (200, json!({ "detail": "Password has been reset successfully" }))
    );
    assert_eq!(t.login("jane@example.com", "NewSecret5678!").await.status, 200);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 401);
    assert_eq!(
        t.get_with_token(ME, &old_access).await.status,
        401,
        "tokens issued before the reset end"
    );

    let again = t.post_json(RESET_CONFIRM, &confirm_body(&token, "Another5678!")).await;
    assert_eq!(
        (again.status, again.body),
        (400, json!({ "detail": "Invalid or expired token" }))
    );
    assert_eq!(
        t.login("jane@example.com", "NewSecret5678!").await.status,
        200,
        "the second use changed nothing"
    );

    let types = audit.event_types();
    for expected in [
        "auth.password_reset_requested",
        "auth.password_reset_confirmed",
        "auth.login_success",
        "auth.login_failed",
    ] {
        assert!(types.contains(&expected.to_string()), "{expected} in {types:?}");
    }
    assert!(!audit.raw().contains(&token), "the token never reaches a log line");
}

#[tokio::test]
async fn reset_tokens_expire_and_a_newer_one_replaces_the_older() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    t.post_json(RESET_REQUEST, &reset_body("jane@example.com")).await;
    let first = t.token_from_outbox("jane@example.com", "Reset your password").await;
    t.clock.advance(Duration::seconds(1));
    t.post_json(RESET_REQUEST, &reset_body("jane@example.com")).await;
    let second = t.token_from_outbox("jane@example.com", "Reset your password").await;
    assert_ne!(first, second);
    assert_eq!(
        t.post_json(RESET_CONFIRM, &confirm_body(&first, "NewSecret5678!"))
            .await
            .status,
        400
    );

    t.clock.advance(Duration::minutes(60));
    let expired = t
        .post_json(RESET_CONFIRM, &confirm_body(&second, "NewSecret5678!"))
        .await;
    assert_eq!(expired.status, 400, "60 minutes is the limit");
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn reset_request_answers_the_same_for_unknown_emails_and_creates_no_token() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let known = t.post_json(RESET_REQUEST, &reset_body("jane@example.com")).await;
    let unknown = t.post_json(RESET_REQUEST, &reset_body("nobody@example.com")).await;
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert_eq!(
        t.count_items(&[ItemKind::OneTimeToken]).await,
        2,
        "the registration's verification token and jane's reset token, none for nobody"
    );
    let notice = t.outbox("nobody@example.com").await;
    assert_eq!(notice.len(), 1);
    assert_eq!(notice[0]["subject"], "Password reset requested");

    let invalid = t.post_json(RESET_REQUEST, &reset_body("not an email")).await;
    assert_eq!(invalid.status, 422);
    let weak = t.post_json(RESET_CONFIRM, &confirm_body("whatever", "short")).await;
    assert_eq!(weak.status, 422);
    assert_eq!(weak.detail()[0]["loc"], json!(["body", "new_password"]));
    let unknown_token = t
        .post_json(RESET_CONFIRM, &confirm_body("not-a-real-token", "NewSecret5678!"))
        .await;
    assert_eq!(unknown_token.status, 400);
}

#[tokio::test]
async fn only_hashes_of_one_time_tokens_are_stored() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    t.post_json(RESET_REQUEST, &reset_body("jane@example.com")).await;
    let reset = t.token_from_outbox("jane@example.com", "Reset your password").await;
    let verify = t
        .token_from_outbox("jane@example.com", "Verify your email address")
        .await;
    // Not even in the queued (here: captured) mail items, whose content is sealed.
    for item in t.all_items().await {
        let dump = format!("{:?}", item.attributes);
        assert!(!dump.contains(&reset) && !dump.contains(&verify), "a token in {dump}");
    }
}

#[tokio::test]
async fn parallel_confirms_of_one_reset_token_succeed_exactly_once() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    t.post_json(RESET_REQUEST, &reset_body("jane@example.com")).await;
    let token = t.token_from_outbox("jane@example.com", "Reset your password").await;
    let calls = (0..50)
        .map(|i| {
            Call::json(
                Method::POST,
                RESET_CONFIRM,
                None,
                Some(&confirm_body(&token, &format!("Parallel{i:02}Secret!"))),
            )
        })
        .collect();
    let statuses: Vec<u16> = t.concurrently(calls).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 49, "{statuses:?}");
}

#[tokio::test]
async fn email_verification_flow() {
    let t = TestApp::new().await;
    let audit = AuditCapture::start();
    let registered = t.register("bob@example.com", PASSWORD).await;
    assert_eq!(registered.body["is_verified"], false);
    let token = t
        .token_from_outbox("bob@example.com", "Verify your email address")
        .await;

    let verified = t.post_json(VERIFY, &json!({ "token": token }).to_string()).await;
    assert_eq!(
        (verified.status, verified.body),
        (200, json!({ "detail": "Email has been verified successfully" }))
    );
    let access = t.login("bob@example.com", PASSWORD).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(t.get_with_token(ME, &access).await.body["is_verified"], true);
    let reused = t.post_json(VERIFY, &json!({ "token": token }).to_string()).await;
    assert_eq!(
        (reused.status, reused.body),
        (400, json!({ "detail": "Invalid or expired token" }))
    );

    let resend = t.post_json_with_token(RESEND, "", &access).await;
    assert_eq!(resend.body, json!({ "status": "already_verified" }));
    let types = audit.event_types();
    for expected in [
        "auth.user_registered",
        "auth.email_verified",
        "auth.resend_verification.noop_already_verified",
    ] {
        assert!(types.contains(&expected.to_string()), "{expected} in {types:?}");
    }
}

#[tokio::test]
async fn verification_tokens_expire_and_resending_replaces_them() {
    let t = TestApp::new().await;
    let access = t.user_with_token("bob@example.com").await;
    let first = t
        .token_from_outbox("bob@example.com", "Verify your email address")
        .await;
    t.clock.advance(Duration::seconds(1));
    let resent = t.post_json_with_token(RESEND, "", &access).await;
    assert_eq!((resent.status, resent.body), (200, json!({ "status": "sent" })));
    let second = t
        .token_from_outbox("bob@example.com", "Verify your email address")
        .await;
    assert_ne!(first, second);
    assert_eq!(
        t.post_json(VERIFY, &json!({ "token": first }).to_string()).await.status,
        400
    );

    t.clock.advance(Duration::hours(24));
    assert_eq!(
        t.post_json(VERIFY, &json!({ "token": second }).to_string())
            .await
            .status,
        400,
        "24 hours is the limit"
    );
}

#[tokio::test]
async fn resend_verification_authenticates_before_it_limits() {
    let t = TestApp::with_env(&[("RATE_LIMIT_RESEND_VERIFICATION_MAX", "3")]).await;
    let access = t.user_with_token("bob@example.com").await;
    for _ in 0..3 {
        assert_eq!(t.post_json_with_token(RESEND, "", &access).await.status, 200);
    }
    let limited = t.post_json_with_token(RESEND, "", &access).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.headers["retry-after"], "300");
    let anonymous = t.post_json(RESEND, "").await;
    assert_eq!(anonymous.status, 401, "no token: 401 even when the limit is used up");
}

#[tokio::test]
async fn login_limit_allows_five_then_429_with_retry_after_and_slides() {
    let t = TestApp::with_env(&[("RATE_LIMIT_LOGIN_MAX", "5")]).await;
    for _ in 0..5 {
        assert_eq!(t.login("nobody@example.com", "wrong").await.status, 401);
    }
    let limited = t.login("nobody@example.com", "wrong").await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        limited.body,
        json!({ "detail": "Too many requests. Please try again later." })
    );
    assert_eq!(limited.headers["retry-after"], "60");

    t.clock.advance(Duration::seconds(45));
    let later = t.login("nobody@example.com", "wrong").await;
    assert_eq!(later.headers["retry-after"], "15", "whole seconds until a slot frees");
    t.clock.advance(Duration::seconds(15));
    assert_eq!(
        t.login("nobody@example.com", "wrong").await.status,
        403,
        "the window slid; lockout answers now"
    );
}

#[tokio::test]
async fn limits_count_per_route_and_refused_requests_take_nothing() {
    let t = TestApp::with_env(&[("RATE_LIMIT_REGISTER_MAX", "3"), ("RATE_LIMIT_RESET_MAX", "3")]).await;
    for _ in 0..3 {
        assert_eq!(
            t.post_json("/api/v1/auth/register", "{}").await.status,
            422,
            "invalid bodies count too"
        );
    }
    assert_eq!(t.post_json("/api/v1/auth/register", "{}").await.status, 429);
    assert_eq!(
        t.post_json(RESET_REQUEST, &reset_body("a@example.com")).await.status,
        200,
        "its own bucket"
    );

    t.clock.advance(Duration::seconds(30));
    for _ in 0..5 {
        assert_eq!(t.post_json("/api/v1/auth/register", "{}").await.status, 429);
    }
    t.clock.advance(Duration::seconds(30));
    assert_eq!(
        t.post_json("/api/v1/auth/register", "{}").await.status,
        422,
        "refused requests did not extend the window"
    );
}

#[tokio::test]
async fn forwarded_for_counts_only_when_trusted() {
    let forwarded = |ip: &'static str| [("content-type", "application/json"), ("x-forwarded-for", ip)];
    for (trusted, separate_buckets) in [("true", true), ("false", false)] {
        let t = TestApp::with_env(&[("RATE_LIMIT_REGISTER_MAX", "1"), ("TRUST_PROXY_HEADERS", trusted)]).await;
        let first = t
            .send(
                lambda_http::http::Method::POST,
                "/api/v1/auth/register",
                &forwarded("203.0.113.1"),
                "{}".into(),
            )
            .await;
        assert_eq!(first.status, 422);
        let second = t
            .send(
                lambda_http::http::Method::POST,
                "/api/v1/auth/register",
                &forwarded("198.51.100.1, 203.0.113.2"),
                "{}".into(),
            )
            .await;
        assert_eq!(second.status == 422, separate_buckets, "trusted={trusted}");
    }
}

#[tokio::test]
async fn fifty_parallel_requests_to_a_limited_route_let_exactly_five_through() {
    let t = TestApp::with_env(&[("RATE_LIMIT_RESET_MAX", "5")]).await;
    let calls = (0..50)
        .map(|_| {
            Call::json(
                Method::POST,
                RESET_REQUEST,
                None,
                Some(&reset_body("nobody@example.com")),
            )
        })
        .collect();
    let statuses: Vec<u16> = t.concurrently(calls).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 45, "{statuses:?}");
}

#[tokio::test]
async fn five_failures_lock_even_the_right_password_for_fifteen_minutes() {
    let t = TestApp::new().await;
    t.register("alice@example.com", "Correct1234!").await;
    let audit = AuditCapture::start();
    for _ in 0..5 {
        let failed = t.login("alice@example.com", "WrongPass").await;
        assert_eq!(failed.detail(), "Incorrect email or password");
    }
    let locked = t.login("alice@example.com", "Correct1234!").await;
    assert_eq!((locked.status, locked.body), (403, json!({ "detail": LOCKED })));

    t.clock.advance(Duration::minutes(14));
    assert_eq!(t.login("alice@example.com", "Correct1234!").await.status, 403);
    t.clock.advance(Duration::minutes(1));
    assert_eq!(
        t.login("alice@example.com", "Correct1234!").await.status,
        200,
        "the lock clears itself"
    );

    let types = audit.event_types();
    assert_eq!(types.iter().filter(|t| *t == "auth.login_failed").count(), 5);
    assert_eq!(types.iter().filter(|t| *t == "auth.login_locked").count(), 2);
    assert!(types.contains(&"auth.account_locked".to_string()));
    assert!(
        !audit.raw().contains("Correct1234!") && !audit.raw().contains("WrongPass"),
        "no password in logs"
    );
}

#[tokio::test]
async fn a_success_resets_the_count_and_old_failures_are_forgotten() {
    let t = TestApp::new().await;
    t.register("alice@example.com", "Correct1234!").await;
    for _ in 0..4 {
        t.login("alice@example.com", "WrongPass").await;
    }
    assert_eq!(t.login("alice@example.com", "Correct1234!").await.status, 200);
    for _ in 0..4 {
        t.login("alice@example.com", "WrongPass").await;
    }
    assert_eq!(
        t.login("alice@example.com", "Correct1234!").await.status,
        200,
        "4 + 4 is not 5 in a row"
    );

    for _ in 0..4 {
        t.login("alice@example.com", "WrongPass").await;
    }
    t.clock.advance(Duration::minutes(15));
    assert_eq!(
        t.login("alice@example.com", "WrongPass").await.status,
        401,
        "older failures were forgotten"
    );
    assert_eq!(t.login("alice@example.com", "Correct1234!").await.status, 200);
}

#[tokio::test]
async fn unknown_emails_lock_the_same_way() {
    let t = TestApp::new().await;
    t.register("alice@example.com", "Correct1234!").await;
    for _ in 0..5 {
        t.login("alice@example.com", "WrongPass").await;
        t.login("ghost@example.com", "WrongPass").await;
    }
    let known = t.login("alice@example.com", "Correct1234!").await;
    let unknown = t.login("ghost@example.com", "Correct1234!").await;
    assert_eq!(known.status, 403);
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
}

#[tokio::test]
async fn a_password_reset_lifts_the_lockout() {
    let t = TestApp::new().await;
    t.register("alice@example.com", "Correct1234!").await;
    for _ in 0..5 {
        t.login("alice@example.com", "WrongPass").await;
    }
    assert_eq!(t.login("alice@example.com", "Correct1234!").await.status, 403);
    t.post_json(RESET_REQUEST, &reset_body("alice@example.com")).await;
    let token = t.token_from_outbox("alice@example.com", "Reset your password").await;
    assert_eq!(
        t.post_json(RESET_CONFIRM, &confirm_body(&token, "NewSecret5678!"))
            .await
            .status,
        200
    );
    assert_eq!(t.login("alice@example.com", "NewSecret5678!").await.status, 200);
}

#[tokio::test]
async fn fifty_parallel_wrong_logins_lock_at_exactly_the_threshold() {
    let t = TestApp::new().await;
    t.register("alice@example.com", "Correct1234!").await;
    let calls = (0..50)
        .map(|_| Call::form("/api/v1/auth/token", "username=alice@example.com&password=WrongPass"))
        .collect();
    let statuses: Vec<u16> = t.concurrently(calls).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 45, "{statuses:?}");
    let lockout = t
        .all_items()
        .await
        .into_iter()
        .find(|item| item.kind == ItemKind::Lockout && item.lockout_subject() == Some("alice@example.com"))
        .expect("a failure counter");
    assert_eq!(lockout.number("failures"), Some(5), "every counted failure is there");
}

#[tokio::test]
async fn enumeration_cases_answer_identically() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let wrong = t.login("jane@example.com", "Wrong1234!").await;
    let unknown = t.login("nobody@example.com", "Wrong1234!").await;
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert_eq!(
        wrong.headers.get("www-authenticate"),
        unknown.headers.get("www-authenticate")
    );

    let known_reset = t.post_json(RESET_REQUEST, &reset_body("jane@example.com")).await;
    let unknown_reset = t.post_json(RESET_REQUEST, &reset_body("nobody@example.com")).await;
    assert_eq!(
        (known_reset.status, &known_reset.body),
        (unknown_reset.status, &unknown_reset.body)
    );

    let registered_body: Value = t.register("x@example.com", PASSWORD).await.body;
    assert!(registered_body.get("hashed_password").is_none());
    assert!(registered_body.get("verification_token_hash").is_none());
}

#[tokio::test]
async fn audit_events_carry_their_fields_and_no_secrets() {
    let t = TestApp::new().await;
    let audit = AuditCapture::start();
    t.register("jane@example.com", PASSWORD).await;
    let token = t.login("jane@example.com", PASSWORD).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let auth = format!("Bearer {token}");
    t.send(
        lambda_http::http::Method::POST,
        "/api/v1/auth/logout",
        &[("authorization", &auth)],
        lambda_http::Body::Empty,
    )
    .await;

    let events = audit.events();
    let find = |kind: &str| {
        events
            .iter()
            .find(|e| e["event_type"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("{kind}"))
    };
    let registered = find("auth.user_registered");
    assert_eq!(registered["actor_email"], "jane@example.com");
    assert_eq!(
        (registered["target_type"].as_str(), registered["target_id"].as_i64()),
        (Some("user"), Some(1))
    );
    let login = find("auth.login_success");
    assert_eq!(
        (login["actor_id"].as_i64(), login["actor_email"].as_str()),
        (Some(1), Some("jane@example.com"))
    );
    assert_eq!(find("auth.logout")["actor_id"], 1);
    for event in &events {
        assert!(event["timestamp"].as_str().unwrap().ends_with('Z'), "{event}");
    }
    let raw = audit.raw();
    assert!(
        !raw.contains(PASSWORD) && !raw.contains(&token) && !raw.contains("$argon2"),
        "{raw}"
    );
}

/// The issue-13 lockout property: attempts reserve their slot before the password check, so of
/// 50 simultaneous attempts for one email (on a multi-threaded runtime, against DynamoDB
/// Local) at most `ACCOUNT_LOCKOUT_ATTEMPTS` reach Argon2 unless the right password (at a random
/// position) was among them and succeeded, which clears the count; all others get the lockout's
/// 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_guesses_run_at_most_the_lockout_attempts_in_password_checks() {
    const ATTEMPTS: usize = 5;
    // The tasks are released together, so which five get a slot is up to the scheduler: the
    // right password is checked in about one run in ten.
    for run in 1..=8 {
        let t = TestApp::new().await;
        t.register("alice@example.com", "Correct1234!").await;
        let correct_at = (uuid::Uuid::new_v4().as_u128() % 50) as usize;
        let calls = (0..50)
            .map(|i| {
                let password = if i == correct_at { "Correct1234!" } else { "WrongPass" };
                Call::form(
                    "/api/v1/auth/token",
                    &format!("username=alice@example.com&password={password}"),
                )
            })
            .collect();
        let statuses: Vec<u16> = t.concurrently(calls).await.iter().map(|r| r.status).collect();
        let checks = t.app.password_checks.get() as usize;
        let count = |status: u16| statuses.iter().filter(|s| **s == status).count();
        let correct = statuses[correct_at];
        println!(
            "lockout run {run}: correct password at position {correct_at} -> {correct}; \
             password checks {checks}; 200: {}, 401: {}, 403: {}",
            count(200),
            count(401),
            count(403)
        );
        // Without the right password, nothing resets the count: at most ATTEMPTS checks. A
        // success clears the counter (a success resets the count), so attempts still in flight
        // after it may take fresh slots: at most ATTEMPTS - 1 failures before it and ATTEMPTS
        // after it.
        let bound = if correct == 200 { 2 * ATTEMPTS } else { ATTEMPTS };
        assert!(checks <= bound, "run {run}: {checks} checks; {statuses:?}");
        assert_eq!(count(200) + count(401), checks, "run {run}: one answer per check");
        assert_eq!(
            count(403),
            50 - checks,
            "run {run}: everything else is locked out: {statuses:?}"
        );
        assert!(correct == 200 || correct == 403, "run {run}: {correct}");
        assert!(count(200) <= 1 && (correct == 200) == (count(200) == 1), "{statuses:?}");
        let locked = t.login("alice@example.com", "Correct1234!").await;
        if correct == 403 {
            assert_eq!(locked.status, 403, "run {run}: five failures lock the right password");
        }
    }
}

#[tokio::test]
async fn a_login_upgrades_a_hash_made_with_weaker_parameters_in_the_same_write() {
    use argon2::password_hash::PasswordHasher;
    let t = TestApp::new().await;
    let registered = t.register("old@example.com", PASSWORD).await;
    let id = registered.body["id"].as_i64().unwrap();
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8192, 1, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes())
    .unwrap()
    .to_string();
    t.update_user(
        id,
        "SET hashed_password = :h",
        &[(":h", aws_sdk_dynamodb::types::AttributeValue::S(weak.clone()))],
    )
    .await;
    let stored_hash = |items: Vec<shared::store::StoredItem>| {
        items
            .into_iter()
            .find(|item| item.kind == ItemKind::User)
            .and_then(|item| item.attributes.get("hashed_password")?.as_s().ok().cloned())
            .unwrap()
    };
    assert_eq!(t.login("old@example.com", "Wrong1234!").await.status, 401);
    assert_eq!(stored_hash(t.all_items().await), weak, "a failed login changes nothing");

    let audit = AuditCapture::start();
    let calls_before = t.app.db.calls();
    let login = t.login("old@example.com", PASSWORD).await;
    let upgrade_calls = t.app.db.calls() - calls_before;
    assert_eq!(login.status, 200);
    let upgraded = stored_hash(t.all_items().await);
    assert!(upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{upgraded}");
    let login_success = audit
        .events()
        .into_iter()
        .find(|e| e["event_type"] == "auth.login_success")
        .unwrap();
    assert_eq!(
        login_success["detail"],
        "password hash upgraded to the current parameters"
    );
    let calls_before = t.app.db.calls();
    assert_eq!(
        t.login("old@example.com", PASSWORD).await.status,
        200,
        "the new hash verifies"
    );
    assert_eq!(
        t.app.db.calls() - calls_before,
        upgrade_calls,
        "the upgrade rode on the login's own writes"
    );
    assert_eq!(stored_hash(t.all_items().await), upgraded, "a current hash is kept");
}
