//! Sessions: refresh-token rotation, grace-window reuse, reuse detection, cookies, and the
//! session routes, against DynamoDB Local with an injectable clock.

use crate::support::{pair, AuditCapture, Call, Pair, Reply, TestApp, PASSWORD};
use chrono::Duration;
use lambda_http::http::Method;
use lambda_http::Body;
use serde_json::{json, Value};
use shared::model::Role;

const REFRESH: &str = "/api/v1/auth/refresh";
const ME: &str = "/api/v1/auth/me";
const SESSIONS: &str = "/api/v1/auth/sessions";

fn set_cookies(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

/// The session id an access token carries.
fn sid(access: &str) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let claims = Base64UrlUnpadded::decode_vec(access.split('.').nth(1).unwrap()).unwrap();
    serde_json::from_slice::<Value>(&claims).unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn refresh(t: &TestApp, token: &str) -> Reply {
    t.post_json(REFRESH, &json!({ "refresh_token": token }).to_string())
        .await
}

async fn login(t: &TestApp, email: &str) -> Pair {
    pair(&t.login(email, PASSWORD).await)
}

#[tokio::test]
async fn login_returns_a_refresh_token_and_flagged_cookies() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let reply = t.login("jane@example.com", PASSWORD).await;
    assert_eq!(reply.body["expires_in"], 30 * 60);
    assert_eq!(reply.body["refresh_token"].as_str().unwrap().len(), 43);
    let cookies = set_cookies(&reply);
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    let session = cookies.iter().find(|c| c.starts_with("gatehouse_session=")).unwrap();
    assert!(session.contains(reply.body["access_token"].as_str().unwrap()));
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/;", "Max-Age=1800", "Secure"] {
        assert!(session.contains(flag), "{flag} in {session}");
    }
    let refresh_cookie = cookies.iter().find(|c| c.starts_with("gatehouse_refresh=")).unwrap();
    for flag in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/api/v1/auth;",
        "Max-Age=1209600",
        "Secure",
    ] {
        assert!(refresh_cookie.contains(flag), "{flag} in {refresh_cookie}");
    }

    let registered = t.register("bob@example.com", PASSWORD).await;
    assert_eq!(set_cookies(&registered).len(), 2, "registration signs in too");

    let dev = TestApp::with_env(&[("APP_ENV", "dev"), ("PROJECT_NAME", "my app")]).await;
    dev.register("jane@example.com", PASSWORD).await;
    let cookies = set_cookies(&dev.login("jane@example.com", PASSWORD).await);
    assert!(
        cookies.iter().all(|c| !c.contains("Secure")),
        "no Secure over plain http in dev"
    );
    assert!(cookies.iter().any(|c| c.starts_with("my_app_session=")), "{cookies:?}");
}

#[tokio::test]
async fn refresh_rotates_and_the_previous_token_gets_the_current_pair_within_grace() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let first = login(&t, "jane@example.com").await;
    let audit = AuditCapture::start();

    let second = pair(&refresh(&t, &first.refresh).await);
    assert_ne!(second.refresh, first.refresh);
    assert_eq!(t.get_with_token(ME, &second.access).await.status, 200);

    t.clock.advance(Duration::seconds(30));
    let replay = pair(&refresh(&t, &first.refresh).await);
    assert_eq!(
        replay.refresh, second.refresh,
        "the family's current refresh token, not a new one"
    );
    assert_eq!(t.get_with_token(ME, &replay.access).await.status, 200);
    assert!(audit.event_types().contains(&"auth.token_refreshed".to_string()));
}

