//! Mail over the local stack's real parts: the API queues it, the stream relay hands the
//! table's stream records to the mailer function under `cargo lambda watch`, and the mailer
//! sends over SMTP to maildev, read back through maildev's REST API.

use blackbox::{link_token, mail_items_to, stack_logs, table_items, unique_email, wait_for_mail, Api};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Waits until every mail item to `to` satisfies `done`, and returns them.
fn wait_for_items(to: &str, seconds: u64, what: &str, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let items = mail_items_to(to);
        if !items.is_empty() && items.iter().all(&done) {
            return items;
        }
        assert!(Instant::now() < deadline, "{what} within {seconds} s: {items:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn sent_and_emptied(item: &Value) -> bool {
    item["status"]["S"] == "sent" && item.get("sealed").is_none()
}

#[test]
fn every_kind_of_mail_arrives_with_a_working_link_and_no_token_stays_behind() {
    let api = Api::new();
    let email = unique_email("mail");
    let registered = api.post_json(
        "/api/v1/auth/register",
        &json!({ "email": email, "password": "Secret1234!" }).to_string(),
    );
    assert_eq!(registered.status, 200, "{:?}", registered.body);

    // Verification: the link's token verifies the address.
    let verification = wait_for_mail(&email, "Verify your email address", 60);
    let verify = link_token(&verification, "verify");
    let verified = api.post_json("/api/v1/auth/verify-email", &json!({ "token": verify }).to_string());
    assert_eq!(verified.status, 200, "{:?}", verified.body);

    // Reset: the link's token sets a new password, and the change is announced.
    let request = |address: &str| {
        let reply = api.post_json(
            "/api/v1/auth/password-reset/request",
            &json!({ "email": address }).to_string(),
        );
        assert_eq!(reply.status, 200, "{:?}", reply.body);
    };
    request(&email);
    let reset = link_token(&wait_for_mail(&email, "Reset your password", 60), "reset");
    let confirmed = api.post_json(
        "/api/v1/auth/password-reset/confirm",
        &json!({ "token": reset, "new_password": "NewSecret5678!" }).to_string(),
    );
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    let changed = wait_for_mail(&email, "Your password was changed", 60);
    assert!(changed.text.contains("signed out"), "{}", changed.text);

    // An address without an account: the notice, no token.
    let nobody = unique_email("nobody");
    request(&nobody);
    let notice = wait_for_mail(&nobody, "Password reset requested", 60);
    assert!(notice.text.contains("no active account"), "{}", notice.text);
    assert!(!notice.text.contains("token="));

    // Delivered: each item is `sent` with its content dropped; no token anywhere in the table
    // (a scan of the whole test table) nor in any log line of the functions or the relay.
    for address in [&email, &nobody] {
        wait_for_items(address, 30, "every mail item sent and emptied", sent_and_emptied);
    }
    let table = format!("{:?}", table_items());
    let logs = stack_logs();
    assert!(logs.contains("mail sent"), "the logs are the stack's");
    for token in [&verify, &reset] {
        assert!(!table.contains(token.as_str()), "a token in the table");
        assert!(!logs.contains(token.as_str()), "a token in a log line");
    }
}

/// Run by `make test` on its own, with maildev stopped: the test starts it again midway.
#[test]
fn smtp_outage_the_api_answers_and_the_mail_goes_out_once_the_server_is_back() {
    let api = Api::new();
    let email = unique_email("outage");
    let started = Instant::now();
    let registered = api.post_json(
        "/api/v1/auth/register",
        &json!({ "email": email, "password": "Secret1234!" }).to_string(),
    );
    assert_eq!(registered.status, 200, "{:?}", registered.body);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the API does not wait for mail"
    );

    // Retried within the invocation, then recorded as failed (the relay retries the record).
    let failed = wait_for_items(&email, 60, "the mail marked failed", |item| {
        item["status"]["S"] == "failed"
    });
    let attempts: i64 = failed[0]["attempts"]["N"].as_str().unwrap().parse().unwrap();
    assert!(attempts >= 3, "{failed:?}");
    assert!(
        failed[0]["last_error"]["S"].as_str().unwrap().contains("SMTP"),
        "{failed:?}"
    );
    assert!(failed[0].get("sealed").is_some(), "kept, sealed, for the next try");

    // The server comes back: the next retry delivers it, and the link works.
    let _maildev = Maildev::start();
    let mail = wait_for_mail(&email, "Verify your email address", 120);
    let token = link_token(&mail, "verify");
    let verified = api.post_json("/api/v1/auth/verify-email", &json!({ "token": token }).to_string());
    assert_eq!(verified.status, 200, "{:?}", verified.body);
    let sent = wait_for_items(&email, 30, "the mail marked sent", sent_and_emptied);
    let total: i64 = sent[0]["attempts"]["N"].as_str().unwrap().parse().unwrap();
    assert!(total > attempts, "{sent:?}");
    assert!(!stack_logs().contains(token.as_str()), "a token in a log line");
}

/// maildev on the stack's SMTP port and `MAILDEV_URL`'s port, stopped (by PID) when dropped.
struct Maildev(std::process::Child);

impl Maildev {
    fn start() -> Maildev {
        let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name}: run `make test`"));
        let web = var("MAILDEV_URL").rsplit(':').next().unwrap().to_string();
        let smtp = var("SMTP_PORT");
        let child = std::process::Command::new(var("MAILDEV_BIN"))
            .args([
                "--smtp",
                &smtp,
                "--web",
                &web,
                "--ip",
                "127.0.0.1",
                "--web-ip",
                "127.0.0.1",
            ])
            .args(["--mail-directory", &var("MAILDEV_DIR")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("maildev starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", smtp.parse::<u16>().unwrap())).is_err() {
            assert!(Instant::now() < deadline, "maildev did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Maildev(child)
    }
}

impl Drop for Maildev {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
