//! Drives the handlers like API Gateway would, against DynamoDB Local, with a fresh table per
//! test so that tests run in parallel.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::http::{Method, Request};
use lambda_http::Body;
use serde_json::Value;
use shared::store::{ItemKind, StoredItem};
use shared::{App, ManualClock, Settings, Store};
use std::collections::HashMap;
use std::sync::Arc;

pub const SECRET: &str = "integration-tests-secret-key-0123456789abcdef";
pub const PASSWORD: &str = "Secret1234!";

/// A new key set of `alg` in a file of its own under the system's temporary directory.
pub fn key_set_file(alg: shared::model::SigningAlgorithm) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join("gatehouse-test-keys");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.json", uuid::Uuid::new_v4()));
    let set = shared::domain::keys::KeySet::generate(alg, chrono::Utc::now());
    shared::key_source::write_private_file(&path, &set.to_json()).unwrap();
    path
}

pub struct TestApp {
    pub app: App,
    pub clock: ManualClock,
    /// The settings' environment, for `sibling`.
    env: HashMap<String, String>,
}

/// One request a test sends.
pub struct Call {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Call {
    /// A request with an optional bearer token and an optional JSON body.
    pub fn json(method: Method, path: &str, token: Option<&str>, json: Option<&str>) -> Call {
        let mut headers = Vec::new();
        if let Some(token) = token {
            headers.push(("authorization".to_string(), format!("Bearer {token}")));
        }
        if json.is_some() {
            headers.push(("content-type".to_string(), "application/json".to_string()));
        }
        let body = json.map_or(Body::Empty, |j| Body::Text(j.to_string()));
        Call {
            method,
            path: path.to_string(),
            headers,
            body,
        }
    }

