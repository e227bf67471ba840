//! Global roles and admin user management (`functions/users`), and the seed commands.

use crate::support::{AuditCapture, TestApp, PASSWORD};
use lambda_http::http::Method;
use serde_json::json;
use shared::model::Role;

/// An app with an admin (id 1, the first user), a moderator (2), a user (3) and a target (4).
struct Cast {
    t: TestApp,
    admin: String,
    moderator: String,
    user: String,
    target: String,
}

async fn cast() -> Cast {
    let t = TestApp::new().await;
    let (_, admin) = t.quick_user("admin@example.com", Role::Admin).await;
    let (_, moderator) = t.quick_user("mod@example.com", Role::Moderator).await;
    let (_, user) = t.quick_user("user@example.com", Role::User).await;
    let (_, target) = t.quick_user("target@example.com", Role::User).await;
    Cast {
        t,
        admin,
        moderator,
        user,
        target,
    }
}

#[derive(Clone, Copy, Debug)]
enum Actor {
    Anonymous,
    User,
    Moderator,
    Admin,
    /// The target acting on itself.
    Myself,
}

const ACTORS: [Actor; 5] = [
    Actor::Anonymous,
    Actor::User,
    Actor::Moderator,
    Actor::Admin,
    Actor::Myself,
];

impl Cast {
    fn token(&self, actor: Actor) -> Option<&str> {
        match actor {
            Actor::Anonymous => None,
            Actor::User => Some(&self.user),
            Actor::Moderator => Some(&self.moderator),
            Actor::Admin => Some(&self.admin),
            Actor::Myself => Some(&self.target),
        }
    }

    /// The target as an admin sees it (to prove a refused request changed nothing).
    async fn target_state(&self) -> serde_json::Value {
        let reply = self
            .t
            .call(Method::GET, "/api/v1/auth/users/4", Some(&self.admin), None)
            .await;
        reply.body
    }
}

