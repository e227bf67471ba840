//! Fault injection: every mutating route, with a fault at each of its DynamoDB calls in turn
//! (the proxy in `fault_proxy` sits between the app and DynamoDB Local). Each case checks that
//! the answer is 503 (or the route's normal answer, when the fault came after the change was
//! made), that it came within the request deadline, that the table's invariants hold
//! (`Store::invariant_violations`: the whole change or none of it), and that the same request
//! succeeds once the fault is gone.

use crate::fault_proxy::{Fault, FaultProxy};
use crate::support::{TestApp, PASSWORD};
use lambda_http::http::Method;
use lambda_http::Body;
use serde_json::json;
use shared::model::Role;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// Small, so that a hung DynamoDB costs little test time; large enough for a loaded machine.
const DEADLINE_MS: u64 = 3000;
/// Scheduling slack on a shared 2-core machine, on top of the deadline.
const SLACK: Duration = Duration::from_millis(300);

/// A request a scenario sends, replayable.
#[derive(Clone, Debug)]
struct Request {
    method: Method,
    path: String,
    token: Option<String>,
    json: Option<String>,
    form: Option<String>,
}

impl Request {
    fn json(method: Method, path: impl Into<String>, token: Option<&str>, json: serde_json::Value) -> Self {
        Request {
            method,
            path: path.into(),
            token: token.map(String::from),
            json: Some(json.to_string()),
            form: None,
        }
    }

    fn bare(method: Method, path: impl Into<String>, token: &str) -> Self {
        Request {
            method,
            path: path.into(),
            token: Some(token.to_string()),
            json: None,
            form: None,
        }
    }
}

/// One table with two apps over it: `t`, straight to DynamoDB Local with a roomy deadline, sets
/// the stage, retries and checks; `faulty`, through the proxy with the small deadline, sends the
/// request under test. (The shared DynamoDB Local of a loaded machine is slow at times; only the
/// request under test should be held to the small deadline.)
struct Case {
    t: TestApp,
    faulty: TestApp,
    proxy: FaultProxy,
}

impl Case {
    async fn new() -> Case {
        let upstream = std::env::var("DYNAMODB_ENDPOINT").expect("DYNAMODB_ENDPOINT is set by make test");
        let proxy = FaultProxy::start(&upstream).await;
        let t = TestApp::new().await;
        let deadline = DEADLINE_MS.to_string();
        let faulty = t
            .sibling_via(&proxy.endpoint(), &[("REQUEST_DEADLINE_MS", &deadline)])
            .await;
        Case { t, faulty, proxy }
    }

    /// The request under test, through the proxy.
    async fn send(&self, request: &Request) -> crate::support::Reply {
        Self::deliver(&self.faulty, request).await
    }

    /// The same request, straight to DynamoDB.
    async fn send_direct(&self, request: &Request) -> crate::support::Reply {
        Self::deliver(&self.t, request).await
    }

    async fn deliver(t: &TestApp, request: &Request) -> crate::support::Reply {
        let mut headers: Vec<(&str, String)> = Vec::new();
        if let Some(token) = &request.token {
            headers.push(("authorization", format!("Bearer {token}")));
        }
        let body = if let Some(json) = &request.json {
            headers.push(("content-type", "application/json".into()));
            Body::Text(json.clone())
        } else if let Some(form) = &request.form {
            headers.push(("content-type", "application/x-www-form-urlencoded".into()));
            Body::Text(form.clone())
        } else {
            Body::Empty
        };
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        t.send(request.method.clone(), &request.path, &headers, body).await
    }

    async fn violations(&self) -> Vec<String> {
        self.t.app.db.invariant_violations().await.unwrap()
    }
}

type Setup = fn(&Case) -> Pin<Box<dyn Future<Output = Request> + Send + '_>>;

/// The faults, taken in turn by the calls of a route so that each kind meets every route.
const FAULTS: [Fault; 4] = [
    Fault::Drop,
    Fault::Throttle,
    Fault::Refuse,
    Fault::Hang(Duration::from_secs(5)),
];