#[tokio::test]
async fn reuse_after_the_grace_window_revokes_the_family() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let first = login(&t, "jane@example.com").await;
    let other_session = login(&t, "jane@example.com").await;
    let second = pair(&refresh(&t, &first.refresh).await);
    let audit = AuditCapture::start();

    t.clock.advance(Duration::seconds(31));
    let reused = refresh(&t, &first.refresh).await;
    assert_eq!(
        (reused.status, &reused.body),
        (401, &json!({ "detail": "Invalid refresh token" }))
    );
    assert!(
        set_cookies(&reused).iter().all(|c| c.contains("Max-Age=0")),
        "cookies cleared"
    );
    assert!(audit.event_types().contains(&"auth.refresh_reuse_detected".to_string()));

    for token in [&first.access, &second.access] {
        assert_eq!(
            t.get_with_token(ME, token).await.status,
            401,
            "every access token of the family"
        );
    }
    assert_eq!(
        refresh(&t, &second.refresh).await.status,
        401,
        "and its current refresh token"
    );
    assert_eq!(
        t.get_with_token(ME, &other_session.access).await.status,
        200,
        "other sessions live on"
    );
    assert_eq!(refresh(&t, &other_session.refresh).await.status, 200);
}

#[tokio::test]
async fn refresh_tokens_expire_and_rotation_renews_them() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let first = login(&t, "jane@example.com").await;
    t.clock.advance(Duration::days(13));
    let renewed = pair(&refresh(&t, &first.refresh).await);
    t.clock.advance(Duration::days(13));
    assert_eq!(
        refresh(&t, &renewed.refresh).await.status,
        200,
        "14 days from the last rotation"
    );
    let idle = login(&t, "jane@example.com").await;
    t.clock.advance(Duration::days(14));
    assert_eq!(refresh(&t, &idle.refresh).await.status, 401);
}

#[tokio::test]
async fn refresh_accepts_the_cookie_the_body_and_the_token_grant() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let first = login(&t, "jane@example.com").await;
    let cookie = format!("gatehouse_refresh={}", first.refresh);
    // A browser on the API's own origin (cookie requests from anywhere else are refused).
    let same_origin = ("origin", "https://localhost");
    let by_cookie = pair(
        &t.send(Method::POST, REFRESH, &[("cookie", &cookie), same_origin], Body::Empty)
            .await,
    );
    let grant = format!("grant_type=refresh_token&refresh_token={}", by_cookie.refresh);
    let by_grant = pair(&t.post_form("/api/v1/auth/token", &grant).await);
    assert_eq!(t.get_with_token(ME, &by_grant.access).await.status, 200);

    let none = t.send(Method::POST, REFRESH, &[], Body::Empty).await;
    assert_eq!((none.status, none.body), (401, json!({ "detail": "No refresh token" })));
    let garbage = refresh(&t, "not-a-token").await;
    assert_eq!(
        (garbage.status, garbage.body),
        (401, json!({ "detail": "Invalid refresh token" }))
    );
    let missing_field = t.post_form("/api/v1/auth/token", "grant_type=refresh_token").await;
    assert_eq!(missing_field.status, 422);
}

#[tokio::test]
async fn twenty_parallel_refreshes_leave_one_family_with_one_live_token() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let first = login(&t, "jane@example.com").await;
    let sessions_before = t.app.store.sessions_of(1).await.unwrap().len();
    let body = json!({ "refresh_token": first.refresh }).to_string();
    let calls = (0..20)
        .map(|_| Call::json(Method::POST, REFRESH, None, Some(&body)))
        .collect();
    let replies: Vec<(u16, Value)> = t
        .concurrently(calls)
        .await
        .into_iter()
        .map(|r| (r.status, r.body))
        .collect();
    let issued: std::collections::BTreeSet<&str> = replies
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body["refresh_token"].as_str().unwrap())
        .collect();
    // Within the grace window every one of them gets the family's current pair: one token.
    assert!(replies.iter().all(|(status, _)| *status == 200), "{replies:?}");
    assert_eq!(issued.len(), 1, "no two live refresh tokens: {issued:?}");
    let sessions = t.app.store.sessions_of(1).await.unwrap();
    assert_eq!(sessions.len(), sessions_before, "no family was added");
    let family = sessions.iter().find(|s| s.id == sid(&first.access)).unwrap();
    assert!(!family.revoked);
    assert_eq!(family.generation, 1, "rotated once");
    let token = issued.iter().next().unwrap();
    assert_eq!(refresh(&t, token).await.status, 200, "the surviving token works");
}

