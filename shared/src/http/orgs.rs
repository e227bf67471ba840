//! The `orgs` function: organizations, members, ownership and invites under `/api/v1/orgs`.

use super::auth::email_field;
use super::{
    caller, error_response, integer, json_object, json_response, no_content, not_found, query_param, Matched, Router,
};
use crate::domain::{invites, orgs};
use crate::error::{AppError, FieldError};
use crate::model::names::INVALID_SLUG;
use crate::model::{Caller, NewOrg, OrgDescription, OrgName, Slug};
use crate::App;
use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use std::sync::LazyLock;

const MAX_BULK: usize = 100;

#[derive(Clone, Copy)]
pub enum OrgsRoute {
    Create,
    Mine,
    All,
    Memberships,
    Get,
    Update,
    Delete,
    TransferOwnership,
    Members,
    MemberDetails,
    AddMember,
    AddMembers,
    ChangeRole,
    RemoveMember,
    CreateInvite,
    ListInvites,
    RevokeInvite,
}

pub static ROUTER: LazyLock<Router<OrgsRoute>> = LazyLock::new(|| {
    use OrgsRoute::*;
    Router::new(vec![
        (Method::POST, "/api/v1/orgs", Create),
        (Method::GET, "/api/v1/orgs", Mine),
        (Method::GET, "/api/v1/orgs/all", All),
        (Method::GET, "/api/v1/orgs/memberships", Memberships),
        (Method::GET, "/api/v1/orgs/{org_id}", Get),
        (Method::PATCH, "/api/v1/orgs/{org_id}", Update),
        (Method::DELETE, "/api/v1/orgs/{org_id}", Delete),
        (
            Method::POST,
            "/api/v1/orgs/{org_id}/transfer-ownership",
            TransferOwnership,
        ),
        (Method::GET, "/api/v1/orgs/{org_id}/members", Members),
        (Method::POST, "/api/v1/orgs/{org_id}/members", AddMember),
        (Method::GET, "/api/v1/orgs/{org_id}/members/details", MemberDetails),
        (Method::POST, "/api/v1/orgs/{org_id}/members/bulk", AddMembers),
        (Method::PATCH, "/api/v1/orgs/{org_id}/members/{user_id}", ChangeRole),
        (Method::DELETE, "/api/v1/orgs/{org_id}/members/{user_id}", RemoveMember),
        (Method::POST, "/api/v1/orgs/{org_id}/invites", CreateInvite),
        (Method::GET, "/api/v1/orgs/{org_id}/invites", ListInvites),
        (
            Method::DELETE,
            "/api/v1/orgs/{org_id}/invites/{invite_id}",
            RevokeInvite,
        ),
    ])
});

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let result = match ROUTER.find(req.method(), req.uri().path()) {
        Matched::Found { route, params } => match caller(app, &req).await {
            Ok(caller) => {
                let param = |name: &str| -> Result<i64, AppError> {
                    let raw = params
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, v)| *v)
                        .unwrap_or_default();
                    integer(raw, "path", name)
                };
                dispatch(app, &req, &caller, route, param).await
            }
            Err(e) => Err(e),
        },
        Matched::MethodNotAllowed => Err(AppError::MethodNotAllowed),
        Matched::NotFound => Ok(not_found()),
    };
    result.unwrap_or_else(|e| error_response(&e))
}