/// Runs the matrix of one route: `setup` prepares a fresh table and returns the request;
/// `ok` is the route's normal status.
async fn matrix(route: &str, ok: u16, setup: Setup) {
    // A clean run counts the route's DynamoDB calls.
    // (Up to three tries: a loaded machine can make a clean run miss the small deadline.)
    let mut calls = 0;
    for attempt in 1..=3 {
        let dry = Case::new().await;
        let request = setup(&dry).await;
        let before = dry.faulty.app.db.calls();
        let reply = dry.send(&request).await;
        if reply.status != ok && attempt < 3 {
            continue;
        }
        assert_eq!(reply.status, ok, "{route} without faults: {:?}", reply.body);
        calls = dry.faulty.app.db.calls() - before;
        let broken = dry.violations().await;
        assert!(broken.is_empty(), "{route}: {broken:?}");
        break;
    }
    assert!(calls > 0, "{route} makes no DynamoDB call");

    let mut cases = tokio::task::JoinSet::new();
    for call in 0..calls {
        let fault = FAULTS[(call as usize) % FAULTS.len()];
        let route = route.to_string();
        cases.spawn(async move { one_case(&route, ok, setup, call, fault).await });
    }
    let outcomes: Vec<String> = cases.join_all().await;
    eprintln!("{route}: {calls} calls: {}", outcomes.join(", "));
}

async fn one_case(route: &str, ok: u16, setup: Setup, call: u64, fault: Fault) -> String {
    let case = Case::new().await;
    let request = setup(&case).await;
    case.proxy.inject(fault, call);
    let started = Instant::now();
    let reply = case.send(&request).await;
    let took = started.elapsed();
    case.proxy.heal();
    let label = format!("{route}, {fault:?} at call {}", call + 1);
    assert!(
        took <= Duration::from_millis(DEADLINE_MS) + SLACK,
        "{label}: answered after {took:?}"
    );
    assert!(
        reply.status == 503 || reply.status == ok,
        "{label}: {} {:?}",
        reply.status,
        reply.body
    );
    if reply.status == 503 {
        assert_eq!(
            reply.body,
            json!({ "detail": "Service temporarily unavailable" }),
            "{label}"
        );
        assert!(reply.headers.contains_key("retry-after"), "{label}: no Retry-After");
    }
    let broken = case.violations().await;
    assert!(broken.is_empty(), "{label}: {broken:?}");
    if reply.status == 503 {
        let again = case.send_direct(&request).await;
        // Only the deadline's cut can answer 503 after the change was made (the work was done,
        // the answer was late); the retry then meets the change: "already registered", "token
        // used", "not found"... Any other 503 means nothing was written, so the retry succeeds.
        let cut = took >= Duration::from_millis(DEADLINE_MS) - Duration::from_millis(100);
        assert!(
            again.status == ok || (cut && [400, 401, 404, 409].contains(&again.status)),
            "{label}, retried: {} {:?}",
            again.status,
            again.body
        );
        let broken = case.violations().await;
        assert!(broken.is_empty(), "{label}, retried: {broken:?}");
    }
    format!("{}:{}ms", reply.status, took.as_millis())
}

async fn admin(case: &Case) -> String {
    case.t.quick_user("admin@example.com", Role::Admin).await.1
}

