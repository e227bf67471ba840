//! Mail as a transactional queue. A request that creates a token also writes the mail item that
//! carries it, in the same DynamoDB transaction, with the message's content sealed (AES-256-GCM
//! under a key derived from `SECRET_KEY`). The mailer function, fed by the table's stream, opens
//! it, renders it and hands it to the transport, then records `sent` (the sealed content dropped)
//! or `failed` (attempts, last error). Only kinds, addresses and ids reach a log line.

pub mod templates;

use crate::audit::AuditEvent;
use crate::clock::format_timestamp;
use crate::domain::sealed;
use crate::error::AppError;
use crate::model::{MailContent, MailStatus, MailTransport, OutboxMessage, QueuedMail, RenderedMail};
use crate::App;
use chrono::{DateTime, Duration, Utc};
use std::future::Future;

/// HKDF label of the queue's key: a key of its own, never the signing key.
const MAIL_KEY_LABEL: &str = "gatehouse mail queue v1";
/// A queued or failing message is kept this long (the stream keeps records 24 h; tokens live at
/// most 14 days), then DynamoDB's TTL removes it.
const QUEUED_DAYS: i64 = 14;
/// What stays of a sent message (status and metadata, no content).
const SENT_RECORD_DAYS: i64 = 30;
/// `capture` keeps messages for `gatehouse auth outbox` as the old outbox did.
const CAPTURE_HOURS: i64 = 24;
/// Sending attempts within one invocation, and the first pause between them (doubling).
pub const SEND_ATTEMPTS: u32 = 3;
const FIRST_BACKOFF_MS: u64 = 250;

/// The transport's verdict on one attempt.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth another try: the server is unreachable, busy, or answered 4xx.
    #[error("transient: {0}")]
    Transient(String),
    /// Retrying cannot help: the address or the message is refused.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// Delivers a rendered message (SES, SMTP, or capture); implemented by `shared::mailer`.
pub trait Transport: Sync {
    fn name(&self) -> &'static str;
    fn send(&self, mail: &RenderedMail) -> impl Future<Output = Result<(), SendError>> + Send;
}

#[derive(Debug, PartialEq)]
pub enum Delivery {
    Sent,
    /// Sent before (a stream record delivered twice); nothing done.
    AlreadySent,
    /// No such item, or nothing left to send (expired, or failed for good before).
    Nothing,
    /// Failed for now; the record should come back (stream retry) until it works.
    Retry,
    /// Failed for good (refused, or undecryptable); recorded and not retried.
    GaveUp,
}

/// Seals `content` for the item `id` (the id is authenticated too, so a sealed body cannot be
/// moved to another item).
pub fn seal(app: &App, id: &str, content: &MailContent) -> String {
    let plaintext = serde_json::to_vec(content).expect("mail content serializes");
    sealed::seal(&app.derived_key(MAIL_KEY_LABEL), id.as_bytes(), &plaintext)
}

pub fn open(app: &App, id: &str, sealed: &str) -> Option<MailContent> {
    let plaintext = sealed::open(&app.derived_key(MAIL_KEY_LABEL), id.as_bytes(), sealed)?;
    serde_json::from_slice(&plaintext).ok()
}

/// A queue item for `content` to `to`, sealed, ready to be written with the change it reports.
pub fn queue(app: &App, to: &str, content: &MailContent, now: DateTime<Utc>) -> QueuedMail {
    let id = uuid::Uuid::new_v4().to_string();
    let captured = app.settings.mail.transport == MailTransport::Capture;
    let keep = if captured {
        Duration::hours(CAPTURE_HOURS)
    } else {
        Duration::days(QUEUED_DAYS)
    };
    QueuedMail {
        sealed: Some(seal(app, &id, content)),
        id,
        to: to.to_string(),
        kind: content.kind().to_string(),
        created_at: format_timestamp(now),
        status: MailStatus::Queued,
        attempts: 0,
        last_error: None,
        sent_at: None,
        captured,
        expires_at: (now + keep).timestamp(),
    }
}

pub fn log_queued(mail: &QueuedMail) {
    tracing::info!(mail_id = %mail.id, kind = %mail.kind, to = %mail.to, "mail queued");
}

