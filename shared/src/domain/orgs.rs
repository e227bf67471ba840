//! Organizations, their members and roles. An org always has exactly one owner, and only
//! `transfer-ownership` changes who it is; org admins manage members up to their own rank.

use crate::audit::{AuditEvent, AuditRecord};
use crate::clock::format_timestamp;
use crate::domain::access::require;
use crate::domain::ports::{AddMemberOutcome, MemberChange};
use crate::error::AppError;
use crate::model::{
    Caller, MemberDetail, Membership, NewOrg, Org, OrgDescription, OrgName, OrgRole, Role, User, UserMembership,
};
use crate::App;
use serde::Serialize;

pub const INSUFFICIENT: &str = "Insufficient organization permissions";
pub const NOT_FOUND: &str = "Organization not found";
pub const MEMBER_NOT_FOUND: &str = "Member not found";
pub const OWNER_NOT_GRANTABLE: &str = "Role 'owner' cannot be granted; use transfer-ownership";
pub const OWNER_CANNOT_LEAVE: &str = "Transfer ownership before leaving the organization";
pub const MFA_REQUIRED_BY_ORG: &str = "This organization requires two-step sign-in: enable a second factor (POST /api/v1/auth/mfa/totp) and sign in with it";

/// The caller's standing in an org they belong to.
pub struct Access {
    pub org: Org,
    pub role: OrgRole,
}

fn forbidden() -> AppError {
    AppError::Forbidden(INSUFFICIENT.into())
}

/// The org and the caller's role in it, if they hold at least `needed`. Anyone else gets the
/// same 403 whether or not the org exists. An org that requires a second factor refuses its
/// members whose session was not signed in with one (after the membership check, so that
/// outsiders learn nothing of the org's policy).
pub async fn access(app: &App, caller: &Caller, org_id: i64, needed: OrgRole) -> Result<Access, AppError> {
    let (org, membership) = app.store.org_and_membership(org_id, caller.user.id).await?;
    match (org, membership) {
        (Some(org), Some(m)) if m.role >= needed => {
            meets_policy(&org, caller)?;
            Ok(Access { org, role: m.role })
        }
        _ => Err(forbidden()),
    }
}

/// 403 when the org requires a second factor and the caller's session was not signed in with one.
fn meets_policy(org: &Org, caller: &Caller) -> Result<(), AppError> {
    if org.require_mfa && !caller.claims.has_second_factor() {
        return Err(AppError::Forbidden(MFA_REQUIRED_BY_ORG.into()));
    }
    Ok(())
}

/// The role a request asks to grant: valid, never `owner`, and not above the granter's rank.
pub fn grantable_role(text: &str, granter: OrgRole) -> Result<OrgRole, AppError> {
    let role = OrgRole::parse(text)
        .ok_or_else(|| AppError::BadRequest(format!("Invalid role: {text}. Valid: ['admin', 'member', 'owner']")))?;
    if role == OrgRole::Owner {
        return Err(AppError::BadRequest(OWNER_NOT_GRANTABLE.into()));
    }
    if role > granter {
        return Err(AppError::Forbidden(format!(
            "Cannot grant role '{}' — your role is '{}'.",
            role.as_str(),
            granter.as_str()
        )));
    }
    Ok(role)
}

/// How many orgs the user owns.
async fn owned(app: &App, user_id: i64) -> Result<i64, AppError> {
    let memberships = app.store.memberships_of(user_id).await?;
    Ok(memberships.iter().filter(|m| m.role == OrgRole::Owner).count() as i64)
}

/// `POST /orgs`: the creator becomes the owner; org, slug guard and membership are one write.
/// Nobody owns more than `ORG_LIMIT_PER_USER` orgs (counted before the write: parallel creates
/// by one user may pass the count together, which the org-write rate limit bounds).
pub async fn create(app: &App, caller: &Caller, new: NewOrg) -> Result<Org, AppError> {
    let limit = app.settings.org_limit_per_user;
    if owned(app, caller.user.id).await? >= limit {
        return Err(AppError::Forbidden(format!(
            "You already own {limit} organizations, the most one user may own"
        )));
    }
    let now = format_timestamp(app.clock.now());
    let org = Org {
        name: new.name.into_inner(),
        slug: new.slug.into_inner(),
        description: new.description.map(OrgDescription::into_inner),
        is_active: new.is_active,
        id: app.store.next_id("org").await?,
        created_at: now.clone(),
        updated_at: None,
        require_mfa: false,
    };
    let owner = Membership {
        id: app.store.next_id("membership").await?,
        organization_id: org.id,
        user_id: caller.user.id,
        role: OrgRole::Owner,
        joined_at: now,
    };
    let event = AuditEvent::new("auth.org_created")
        .actor_id(caller.user.id)
        .org_id(org.id)
        .target("org", org.id)
        .at(app.clock.now());
    if !app.store.create_org(&org, &owner, &[event]).await? {
        return Err(AppError::BadRequest("Organization slug already taken".into()));
    }
    Ok(org)
}