/// An org `acme` owned by owner@example.com, with member@example.com as a member: the owner's
/// token, the member's id and token.
async fn org_with_member(case: &Case) -> (String, i64, String) {
    let (_, owner) = case.t.quick_user("owner@example.com", Role::User).await;
    let (member_id, member) = case.t.quick_user("member@example.com", Role::User).await;
    let created = case
        .t
        .call(
            Method::POST,
            "/api/v1/orgs",
            Some(&owner),
            Some(r#"{"name": "Acme", "slug": "acme"}"#),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let path = format!("/api/v1/orgs/1/members?user_id={member_id}&role=member");
    let added = case.t.call(Method::POST, &path, Some(&owner), None).await;
    assert!(added.status < 300, "{:?}", added.body);
    (owner, member_id, member)
}

#[tokio::test]
async fn register_under_faults() {
    matrix("POST /auth/register", 200, |case| {
        Box::pin(async move {
            admin(case).await;
            Request::json(
                Method::POST,
                "/api/v1/auth/register",
                None,
                json!({ "email": "new@example.com", "password": PASSWORD }),
            )
        })
    })
    .await;
}

#[tokio::test]
async fn login_under_faults() {
    matrix("POST /auth/token", 200, |case| {
        Box::pin(async move {
            case.t.quick_user("jane@example.com", Role::User).await;
            Request {
                method: Method::POST,
                path: "/api/v1/auth/token".into(),
                token: None,
                json: None,
                form: Some(format!("username=jane%40example.com&password={PASSWORD}")),
            }
        })
    })
    .await;
}

#[tokio::test]
async fn refresh_rotation_under_faults() {
    matrix("POST /auth/refresh", 200, |case| {
        Box::pin(async move {
            case.t.quick_user("jane@example.com", Role::User).await;
            let login = case.t.login("jane@example.com", PASSWORD).await;
            let refresh = login.body["refresh_token"].as_str().unwrap().to_string();
            Request::json(
                Method::POST,
                "/api/v1/auth/refresh",
                None,
                json!({ "refresh_token": refresh }),
            )
        })
    })
    .await;
}

#[tokio::test]
async fn logout_under_faults() {
    matrix("POST /auth/logout", 200, |case| {
        Box::pin(async move {
            let (_, token) = case.t.quick_user("jane@example.com", Role::User).await;
            Request::bare(Method::POST, "/api/v1/auth/logout", &token)
        })
    })
    .await;
}

#[tokio::test]
async fn password_reset_under_faults() {
    matrix("POST /auth/password-reset/request", 200, |case| {
        Box::pin(async move {
            case.t.quick_user("jane@example.com", Role::User).await;
            Request::json(
                Method::POST,
                "/api/v1/auth/password-reset/request",
                None,
                json!({ "email": "jane@example.com" }),
            )
        })
    })
    .await;
    matrix("POST /auth/password-reset/confirm", 200, |case| {
        Box::pin(async move {
            case.t.quick_user("jane@example.com", Role::User).await;
            let body = json!({ "email": "jane@example.com" }).to_string();
            assert_eq!(
                case.t
                    .post_json("/api/v1/auth/password-reset/request", &body)
                    .await
                    .status,
                200
            );
            let token = case
                .t
                .token_from_outbox("jane@example.com", "Reset your password")
                .await;
            Request::json(
                Method::POST,
                "/api/v1/auth/password-reset/confirm",
                None,
                json!({ "token": token, "new_password": "NewSecret5678!" }),
            )
        })
    })
    .await;
}

#[tokio::test]
async fn verify_email_under_faults() {
    matrix("POST /auth/verify-email", 200, |case| {
        Box::pin(async move {
            assert_eq!(case.t.register("jane@example.com", PASSWORD).await.status, 200);
            let token = case
                .t
                .token_from_outbox("jane@example.com", "Verify your email address")
                .await;
            Request::json(
                Method::POST,
                "/api/v1/auth/verify-email",
                None,
                json!({ "token": token }),
            )
        })
    })
    .await;
}

#[tokio::test]
async fn org_creation_and_deletion_under_faults() {
    matrix("POST /orgs", 201, |case| {
        Box::pin(async move {
            let (_, owner) = case.t.quick_user("owner@example.com", Role::User).await;
            Request::json(
                Method::POST,
                "/api/v1/orgs",
                Some(&owner),
                json!({ "name": "Acme", "slug": "acme" }),
            )
        })
    })
    .await;
    matrix("DELETE /orgs/{id}", 204, |case| {
        Box::pin(async move {
            let (owner, _, _) = org_with_member(case).await;
            let invite = json!({ "email": "new@example.com", "role": "member" }).to_string();
            let invited = case
                .t
                .call(Method::POST, "/api/v1/orgs/1/invites", Some(&owner), Some(&invite))
                .await;
            assert!(invited.status < 300, "{:?}", invited.body);
            Request::bare(Method::DELETE, "/api/v1/orgs/1", &owner)
        })
    })
    .await;
}

#[tokio::test]
async fn membership_changes_under_faults() {
    matrix("POST /orgs/{id}/transfer-ownership", 200, |case| {
        Box::pin(async move {
            let (owner, member, _) = org_with_member(case).await;
            Request::json(
                Method::POST,
                "/api/v1/orgs/1/transfer-ownership",
                Some(&owner),
                json!({ "user_id": member }),
            )
        })
    })
    .await;
    matrix("POST /orgs/{id}/invites", 201, |case| {
        Box::pin(async move {
            let (owner, _, _) = org_with_member(case).await;
            Request::json(
                Method::POST,
                "/api/v1/orgs/1/invites",
                Some(&owner),
                json!({ "email": "new@example.com", "role": "member" }),
            )
        })
    })
    .await;
}

#[tokio::test]
async fn invite_acceptance_under_faults() {
    matrix("POST /auth/accept-invite", 200, |case| {
        Box::pin(async move {
            let (_, owner) = case.t.quick_user("owner@example.com", Role::User).await;
            let created = case
                .t
                .call(
                    Method::POST,
                    "/api/v1/orgs",
                    Some(&owner),
                    Some(r#"{"name": "Acme", "slug": "acme"}"#),
                )
                .await;
            assert_eq!(created.status, 201);
            let invite = json!({ "email": "new@example.com", "role": "member" }).to_string();
            let invited = case
                .t
                .call(Method::POST, "/api/v1/orgs/1/invites", Some(&owner), Some(&invite))
                .await;
            let secret = invited.body["token"].as_str().unwrap().to_string();
            let (_, invitee) = case.t.quick_user("new@example.com", Role::User).await;
            Request::json(
                Method::POST,
                "/api/v1/auth/accept-invite",
                Some(&invitee),
                json!({ "token": secret }),
            )
        })
    })
    .await;
}

#[tokio::test]
async fn user_deletion_under_faults() {
    matrix("DELETE /auth/users/{id}", 204, |case| {
        Box::pin(async move {
            let token = admin(case).await;
            // The member (user 3, after the admin and the owner) also owns an org of their own.
            let (_, member_id, solo) = org_with_member(case).await;
            assert_eq!(member_id, 3);
            let own = case
                .t
                .call(
                    Method::POST,
                    "/api/v1/orgs",
                    Some(&solo),
                    Some(r#"{"name": "Solo", "slug": "solo"}"#),
                )
                .await;
            assert_eq!(own.status, 201, "{:?}", own.body);
            Request::bare(Method::DELETE, "/api/v1/auth/users/3", &token)
        })
    })
    .await;
}

#[tokio::test]
async fn self_service_under_faults() {
    matrix("POST /auth/change-password", 200, |case| {
        Box::pin(async move {
            let (_, token) = case.t.quick_user("jane@example.com", Role::User).await;
            Request::json(
                Method::POST,
                "/api/v1/auth/change-password",
                Some(&token),
                json!({ "current_password": PASSWORD, "new_password": "NewSecret5678!" }),
            )
        })
    })
    .await;
    matrix("POST /auth/change-email", 200, |case| {
        Box::pin(async move {
            let (_, token) = case.t.quick_user("jane@example.com", Role::User).await;
            Request::json(
                Method::POST,
                "/api/v1/auth/change-email",
                Some(&token),
                json!({ "new_email": "jane.new@example.com", "password": PASSWORD }),
            )
        })
    })
    .await;
    matrix("POST /auth/change-email/confirm", 200, |case| {
        Box::pin(async move {
            let (_, token) = case.t.quick_user("jane@example.com", Role::User).await;
            let body = json!({ "new_email": "jane.new@example.com", "password": PASSWORD }).to_string();
            let asked = case
                .t
                .post_json_with_token("/api/v1/auth/change-email", &body, &token)
                .await;
            assert_eq!(asked.status, 200);
            let change = case
                .t
                .token_from_outbox("jane.new@example.com", "Confirm your new email address")
                .await;
            Request::json(
                Method::POST,
                "/api/v1/auth/change-email/confirm",
                None,
                json!({ "token": change }),
            )
        })
    })
    .await;
    matrix("DELETE /auth/me", 200, |case| {
        Box::pin(async move {
            let (_, token) = case.t.quick_user("jane@example.com", Role::User).await;
            Request::json(
                Method::DELETE,
                "/api/v1/auth/me",
                Some(&token),
                json!({ "password": PASSWORD }),
            )
        })
    })
    .await;
}
