//! `make bench`: drives the local stack (release builds, DynamoDB Local) over HTTP and prints,
//! per endpoint, p50/p95/p99 latency and requests per second at concurrency 1 and 8; measures
//! the floors (one Argon2id verification, one DynamoDB GetItem round trip) and the ratios to
//! them; and counts the DynamoDB calls each endpoint makes, through the store's own counter.
//!
//! Settings come from the environment `infra/bench.sh` sets: `GATEHOUSE_URL`, `TABLE_NAME`,
//! `DYNAMODB_ENDPOINT`, `SECRET_KEY`, `INVITE_ACCEPTANCE_MODE=token` and raised rate limits.

use lambda_http::http::Method;
use serde_json::{json, Value};
use shared::store::Capacity;
use shared::{App, Settings, Store, SystemClock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

const PASSWORD: &str = "BenchSecret123!";
const SEQUENTIAL: usize = 50;
const PARALLEL: usize = 200;
const CONCURRENCY: usize = 8;

/// One request the bench sends.
#[derive(Clone)]
struct Call {
    method: Method,
    path: String,
    token: Option<String>,
    json: Option<String>,
    form: Option<String>,
}

impl Call {
    fn new(method: Method, path: impl Into<String>) -> Self {
        Call {
            method,
            path: path.into(),
            token: None,
            json: None,
            form: None,
        }
    }
    fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }
    fn json(mut self, body: Value) -> Self {
        self.json = Some(body.to_string());
        self
    }
    fn form(mut self, body: String) -> Self {
        self.form = Some(body);
        self
    }
}

struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    fn send(&self, call: &Call) -> (u16, Value) {
        let mut request = ureq::http::Request::builder()
            .method(call.method.as_str())
            .uri(format!("{}{}", self.base, call.path));
        if let Some(token) = &call.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let body = if let Some(json) = &call.json {
            request = request.header("Content-Type", "application/json");
            json.clone()
        } else if let Some(form) = &call.form {
            request = request.header("Content-Type", "application/x-www-form-urlencoded");
            form.clone()
        } else {
            String::new()
        };
        let mut response = self
            .agent
            .run(request.body(body).expect("valid request"))
            .expect("the stack answers");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn ok(&self, call: &Call) -> Value {
        let (status, body) = self.send(call);
        assert!(
            (200..300).contains(&status),
            "{} {} -> {status} {body}",
            call.method,
            call.path
        );
        body
    }

    fn login(&self, email: &str) -> String {
        let body = self
            .ok(&Call::new(Method::POST, "/api/v1/auth/token").form(format!("username={email}&password={PASSWORD}")));
        body["access_token"].as_str().unwrap().to_string()
    }
}

struct Stats {
    p50: f64,
    p95: f64,
    p99: f64,
    rps: f64,
}

