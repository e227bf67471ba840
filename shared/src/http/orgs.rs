//! The `orgs` function: organizations, members, ownership and invites under `/api/v1/orgs`.

use super::auth::email_field;
use super::extract::{Limited, LimitedCaller};
use super::route::{Input, ORG, USER};
use super::{json_response, no_content, Fields, FromFields, Json, Path, Query, Route};
use crate::domain::invites::{Added, BulkAdded};
use crate::domain::{invites, limits, orgs};
use crate::error::{AppError, FieldError};
use crate::model::names::INVALID_SLUG;
use crate::model::{Caller, Email, NewOrg, OrgDescription, OrgName, OrgRole, Slug};
use crate::App;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

const MAX_BULK: usize = 100;

/// Every route of the function, once: the router, the OpenAPI document and the deployment
/// tests read this table.
pub fn routes() -> Vec<Route> {
    vec![
        Route::post(
            "/api/v1/orgs",
            create,
            "Create an organization; the caller becomes its owner",
        )
        .auth()
        .input(Input::Json("OrgCreate"))
        .ok(201, "OrgResponse")
        .errors(&[400, 401, 403, 413, 422, 429]),
        Route::get("/api/v1/orgs", mine, "The caller's organizations")
            .auth()
            .ok(200, "OrgList")
            .errors(&[401]),
        Route::get("/api/v1/orgs/all", all, "Every organization (global admin)")
            .auth()
            .ok(200, "OrgList")
            .errors(&[401, 403]),
        Route::get(
            "/api/v1/orgs/memberships",
            memberships,
            "Every membership (global admin)",
        )
        .auth()
        .ok(200, "UserMembershipList")
        .errors(&[401, 403]),
        Route::get("/api/v1/orgs/{org_id}", get, "An organization (members)")
            .auth()
            .params(&[ORG])
            .ok(200, "OrgResponse")
            .errors(&[401, 403, 422]),
        Route::patch(
            "/api/v1/orgs/{org_id}",
            update,
            "Rename or describe an organization, or require a second factor of its members (org admins)",
        )
        .auth()
        .params(&[
            ORG,
            ("name", "query", "string", false),
            ("description", "query", "string", false),
            ("require_mfa", "query", "boolean", false),
        ])
        .ok(200, "OrgResponse")
        .errors(&[400, 401, 403, 404, 422, 429]),
        Route::delete(
            "/api/v1/orgs/{org_id}",
            delete,
            "Delete an organization with its members and invites (owner, global admin)",
        )
        .auth()
        .params(&[ORG])
        .no_content()
        .errors(&[401, 403, 404, 422, 429]),
        Route::post(
            "/api/v1/orgs/{org_id}/transfer-ownership",
            transfer_ownership,
            "Hand the organization to another member (owner)",
        )
        .auth()
        .input(Input::Json("TransferOwnership"))
        .params(&[ORG])
        .ok(200, "Detail")
        .errors(&[400, 401, 403, 409, 413, 422, 429]),
        Route::get(
            "/api/v1/orgs/{org_id}/audit",
            super::audit::of_org,
            "The organization's audit events, newest first, filtered (org admins, owner)",
        )
        .auth()
        .params(super::audit::ORG_PARAMS)
        .ok(200, "AuditEventList")
        .errors(&[400, 401, 403, 422]),
        Route::get("/api/v1/orgs/{org_id}/members", members, "Members (members)")
            .auth()
            .params(&[ORG])
            .ok(200, "MemberList")
            .errors(&[401, 403, 422]),
        Route::post(
            "/api/v1/orgs/{org_id}/members",
            add_member,
            "Add a member, or with ORG_MEMBER_CONSENT=true invite them (202) (org admins)",
        )
        .auth()
        .params(&[
            ORG,
            ("user_id", "query", "integer", true),
            ("role", "query", "string", false),
        ])
        .ok(201, "MemberResponse")
        .also(202, "InviteResponse")
        .errors(&[400, 401, 403, 404, 422, 429]),
        Route::get(
            "/api/v1/orgs/{org_id}/members/details",
            member_details,
            "Members with their emails and names (members)",
        )
        .auth()
        .params(&[ORG])
        .ok(200, "MemberDetailList")
        .errors(&[401, 403, 422]),
        Route::post(
            "/api/v1/orgs/{org_id}/members/bulk",
            add_members,
            "Add several members (or with ORG_MEMBER_CONSENT=true invite them, 202); what was skipped is in X-Skipped-Members (org admins)",
        )
        .auth()
        .input(Input::Json("BulkAdd"))
        .params(&[ORG])
        .ok(201, "MemberList")
        .also(202, "InviteList")
        .errors(&[400, 401, 403, 404, 413, 422, 429]),
        Route::delete(
            "/api/v1/orgs/{org_id}/members/me",
            leave,
            "Leave the organization (any member but the owner)",
        )
        .auth()
        .params(&[ORG])
        .no_content()
        .errors(&[401, 403, 409, 422, 429]),
        Route::patch(
            "/api/v1/orgs/{org_id}/members/{user_id}",
            change_role,
            "Change a member's role (org admins; never the owner's)",
        )
        .auth()
        .params(&[ORG, USER, ("role", "query", "string", true)])
        .ok(200, "MemberResponse")
        .errors(&[400, 401, 403, 404, 422, 429]),
        Route::delete(
            "/api/v1/orgs/{org_id}/members/{user_id}",
            remove_member,
            "Remove a member (org admins; never the owner)",
        )
        .auth()
        .params(&[ORG, USER])
        .no_content()
        .errors(&[401, 403, 404, 422, 429]),
        Route::post(
            "/api/v1/orgs/{org_id}/invites",
            create_invite,
            "Invite by email (org admins); the token appears only here",
        )
        .auth()
        .input(Input::Json("InviteCreate"))
        .params(&[ORG])
        .ok(201, "InviteResponse")
        .errors(&[400, 401, 403, 409, 413, 422, 429]),
        Route::get(
            "/api/v1/orgs/{org_id}/invites",
            list_invites,
            "Pending invites, without tokens (org admins)",
        )
        .auth()
        .params(&[ORG])
        .ok(200, "InviteList")
        .errors(&[401, 403, 422]),
        Route::delete(
            "/api/v1/orgs/{org_id}/invites/{invite_id}",
            revoke_invite,
            "Revoke a pending invite (org admins)",
        )
        .auth()
        .params(&[ORG, ("invite_id", "path", "integer", true)])
        .no_content()
        .errors(&[401, 403, 404, 422, 429]),
    ]
}

