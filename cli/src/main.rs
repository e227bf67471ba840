//! `gatehouse`: the admin CLI. Each command is one invocation of the seed function through the
//! Lambda Invoke API: locally the one `cargo lambda watch` serves (the default), on AWS the
//! deployed function (`--aws`). Text by default, `--json` for scripts; any failure exits 1 with
//! one line on stderr.

mod output;
mod seed_client;

use clap::{Args, Parser, Subcommand};
use seed_client::SeedClient;
use serde_json::{json, Value};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "gatehouse", version, about = "Gatehouse admin CLI")]
struct Cli {
    #[command(flatten)]
    target: Target,
    /// Print the result as JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    group: Group,
}

#[derive(Args)]
struct Target {
    /// Invoke the function deployed on AWS (credentials and region from the usual AWS settings).
    #[arg(long, global = true)]
    aws: bool,
    /// Where `cargo lambda watch` serves the functions locally.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_LAMBDA_ENDPOINT",
        default_value = "http://127.0.0.1:8000"
    )]
    endpoint: String,
    /// The seed function's name: `seed` locally; on AWS the stack's `SeedFunctionName` output.
    #[arg(long, global = true, env = "GATEHOUSE_SEED_FUNCTION", default_value = "seed")]
    function_name: String,
    /// AWS region (with --aws); defaults to the AWS settings of the environment.
    #[arg(long, global = true)]
    region: Option<String>,
}

#[derive(Subcommand)]
enum Group {
    /// User and table administration.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// The signing keys: list, rotate, prune; generate a new key set.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The audit trail, newest first, one page at a time (what `GET /api/v1/audit` reads).
    Audit(AuditArgs),
    /// Print the API's OpenAPI document (what `GET /api/v1/openapi.json` serves).
    Openapi,
}

#[derive(Args)]
struct AuditArgs {
    /// Only this organization's events.
    #[arg(long = "org")]
    org_id: Option<i64>,
    /// Only the events this user did.
    #[arg(long = "actor")]
    actor_id: Option<i64>,
    /// Only events of this type, e.g. auth.login_failed.
    #[arg(long = "type")]
    event_type: Option<String>,
    /// Only events at or after this time (RFC 3339, or a date: 2026-12-01).
    #[arg(long)]
    since: Option<String>,
    /// Only events at or before this time (RFC 3339, or a date: the whole day).
    #[arg(long)]
    until: Option<String>,
    /// Events per page.
    #[arg(long, default_value_t = 50)]
    limit: i32,
    /// Where the previous page left off (its `more: --cursor …`).
    #[arg(long)]
    cursor: Option<String>,
}

impl AuditArgs {
    fn into_payload(self) -> (Value, fn(&Value) -> String) {
        (
            json!({ "command": "audit", "org_id": self.org_id, "actor_id": self.actor_id,
                    "event_type": self.event_type, "since": self.since, "until": self.until,
                    "limit": self.limit, "cursor": self.cursor }),
            output::audit,
        )
    }
}