/// Sends the queued message `id` once: up to `SEND_ATTEMPTS` tries with backoff for transient
/// failures, then records the outcome on the item.
pub async fn deliver(app: &App, transport: &impl Transport, id: &str) -> Result<Delivery, AppError> {
    let Some(mail) = app.store.mail(id).await? else {
        return Ok(Delivery::Nothing);
    };
    if mail.status == MailStatus::Sent {
        return Ok(Delivery::AlreadySent);
    }
    let Some(sealed) = mail.sealed.as_deref() else {
        return Ok(Delivery::Nothing);
    };
    let Some(content) = open(app, id, sealed) else {
        let reason = "the message cannot be decrypted (was SECRET_KEY changed?)";
        failed(app, &mail, 0, reason, true).await?;
        return Ok(Delivery::GaveUp);
    };
    let rendered = templates::render(&content, &mail.to, &app.settings.mail);
    drop(content);
    let mut attempts = 0;
    let mut backoff = FIRST_BACKOFF_MS;
    loop {
        attempts += 1;
        match transport.send(&rendered).await {
            Ok(()) => {
                let now = app.clock.now();
                let (keep_content, keep) = if mail.captured {
                    (true, Duration::hours(CAPTURE_HOURS))
                } else {
                    (false, Duration::days(SENT_RECORD_DAYS))
                };
                app.store
                    .mail_sent(
                        id,
                        attempts,
                        &format_timestamp(now),
                        keep_content,
                        (now + keep).timestamp(),
                    )
                    .await?;
                tracing::info!(mail_id = %id, kind = %mail.kind, to = %mail.to, transport = transport.name(), attempts = mail.attempts + attempts, "mail sent");
                return Ok(Delivery::Sent);
            }
            Err(SendError::Transient(_)) if attempts < i64::from(SEND_ATTEMPTS) => {
                tokio::time::sleep(std::time::Duration::from_millis(backoff)).await;
                backoff *= 2;
            }
            Err(SendError::Transient(reason)) => {
                failed(app, &mail, attempts, &reason, false).await?;
                return Ok(Delivery::Retry);
            }
            Err(SendError::Permanent(reason)) => {
                failed(app, &mail, attempts, &reason, true).await?;
                return Ok(Delivery::GaveUp);
            }
        }
    }
}

/// Records a failure; for good (`final_`) the sealed content goes, as after a delivery.
async fn failed(app: &App, mail: &QueuedMail, attempts: i64, reason: &str, final_: bool) -> Result<(), AppError> {
    let reason: String = reason.chars().take(500).collect();
    let total = mail.attempts + attempts;
    let event = AuditEvent::new("mail.delivery_failed")
        .actor_email(&mail.to)
        .target("mail", mail.id.clone())
        .detail(format!("{} after {total} attempts: {reason}", mail.kind))
        .at(app.clock.now());
    app.store
        .mail_failed(&mail.id, attempts, &reason, final_, &[event])
        .await?;
    tracing::warn!(mail_id = %mail.id, kind = %mail.kind, to = %mail.to, attempts = total, retried = !final_, error = %reason, "mail delivery failed");
    Ok(())
}

/// `gatehouse auth outbox`: captured messages (`MAIL_TRANSPORT=capture`), opened and rendered,
/// newest first, optionally only those to `to`.
pub async fn outbox(app: &App, to: Option<&str>) -> Result<Vec<OutboxMessage>, AppError> {
    let now = app.clock.now().timestamp();
    let mut messages = Vec::new();
    for mail in app.store.captured_mail(to).await? {
        let Some(content) = mail.sealed.as_deref().and_then(|sealed| open(app, &mail.id, sealed)) else {
            continue;
        };
        if mail.expires_at <= now {
            continue;
        }
        let rendered = templates::render(&content, &mail.to, &app.settings.mail);
        messages.push(OutboxMessage {
            id: mail.id,
            to: mail.to,
            subject: rendered.subject,
            body: rendered.text,
            created_at: mail.created_at,
            status: mail.status,
            expires_at: mail.expires_at,
        });
    }
    Ok(messages)
}