/// `GET /orgs`: the orgs the caller belongs to.
pub async fn mine(app: &App, caller: &Caller) -> Result<Vec<Org>, AppError> {
    let memberships = app.store.memberships_of(caller.user.id).await?;
    let ids: Vec<i64> = memberships.iter().map(|m| m.organization_id).collect();
    Ok(app.store.orgs(&ids).await?)
}

/// `GET /orgs/all`: global admins only.
pub async fn all(app: &App, caller: &Caller) -> Result<Vec<Org>, AppError> {
    require(caller, &[Role::Admin])?;
    Ok(app.store.all_orgs().await?)
}

/// `GET /orgs/memberships`: global admins only; every membership with its org's name.
pub async fn all_memberships(app: &App, caller: &Caller) -> Result<Vec<UserMembership>, AppError> {
    require(caller, &[Role::Admin])?;
    let mut out = Vec::new();
    for org in app.store.all_orgs().await? {
        for m in app.store.org_partition(org.id).await?.members {
            out.push(UserMembership {
                user_id: m.user_id,
                org_name: org.name.clone(),
                org_slug: org.slug.clone(),
                role: m.role,
            });
        }
    }
    Ok(out)
}

/// `PATCH /orgs/{id}?name=&description=&require_mfa=`: org admins and the owner. Turning
/// `require_mfa` on takes a caller signed in with a second factor, who could not reach the org's
/// routes afterwards otherwise.
pub async fn update(
    app: &App,
    caller: &Caller,
    org_id: i64,
    name: Option<OrgName>,
    description: Option<OrgDescription>,
    require_mfa: Option<bool>,
) -> Result<Org, AppError> {
    access(app, caller, org_id, OrgRole::Admin).await?;
    if name.is_none() && description.is_none() && require_mfa.is_none() {
        return Err(AppError::BadRequest("No fields to update".into()));
    }
    if require_mfa == Some(true) && !caller.claims.has_second_factor() {
        return Err(AppError::Forbidden(
            "Sign in with a second factor before requiring one of the organization's members".into(),
        ));
    }
    let now = app.clock.now();
    let mut event = AuditEvent::new("auth.org_updated")
        .actor_id(caller.user.id)
        .org_id(org_id)
        .target("org", org_id);
    if let Some(required) = require_mfa {
        event = event.detail(format!("require_mfa set to {required}"));
    }
    app.store
        .update_org(
            org_id,
            name.map(OrgName::into_inner).as_deref(),
            description.map(OrgDescription::into_inner).as_deref(),
            require_mfa,
            &format_timestamp(now),
            &[event.at(now)],
        )
        .await?
        .ok_or_else(|| AppError::NotFound(NOT_FOUND.into()))
}

/// `DELETE /orgs/{id}`: the owner, or a global admin even when not a member. Memberships,
/// invites and the slug go with the org.
pub async fn delete(app: &App, caller: &Caller, org_id: i64) -> Result<(), AppError> {
    if caller.user.role != Role::Admin {
        access(app, caller, org_id, OrgRole::Owner).await?;
    }
    let event = AuditEvent::new("auth.org_deleted")
        .actor_id(caller.user.id)
        .org_id(org_id)
        .target("org", org_id)
        .at(app.clock.now());
    if !app.store.delete_org(org_id, &[event]).await? {
        return Err(AppError::NotFound(NOT_FOUND.into()));
    }
    Ok(())
}

/// `POST /orgs/{id}/transfer-ownership`: the owner hands over to a member and becomes admin,
/// in one transaction; of parallel transfers, one wins.
pub async fn transfer_ownership(app: &App, caller: &Caller, org_id: i64, to: i64) -> Result<(), AppError> {
    access(app, caller, org_id, OrgRole::Owner).await?;
    if to == caller.user.id {
        return Err(AppError::BadRequest("Cannot transfer ownership to yourself".into()));
    }
    if !app.store.is_member(org_id, to).await? {
        return Err(AppError::BadRequest(
            "Target user is not a member of this organization".into(),
        ));
    }
    if owned(app, to).await? >= app.settings.org_limit_per_user {
        return Err(AppError::Conflict(
            "The new owner already owns as many organizations as one user may".into(),
        ));
    }
    let event = AuditEvent::new("auth.org_ownership_transferred")
        .actor_id(caller.user.id)
        .org_id(org_id)
        .target("user", to)
        .at(app.clock.now());
    if !app
        .store
        .transfer_ownership(org_id, caller.user.id, to, &[event])
        .await?
    {
        // The caller stopped being the owner (a parallel transfer) or the target left meanwhile.
        return Err(AppError::Conflict(
            "Ownership changed meanwhile; reload and try again".into(),
        ));
    }
    Ok(())
}

