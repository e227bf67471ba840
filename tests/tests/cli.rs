//! The `gatehouse` CLI against the running stack: results, `--json`, exit codes.

use std::process::{Command, Output};

fn gatehouse(args: &[&str]) -> Output {
    let cli = std::env::var("GATEHOUSE_CLI").expect("GATEHOUSE_CLI names the built CLI: run `make test`");
    let url = std::env::var("GATEHOUSE_URL").expect("GATEHOUSE_URL names the running stack: run `make test`");
    Command::new(cli)
        .args(["--endpoint", &url])
        .args(args)
        .output()
        .expect("the CLI runs")
}

#[test]
fn ping_reaches_the_seed_function() {
    let text = gatehouse(&["auth", "ping"]);
    assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
    let table = std::env::var("TABLE_NAME").unwrap();
    assert_eq!(
        String::from_utf8_lossy(&text.stdout).trim(),
        format!("pong (table {table})")
    );

    let json = gatehouse(&["auth", "ping", "--json"]);
    assert!(json.status.success());
    let reply: serde_json::Value = serde_json::from_slice(&json.stdout).expect("--json prints JSON");
    assert_eq!(reply["pong"], true);
    assert_eq!(reply["table"], table.as_str());
}

#[test]
fn failures_exit_non_zero_with_one_line() {
    let unknown_function = gatehouse(&["--function-name", "no-such-function", "auth", "ping"]);
    assert_eq!(unknown_function.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unknown_function.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no-such-function"), "{stderr}");

    let closed_port = Command::new(std::env::var("GATEHOUSE_CLI").unwrap())
        .args(["--endpoint", "http://127.0.0.1:9", "auth", "ping"])
        .output()
        .unwrap();
    assert_eq!(closed_port.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&closed_port.stderr).contains("Connection refused"));
}

/// The seed doc's §1 CLI lines, with `gatehouse` in place of `my-app`.
#[test]
fn quick_start_cli_lines() {
    let admin = gatehouse(&[
        "auth",
        "create-test-user",
        "--email",
        "admin@example.com",
        "--password",
        "Admin1234!",
    ]);
    assert!(admin.status.success(), "{}", String::from_utf8_lossy(&admin.stderr));
    assert!(String::from_utf8_lossy(&admin.stdout).contains("admin@example.com"));
    let batch = gatehouse(&[
        "auth",
        "create-test-users",
        "--count",
        "3",
        "--prefix",
        "user",
        "--json",
    ]);
    assert!(batch.status.success(), "{}", String::from_utf8_lossy(&batch.stderr));
    let created: serde_json::Value = serde_json::from_slice(&batch.stdout).unwrap();
    assert_eq!(created["users"].as_array().unwrap().len(), 3);

    let listed = gatehouse(&["auth", "list-users", "--json"]);
    assert!(listed.status.success());
    let users: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let emails: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    for email in [
        "admin@example.com",
        "user@example.com",
        "user1@example.com",
        "user2@example.com",
    ] {
        assert!(emails.contains(&email), "{email} in {emails:?}");
    }
    let table = gatehouse(&["auth", "list-users"]);
    assert!(
        String::from_utf8_lossy(&table.stdout).starts_with("ID  "),
        "a table with headers"
    );

    let api = blackbox::Api::new();
    let login = api.post_form("/api/v1/auth/token", "username=admin@example.com&password=Admin1234!");
    assert_eq!(login.status, 200, "the CLI's user can log in");
}

#[test]
fn cli_failures_exit_one_with_a_reason() {
    let email = blackbox::unique_email("dup");
    assert!(gatehouse(&[
        "auth",
        "create-test-user",
        "--email",
        &email,
        "--password",
        "Secret1234!"
    ])
    .status
    .success());
    for (args, reason) in [
        (
            vec![
                "auth",
                "create-test-user",
                "--email",
                email.as_str(),
                "--password",
                "Secret1234!",
            ],
            "Email already registered",
        ),
        (
            vec![
                "auth",
                "promote-user",
                "--email",
                "ghost-user@example.com",
                "--role",
                "moderator",
            ],
            "no user",
        ),
        (
            vec!["auth", "promote-user", "--email", email.as_str(), "--role", "boss"],
            "Invalid role",
        ),
        (vec!["auth", "create-test-users", "--count", "0"], "count must be"),
    ] {
        let output = gatehouse(&args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
    }
    let promoted = gatehouse(&["auth", "promote-user", "--email", &email, "--role", "moderator"]);
    assert!(promoted.status.success());
    assert!(String::from_utf8_lossy(&promoted.stdout).contains("role user -> moderator"));
}
