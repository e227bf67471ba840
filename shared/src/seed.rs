//! The seed function's commands: JSON in, a typed JSON result or a typed error out. The CLI
//! (`gatehouse auth …`) invokes it, locally and on AWS. Users are created by the same code as
//! the HTTP routes.

use crate::audit::AuditRecord;
use crate::domain::keys::{KeySet, KeySetError, MAX_CACHE_AGE_SECONDS};
use crate::domain::ports::{AuditCursor, AuditQuery, AuditScope};
use crate::domain::{admin, audit};
use crate::error::AppError;
use crate::model::{Actor, Email, FullName, Password, Registration, UserView};
use crate::App;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const MAX_BATCH: u32 = 1000;
const GENERATED_PASSWORD_LENGTH: usize = 12;
const PASSWORD_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*";

fn default_prefix() -> String {
    "test".into()
}

fn default_domain() -> String {
    "example.com".into()
}

fn default_count() -> u32 {
    5
}

fn default_role() -> String {
    "admin".into()
}

#[derive(Debug, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SeedCommand {
    Ping,
    CreateTable,
    /// The dev outbox, newest first; `to` keeps the messages to one address.
    Outbox {
        #[serde(default)]
        to: Option<String>,
    },
    /// One user; without `email`, the next free `<prefix>@`, `<prefix>1@`, … of `domain`.
    CreateTestUser {
        #[serde(default)]
        email: Option<String>,
        #[serde(default)]
        password: Option<String>,
        #[serde(default)]
        full_name: Option<String>,
        #[serde(default = "default_prefix")]
        prefix: String,
        #[serde(default = "default_domain")]
        domain: String,
    },
    /// `count` users `<prefix>@domain`, `<prefix>1@domain`, … (the next free numbers), sharing one
    /// password.
    CreateTestUsers {
        #[serde(default = "default_count")]
        count: u32,
        #[serde(default = "default_prefix")]
        prefix: String,
        #[serde(default = "default_domain")]
        domain: String,
        #[serde(default)]
        password: Option<String>,
    },
    ListUsers,
    PromoteUser {
        email: String,
        #[serde(default = "default_role")]
        role: String,
    },
    /// The key set's signing keys (kid, algorithm, state, dates), no material.
    KeysList,
    /// A new current key (the staged next one, if any), keeping the old one for verification
    /// until its tokens have expired; `stage` publishes a next key instead, signing nothing yet.
    KeysRotate {
        #[serde(default)]
        stage: bool,
    },
    /// Drops the previous keys whose tokens have all expired.
    KeysPrune,
    /// One page of audit events, newest first, with the filters given (`since`, `until`: RFC
    /// 3339 or a date); `cursor` continues where the last page's `next_cursor` left off.
    Audit {
        #[serde(default)]
        org_id: Option<i64>,
        #[serde(default)]
        actor_id: Option<i64>,
        #[serde(default)]
        event_type: Option<String>,
        #[serde(default)]
        since: Option<String>,
        #[serde(default)]
        until: Option<String>,
        #[serde(default = "default_audit_page")]
        limit: i32,
        #[serde(default)]
        cursor: Option<String>,
    },
}