/// Every users route × every kind of caller → the status; refused calls change nothing.
#[tokio::test]
async fn role_matrix() {
    type Row = (Method, &'static str, Option<&'static str>, [u16; 5]);
    // Statuses for: anonymous, user, moderator, admin, the target itself.
    let rows: Vec<Row> = vec![
        (Method::GET, "/api/v1/auth/users", None, [401, 403, 200, 200, 403]),
        (
            Method::POST,
            "/api/v1/auth/users",
            Some(r#"{"email": "new@example.com", "password": "Secret1234!"}"#),
            [401, 403, 403, 201, 403],
        ),
        (Method::GET, "/api/v1/auth/users/4", None, [401, 403, 403, 200, 200]),
        (
            Method::PATCH,
            "/api/v1/auth/users/4?full_name=Renamed",
            None,
            [401, 403, 403, 200, 200],
        ),
        (
            Method::PATCH,
            "/api/v1/auth/users/4/deactivate",
            None,
            [401, 403, 403, 200, 403],
        ),
        (
            Method::PATCH,
            "/api/v1/auth/users/4/activate",
            None,
            [401, 403, 403, 200, 403],
        ),
        (
            Method::PATCH,
            "/api/v1/auth/users/4/role",
            Some(r#"{"role": "moderator"}"#),
            [401, 403, 403, 200, 403],
        ),
        (Method::DELETE, "/api/v1/auth/users/4", None, [401, 403, 403, 204, 403]),
    ];
    for (method, path, body, expected) in rows {
        for (actor, status) in ACTORS.iter().zip(expected) {
            let c = cast().await;
            let before = c.target_state().await;
            let reply = c.t.call(method.clone(), path, c.token(*actor), body).await;
            assert_eq!(reply.status, status, "{method} {path} as {actor:?}: {:?}", reply.body);
            if status >= 400 {
                assert_eq!(
                    c.target_state().await,
                    before,
                    "{method} {path} as {actor:?} changed the target"
                );
                assert_eq!(
                    c.t.count_users().await,
                    4,
                    "{method} {path} as {actor:?} added or removed a user"
                );
            }
        }
    }
}

#[tokio::test]
async fn admins_cannot_deactivate_demote_or_delete_themselves() {
    let c = cast().await;
    for (method, path, body) in [
        (Method::PATCH, "/api/v1/auth/users/1/deactivate", None),
        (Method::PATCH, "/api/v1/auth/users/1/role", Some(r#"{"role": "user"}"#)),
        (Method::DELETE, "/api/v1/auth/users/1", None),
    ] {
        let reply = c.t.call(method.clone(), path, Some(&c.admin), body).await;
        assert_eq!(reply.status, 400, "{method} {path}");
        assert!(
            reply.detail().as_str().unwrap().contains("your own"),
            "{:?}",
            reply.body
        );
    }
    let me = c.t.get_with_token("/api/v1/auth/me", &c.admin).await;
    assert_eq!(
        (me.body["role"].as_str(), me.body["is_active"].as_bool()),
        (Some("admin"), Some(true))
    );
}

#[tokio::test]
async fn clear_errors_for_unknown_users_bad_ids_and_roles() {
    let c = cast().await;
    let admin = Some(c.admin.as_str());
    let unknown = c.t.call(Method::GET, "/api/v1/auth/users/999", admin, None).await;
    assert_eq!(
        (unknown.status, unknown.body),
        (404, json!({ "detail": "User not found" }))
    );
    for (method, path, body) in [
        (Method::PATCH, "/api/v1/auth/users/999/deactivate", None),
        (Method::PATCH, "/api/v1/auth/users/999?full_name=X", None),
        (
            Method::PATCH,
            "/api/v1/auth/users/999/role",
            Some(r#"{"role": "user"}"#),
        ),
        (Method::DELETE, "/api/v1/auth/users/999", None),
    ] {
        assert_eq!(
            c.t.call(method.clone(), path, admin, body).await.status,
            404,
            "{method} {path}"
        );
    }
    let not_a_number = c.t.call(Method::GET, "/api/v1/auth/users/abc", admin, None).await;
    assert_eq!(not_a_number.status, 422);
    assert_eq!(not_a_number.detail()[0]["loc"], json!(["path", "user_id"]));
    let bad_role =
        c.t.call(
            Method::PATCH,
            "/api/v1/auth/users/4/role",
            admin,
            Some(r#"{"role": "boss"}"#),
        )
        .await;
    assert_eq!(
        (bad_role.status, bad_role.body),
        (
            400,
            json!({ "detail": "Invalid role. Must be one of: ['admin', 'moderator', 'user']" })
        )
    );
    let nothing = c.t.call(Method::PATCH, "/api/v1/auth/users/4", admin, None).await;
    assert_eq!(
        (nothing.status, nothing.body),
        (400, json!({ "detail": "No fields to update" }))
    );
    let taken =
        c.t.call(
            Method::POST,
            "/api/v1/auth/users",
            admin,
            Some(r#"{"email": "USER@example.com", "password": "Secret1234!"}"#),
        )
        .await;
    assert_eq!(
        (taken.status, taken.body),
        (400, json!({ "detail": "Email already registered" }))
    );
}

#[tokio::test]
async fn role_changes_apply_to_existing_tokens_at_once() {
    let c = cast().await;
    assert_eq!(c.t.get_with_token("/api/v1/auth/users", &c.user).await.status, 403);
    let promoted =
        c.t.call(
            Method::PATCH,
            "/api/v1/auth/users/3/role",
            Some(&c.admin),
            Some(r#"{"role": "moderator"}"#),
        )
        .await;
    assert_eq!(promoted.body["role"], "moderator");
    assert_eq!(c.t.get_with_token("/api/v1/auth/users", &c.user).await.status, 200);
}

#[tokio::test]
async fn deactivation_ends_tokens_for_good() {
    let c = cast().await;
    assert_eq!(c.t.get_with_token("/api/v1/auth/me", &c.target).await.status, 200);
    c.t.clock.advance(chrono::Duration::milliseconds(5));
    let off =
        c.t.call(Method::PATCH, "/api/v1/auth/users/4/deactivate", Some(&c.admin), None)
            .await;
    assert_eq!(off.body["is_active"], false);
    assert_eq!(
        c.t.get_with_token("/api/v1/auth/me", &c.target).await.status,
        401,
        "refused at once"
    );
    assert_eq!(c.t.login("target@example.com", PASSWORD).await.status, 403);

    c.t.clock.advance(chrono::Duration::milliseconds(5));
    let on =
        c.t.call(Method::PATCH, "/api/v1/auth/users/4/activate", Some(&c.admin), None)
            .await;
    assert_eq!(on.body["is_active"], true);
    assert_eq!(
        c.t.get_with_token("/api/v1/auth/me", &c.target).await.status,
        401,
        "and after re-activation"
    );
    c.t.clock.advance(chrono::Duration::milliseconds(5));
    let fresh = c.t.login("target@example.com", PASSWORD).await;
    assert_eq!(fresh.status, 200, "a new login is needed, and works");
    let token = fresh.body["access_token"].as_str().unwrap();
    assert_eq!(c.t.get_with_token("/api/v1/auth/me", token).await.status, 200);
}

#[tokio::test]
async fn deleting_a_user_frees_the_email_and_ends_the_account() {
    let c = cast().await;
    let audit = AuditCapture::start();
    let deleted =
        c.t.call(Method::DELETE, "/api/v1/auth/users/4", Some(&c.admin), None)
            .await;
    assert_eq!((deleted.status, deleted.body), (204, serde_json::Value::Null));
    assert_eq!(c.t.get_with_token("/api/v1/auth/me", &c.target).await.status, 401);
    assert_eq!(c.t.login("target@example.com", PASSWORD).await.status, 401);
    let guards = c.t.all_items().await;
    assert!(!guards
        .iter()
        .any(|i| i.guarded_email().is_some_and(|email| email.starts_with("target"))));
    assert_eq!(
        c.t.register("target@example.com", PASSWORD).await.status,
        200,
        "the email is free again"
    );
    let event = audit
        .events()
        .into_iter()
        .find(|e| e["event_type"] == "auth.user_deleted")
        .unwrap();
    assert_eq!(
        (event["actor_id"].as_i64(), event["target_id"].as_i64()),
        (Some(1), Some(4))
    );
}

#[tokio::test]
async fn admin_created_users_get_201_without_verification_mail_even_when_registration_is_closed() {
    let t = TestApp::with_env(&[("REGISTRATION_ENABLED", "false")]).await;
    let body = r#"{"email": "first@example.com", "password": "Secret1234!"}"#;
    assert_eq!(t.post_json("/api/v1/auth/register", body).await.status, 403);
    let first = shared::seed::run(
        &t.app,
        json!({ "command": "create-test-user", "email": "admin@example.com", "password": "Admin1234!" }),
    )
    .await;
    let shared::seed::SeedReply::Ok { result } = first else {
        panic!("{first:?}")
    };
    assert_eq!(result["user"]["role"], "admin", "the first user of any path is admin");
    let admin = t.login("admin@example.com", "Admin1234!").await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let audit = AuditCapture::start();
    let created = t
        .call(Method::POST, "/api/v1/auth/users", Some(&admin), Some(body))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(
        (created.body["role"].as_str(), created.body["id"].as_i64()),
        (Some("user"), Some(2))
    );
    assert!(t.outbox("first@example.com").await.is_empty(), "no verification mail");
    assert_eq!(audit.event_types(), ["auth.user_created"]);
}

#[tokio::test]
async fn listing_is_newest_first_in_pages_with_a_cursor() {
    let c = cast().await;
    let admin = Some(c.admin.as_str());
    let mut seen = Vec::new();
    let mut path = "/api/v1/auth/users?limit=3".to_string();
    loop {
        let page = c.t.call(Method::GET, &path, admin, None).await;
        assert_eq!(page.status, 200);
        let ids: Vec<i64> = page
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_i64().unwrap())
            .collect();
        assert!(ids.len() <= 3);
        seen.extend(ids);
        match page.headers.get("x-next-cursor") {
            Some(cursor) => path = format!("/api/v1/auth/users?limit=3&cursor={}", cursor.to_str().unwrap()),
            None => break,
        }
    }
    assert_eq!(seen, [4, 3, 2, 1]);

    let all = c.t.call(Method::GET, "/api/v1/auth/users", admin, None).await;
    assert_eq!(all.body.as_array().unwrap().len(), 4, "default page of 100");
    for bad in ["limit=0", "limit=1001", "limit=abc"] {
        let reply =
            c.t.call(Method::GET, &format!("/api/v1/auth/users?{bad}"), admin, None)
                .await;
        assert_eq!(reply.status, 422, "{bad}");
    }
    let bad_cursor =
        c.t.call(Method::GET, "/api/v1/auth/users?cursor=garbage", admin, None)
            .await;
    assert_eq!(
        (bad_cursor.status, bad_cursor.body),
        (400, json!({ "detail": "Invalid cursor" }))
    );
}

#[tokio::test]
async fn seed_commands_return_typed_results_and_errors() {
    let t = TestApp::new().await;
    let run = |payload: serde_json::Value| shared::seed::run(&t.app, payload);
    use shared::seed::{SeedErrorKind, SeedReply};
    let kind = |reply: SeedReply| match reply {
        SeedReply::Error { kind, .. } => Some(kind),
        SeedReply::Ok { .. } => None,
    };

    let SeedReply::Ok { result } = run(json!({ "command": "create-test-user" })).await else {
        panic!()
    };
    assert_eq!(result["user"]["email"], "test@example.com");
    let generated = result["password"].as_str().unwrap().to_string();
    assert_eq!(generated.len(), 12);
    assert_eq!(
        t.login("test@example.com", &generated).await.status,
        200,
        "the generated password works"
    );
    let SeedReply::Ok { result } = run(json!({ "command": "create-test-user" })).await else {
        panic!()
    };
    assert_eq!(result["user"]["email"], "test1@example.com", "the next free address");

    let SeedReply::Ok { result } = run(json!({ "command": "create-test-users", "count": 3, "prefix": "user" })).await
    else {
        panic!()
    };
    let emails: Vec<&str> = result["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["user@example.com", "user1@example.com", "user2@example.com"],
        "numbered as the system we replace does: the first without a number"
    );
    assert_eq!(result["users"][0]["user"]["full_name"], "Test User user");

    let SeedReply::Ok { result } = run(json!({ "command": "list-users" })).await else {
        panic!()
    };
    assert_eq!(result["users"].as_array().unwrap().len(), 5);

    let SeedReply::Ok { result } =
        run(json!({ "command": "promote-user", "email": "user1@example.com", "role": "moderator" })).await
    else {
        panic!()
    };
    assert_eq!(result["message"], "Updated user1@example.com: role user -> moderator");

    assert_eq!(
        kind(run(json!({ "command": "create-test-user", "email": "USER1@example.com", "password": PASSWORD })).await),
        Some(SeedErrorKind::DuplicateEmail)
    );
    assert_eq!(
        kind(run(json!({ "command": "promote-user", "email": "ghost@example.com" })).await),
        Some(SeedErrorKind::UnknownUser)
    );
    assert_eq!(
        kind(run(json!({ "command": "promote-user", "email": "user1@example.com", "role": "boss" })).await),
        Some(SeedErrorKind::InvalidRole)
    );
    assert_eq!(
        kind(run(json!({ "command": "create-test-users", "count": 0 })).await),
        Some(SeedErrorKind::InvalidInput)
    );
    assert_eq!(
        kind(run(json!({ "command": "create-test-user", "email": "x@example.com", "password": "short" })).await),
        Some(SeedErrorKind::InvalidInput)
    );
    assert_eq!(
        kind(run(json!({ "command": "launch-missiles" })).await),
        Some(SeedErrorKind::BadCommand)
    );
    assert_eq!(
        kind(run(json!({ "no": "command" })).await),
        Some(SeedErrorKind::BadCommand)
    );
}

#[tokio::test]
async fn deleting_a_user_respects_their_orgs() {
    let c = cast().await;
    let t = &c.t;
    let create = |slug: &str| format!(r#"{{"name": "{slug}", "slug": "{slug}"}}"#);
    // The target owns "shared" (with the user in it) and "solo" (alone), and is a member of the
    // user's "club", where it has a pending invite out.
    assert_eq!(
        t.call(Method::POST, "/api/v1/orgs", Some(&c.target), Some(&create("shared")))
            .await
            .status,
        201
    );
    t.call(Method::POST, "/api/v1/orgs/1/members?user_id=3", Some(&c.target), None)
        .await;
    t.call(Method::POST, "/api/v1/orgs", Some(&c.target), Some(&create("solo")))
        .await;
    t.call(Method::POST, "/api/v1/orgs", Some(&c.user), Some(&create("club")))
        .await;
    t.call(
        Method::POST,
        "/api/v1/orgs/3/members?user_id=4&role=admin",
        Some(&c.user),
        None,
    )
    .await;
    let invite = t
        .call(
            Method::POST,
            "/api/v1/orgs/3/invites",
            Some(&c.target),
            Some(r#"{"email": "friend@example.com"}"#),
        )
        .await;
    assert_eq!(invite.status, 201);

    let refused = t
        .call(Method::DELETE, "/api/v1/auth/users/4", Some(&c.admin), None)
        .await;
    assert_eq!(refused.status, 409);
    assert!(
        refused.detail().as_str().unwrap().contains("'shared'"),
        "{:?}",
        refused.body
    );
    assert_eq!(
        t.get_with_token("/api/v1/auth/me", &c.target).await.status,
        200,
        "nothing was deleted"
    );

    let handed_over = t
        .call(
            Method::POST,
            "/api/v1/orgs/1/transfer-ownership",
            Some(&c.target),
            Some(r#"{"user_id": 3}"#),
        )
        .await;
    assert_eq!(handed_over.status, 200);
    assert_eq!(
        t.call(Method::DELETE, "/api/v1/auth/users/4", Some(&c.admin), None)
            .await
            .status,
        204
    );

    let all = t.call(Method::GET, "/api/v1/orgs/all", Some(&c.admin), None).await;
    let slugs: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        slugs,
        ["club", "shared"],
        "the org the user was alone in went with them"
    );
    for org_id in [1, 3] {
        let members = t.app.store.org_partition(org_id).await.unwrap();
        assert!(
            !members.members.iter().any(|m| m.user_id == 4),
            "org {org_id} keeps no membership of theirs"
        );
    }
    let club_invites = t.call(Method::GET, "/api/v1/orgs/3/invites", Some(&c.user), None).await;
    assert_eq!(club_invites.body, json!([]), "their pending invite was revoked");
}
