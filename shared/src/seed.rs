//! The seed function's commands: JSON in, a typed JSON result or a typed error out. The CLI
//! (`gatehouse auth …`) invokes it, locally and on AWS.

use crate::App;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum SeedCommand {
    Ping,
    CreateTable,
    /// The dev outbox, newest first; `to` keeps the messages to one address.
    Outbox {
        #[serde(default)]
        to: Option<String>,
    },
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum SeedReply {
    Ok {
        result: Value,
    },
    Error {
        kind: SeedErrorKind,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum SeedErrorKind {
    BadCommand,
    Internal,
}

/// Runs one command given as raw JSON; an unknown or malformed command is a typed error.
pub async fn run(app: &App, payload: Value) -> SeedReply {
    let command = match serde_json::from_value::<SeedCommand>(payload) {
        Ok(command) => command,
        Err(e) => {
            return SeedReply::Error {
                kind: SeedErrorKind::BadCommand,
                message: e.to_string(),
            }
        }
    };
    match command {
        SeedCommand::Ping => SeedReply::Ok {
            result: json!({ "pong": true, "table": app.store.table() }),
        },
        SeedCommand::CreateTable => match app.store.ensure_table().await {
            Ok(()) => SeedReply::Ok {
                result: json!({ "table": app.store.table() }),
            },
            Err(e) => internal(e),
        },
        SeedCommand::Outbox { to } => {
            let to = to.map(|address| address.trim().to_lowercase());
            match app
                .store
                .outbox(to.as_deref(), app.clock.now().timestamp())
                .await
            {
                Ok(messages) => SeedReply::Ok {
                    result: json!({ "messages": messages }),
                },
                Err(e) => internal(e),
            }
        }
    }
}

fn internal(error: impl std::fmt::Display) -> SeedReply {
    SeedReply::Error {
        kind: SeedErrorKind::Internal,
        message: error.to_string(),
    }
}