/// Requests that change orgs count against `RATE_LIMIT_ORG_WRITE_*`, per user.
pub struct OrgWriteLimit;
impl Limited for OrgWriteLimit {
    const ROUTE: limits::Route = limits::Route::OrgWrite;
}

/// The caller of an org-changing route, counted against the org-write limit.
type Writer = LimitedCaller<OrgWriteLimit>;

fn ok<T: serde::Serialize>(body: &T) -> Result<Response, AppError> {
    Ok(json_response(StatusCode::OK, body))
}

/// An `OrgCreate` body (`name`, `slug`, optional `description` and `is_active`). The slug's
/// grammar is checked after the body (a 400, as the system we replace answers).
struct OrgCreate {
    name: OrgName,
    slug: String,
    description: Option<OrgDescription>,
    is_active: bool,
}

impl FromFields for OrgCreate {
    fn read(fields: &mut Fields) -> Option<Self> {
        let name = fields.required_str("name");
        let slug = fields.required_str("slug");
        let description = fields.optional_str("description");
        let is_active = fields.optional_bool("is_active").unwrap_or(true);
        let name = name.and_then(|raw| {
            OrgName::parse(&raw, &["body", "name"])
                .map_err(|e| fields.reject(e))
                .ok()
        });
        let description = description.and_then(|raw| {
            OrgDescription::parse(raw, &["body", "description"])
                .map_err(|e| fields.reject(e))
                .ok()
        });
        let (name, slug) = name.zip(slug)?;
        Some(OrgCreate {
            name,
            slug,
            description,
            is_active,
        })
    }
}