async fn dispatch(
    app: &App,
    req: &Request,
    caller: &Caller,
    route: OrgsRoute,
    param: impl Fn(&str) -> Result<i64, AppError>,
) -> Result<Response<Body>, AppError> {
    match route {
        OrgsRoute::Create => {
            let new = new_org(req)?;
            let org = orgs::create(app, caller, new).await?;
            Ok(json_response(StatusCode::CREATED, &org))
        }
        OrgsRoute::Mine => ok(&orgs::mine(app, caller).await?),
        OrgsRoute::All => ok(&orgs::all(app, caller).await?),
        OrgsRoute::Memberships => ok(&orgs::all_memberships(app, caller).await?),
        OrgsRoute::Get => ok(
            &orgs::access(app, caller, param("org_id")?, crate::model::OrgRole::Member)
                .await?
                .org,
        ),
        OrgsRoute::Update => {
            let org_id = param("org_id")?;
            let name = query_param(req, "name")
                .map(|raw| OrgName::parse(&raw, &["query", "name"]))
                .transpose();
            let description = query_param(req, "description")
                .map(|raw| OrgDescription::parse(raw, &["query", "description"]))
                .transpose();
            let errors: Vec<FieldError> = [name.as_ref().err(), description.as_ref().err()]
                .into_iter()
                .flatten()
                .cloned()
                .collect();
            match (name, description) {
                (Ok(name), Ok(description)) => ok(&orgs::update(app, caller, org_id, name, description).await?),
                _ => Err(AppError::Validation(errors)),
            }
        }
        OrgsRoute::Delete => {
            orgs::delete(app, caller, param("org_id")?).await?;
            Ok(no_content())
        }
        OrgsRoute::TransferOwnership => {
            let org_id = param("org_id")?;
            let mut fields = json_object(req)?;
            let to = fields.required_int("user_id");
            fields.finish()?;
            orgs::transfer_ownership(app, caller, org_id, to.expect("finish() reports a missing user_id")).await?;
            ok(&json!({ "detail": "Ownership transferred" }))
        }
        OrgsRoute::Members => ok(&orgs::members(app, caller, param("org_id")?).await?),
        OrgsRoute::MemberDetails => ok(&orgs::member_details(app, caller, param("org_id")?).await?),
        OrgsRoute::AddMember => {
            let org_id = param("org_id")?;
            let user_id = match query_param(req, "user_id") {
                Some(raw) => integer(&raw, "query", "user_id")?,
                None => {
                    return Err(AppError::validation(FieldError::new(
                        "missing",
                        &["query", "user_id"],
                        "Field required",
                    )))
                }
            };
            let role = query_param(req, "role").unwrap_or_else(|| "member".into());
            let membership = orgs::add_member(app, caller, org_id, user_id, &role).await?;
            Ok(json_response(StatusCode::CREATED, &membership))
        }
        OrgsRoute::AddMembers => {
            let org_id = param("org_id")?;
            let mut fields = json_object(req)?;
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
            fields.finish()?;
            let user_ids = user_ids.expect("finish() reports a missing list");
            let (added, skipped) = orgs::add_members(app, caller, org_id, &user_ids, &role).await?;
            let mut response = json_response(StatusCode::CREATED, &added);
            let skipped = serde_json::to_string(&skipped).expect("skips serialize");
            let value = header::HeaderValue::from_str(&skipped).expect("JSON of numbers and ASCII words");
            response.headers_mut().insert("x-skipped-members", value);
            Ok(response)
        }
        OrgsRoute::ChangeRole => {
            let (org_id, user_id) = (param("org_id")?, param("user_id")?);
            let role = query_param(req, "role").ok_or_else(|| {
                AppError::validation(FieldError::new("missing", &["query", "role"], "Field required"))
            })?;
            ok(&orgs::change_role(app, caller, org_id, user_id, &role).await?)
        }
        OrgsRoute::RemoveMember => {
            orgs::remove_member(app, caller, param("org_id")?, param("user_id")?).await?;
            Ok(no_content())
        }
        OrgsRoute::CreateInvite => {
            let org_id = param("org_id")?;
            let mut fields = json_object(req)?;
            let email = email_field(&mut fields, "email");
            let role = fields.optional_str("role").unwrap_or_else(|| "member".into());
            fields.finish()?;
            let invite =
                invites::create(app, caller, org_id, email.expect("finish() reports a bad email"), &role).await?;
            Ok(json_response(StatusCode::CREATED, &invite))
        }
        OrgsRoute::ListInvites => ok(&invites::pending(app, caller, param("org_id")?).await?),
        OrgsRoute::RevokeInvite => {
            invites::revoke(app, caller, param("org_id")?, param("invite_id")?).await?;
            Ok(no_content())
        }
    }
}

fn ok<T: serde::Serialize>(body: &T) -> Result<Response<Body>, AppError> {
    Ok(json_response(StatusCode::OK, body))
}

fn new_org(req: &Request) -> Result<NewOrg, AppError> {
    let mut fields = json_object(req)?;
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
    fields.finish()?;
    let (Some(name), Some(slug)) = (name, slug) else {
        unreachable!("finish() reports missing fields");
    };
    let slug = Slug::parse(&slug).ok_or_else(|| AppError::BadRequest(INVALID_SLUG.into()))?;
    Ok(NewOrg {
        name,
        slug,
        description,
        is_active,
    })
}
