//! The second factor (issue 16): enrolment, the two-step login, replay and skew with the app's
//! clock, recovery codes under concurrency, the challenge's lifetime, step-up, the admin's
//! removal, the lockout and rate limit of the second step, and the org policy `require_mfa`.
//! Codes are computed by `support::totp`, not by the code under test.

use crate::support::{claims_of, totp, AuditCapture, Call, Reply, TestApp, PASSWORD};
use chrono::Duration;
use lambda_http::http::Method;
use serde_json::{json, Value};
use shared::Clock;

const ENROL: &str = "/api/v1/auth/mfa/totp";
const CONFIRM: &str = "/api/v1/auth/mfa/totp/confirm";
const VERIFY: &str = "/api/v1/auth/mfa/verify";
const RECOVERY_CODES: &str = "/api/v1/auth/mfa/recovery-codes";
const ME: &str = "/api/v1/auth/me";
const STEP_UP: &str =
    "This change needs a session signed in with the second factor: sign in again with your authenticator code";
const LOCKED: &str = "Account temporarily locked due to too many failed login attempts. Please try again later.";

/// A user with a confirmed factor: its secret, recovery codes and the password-only token of
/// the session that enrolled it.
struct Enrolled {
    email: String,
    secret: String,
    recovery_codes: Vec<String>,
    password_token: String,
}

fn now(t: &TestApp) -> i64 {
    t.clock.now().timestamp()
}

async fn enrol(t: &TestApp, email: &str) -> Enrolled {
    let token = t.user_with_token(email).await;
    let started = t
        .post_json_with_token(ENROL, &json!({ "password": PASSWORD }).to_string(), &token)
        .await;
    assert_eq!(started.status, 200, "{:?}", started.body);
    let secret = started.body["secret"].as_str().unwrap().to_string();
    let confirmed = t
        .post_json_with_token(CONFIRM, &code_body(&totp(&secret, now(t))), &token)
        .await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    let recovery_codes = confirmed.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    Enrolled {
        email: email.to_string(),
        secret,
        recovery_codes,
        password_token: token,
    }
}

fn code_body(code: &str) -> String {
    json!({ "code": code }).to_string()
}

/// The `mfa_token` of a password login that must answer "MFA required".
async fn challenge(t: &TestApp, email: &str, password: &str) -> String {
    let reply = t.login(email, password).await;
    assert_eq!(reply.status, 401, "{:?}", reply.body);
    assert_eq!(reply.body["detail"], "MFA required");
    reply.body["mfa_token"].as_str().unwrap().to_string()
}

async fn verify_code(t: &TestApp, mfa_token: &str, code: &str) -> Reply {
    let body = json!({ "mfa_token": mfa_token, "code": code }).to_string();
    t.post_json(VERIFY, &body).await
}

async fn verify_recovery(t: &TestApp, mfa_token: &str, code: &str) -> Reply {
    let body = json!({ "mfa_token": mfa_token, "recovery_code": code }).to_string();
    t.post_json(VERIFY, &body).await
}