    pub fn form(path: &str, form: &str) -> Call {
        let headers = vec![(
            "content-type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        )];
        Call {
            method: Method::POST,
            path: path.to_string(),
            headers,
            body: Body::Text(form.to_string()),
        }
    }
}

/// Hands the call to the function API Gateway (and cargo-lambda's router) would send it to.
async fn deliver(app: &App, call: Call) -> Reply {
    let path = call.path.as_str();
    let mut builder = Request::builder()
        .method(call.method)
        .uri(format!("https://localhost{path}"));
    for (name, value) in &call.headers {
        builder = builder.header(name, value);
    }
    let request = builder.body(call.body).unwrap();
    let (parts, body) = shared::http::functions::handle(app, request).await.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("every response is JSON")
    };
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: lambda_http::http::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn detail(&self) -> &Value {
        &self.body["detail"]
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_env(&[]).await
    }

    /// A fresh table and an app whose settings are the defaults plus `overrides`.
    pub async fn with_env(overrides: &[(&str, &str)]) -> Self {
        let endpoint = std::env::var("DYNAMODB_ENDPOINT")
            .expect("DYNAMODB_ENDPOINT must point at DynamoDB Local: run the tests with `make test`");
        Self::with_endpoint(&endpoint, overrides).await
    }

    /// As `with_env`, with the app's DynamoDB at `endpoint` (a fault-injecting proxy).
    pub async fn with_endpoint(endpoint: &str, overrides: &[(&str, &str)]) -> Self {
        Self::on_table(endpoint, overrides, None).await
    }

    /// A second app over this one's table and key set, with its DynamoDB at `endpoint` and
    /// `overrides` on top of this one's settings: the fault-injection tests send the faulted
    /// request through it.
    pub async fn sibling_via(&self, endpoint: &str, overrides: &[(&str, &str)]) -> TestApp {
        Self::on_table(endpoint, overrides, Some(self)).await
    }

    async fn on_table(endpoint: &str, overrides: &[(&str, &str)], existing: Option<&TestApp>) -> Self {
        let fresh = existing.is_none();
        let mut env: HashMap<String, String> = match existing {
            Some(parent) => parent.env.clone(),
            None => HashMap::from([
                ("TABLE_NAME".into(), format!("test-{}", uuid::Uuid::new_v4())),
                ("APP_ENV".into(), "test".into()),
                // Mail stays in the table, where `outbox` reads it.
                ("MAIL_TRANSPORT".into(), "capture".into()),
            ]),
        };
        // A fresh EdDSA key set of its own, unless the test names a source.
        let names_a_source = overrides
            .iter()
            .any(|(k, _)| matches!(*k, "SECRET_KEY" | "KEY_SET_FILE" | "KEY_SET_SECRET_ID"));
        if fresh && !names_a_source {
            let path = key_set_file(shared::model::SigningAlgorithm::EdDSA);
            env.insert("KEY_SET_FILE".into(), path.display().to_string());
        }
        let table = env["TABLE_NAME"].clone();
        // Out of the way unless a test is about them: every request here comes from one client.
        for name in [
            "LOGIN",
            "REGISTER",
            "RESET",
            "RESEND_VERIFICATION",
            "MFA",
            "ORG_WRITE",
            "INVITE",
        ] {
            env.insert(format!("RATE_LIMIT_{name}_MAX"), "1000".into());
        }
        // A shared DynamoDB Local on a loaded machine can be slow: ordinary tests get a roomy
        // deadline; the fault-injection tests set a small one.
        env.insert("REQUEST_DEADLINE_MS".into(), "15000".into());
        for (k, v) in overrides {
            env.insert(k.to_string(), v.to_string());
        }
        let settings = Settings::from_lookup(|k| env.get(k).cloned()).expect("test settings are valid");
        let client = shared::store::connect(Some(endpoint)).await;
        let store = Store::new(client, table);
        if fresh {
            store.ensure_table().await.expect("create the test table");
        }
        let clock = ManualClock::starting_now();
        let keys = shared::key_source::open(&settings.key_source, shared::Clock::now(&clock))
            .await
            .expect("the test key set opens");
        let app = App::new(settings, store, Arc::new(clock.clone()), keys);
        TestApp { app, clock, env }
    }

    pub async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)], body: Body) -> Reply {
        let headers = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        deliver(
            &self.app,
            Call {
                method,
                path: path.to_string(),
                headers,
                body,
            },
        )
        .await
    }

    /// Sends every call at once, each on its own task (released together), like many clients in
    /// parallel; the replies come back in the order of the calls.
    pub async fn concurrently(&self, calls: Vec<Call>) -> Vec<Reply> {
        let start = Arc::new(tokio::sync::Barrier::new(calls.len()));
        let tasks: Vec<_> = calls
            .into_iter()
            .map(|call| {
                let (app, start) = (self.app.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    deliver(&app, call).await
                })
            })
            .collect();
        let mut replies = Vec::with_capacity(tasks.len());
        for task in tasks {
            replies.push(task.await.expect("a request task panicked"));
        }
        replies
    }

    pub async fn post_json(&self, path: &str, json: &str) -> Reply {
        let headers = [("content-type", "application/json")];
        self.send(Method::POST, path, &headers, Body::Text(json.into())).await
    }

    pub async fn post_form(&self, path: &str, form: &str) -> Reply {
        let headers = [("content-type", "application/x-www-form-urlencoded")];
        self.send(Method::POST, path, &headers, Body::Text(form.into())).await
    }

    /// A request with an optional bearer token and an optional JSON body.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, json: Option<&str>) -> Reply {
        deliver(&self.app, Call::json(method, path, token, json)).await
    }

    pub async fn get_with_token(&self, path: &str, token: &str) -> Reply {
        let auth = format!("Bearer {token}");
        self.send(Method::GET, path, &[("authorization", &auth)], Body::Empty)
            .await
    }

    pub async fn register(&self, email: &str, password: &str) -> Reply {
        let body = serde_json::json!({ "email": email, "password": password }).to_string();
        self.post_json("/api/v1/auth/register", &body).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("username", email)
            .append_pair("password", password)
            .finish();
        self.post_form("/api/v1/auth/token", &form).await
    }

    /// Registers `email` and returns a fresh access token for it.
    pub async fn user_with_token(&self, email: &str) -> String {
        assert_eq!(self.register(email, PASSWORD).await.status, 200);
        let reply = self.login(email, PASSWORD).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        reply.body["access_token"].as_str().unwrap().to_string()
    }

    /// Every item of the test's table, with what it is (tests only: the app never scans).
    pub async fn all_items(&self) -> Vec<StoredItem> {
        self.app.db.scan_items().await.unwrap()
    }

    /// Every data item (not rate-limit windows) in a comparable form, to show that a refused
    /// request changed nothing.
    pub async fn data_snapshot(&self) -> Vec<std::collections::BTreeMap<String, String>> {
        let mut rows: Vec<std::collections::BTreeMap<String, String>> = self
            .data_items()
            .await
            .iter()
            .map(|item| {
                item.attributes
                    .iter()
                    .map(|(name, value)| (name.clone(), format!("{value:?}")))
                    .collect()
            })
            .collect();
        rows.sort();
        rows
    }

    /// Every item but rate-limit windows (which any request, even a refused one, may fill).
    pub async fn data_items(&self) -> Vec<StoredItem> {
        let mut items = self.all_items().await;
        items.retain(|item| item.kind != ItemKind::RateSlot);
        items
    }

    /// How many user records the table holds.
    pub async fn count_users(&self) -> usize {
        self.count_items(&[ItemKind::User]).await
    }

    /// How many items of these kinds the table holds.
    pub async fn count_items(&self, kinds: &[ItemKind]) -> usize {
        self.all_items()
            .await
            .iter()
            .filter(|item| kinds.contains(&item.kind))
            .count()
    }

    /// Sets attributes of a stored user directly, for states no route can produce yet.
    pub async fn update_user(&self, id: i64, expression: &str, values: &[(&str, AttributeValue)]) {
        self.app.db.update_user_raw(id, expression, values).await.unwrap();
    }
}

