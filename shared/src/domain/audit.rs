//! Reading the audit trail back: who may read which events. Global admins read every event,
//! org admins and the owner their org's, and everyone their own security log.

use crate::audit::AuditRecord;
use crate::clock::format_timestamp;
use crate::domain::access::require;
use crate::domain::orgs;
use crate::domain::ports::{AuditCursor, AuditQuery, AuditScope};
use crate::error::AppError;
use crate::model::{Actor, Caller, OrgRole, Role};
use crate::App;
use chrono::{DateTime, NaiveDate, Utc};

pub type AuditPage = (Vec<AuditRecord>, Option<AuditCursor>);

/// `GET /api/v1/audit` (global admins) and `gatehouse audit` (the operator): every event,
/// narrowed by the query's filters.
pub async fn all(app: &App, actor: Actor<'_>, query: AuditQuery) -> Result<AuditPage, AppError> {
    if let Actor::User(caller) = actor {
        require(caller, &[Role::Admin])?;
    }
    read(app, AuditScope::All, query).await
}

/// `GET /api/v1/orgs/{org_id}/audit`: the org's admins and owner; a member or anyone else
/// gets the 403.
pub async fn of_org(app: &App, caller: &Caller, org_id: i64, query: AuditQuery) -> Result<AuditPage, AppError> {
    orgs::access(app, caller, org_id, OrgRole::Admin).await?;
    read(app, AuditScope::Org(org_id), query).await
}

/// `GET /api/v1/auth/me/security-log`: the caller's sign-ins, failures on their email,
/// password, email, session and MFA changes.
pub async fn security_log(app: &App, caller: &Caller, query: AuditQuery) -> Result<AuditPage, AppError> {
    read(app, AuditScope::SecurityLog(caller.user.id), query).await
}

async fn read(app: &App, scope: AuditScope, query: AuditQuery) -> Result<AuditPage, AppError> {
    Ok(app.store.audit_events(&AuditQuery { scope, ..query }).await?)
}

/// A `since` or `until` bound as the table's timestamps write it: an RFC 3339 time, or a date
/// (its first instant, or with `end_of_day` its last). `None` for anything else.
pub fn parse_time(raw: &str, end_of_day: bool) -> Option<String> {
    let raw = raw.trim();
    let at = match DateTime::parse_from_rfc3339(raw) {
        Ok(at) => at.with_timezone(&Utc),
        Err(_) => {
            let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
            let time = if end_of_day {
                day.and_hms_micro_opt(23, 59, 59, 999_999)?
            } else {
                day.and_hms_opt(0, 0, 0)?
            };
            time.and_utc()
        }
    };
    Some(format_timestamp(at))
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn bounds_are_times_or_whole_days_in_the_tables_format() {
        assert_eq!(
            parse_time("2026-12-01T10:00:00+01:00", false).as_deref(),
            Some("2026-12-01T09:00:00.000000Z")
        );
        assert_eq!(
            parse_time("2026-12-01", false).as_deref(),
            Some("2026-12-01T00:00:00.000000Z")
        );
        assert_eq!(
            parse_time("2026-12-01", true).as_deref(),
            Some("2026-12-01T23:59:59.999999Z")
        );
        assert_eq!(parse_time("yesterday", false), None);
        assert_eq!(parse_time("2026-13-01", false), None);
    }
}