#[tokio::test]
async fn the_bearer_header_wins_over_the_cookie() {
    let t = TestApp::new().await;
    let (_, jane) = t.quick_user("jane@example.com", Role::User).await;
    let (_, bob) = t.quick_user("bob@example.com", Role::User).await;
    let cookie = format!("gatehouse_session={bob}");
    let by_cookie = t.send(Method::GET, ME, &[("cookie", &cookie)], Body::Empty).await;
    assert_eq!(
        by_cookie.body["email"], "bob@example.com",
        "the cookie alone authenticates"
    );
    let auth = format!("Bearer {jane}");
    let both = t
        .send(
            Method::GET,
            ME,
            &[("cookie", &cookie), ("authorization", &auth)],
            Body::Empty,
        )
        .await;
    assert_eq!(both.body["email"], "jane@example.com");
}

#[tokio::test]
async fn logout_ends_exactly_one_session() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let laptop = login(&t, "jane@example.com").await;
    let phone = login(&t, "jane@example.com").await;
    let laptop_again = pair(&refresh(&t, &laptop.refresh).await);
    let auth = format!("Bearer {}", laptop.access);
    let out = t
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            &[("authorization", &auth)],
            Body::Empty,
        )
        .await;
    assert_eq!(out.status, 200);
    assert!(set_cookies(&out).iter().all(|c| c.contains("Max-Age=0")));
    assert_eq!(
        t.get_with_token(ME, &laptop_again.access).await.status,
        401,
        "the session's other tokens too"
    );
    assert_eq!(refresh(&t, &laptop_again.refresh).await.status, 401);
    assert_eq!(t.get_with_token(ME, &phone.access).await.status, 200);
    let listed = t.get_with_token(SESSIONS, &phone.access).await;
    let ids: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "the phone's and the registration's");
    assert!(!ids.contains(&sid(&laptop.access).as_str()));
}

