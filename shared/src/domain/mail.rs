//! Mail: composed here, delivered by the configured mailer. With `MAILER=outbox` a message is
//! stored in the table for 24 hours and only its recipient and subject are logged (the body holds
//! a token, and tokens never reach a log line).

use crate::clock::format_timestamp;
use crate::model::OutboxMessage;
use chrono::{DateTime, Duration, Utc};

const OUTBOX_RETENTION_HOURS: i64 = 24;

pub fn compose(to: &str, subject: &str, body: String, now: DateTime<Utc>) -> OutboxMessage {
    OutboxMessage {
        id: uuid::Uuid::new_v4().to_string(),
        to: to.to_string(),
        subject: subject.to_string(),
        body,
        created_at: format_timestamp(now),
        expires_at: (now + Duration::hours(OUTBOX_RETENTION_HOURS)).timestamp(),
    }
}

pub fn log_queued(message: &OutboxMessage) {
    tracing::info!(to = %message.to, subject = %message.subject, "mail stored in the outbox");
}
