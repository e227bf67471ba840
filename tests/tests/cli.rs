//! The `gatehouse` CLI against the running stack: results, `--json`, exit codes.

use std::process::{Command, Output};

fn gatehouse(args: &[&str]) -> Output {
    let cli =
        std::env::var("GATEHOUSE_CLI").expect("GATEHOUSE_CLI names the built CLI: run `make test`");
    let url = std::env::var("GATEHOUSE_URL")
        .expect("GATEHOUSE_URL names the running stack: run `make test`");
    Command::new(cli)
        .args(["--endpoint", &url])
        .args(args)
        .output()
        .expect("the CLI runs")
}

#[test]
fn ping_reaches_the_seed_function() {
    let text = gatehouse(&["auth", "ping"]);
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
    let table = std::env::var("TABLE_NAME").unwrap();
    assert_eq!(
        String::from_utf8_lossy(&text.stdout).trim(),
        format!("pong (table {table})")
    );

    let json = gatehouse(&["auth", "ping", "--json"]);
    assert!(json.status.success());
    let reply: serde_json::Value =
        serde_json::from_slice(&json.stdout).expect("--json prints JSON");
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
