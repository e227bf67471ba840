//! `make bench`: drives the local stack (release builds, DynamoDB Local) over HTTP and prints,
//! per endpoint, p50/p95/p99 latency and requests per second at concurrency 1 and 8; measures
//! the floors (one Argon2id verification, one DynamoDB GetItem round trip) and the ratios to
//! them; and counts the DynamoDB calls each endpoint makes, through the store's own counter.
//!
//! Settings come from the environment `infra/bench.sh` sets: `GATEHOUSE_URL`, `TABLE_NAME`,
//! `DYNAMODB_ENDPOINT`, `SECRET_KEY`, `INVITE_ACCEPTANCE_MODE=token` and raised rate limits.

use lambda_http::http::Method;
use serde_json::{json, Value};
use shared::{App, Settings, Store, SystemClock};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    ]
}

/// The DynamoDB calls one request of each endpoint makes, counted by the store in process.
async fn calls_per_request(app: &App, http: &Client, admin: &str, details_org: i64) -> Vec<(&'static str, u64)> {
    let login = http.login("login0@example.com");
    let joiner = http.login("joiner@example.com");
    let org = http.ok(&Call::new(Method::POST, "/api/v1/orgs")
        .token(admin)
        .json(json!({ "name": "Count", "slug": format!("count-{}", uuid::Uuid::new_v4().simple()) })));
    let invite = http.ok(&Call::new(Method::POST, format!("/api/v1/orgs/{}/invites", org["id"]))
        .token(admin)
        .json(json!({ "email": format!("count-{}@example.com", uuid::Uuid::new_v4().simple()) })));
    let calls = vec![
        ("POST /auth/register", Call::new(Method::POST, "/api/v1/auth/register").json(json!({ "email": format!("count-{}@example.com", uuid::Uuid::new_v4().simple()), "password": PASSWORD }))),
        ("POST /auth/token", Call::new(Method::POST, "/api/v1/auth/token").form(format!("username=login0@example.com&password={PASSWORD}"))),
        ("GET /auth/me", Call::new(Method::GET, "/api/v1/auth/me").token(admin)),
        ("POST /auth/logout", Call::new(Method::POST, "/api/v1/auth/logout").token(&login)),
        ("POST /orgs", Call::new(Method::POST, "/api/v1/orgs").token(admin).json(json!({ "name": "Count", "slug": format!("count-{}", uuid::Uuid::new_v4().simple()) }))),
        ("GET /orgs/{id}/members/details", Call::new(Method::GET, format!("/api/v1/orgs/{details_org}/members/details")).token(admin)),
        ("POST /auth/accept-invite", Call::new(Method::POST, "/api/v1/auth/accept-invite").token(&joiner).json(json!({ "token": invite["token"] }))),
    ];
    let mut counts = Vec::new();
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
        let before = app.db.calls();
        let response = shared::http::functions::handle(app, request.body(body).unwrap()).await;
        assert!(response.status().is_success(), "{name}: {:?}", response.body());
        counts.push((name, app.db.calls() - before));
    }
    counts
}

#[tokio::main]
async fn main() {
    let base = std::env::var("GATEHOUSE_URL").expect("GATEHOUSE_URL: run `make bench`");
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
    let store = Store::new(client, settings.table_name.clone());
    let app = App::new(settings, store, Arc::new(SystemClock));
    let password = shared::model::Password::parse(PASSWORD.into(), "password").expect("the bench password passes");
    let hash = shared::domain::password::hash(&password).await;
    let mut verify = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        assert!(shared::domain::password::verify(password.secret().clone(), Some(hash.clone())).await);
        verify.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let verify_ms = median(verify);
    let mut get = Vec::new();
    for i in 0..250 {
        let t = Instant::now();
        assert!(app.db.read_user_item(1).await.unwrap(), "the admin is user 1");
        if i >= 50 {
            get.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let get_ms = median(get);
    let counts = calls_per_request(&app, &http, &admin, details_org).await;

    println!(
        "Gatehouse bench ({} logical CPUs), release build under cargo lambda watch, DynamoDB Local",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| endpoint | DynamoDB calls | c=1 p50 | p95 | p99 | req/s | c={CONCURRENCY} p50 | p95 | p99 | req/s |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut p50_of = std::collections::HashMap::new();
    for (i, (name, workload)) in workloads(admin.clone(), details_org).into_iter().enumerate() {
        let warm = workload(&http, 5, &format!("{run_id}w{i}"));
        run(&http, warm, 1);
        let one = run(&http, workload(&http, SEQUENTIAL, &format!("{run_id}a{i}")), 1);
        let many = run(&http, workload(&http, PARALLEL, &format!("{run_id}b{i}")), CONCURRENCY);
        let calls = counts.iter().find(|(n, _)| *n == name).map_or(0, |(_, c)| *c);
        p50_of.insert(name, one.p50);
        println!(
            "| {name} | {calls} | {:.1} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.1} | {:.0} |",
            one.p50, one.p95, one.p99, one.rps, many.p50, many.p95, many.p99, many.rps
        );
    }
    let login_calls = counts
        .iter()
        .find(|(n, _)| *n == "POST /auth/token")
        .map_or(0, |(_, c)| *c) as f64;
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
}