#[tokio::test]
async fn password_reset_and_deactivation_end_every_session() {
    let t = TestApp::new().await;
    let (_, admin) = t.quick_user("admin@example.com", Role::Admin).await;
    t.register("jane@example.com", PASSWORD).await;
    let one = login(&t, "jane@example.com").await;
    t.post_json(
        "/api/v1/auth/password-reset/request",
        r#"{"email": "jane@example.com"}"#,
    )
    .await;
    let token = t.token_from_outbox("jane@example.com", "Reset your password").await;
    let body = json!({ "token": token, "new_password": "NewSecret5678!" }).to_string();
    assert_eq!(
        t.post_json("/api/v1/auth/password-reset/confirm", &body).await.status,
        200
    );
    assert_eq!(refresh(&t, &one.refresh).await.status, 401);

    t.clock.advance(Duration::milliseconds(5));
    let two = pair(&t.login("jane@example.com", "NewSecret5678!").await);
    let id = t.get_with_token(ME, &two.access).await.body["id"].as_i64().unwrap();
    let off = t
        .call(
            Method::PATCH,
            &format!("/api/v1/auth/users/{id}/deactivate"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(off.status, 200);
    assert_eq!(refresh(&t, &two.refresh).await.status, 401);
    assert!(t.app.store.sessions_of(id).await.unwrap().iter().all(|s| s.revoked));
}

/// Each session route × {the session's owner, another user, an admin, anonymous}.
#[tokio::test]
async fn session_routes_by_caller() {
    let t = TestApp::new().await;
    let (_, admin) = t.quick_user("admin@example.com", Role::Admin).await;
    let (owner_id, owner) = t.quick_user("owner@example.com", Role::User).await;
    let (_, other) = t.quick_user("other@example.com", Role::User).await;
    let second = login(&t, "owner@example.com").await;
    let listed = t.get_with_token(SESSIONS, &owner).await;
    let rows = listed.body.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let current: Vec<bool> = rows.iter().map(|r| r["is_current"].as_bool().unwrap()).collect();
    assert_eq!(current.iter().filter(|c| **c).count(), 1);
    let second_id = rows.iter().find(|r| r["source"] == "password").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for field in [
        "id",
        "source",
        "user_agent",
        "ip",
        "created_at",
        "last_used_at",
        "expires_at",
        "is_current",
    ] {
        assert!(rows[0].get(field).is_some(), "{field}");
    }

    let own = format!("{SESSIONS}/{second_id}");
    assert_eq!(t.call(Method::GET, SESSIONS, None, None).await.status, 401);
    assert_eq!(t.call(Method::DELETE, &own, None, None).await.status, 401);
    assert_eq!(
        t.call(Method::DELETE, &own, Some(&other), None).await.status,
        404,
        "not theirs"
    );
    assert_eq!(
        t.call(Method::DELETE, &own, Some(&admin), None).await.status,
        404,
        "not the admin's own either"
    );
    assert_eq!(t.call(Method::DELETE, SESSIONS, None, None).await.status, 401);
    let others = t.call(Method::DELETE, SESSIONS, Some(&other), None).await;
    assert_eq!(
        others.body,
        json!({ "revoked": 0 }),
        "another user's call touches only their own"
    );
    assert_eq!(t.get_with_token(ME, &second.access).await.status, 200);
    assert_eq!(t.call(Method::DELETE, &own, Some(&owner), None).await.status, 204);
    assert_eq!(t.get_with_token(ME, &second.access).await.status, 401);
    assert_eq!(
        t.call(Method::DELETE, &own, Some(&owner), None).await.status,
        404,
        "already ended"
    );

    let third = login(&t, "owner@example.com").await;
    let revoked = t.call(Method::DELETE, SESSIONS, Some(&owner), None).await;
    assert_eq!(revoked.body, json!({ "revoked": 1 }), "all but the current one");
    assert_eq!(t.get_with_token(ME, &third.access).await.status, 401);
    assert_eq!(t.get_with_token(ME, &owner).await.status, 200);

    let admin_all = format!("/api/v1/auth/users/{owner_id}/sessions");
    assert_eq!(t.call(Method::DELETE, &admin_all, None, None).await.status, 401);
    assert_eq!(t.call(Method::DELETE, &admin_all, Some(&other), None).await.status, 403);
    assert_eq!(
        t.call(Method::DELETE, &admin_all, Some(&owner), None).await.status,
        403,
        "owners use their own routes"
    );
    let fourth = login(&t, "owner@example.com").await;
    let listed = t.get_with_token(SESSIONS, &fourth.access).await;
    let fourth_id = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["is_current"] == true)
        .unwrap()["id"]
        .clone();
    let one = format!("/api/v1/auth/users/{owner_id}/sessions/{}", fourth_id.as_str().unwrap());
    assert_eq!(t.call(Method::DELETE, &one, Some(&other), None).await.status, 403);
    assert_eq!(t.call(Method::DELETE, &one, Some(&admin), None).await.status, 204);
    assert_eq!(t.get_with_token(ME, &fourth.access).await.status, 401);
    let unknown = format!("/api/v1/auth/users/{owner_id}/sessions/no-such-session");
    assert_eq!(t.call(Method::DELETE, &unknown, Some(&admin), None).await.status, 404);
    let everything = t.call(Method::DELETE, &admin_all, Some(&admin), None).await;
    assert_eq!(everything.body, json!({ "revoked": 1 }));
    assert_eq!(t.get_with_token(ME, &owner).await.status, 401);
    let nobody = t
        .call(Method::DELETE, "/api/v1/auth/users/999/sessions", Some(&admin), None)
        .await;
    assert_eq!(nobody.body, json!({ "revoked": 0 }));
}
