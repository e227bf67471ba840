//! The audit trail: one JSON line per event on the `audit` tracing target. Usable from any
//! function for custom events: `AuditEvent::new("myfeature.action").actor_id(1).emit(now)`.
//! Never put a password, token or hash in an event.

use crate::clock::format_timestamp;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Default, Serialize)]
pub struct AuditEvent {
    pub event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_email: Option<String>,
    /// Set when the actor is not a signed-in user: `cli` for the admin CLI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    /// A number for users and orgs, a string for session ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_id: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl AuditEvent {
    pub fn new(event_type: &str) -> Self {
        Self {
            event_type: event_type.to_string(),
            ..Self::default()
        }
    }

    pub fn actor_id(mut self, id: i64) -> Self {
        self.actor_id = Some(id);
        self
    }

    pub fn actor_email(mut self, email: &str) -> Self {
        self.actor_email = Some(email.to_string());
        self
    }

    pub fn actor_type(mut self, kind: &'static str) -> Self {
        self.actor_type = Some(kind);
        self
    }

    pub fn target(mut self, kind: &str, id: impl Into<serde_json::Value>) -> Self {
        self.target_type = Some(kind.to_string());
        self.target_id = Some(id.into());
        self
    }

    pub fn org_id(mut self, id: i64) -> Self {
        self.org_id = Some(id);
        self
    }

    pub fn ip_address(mut self, ip: Option<&str>) -> Self {
        self.ip_address = ip.map(str::to_string);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn emit(self, at: DateTime<Utc>) {
        let mut line = serde_json::to_value(&self).expect("audit events serialize");
        line["timestamp"] = format_timestamp(at).into();
        tracing::info!(target: "audit", "{line}");
    }
}
