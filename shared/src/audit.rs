//! The audit trail: every event is stored in DynamoDB (in the same transaction as the change it
//! records) and, once stored, logged as one JSON line on the `audit` tracing target.
//!
//! Build an event, stamp it with `.at(now)` and hand the record to the store method that makes
//! the change (`app.store.set_role(…, &[record])`), or to `AuditStore::record` when nothing
//! changes (a failed login): `AuditEvent::new("myfeature.action").actor_id(1).at(now)`.
//! Inside a request the client's address, user agent and request id are filled in from the
//! request (`scope`). Never put a password, token or hash in an event.

use crate::clock::format_timestamp;
use crate::model::Origin;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;

tokio::task_local! {
    static REQUEST: Origin;
}

/// Runs `work` (one request) with `origin` as the source of every event built inside it.
pub async fn scope<F: Future>(origin: Origin, work: F) -> F::Output {
    REQUEST.scope(origin, work).await
}

#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditEvent {
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_email: Option<String>,
    /// Set when the actor is not a signed-in user: `cli` for the admin CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    /// A number for users and orgs, a string for session ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The user whose security log lists the event (`GET /auth/me/security-log`): sign-ins,
    /// failures on their email, password, email, session and MFA changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_id: Option<i64>,
}

impl AuditEvent {
    /// An event with the current request's address, user agent and request id (if any).
    pub fn new(event_type: &str) -> Self {
        let origin = REQUEST.try_with(Origin::clone).unwrap_or_default();
        Self {
            event_type: event_type.to_string(),
            ip_address: origin.ip,
            user_agent: origin.user_agent,
            request_id: origin.request_id,
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

    pub fn actor_type(mut self, kind: &str) -> Self {
        self.actor_type = Some(kind.to_string());
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

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Lists the event in `user_id`'s security log.
    pub fn subject(mut self, user_id: i64) -> Self {
        self.subject_id = Some(user_id);
        self
    }

    /// The event as it happened at `at`, with an id of its own: what the store writes.
    pub fn at(self, at: DateTime<Utc>) -> AuditRecord {
        AuditRecord {
            id: uuid::Uuid::new_v4().simple().to_string(),
            timestamp: format_timestamp(at),
            event: self,
        }
    }

    /// `"user#5"` for `target("user", 5)`: the target as one comparable string.
    pub fn target_key(&self) -> Option<String> {
        let id = match self.target_id.as_ref()? {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        Some(format!("{}#{id}", self.target_type.as_deref()?))
    }
}

/// A stamped event: what is stored, logged and read back.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditRecord {
    pub id: String,
    pub timestamp: String,
    #[serde(flatten)]
    pub event: AuditEvent,
}

impl AuditRecord {
    /// The JSON line (also the stored document).
    pub fn line(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("audit events serialize")
    }

    /// What a reader sees of an event (the query routes, the CLI): every field of the seed
    /// doc's §9, the user agent and the request id, `null` where the event has none.
    pub fn view(&self) -> serde_json::Value {
        let event = &self.event;
        serde_json::json!({
            "id": self.id,
            "event_type": event.event_type,
            "timestamp": self.timestamp,
            "actor_id": event.actor_id,
            "actor_email": event.actor_email,
            "actor_type": event.actor_type,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "org_id": event.org_id,
            "ip_address": event.ip_address,
            "user_agent": event.user_agent,
            "request_id": event.request_id,
            "detail": event.detail,
        })
    }

    /// Logs the event's line; the store calls it once the event is stored.
    pub fn log(&self) {
        tracing::info!(target: "audit", "{}", self.line());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_event_takes_the_requests_origin_and_reads_back_from_its_line() {
        let origin = Origin {
            ip: Some("203.0.113.9".into()),
            user_agent: Some("curl/8".into()),
            request_id: Some("req-1".into()),
        };
        let record = scope(origin, async {
            AuditEvent::new("auth.member_added")
                .actor_id(1)
                .org_id(2)
                .target("user", 3)
                .at(Utc::now())
        })
        .await;
        assert_eq!(record.event.ip_address.as_deref(), Some("203.0.113.9"));
        assert_eq!(record.event.user_agent.as_deref(), Some("curl/8"));
        assert_eq!(record.event.request_id.as_deref(), Some("req-1"));
        assert_eq!(record.event.target_key().as_deref(), Some("user#3"));
        let back: AuditRecord = serde_json::from_value(record.line()).unwrap();
        assert_eq!(back, record);
        assert!(
            AuditEvent::new("x").ip_address.is_none(),
            "outside a request: no origin"
        );
        let session = AuditEvent::new("x").target("session", "abc");
        assert_eq!(session.target_key().as_deref(), Some("session#abc"));
    }
}