async fn create(
    State(app): State<App>,
    LimitedCaller(caller, _): Writer,
    Json(body): Json<OrgCreate>,
) -> Result<Response, AppError> {
    let new = NewOrg {
        name: body.name,
        slug: Slug::parse(&body.slug).ok_or_else(|| AppError::BadRequest(INVALID_SLUG.into()))?,
        description: body.description,
        is_active: body.is_active,
    };
    let org = orgs::create(&app, &caller, new).await?;
    Ok(json_response(StatusCode::CREATED, &org))
}

async fn mine(State(app): State<App>, caller: Caller) -> Result<Response, AppError> {
    ok(&orgs::mine(&app, &caller).await?)
}

async fn all(State(app): State<App>, caller: Caller) -> Result<Response, AppError> {
    ok(&orgs::all(&app, &caller).await?)
}

async fn memberships(State(app): State<App>, caller: Caller) -> Result<Response, AppError> {
    ok(&orgs::all_memberships(&app, &caller).await?)
}

async fn get(State(app): State<App>, caller: Caller, Path(org_id): Path<i64>) -> Result<Response, AppError> {
    ok(&orgs::access(&app, &caller, org_id, OrgRole::Member).await?.org)
}

async fn update(
    State(app): State<App>,
    LimitedCaller(caller, _): Writer,
    Path(org_id): Path<i64>,
    query: Query,
) -> Result<Response, AppError> {
    let name = query
        .get("name")
        .map(|raw| OrgName::parse(&raw, &["query", "name"]))
        .transpose();
    let description = query
        .get("description")
        .map(|raw| OrgDescription::parse(raw, &["query", "description"]))
        .transpose();
    let require_mfa = query
        .get("require_mfa")
        .map(|raw| query_bool(&raw, "require_mfa"))
        .transpose();
    match (name, description, require_mfa) {
        (Ok(name), Ok(description), Ok(require_mfa)) => {
            ok(&orgs::update(&app, &caller, org_id, name, description, require_mfa).await?)
        }
        (name, description, require_mfa) => Err(AppError::Validation(
            [name.err(), description.err(), require_mfa.err()]
                .into_iter()
                .flatten()
                .collect(),
        )),
    }
}

/// A boolean query parameter, as FastAPI reads one.
fn query_bool(raw: &str, name: &str) -> Result<bool, FieldError> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Ok(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Ok(false),
        _ => Err(FieldError::new(
            "bool_parsing",
            &["query", name],
            "Input should be a valid boolean, unable to interpret input",
        )),
    }
}

async fn delete(
    State(app): State<App>,
    LimitedCaller(caller, _): Writer,
    Path(org_id): Path<i64>,
) -> Result<Response, AppError> {
    orgs::delete(&app, &caller, org_id).await?;
    Ok(no_content())
}

/// `{"user_id"}`.
struct TransferTo(i64);

impl FromFields for TransferTo {
    fn read(fields: &mut Fields) -> Option<Self> {
        fields.required_int("user_id").map(TransferTo)
    }
}

async fn transfer_ownership(
    State(app): State<App>,
    LimitedCaller(caller, _): Writer,
    Path(org_id): Path<i64>,
    Json(TransferTo(to)): Json<TransferTo>,
) -> Result<Response, AppError> {
    orgs::transfer_ownership(&app, &caller, org_id, to).await?;
    ok(&json!({ "detail": "Ownership transferred" }))
}

async fn members(State(app): State<App>, caller: Caller, Path(org_id): Path<i64>) -> Result<Response, AppError> {
    ok(&orgs::members(&app, &caller, org_id).await?)
}

async fn member_details(State(app): State<App>, caller: Caller, Path(org_id): Path<i64>) -> Result<Response, AppError> {
    ok(&orgs::member_details(&app, &caller, org_id).await?)
}

