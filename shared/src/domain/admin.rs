//! Global roles and admin user management. Authorization reads the caller's role from the user
//! record re-read on this request, so role changes apply at once.

use crate::audit::{AuditEvent, AuditRecord};
use crate::clock::format_timestamp;
use crate::domain::access::require;
use crate::domain::ports::UserCursor;
use crate::domain::sessions;
use crate::domain::users;
use crate::error::AppError;
use crate::model::{Actor, Caller, FullName, InviteStatus, OrgRole, Registration, Role, User};
use crate::App;

fn not_found() -> AppError {
    AppError::UserNotFound
}

fn refuse_self(actor: Actor, id: i64, action: &str) -> Result<(), AppError> {
    if actor.user_id() == Some(id) {
        return Err(AppError::BadRequest(format!(
            "Cannot {action} your own account. Ask another admin."
        )));
    }
    Ok(())
}

fn audit(event: &str, actor: Actor, target: i64) -> AuditEvent {
    let event = AuditEvent::new(event).target("user", target);
    match actor {
        Actor::User(caller) => event.actor_id(caller.user.id),
        Actor::Operator => event.actor_type("cli"),
    }
}

/// `GET /auth/users`: admins and moderators, newest first, one page at a time.
pub async fn list(
    app: &App,
    caller: &Caller,
    limit: i32,
    after: Option<UserCursor>,
) -> Result<(Vec<User>, Option<UserCursor>), AppError> {
    require(caller, &[Role::Admin, Role::Moderator])?;
    Ok(app.store.list_users(limit, after).await?)
}

/// `POST /auth/users`: admins create accounts whether or not registration is open; no
/// verification mail, no sign-in.
/// The operator creates test accounts the same way through the admin CLI.
pub async fn create(app: &App, actor: Actor<'_>, registration: Registration) -> Result<User, AppError> {
    if let Actor::User(caller) = actor {
        require(caller, &[Role::Admin])?;
    }
    let event = match actor {
        Actor::User(caller) => AuditEvent::new("auth.user_created").actor_id(caller.user.id),
        Actor::Operator => AuditEvent::new("auth.user_created").actor_type("cli"),
    };
    users::create_user(app, registration, false, event).await
}

/// `GET /auth/users/{id}`: yourself, or anyone if you are an admin.
pub async fn get(app: &App, caller: &Caller, id: i64) -> Result<User, AppError> {
    if caller.user.id == id {
        return Ok(caller.user.clone());
    }
    if caller.user.role != Role::Admin {
        return Err(AppError::Forbidden("Not authorized to view this user".into()));
    }
    app.store.user(id).await?.ok_or_else(not_found)
}

/// `PATCH /auth/users/{id}?full_name=`: yourself, or anyone if you are an admin.
pub async fn update_full_name(
    app: &App,
    caller: &Caller,
    id: i64,
    full_name: Option<FullName>,
) -> Result<User, AppError> {
    if caller.user.id != id && caller.user.role != Role::Admin {
        return Err(AppError::Forbidden("Not authorized to update this user".into()));
    }
    let full_name = full_name.ok_or_else(|| AppError::BadRequest("No fields to update".into()))?;
    let now = app.clock.now();
    let event = audit("auth.user_updated", Actor::User(caller), id).at(now);
    app.store
        .set_full_name(id, &full_name.into_inner(), &format_timestamp(now), &[event])
        .await?
        .ok_or_else(not_found)
}

/// `PATCH /auth/users/{id}/activate|deactivate`: admins, never on themselves. Deactivation ends
/// every token the user holds; re-activation does not bring them back.
pub async fn set_active(app: &App, caller: &Caller, id: i64, active: bool) -> Result<User, AppError> {
    require(caller, &[Role::Admin])?;
    if !active {
        refuse_self(Actor::User(caller), id, "deactivate")?;
    }
    let now = app.clock.now();
    let name = if active {
        "auth.user_activated"
    } else {
        "auth.user_deactivated"
    };
    let event = audit(name, Actor::User(caller), id).subject(id).at(now);
    let user = app
        .store
        .set_active(id, active, &format_timestamp(now), now.timestamp_millis(), &[event])
        .await?
        .ok_or_else(not_found)?;
    if !active {
        sessions::revoke_all(app, caller.user.id, id, None).await?;
    }
    Ok(user)
}