/// A session signed in with both factors: its access token.
async fn otp_token(t: &TestApp, user: &Enrolled, at: i64) -> String {
    let mfa_token = challenge(t, &user.email, PASSWORD).await;
    let reply = verify_code(t, &mfa_token, &totp(&user.secret, at)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_string()
}

async fn me(t: &TestApp, token: &str) -> Value {
    let reply = t.get_with_token(ME, token).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

#[tokio::test]
async fn enrolment_then_a_two_step_login_that_answers_what_a_login_answers() {
    let t = TestApp::new().await;
    let audit = AuditCapture::start();
    let token = t.user_with_token("jane@example.com").await;
    assert_eq!(me(&t, &token).await["mfa_enabled"], false);

    let wrong = t
        .post_json_with_token(ENROL, &json!({ "password": "Wrong1234!" }).to_string(), &token)
        .await;
    assert_eq!((wrong.status, wrong.detail()), (400, &json!("Incorrect password")));
    let missing = t.post_json_with_token(ENROL, "{}", &token).await;
    assert_eq!(missing.status, 422);
    let anonymous = t.post_json(ENROL, &json!({ "password": PASSWORD }).to_string()).await;
    assert_eq!(anonymous.status, 401);

    let started = t
        .post_json_with_token(ENROL, &json!({ "password": PASSWORD }).to_string(), &token)
        .await;
    assert_eq!(started.status, 200, "{:?}", started.body);
    assert_eq!(started.headers["cache-control"], "no-store");
    let secret = started.body["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    assert_eq!(
        started.body["otpauth_uri"],
        format!(
            "otpauth://totp/Gatehouse:jane%40example.com?secret={secret}&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30"
        )
    );
    assert!(started.body["qr_svg"].as_str().unwrap().starts_with("<?xml"));
    // Pending: a password still signs in alone.
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200);

    let wrong_code = format!(
        "{:06}",
        (totp(&secret, now(&t)).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    let refused = t.post_json_with_token(CONFIRM, &code_body(&wrong_code), &token).await;
    assert_eq!((refused.status, refused.detail()), (400, &json!("Invalid code")));
    let malformed = t.post_json_with_token(CONFIRM, &code_body("12ab56"), &token).await;
    assert_eq!(malformed.status, 422);
    let confirmed = t
        .post_json_with_token(CONFIRM, &code_body(&totp(&secret, now(&t))), &token)
        .await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    let codes = confirmed.body["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    let again = t
        .post_json_with_token(ENROL, &json!({ "password": PASSWORD }).to_string(), &token)
        .await;
    assert_eq!(again.status, 409, "enrolled once");
    assert_eq!(me(&t, &token).await["mfa_enabled"], true);
    let notice = t.outbox("jane@example.com").await;
    assert!(notice.iter().any(|m| m["subject"] == "Two-step sign-in was turned on"));

    // The password step: 401 with a challenge, no tokens, no cookies.
    let first = t.login("jane@example.com", PASSWORD).await;
    assert_eq!(first.status, 401);
    assert_eq!(first.body["methods"], json!(["totp", "recovery_code"]));
    assert!(first.body.get("access_token").is_none());
    assert!(first.headers.get("set-cookie").is_none());
    let mfa_token = first.body["mfa_token"].as_str().unwrap();
    // A wrong password is the ordinary answer: the factor is asked only after the password.
    assert_eq!(t.login("jane@example.com", "Wrong1234!").await.status, 401);

    t.clock.advance(Duration::seconds(30));
    let signed_in = verify_code(&t, mfa_token, &totp(&secret, now(&t))).await;
    assert_eq!(signed_in.status, 200, "{:?}", signed_in.body);
    assert_eq!(signed_in.body["token_type"], "bearer");
    assert_eq!(signed_in.headers.get_all("set-cookie").iter().count(), 2);
    let access = signed_in.body["access_token"].as_str().unwrap();
    let claims = claims_of(access);
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));
    assert_eq!(claims["auth_time"], now(&t));
    assert_eq!(me(&t, access).await["email"], "jane@example.com");

    // Refresh keeps how and when the user authenticated.
    t.clock.advance(Duration::minutes(3));
    let refresh = signed_in.body["refresh_token"].as_str().unwrap();
    let refreshed = t
        .post_json("/api/v1/auth/refresh", &json!({ "refresh_token": refresh }).to_string())
        .await;
    assert_eq!(refreshed.status, 200);
    let claims = claims_of(refreshed.body["access_token"].as_str().unwrap());
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));
    assert_eq!(claims["auth_time"], now(&t) - 180);
    assert_eq!(claims_of(&token)["amr"], json!(["pwd"]));

    let events = audit.event_types();
    assert!(events.contains(&"auth.mfa_enrolled".to_string()), "{events:?}");
    assert!(!audit.raw().contains(&secret), "the secret reaches no log line");
    assert!(!audit.raw().contains(mfa_token));
    assert_eq!(t.app.db.invariant_violations().await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn the_secret_is_stored_sealed_and_recovery_codes_and_challenges_hashed() {
    let t = TestApp::new().await;
    let user = enrol(&t, "jane@example.com").await;
    let mfa_token = challenge(&t, &user.email, PASSWORD).await;
    let stored = format!("{:?}", t.all_items().await);
    assert!(!stored.contains(&user.secret));
    assert!(!stored.contains(&mfa_token));
    for code in &user.recovery_codes {
        assert!(!stored.contains(code.as_str()) && !stored.contains(&code.replace('-', "")));
    }
}

#[tokio::test]
async fn one_step_of_clock_skew_either_way_is_accepted_two_are_refused() {
    // Refused codes and the logins around them count on the lockout: room for all of them.
    let t = TestApp::with_env(&[("ACCOUNT_LOCKOUT_ATTEMPTS", "20")]).await;
    let user = enrol(&t, "jane@example.com").await;
    // Well past the confirming step, so that every candidate below is later than the last used.
    t.clock.advance(Duration::seconds(300));
    let at = now(&t);
    for (offset, status) in [(-60, 401), (60, 401), (-30, 200)] {
        let mfa_token = challenge(&t, &user.email, PASSWORD).await;
        let reply = verify_code(&t, &mfa_token, &totp(&user.secret, at + offset)).await;
        assert_eq!(reply.status, status, "offset {offset} s: {:?}", reply.body);
    }
    t.clock.advance(Duration::seconds(300));
    let mfa_token = challenge(&t, &user.email, PASSWORD).await;
    let ahead = verify_code(&t, &mfa_token, &totp(&user.secret, now(&t) + 30)).await;
    assert_eq!(ahead.status, 200, "one step ahead: {:?}", ahead.body);
}

#[tokio::test]
async fn a_code_is_accepted_once_and_no_earlier_step_after_it() {
    let t = TestApp::new().await;
    let audit = AuditCapture::start();
    let user = enrol(&t, "jane@example.com").await;
    t.clock.advance(Duration::seconds(60));
    let code = totp(&user.secret, now(&t));
    let first = challenge(&t, &user.email, PASSWORD).await;
    assert_eq!(verify_code(&t, &first, &code).await.status, 200);

    let second = challenge(&t, &user.email, PASSWORD).await;
    let replay = verify_code(&t, &second, &code).await;
    assert_eq!((replay.status, replay.detail()), (401, &json!("Invalid code")));
    let earlier = verify_code(&t, &second, &totp(&user.secret, now(&t) - 30)).await;
    assert_eq!(earlier.status, 401, "an earlier step than the last used");
    assert!(audit.event_types().contains(&"auth.mfa_challenge_failed".to_string()));
    // The challenge survives wrong codes (the lockout bounds them).
    t.clock.advance(Duration::seconds(30));
    assert_eq!(verify_code(&t, &second, &totp(&user.secret, now(&t))).await.status, 200);
}

#[tokio::test]
async fn twenty_parallel_uses_of_one_code_sign_in_once() {
    let t = TestApp::with_env(&[("ACCOUNT_LOCKOUT_ATTEMPTS", "100")]).await;
    let user = enrol(&t, "jane@example.com").await;
    t.clock.advance(Duration::seconds(60));
    let code = totp(&user.secret, now(&t));
    let mut calls = Vec::new();
    for _ in 0..20 {
        let mfa_token = challenge(&t, &user.email, PASSWORD).await;
        let body = json!({ "mfa_token": mfa_token, "code": code }).to_string();
        calls.push(Call::json(Method::POST, VERIFY, None, Some(&body)));
    }
    let statuses: Vec<u16> = t.concurrently(calls).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 19, "{statuses:?}");
}

#[tokio::test]
async fn twenty_parallel_uses_of_one_recovery_code_sign_in_once() {
    let t = TestApp::with_env(&[("ACCOUNT_LOCKOUT_ATTEMPTS", "100")]).await;
    let audit = AuditCapture::start();
    let user = enrol(&t, "jane@example.com").await;
    let code = &user.recovery_codes[0];
    let mut calls = Vec::new();
    for _ in 0..20 {
        let mfa_token = challenge(&t, &user.email, PASSWORD).await;
        let body = json!({ "mfa_token": mfa_token, "recovery_code": code }).to_string();
        calls.push(Call::json(Method::POST, VERIFY, None, Some(&body)));
    }
    let replies = t.concurrently(calls).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 19, "{statuses:?}");
    let signed_in = replies.iter().find(|r| r.status == 200).unwrap();
    assert_eq!(
        claims_of(signed_in.body["access_token"].as_str().unwrap())["amr"],
        json!(["pwd", "otp"])
    );
    assert!(audit.event_types().contains(&"auth.recovery_code_used".to_string()));

    // Spent for good; another code works, typed in lower case without its dash.
    let mfa_token = challenge(&t, &user.email, PASSWORD).await;
    assert_eq!(verify_recovery(&t, &mfa_token, code).await.status, 401);
    let typed = user.recovery_codes[1].replace('-', "").to_lowercase();
    assert_eq!(verify_recovery(&t, &mfa_token, &typed).await.status, 200);
    let malformed = verify_recovery(&t, "x", "not a code").await;
    assert_eq!(malformed.status, 422);
    let both = t
        .post_json(
            VERIFY,
            &json!({ "mfa_token": "x", "code": "123456", "recovery_code": typed }).to_string(),
        )
        .await;
    assert_eq!(both.status, 422);
    assert_eq!(t.app.db.invariant_violations().await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn the_mfa_token_is_single_use_and_expires() {
    let t = TestApp::new().await;
    let user = enrol(&t, "jane@example.com").await;
    t.clock.advance(Duration::seconds(60));
    let mfa_token = challenge(&t, &user.email, PASSWORD).await;
    assert_eq!(
        verify_recovery(&t, &mfa_token, &user.recovery_codes[0]).await.status,
        200
    );
    let reused = verify_recovery(&t, &mfa_token, &user.recovery_codes[1]).await;
    assert_eq!(
        (reused.status, reused.detail()),
        (401, &json!("Invalid or expired MFA token"))
    );

    let late = challenge(&t, &user.email, PASSWORD).await;
    t.clock.advance(Duration::minutes(5));
    let expired = verify_code(&t, &late, &totp(&user.secret, now(&t))).await;
    assert_eq!(
        (expired.status, expired.detail()),
        (401, &json!("Invalid or expired MFA token"))
    );
    let unknown = verify_code(&t, "made-up", &totp(&user.secret, now(&t))).await;
    assert_eq!(unknown.status, 401);
    // The code was not spent on the expired challenge.
    let fresh = challenge(&t, &user.email, PASSWORD).await;
    assert_eq!(verify_code(&t, &fresh, &totp(&user.secret, now(&t))).await.status, 200);
}

#[tokio::test]
async fn a_password_reset_does_not_bypass_the_second_factor() {
    let t = TestApp::new().await;
    let user = enrol(&t, "jane@example.com").await;
    // Wrong codes before the reset still count after it: the password and three wrong codes
    // are four attempts of five.
    let guessed = challenge(&t, &user.email, PASSWORD).await;
    for _ in 0..3 {
        assert_eq!(verify_code(&t, &guessed, "000000").await.status, 401);
    }
    let requested = t
        .post_json(
            "/api/v1/auth/password-reset/request",
            &json!({ "email": user.email }).to_string(),
        )
        .await;
    assert_eq!(requested.status, 200);
    let token = t.token_from_outbox(&user.email, "Reset your password").await;
    let reset = t
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({ "token": token, "new_password": "NewSecret5678!" }).to_string(),
        )
        .await;
    assert_eq!(reset.status, 200);
    let mfa_token = challenge(&t, &user.email, "NewSecret5678!").await;
    t.clock.advance(Duration::seconds(30));
    let locked = verify_code(&t, &mfa_token, &totp(&user.secret, now(&t))).await;
    assert_eq!((locked.status, locked.detail()), (403, &json!(LOCKED)));

    // Once the lock has passed, the new password and the code sign in.
    t.clock.advance(Duration::minutes(15));
    let mfa_token = challenge(&t, &user.email, "NewSecret5678!").await;
    assert_eq!(
        verify_code(&t, &mfa_token, &totp(&user.secret, now(&t))).await.status,
        200
    );
}

#[tokio::test]
async fn sensitive_changes_need_a_session_signed_in_with_the_factor() {
    let t = TestApp::new().await;
    let audit = AuditCapture::start();
    let user = enrol(&t, "jane@example.com").await;
    let pwd_only = &user.password_token;

    let refused = t.post_json_with_token(RECOVERY_CODES, "{}", pwd_only).await;
    assert_eq!((refused.status, refused.detail()), (403, &json!(STEP_UP)));
    let refused = t.call(Method::DELETE, ENROL, Some(pwd_only), None).await;
    assert_eq!((refused.status, refused.detail()), (403, &json!(STEP_UP)));
    // The self-service changes too, before the password is even checked (the right one here).
    let self_service = [
        (
            Method::POST,
            "/api/v1/auth/change-password",
            json!({ "current_password": PASSWORD, "new_password": "NewSecret5678!" }),
        ),
        (
            Method::POST,
            "/api/v1/auth/change-email",
            json!({ "new_email": "jane.new@example.com", "password": PASSWORD }),
        ),
        (Method::DELETE, "/api/v1/auth/me", json!({ "password": PASSWORD })),
    ];
    let before = t.data_snapshot().await;
    for (method, path, body) in &self_service {
        let refused = t
            .call(method.clone(), path, Some(pwd_only), Some(&body.to_string()))
            .await;
        assert_eq!((refused.status, refused.detail()), (403, &json!(STEP_UP)), "{path}");
    }
    assert_eq!(t.data_snapshot().await, before, "nothing changed");

    t.clock.advance(Duration::seconds(60));
    let strong = otp_token(&t, &user, now(&t)).await;
    let renewed = t.post_json_with_token(RECOVERY_CODES, "{}", &strong).await;
    assert_eq!(renewed.status, 200);
    assert_eq!(renewed.body["recovery_codes"].as_array().unwrap().len(), 10);
    let mfa_token = challenge(&t, &user.email, PASSWORD).await;
    assert_eq!(
        verify_recovery(&t, &mfa_token, &user.recovery_codes[0]).await.status,
        401,
        "the old codes are void"
    );
    let new_code = renewed.body["recovery_codes"][0].as_str().unwrap();
    assert_eq!(verify_recovery(&t, &mfa_token, new_code).await.status, 200);

    let disabled = t.call(Method::DELETE, ENROL, Some(&strong), None).await;
    assert_eq!(disabled.status, 204);
    assert_eq!(me(&t, &strong).await["mfa_enabled"], false);
    assert_eq!(
        t.login(&user.email, PASSWORD).await.status,
        200,
        "a password alone again"
    );
    let again = t.call(Method::DELETE, ENROL, Some(&strong), None).await;
    assert_eq!(again.status, 404);
    let none = t.post_json_with_token(RECOVERY_CODES, "{}", &strong).await;
    assert_eq!(none.status, 400);
    let notice = t.outbox(&user.email).await;
    assert!(notice.iter().any(|m| m["subject"] == "Two-step sign-in was turned off"));
    assert!(audit.event_types().contains(&"auth.mfa_disabled".to_string()));
    assert_eq!(t.app.db.invariant_violations().await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn step_up_is_a_domain_rule_other_routes_can_call() {
    let t = TestApp::new().await;
    let user = enrol(&t, "jane@example.com").await;
    let caller = |token: String| {
        let app = t.app.clone();
        async move { shared::domain::auth::authenticate(&app, &token).await.unwrap() }
    };
    let weak = caller(user.password_token.clone()).await;
    assert!(shared::domain::mfa::require_step_up(&weak).is_err());
    t.clock.advance(Duration::seconds(60));
    let strong = caller(otp_token(&t, &user, now(&t)).await).await;
    assert!(shared::domain::mfa::require_step_up(&strong).is_ok());
    let plain = caller(t.user_with_token("joe@example.com").await).await;
    assert!(
        shared::domain::mfa::require_step_up(&plain).is_ok(),
        "no factor, nothing to step up to"
    );
}

#[tokio::test]
async fn wrong_codes_count_towards_the_lockout() {
    let t = TestApp::new().await;
    let user = enrol(&t, "jane@example.com").await;
    // The password's attempt counts until the second step succeeds: it and four wrong codes
    // are the five attempts of the lockout.
    let mfa_token = challenge(&t, &user.email, PASSWORD).await;
    for _ in 0..4 {
        assert_eq!(verify_code(&t, &mfa_token, "000000").await.status, 401);
    }
    t.clock.advance(Duration::seconds(30));
    let locked = verify_code(&t, &mfa_token, &totp(&user.secret, now(&t))).await;
    assert_eq!((locked.status, locked.detail()), (403, &json!(LOCKED)));
    let login = t.login(&user.email, PASSWORD).await;
    assert_eq!((login.status, login.detail()), (403, &json!(LOCKED)));
}

#[tokio::test]
async fn a_right_password_does_not_restart_the_count_of_wrong_codes() {
    let t = TestApp::new().await;
    let user = enrol(&t, "jane@example.com").await;
    let first = challenge(&t, &user.email, PASSWORD).await;
    assert_eq!(verify_code(&t, &first, "000000").await.status, 401);
    assert_eq!(verify_code(&t, &first, "000000").await.status, 401);
    let second = challenge(&t, &user.email, PASSWORD).await;
    assert_eq!(verify_code(&t, &second, "000000").await.status, 401);
    t.clock.advance(Duration::seconds(30));
    let locked = verify_code(&t, &second, &totp(&user.secret, now(&t))).await;
    assert_eq!((locked.status, locked.detail()), (403, &json!(LOCKED)));

    // A success clears the count: a user who mistypes once signs in, and starts afresh.
    t.clock.advance(Duration::minutes(15));
    let third = challenge(&t, &user.email, PASSWORD).await;
    assert_eq!(verify_code(&t, &third, "000000").await.status, 401);
    assert_eq!(verify_code(&t, &third, &totp(&user.secret, now(&t))).await.status, 200);
    let items = t.data_items().await;
    assert!(
        !items.iter().any(|i| i.kind == shared::store::ItemKind::Lockout),
        "the counter is gone"
    );
}

#[tokio::test]
async fn the_second_step_has_its_own_rate_limit() {
    let t = TestApp::with_env(&[("RATE_LIMIT_MFA_MAX", "2"), ("RATE_LIMIT_MFA_WINDOW", "60")]).await;
    let user = enrol(&t, "jane@example.com").await;
    let mfa_token = challenge(&t, &user.email, PASSWORD).await;
    assert_eq!(verify_code(&t, &mfa_token, "000000").await.status, 401);
    assert_eq!(verify_code(&t, &mfa_token, "000000").await.status, 401);
    let limited = verify_code(&t, &mfa_token, "000000").await;
    assert_eq!(limited.status, 429);
    assert!(limited.headers.get("retry-after").is_some());
}

#[tokio::test]
async fn an_admin_removes_a_factor_and_ends_the_sessions() {
    let t = TestApp::new().await;
    let audit = AuditCapture::start();
    let admin = t.user_with_token("admin@example.com").await;
    let user = enrol(&t, "jane@example.com").await;
    let jane = me(&t, &user.password_token).await;
    let path = format!("/api/v1/auth/users/{}/mfa", jane["id"]);

    let viewed = t
        .get_with_token(&format!("/api/v1/auth/users/{}", jane["id"]), &admin)
        .await;
    assert_eq!(viewed.body["mfa_enabled"], true);
    let forbidden = t.call(Method::DELETE, &path, Some(&user.password_token), None).await;
    assert_eq!(forbidden.status, 403);
    let unknown = t
        .call(Method::DELETE, "/api/v1/auth/users/999/mfa", Some(&admin), None)
        .await;
    assert_eq!(unknown.status, 404);

    t.clock.advance(Duration::seconds(1));
    let removed = t.call(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(removed.status, 204, "{:?}", removed.body);
    assert_eq!(
        t.get_with_token(ME, &user.password_token).await.status,
        401,
        "sessions ended"
    );
    t.clock.advance(Duration::seconds(1));
    let login = t.login(&user.email, PASSWORD).await;
    assert_eq!(login.status, 200, "a password alone again");
    assert_eq!(
        claims_of(login.body["access_token"].as_str().unwrap())["amr"],
        json!(["pwd"])
    );
    let twice = t.call(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(twice.status, 404);
    assert!(audit.event_types().contains(&"auth.mfa_reset_by_admin".to_string()));
    let notice = t.outbox(&user.email).await;
    assert!(notice.iter().any(|m| m["subject"] == "Two-step sign-in was turned off"));
    assert_eq!(t.app.db.invariant_violations().await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn an_org_that_requires_mfa_refuses_members_without_it_in_their_session() {
    let t = TestApp::new().await;
    let owner = enrol(&t, "owner@example.com").await;
    let member = enrol(&t, "member@example.com").await;
    let plain = t.user_with_token("plain@example.com").await;
    let outsider = t.user_with_token("outsider@example.com").await;
    t.clock.advance(Duration::seconds(60));
    let owner_strong = otp_token(&t, &owner, now(&t)).await;
    let member_strong = otp_token(&t, &member, now(&t)).await;

    let created = t
        .post_json_with_token(
            "/api/v1/orgs",
            &json!({ "name": "Acme", "slug": "acme" }).to_string(),
            &owner_strong,
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["require_mfa"], false);
    let org = format!("/api/v1/orgs/{}", created.body["id"]);
    for token in [&member.password_token, &plain] {
        let id = me(&t, token).await["id"].clone();
        let added = t
            .call(
                Method::POST,
                &format!("{org}/members?user_id={id}"),
                Some(&owner_strong),
                None,
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.body);
    }
    // Off: every member, whatever the session.
    assert_eq!(t.get_with_token(&org, &plain).await.status, 200);

    let weak_owner = t
        .call(
            Method::PATCH,
            &format!("{org}?require_mfa=true"),
            Some(&owner.password_token),
            None,
        )
        .await;
    assert_eq!(weak_owner.status, 403, "turning it on takes a second factor");
    let bad = t
        .call(
            Method::PATCH,
            &format!("{org}?require_mfa=maybe"),
            Some(&owner_strong),
            None,
        )
        .await;
    assert_eq!(bad.status, 422);
    let on = t
        .call(
            Method::PATCH,
            &format!("{org}?require_mfa=true"),
            Some(&owner_strong),
            None,
        )
        .await;
    assert_eq!(
        (on.status, &on.body["require_mfa"]),
        (200, &json!(true)),
        "{:?}",
        on.body
    );

    let required = "This organization requires two-step sign-in: enable a second factor (POST /api/v1/auth/mfa/totp) and sign in with it";
    for (who, token, status) in [
        ("owner with otp", &owner_strong, 200),
        ("member with otp", &member_strong, 200),
        ("owner with a password only", &owner.password_token, 403),
        ("member with a password only", &member.password_token, 403),
        ("member without a factor", &plain, 403),
    ] {
        for path in [org.clone(), format!("{org}/members")] {
            let reply = t.get_with_token(&path, token).await;
            assert_eq!(reply.status, status, "{who} on {path}: {:?}", reply.body);
            if status == 403 {
                assert_eq!(reply.detail(), &json!(required), "{who}");
            }
        }
    }
    let outside = t.get_with_token(&org, &outsider).await;
    assert_eq!(
        (outside.status, outside.detail()),
        (403, &json!("Insufficient organization permissions")),
        "outsiders learn nothing of the policy"
    );
    let off = t
        .call(
            Method::PATCH,
            &format!("{org}?require_mfa=false"),
            Some(&owner_strong),
            None,
        )
        .await;
    assert_eq!(off.status, 200);
    assert_eq!(t.get_with_token(&org, &plain).await.status, 200);
}
