//! A tiny HTTP client for the black-box tests: the base URL comes from `GATEHOUSE_URL`, which
//! `make test` sets after starting `cargo lambda watch` over DynamoDB Local.

use serde_json::Value;
use ureq::Agent;

pub struct Api {
    base: String,
    agent: Agent,
    /// The client address this `Api` claims through `X-Forwarded-For` (the stack under test
    /// trusts it), so each test has its own rate-limit buckets; `None` sends none, as curl does.
    client_address: Option<String>,
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

impl Api {
    /// A client with an address of its own.
    pub fn new() -> Self {
        let random = uuid::Uuid::new_v4().as_u128();
        let address = format!("10.{}.{}.{}", (random >> 16) as u8, (random >> 8) as u8, random as u8);
        Self::with_client_address(Some(address))
    }

    /// A client that sends exactly what curl sends: no `X-Forwarded-For`, so it counts as
    /// 127.0.0.1 like every curl line of the seed doc.
    pub fn as_curl() -> Self {
        Self::with_client_address(None)
    }

    fn with_client_address(client_address: Option<String>) -> Self {
        let base = std::env::var("GATEHOUSE_URL")
            .expect("GATEHOUSE_URL must name the running stack: run the tests with `make test`");
        let agent = Agent::config_builder().http_status_as_error(false).build().into();
        Api {
            base,
            agent,
            client_address,
        }
    }

    /// One request; `content_type` and `bearer` become headers when given.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        bearer: Option<&str>,
        body: Option<&str>,
    ) -> Reply {
        let mut headers = Vec::new();
        if let Some(kind) = content_type {
            headers.push(("Content-Type", kind.to_string()));
        }
        if let Some(token) = bearer {
            headers.push(("Authorization", format!("Bearer {token}")));
        }
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        self.request_with(method, path, &headers, body)
    }

    /// One request with exactly these headers (and the client address). An empty answer's body
    /// is `null`.
    pub fn request_with(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(address) = &self.client_address {
            request = request.header("X-Forwarded-For", address.as_str());
        }
        let request = request
            .body(body.unwrap_or_default().to_string())
            .expect("valid request");
        let mut response = self.agent.run(request).expect("the stack answers");
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        let text = response.body_mut().read_to_string().expect("readable body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
        };
        Reply { status, headers, body }
    }

    /// The stack's own origin (`GATEHOUSE_URL`), as a page it served would send in `Origin`.
    pub fn own_origin(&self) -> &str {
        &self.base
    }

    pub fn post_json(&self, path: &str, body: &str) -> Reply {
        self.request("POST", path, Some("application/json"), None, Some(body))
    }

    /// What `curl -d "..."` sends: the string as is, form-encoded content type.
    pub fn post_form(&self, path: &str, body: &str) -> Reply {
        self.request(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            None,
            Some(body),
        )
    }

    pub fn get(&self, path: &str, bearer: &str) -> Reply {
        self.request("GET", path, None, Some(bearer), None)
    }

    pub fn post_with_token(&self, path: &str, bearer: &str) -> Reply {
        self.request("POST", path, None, Some(bearer), None)
    }
}

/// Runs the `gatehouse` CLI against the stack; `make test` names both.
pub fn gatehouse(args: &[&str]) -> std::process::Output {
    let cli = std::env::var("GATEHOUSE_CLI").expect("GATEHOUSE_CLI names the built CLI: run `make test`");
    let url = std::env::var("GATEHOUSE_URL").expect("GATEHOUSE_URL names the running stack: run `make test`");
    std::process::Command::new(cli)
        .args(["--endpoint", &url])
        .args(args)
        .output()
        .expect("the CLI runs")
}

/// The token in the newest outbox message to `to` with `subject`, read with
/// `gatehouse auth outbox --to … --json` (where the seed doc queries the database).
pub fn token_from_outbox(to: &str, subject: &str) -> String {
    let output = gatehouse(&["auth", "outbox", "--to", to, "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let result: Value = serde_json::from_slice(&output.stdout).expect("--json prints JSON");
    let messages = result["messages"].as_array().expect("a list of messages");
    let message = messages
        .iter()
        .find(|m| m["subject"] == subject)
        .unwrap_or_else(|| panic!("no '{subject}' message to {to}: {messages:?}"));
    message["body"]
        .as_str()
        .unwrap()
        .lines()
        .map(str::trim)
        .find(|line| line.len() == 43 && line.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .expect("the message carries a token")
        .to_string()
}

/// An address no other test uses, so tests share one running stack and still run in parallel.
pub fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}