async fn add_member(
    State(app): State<App>,
    LimitedCaller(caller, _): Writer,
    Path(org_id): Path<i64>,
    query: Query,
) -> Result<Response, AppError> {
    let Some(user_id) = query.integer("user_id")? else {
        return Err(AppError::validation(FieldError::new(
            "missing",
            &["query", "user_id"],
            "Field required",
        )));
    };
    let role = query.get("role").unwrap_or_else(|| "member".into());
    Ok(
        match invites::add_member(&app, &caller, org_id, user_id, &role).await? {
            Added::Member(membership) => json_response(StatusCode::CREATED, &membership),
            Added::Invited(invite) => json_response(StatusCode::ACCEPTED, &invite),
        },
    )
}

/// A `BulkAdd` body: `user_ids` (at most 100) and an optional `role`.
struct BulkAdd {
    user_ids: Vec<i64>,
    role: String,
}

impl FromFields for BulkAdd {
    fn read(fields: &mut Fields) -> Option<Self> {
        let user_ids = fields.required_int_list("user_ids");
        let role = fields.optional_str("role").unwrap_or_else(|| "member".into());
        if user_ids.as_ref().is_some_and(|ids| ids.len() > MAX_BULK) {
            fields.reject(
                FieldError::new(
                    "too_long",
                    &["body", "user_ids"],
                    format!("List should have at most {MAX_BULK} items"),
                )
                .with_ctx(json!({ "max_length": MAX_BULK })),
            );
        }
        Some(BulkAdd {
            user_ids: user_ids?,
            role,
        })
    }
}

async fn add_members(
    State(app): State<App>,
    LimitedCaller(caller, _): Writer,
    Path(org_id): Path<i64>,
    Json(body): Json<BulkAdd>,
) -> Result<Response, AppError> {
    let (added, skipped) = invites::add_members(&app, &caller, org_id, &body.user_ids, &body.role).await?;
    let mut response = match added {
        BulkAdded::Members(members) => json_response(StatusCode::CREATED, &members),
        BulkAdded::Invited(invites) => json_response(StatusCode::ACCEPTED, &invites),
    };
    let skipped = serde_json::to_string(&skipped).expect("skips serialize");
    let value = HeaderValue::from_str(&skipped).expect("JSON of numbers and ASCII words");
    response.headers_mut().insert("x-skipped-members", value);
    Ok(response)
}

async fn change_role(
    State(app): State<App>,
    LimitedCaller(caller, _): Writer,
    Path((org_id, user_id)): Path<(i64, i64)>,
    query: Query,
) -> Result<Response, AppError> {
    let role = query.required("role")?;
    ok(&orgs::change_role(&app, &caller, org_id, user_id, &role).await?)
}

async fn remove_member(
    State(app): State<App>,
    LimitedCaller(caller, _): Writer,
    Path((org_id, user_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    orgs::remove_member(&app, &caller, org_id, user_id).await?;
    Ok(no_content())
}

async fn leave(
    State(app): State<App>,
    LimitedCaller(caller, _): Writer,
    Path(org_id): Path<i64>,
) -> Result<Response, AppError> {
    orgs::leave(&app, &caller, org_id).await?;
    Ok(no_content())
}

/// An `InviteCreate` body: `email` and an optional `role`.
struct InviteCreate {
    email: Email,
    role: String,
}

impl FromFields for InviteCreate {
    fn read(fields: &mut Fields) -> Option<Self> {
        let email = email_field(fields, "email");
        let role = fields.optional_str("role").unwrap_or_else(|| "member".into());
        Some(InviteCreate { email: email?, role })
    }
}

async fn create_invite(
    State(app): State<App>,
    LimitedCaller(caller, _): Writer,
    Path(org_id): Path<i64>,
    Json(body): Json<InviteCreate>,
) -> Result<Response, AppError> {
    let invite = invites::create(&app, &caller, org_id, body.email, &body.role).await?;
    Ok(json_response(StatusCode::CREATED, &invite))
}

async fn list_invites(State(app): State<App>, caller: Caller, Path(org_id): Path<i64>) -> Result<Response, AppError> {
    ok(&invites::pending(&app, &caller, org_id).await?)
}

async fn revoke_invite(
    State(app): State<App>,
    LimitedCaller(caller, _): Writer,
    Path((org_id, invite_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    invites::revoke(&app, &caller, org_id, invite_id).await?;
    Ok(no_content())
}