/// Sends `calls` with `concurrency` threads; every answer must be a success.
fn run(client: &Arc<Client>, calls: Vec<Call>, concurrency: usize) -> Stats {
    let calls = Arc::new(calls);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, calls, next) = (client.clone(), calls.clone(), next.clone());
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(call) = calls.get(i) else { return latencies };
                    let t = Instant::now();
                    client.ok(call);
                    latencies.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    let wall = started.elapsed();
    latencies.sort();
    let pick =
        |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1)].as_secs_f64() * 1000.0;
    Stats {
        p50: pick(0.50),
        p95: pick(0.95),
        p99: pick(0.99),
        rps: latencies.len() as f64 / wall.as_secs_f64(),
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Builds the calls for one endpoint: `n` of them, with whatever state they need prepared.
type Workload = Box<dyn Fn(&Client, usize, &str) -> Vec<Call>>;

fn workloads(admin: String, details_org: i64) -> Vec<(&'static str, Workload)> {
    let me_token = admin.clone();
    let orgs_token = admin.clone();
    let details_token = admin.clone();
    let invite_token = admin;
    vec![
        (
            "POST /auth/register",
            Box::new(|_, n, run| {
                (0..n)
                    .map(|i| {
                        Call::new(Method::POST, "/api/v1/auth/register")
                            .json(json!({ "email": format!("reg-{run}-{i}@example.com"), "password": PASSWORD }))
                    })
                    .collect()
            }),
        ),
        (
            "POST /auth/token",
            Box::new(|_, n, _| {
                (0..n)
                    .map(|i| {
                        Call::new(Method::POST, "/api/v1/auth/token").form(format!(
                            "username=login{}@example.com&password={PASSWORD}",
                            i % CONCURRENCY
                        ))
                    })
                    .collect()
            }),
        ),
        (
            "POST /auth/refresh",
            Box::new(|client, n, _| {
                (0..n)
                    .map(|i| {
                        let pair = client.ok(&Call::new(Method::POST, "/api/v1/auth/token").form(format!(
                            "username=login{}@example.com&password={PASSWORD}",
                            i % CONCURRENCY
                        )));
                        Call::new(Method::POST, "/api/v1/auth/refresh")
                            .json(json!({ "refresh_token": pair["refresh_token"] }))
                    })
                    .collect()
            }),
        ),
        (
            "GET /auth/me",
            Box::new(move |_, n, _| {
                (0..n)
                    .map(|_| Call::new(Method::GET, "/api/v1/auth/me").token(&me_token))
                    .collect()
            }),
        ),
        (
            "POST /auth/logout",
            Box::new(|client, n, _| {
                (0..n)
                    .map(|i| {
                        Call::new(Method::POST, "/api/v1/auth/logout")
                            .token(&client.login(&format!("login{}@example.com", i % CONCURRENCY)))
                    })
                    .collect()
            }),
        ),
        (
            "POST /orgs",
            Box::new(move |_, n, run| {
                (0..n)
                    .map(|i| {
                        Call::new(Method::POST, "/api/v1/orgs")
                            .token(&orgs_token)
                            .json(json!({ "name": "Bench", "slug": format!("bench-{run}-{i}") }))
                    })
                    .collect()
            }),
        ),
        (
            "GET /orgs/{id}/members/details",
            Box::new(move |_, n, _| {
                (0..n)
                    .map(|_| {
                        Call::new(Method::GET, format!("/api/v1/orgs/{details_org}/members/details"))
                            .token(&details_token)
                    })
                    .collect()
            }),
        ),
        (
            "POST /auth/accept-invite",
            Box::new(move |client, n, run| {
                let joiner = client.login("joiner@example.com");
                (0..n)
                    .map(|i| {
                        let org = client.ok(&Call::new(Method::POST, "/api/v1/orgs")
                            .token(&invite_token)
                            .json(json!({ "name": "Invites", "slug": format!("inv-{run}-{i}") })));
                        let path = format!("/api/v1/orgs/{}/invites", org["id"]);
                        let invite = client.ok(&Call::new(Method::POST, path)
                            .token(&invite_token)
                            .json(json!({ "email": format!("invited-{run}-{i}@example.com") })));
                        Call::new(Method::POST, "/api/v1/auth/accept-invite")
                            .token(&joiner)
                            .json(json!({ "token": invite["token"] }))
                    })
                    .collect()
            }),
        ),
        (
            "POST /auth/password-reset/request",
            Box::new(|_, n, _| {
                (0..n)
                    .map(|i| {
                        Call::new(Method::POST, "/api/v1/auth/password-reset/request")
                            .json(json!({ "email": format!("login{}@example.com", i % CONCURRENCY) }))
                    })
                    .collect()
            }),
        ),
    ]
}

/// Bytes the functions' log subscriber has written (see `count_logs`).
static LOG_BYTES: AtomicU64 = AtomicU64::new(0);
static LOG_LINES: AtomicU64 = AtomicU64::new(0);

/// A writer that only counts: the in-process requests log through the same subscriber the
/// functions install (`lambda_http::tracing`, JSON as `LogFormat: JSON` in template.yaml sets it,
/// at `RUST_LOG=info`, the template's default), so the bytes are what CloudWatch would ingest from
/// the function itself.
struct CountingWriter;

impl std::io::Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG_BYTES.fetch_add(buf.len() as u64, Ordering::Relaxed);
        LOG_LINES.fetch_add(buf.iter().filter(|b| **b == b'\n').count() as u64, Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn count_logs() {
    std::env::set_var("AWS_LAMBDA_LOG_FORMAT", "JSON");
    std::env::set_var("RUST_LOG", "info");
    lambda_http::tracing::init_default_subscriber_with_writer(|| CountingWriter);
}

/// What one request of an endpoint costs, measured in process through the store.
struct Measured {
    name: &'static str,
    calls: u64,
    capacity: Capacity,
    log_bytes: u64,
    log_lines: u64,
    operations: Vec<&'static str>,
}

/// The DynamoDB calls, consumed capacity and log bytes of one request of each endpoint, counted
/// by the store's interceptors in process (the same handler the functions run).
async fn measure_requests(app: &App, http: &Client, admin: &str, details_org: i64) -> Vec<Measured> {
    let login = http.login("login0@example.com");
    let joiner = http.login("joiner@example.com");
    let refresh_token = http
        .ok(&Call::new(Method::POST, "/api/v1/auth/token")
            .form(format!("username=login1@example.com&password={PASSWORD}")))["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let org = http.ok(&Call::new(Method::POST, "/api/v1/orgs")
        .token(admin)
        .json(json!({ "name": "Count", "slug": format!("count-{}", uuid::Uuid::new_v4().simple()) })));
    let invite = http.ok(&Call::new(Method::POST, format!("/api/v1/orgs/{}/invites", org["id"]))
        .token(admin)
        .json(json!({ "email": format!("count-{}@example.com", uuid::Uuid::new_v4().simple()) })));
    let calls = vec![
        ("POST /auth/register", Call::new(Method::POST, "/api/v1/auth/register").json(json!({ "email": format!("count-{}@example.com", uuid::Uuid::new_v4().simple()), "password": PASSWORD }))),
        ("POST /auth/token", Call::new(Method::POST, "/api/v1/auth/token").form(format!("username=login0@example.com&password={PASSWORD}"))),
        ("POST /auth/refresh", Call::new(Method::POST, "/api/v1/auth/refresh").json(json!({ "refresh_token": refresh_token }))),
        ("GET /auth/me", Call::new(Method::GET, "/api/v1/auth/me").token(admin)),
        ("POST /auth/logout", Call::new(Method::POST, "/api/v1/auth/logout").token(&login)),
        ("POST /orgs", Call::new(Method::POST, "/api/v1/orgs").token(admin).json(json!({ "name": "Count", "slug": format!("count-{}", uuid::Uuid::new_v4().simple()) }))),
        ("GET /orgs/{id}/members/details", Call::new(Method::GET, format!("/api/v1/orgs/{details_org}/members/details")).token(admin)),
        ("POST /auth/accept-invite", Call::new(Method::POST, "/api/v1/auth/accept-invite").token(&joiner).json(json!({ "token": invite["token"] }))),
        ("POST /auth/password-reset/request", Call::new(Method::POST, "/api/v1/auth/password-reset/request").json(json!({ "email": "login2@example.com" }))),
    ];
    let mut measured = Vec::new();
    for (name, call) in calls {
        let mut request = lambda_http::http::Request::builder()
            .method(call.method.clone())
            .uri(format!("https://localhost{}", call.path));
        if let Some(token) = &call.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match (&call.json, &call.form) {
            (Some(json), _) => {
                request = request.header("content-type", "application/json");
                lambda_http::Body::Text(json.clone())
            }
            (_, Some(form)) => {
                request = request.header("content-type", "application/x-www-form-urlencoded");
                lambda_http::Body::Text(form.clone())
            }
            _ => lambda_http::Body::Empty,
        };
        let (calls, capacity, ops) = (app.db.calls(), app.db.capacity(), app.db.operations().len());
        let (bytes, lines) = (LOG_BYTES.load(Ordering::Relaxed), LOG_LINES.load(Ordering::Relaxed));
        // The span lambda_runtime opens around every invocation (its fields are on every line).
        let span = tracing::info_span!("Lambda runtime invoke", requestId = %uuid::Uuid::new_v4());
        let response = shared::http::functions::handle(app, request.body(body).unwrap())
            .instrument(span)
            .await;
        assert!(response.status().is_success(), "{name}: {:?}", response.body());
        measured.push(Measured {
            name,
            calls: app.db.calls() - calls,
            capacity: app.db.capacity() - capacity,
            log_bytes: LOG_BYTES.load(Ordering::Relaxed) - bytes,
            log_lines: LOG_LINES.load(Ordering::Relaxed) - lines,
            operations: app.db.operations()[ops..].to_vec(),
        });
    }
    measured
}

/// The function serving a path (as template.yaml routes it).
fn function_of(route: &str) -> &'static str {
    let path = route.split_once(' ').map_or(route, |(_, p)| p);
    if path.starts_with("/orgs") {
        "orgs"
    } else if path.starts_with("/auth/users") {
        "users"
    } else {
        "auth"
    }
}

/// `MemorySize` per function binary from template.yaml (a resource's own, else `Globals`').
fn memory_sizes(template: &str) -> HashMap<String, u64> {
    let mut default = 128;
    let mut sizes = HashMap::new();
    let (mut binary, mut memory): (Option<String>, Option<u64>) = (None, None);
    let mut in_globals = false;
    let mut flush = |binary: &mut Option<String>, memory: &mut Option<u64>, default: u64| {
        if let Some(b) = binary.take() {
            sizes.insert(b, memory.unwrap_or(default));
        }
        *memory = None;
    };
    for line in template.lines() {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        if indent == 0 && !text.is_empty() {
            in_globals = text == "Globals:";
        }
        if indent == 2 && text.ends_with(':') {
            flush(&mut binary, &mut memory, default);
        }
        if let Some(v) = text.strip_prefix("Binary:") {
            binary = Some(v.trim().to_string());
        }
        if let Some(v) = text.strip_prefix("MemorySize:").and_then(|v| v.trim().parse().ok()) {
            if in_globals {
                default = v;
            } else {
                memory = Some(v);
            }
        }
    }
    flush(&mut binary, &mut memory, default);
    sizes
}

/// One vCPU per 1,769 MB (Lambda's documented ratio); below that a function gets that share of
/// one core. The bench machine's core is assumed as fast as a Lambda vCPU.
const MB_PER_VCPU: f64 = 1769.0;
/// An in-region DynamoDB round trip from Lambda (single-digit ms; GetItem ~3-5 ms): an
/// assumption, not a measurement — DynamoDB Local on the same machine answers in ~0.5 ms.
const AWS_DYNAMODB_RTT_MS: f64 = 4.0;

/// Estimated billed Lambda duration of a request at `memory_mb`: the measured p50 minus its
/// local DynamoDB round trips is CPU time on one full core, stretched by the CPU share; each
/// DynamoDB call then waits an in-region round trip instead of the local one.
fn lambda_ms(p50: f64, calls: u64, local_rtt: f64, memory_mb: u64) -> f64 {
    let cpu = (p50 - calls as f64 * local_rtt).max(0.0);
    let share = (memory_mb as f64 / MB_PER_VCPU).min(1.0);
    cpu / share + calls as f64 * AWS_DYNAMODB_RTT_MS
}

/// Median of 21 single-core Argon2id verifications of the bench password, in ms.
async fn argon2_verify_ms() -> f64 {
    let password = shared::model::Password::parse(PASSWORD.into(), "password").expect("the bench password passes");
    let hash = shared::domain::password::hash(&password).await;
    let mut verify = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        assert!(shared::domain::password::verify(password.secret().clone(), Some(hash.clone())).await);
        verify.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    median(verify)
}

#[tokio::main]
async fn main() {
    // `bench --argon2`: only the hashing floor (to compare builds, e.g. opt-level "s").
    if std::env::args().any(|a| a == "--argon2") {
        println!(
            "Argon2id verify (m=19456, t=2, p=1): {:.1} ms",
            argon2_verify_ms().await
        );
        return;
    }
    let base = std::env::var("GATEHOUSE_URL").expect("GATEHOUSE_URL: run `make bench`");
    count_logs();
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let http = Arc::new(Client { base, agent });
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();

    // State: an admin (the first user), login users, an org with ten members.
    let admin_email = "admin@example.com";
    for email in std::iter::once(admin_email.to_string())
        .chain((0..CONCURRENCY).map(|i| format!("login{i}@example.com")))
        .chain(["joiner@example.com".to_string()])
        .chain((0..9).map(|i| format!("member{i}@example.com")))
    {
        http.ok(&Call::new(Method::POST, "/api/v1/auth/register").json(json!({ "email": email, "password": PASSWORD })));
    }
    let admin = http.login(admin_email);
    let details_org = http.ok(&Call::new(Method::POST, "/api/v1/orgs")
        .token(&admin)
        .json(json!({ "name": "Details", "slug": "details" })))["id"]
        .as_i64()
        .unwrap();
    for id in 11..20 {
        http.ok(&Call::new(Method::POST, format!("/api/v1/orgs/{details_org}/members?user_id={id}")).token(&admin));
    }

    // Floors, in process.
    let settings = Settings::from_env().expect("bench settings");
    let client = shared::store::connect(settings.dynamodb_endpoint.as_deref()).await;
    let store = Store::new(client, settings.table_name.clone()).with_capacity_meter();
    let keys = shared::key_source::open(&settings.key_source, shared::Clock::now(&SystemClock))
        .await
        .expect("the bench key set opens");
    let app = App::new(settings, store, Arc::new(SystemClock), keys);
    let verify_ms = argon2_verify_ms().await;
    let mut get = Vec::new();
    for i in 0..250 {
        let t = Instant::now();
        assert!(app.db.read_user_item(1).await.unwrap(), "the admin is user 1");
        if i >= 50 {
            get.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let get_ms = median(get);
    let measured = measure_requests(&app, &http, &admin, details_org).await;
    let memory = memory_sizes(&std::fs::read_to_string("template.yaml").expect("run from the repository root"));

    println!(
        "Gatehouse bench ({} logical CPUs), release build under cargo lambda watch, DynamoDB Local",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| endpoint | DynamoDB calls | RCU | WCU | log bytes | c=1 p50 | p95 | p99 | req/s | c={CONCURRENCY} p50 | p95 | p99 | req/s | Lambda ms (MB) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut p50_of = HashMap::new();
    let mut routes = Vec::new();
    let benched = workloads(admin.clone(), details_org);
    for m in &measured {
        let function = function_of(m.name);
        let memory_mb = memory.get(function).copied().unwrap_or(128);
        let timing = match benched.iter().position(|(name, _)| *name == m.name) {
            Some(i) => {
                let workload = &benched[i].1;
                let warm = workload(&http, 5, &format!("{run_id}w{i}"));
                run(&http, warm, 1);
                let one = run(&http, workload(&http, SEQUENTIAL, &format!("{run_id}a{i}")), 1);
                let many = run(&http, workload(&http, PARALLEL, &format!("{run_id}b{i}")), CONCURRENCY);
                p50_of.insert(m.name, one.p50);
                Some((one, many))
            }
            None => None,
        };
        let estimate = timing
            .as_ref()
            .map(|(one, _)| lambda_ms(one.p50, m.calls, get_ms, memory_mb));
        let cell = |f: &dyn Fn(&(Stats, Stats)) -> String| timing.as_ref().map_or("-".to_string(), f);
        println!(
            "| {} | {} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            m.name,
            m.calls,
            m.capacity.read,
            m.capacity.write,
            m.log_bytes,
            cell(&|(one, _)| format!("{:.1}", one.p50)),
            cell(&|(one, _)| format!("{:.1}", one.p95)),
            cell(&|(one, _)| format!("{:.1}", one.p99)),
            cell(&|(one, _)| format!("{:.0}", one.rps)),
            cell(&|(_, many)| format!("{:.1}", many.p50)),
            cell(&|(_, many)| format!("{:.1}", many.p95)),
            cell(&|(_, many)| format!("{:.1}", many.p99)),
            cell(&|(_, many)| format!("{:.0}", many.rps)),
            estimate.map_or("-".to_string(), |ms| format!("{ms:.1} ({memory_mb})")),
        );
        if m.capacity.unreported > 0 {
            println!(
                "  ({}: {} operations answered without ConsumedCapacity)",
                m.name, m.capacity.unreported
            );
        }
        routes.push(json!({
            "route": m.name,
            "function": function,
            "memory_mb": memory_mb,
            "dynamodb_calls": m.calls,
            "read_units": m.capacity.read,
            "write_units": m.capacity.write,
            "unreported_capacity": m.capacity.unreported,
            "log_bytes": m.log_bytes,
            "log_lines": m.log_lines,
            "operations": m.operations,
            "p50_ms": timing.as_ref().map(|(one, _)| one.p50),
            "p95_ms": timing.as_ref().map(|(one, _)| one.p95),
            "c8_rps": timing.as_ref().map(|(_, many)| many.rps),
            "lambda_ms_estimate": estimate,
        }));
    }

    println!();
    println!("DynamoDB operations per request, in order:");
    for m in &measured {
        println!("  {}: {}", m.name, m.operations.join(", "));
    }
    println!();
    println!("Function binaries (stripped release, target/release):");
    let mut functions = Vec::new();
    for name in ["auth", "users", "orgs", "web", "seed"] {
        let size = std::fs::metadata(format!("target/release/{name}")).map_or(0, |m| m.len());
        let memory_mb = memory.get(name).copied().unwrap_or(128);
        println!(
            "  {name}: {:.2} MB ({size} bytes), MemorySize {memory_mb} MB",
            size as f64 / 1e6
        );
        functions.push(json!({ "function": name, "size_bytes": size, "memory_mb": memory_mb }));
    }

    let login_calls = measured
        .iter()
        .find(|m| m.name == "POST /auth/token")
        .map_or(0, |m| m.calls) as f64;
    let login_floor = verify_ms + login_calls * get_ms;
    println!();
    println!("Floors: Argon2id verify (m=19456, t=2, p=1) {verify_ms:.1} ms; DynamoDB Local GetItem round trip {get_ms:.2} ms");
    println!(
        "login p50 / (verify + {login_calls:.0} round trips) = {:.1} / {login_floor:.1} = {:.2}",
        p50_of["POST /auth/token"],
        p50_of["POST /auth/token"] / login_floor
    );
    println!(
        "me p50 / GetItem = {:.2} / {get_ms:.2} = {:.2}",
        p50_of["GET /auth/me"],
        p50_of["GET /auth/me"] / get_ms
    );
    println!(
        "Lambda ms: (p50 - calls x {get_ms:.2} ms local round trip) x {MB_PER_VCPU} / min(MemorySize, {MB_PER_VCPU}) \
         + calls x {AWS_DYNAMODB_RTT_MS} ms assumed in-region round trip; the bench core is taken as one Lambda vCPU."
    );

    let out = std::env::var("BENCH_JSON").unwrap_or_else(|_| "bench/results.json".into());
    let report = json!({
        "logical_cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "argon2_verify_ms": verify_ms,
        "dynamodb_local_rtt_ms": get_ms,
        "assumed_aws_dynamodb_rtt_ms": AWS_DYNAMODB_RTT_MS,
        "mb_per_vcpu": MB_PER_VCPU,
        "routes": routes,
        "functions": functions,
    });
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap() + "\n").expect("the bench writes its JSON");
    println!("Wrote {out}");
}