impl TestApp {
    /// Another instance of the same deployment: the same table, clock and key set source, with a
    /// key set cache of its own (as a second Lambda instance would have).
    pub async fn sibling(&self) -> App {
        let settings = Settings::from_lookup(|k| self.env.get(k).cloned()).unwrap();
        let keys = shared::key_source::open(&settings.key_source, shared::Clock::now(&self.clock))
            .await
            .unwrap();
        App::new(settings, self.app.db.clone(), Arc::new(self.clock.clone()), keys)
    }

    /// The key set file this app reads (tests that forge tokens take keys from it).
    pub fn key_set_path(&self) -> std::path::PathBuf {
        self.env["KEY_SET_FILE"].clone().into()
    }

    pub fn clock_ms(&self) -> i64 {
        use shared::Clock;
        self.clock.now().timestamp_millis()
    }
}

/// The tokens of a 200 that answers a login or a refresh.
pub struct Pair {
    pub access: String,
    pub refresh: String,
}

pub fn pair(reply: &Reply) -> Pair {
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    Pair {
        access: reply.body["access_token"].as_str().unwrap().to_string(),
        refresh: reply.body["refresh_token"].as_str().unwrap().to_string(),
    }
}

/// Collects the audit events emitted on this test's thread (tests run on a current-thread
/// runtime, so that is every event of the test). One global subscriber writes each event into
/// the buffer of the thread that emitted it: scoped subscribers would race over tracing's
/// per-callsite interest cache when tests run in parallel.
pub struct AuditCapture {
    lines: Arc<std::sync::Mutex<Vec<u8>>>,
}

thread_local! {
    static CAPTURED: std::cell::RefCell<Option<Arc<std::sync::Mutex<Vec<u8>>>>> = const { std::cell::RefCell::new(None) };
}

struct ThisThreadsCapture;

impl std::io::Write for ThisThreadsCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with(|slot| {
            if let Some(buffer) = slot.borrow().as_ref() {
                buffer.lock().unwrap().extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl AuditCapture {
    pub fn start() -> Self {
        static GLOBAL: std::sync::Once = std::sync::Once::new();
        GLOBAL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_env_filter("audit=info,off")
                .with_writer(|| ThisThreadsCapture)
                .with_ansi(false)
                .with_target(false)
                .with_level(false)
                .without_time()
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("one global test subscriber");
        });
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        CAPTURED.with(|slot| *slot.borrow_mut() = Some(lines.clone()));
        AuditCapture { lines }
    }

    /// Every event so far, as the JSON objects that were logged.
    pub fn events(&self) -> Vec<Value> {
        let bytes = self.lines.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line.trim()).unwrap_or_else(|_| panic!("audit line is JSON: {line}")))
            .collect()
    }

    pub fn event_types(&self) -> Vec<String> {
        self.events()
            .iter()
            .map(|e| e["event_type"].as_str().unwrap().to_string())
            .collect()
    }

    /// Everything logged, to check that no secret reached a log line.
    pub fn raw(&self) -> String {
        String::from_utf8(self.lines.lock().unwrap().clone()).unwrap()
    }
}

