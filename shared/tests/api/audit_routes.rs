//! Every mutating route (every non-GET row of the route tables) emits its audit event, with the
//! fields that say who did what to what. A new mutating route fails this test until it has an
//! expectation here.

use crate::support::{totp, AuditCapture, TestApp, PASSWORD};
use lambda_http::http::Method;
use serde_json::{json, Value};
use shared::http::functions::{auth_routes, orgs_routes, users_routes};
use shared::model::Role;
use std::collections::BTreeSet;

/// Walks the routes in one scenario, checking each call's status and that its event was logged
/// with the expected fields (a subset of the logged JSON).
struct Walk<'a> {
    t: &'a TestApp,
    audit: AuditCapture,
    seen: usize,
    covered: BTreeSet<String>,
}

impl Walk<'_> {
    #[allow(clippy::too_many_arguments)]
    async fn call(
        &mut self,
        method: Method,
        route: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        status: u16,
        event: &str,
        fields: Value,
    ) -> Value {
        let body = body.map(|b| b.to_string());
        let reply = self.t.call(method.clone(), path, token, body.as_deref()).await;
        assert_eq!(reply.status, status, "{method} {path}: {:?}", reply.body);
        self.expect(event, fields, &format!("{method} {path}"));
        self.covered.insert(format!("{method} {route}"));
        reply.body
    }

    /// The events since the last check include `event` with `fields`.
    fn expect(&mut self, event: &str, fields: Value, what: &str) {
        let events = self.audit.events();
        let new = &events[self.seen..];
        self.seen = events.len();
        let found = new.iter().find(|e| e["event_type"] == event);
        let Some(found) = found else {
            panic!("{what}: no {event} in {new:?}");
        };
        for (name, value) in fields.as_object().unwrap() {
            assert_eq!(&found[name], value, "{what}: {event}.{name} in {found}");
        }
        assert!(found["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    /// Audit lines so far are consumed without checking (set-up calls).
    fn skip(&mut self) {
        self.seen = self.audit.events().len();
    }
}

fn sid(access: &str) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let claims = Base64UrlUnpadded::decode_vec(access.split('.').nth(1).unwrap()).unwrap();
    serde_json::from_slice::<Value>(&claims).unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The id of the first pending invite `GET /auth/invites` lists for the caller.
async fn first_received_invite(t: &TestApp, token: &str) -> i64 {
    let reply = t.call(Method::GET, "/api/v1/auth/invites", Some(token), None).await;
    reply.body[0]["id"].as_i64().unwrap()
}

fn access(reply: &Value) -> String {
    reply["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn every_mutating_route_emits_its_audit_event() {
    let t = TestApp::new().await;
    let (admin_id, admin) = t.quick_user("admin@example.com", Role::Admin).await;
    let (bob_id, bob) = t.quick_user("bob@example.com", Role::User).await;
    let (carol_id, _) = t.quick_user("carol@example.com", Role::User).await;
    let mut w = Walk {
        t: &t,
        audit: AuditCapture::start(),
        seen: 0,
        covered: BTreeSet::new(),
    };
    use Method as M;

    // Account lifecycle (the auth function).
    let jane = w
        .call(
            M::POST,
            "/api/v1/auth/register",
            "/api/v1/auth/register",
            None,
            Some(json!({ "email": "jane@example.com", "password": PASSWORD })),
            200,
            "auth.user_registered",
            json!({ "actor_email": "jane@example.com", "target_type": "user" }),
        )
        .await;
    let jane_id = jane["id"].as_i64().unwrap();
    let login = t.login("jane@example.com", PASSWORD).await;
    assert_eq!(login.status, 200);
    w.expect(
        "auth.login_success",
        json!({ "actor_id": jane_id, "actor_email": "jane@example.com" }),
        "POST /api/v1/auth/token",
    );
    w.covered.insert("POST /api/v1/auth/token".into());
    let jane_token = access(&login.body);
    let refreshed = w
        .call(
            M::POST,
            "/api/v1/auth/refresh",
            "/api/v1/auth/refresh",
            None,
            Some(json!({ "refresh_token": login.body["refresh_token"] })),
            200,
            "auth.token_refreshed",
            json!({ "actor_id": jane_id, "target_type": "session", "target_id": sid(&jane_token) }),
        )
        .await;
    let jane_token = access(&refreshed);
    t.clock.advance(chrono::Duration::seconds(1)); // the resent mail is the newest
    w.call(
        M::POST,
        "/api/v1/auth/resend-verification",
        "/api/v1/auth/resend-verification",
        Some(&jane_token),
        None,
        200,
        "auth.resend_verification.sent",
        json!({ "actor_id": jane_id }),
    )
    .await;
    let verification = t
        .token_from_outbox("jane@example.com", "Verify your email address")
        .await;
    w.call(
        M::POST,
        "/api/v1/auth/verify-email",
        "/api/v1/auth/verify-email",
        None,
        Some(json!({ "token": verification })),
        200,
        "auth.email_verified",
        json!({ "actor_id": jane_id }),
    )
    .await;
    w.call(
        M::POST,
        "/api/v1/auth/password-reset/request",
        "/api/v1/auth/password-reset/request",
        None,
        Some(json!({ "email": "jane@example.com" })),
        200,
        "auth.password_reset_requested",
        json!({ "actor_email": "jane@example.com" }),
    )
    .await;
    let reset = t.token_from_outbox("jane@example.com", "Reset your password").await;
    w.call(
        M::POST,
        "/api/v1/auth/password-reset/confirm",
        "/api/v1/auth/password-reset/confirm",
        None,
        Some(json!({ "token": reset, "new_password": PASSWORD })),
        200,
        "auth.password_reset_confirmed",
        json!({ "actor_id": jane_id }),
    )
    .await;

    // Jane's sessions (tokens issued in the reset's second would end with it): two logins, end
    // one, then the others.
    t.clock.advance(chrono::Duration::seconds(1));
    let first = access(&t.login("jane@example.com", PASSWORD).await.body);
    let second = access(&t.login("jane@example.com", PASSWORD).await.body);
    w.skip();
    let second_sid = sid(&second);
    w.call(
        M::DELETE,
        "/api/v1/auth/sessions/{session_id}",
        &format!("/api/v1/auth/sessions/{second_sid}"),
        Some(&first),
        None,
        204,
        "auth.session_revoked",
        json!({ "actor_id": jane_id, "target_type": "session", "target_id": second_sid }),
    )
    .await;
    let _third = t.login("jane@example.com", PASSWORD).await;
    w.skip();
    w.call(
        M::DELETE,
        "/api/v1/auth/sessions",
        "/api/v1/auth/sessions",
        Some(&first),
        None,
        200,
        "auth.session_revoked",
        json!({ "actor_id": jane_id, "target_type": "user", "target_id": jane_id }),
    )
    .await;
    let jane_token = first;

    // Orgs, members, invites (the orgs function).
    let org = w
        .call(
            M::POST,
            "/api/v1/orgs",
            "/api/v1/orgs",
            Some(&jane_token),
            Some(json!({ "name": "Acme", "slug": "acme" })),
            201,
            "auth.org_created",
            json!({ "actor_id": jane_id, "target_type": "org" }),
        )
        .await;
    let org_id = org["id"].as_i64().unwrap();
    let org_path = format!("/api/v1/orgs/{org_id}");
    w.call(
        M::PATCH,
        "/api/v1/orgs/{org_id}",
        &format!("{org_path}?name=Acme%20Inc"),
        Some(&jane_token),
        None,
        200,
        "auth.org_updated",
        json!({ "actor_id": jane_id, "target_type": "org", "target_id": org_id }),
    )
    .await;
    w.call(
        M::POST,
        "/api/v1/orgs/{org_id}/members",
        &format!("{org_path}/members?user_id={bob_id}"),
        Some(&jane_token),
        None,
        201,
        "auth.member_added",
        json!({ "actor_id": jane_id, "org_id": org_id, "target_type": "user", "target_id": bob_id }),
    )
    .await;
    w.call(
        M::POST,
        "/api/v1/orgs/{org_id}/members/bulk",
        &format!("{org_path}/members/bulk"),
        Some(&jane_token),
        Some(json!({ "user_ids": [carol_id] })),
        201,
        "auth.members_bulk_added",
        json!({ "actor_id": jane_id, "org_id": org_id, "detail": "Added 1 members" }),
    )
    .await;
    w.call(
        M::PATCH,
        "/api/v1/orgs/{org_id}/members/{user_id}",
        &format!("{org_path}/members/{bob_id}?role=admin"),
        Some(&jane_token),
        None,
        200,
        "auth.member_role_updated",
        json!({ "actor_id": jane_id, "org_id": org_id, "target_id": bob_id, "detail": "Role changed to admin" }),
    )
    .await;
    w.call(
        M::DELETE,
        "/api/v1/orgs/{org_id}/members/{user_id}",
        &format!("{org_path}/members/{carol_id}"),
        Some(&jane_token),
        None,
        204,
        "auth.member_removed",
        json!({ "actor_id": jane_id, "org_id": org_id, "target_type": "user", "target_id": carol_id }),
    )
    .await;
    let invite = w
        .call(
            M::POST,
            "/api/v1/orgs/{org_id}/invites",
            &format!("{org_path}/invites"),
            Some(&jane_token),
            Some(json!({ "email": "dave@example.com" })),
            201,
            "auth.invite_created",
            json!({ "actor_id": jane_id, "org_id": org_id, "target_type": "invite" }),
        )
        .await;
    let invite_id = invite["id"].as_i64().unwrap();
    w.call(
        M::DELETE,
        "/api/v1/orgs/{org_id}/invites/{invite_id}",
        &format!("{org_path}/invites/{invite_id}"),
        Some(&jane_token),
        None,
        204,
        "auth.invite_revoked",
        json!({ "actor_id": jane_id, "org_id": org_id, "target_type": "invite", "target_id": invite_id }),
    )
    .await;
    let erin_invite = t
        .post_json_with_token(
            &format!("{org_path}/invites"),
            &json!({ "email": "erin@example.com" }).to_string(),
            &jane_token,
        )
        .await;
    assert_eq!(erin_invite.status, 201, "{:?}", erin_invite.body);
    let (erin_id, erin) = t.quick_user("erin@example.com", Role::User).await;
    w.skip();
    w.call(
        M::POST,
        "/api/v1/auth/accept-invite",
        "/api/v1/auth/accept-invite",
        Some(&erin),
        Some(json!({ "token": erin_invite.body["token"] })),
        200,
        "auth.invite_accepted",
        json!({ "actor_id": erin_id, "org_id": org_id, "target_type": "invite",
                "target_id": erin_invite.body["id"] }),
    )
    .await;
    // The invited user's side: accept and decline by id, then leave the org.
    for email in ["gina@example.com", "hal@example.com"] {
        let body = json!({ "email": email }).to_string();
        let reply = t
            .call(M::POST, &format!("{org_path}/invites"), Some(&jane_token), Some(&body))
            .await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
    }
    let (gina_id, gina) = t.quick_user("gina@example.com", Role::User).await;
    let (hal_id, hal) = t.quick_user("hal@example.com", Role::User).await;
    w.skip();
    let gina_invite = first_received_invite(&t, &gina).await;
    w.call(
        M::POST,
        "/api/v1/auth/invites/{invite_id}/accept",
        &format!("/api/v1/auth/invites/{gina_invite}/accept"),
        Some(&gina),
        None,
        200,
        "auth.invite_accepted",
        json!({ "actor_id": gina_id, "org_id": org_id, "target_type": "invite", "target_id": gina_invite }),
    )
    .await;
    let hal_invite = first_received_invite(&t, &hal).await;
    w.call(
        M::POST,
        "/api/v1/auth/invites/{invite_id}/decline",
        &format!("/api/v1/auth/invites/{hal_invite}/decline"),
        Some(&hal),
        None,
        204,
        "auth.invite_declined",
        json!({ "actor_id": hal_id, "org_id": org_id, "target_type": "invite", "target_id": hal_invite }),
    )
    .await;
    w.call(
        M::DELETE,
        "/api/v1/orgs/{org_id}/members/me",
        &format!("{org_path}/members/me"),
        Some(&gina),
        None,
        204,
        "auth.member_removed",
        json!({ "actor_id": gina_id, "org_id": org_id, "target_type": "user", "target_id": gina_id }),
    )
    .await;

    w.call(
        M::POST,
        "/api/v1/orgs/{org_id}/transfer-ownership",
        &format!("{org_path}/transfer-ownership"),
        Some(&jane_token),
        Some(json!({ "user_id": bob_id })),
        200,
        "auth.org_ownership_transferred",
        json!({ "actor_id": jane_id, "org_id": org_id, "target_type": "user", "target_id": bob_id }),
    )
    .await;
    w.call(
        M::DELETE,
        "/api/v1/orgs/{org_id}",
        &org_path,
        Some(&bob),
        None,
        204,
        "auth.org_deleted",
        json!({ "actor_id": bob_id, "target_type": "org", "target_id": org_id }),
    )
    .await;

    // Admin user management (the users function).
    let frank = w
        .call(
            M::POST,
            "/api/v1/auth/users",
            "/api/v1/auth/users",
            Some(&admin),
            Some(json!({ "email": "frank@example.com", "password": PASSWORD })),
            201,
            "auth.user_created",
            json!({ "actor_id": admin_id, "target_type": "user" }),
        )
        .await;
    let frank_id = frank["id"].as_i64().unwrap();
    let frank_path = format!("/api/v1/auth/users/{frank_id}");
    let as_admin = json!({ "actor_id": admin_id, "target_type": "user", "target_id": frank_id });
    w.call(
        M::PATCH,
        "/api/v1/auth/users/{user_id}",
        &format!("{frank_path}?full_name=Frank"),
        Some(&admin),
        None,
        200,
        "auth.user_updated",
        as_admin.clone(),
    )
    .await;
    w.call(
        M::PATCH,
        "/api/v1/auth/users/{user_id}/role",
        &format!("{frank_path}/role"),
        Some(&admin),
        Some(json!({ "role": "moderator" })),
        200,
        "auth.role_changed",
        as_admin.clone(),
    )
    .await;
    let frank_token = access(&t.login("frank@example.com", PASSWORD).await.body);
    w.skip();
    let frank_sid = sid(&frank_token);
    w.call(
        M::DELETE,
        "/api/v1/auth/users/{user_id}/sessions/{session_id}",
        &format!("{frank_path}/sessions/{frank_sid}"),
        Some(&admin),
        None,
        204,
        "auth.session_revoked",
        json!({ "actor_id": admin_id, "target_type": "session", "target_id": frank_sid }),
    )
    .await;
    w.call(
        M::DELETE,
        "/api/v1/auth/users/{user_id}/sessions",
        &format!("{frank_path}/sessions"),
        Some(&admin),
        None,
        200,
        "auth.session_revoked",
        as_admin.clone(),
    )
    .await;
    w.call(
        M::PATCH,
        "/api/v1/auth/users/{user_id}/deactivate",
        &format!("{frank_path}/deactivate"),
        Some(&admin),
        None,
        200,
        "auth.user_deactivated",
        as_admin.clone(),
    )
    .await;
    w.call(
        M::PATCH,
        "/api/v1/auth/users/{user_id}/activate",
        &format!("{frank_path}/activate"),
        Some(&admin),
        None,
        200,
        "auth.user_activated",
        as_admin.clone(),
    )
    .await;
    w.call(
        M::DELETE,
        "/api/v1/auth/users/{user_id}",
        &frank_path,
        Some(&admin),
        None,
        204,
        "auth.user_deleted",
        as_admin,
    )
    .await;

    // Self-service, by a user of its own (the last step closes the account).
    let (dora_id, dora) = t.quick_user("dora@example.com", Role::User).await;
    w.skip();
    let renewed = w
        .call(
            M::POST,
            "/api/v1/auth/change-password",
            "/api/v1/auth/change-password",
            Some(&dora),
            Some(json!({ "current_password": PASSWORD, "new_password": "NewSecret5678!" })),
            200,
            "auth.password_changed",
            json!({ "actor_id": dora_id, "actor_email": "dora@example.com" }),
        )
        .await;
    let dora = access(&renewed);
    w.call(
        M::POST,
        "/api/v1/auth/change-email",
        "/api/v1/auth/change-email",
        Some(&dora),
        Some(json!({ "new_email": "dora.new@example.com", "password": "NewSecret5678!" })),
        200,
        "auth.email_change_requested",
        json!({ "actor_id": dora_id, "actor_email": "dora@example.com" }),
    )
    .await;
    let change = t
        .token_from_outbox("dora.new@example.com", "Confirm your new email address")
        .await;
    w.call(
        M::POST,
        "/api/v1/auth/change-email/confirm",
        "/api/v1/auth/change-email/confirm",
        None,
        Some(json!({ "token": change })),
        200,
        "auth.email_changed",
        json!({ "actor_id": dora_id, "actor_email": "dora.new@example.com", "target_type": "user", "target_id": dora_id }),
    )
    .await;
    w.call(
        M::DELETE,
        "/api/v1/auth/me",
        "/api/v1/auth/me",
        Some(&dora),
        Some(json!({ "password": "NewSecret5678!" })),
        200,
        "auth.account_deleted",
        json!({ "actor_id": dora_id, "target_type": "user", "target_id": dora_id }),
    )
    .await;

    // The second factor: enrolment, the second step of a login, step-up changes, the admin's
    // removal.
    let (mia_id, mia) = t.quick_user("mia@example.com", Role::User).await;
    let as_mia = json!({ "actor_id": mia_id, "target_type": "user", "target_id": mia_id });
    let enrolment = w
        .call(
            M::POST,
            "/api/v1/auth/mfa/totp",
            "/api/v1/auth/mfa/totp",
            Some(&mia),
            Some(json!({ "password": PASSWORD })),
            200,
            "auth.mfa_enrolment_started",
            as_mia.clone(),
        )
        .await;
    let secret = enrolment["secret"].as_str().unwrap().to_string();
    let at = |t: &TestApp| shared::Clock::now(&t.clock).timestamp();
    w.call(
        M::POST,
        "/api/v1/auth/mfa/totp/confirm",
        "/api/v1/auth/mfa/totp/confirm",
        Some(&mia),
        Some(json!({ "code": totp(&secret, at(&t)) })),
        200,
        "auth.mfa_enrolled",
        as_mia.clone(),
    )
    .await;
    let challenge = t.login("mia@example.com", PASSWORD).await.body["mfa_token"].clone();
    t.clock.advance(chrono::Duration::seconds(30));
    let verified = w
        .call(
            M::POST,
            "/api/v1/auth/mfa/verify",
            "/api/v1/auth/mfa/verify",
            None,
            Some(json!({ "mfa_token": challenge, "code": totp(&secret, at(&t)) })),
            200,
            "auth.login_success",
            json!({ "actor_id": mia_id, "actor_email": "mia@example.com" }),
        )
        .await;
    let mia_strong = access(&verified);
    w.call(
        M::POST,
        "/api/v1/auth/mfa/recovery-codes",
        "/api/v1/auth/mfa/recovery-codes",
        Some(&mia_strong),
        None,
        200,
        "auth.recovery_codes_regenerated",
        as_mia.clone(),
    )
    .await;
    w.call(
        M::DELETE,
        "/api/v1/auth/mfa/totp",
        "/api/v1/auth/mfa/totp",
        Some(&mia_strong),
        None,
        204,
        "auth.mfa_disabled",
        as_mia,
    )
    .await;
    let again = t
        .post_json_with_token(
            "/api/v1/auth/mfa/totp",
            &json!({ "password": PASSWORD }).to_string(),
            &mia_strong,
        )
        .await;
    let secret = again.body["secret"].as_str().unwrap().to_string();
    t.clock.advance(chrono::Duration::seconds(30));
    let code = json!({ "code": totp(&secret, at(&t)) }).to_string();
    assert_eq!(
        t.post_json_with_token("/api/v1/auth/mfa/totp/confirm", &code, &mia_strong)
            .await
            .status,
        200
    );
    w.skip();
    w.call(
        M::DELETE,
        "/api/v1/auth/users/{user_id}/mfa",
        &format!("/api/v1/auth/users/{mia_id}/mfa"),
        Some(&admin),
        None,
        204,
        "auth.mfa_reset_by_admin",
        json!({ "actor_id": admin_id, "target_type": "user", "target_id": mia_id }),
    )
    .await;

    w.call(
        M::POST,
        "/api/v1/auth/logout",
        "/api/v1/auth/logout",
        Some(&jane_token),
        None,
        200,
        "auth.logout",
        json!({ "actor_id": jane_id, "target_type": "session", "target_id": sid(&jane_token) }),
    )
    .await;

    let mutating: BTreeSet<String> = [auth_routes(), users_routes(), orgs_routes()]
        .into_iter()
        .flatten()
        .filter(|route| route.method != Method::GET)
        .map(|route| format!("{} {}", route.method, route.path))
        .collect();
    assert_eq!(w.covered, mutating, "every mutating route, and only those, is walked");
    // And each of those events (every one logged) was stored and reads back the same.
    crate::audit_trail::every_logged_event_reads_back(&t, &admin, &w.audit.events()).await;
    let raw = w.audit.raw();
    assert!(
        !raw.contains(PASSWORD) && !raw.contains("$argon2"),
        "no secret in {raw}"
    );
}
