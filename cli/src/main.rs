//! `gatehouse`: the admin CLI. Each command is one invocation of the seed function through the
//! Lambda Invoke API: locally the one `cargo lambda watch` serves (the default), on AWS the
//! deployed function (`--aws`).

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
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_SEED_FUNCTION",
        default_value = "seed"
    )]
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
}

#[derive(Subcommand)]
enum AuthCommand {
    /// Check that the seed function answers and which table it uses.
    Ping,
    /// Create the table (keys, indexes, TTL) if it does not exist.
    CreateTable,
    /// Print the dev outbox (MAILER=outbox), newest first.
    Outbox {
        /// Only messages to this address.
        #[arg(long)]
        to: Option<String>,
    },
}

fn describe_outbox(result: &Value) -> String {
    let messages = result["messages"].as_array().cloned().unwrap_or_default();
    if messages.is_empty() {
        return "the outbox is empty".into();
    }
    messages
        .iter()
        .map(|m| {
            let field = |name: &str| m[name].as_str().unwrap_or_default().to_string();
            format!(
                "{}  to {}\nSubject: {}\n\n{}\n",
                field("created_at"),
                field("to"),
                field("subject"),
                field("body")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let client = SeedClient::new(&cli.target).await;
    let Group::Auth(command) = cli.group;
    let (payload, describe): (Value, fn(&Value) -> String) = match command {
        AuthCommand::Ping => (json!({ "command": "ping" }), |r| {
            format!("pong (table {})", r["table"].as_str().unwrap_or("?"))
        }),
        AuthCommand::CreateTable => (json!({ "command": "create-table" }), |r| {
            format!("table {} is ready", r["table"].as_str().unwrap_or("?"))
        }),
        AuthCommand::Outbox { to } => (json!({ "command": "outbox", "to": to }), describe_outbox),
    };
    match client.invoke(payload).await {
        Ok(result) if cli.json => {
            println!("{result}");
            ExitCode::SUCCESS
        }
        Ok(result) => {
            println!("{}", describe(&result));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("gatehouse: {message}");
            ExitCode::FAILURE
        }
    }
}
