//! The audit queries' handlers, shared by three functions' route tables: `GET /api/v1/audit`
//! (users), `GET /api/v1/orgs/{org_id}/audit` (orgs) and `GET /api/v1/auth/me/security-log`
//! (auth). Newest first, `limit` and `cursor` as in the user listing, the next page's cursor in
//! `X-Next-Cursor`.

use super::route::Param;
use super::{json_response, Path, Query};
use crate::audit::AuditRecord;
use crate::domain::audit::{self, AuditPage};
use crate::domain::ports::{AuditCursor, AuditQuery, AuditScope};
use crate::error::{AppError, FieldError};
use crate::model::{Actor, Caller};
use crate::App;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

const LIMIT: Param = ("limit", "query", "integer", false);
const CURSOR: Param = ("cursor", "query", "string", false);
const EVENT_TYPE: Param = ("event_type", "query", "string", false);
const ACTOR: Param = ("actor_id", "query", "integer", false);
const TARGET_TYPE: Param = ("target_type", "query", "string", false);
const TARGET_ID: Param = ("target_id", "query", "string", false);
const SINCE: Param = ("since", "query", "string", false);
const UNTIL: Param = ("until", "query", "string", false);

/// The parameters of `GET /api/v1/audit`.
pub const ALL_PARAMS: &[Param] = &[
    LIMIT,
    CURSOR,
    EVENT_TYPE,
    ACTOR,
    TARGET_TYPE,
    TARGET_ID,
    ("org_id", "query", "integer", false),
    SINCE,
    UNTIL,
];

/// The parameters of `GET /api/v1/orgs/{org_id}/audit`.
pub const ORG_PARAMS: &[Param] = &[
    super::route::ORG,
    LIMIT,
    CURSOR,
    EVENT_TYPE,
    ACTOR,
    TARGET_TYPE,
    TARGET_ID,
    SINCE,
    UNTIL,
];

/// The parameters of `GET /api/v1/auth/me/security-log`.
pub const OWN_PARAMS: &[Param] = &[LIMIT, CURSOR, EVENT_TYPE, ACTOR, TARGET_TYPE, TARGET_ID, SINCE, UNTIL];

/// `GET /api/v1/audit`: global admins.
pub async fn all(State(app): State<App>, caller: Caller, query: Query) -> Result<Response, AppError> {
    let filters = filters(&query, true)?;
    respond(audit::all(&app, Actor::User(&caller), filters).await?)
}

/// `GET /api/v1/orgs/{org_id}/audit`: the org's admins and owner.
pub async fn of_org(
    State(app): State<App>,
    caller: Caller,
    Path(org_id): Path<i64>,
    query: Query,
) -> Result<Response, AppError> {
    let filters = filters(&query, false)?;
    respond(audit::of_org(&app, &caller, org_id, filters).await?)
}

/// `GET /api/v1/auth/me/security-log`: the caller's own.
pub async fn security_log(State(app): State<App>, caller: Caller, query: Query) -> Result<Response, AppError> {
    let filters = filters(&query, false)?;
    respond(audit::security_log(&app, &caller, filters).await?)
}

fn respond((events, next): AuditPage) -> Result<Response, AppError> {
    let views: Vec<Value> = events.iter().map(AuditRecord::view).collect();
    let mut response = json_response(StatusCode::OK, &views);
    if let Some(next) = next {
        let value = HeaderValue::from_str(&next.encode()).expect("a cursor is URL-safe ASCII");
        response.headers_mut().insert("x-next-cursor", value);
    }
    Ok(response)
}

/// The query's filters and page; the scope is the route's to set.
fn filters(query: &Query, org_filter: bool) -> Result<AuditQuery, AppError> {
    let limit = query.page_limit()?;
    let after = match query.get("cursor") {
        None => None,
        Some(raw) => Some(AuditCursor::decode(&raw).ok_or_else(|| AppError::BadRequest("Invalid cursor".into()))?),
    };
    let target = match (query.get("target_type"), query.get("target_id")) {
        (Some(kind), Some(id)) => Some(format!("{kind}#{id}")),
        (None, None) => None,
        (Some(_), None) => return Err(missing("target_id")),
        (None, Some(_)) => return Err(missing("target_type")),
    };
    Ok(AuditQuery {
        scope: AuditScope::All,
        event_type: query.get("event_type"),
        actor_id: query.integer("actor_id")?,
        org_id: if org_filter { query.integer("org_id")? } else { None },
        target,
        since: timestamp(query, "since", false)?,
        until: timestamp(query, "until", true)?,
        limit: limit as i32,
        after,
    })
}

fn missing(name: &str) -> AppError {
    AppError::validation(FieldError::new(
        "missing",
        &["query", name],
        "Field required (target_type and target_id go together)",
    ))
}

/// `since` / `until` as the table's timestamps write them, or the 422.
fn timestamp(query: &Query, name: &str, end_of_day: bool) -> Result<Option<String>, AppError> {
    let Some(raw) = query.get(name) else {
        return Ok(None);
    };
    match audit::parse_time(&raw, end_of_day) {
        Some(at) => Ok(Some(at)),
        None => Err(AppError::validation(FieldError::new(
            "datetime_parsing",
            &["query", name],
            "Input should be a valid datetime (RFC 3339, e.g. 2026-12-01T00:00:00Z) or date (2026-12-01)",
        ))),
    }
}