fn default_audit_page() -> i32 {
    50
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum SeedReply {
    Ok { result: Value },
    Error { kind: SeedErrorKind, message: String },
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum SeedErrorKind {
    BadCommand,
    InvalidInput,
    DuplicateEmail,
    UnknownUser,
    InvalidRole,
    /// The key set cannot be changed (legacy SECRET_KEY), or a next key is already staged.
    KeySet,
    Internal,
}

fn error(kind: SeedErrorKind, message: impl Into<String>) -> SeedReply {
    SeedReply::Error {
        kind,
        message: message.into(),
    }
}

/// Runs one command given as raw JSON; an unknown or malformed command is a typed error.
pub async fn run(app: &App, payload: Value) -> SeedReply {
    let command = match serde_json::from_value::<SeedCommand>(payload) {
        Ok(command) => command,
        Err(e) => return error(SeedErrorKind::BadCommand, e.to_string()),
    };
    let result = match command {
        SeedCommand::Ping => Ok(json!({ "pong": true, "table": app.db.table() })),
        SeedCommand::CreateTable => app
            .db
            .ensure_table()
            .await
            .map(|()| json!({ "table": app.db.table() }))
            .map_err(|e| error(SeedErrorKind::Internal, e.to_string())),
        SeedCommand::Outbox { to } => outbox(app, to).await,
        SeedCommand::CreateTestUser {
            email,
            password,
            full_name,
            prefix,
            domain,
        } => create_test_user(app, email, password, full_name, &prefix, &domain).await,
        SeedCommand::CreateTestUsers {
            count,
            prefix,
            domain,
            password,
        } => create_test_users(app, count, &prefix, &domain, password).await,
        SeedCommand::ListUsers => list_users(app).await,
        SeedCommand::PromoteUser { email, role } => promote_user(app, &email, &role).await,
        SeedCommand::KeysList => keys_list(app).await,
        SeedCommand::KeysRotate { stage } => keys_rotate(app, stage).await,
        SeedCommand::KeysPrune => keys_prune(app).await,
        SeedCommand::Audit {
            org_id,
            actor_id,
            event_type,
            since,
            until,
            limit,
            cursor,
        } => match audit_query(org_id, actor_id, event_type, since, until, limit, cursor) {
            Ok(query) => audit_page(app, query).await,
            Err(reply) => Err(reply),
        },
    };
    match result {
        Ok(result) => SeedReply::Ok { result },
        Err(reply) => reply,
    }
}

/// Maps the domain's errors to the seed's kinds, by variant.
fn from_app_error(e: AppError) -> SeedReply {
    let kind = match e {
        AppError::EmailTaken => SeedErrorKind::DuplicateEmail,
        AppError::InvalidRole => SeedErrorKind::InvalidRole,
        AppError::UserNotFound => SeedErrorKind::UnknownUser,
        AppError::Internal(_) => SeedErrorKind::Internal,
        _ => SeedErrorKind::InvalidInput,
    };
    error(kind, e.to_string())
}

const MAX_AUDIT_PAGE: i32 = 1000;

/// A `since` / `until` bound, or the error naming it.
fn bound(raw: Option<String>, name: &str, end_of_day: bool) -> Result<Option<String>, SeedReply> {
    raw.map(|raw| {
        audit::parse_time(&raw, end_of_day).ok_or_else(|| {
            error(
                SeedErrorKind::InvalidInput,
                format!("{name}: {raw:?} is not an RFC 3339 time or a date (2026-12-01)"),
            )
        })
    })
    .transpose()
}

fn audit_query(
    org_id: Option<i64>,
    actor_id: Option<i64>,
    event_type: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: i32,
    cursor: Option<String>,
) -> Result<AuditQuery, SeedReply> {
    Ok(AuditQuery {
        scope: AuditScope::All,
        event_type,
        actor_id,
        org_id,
        target: None,
        since: bound(since, "since", false)?,
        until: bound(until, "until", true)?,
        limit: limit.clamp(1, MAX_AUDIT_PAGE),
        after: cursor
            .map(|raw| AuditCursor::decode(&raw).ok_or_else(|| error(SeedErrorKind::InvalidInput, "invalid cursor")))
            .transpose()?,
    })
}

/// The operator reads every event, as a global admin does through `GET /api/v1/audit`.
async fn audit_page(app: &App, query: AuditQuery) -> Result<Value, SeedReply> {
    let (events, next) = audit::all(app, Actor::Operator, query).await.map_err(from_app_error)?;
    let events: Vec<Value> = events.iter().map(AuditRecord::view).collect();
    Ok(json!({ "events": events, "next_cursor": next.map(|c| c.encode()) }))
}

async fn outbox(app: &App, to: Option<String>) -> Result<Value, SeedReply> {
    let to = to.map(|address| address.trim().to_lowercase());
    let messages = crate::domain::mail::outbox(app, to.as_deref())
        .await
        .map_err(|e| error(SeedErrorKind::Internal, e.to_string()))?;
    Ok(json!({ "messages": messages }))
}

fn generated_password() -> String {
    let mut bytes = [0u8; GENERATED_PASSWORD_LENGTH];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes
        .iter()
        .map(|b| PASSWORD_ALPHABET[*b as usize % PASSWORD_ALPHABET.len()] as char)
        .collect()
}

fn parse_email(raw: &str) -> Result<Email, SeedReply> {
    Email::parse(raw).map_err(|reason| error(SeedErrorKind::InvalidInput, format!("invalid email {raw:?}: {reason}")))
}

fn check_password(candidate: &str) -> Result<(), SeedReply> {
    parse_password(candidate).map(drop)
}

fn parse_password(candidate: &str) -> Result<Password, SeedReply> {
    Password::parse(candidate.to_string(), "password")
        .map_err(|e| error(SeedErrorKind::InvalidInput, format!("password: {}", e.msg)))
}

/// Creates one user through the same operation (and audit event) as `POST /auth/users`, with
/// the operator as the actor.
async fn create(app: &App, email: Email, password: &str, full_name: Option<String>) -> Result<Value, SeedReply> {
    let full_name = match full_name {
        Some(raw) => FullName::parse(&raw, &["full_name"])
            .map_err(|e| error(SeedErrorKind::InvalidInput, format!("full_name: {}", e.msg)))?,
        None => None,
    };
    let registration = Registration {
        email,
        password: parse_password(password)?,
        full_name,
    };
    let user = admin::create(app, Actor::Operator, registration)
        .await
        .map_err(from_app_error)?;
    Ok(json!({ "user": UserView::from(&user), "password": password }))
}

/// `<prefix>@domain` for 0, `<prefix><n>@domain` after.
fn numbered_email(prefix: &str, n: u32, domain: &str) -> String {
    if n == 0 {
        format!("{prefix}@{domain}")
    } else {
        format!("{prefix}{n}@{domain}")
    }
}

/// Creates the user at the first free number from `from` on; returns the result and its number.
async fn create_next_free(
    app: &App,
    prefix: &str,
    domain: &str,
    from: u32,
    password: &str,
    full_name: impl Fn(&str) -> Option<String>,
) -> Result<(Value, u32), SeedReply> {
    let mut n = from;
    loop {
        let address = numbered_email(prefix, n, domain);
        let email = parse_email(&address)?;
        let taken = app
            .store
            .email_taken(email.as_str())
            .await
            .map_err(|e| error(SeedErrorKind::Internal, e.to_string()))?;
        if !taken {
            let local = address.split('@').next().unwrap_or_default().to_string();
            match create(app, email, password, full_name(&local)).await {
                Ok(created) => return Ok((created, n)),
                // Taken between the check and the write: try the next number.
                Err(SeedReply::Error {
                    kind: SeedErrorKind::DuplicateEmail,
                    ..
                }) => {}
                Err(other) => return Err(other),
            }
        }
        n += 1;
    }
}

async fn create_test_user(
    app: &App,
    email: Option<String>,
    password: Option<String>,
    full_name: Option<String>,
    prefix: &str,
    domain: &str,
) -> Result<Value, SeedReply> {
    let password = password.unwrap_or_else(generated_password);
    check_password(&password)?;
    match email {
        Some(raw) => create(app, parse_email(&raw)?, &password, full_name).await,
        None => Ok(
            create_next_free(app, prefix, domain, 0, &password, |_| full_name.clone())
                .await?
                .0,
        ),
    }
}

async fn create_test_users(
    app: &App,
    count: u32,
    prefix: &str,
    domain: &str,
    password: Option<String>,
) -> Result<Value, SeedReply> {
    if !(1..=MAX_BATCH).contains(&count) {
        return Err(error(
            SeedErrorKind::InvalidInput,
            format!("count must be between 1 and {MAX_BATCH}, got {count}"),
        ));
    }
    let password = password.unwrap_or_else(generated_password);
    check_password(&password)?;
    let mut created = Vec::new();
    // `<prefix>@`, then `<prefix>1@`, `<prefix>2@`, … as the system we replace numbers them.
    let mut next = 0;
    for _ in 0..count {
        let (user, n) = create_next_free(app, prefix, domain, next, &password, |local| {
            Some(format!("Test User {local}"))
        })
        .await?;
        created.push(user);
        next = n + 1;
    }
    Ok(json!({ "users": created }))
}

async fn list_users(app: &App) -> Result<Value, SeedReply> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = app
            .store
            .list_users(MAX_BATCH as i32, after)
            .await
            .map_err(|e| error(SeedErrorKind::Internal, e.to_string()))?;
        all.extend(page.iter().map(UserView::from));
        match next {
            Some(cursor) => after = Some(cursor),
            None => return Ok(json!({ "users": all })),
        }
    }
}

