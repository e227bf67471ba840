//! Signing keys against the running stack (its key set in Secrets Manager, moto under `make
//! test`): the JWKS and discovery document, and `gatehouse keys list | rotate` without logouts.

use blackbox::Api;
use serde_json::Value;
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

fn json_of(output: &Output) -> Value {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("--json prints JSON")
}

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let bytes = base64_url_decode(header);
    let header: Value = serde_json::from_slice(&bytes).unwrap();
    header["kid"].as_str().unwrap().to_string()
}

fn base64_url_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let value = ALPHABET.iter().position(|&a| a == c).expect("base64url") as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

fn token_for(api: &Api, email: &str) -> String {
    let body = format!("{{\"email\": \"{email}\", \"password\": \"Secret1234!\"}}");
    assert_eq!(api.post_json("/api/v1/auth/register", &body).status, 200);
    let reply = api.post_form("/api/v1/auth/token", &format!("username={email}&password=Secret1234!"));
    assert_eq!(reply.status, 200);
    reply.body["access_token"].as_str().unwrap().to_string()
}

#[test]
fn the_jwks_publishes_the_signing_key_and_rotation_logs_nobody_out() {
    let api = Api::new();
    let email = format!("keys-{}@example.com", uuid::Uuid::new_v4().simple());
    let token = token_for(&api, &email);
    let kid = kid_of(&token);

    let jwks = api.request("GET", "/.well-known/jwks.json", None, None, None);
    assert_eq!(jwks.status, 200);
    assert!(jwks.header("cache-control").unwrap().contains("max-age="));
    let published: Vec<&str> = jwks.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(published.contains(&kid.as_str()), "{published:?}");
    let discovery = api.request("GET", "/.well-known/openid-configuration", None, None, None);
    assert_eq!(discovery.status, 200);
    let base = std::env::var("GATEHOUSE_URL").unwrap();
    assert_eq!(discovery.body["jwks_uri"], format!("{base}/.well-known/jwks.json"));
    assert_eq!(discovery.body["issuer"], base.as_str());

    let listed = json_of(&gatehouse(&["keys", "list", "--json"]));
    assert!(
        listed["source"].as_str().unwrap().contains("Secrets Manager"),
        "{listed}"
    );
    let text = gatehouse(&["keys", "list"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("current"));

    let rotated = json_of(&gatehouse(&["keys", "rotate", "--json"]));
    let new_kid = rotated["new_kid"].as_str().unwrap();
    assert_ne!(new_kid, kid);
    let listed = json_of(&gatehouse(&["keys", "list", "--json"]));
    let state = |kid: &str| {
        listed["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .map(|k| k["state"].as_str().unwrap().to_string())
    };
    assert_eq!(state(new_kid).as_deref(), Some("current"));
    // The key that signed this test's token (the current one when it logged in) verifies on.
    assert_eq!(api.get("/api/v1/auth/me", &token).status, 200, "no logout");
    let again = api.post_form("/api/v1/auth/token", &format!("username={email}&password=Secret1234!"));
    assert_eq!(again.status, 200);
    let fresh = again.body["access_token"].as_str().unwrap();
    assert_eq!(api.get("/api/v1/auth/me", fresh).status, 200);
}