#[derive(Subcommand)]
enum KeysCommand {
    /// The signing keys: kid, algorithm, state (next, current, previous) and dates.
    List,
    /// Make a new key current (the staged one, if any); the old one keeps verifying until its
    /// tokens have expired. Expired previous keys are dropped.
    Rotate {
        /// Publish a next key in the JWKS without signing with it yet; the next `rotate` makes it
        /// current.
        #[arg(long)]
        stage: bool,
    },
    /// Drop the previous keys whose tokens have all expired.
    Prune,
    /// Print a new key set (root secret and one current key) for a Secrets Manager secret or a
    /// key set file; nothing is invoked.
    Generate {
        /// EdDSA (default), ES256 or HS256.
        #[arg(long, env = "JWT_ALGORITHM", default_value = "EdDSA")]
        algorithm: String,
        /// Write it to this file (owner-only permissions) instead of printing it; refuses to
        /// overwrite an existing file.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

impl KeysCommand {
    fn into_payload(self) -> (Value, fn(&Value) -> String) {
        match self {
            KeysCommand::List => (json!({ "command": "keys-list" }), output::keys),
            KeysCommand::Rotate { stage } => (json!({ "command": "keys-rotate", "stage": stage }), output::rotation),
            KeysCommand::Prune => (json!({ "command": "keys-prune" }), output::prune),
            KeysCommand::Generate { .. } => unreachable!("generate runs locally"),
        }
    }
}

/// `keys generate`: a fresh key set, printed or written to a new file.
fn generate(algorithm: &str, out: Option<std::path::PathBuf>) -> Result<(), String> {
    let algorithm: shared::model::SigningAlgorithm = algorithm.parse()?;
    let set = shared::domain::keys::KeySet::generate(algorithm, chrono::Utc::now());
    match out {
        None => {
            println!("{}", set.to_json());
            Ok(())
        }
        Some(path) => {
            if path.exists() {
                return Err(format!(
                    "{} exists already: keys generate does not overwrite a key set",
                    path.display()
                ));
            }
            shared::key_source::write_private_file(&path, &set.to_json())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!("wrote a new {algorithm} key set to {}", path.display());
            Ok(())
        }
    }
}

#[derive(Subcommand)]
enum AuthCommand {
    /// Create one user (password generated when omitted); the first user ever becomes admin.
    CreateTestUser {
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        password: Option<String>,
        #[arg(long)]
        full_name: Option<String>,
        /// Without --email: the next free <prefix>@, <prefix>1@, … address.
        #[arg(long, default_value = "test")]
        prefix: String,
        #[arg(long, default_value = "example.com")]
        domain: String,
    },
    /// Create several users <prefix>1@<domain>, … sharing one password.
    CreateTestUsers {
        #[arg(long, default_value_t = 5)]
        count: u32,
        #[arg(long, default_value = "test")]
        prefix: String,
        #[arg(long, default_value = "example.com")]
        domain: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// List every user, newest first.
    ListUsers,
    /// Set a user's global role (admin, moderator, user).
    PromoteUser {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "admin")]
        role: String,
    },
    /// Print the captured mail (MAIL_TRANSPORT=capture), newest first.
    Outbox {
        /// Only messages to this address.
        #[arg(long)]
        to: Option<String>,
    },
    /// Check that the seed function answers and which table it uses.
    Ping,
    /// Create the table (keys, indexes, TTL) if it does not exist.
    CreateTable,
}

impl AuthCommand {
    /// The seed command, and how to show its result as text.
    fn into_payload(self) -> (Value, fn(&Value) -> String) {
        match self {
            AuthCommand::CreateTestUser {
                email,
                password,
                full_name,
                prefix,
                domain,
            } => (
                json!({ "command": "create-test-user", "email": email, "password": password,
                        "full_name": full_name, "prefix": prefix, "domain": domain }),
                |r| output::created_users(std::slice::from_ref(r)),
            ),
            AuthCommand::CreateTestUsers {
                count,
                prefix,
                domain,
                password,
            } => (
                json!({ "command": "create-test-users", "count": count, "prefix": prefix,
                        "domain": domain, "password": password }),
                |r| output::created_users(r["users"].as_array().map(Vec::as_slice).unwrap_or_default()),
            ),
            AuthCommand::ListUsers => (json!({ "command": "list-users" }), output::users),
            AuthCommand::PromoteUser { email, role } => (
                json!({ "command": "promote-user", "email": email, "role": role }),
                |r| r["message"].as_str().unwrap_or_default().to_string(),
            ),
            AuthCommand::Outbox { to } => (json!({ "command": "outbox", "to": to }), output::outbox),
            AuthCommand::Ping => (json!({ "command": "ping" }), |r| {
                format!("pong (table {})", r["table"].as_str().unwrap_or("?"))
            }),
            AuthCommand::CreateTable => (json!({ "command": "create-table" }), |r| {
                format!("table {} is ready", r["table"].as_str().unwrap_or("?"))
            }),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let (payload, describe) = match cli.group {
        Group::Auth(command) => command.into_payload(),
        Group::Keys(KeysCommand::Generate { algorithm, out }) => {
            return match generate(&algorithm, out) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("gatehouse: {message}");
                    ExitCode::FAILURE
                }
            };
        }
        Group::Keys(command) => command.into_payload(),
        Group::Audit(args) => args.into_payload(),
        Group::Openapi => {
            let document = shared::openapi::document();
            println!(
                "{}",
                serde_json::to_string_pretty(&document).expect("the document serializes")
            );
            return ExitCode::SUCCESS;
        }
    };
    let client = SeedClient::new(&cli.target).await;
    match client.invoke(payload).await {
        Ok(result) => {
            println!(
                "{}",
                if cli.json {
                    result.to_string()
                } else {
                    describe(&result)
                }
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("gatehouse: {message}");
            ExitCode::FAILURE
        }
    }
}