/// Through the same operation (and audit event) as `PATCH /auth/users/{id}/role`, with the
/// operator as the actor.
async fn promote_user(app: &App, email: &str, role: &str) -> Result<Value, SeedReply> {
    let email = parse_email(email)?;
    let user = app
        .store
        .user_by_email(email.as_str())
        .await
        .map_err(|e| from_app_error(e.into()))?
        .ok_or_else(|| error(SeedErrorKind::UnknownUser, format!("no user with email {email}")))?;
    let updated = admin::set_role(app, Actor::Operator, user.id, role)
        .await
        .map_err(from_app_error)?;
    Ok(json!({
        "message": format!("Updated {email}: role {} -> {}", user.role.as_str(), updated.role.as_str()),
        "user": UserView::from(&updated),
    }))
}

fn key_error(e: KeySetError) -> SeedReply {
    let kind = match e {
        KeySetError::ReadOnly | KeySetError::AlreadyStaged(_) => SeedErrorKind::KeySet,
        _ => SeedErrorKind::Internal,
    };
    error(kind, e.to_string())
}

fn key_listing(app: &App, set: &KeySet) -> Value {
    json!({ "source": app.keys.describe(), "keys": set.list() })
}

/// Reads the set from its source (never a cached copy) for every key command.
async fn keys_list(app: &App) -> Result<Value, SeedReply> {
    let set = app.keys.read_latest(app.clock.now()).await.map_err(key_error)?;
    Ok(key_listing(app, &set))
}