/// `PATCH /auth/users/{id}/role`: admins, never on themselves; and the operator through the
/// admin CLI (`gatehouse auth promote-user`).
pub async fn set_role(app: &App, actor: Actor<'_>, id: i64, role: &str) -> Result<User, AppError> {
    if let Actor::User(caller) = actor {
        require(caller, &[Role::Admin])?;
    }
    let role = Role::parse(role).ok_or(AppError::InvalidRole)?;
    if actor.user_id() == Some(id) {
        return Err(AppError::BadRequest(
            "Cannot change your own role. Ask another admin.".into(),
        ));
    }
    let now = app.clock.now();
    let event = audit("auth.role_changed", actor, id)
        .subject(id)
        .detail(format!("new_role={}", role.as_str()))
        .at(now);
    app.store
        .set_role(id, role, &format_timestamp(now), &[event])
        .await?
        .ok_or_else(not_found)
}

/// `DELETE /auth/users/{id}`: admins, never themselves; the rules of `close_account`.
pub async fn delete(app: &App, caller: &Caller, id: i64) -> Result<(), AppError> {
    require(caller, &[Role::Admin])?;
    refuse_self(Actor::User(caller), id, "delete")?;
    let user = app.store.user(id).await?.ok_or_else(not_found)?;
    let event = audit("auth.user_deleted", Actor::User(caller), id)
        .subject(id)
        .at(app.clock.now());
    close_account(app, caller.user.id, &user, event).await
}

/// Deletes `user` on behalf of `actor` (an admin, or the user themselves): refused (409) while
/// the user is the owner of an org with other members; orgs where they are alone go with them,
/// as do their memberships and the pending invites they sent; the user and its email guard go
/// last, together with `closed` (the event that records it), so a failure on the way leaves an
/// account that can be deleted again.
pub async fn close_account(app: &App, actor: i64, user: &User, closed: AuditRecord) -> Result<(), AppError> {
    let id = user.id;
    let mut partitions = Vec::new();
    for membership in app.store.memberships_of(id).await? {
        let partition = app.store.org_partition(membership.organization_id).await?;
        let Some(org) = &partition.org else { continue };
        let is_owner = partition
            .members
            .iter()
            .any(|m| m.user_id == id && m.role == OrgRole::Owner);
        if is_owner && partition.members.len() > 1 {
            return Err(AppError::Conflict(format!(
                "User owns organization '{}', which has other members: transfer its ownership or delete it first",
                org.slug
            )));
        }
        partitions.push((is_owner, partition));
    }
    let now = app.clock.now().timestamp();
    for (is_owner, partition) in partitions {
        let org_id = partition.org.as_ref().map(|o| o.id).expect("kept only orgs that exist");
        if is_owner {
            let event = AuditEvent::new("auth.org_deleted")
                .actor_id(actor)
                .org_id(org_id)
                .target("org", org_id)
                .detail(format!("with its owner, user {id}"))
                .at(app.clock.now());
            app.store.delete_org(org_id, &[event]).await?;
            continue;
        }
        // What goes with the user's membership is recorded by the user's deletion, below.
        app.store.remove_member(org_id, id, &[]).await?;
        for invite in partition
            .invites
            .iter()
            .filter(|i| i.invited_by == id && i.status == InviteStatus::Pending)
        {
            app.store.revoke_invite(invite, now, &[]).await?;
        }
    }
    // No session needs revoking: every token and refresh token of a deleted user is refused
    // because the user is gone.
    if !app.store.delete_user(user, &[closed]).await? {
        return Err(not_found());
    }
    Ok(())
}

/// `DELETE /auth/users/{id}/sessions`: admins end every session of a user (0 for an unknown one).
pub async fn revoke_sessions(app: &App, caller: &Caller, id: i64) -> Result<usize, AppError> {
    require(caller, &[Role::Admin])?;
    sessions::revoke_all(app, caller.user.id, id, None).await
}

/// `DELETE /auth/users/{id}/sessions/{session_id}`: admins end one session of a user.
pub async fn revoke_session(app: &App, caller: &Caller, id: i64, session_id: &str) -> Result<(), AppError> {
    require(caller, &[Role::Admin])?;
    if !sessions::revoke(app, caller.user.id, id, session_id).await? {
        return Err(AppError::NotFound("Session not found".into()));
    }
    Ok(())
}
