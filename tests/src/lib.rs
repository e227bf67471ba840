//! A tiny HTTP client for the black-box tests: the base URL comes from `GATEHOUSE_URL`, which
//! `make test` sets after starting `cargo lambda watch` over DynamoDB Local.

use serde_json::Value;
use ureq::Agent;

pub struct Api {
    base: String,
    agent: Agent,
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
    pub fn new() -> Self {
        let base = std::env::var("GATEHOUSE_URL")
            .expect("GATEHOUSE_URL must name the running stack: run the tests with `make test`");
        let agent = Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Api { base, agent }
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
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(kind) = content_type {
            request = request.header("Content-Type", kind);
        }
        if let Some(token) = bearer {
            request = request.header("Authorization", format!("Bearer {token}"));
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
        let body =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        Reply {
            status,
            headers,
            body,
        }
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

/// An address no other test uses, so tests share one running stack and still run in parallel.
pub fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}
