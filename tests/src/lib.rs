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

    /// The address this client claims (`X-Forwarded-For`), if any.
    pub fn client_address(&self) -> Option<&str> {
        self.client_address.as_deref()
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

/// GET `url` (not the stack) and its JSON, or `None` when nothing answers there.
fn get_json(url: &str) -> Option<Value> {
    let agent: Agent = Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent.get(url).call().ok()?;
    serde_json::from_str(&response.body_mut().read_to_string().ok()?).ok()
}

/// A message maildev received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Every message maildev holds for `to`, oldest first, from its REST API (`MAILDEV_URL`, which
/// `make test` sets; `/api/email`).
pub fn inbox(to: &str) -> Vec<Mail> {
    let url = std::env::var("MAILDEV_URL").expect("MAILDEV_URL names maildev's web port: run `make test`");
    let Some(Value::Array(messages)) = get_json(&format!("{url}/api/email")) else {
        return Vec::new();
    };
    messages
        .iter()
        .filter(|m| {
            m["envelope"]["to"]
                .as_array()
                .is_some_and(|t| t.iter().any(|a| a["address"] == to))
        })
        .map(|m| Mail {
            subject: m["subject"].as_str().unwrap_or_default().to_string(),
            text: m["text"].as_str().unwrap_or_default().to_string(),
            html: m["html"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

/// The newest message to `to` with `subject`, waiting up to `seconds` for it to arrive (the
/// mailer sends after the API has answered).
pub fn wait_for_mail(to: &str, subject: &str, seconds: u64) -> Mail {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(mail) = inbox(to).into_iter().rev().find(|m| m.subject == subject) {
            return mail;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no '{subject}' mail to {to} within {seconds} s; inbox: {:?}",
            inbox(to).iter().map(|m| &m.subject).collect::<Vec<_>>()
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// The token of the `<GATEHOUSE_URL or PUBLIC_URL>/<page>?token=...` link in `mail`'s text,
/// checked against the same link in its HTML.
pub fn link_token(mail: &Mail, page: &str) -> String {
    let base = std::env::var("PUBLIC_URL")
        .or_else(|_| std::env::var("GATEHOUSE_URL"))
        .expect("PUBLIC_URL or GATEHOUSE_URL");
    let prefix = format!("{base}/{page}?token=");
    let find = |body: &str| -> Option<String> {
        let start = body.find(&prefix)? + prefix.len();
        Some(
            body[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect(),
        )
    };
    let token = find(&mail.text).unwrap_or_else(|| panic!("no {prefix} link in {}", mail.text));
    assert_eq!(
        find(&mail.html).as_deref(),
        Some(token.as_str()),
        "the HTML link differs"
    );
    assert_eq!(token.len(), 43);
    token
}

/// The token of the link in the newest `subject` mail to `to` (where the seed doc queries the
/// database).
pub fn token_from_mail(to: &str, subject: &str, page: &str) -> String {
    link_token(&wait_for_mail(to, subject, 60), page)
}

/// Every item of the stack's table (`TABLE_NAME` on `DYNAMODB_ENDPOINT`, as `make test` sets
/// them), as DynamoDB's JSON, through DynamoDB Local's API (which wants the shape of a
/// signature, not a valid one).
pub fn table_items() -> Vec<Value> {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").expect("DYNAMODB_ENDPOINT: run `make test`");
    let table = std::env::var("TABLE_NAME").expect("TABLE_NAME: run `make test`");
    let agent: Agent = Agent::config_builder().http_status_as_error(false).build().into();
    let mut items = Vec::new();
    let mut start: Option<Value> = None;
    loop {
        let mut body = serde_json::json!({ "TableName": table, "ConsistentRead": true });
        if let Some(key) = start.take() {
            body["ExclusiveStartKey"] = key;
        }
        let mut response = agent
            .post(&endpoint)
            .header("Content-Type", "application/x-amz-json-1.0")
            .header("X-Amz-Target", "DynamoDB_20120810.Scan")
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            )
            .send(body.to_string())
            .expect("DynamoDB Local answers");
        let page: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        items.extend(page["Items"].as_array().cloned().unwrap_or_default());
        match page.get("LastEvaluatedKey") {
            Some(key) => start = Some(key.clone()),
            None => return items,
        }
    }
}

/// The mail items (the queue) addressed to `to`.
pub fn mail_items_to(to: &str) -> Vec<Value> {
    table_items()
        .into_iter()
        .filter(|item| item["pk"]["S"].as_str().is_some_and(|pk| pk.starts_with("MAIL#")) && item["to"]["S"] == to)
        .collect()
}

/// Everything the stack logged so far (`GATEHOUSE_LOGS`: the functions' and the relay's logs).
pub fn stack_logs() -> String {
    let files = std::env::var("GATEHOUSE_LOGS").expect("GATEHOUSE_LOGS names the stack's logs: run `make test`");
    files
        .split_whitespace()
        .map(|file| std::fs::read_to_string(file).unwrap_or_default())
        .collect()
}

/// An address no other test uses, so tests share one running stack and still run in parallel.
pub fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// What pyotp (an implementation independent of ours, in the test virtualenv that `make test`
/// names in `TEST_PYTHON`) computes for the key URI of an enrolment, the way an authenticator
/// app that scanned its QR code would: the code `steps_ahead` time steps from now.
pub fn pyotp_code(otpauth_uri: &str, steps_ahead: i64) -> String {
    let python = std::env::var("TEST_PYTHON").expect("TEST_PYTHON names a python with pyotp: run `make test`");
    let script = "import pyotp, sys, time\n\
                  totp = pyotp.parse_uri(sys.argv[1])\n\
                  print(totp.at(time.time() + totp.interval * int(sys.argv[2])))";
    let output = std::process::Command::new(python)
        .args(["-c", script, otpauth_uri, &steps_ahead.to_string()])
        .output()
        .expect("the test python runs");
    assert!(
        output.status.success(),
        "pyotp: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}
