//! Mail through the mailer's own code (`shared::mailer::handle_stream`, as Lambda calls it with
//! stream records), in process: every kind over SES against moto's server mode (the one stand-in
//! for an AWS-only API, started here and stopped by PID), and the queue under parallel requests.
//! The SMTP path (maildev, the stream relay, `cargo lambda watch`) is in the black-box tests.

use crate::support::{TestApp, PASSWORD};
use serde_json::{json, Value};
use shared::domain::mail::{self, Delivery};
use shared::domain::one_time;
use shared::mailer::{handle_stream, Transports};
use shared::model::{Email, MailContent, MailStatus, QueuedMail};
use shared::store::ItemKind;
use std::process::{Child, Command, Stdio};

/// moto's server on a free port of 127.0.0.1, stopped (by PID) when dropped.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start() -> Moto {
        let bin = std::env::var("MOTO_SERVER")
            .expect("MOTO_SERVER must name moto_server (make test installs it into .local/moto-venv)");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return moto;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("moto_server did not listen on {port} within 30 s");
    }

    /// The messages moto's SES recorded (`GET /moto-api/data.json`).
    async fn sent(&self) -> Vec<Value> {
        let url = format!("{}/moto-api/data.json", self.url);
        let body = tokio::task::spawn_blocking(move || {
            let out = Command::new("curl").args(["-sf", &url]).output().expect("curl runs");
            assert!(out.status.success(), "GET {url} failed");
            out.stdout
        })
        .await
        .unwrap();
        let data: Value = serde_json::from_slice(&body).unwrap();
        data["ses"]["Message"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The mail items of the test's table.
async fn mail_items(t: &TestApp) -> Vec<QueuedMail> {
    t.all_items()
        .await
        .into_iter()
        .filter(|item| item.kind == ItemKind::Mail)
        .map(|item| serde_dynamo::from_item(item.attributes).unwrap())
        .collect()
}

/// Hands every queued mail item to the mailer as a stream batch would, and checks that none
/// is reported for a retry.
async fn deliver_queued(t: &TestApp, transport: &Transports) {
    let records: Vec<Value> = mail_items(t)
        .await
        .iter()
        .filter(|m| m.status == MailStatus::Queued)
        .enumerate()
        .map(|(i, m)| {
            json!({
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "dynamodb": { "Keys": { "pk": { "S": format!("MAIL#{}", m.id) }, "sk": { "S": "MAIL" } },
                              "SequenceNumber": format!("{:021}", i + 1) }
            })
        })
        .collect();
    let reply = handle_stream(&t.app, transport, &json!({ "Records": records })).await;
    assert_eq!(reply, json!({ "batchItemFailures": [] }));
}

/// The token in the link of the newest message to `to` with `subject` that moto recorded.
async fn link_token(moto: &Moto, to: &str, subject: &str, page: &str) -> String {
    let sent = moto.sent().await;
    let message = sent
        .iter()
        .rev()
        .find(|m| m["destinations"]["ToAddresses"][0] == to && m["subject"] == subject)
        .unwrap_or_else(|| panic!("no '{subject}' to {to} in {sent:?}"));
    let body = message["body"].as_str().unwrap();
    let start = body
        .find(&format!("https://app.example.com/{page}?token="))
        .unwrap_or_else(|| panic!("no {page} link in {body}"));
    let token: String = body[start..]
        .split_once("token=")
        .unwrap()
        .1
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(token.len(), 43, "{body}");
    token
}

#[tokio::test]
async fn every_kind_of_mail_goes_out_through_ses_with_a_link_that_works() {
    let moto = Moto::start();
    let t = TestApp::with_env(&[
        ("MAIL_TRANSPORT", "ses"),
        ("SES_ENDPOINT", &moto.url),
        ("PUBLIC_URL", "https://app.example.com"),
    ])
    .await;
    let ses = Transports::from_settings(&t.app).await.unwrap();
    {
        let client = aws_sdk_sesv2::Client::new(&shared::aws::sdk_config(Some(&moto.url)).await);
        client
            .create_email_identity()
            .email_identity("example.com")
            .send()
            .await
            .unwrap();
    }

    // Verification: registration queues it; the link's token verifies the address.
    t.user_with_token("jane@example.com").await;
    deliver_queued(&t, &ses).await;
    let verify = link_token(&moto, "jane@example.com", "Verify your email address", "verify").await;
    let verified = t
        .post_json("/api/v1/auth/verify-email", &json!({ "token": verify }).to_string())
        .await;
    assert_eq!(verified.status, 200, "{:?}", verified.body);

    // Reset: the link's token sets a new password, and the change is announced.
    let request = |email: &str| json!({ "email": email }).to_string();
    t.post_json("/api/v1/auth/password-reset/request", &request("jane@example.com"))
        .await;
    deliver_queued(&t, &ses).await;
    let reset = link_token(&moto, "jane@example.com", "Reset your password", "reset").await;
    let confirmed = t
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({ "token": reset, "new_password": "NewSecret5678!" }).to_string(),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    t.clock.advance(chrono::Duration::seconds(1)); // past the reset's end of earlier tokens
    assert_eq!(t.login("jane@example.com", "NewSecret5678!").await.status, 200);
    deliver_queued(&t, &ses).await;

    // An address without an account gets the notice.
    t.post_json("/api/v1/auth/password-reset/request", &request("nobody@example.com"))
        .await;
    deliver_queued(&t, &ses).await;

    // Invite: the link's token lets the invited address (an account made without auto-accept) join.
    let owner = t.login("jane@example.com", "NewSecret5678!").await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let created = t
        .call(
            lambda_http::http::Method::POST,
            "/api/v1/orgs",
            Some(&owner),
            Some(r#"{"name": "Tom & Jerry <Co>", "slug": "tom-and-jerry"}"#),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let org = created.body["id"].as_i64().unwrap();
    let invited = t
        .call(
            lambda_http::http::Method::POST,
            &format!("/api/v1/orgs/{org}/invites"),
            Some(&owner),
            Some(r#"{"email": "newcomer@example.com", "role": "member"}"#),
        )
        .await;
    assert_eq!(invited.status, 201, "{:?}", invited.body);
    deliver_queued(&t, &ses).await;
    let invite = link_token(
        &moto,
        "newcomer@example.com",
        "Invitation to Tom & Jerry <Co>",
        "invite",
    )
    .await;
    assert_eq!(invited.body["token"], invite.as_str());
    let (_, newcomer) = t.quick_user("newcomer@example.com", shared::model::Role::User).await;
    let accepted = t
        .post_json_with_token(
            "/api/v1/auth/accept-invite",
            &json!({ "token": invite }).to_string(),
            &newcomer,
        )
        .await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);

    // Email change: a taken address gets a notice instead of a token; a free one the link whose
    // token moves the account; the current address hears of each request.
    for new_email in ["newcomer@example.com", "jane.new@example.com"] {
        let body = json!({ "new_email": new_email, "password": "NewSecret5678!" }).to_string();
        let asked = t.post_json_with_token("/api/v1/auth/change-email", &body, &owner).await;
        assert_eq!(asked.status, 200, "{:?}", asked.body);
        deliver_queued(&t, &ses).await;
    }
    let change = link_token(
        &moto,
        "jane.new@example.com",
        "Confirm your new email address",
        "verify-email-change",
    )
    .await;
    let moved = t
        .post_json(
            "/api/v1/auth/change-email/confirm",
            &json!({ "token": change }).to_string(),
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);

    // What moto recorded: one message of each kind, from the sender, HTML escaped.
    let sent = moto.sent().await;
    let subjects: Vec<&str> = sent.iter().map(|m| m["subject"].as_str().unwrap()).collect();
    // Each email-change request queues two messages, delivered in one batch in either order.
    let mut email_change: Vec<&str> = subjects[5..].to_vec();
    email_change.sort_unstable();
    assert_eq!(
        email_change,
        [
            "Confirm your new email address",
            "Email change requested",
            "Your email address is about to change",
            "Your email address is about to change"
        ]
    );
    assert_eq!(
        subjects[..5],
        [
            "Verify your email address",
            "Reset your password",
            "Your password was changed",
            "Password reset requested",
            "Invitation to Tom & Jerry <Co>"
        ]
    );
    assert!(sent.iter().all(|m| m["source"] == "Gatehouse <no-reply@example.com>"));
    let invitation = sent[4]["body"].as_str().unwrap();
    assert!(invitation.contains("Tom &amp; Jerry &lt;Co&gt;"), "{invitation}");
    assert!(invitation.contains("jane@example.com") && invitation.contains("member"));

    // Delivered: every item is `sent`, with its content gone; no token anywhere in the table.
    for item in mail_items(&t).await {
        assert_eq!((item.status, item.attempts), (MailStatus::Sent, 1), "{item:?}");
        assert!(item.sealed.is_none() && item.sent_at.is_some(), "{item:?}");
    }
    let dump = format!("{:?}", t.all_items().await);
    for token in [&verify, &reset, &invite, &change] {
        assert!(!dump.contains(token.as_str()), "a token in the table");
    }
}

#[tokio::test]
async fn a_record_delivered_twice_is_sent_once_and_an_undecryptable_one_is_given_up() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let capture = Transports::from_settings(&t.app).await.unwrap();
    let [queued] = mail_items(&t).await.try_into().unwrap();
    assert_eq!(
        mail::deliver(&t.app, &capture, &queued.id).await.unwrap(),
        Delivery::Sent
    );
    assert_eq!(
        mail::deliver(&t.app, &capture, &queued.id).await.unwrap(),
        Delivery::AlreadySent
    );
    // Captured mail keeps its content for the outbox; the table holds it sealed.
    assert_eq!(t.outbox("jane@example.com").await.len(), 1);

    // A body sealed under another key (SECRET_KEY rotated meanwhile) is failed for good.
    let other = TestApp::with_env(&[("SECRET_KEY", "another-integration-secret-0123456789abcdef")]).await;
    let foreign = mail::seal(&other.app, &queued.id, &MailContent::UnknownAccountReset);
    assert!(mail::open(&t.app, &queued.id, &foreign).is_none());
    assert!(
        mail::open(&other.app, "another-id", &foreign).is_none(),
        "bound to its item"
    );
    assert!(mail::open(&other.app, &queued.id, &foreign).is_some());
}

#[tokio::test]
async fn parallel_reset_requests_leave_exactly_one_mail_per_committed_token() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let email = Email::parse("jane@example.com").unwrap();
    let requests: Vec<_> = (0..20)
        .map(|_| {
            let app = t.app.clone();
            let email = email.clone();
            tokio::spawn(async move { shared::domain::recovery::request_password_reset(&app, &email).await })
        })
        .collect();
    let mut answered = 0;
    for request in requests {
        if request.await.unwrap().is_ok() {
            answered += 1;
        }
    }
    let tokens: Vec<String> = t
        .all_items()
        .await
        .into_iter()
        .filter(|item| item.kind == ItemKind::OneTimeToken)
        .filter(|item| item.attributes["purpose"].as_s().unwrap() == "password_reset")
        .map(|item| item.attributes["hash"].as_s().unwrap().clone())
        .collect();
    let mut mailed: Vec<String> = Vec::new();
    for item in mail_items(&t).await.iter().filter(|m| m.kind == "password_reset") {
        match mail::open(&t.app, &item.id, item.sealed.as_deref().unwrap()) {
            Some(MailContent::PasswordReset { token, .. }) => mailed.push(one_time::hash(&token.0)),
            other => panic!("unexpected content {other:?}"),
        }
    }
    assert!(
        answered > 0 && tokens.len() == answered,
        "{answered} answered, {} tokens",
        tokens.len()
    );
    let mut committed = tokens.clone();
    committed.sort();
    mailed.sort();
    assert_eq!(
        committed, mailed,
        "every committed token has exactly one mail, and no mail lacks its token"
    );
}
