//! Tenancy safety (issue 12) against DynamoDB Local, in both settings of each rule: proof of the
//! address before joining (`INVITE_AUTO_ACCEPT`), consent before membership
//! (`ORG_MEMBER_CONSENT`), leaving, quotas, and the browser rules (CSRF, content type, CORS).

use crate::support::{AuditCapture, TestApp, PASSWORD};
use lambda_http::http::Method;
use lambda_http::Body;
use serde_json::{json, Value};
use shared::model::Role;
use shared::store::ItemKind;

const VERIFICATION: (&str, &str) = ("INVITE_AUTO_ACCEPT", "verification");
const CONSENT: (&str, &str) = ("ORG_MEMBER_CONSENT", "true");

/// An app with `overrides`, a user owning org 1, and that user's token.
async fn with_org(overrides: &[(&str, &str)]) -> (TestApp, String) {
    let t = TestApp::with_env(overrides).await;
    let (_, owner) = t.quick_user("owner@example.com", Role::User).await;
    let created = t
        .call(
            Method::POST,
            "/api/v1/orgs",
            Some(&owner),
            Some(r#"{"name": "Acme Corp", "slug": "acme-corp"}"#),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    (t, owner)
}

async fn invite(t: &TestApp, token: &str, email: &str) -> crate::support::Reply {
    let body = json!({ "email": email, "role": "member" }).to_string();
    t.call(Method::POST, "/api/v1/orgs/1/invites", Some(token), Some(&body))
        .await
}

/// The ids of the orgs the token's user belongs to.
async fn orgs_of(t: &TestApp, token: &str) -> Vec<i64> {
    let mine = t.get_with_token("/api/v1/orgs", token).await;
    mine.body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

async fn member_ids(t: &TestApp, token: &str) -> Vec<i64> {
    let members = t.get_with_token("/api/v1/orgs/1/members", token).await;
    assert_eq!(members.status, 200, "{:?}", members.body);
    members
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_i64().unwrap())
        .collect()
}

async fn token_of(t: &TestApp, email: &str) -> String {
    let reply = t.login(email, PASSWORD).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_string()
}

// 1. Proof of the address -----------------------------------------------------------------------

#[tokio::test]
async fn registration_joins_at_once_by_default_and_only_after_verification_in_verification_mode() {
    for (overrides, joins_at_registration) in [(vec![], true), (vec![VERIFICATION], false)] {
        let (t, owner) = with_org(&overrides).await;
        assert_eq!(
            invite(&t, &owner, "newcomer@example.com").await.body["status"],
            "pending"
        );
        let registered = t.register("newcomer@example.com", "Welcome1234!").await;
        assert_eq!(registered.status, 200);
        let newcomer = registered.body["id"].as_i64().unwrap();
        assert_eq!(
            member_ids(&t, &owner).await.contains(&newcomer),
            joins_at_registration,
            "{overrides:?}"
        );
        let token = t
            .token_from_outbox("newcomer@example.com", "Verify your email address")
            .await;
        let verified = t
            .post_json("/api/v1/auth/verify-email", &json!({ "token": token }).to_string())
            .await;
        assert_eq!(verified.status, 200);
        assert!(
            member_ids(&t, &owner).await.contains(&newcomer),
            "{overrides:?}: joined once verified"
        );
    }
}

#[tokio::test]
async fn an_invite_token_at_registration_proves_the_address_in_either_mode() {
    for overrides in [vec![], vec![VERIFICATION]] {
        let (t, owner) = with_org(&overrides).await;
        // A second org invites the same address too: both are accepted.
        let second = t
            .call(
                Method::POST,
                "/api/v1/orgs",
                Some(&owner),
                Some(r#"{"name": "B", "slug": "b-org"}"#),
            )
            .await;
        assert_eq!(second.status, 201);
        let token = invite(&t, &owner, "new@example.com").await.body["token"]
            .as_str()
            .unwrap()
            .to_string();
        let other = t
            .call(
                Method::POST,
                "/api/v1/orgs/2/invites",
                Some(&owner),
                Some(r#"{"email": "new@example.com", "role": "admin"}"#),
            )
            .await;
        assert_eq!(other.status, 201);
        let foreign = invite(&t, &owner, "someone-else@example.com").await.body["token"]
            .as_str()
            .unwrap()
            .to_string();

        // Another address's token, or a made-up one: 400, and no account.
        for wrong in [foreign.as_str(), "made-up"] {
            let body = json!({ "email": "new@example.com", "password": "Welcome1234!", "invite_token": wrong });
            let refused = t.post_json("/api/v1/auth/register", &body.to_string()).await;
            assert_eq!(
                (refused.status, refused.detail()),
                (400, &json!("Invalid or expired invite"))
            );
        }
        assert_eq!(t.count_users().await, 1);

        let body = json!({ "email": "new@example.com", "password": PASSWORD, "invite_token": token });
        let registered = t.post_json("/api/v1/auth/register", &body.to_string()).await;
        assert_eq!(registered.status, 200, "{:?}", registered.body);
        assert_eq!(registered.body["is_verified"], true, "{overrides:?}");
        let user_token = token_of(&t, "new@example.com").await;
        let mut joined = orgs_of(&t, &user_token).await;
        joined.sort_unstable();
        assert_eq!(joined, [1, 2], "{overrides:?}");
    }
}

#[tokio::test]
async fn accept_invite_by_token_needs_a_verified_address_in_verification_mode() {
    let (t, owner) = with_org(&[VERIFICATION]).await;
    let (user_id, user) = t.quick_user("late@example.com", Role::User).await;
    // An unverified account at the address is invited, not added.
    let pending = invite(&t, &owner, "late@example.com").await;
    assert_eq!((pending.status, &pending.body["status"]), (201, &json!("pending")));
    let secret = pending.body["token"].as_str().unwrap().to_string();
    let body = json!({ "token": secret }).to_string();
    let refused = t
        .call(Method::POST, "/api/v1/auth/accept-invite", Some(&user), Some(&body))
        .await;
    assert_eq!(
        (refused.status, refused.body),
        (
            403,
            json!({ "detail": "Verify your email address before accepting an invite" })
        )
    );
    // Nor by id from the invite list.
    let listed = t.get_with_token("/api/v1/auth/invites", &user).await;
    let invite_id = listed.body[0]["id"].as_i64().unwrap();
    let by_id = t
        .call(
            Method::POST,
            &format!("/api/v1/auth/invites/{invite_id}/accept"),
            Some(&user),
            None,
        )
        .await;
    assert_eq!(by_id.status, 403);
    assert!(!member_ids(&t, &owner).await.contains(&user_id));

    t.update_user(
        user_id,
        "SET is_verified = :t",
        &[(":t", aws_sdk_dynamodb::types::AttributeValue::Bool(true))],
    )
    .await;
    let accepted = t
        .call(Method::POST, "/api/v1/auth/accept-invite", Some(&user), Some(&body))
        .await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    assert!(member_ids(&t, &owner).await.contains(&user_id));
}

// 2. Consent ------------------------------------------------------------------------------------

#[tokio::test]
async fn without_consent_members_are_added_at_once() {
    let (t, owner) = with_org(&[]).await;
    let (bob, _) = t.quick_user("bob@example.com", Role::User).await;
    let added = t
        .call(
            Method::POST,
            &format!("/api/v1/orgs/1/members?user_id={bob}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!((added.status, added.body["user_id"].as_i64()), (201, Some(bob)));
    let accepted = invite(&t, &owner, "carol@example.com").await;
    assert_eq!(accepted.body["status"], "pending", "no account yet");
    t.quick_user("dave@example.com", Role::User).await;
    let joined = invite(&t, &owner, "dave@example.com").await;
    assert_eq!((joined.status, &joined.body["status"]), (201, &json!("accepted")));
}

#[tokio::test]
async fn with_consent_adding_an_existing_user_invites_them_and_shows_only_their_id() {
    let (t, owner) = with_org(&[CONSENT]).await;
    let (bob, bob_token) = t.quick_user("bob@example.com", Role::User).await;
    let (carol, carol_token) = t.quick_user("carol@example.com", Role::User).await;
    let (dave, _) = t.quick_user("dave@example.com", Role::User).await;

    let added = t
        .call(
            Method::POST,
            &format!("/api/v1/orgs/1/members?user_id={bob}&role=admin"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(added.status, 202, "{:?}", added.body);
    assert_eq!(added.body["user_id"], bob);
    assert_eq!(added.body["email"], Value::Null);
    assert_eq!(added.body["status"], "pending");
    assert!(added.body.get("token").is_none(), "no token for an invite by id");
    let again = t
        .call(
            Method::POST,
            &format!("/api/v1/orgs/1/members?user_id={bob}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(again.status, 400);

    let bulk = t
        .call(
            Method::POST,
            "/api/v1/orgs/1/members/bulk",
            Some(&owner),
            Some(&json!({ "user_ids": [carol, dave, carol, bob, 999] }).to_string()),
        )
        .await;
    assert_eq!(bulk.status, 202, "{:?}", bulk.body);
    let invited: Vec<i64> = bulk
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(invited, [carol, dave]);
    let skipped: Value = serde_json::from_str(bulk.headers["x-skipped-members"].to_str().unwrap()).unwrap();
    assert_eq!(
        skipped,
        json!([
            { "user_id": carol, "reason": "duplicate" },
            { "user_id": bob, "reason": "already_invited" },
            { "user_id": 999, "reason": "unknown_user" },
        ])
    );

    // Nobody joined; nothing the inviter reads names them.
    assert_eq!(member_ids(&t, &owner).await.len(), 1);
    for path in [
        "/api/v1/orgs/1/members/details",
        "/api/v1/orgs/1/invites",
        "/api/v1/orgs/1/members",
    ] {
        let text = t.get_with_token(path, &owner).await.body.to_string();
        let names = [bob, carol, dave].map(|id| format!("Quick {id}"));
        for revealing in ["bob@", "carol@", "dave@"]
            .iter()
            .copied()
            .chain(names.iter().map(String::as_str))
        {
            assert!(!text.contains(revealing), "{path} shows {revealing}: {text}");
        }
    }
    let listed = t.get_with_token("/api/v1/orgs/1/invites", &owner).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 3);

    // The invited user's side.
    let mine = t.get_with_token("/api/v1/auth/invites", &bob_token).await;
    assert_eq!(mine.status, 200);
    let rows = mine.body.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    let keys: Vec<&str> = row.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "created_at",
            "expires_at",
            "id",
            "invited_by",
            "org_name",
            "organization_id",
            "role"
        ]
    );
    assert_eq!(
        (row["org_name"].as_str(), row["role"].as_str()),
        (Some("Acme Corp"), Some("admin"))
    );
    let bob_invite = row["id"].as_i64().unwrap();
    let carol_invite = t.get_with_token("/api/v1/auth/invites", &carol_token).await.body[0]["id"]
        .as_i64()
        .unwrap();

    // Someone else's invite: 404 both ways, and it stays.
    for action in ["accept", "decline"] {
        let path = format!("/api/v1/auth/invites/{carol_invite}/{action}");
        let theirs = t.call(Method::POST, &path, Some(&bob_token), None).await;
        assert_eq!(
            (theirs.status, theirs.body),
            (404, json!({ "detail": "Invite not found" }))
        );
    }
    let accepted = t
        .call(
            Method::POST,
            &format!("/api/v1/auth/invites/{bob_invite}/accept"),
            Some(&bob_token),
            None,
        )
        .await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    assert_eq!(
        (accepted.body["user_id"].as_i64(), accepted.body["role"].as_str()),
        (Some(bob), Some("admin"))
    );
    let declined = t
        .call(
            Method::POST,
            &format!("/api/v1/auth/invites/{carol_invite}/decline"),
            Some(&carol_token),
            None,
        )
        .await;
    assert_eq!(declined.status, 204);
    assert_eq!(
        t.get_with_token("/api/v1/auth/invites", &carol_token).await.body,
        json!([])
    );
    let members = member_ids(&t, &owner).await;
    assert!(members.contains(&bob) && !members.contains(&carol) && !members.contains(&dave));
    let details = t
        .get_with_token("/api/v1/orgs/1/members/details", &owner)
        .await
        .body
        .to_string();
    assert!(
        details.contains("bob@example.com") && !details.contains("dave@"),
        "{details}"
    );
}

#[tokio::test]
async fn with_consent_invites_by_address_answer_alike_for_existing_and_new_accounts() {
    let (t, owner) = with_org(&[CONSENT]).await;
    let (existing, existing_token) = t.quick_user("existing@example.com", Role::User).await;
    let to_account = invite(&t, &owner, "existing@example.com").await;
    let to_nobody = invite(&t, &owner, "nobody@example.com").await;
    assert_eq!((to_account.status, to_nobody.status), (201, 201));
    let shape = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        (keys, v["status"].clone(), v["user_id"].clone())
    };
    assert_eq!(shape(&to_account.body), shape(&to_nobody.body));
    assert_eq!(to_account.body["status"], "pending");
    assert!(!member_ids(&t, &owner).await.contains(&existing));
    // The account accepts by token, or by id from its list.
    let listed = t.get_with_token("/api/v1/auth/invites", &existing_token).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let secret = to_account.body["token"].as_str().unwrap();
    let accepted = t
        .call(
            Method::POST,
            "/api/v1/auth/accept-invite",
            Some(&existing_token),
            Some(&json!({ "token": secret }).to_string()),
        )
        .await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    assert!(member_ids(&t, &owner).await.contains(&existing));
    assert_eq!(
        t.get_with_token("/api/v1/auth/invites", &existing_token).await.body,
        json!([])
    );
}

// Leaving ---------------------------------------------------------------------------------------

#[tokio::test]
async fn members_leave_and_the_owner_cannot() {
    let (t, owner) = with_org(&[]).await;
    let (bob, bob_token) = t.quick_user("bob@example.com", Role::User).await;
    let (carol, _) = t.quick_user("carol@example.com", Role::User).await;
    let (_, outsider) = t.quick_user("out@example.com", Role::User).await;
    for id in [bob, carol] {
        let path = format!("/api/v1/orgs/1/members?user_id={id}");
        assert_eq!(t.call(Method::POST, &path, Some(&owner), None).await.status, 201);
    }
    let audit = AuditCapture::start();
    let left = t
        .call(Method::DELETE, "/api/v1/orgs/1/members/me", Some(&bob_token), None)
        .await;
    assert_eq!(left.status, 204, "{:?}", left.body);
    let event = audit
        .events()
        .into_iter()
        .find(|e| e["event_type"] == "auth.member_removed")
        .expect("audited");
    assert_eq!(
        (event["actor_id"].as_i64(), event["org_id"].as_i64()),
        (Some(bob), Some(1))
    );
    assert!(!member_ids(&t, &owner).await.contains(&bob));
    let again = t
        .call(Method::DELETE, "/api/v1/orgs/1/members/me", Some(&bob_token), None)
        .await;
    assert_eq!(again.status, 403);
    let stranger = t
        .call(Method::DELETE, "/api/v1/orgs/1/members/me", Some(&outsider), None)
        .await;
    assert_eq!(stranger.status, 403);
    let owner_leaves = t
        .call(Method::DELETE, "/api/v1/orgs/1/members/me", Some(&owner), None)
        .await;
    assert_eq!(
        (owner_leaves.status, owner_leaves.body),
        (
            409,
            json!({ "detail": "Transfer ownership before leaving the organization" })
        )
    );
    // `/members/{user_id}` still reaches its route.
    let removed = t
        .call(
            Method::DELETE,
            &format!("/api/v1/orgs/1/members/{carol}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    assert_eq!(member_ids(&t, &owner).await.len(), 1);
}

// Quotas ----------------------------------------------------------------------------------------

fn assert_429(reply: &crate::support::Reply) {
    assert_eq!(
        (reply.status, &reply.body),
        (429, &json!({ "detail": "Too many requests. Please try again later." }))
    );
    let retry: i64 = reply.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1, "{retry}");
}

#[tokio::test]
async fn a_user_owns_at_most_org_limit_per_user_orgs() {
    let (t, owner) = with_org(&[("ORG_LIMIT_PER_USER", "2")]).await;
    let create = |slug: &str| json!({ "name": "X", "slug": slug }).to_string();
    let second = t
        .call(Method::POST, "/api/v1/orgs", Some(&owner), Some(&create("two")))
        .await;
    assert_eq!(second.status, 201);
    let third = t
        .call(Method::POST, "/api/v1/orgs", Some(&owner), Some(&create("three")))
        .await;
    assert_eq!(third.status, 403, "{:?}", third.body);
    assert!(third.detail().as_str().unwrap().contains("own 2 organizations"));
    // Handing one over to a user at the limit is refused too.
    let (bob, bob_token) = t.quick_user("bob@example.com", Role::User).await;
    for slug in ["bob-1", "bob-2"] {
        assert_eq!(
            t.call(Method::POST, "/api/v1/orgs", Some(&bob_token), Some(&create(slug)))
                .await
                .status,
            201
        );
    }
    assert_eq!(
        t.call(
            Method::POST,
            &format!("/api/v1/orgs/1/members?user_id={bob}"),
            Some(&owner),
            None
        )
        .await
        .status,
        201
    );
    let transfer = t
        .call(
            Method::POST,
            "/api/v1/orgs/1/transfer-ownership",
            Some(&owner),
            Some(&json!({ "user_id": bob }).to_string()),
        )
        .await;
    assert_eq!(transfer.status, 409, "{:?}", transfer.body);
}

#[tokio::test]
async fn org_writes_are_limited_per_user_and_invites_per_org() {
    let (t, owner) = with_org(&[
        ("RATE_LIMIT_ORG_WRITE_MAX", "3"),
        ("RATE_LIMIT_INVITE_MAX", "2"),
        ("RATE_LIMIT_INVITE_WINDOW", "600"),
    ])
    .await;
    let (admin_id, admin) = t.quick_user("admin@example.com", Role::User).await;
    let path = format!("/api/v1/orgs/1/members?user_id={admin_id}&role=admin");
    // The create and this take two of the owner's three writes; an invite takes the third.
    assert_eq!(t.call(Method::POST, &path, Some(&owner), None).await.status, 201);
    assert_eq!(invite(&t, &owner, "a@example.com").await.status, 201);
    assert_429(&invite(&t, &owner, "b@example.com").await);
    assert_429(
        &t.call(Method::PATCH, "/api/v1/orgs/1?name=New", Some(&owner), None)
            .await,
    );
    assert_eq!(
        t.get_with_token("/api/v1/orgs/1", &owner).await.status,
        200,
        "reads are not counted"
    );

    // The admin has writes of their own; the org's second invite is the last of its window.
    assert_eq!(invite(&t, &admin, "b@example.com").await.status, 201);
    assert_429(&invite(&t, &admin, "c@example.com").await);
    t.clock.advance(chrono::Duration::seconds(61));
    assert_429(&invite(&t, &owner, "c@example.com").await);
    assert_eq!(
        t.call(Method::PATCH, "/api/v1/orgs/1?name=New", Some(&owner), None)
            .await
            .status,
        200,
        "the owner's writes are back after a minute"
    );
    t.clock.advance(chrono::Duration::seconds(600));
    assert_eq!(
        invite(&t, &owner, "c@example.com").await.status,
        201,
        "once the window has passed"
    );
}

#[tokio::test]
async fn a_bulk_add_under_consent_stops_inviting_at_the_invite_limit() {
    let (t, owner) = with_org(&[CONSENT, ("RATE_LIMIT_INVITE_MAX", "2")]).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(t.quick_user(&format!("u{n}@example.com"), Role::User).await.0);
    }
    let bulk = t
        .call(
            Method::POST,
            "/api/v1/orgs/1/members/bulk",
            Some(&owner),
            Some(&json!({ "user_ids": ids }).to_string()),
        )
        .await;
    assert_eq!((bulk.status, bulk.body.as_array().unwrap().len()), (202, 2));
    let skipped: Value = serde_json::from_str(bulk.headers["x-skipped-members"].to_str().unwrap()).unwrap();
    assert_eq!(skipped, json!([{ "user_id": ids[2], "reason": "rate_limited" }]));
    let next = t
        .call(
            Method::POST,
            &format!("/api/v1/orgs/1/members?user_id={}", ids[2]),
            Some(&owner),
            None,
        )
        .await;
    assert_429(&next);
}

// Browsers: CSRF, content type, CORS --------------------------------------------------------------

const EVIL: &str = "https://evil.example";
const APP: &str = "https://app.example.com";
/// The origin of the requests the tests send (`https://localhost/...`).
const OWN: &str = "https://localhost";

/// A route's path with its parameters filled in (org 1, user 2, invite 1, some session).
fn concrete(path: &str) -> String {
    path.replace("{org_id}", "1")
        .replace("{user_id}", "2")
        .replace("{invite_id}", "1")
        .replace("{session_id}", "00000000-0000-0000-0000-000000000000")
}

/// Everything but rate-limit windows and lockout counters, to prove nothing changed.
async fn state(t: &TestApp) -> Vec<String> {
    let mut items: Vec<String> = t
        .data_items()
        .await
        .iter()
        .filter(|i| i.kind != ItemKind::Lockout)
        .map(|i| {
            let mut pairs: Vec<String> = i.attributes.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            pairs.sort();
            pairs.join(",")
        })
        .collect();
    items.sort();
    items
}

#[tokio::test]
async fn every_unsafe_route_refuses_a_cookie_from_another_site_and_changes_nothing() {
    let (t, owner) = with_org(&[("CORS_ALLOWED_ORIGINS", APP)]).await;
    let (_, _) = t.quick_user("two@example.com", Role::User).await;
    assert_eq!(invite(&t, &owner, "pending@example.com").await.status, 201);
    let cookie = format!("gatehouse_session={owner}; gatehouse_refresh=some-refresh-token");
    let routes: Vec<_> = [
        shared::http::functions::auth_routes(),
        shared::http::functions::users_routes(),
        shared::http::functions::orgs_routes(),
    ]
    .into_iter()
    .flatten()
    .filter(|r| r.is_unsafe())
    .collect();
    assert!(routes.len() >= 25, "{}", routes.len());
    let before = state(&t).await;
    for route in &routes {
        let path = concrete(route.path);
        let refusals: [&[(&str, &str)]; 4] = [
            &[("origin", EVIL)],
            &[("origin", "null")],
            &[("referer", "https://evil.example/page")],
            &[],
        ];
        for extra in refusals {
            let mut headers = vec![("cookie", cookie.as_str()), ("content-type", "application/json")];
            headers.extend_from_slice(extra);
            let reply = t
                .send(
                    route.method.clone(),
                    &path,
                    &headers,
                    Body::Text(r#"{"name": "x"}"#.into()),
                )
                .await;
            assert_eq!(
                (reply.status, &reply.body),
                (403, &json!({ "detail": "Cross-site request refused" })),
                "{} {path} with {extra:?}",
                route.method
            );
        }
    }
    assert_eq!(state(&t).await, before, "a refused request changed data");
}

#[tokio::test]
async fn cookie_requests_from_allowed_origins_pass_and_must_send_json() {
    let (t, owner) = with_org(&[
        ("CORS_ALLOWED_ORIGINS", APP),
        ("PUBLIC_URL", "https://auth.example.org/x"),
    ])
    .await;
    let cookie = format!("gatehouse_session={owner}");
    let json = ("content-type", "application/json");
    let create = |slug: &str| Body::Text(json!({ "name": "X", "slug": slug }).to_string());
    let allowed: [(&str, &str); 5] = [
        ("origin", OWN),
        ("origin", APP),
        ("origin", "https://auth.example.org"),
        ("referer", "https://localhost/app/page"),
        ("referer", "https://app.example.com/settings?x=1"),
    ];
    for (n, source) in allowed.into_iter().enumerate() {
        let reply = t
            .send(
                Method::POST,
                "/api/v1/orgs",
                &[("cookie", &cookie), json, source],
                create(&format!("org-{n}")),
            )
            .await;
        assert_eq!(reply.status, 201, "{source:?}: {:?}", reply.body);
    }
    // A body that is not JSON (what a cross-site form sends) is refused, even from an allowed page.
    for kind in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let reply = t
            .send(
                Method::POST,
                "/api/v1/orgs",
                &[("cookie", &cookie), ("content-type", kind), ("origin", OWN)],
                create("form"),
            )
            .await;
        assert_eq!(
            (reply.status, reply.body),
            (415, json!({ "detail": "Content-Type must be application/json" })),
            "{kind}"
        );
    }
    let no_type = t
        .send(
            Method::POST,
            "/api/v1/orgs",
            &[("cookie", &cookie), ("origin", OWN)],
            create("none"),
        )
        .await;
    assert_eq!(no_type.status, 415);
    // A bodiless cookie request needs no content type; bearer requests are not checked at all.
    let renamed = t
        .send(
            Method::PATCH,
            "/api/v1/orgs/1?name=Renamed",
            &[("cookie", &cookie), ("origin", OWN)],
            Body::Empty,
        )
        .await;
    assert_eq!(renamed.status, 200);
    let auth = format!("Bearer {owner}");
    let bearer = t
        .send(
            Method::POST,
            "/api/v1/orgs",
            &[("authorization", &auth), ("origin", EVIL), json],
            create("bearer"),
        )
        .await;
    assert_eq!(bearer.status, 201, "{:?}", bearer.body);
}

#[tokio::test]
async fn sign_in_routes_refuse_a_foreign_origin_and_allow_none() {
    let t = TestApp::with_env(&[("CORS_ALLOWED_ORIGINS", APP)]).await;
    let register = |origin: Option<&'static str>, email: &str| {
        let body = json!({ "email": email, "password": PASSWORD }).to_string();
        let mut headers = vec![("content-type", "application/json")];
        headers.extend(origin.map(|o| ("origin", o)));
        let t = &t;
        async move {
            t.send(Method::POST, "/api/v1/auth/register", &headers, Body::Text(body))
                .await
        }
    };
    let refused = register(Some(EVIL), "a@example.com").await;
    assert_eq!(
        (refused.status, refused.body),
        (403, json!({ "detail": "Cross-site request refused" }))
    );
    assert_eq!(t.count_users().await, 0);
    assert_eq!(
        register(None, "a@example.com").await.status,
        200,
        "curl sends no Origin"
    );
    assert_eq!(register(Some(APP), "b@example.com").await.status, 200);
    assert_eq!(register(Some(OWN), "c@example.com").await.status, 200);

    let form = "username=a@example.com&password=Secret1234!";
    let form_type = ("content-type", "application/x-www-form-urlencoded");
    let login = t
        .send(
            Method::POST,
            "/api/v1/auth/token",
            &[form_type, ("origin", EVIL)],
            Body::Text(form.into()),
        )
        .await;
    assert_eq!(login.status, 403);
    let login = t
        .send(
            Method::POST,
            "/api/v1/auth/token",
            &[form_type],
            Body::Text(form.into()),
        )
        .await;
    assert_eq!(login.status, 200);
    let refresh_token = login.body["refresh_token"].as_str().unwrap();
    let body = json!({ "refresh_token": refresh_token }).to_string();
    let json_type = ("content-type", "application/json");
    let refresh = t
        .send(
            Method::POST,
            "/api/v1/auth/refresh",
            &[json_type, ("origin", EVIL)],
            Body::Text(body.clone()),
        )
        .await;
    assert_eq!(refresh.status, 403);
    let refresh = t
        .send(
            Method::POST,
            "/api/v1/auth/refresh",
            &[json_type, ("origin", APP)],
            Body::Text(body),
        )
        .await;
    assert_eq!(refresh.status, 200, "{:?}", refresh.body);
    // The token form passes the content-type rule on /auth/token even with a cookie.
    let cookie = format!("gatehouse_refresh={}", refresh.body["refresh_token"].as_str().unwrap());
    let with_cookie = t
        .send(
            Method::POST,
            "/api/v1/auth/token",
            &[form_type, ("cookie", &cookie), ("origin", OWN)],
            Body::Text(form.into()),
        )
        .await;
    assert_eq!(with_cookie.status, 200, "{:?}", with_cookie.body);
}

#[tokio::test]
async fn cors_answers_allowed_origins_with_credentials_and_nobody_else() {
    let t = TestApp::with_env(&[("CORS_ALLOWED_ORIGINS", "https://app.example.com, http://localhost:3000")]).await;
    let preflight = |origin: &'static str| {
        let t = &t;
        async move {
            t.send(
                Method::OPTIONS,
                "/api/v1/orgs/1/members/bulk",
                &[
                    ("origin", origin),
                    ("access-control-request-method", "POST"),
                    ("access-control-request-headers", "content-type"),
                ],
                Body::Empty,
            )
            .await
        }
    };
    let header =
        |reply: &crate::support::Reply, name: &str| reply.headers.get(name).map(|v| v.to_str().unwrap().to_string());
    for origin in [APP, "http://localhost:3000"] {
        let reply = preflight(origin).await;
        assert_eq!(reply.status, 204, "{origin}");
        assert_eq!(header(&reply, "access-control-allow-origin").as_deref(), Some(origin));
        assert_eq!(
            header(&reply, "access-control-allow-credentials").as_deref(),
            Some("true")
        );
        assert_eq!(
            header(&reply, "access-control-allow-methods").as_deref(),
            Some("GET, POST, PATCH, DELETE")
        );
        assert_eq!(
            header(&reply, "access-control-allow-headers").as_deref(),
            Some("Authorization, Content-Type")
        );
        assert_eq!(header(&reply, "access-control-max-age").as_deref(), Some("600"));
        assert_eq!(header(&reply, "vary").as_deref(), Some("Origin"));
    }
    for origin in [EVIL, "https://app.example.com.evil.example", "null"] {
        let reply = preflight(origin).await;
        assert_ne!(reply.status, 204, "{origin}");
        assert!(
            reply.headers.keys().all(|k| !k.as_str().starts_with("access-control-")),
            "{origin}: {:?}",
            reply.headers
        );
    }
    let document = t
        .send(Method::GET, "/api/v1/openapi.json", &[("origin", APP)], Body::Empty)
        .await;
    assert_eq!(header(&document, "access-control-allow-origin").as_deref(), Some(APP));
    assert_eq!(
        header(&document, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    assert_eq!(header(&document, "vary").as_deref(), Some("Origin"));
    let other = t
        .send(Method::GET, "/api/v1/openapi.json", &[("origin", EVIL)], Body::Empty)
        .await;
    assert_eq!(other.status, 200);
    assert!(header(&other, "access-control-allow-origin").is_none());
    // With no origins configured, nobody gets CORS.
    let closed = TestApp::new().await;
    let reply = closed
        .send(
            Method::OPTIONS,
            "/api/v1/orgs",
            &[("origin", APP), ("access-control-request-method", "POST")],
            Body::Empty,
        )
        .await;
    assert!(reply.headers.get("access-control-allow-origin").is_none());
}