/// `GET /orgs/{id}/members` and `…/members/details`: any member.
pub async fn members(app: &App, caller: &Caller, org_id: i64) -> Result<Vec<Membership>, AppError> {
    let partition = app.store.org_partition(org_id).await?;
    let is_member = partition.members.iter().any(|m| m.user_id == caller.user.id);
    match partition.org {
        Some(org) if is_member => meets_policy(&org, caller)?,
        _ => return Err(forbidden()),
    }
    Ok(partition.members)
}

pub async fn member_details(app: &App, caller: &Caller, org_id: i64) -> Result<Vec<MemberDetail>, AppError> {
    let members = members(app, caller, org_id).await?;
    let ids: Vec<i64> = members.iter().map(|m| m.user_id).collect();
    let users: Vec<User> = app.store.users(&ids).await?;
    Ok(members
        .into_iter()
        .map(|m| {
            let user = users.iter().find(|u| u.id == m.user_id);
            MemberDetail {
                user_id: m.user_id,
                email: user.map(|u| u.email.clone()),
                full_name: user.and_then(|u| u.full_name.clone()),
                role: m.role,
                joined_at: m.joined_at,
            }
        })
        .collect())
}

/// Tries to add one member, recorded by `events`: the membership, or what the store found
/// instead.
async fn add_one(
    app: &App,
    org_id: i64,
    user_id: i64,
    role: OrgRole,
    events: &[AuditRecord],
) -> Result<Result<Membership, AddMemberOutcome>, AppError> {
    let membership = Membership {
        id: app.store.next_id("membership").await?,
        organization_id: org_id,
        user_id,
        role,
        joined_at: format_timestamp(app.clock.now()),
    };
    Ok(match app.store.add_member(&membership, events).await? {
        AddMemberOutcome::Added => Ok(membership),
        refused => Err(refused),
    })
}

/// Why a member could not be added, in the words of the API.
fn refusal(outcome: AddMemberOutcome) -> AppError {
    match outcome {
        AddMemberOutcome::AlreadyMember => AppError::BadRequest("User is already a member of this organization".into()),
        AddMemberOutcome::UnknownUser => AppError::UserNotFound,
        AddMemberOutcome::Added | AddMemberOutcome::OrgGone | AddMemberOutcome::ExtraConditionFailed => {
            AppError::NotFound(NOT_FOUND.into())
        }
    }
}

/// `POST /orgs/{id}/members?user_id=&role=`: org admins and the owner.
pub async fn add_member(
    app: &App,
    caller: &Caller,
    org_id: i64,
    user_id: i64,
    role: &str,
) -> Result<Membership, AppError> {
    let access = access(app, caller, org_id, OrgRole::Admin).await?;
    let role = grantable_role(role, access.role)?;
    let event = AuditEvent::new("auth.member_added")
        .actor_id(caller.user.id)
        .org_id(org_id)
        .target("user", user_id)
        .at(app.clock.now());
    add_one(app, org_id, user_id, role, &[event]).await?.map_err(refusal)
}

/// What a bulk add did not do, and why.
#[derive(Debug, Serialize)]
pub struct Skipped {
    pub user_id: i64,
    pub reason: &'static str,
}

/// `POST /orgs/{id}/members/bulk`: adds whom it can and reports the rest.
pub async fn add_members(
    app: &App,
    caller: &Caller,
    org_id: i64,
    user_ids: &[i64],
    role: &str,
) -> Result<(Vec<Membership>, Vec<Skipped>), AppError> {
    let access = access(app, caller, org_id, OrgRole::Admin).await?;
    let role = grantable_role(role, access.role)?;
    let mut added = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for &user_id in user_ids {
        if !seen.insert(user_id) {
            skipped.push(Skipped {
                user_id,
                reason: "duplicate",
            });
            continue;
        }
        // Each membership is its own transaction, recorded with it; the summary follows.
        let event = AuditEvent::new("auth.member_added")
            .actor_id(caller.user.id)
            .org_id(org_id)
            .target("user", user_id)
            .detail("bulk")
            .at(app.clock.now());
        match add_one(app, org_id, user_id, role, &[event]).await? {
            Ok(membership) => added.push(membership),
            Err(AddMemberOutcome::AlreadyMember) => skipped.push(Skipped {
                user_id,
                reason: "already_member",
            }),
            Err(AddMemberOutcome::UnknownUser) => skipped.push(Skipped {
                user_id,
                reason: "unknown_user",
            }),
            Err(other) => return Err(refusal(other)),
        }
    }
    let summary = AuditEvent::new("auth.members_bulk_added")
        .actor_id(caller.user.id)
        .org_id(org_id)
        .detail(format!("Added {} members", added.len()))
        .at(app.clock.now());
    app.store.record(&[summary]).await?;
    Ok((added, skipped))
}