impl TestApp {
    /// The messages in the outbox to `to`, newest first, through the seed command the CLI uses.
    pub async fn outbox(&self, to: &str) -> Vec<Value> {
        let reply = shared::seed::run(&self.app, serde_json::json!({ "command": "outbox", "to": to })).await;
        match reply {
            shared::seed::SeedReply::Ok { result } => result["messages"].as_array().unwrap().clone(),
            other => panic!("outbox failed: {other:?}"),
        }
    }

    /// The token in the newest message to `to` (the last line-long word of 43 URL-safe characters).
    pub async fn token_from_outbox(&self, to: &str, subject: &str) -> String {
        let messages = self.outbox(to).await;
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

    pub async fn post_json_with_token(&self, path: &str, json: &str, token: &str) -> Reply {
        let auth = format!("Bearer {token}");
        let headers = [("content-type", "application/json"), ("authorization", auth.as_str())];
        self.send(Method::POST, path, &headers, Body::Text(json.into())).await
    }
}

impl TestApp {
    /// A user written straight to the store with a shared password hash (so a test can make
    /// many without paying Argon2 for each) and a token issued for it: (id, token).
    pub async fn quick_user(&self, email: &str, role: shared::model::Role) -> (i64, String) {
        static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
        let hashed_password = HASH
            .get_or_init(|| async {
                let password = shared::model::Password::parse(PASSWORD.into(), "password").unwrap();
                shared::domain::password::hash(&password).await
            })
            .await
            .clone();
        let id = self.app.store.next_id("user").await.unwrap();
        let user = shared::model::User {
            id,
            email: email.to_string(),
            full_name: Some(format!("Quick {id}")),
            hashed_password,
            is_active: true,
            is_verified: false,
            role,
            last_login: None,
            created_at: shared::clock::format_timestamp(shared::Clock::now(&self.clock)),
            updated_at: None,
            tokens_valid_after_ms: None,
            reset_token_hash: None,
            verification_token_hash: None,
            email_change_token_hash: None,
            mfa_enabled: false,
        };
        let now = shared::Clock::now(&self.clock);
        let origin = shared::model::Origin::default();
        let amr = [shared::model::AMR_PASSWORD];
        let (session, first) = shared::domain::sessions::open(&self.app, id, "test", &origin, &amr, now);
        assert!(matches!(
            self.app
                .store
                .create_user(&user, false, None, Some((&session, &first)), &[])
                .await
                .unwrap(),
            shared::domain::ports::CreateUserOutcome::Created
        ));
        let pair = shared::domain::sessions::pair(&self.app, user, &session, now).await;
        (id, pair.access_token)
    }
}

/// A TOTP code (RFC 6238: HMAC-SHA-1, 6 digits, 30 s) of a base32 secret at `epoch_seconds`,
/// computed here rather than by the code under test.
pub fn totp(secret_base32: &str, epoch_seconds: i64) -> String {
    use hmac::{KeyInit, Mac};
    let mut secret = Vec::new();
    let (mut buffer, mut bits) = (0u64, 0);
    for c in secret_base32.trim_end_matches('=').chars() {
        let value = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).expect("a base32 secret") as u64;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            secret.push((buffer >> bits) as u8);
        }
    }
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(&secret).unwrap();
    mac.update(&((epoch_seconds / 30) as u64).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let value = u32::from_be_bytes(digest[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", value % 1_000_000)
}

/// The claims of an access token (its payload, unverified: the tests read what was issued).
pub fn claims_of(access_token: &str) -> Value {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let payload = Base64UrlUnpadded::decode_vec(access_token.split('.').nth(1).unwrap()).unwrap();
    serde_json::from_slice(&payload).unwrap()
}
