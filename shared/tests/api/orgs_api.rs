//! Organizations (`functions/orgs`) and invites against DynamoDB Local: the authorization
//! matrix, the rules the system we replace got wrong, concurrency, and clean deletion.

use crate::support::{AuditCapture, Call, TestApp, PASSWORD};
use lambda_http::http::Method;
use serde_json::{json, Value};
use shared::model::Role;
use shared::store::ItemKind;

/// What an org's partition holds.
const ORG_PARTITION: [ItemKind; 4] = [
    ItemKind::Org,
    ItemKind::Member,
    ItemKind::Invite,
    ItemKind::InviteEmailGuard,
];

/// An org (id 1) owned by `owner`, with an org admin, a member, a second member (`target`), a
/// pending invite (id 1); plus an outsider, a user to add (`spare`), and a global admin who is
/// not a member.
struct Org {
    t: TestApp,
    global_admin: String,
    owner: String,
    admin: String,
    member: String,
    outsider: String,
    target_id: i64,
    spare_id: i64,
}

async fn org() -> Org {
    let t = TestApp::new().await;
    let (_, global_admin) = t.quick_user("root@example.com", Role::Admin).await;
    let (_, owner) = t.quick_user("owner@example.com", Role::User).await;
    let (admin_id, admin) = t.quick_user("admin@example.com", Role::User).await;
    let (member_id, member) = t.quick_user("member@example.com", Role::User).await;
    let (target_id, _) = t.quick_user("target@example.com", Role::User).await;
    let (_, outsider) = t.quick_user("outsider@example.com", Role::User).await;
    let (spare_id, _) = t.quick_user("spare@example.com", Role::User).await;
    let created = t
        .call(
            Method::POST,
            "/api/v1/orgs",
            Some(&owner),
            Some(r#"{"name": "Acme Corp", "slug": "acme-corp"}"#),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    for (id, role) in [(admin_id, "admin"), (member_id, "member"), (target_id, "member")] {
        let added = t
            .call(
                Method::POST,
                &format!("/api/v1/orgs/1/members?user_id={id}&role={role}"),
                Some(&owner),
                None,
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.body);
    }
    let invited = t
        .call(
            Method::POST,
            "/api/v1/orgs/1/invites",
            Some(&owner),
            Some(r#"{"email": "pending@example.com"}"#),
        )
        .await;
    assert_eq!(invited.status, 201);
    Org {
        t,
        global_admin,
        owner,
        admin,
        member,
        outsider,
        target_id,
        spare_id,
    }
}

impl Org {
    /// Everything the org's routes can change, to prove a refused call changed nothing.
    async fn state(&self) -> Vec<String> {
        let mut items: Vec<String> = self
            .t
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
}

#[tokio::test]
async fn authorization_matrix() {
    // Statuses for: outsider, member, org admin, owner, global admin (not a member).
    let rows: Vec<(Method, String, Option<String>, [u16; 5])> = {
        let target = 5;
        let spare = 7;
        vec![
            (Method::GET, "/api/v1/orgs/1".into(), None, [403, 200, 200, 200, 403]),
            (
                Method::PATCH,
                "/api/v1/orgs/1?name=Renamed".into(),
                None,
                [403, 403, 200, 200, 403],
            ),
            (Method::DELETE, "/api/v1/orgs/1".into(), None, [403, 403, 403, 204, 204]),
            (
                Method::POST,
                "/api/v1/orgs/1/transfer-ownership".into(),
                Some(format!(r#"{{"user_id": {target}}}"#)),
                [403, 403, 403, 200, 403],
            ),
            (
                Method::GET,
                "/api/v1/orgs/1/members".into(),
                None,
                [403, 200, 200, 200, 403],
            ),
            (
                Method::GET,
                "/api/v1/orgs/1/members/details".into(),
                None,
                [403, 200, 200, 200, 403],
            ),
            (
                Method::POST,
                format!("/api/v1/orgs/1/members?user_id={spare}&role=member"),
                None,
                [403, 403, 201, 201, 403],
            ),
            (
                Method::POST,
                "/api/v1/orgs/1/members/bulk".into(),
                Some(format!(r#"{{"user_ids": [{spare}]}}"#)),
                [403, 403, 201, 201, 403],
            ),
            (
                Method::PATCH,
                format!("/api/v1/orgs/1/members/{target}?role=admin"),
                None,
                [403, 403, 200, 200, 403],
            ),
            (
                Method::DELETE,
                format!("/api/v1/orgs/1/members/{target}"),
                None,
                [403, 403, 204, 204, 403],
            ),
            (
                Method::POST,
                "/api/v1/orgs/1/invites".into(),
                Some(r#"{"email": "new@example.com", "role": "member"}"#.into()),
                [403, 403, 201, 201, 403],
            ),
            (
                Method::GET,
                "/api/v1/orgs/1/invites".into(),
                None,
                [403, 403, 200, 200, 403],
            ),
            (
                Method::DELETE,
                "/api/v1/orgs/1/invites/1".into(),
                None,
                [403, 403, 204, 204, 403],
            ),
            (Method::GET, "/api/v1/orgs/all".into(), None, [403, 403, 403, 403, 200]),
            (
                Method::GET,
                "/api/v1/orgs/memberships".into(),
                None,
                [403, 403, 403, 403, 200],
            ),
            (Method::GET, "/api/v1/orgs".into(), None, [200, 200, 200, 200, 200]),
        ]
    };
    for (method, path, body, expected) in rows {
        for (who, status) in ["outsider", "member", "admin", "owner", "global admin"]
            .iter()
            .zip(expected)
        {
            let o = org().await;
            assert_eq!((o.target_id, o.spare_id), (5, 7));
            let token = match *who {
                "outsider" => &o.outsider,
                "member" => &o.member,
                "admin" => &o.admin,
                "owner" => &o.owner,
                _ => &o.global_admin,
            };
            let before = o.state().await;
            let reply = o.t.call(method.clone(), &path, Some(token), body.as_deref()).await;
            assert_eq!(reply.status, status, "{method} {path} as {who}: {:?}", reply.body);
            if status == 403 {
                assert!(
                    reply.detail().as_str().unwrap().starts_with("Insufficient"),
                    "{:?}",
                    reply.body
                );
                assert_eq!(o.state().await, before, "{method} {path} as {who} changed data");
            }
        }
    }
}

#[tokio::test]
async fn non_members_get_403_whether_or_not_the_org_exists() {
    let o = org().await;
    for path in [
        "/api/v1/orgs/1",
        "/api/v1/orgs/999",
        "/api/v1/orgs/999/members",
        "/api/v1/orgs/1/members",
    ] {
        let reply = o.t.call(Method::GET, path, Some(&o.outsider), None).await;
        assert_eq!(
            (reply.status, &reply.body),
            (403, &json!({ "detail": "Insufficient organization permissions" })),
            "{path}"
        );
    }
    let missing =
        o.t.call(Method::DELETE, "/api/v1/orgs/999", Some(&o.global_admin), None)
            .await;
    assert_eq!(
        (missing.status, missing.body),
        (404, json!({ "detail": "Organization not found" }))
    );
    let anonymous = o.t.call(Method::GET, "/api/v1/orgs/1", None, None).await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn exactly_one_owner_and_admins_act_up_to_their_rank() {
    let o = org().await;
    let t = &o.t;
    let refusals: Vec<(&str, Method, &str, Option<&str>, u16)> = vec![
        (
            "admin adds an owner",
            Method::POST,
            "/api/v1/orgs/1/members?user_id=7&role=owner",
            None,
            400,
        ),
        (
            "owner adds an owner",
            Method::POST,
            "/api/v1/orgs/1/members?user_id=7&role=owner",
            None,
            400,
        ),
        (
            "admin bulk-adds owners",
            Method::POST,
            "/api/v1/orgs/1/members/bulk",
            Some(r#"{"user_ids": [7], "role": "owner"}"#),
            400,
        ),
        (
            "admin promotes self",
            Method::PATCH,
            "/api/v1/orgs/1/members/3?role=owner",
            None,
            400,
        ),
        (
            "admin demotes the owner",
            Method::PATCH,
            "/api/v1/orgs/1/members/2?role=member",
            None,
            403,
        ),
        (
            "admin removes the owner",
            Method::DELETE,
            "/api/v1/orgs/1/members/2",
            None,
            403,
        ),
        (
            "owner removes self",
            Method::DELETE,
            "/api/v1/orgs/1/members/2",
            None,
            403,
        ),
        (
            "admin invites an owner",
            Method::POST,
            "/api/v1/orgs/1/invites",
            Some(r#"{"email": "x@example.com", "role": "owner"}"#),
            400,
        ),
        (
            "admin transfers ownership",
            Method::POST,
            "/api/v1/orgs/1/transfer-ownership",
            Some(r#"{"user_id": 3}"#),
            403,
        ),
    ];
    for (case, method, path, body, status) in refusals {
        let token = if case.starts_with("owner") { &o.owner } else { &o.admin };
        let before = o.state().await;
        let reply = t.call(method, path, Some(token), body).await;
        assert_eq!(reply.status, status, "{case}: {:?}", reply.body);
        assert_eq!(o.state().await, before, "{case} changed data");
    }
    let members = t
        .call(Method::GET, "/api/v1/orgs/1/members", Some(&o.owner), None)
        .await;
    let owners: Vec<i64> = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "owner")
        .map(|m| m["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(owners, [2]);

    let admin_removes_self = t
        .call(Method::DELETE, "/api/v1/orgs/1/members/3", Some(&o.admin), None)
        .await;
    assert_eq!(admin_removes_self.status, 204, "an admin may leave");
    let member_leaves = t
        .call(Method::DELETE, "/api/v1/orgs/1/members/4", Some(&o.member), None)
        .await;
    assert_eq!(member_leaves.status, 403, "members only read");
}

#[tokio::test]
async fn clear_4xx_for_bad_input_never_500() {
    let o = org().await;
    let t = &o.t;
    let owner = Some(o.owner.as_str());
    let cases: Vec<(Method, &str, Option<&str>, u16, Value)> = vec![
        (
            Method::POST,
            "/api/v1/orgs/1/members?user_id=999",
            None,
            404,
            json!({ "detail": "User not found" }),
        ),
        (
            Method::POST,
            "/api/v1/orgs/1/members?user_id=4",
            None,
            400,
            json!({ "detail": "User is already a member of this organization" }),
        ),
        (
            Method::POST,
            "/api/v1/orgs/1/members?user_id=7&role=boss",
            None,
            400,
            json!({ "detail": "Invalid role: boss. Valid: ['admin', 'member', 'owner']" }),
        ),
        (
            Method::PATCH,
            "/api/v1/orgs/1/members/7?role=admin",
            None,
            404,
            json!({ "detail": "Member not found" }),
        ),
        (
            Method::DELETE,
            "/api/v1/orgs/1/members/7",
            None,
            404,
            json!({ "detail": "Member not found" }),
        ),
        (
            Method::PATCH,
            "/api/v1/orgs/1",
            None,
            400,
            json!({ "detail": "No fields to update" }),
        ),
        (
            Method::POST,
            "/api/v1/orgs/1/transfer-ownership",
            Some(r#"{"user_id": 2}"#),
            400,
            json!({ "detail": "Cannot transfer ownership to yourself" }),
        ),
        (
            Method::POST,
            "/api/v1/orgs/1/transfer-ownership",
            Some(r#"{"user_id": 7}"#),
            400,
            json!({ "detail": "Target user is not a member of this organization" }),
        ),
        (
            Method::POST,
            "/api/v1/orgs/1/invites",
            Some(r#"{"email": "member@example.com"}"#),
            400,
            json!({ "detail": "member@example.com is already a member of this organization" }),
        ),
        (
            Method::POST,
            "/api/v1/orgs/1/invites",
            Some(r#"{"email": "pending@example.com"}"#),
            400,
            json!({ "detail": "Pending invite already exists for pending@example.com" }),
        ),
        (
            Method::DELETE,
            "/api/v1/orgs/1/invites/99",
            None,
            404,
            json!({ "detail": "Invite not found" }),
        ),
        (
            Method::POST,
            "/api/v1/orgs",
            Some(r#"{"name": "Other", "slug": "acme-corp"}"#),
            400,
            json!({ "detail": "Organization slug already taken" }),
        ),
        (
            Method::POST,
            "/api/v1/orgs",
            Some(r#"{"name": "Other", "slug": "-bad-"}"#),
            400,
            json!({ "detail": "Invalid slug format. Must be lowercase alphanumeric with hyphens, cannot start or end with a hyphen." }),
        ),
    ];
    for (method, path, body, status, detail) in cases {
        let reply = t.call(method.clone(), path, owner, body).await;
        assert_eq!((reply.status, &reply.body), (status, &detail), "{method} {path}");
    }
    for (method, path, body) in [
        (Method::POST, "/api/v1/orgs/1/members", None),
        (Method::POST, "/api/v1/orgs/1/members?user_id=abc", None),
        (Method::GET, "/api/v1/orgs/abc", None),
        (
            Method::POST,
            "/api/v1/orgs/1/invites",
            Some(r#"{"email": "not an email"}"#),
        ),
        (
            Method::POST,
            "/api/v1/orgs/1/members/bulk",
            Some(r#"{"user_ids": "x"}"#),
        ),
        (Method::POST, "/api/v1/orgs", Some(r#"{"slug": "x"}"#)),
        (
            Method::POST,
            "/api/v1/orgs/1/transfer-ownership",
            Some(r#"{"user_id": "x"}"#),
        ),
    ] {
        assert_eq!(
            t.call(method.clone(), path, owner, body).await.status,
            422,
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn bulk_add_reports_what_it_skipped() {
    let o = org().await;
    let reply =
        o.t.call(
            Method::POST,
            "/api/v1/orgs/1/members/bulk",
            Some(&o.owner),
            Some(r#"{"user_ids": [7, 4, 999, 7], "role": "member"}"#),
        )
        .await;
    assert_eq!(reply.status, 201);
    let added: Vec<i64> = reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(added, [7]);
    let skipped: Value = serde_json::from_str(reply.headers["x-skipped-members"].to_str().unwrap()).unwrap();
    assert_eq!(
        skipped,
        json!([
            { "user_id": 4, "reason": "already_member" },
            { "user_id": 999, "reason": "unknown_user" },
            { "user_id": 7, "reason": "duplicate" },
        ])
    );
}

#[tokio::test]
async fn ownership_transfer_swaps_owner_and_admin() {
    let o = org().await;
    let audit = AuditCapture::start();
    let reply =
        o.t.call(
            Method::POST,
            "/api/v1/orgs/1/transfer-ownership",
            Some(&o.owner),
            Some(r#"{"user_id": 5}"#),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!({ "detail": "Ownership transferred" }))
    );
    let members =
        o.t.call(Method::GET, "/api/v1/orgs/1/members", Some(&o.owner), None)
            .await;
    let role_of = |id: i64| {
        members
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == id)
            .unwrap()["role"]
            .clone()
    };
    assert_eq!((role_of(2), role_of(5)), (json!("admin"), json!("owner")));
    let event = audit
        .events()
        .into_iter()
        .find(|e| e["event_type"] == "auth.org_ownership_transferred")
        .unwrap();
    assert_eq!(
        (event["org_id"].as_i64(), event["target_id"].as_i64()),
        (Some(1), Some(5))
    );
}

#[tokio::test]
async fn twenty_parallel_transfers_leave_exactly_one_owner() {
    let t = TestApp::new().await;
    let (_, owner) = t.quick_user("owner@example.com", Role::User).await;
    t.call(
        Method::POST,
        "/api/v1/orgs",
        Some(&owner),
        Some(r#"{"name": "Acme", "slug": "acme"}"#),
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..20 {
        let (id, _) = t.quick_user(&format!("m{i}@example.com"), Role::User).await;
        t.call(
            Method::POST,
            &format!("/api/v1/orgs/1/members?user_id={id}"),
            Some(&owner),
            None,
        )
        .await;
        ids.push(id);
    }
    let calls = ids
        .iter()
        .map(|id| {
            let body = format!(r#"{{"user_id": {id}}}"#);
            Call::json(
                Method::POST,
                "/api/v1/orgs/1/transfer-ownership",
                Some(&owner),
                Some(&body),
            )
        })
        .collect();
    let statuses: Vec<u16> = t.concurrently(calls).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    let members = t.call(Method::GET, "/api/v1/orgs/1/members", Some(&owner), None).await;
    let owners = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "owner")
        .count();
    assert_eq!(owners, 1);
}

#[tokio::test]
async fn twenty_parallel_creates_of_one_slug_make_one_org() {
    let t = TestApp::new().await;
    let (_, token) = t.quick_user("owner@example.com", Role::User).await;
    let calls = (0..20)
        .map(|i| {
            let body = format!(r#"{{"name": "Org {i}", "slug": "same-slug"}}"#);
            Call::json(Method::POST, "/api/v1/orgs", Some(&token), Some(&body))
        })
        .collect();
    let statuses: Vec<u16> = t.concurrently(calls).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 19, "{statuses:?}");
    assert_eq!(t.count_items(&[ItemKind::SlugGuard]).await, 1);
    let orgs = t.count_items(&[ItemKind::Org]).await;
    assert_eq!(orgs, 1);
    let memberships = t.count_items(&ORG_PARTITION).await;
    assert_eq!(memberships, 2, "one org item and one owner membership");
}

#[tokio::test]
async fn deleting_an_org_leaves_nothing_of_it() {
    let o = org().await;
    let reply = o.t.call(Method::DELETE, "/api/v1/orgs/1", Some(&o.owner), None).await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        o.t.count_items(&ORG_PARTITION).await,
        0,
        "org, memberships, invites, invite guards"
    );
    assert_eq!(o.t.count_items(&[ItemKind::SlugGuard]).await, 0);
    assert_eq!(o.t.count_items(&[ItemKind::InviteToken]).await, 0);
    let mine = o.t.call(Method::GET, "/api/v1/orgs", Some(&o.member), None).await;
    assert_eq!(mine.body, json!([]));
    let again =
        o.t.call(
            Method::POST,
            "/api/v1/orgs",
            Some(&o.member),
            Some(r#"{"name": "Acme", "slug": "acme-corp"}"#),
        )
        .await;
    assert_eq!(again.status, 201, "the slug is free again");
}

#[tokio::test]
async fn global_admins_list_every_org_and_membership() {
    let o = org().await;
    o.t.call(
        Method::POST,
        "/api/v1/orgs",
        Some(&o.outsider),
        Some(r#"{"name": "Second", "slug": "second"}"#),
    )
    .await;
    let all =
        o.t.call(Method::GET, "/api/v1/orgs/all", Some(&o.global_admin), None)
            .await;
    let slugs: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["second", "acme-corp"], "newest first");
    let memberships =
        o.t.call(Method::GET, "/api/v1/orgs/memberships", Some(&o.global_admin), None)
            .await;
    assert_eq!(memberships.body.as_array().unwrap().len(), 5);
    assert!(memberships
        .body
        .as_array()
        .unwrap()
        .contains(&json!({ "user_id": 2, "org_name": "Acme Corp", "org_slug": "acme-corp", "role": "owner" })));
    let mine = o.t.call(Method::GET, "/api/v1/orgs", Some(&o.member), None).await;
    assert_eq!(mine.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn inviting_an_existing_user_adds_them_at_once() {
    let o = org().await;
    let reply =
        o.t.call(
            Method::POST,
            "/api/v1/orgs/1/invites",
            Some(&o.admin),
            Some(r#"{"email": "Spare@Example.com", "role": "member"}"#),
        )
        .await;
    assert_eq!(reply.status, 201);
    assert_eq!(
        (reply.body["status"].as_str(), reply.body["email"].as_str()),
        (Some("accepted"), Some("spare@example.com"))
    );
    assert!(reply.body.get("token").is_none(), "nothing to redeem");
    let members =
        o.t.call(Method::GET, "/api/v1/orgs/1/members", Some(&o.admin), None)
            .await;
    assert!(members
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["user_id"] == 7 && m["role"] == "member"));
}

#[tokio::test]
async fn a_pending_invite_is_accepted_at_registration() {
    let o = org().await;
    let audit = AuditCapture::start();
    let invited =
        o.t.call(
            Method::POST,
            "/api/v1/orgs/1/invites",
            Some(&o.owner),
            Some(r#"{"email": "newcomer@example.com", "role": "admin"}"#),
        )
        .await;
    assert_eq!(invited.body["status"], "pending");
    assert_eq!(invited.body["token"].as_str().unwrap().len(), 43);
    let listed =
        o.t.call(Method::GET, "/api/v1/orgs/1/invites", Some(&o.owner), None)
            .await;
    assert!(
        listed.body.as_array().unwrap().iter().all(|i| i.get("token").is_none()),
        "listings carry no token"
    );
    assert!(o.t.outbox("newcomer@example.com").await[0]["subject"]
        .as_str()
        .unwrap()
        .starts_with("Invitation"));

    let registered = o.t.register("newcomer@example.com", PASSWORD).await;
    let id = registered.body["id"].as_i64().unwrap();
    let members =
        o.t.call(Method::GET, "/api/v1/orgs/1/members", Some(&o.owner), None)
            .await;
    assert!(members
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["user_id"] == id && m["role"] == "admin"));
    let listed =
        o.t.call(Method::GET, "/api/v1/orgs/1/invites", Some(&o.owner), None)
            .await;
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        1,
        "only the cast's own invite is still pending"
    );
    let types = audit.event_types();
    assert!(
        types.contains(&"auth.invite_created".to_string()) && types.contains(&"auth.invite_accepted".to_string()),
        "{types:?}"
    );
}

#[tokio::test]
async fn expired_invites_are_not_accepted_at_registration() {
    let o = org().await;
    o.t.clock.advance(chrono::Duration::days(14));
    let registered = o.t.register("pending@example.com", PASSWORD).await;
    let id = registered.body["id"].as_i64().unwrap();
    // Every token of the cast expired with those 14 days, so read the members from the store.
    let members = o.t.app.store.org_partition(1).await.unwrap().members;
    assert!(!members.iter().any(|m| m.user_id == id));
}

#[tokio::test]
async fn accept_invite_by_token_in_email_mode_and_token_mode() {
    for mode in ["email", "token"] {
        let t = TestApp::with_env(&[("INVITE_ACCEPTANCE_MODE", mode)]).await;
        let (_, owner) = t.quick_user("owner@example.com", Role::User).await;
        t.call(
            Method::POST,
            "/api/v1/orgs",
            Some(&owner),
            Some(r#"{"name": "Acme", "slug": "acme"}"#),
        )
        .await;
        let invited = t
            .call(
                Method::POST,
                "/api/v1/orgs/1/invites",
                Some(&owner),
                Some(r#"{"email": "newcomer@example.com"}"#),
            )
            .await;
        let invite_token = invited.body["token"].as_str().unwrap().to_string();
        // Accounts made without registration (the CLI, admin create) are not auto-joined.
        let (_, newcomer) = t.quick_user("newcomer@example.com", Role::User).await;
        let (_, stranger) = t.quick_user("stranger@example.com", Role::User).await;
        let body = json!({ "token": invite_token }).to_string();

        let by_stranger = t
            .call(Method::POST, "/api/v1/auth/accept-invite", Some(&stranger), Some(&body))
            .await;
        let holder = if mode == "email" {
            assert_eq!(
                (by_stranger.status, &by_stranger.body),
                (400, &json!({ "detail": "Email does not match invite" }))
            );
            &newcomer
        } else {
            assert_eq!(by_stranger.status, 200, "token mode: anyone holding the token");
            &stranger
        };
        if mode == "email" {
            let accepted = t
                .call(Method::POST, "/api/v1/auth/accept-invite", Some(holder), Some(&body))
                .await;
            assert_eq!(accepted.status, 200, "{:?}", accepted.body);
            assert_eq!(accepted.body["status"], "accepted");
        }
        let reused = t
            .call(Method::POST, "/api/v1/auth/accept-invite", Some(holder), Some(&body))
            .await;
        assert_eq!(
            (reused.status, reused.body),
            (400, json!({ "detail": "Invalid or expired invite" })),
            "{mode}"
        );
        let anonymous = t
            .call(Method::POST, "/api/v1/auth/accept-invite", None, Some(&body))
            .await;
        assert_eq!(anonymous.status, 401);
    }
}

#[tokio::test]
async fn twenty_parallel_accepts_of_one_invite_make_one_membership() {
    let t = TestApp::with_env(&[("INVITE_ACCEPTANCE_MODE", "token")]).await;
    let (_, owner) = t.quick_user("owner@example.com", Role::User).await;
    t.call(
        Method::POST,
        "/api/v1/orgs",
        Some(&owner),
        Some(r#"{"name": "Acme", "slug": "acme"}"#),
    )
    .await;
    let invited = t
        .call(
            Method::POST,
            "/api/v1/orgs/1/invites",
            Some(&owner),
            Some(r#"{"email": "x@example.com"}"#),
        )
        .await;
    let body = json!({ "token": invited.body["token"] }).to_string();
    let mut tokens = Vec::new();
    for i in 0..20 {
        tokens.push(t.quick_user(&format!("u{i}@example.com"), Role::User).await.1);
    }
    let calls = tokens
        .iter()
        .map(|token| Call::json(Method::POST, "/api/v1/auth/accept-invite", Some(token), Some(&body)))
        .collect();
    let statuses: Vec<u16> = t.concurrently(calls).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    let members = t.call(Method::GET, "/api/v1/orgs/1/members", Some(&owner), None).await;
    assert_eq!(members.body.as_array().unwrap().len(), 2, "the owner and one newcomer");
}

#[tokio::test]
async fn accepting_while_already_a_member_is_a_clear_400() {
    let t = TestApp::with_env(&[("INVITE_ACCEPTANCE_MODE", "token")]).await;
    let (_, owner) = t.quick_user("owner@example.com", Role::User).await;
    t.call(
        Method::POST,
        "/api/v1/orgs",
        Some(&owner),
        Some(r#"{"name": "Acme", "slug": "acme"}"#),
    )
    .await;
    let invited = t
        .call(
            Method::POST,
            "/api/v1/orgs/1/invites",
            Some(&owner),
            Some(r#"{"email": "x@example.com"}"#),
        )
        .await;
    let body = json!({ "token": invited.body["token"] }).to_string();
    let reply = t
        .call(Method::POST, "/api/v1/auth/accept-invite", Some(&owner), Some(&body))
        .await;
    assert_eq!(
        (reply.status, reply.body),
        (
            400,
            json!({ "detail": "You are already a member of this organization" })
        )
    );
}

#[tokio::test]
async fn revoked_invites_cannot_be_accepted() {
    let o = org().await;
    let invited =
        o.t.call(
            Method::POST,
            "/api/v1/orgs/1/invites",
            Some(&o.owner),
            Some(r#"{"email": "late@example.com"}"#),
        )
        .await;
    let id = invited.body["id"].as_i64().unwrap();
    assert_eq!(
        o.t.call(
            Method::DELETE,
            &format!("/api/v1/orgs/1/invites/{id}"),
            Some(&o.owner),
            None
        )
        .await
        .status,
        204
    );
    let registered = o.t.register("late@example.com", PASSWORD).await;
    let members =
        o.t.call(Method::GET, "/api/v1/orgs/1/members", Some(&o.owner), None)
            .await;
    assert!(!members
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["user_id"] == registered.body["id"]));
}