/// A retired key verifies for the access-token lifetime plus the time every warm instance may
/// still sign with it before it re-reads the set.
async fn keys_rotate(app: &App, stage: bool) -> Result<Value, SeedReply> {
    let now = app.clock.now();
    let set = app.keys.read_latest(now).await.map_err(key_error)?;
    let keep_for = chrono::Duration::minutes(app.settings.access_token_expire_minutes)
        + chrono::Duration::seconds(MAX_CACHE_AGE_SECONDS);
    let rotation = set
        .rotate(app.settings.jwt_algorithm, stage, keep_for, now)
        .map_err(key_error)?;
    let listing = key_listing(app, &rotation.set);
    app.keys.replace(rotation.set, now).await.map_err(key_error)?;
    let mut result = json!({
        "staged": stage,
        "new_kid": rotation.new_kid,
        "retired_kid": rotation.retired_kid,
        "dropped": rotation.dropped,
    });
    result["keys"] = listing["keys"].clone();
    result["source"] = listing["source"].clone();
    Ok(result)
}

async fn keys_prune(app: &App) -> Result<Value, SeedReply> {
    let now = app.clock.now();
    let set = app.keys.read_latest(now).await.map_err(key_error)?;
    let (pruned, dropped) = set.prune(now);
    let listing = key_listing(app, &pruned);
    if !dropped.is_empty() {
        app.keys.replace(pruned, now).await.map_err(key_error)?;
    }
    let mut result = listing;
    result["dropped"] = json!(dropped);
    Ok(result)
}
