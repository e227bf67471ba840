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
    /// Print the API's OpenAPI document (what `GET /api/v1/openapi.json` serves).
    Openapi,
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
    let command = match cli.group {
        Group::Auth(command) => command,
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
    let (payload, describe) = command.into_payload();
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