/// `PATCH /orgs/{id}/members/{user_id}?role=`: never the owner's role, never to `owner`.
pub async fn change_role(
    app: &App,
    caller: &Caller,
    org_id: i64,
    user_id: i64,
    role: &str,
) -> Result<Membership, AppError> {
    let access = access(app, caller, org_id, OrgRole::Admin).await?;
    let role = grantable_role(role, access.role)?;
    let event = AuditEvent::new("auth.member_role_updated")
        .actor_id(caller.user.id)
        .org_id(org_id)
        .target("user", user_id)
        .detail(format!("Role changed to {}", role.as_str()))
        .at(app.clock.now());
    let membership = match app.store.set_member_role(org_id, user_id, role, &[event]).await? {
        MemberChange::Done(Some(m)) => m,
        MemberChange::Done(None) | MemberChange::NotFound => return Err(AppError::NotFound(MEMBER_NOT_FOUND.into())),
        MemberChange::IsOwner => {
            return Err(AppError::Forbidden(
                "Cannot change the owner's role; use transfer-ownership".into(),
            ))
        }
    };
    Ok(membership)
}

/// `DELETE /orgs/{id}/members/{user_id}`: never the owner.
pub async fn remove_member(app: &App, caller: &Caller, org_id: i64, user_id: i64) -> Result<(), AppError> {
    access(app, caller, org_id, OrgRole::Admin).await?;
    let event = AuditEvent::new("auth.member_removed")
        .actor_id(caller.user.id)
        .org_id(org_id)
        .target("user", user_id)
        .at(app.clock.now());
    match app.store.remove_member(org_id, user_id, &[event]).await? {
        MemberChange::Done(_) => Ok(()),
        MemberChange::NotFound => Err(AppError::NotFound(MEMBER_NOT_FOUND.into())),
        MemberChange::IsOwner => Err(AppError::Forbidden("Cannot remove the organization owner".into())),
    }
}

/// `DELETE /orgs/{id}/members/me`: any member but the owner leaves.
pub async fn leave(app: &App, caller: &Caller, org_id: i64) -> Result<(), AppError> {
    let access = access(app, caller, org_id, OrgRole::Member).await?;
    if access.role == OrgRole::Owner {
        return Err(AppError::Conflict(OWNER_CANNOT_LEAVE.into()));
    }
    let event = AuditEvent::new("auth.member_removed")
        .actor_id(caller.user.id)
        .org_id(org_id)
        .target("user", caller.user.id)
        .detail("Left the organization")
        .at(app.clock.now());
    match app.store.remove_member(org_id, caller.user.id, &[event]).await? {
        MemberChange::Done(_) => Ok(()),
        MemberChange::NotFound => Err(forbidden()),
        MemberChange::IsOwner => Err(AppError::Conflict(OWNER_CANNOT_LEAVE.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::grantable_role;
    use crate::error::AppError;
    use crate::model::OrgRole;

    #[test]
    fn roles_are_granted_up_to_the_granters_rank_and_owner_never() {
        assert_eq!(grantable_role("member", OrgRole::Admin).unwrap(), OrgRole::Member);
        assert_eq!(grantable_role("admin", OrgRole::Admin).unwrap(), OrgRole::Admin);
        assert_eq!(grantable_role("admin", OrgRole::Owner).unwrap(), OrgRole::Admin);
        assert!(matches!(
            grantable_role("admin", OrgRole::Member),
            Err(AppError::Forbidden(_))
        ));
        for granter in [OrgRole::Member, OrgRole::Admin, OrgRole::Owner] {
            assert!(matches!(grantable_role("owner", granter), Err(AppError::BadRequest(_))));
        }
        assert!(matches!(
            grantable_role("boss", OrgRole::Owner),
            Err(AppError::BadRequest(_))
        ));
    }
}
