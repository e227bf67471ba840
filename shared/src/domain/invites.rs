//! Org invites: an existing user joins at once; anyone else gets a pending invite with a
//! one-time token (stored hashed) that registration or `accept-invite` redeems.

use crate::audit::AuditEvent;
use crate::clock::format_timestamp;
use crate::domain::mail;
use crate::domain::one_time;
use crate::domain::orgs;
use crate::domain::ports::{AcceptOutcome, AddMemberOutcome};
use crate::error::AppError;
use crate::model::{
    AcceptanceMode, Caller, Email, Invite, InviteStatus, InviteView, MailContent, MailSecret, Membership, OrgRole, User,
};
use crate::App;
use chrono::Duration;

const INVITE_DAYS: i64 = 14;
pub const INVALID_INVITE: &str = "Invalid or expired invite";

/// `POST /orgs/{id}/invites`: org admins and the owner, at most at their own rank.
pub async fn create(app: &App, caller: &Caller, org_id: i64, email: Email, role: &str) -> Result<InviteView, AppError> {
    let access = orgs::access(app, caller, org_id, OrgRole::Admin).await?;
    let role = orgs::grantable_role(role, access.role)?;
    let now = app.clock.now();
    let expires = now + Duration::days(INVITE_DAYS);
    let mut invite = Invite {
        id: app.store.next_id("invite").await?,
        organization_id: org_id,
        email: email.to_string(),
        role,
        status: InviteStatus::Pending,
        invited_by: caller.user.id,
        created_at: format_timestamp(now),
        expires_at_iso: format_timestamp(expires),
        expires_epoch: expires.timestamp(),
        token_hash: None,
    };
    let view = match app.store.user_by_email(email.as_str()).await? {
        Some(user) => {
            invite.status = InviteStatus::Accepted;
            let membership = Membership {
                id: app.store.next_id("membership").await?,
                organization_id: org_id,
                user_id: user.id,
                role,
                joined_at: format_timestamp(now),
            };
            match app.store.create_accepted_invite(&invite, &membership).await? {
                AddMemberOutcome::Added => InviteView::of(&invite, None),
                AddMemberOutcome::AlreadyMember => {
                    return Err(AppError::BadRequest(format!(
                        "{email} is already a member of this organization"
                    )))
                }
                AddMemberOutcome::UnknownUser | AddMemberOutcome::OrgGone | AddMemberOutcome::ExtraConditionFailed => {
                    return Err(AppError::Conflict(
                        "The organization or the user changed meanwhile; try again".into(),
                    ))
                }
            }
        }
        None => {
            let secret = one_time::random_secret();
            invite.token_hash = Some(one_time::hash(&secret));
            let inviter = match &caller.user.full_name {
                Some(name) => format!("{name} ({})", caller.user.email),
                None => caller.user.email.clone(),
            };
            let content = MailContent::Invite {
                token: MailSecret(secret.clone()),
                org_name: access.org.name.clone(),
                inviter,
                role: role.as_str().to_string(),
                expires_at: invite.expires_at_iso.clone(),
            };
            let queued = mail::queue(app, email.as_str(), &content, now);
            if !app
                .store
                .create_pending_invite(&invite, &queued, now.timestamp())
                .await?
            {
                return Err(AppError::BadRequest(format!(
                    "Pending invite already exists for {email}"
                )));
            }
            mail::log_queued(&queued);
            InviteView::of(&invite, Some(secret))
        }
    };
    AuditEvent::new("auth.invite_created")
        .actor_id(caller.user.id)
        .org_id(org_id)
        .detail(email.as_str())
        .emit(now);
    Ok(view)
}

/// `GET /orgs/{id}/invites`: pending, unexpired invites, without tokens.
pub async fn pending(app: &App, caller: &Caller, org_id: i64) -> Result<Vec<InviteView>, AppError> {
    orgs::access(app, caller, org_id, OrgRole::Admin).await?;
    let now = app.clock.now().timestamp();
    let partition = app.store.org_partition(org_id).await?;
    Ok(partition
        .invites
        .iter()
        .filter(|i| i.status == InviteStatus::Pending && i.expires_epoch > now)
        .map(|i| InviteView::of(i, None))
        .collect())
}

/// `DELETE /orgs/{id}/invites/{invite_id}`: revokes a pending invite and its token.
pub async fn revoke(app: &App, caller: &Caller, org_id: i64, invite_id: i64) -> Result<(), AppError> {
    orgs::access(app, caller, org_id, OrgRole::Admin).await?;
    let not_found = || AppError::NotFound("Invite not found".into());
    let invite = app.store.invite(org_id, invite_id).await?.ok_or_else(not_found)?;
    let now = app.clock.now().timestamp();
    if invite.status != InviteStatus::Pending || !app.store.revoke_invite(&invite, now).await? {
        return Err(not_found());
    }
    AuditEvent::new("auth.invite_revoked")
        .actor_id(caller.user.id)
        .org_id(org_id)
        .target("invite", invite_id)
        .emit(app.clock.now());
    Ok(())
}

/// Redeems `invite` for `user`; `Err` in the API's words.
async fn redeem(app: &App, invite: &Invite, user: &User) -> Result<(), AppError> {
    let now = app.clock.now();
    if invite.status != InviteStatus::Pending || invite.expires_epoch <= now.timestamp() {
        return Err(AppError::BadRequest(INVALID_INVITE.into()));
    }
    let membership = Membership {
        id: app.store.next_id("membership").await?,
        organization_id: invite.organization_id,
        user_id: user.id,
        role: invite.role,
        joined_at: format_timestamp(now),
    };
    match app.store.accept_invite(invite, &membership, now.timestamp()).await? {
        AcceptOutcome::Accepted => {}
        AcceptOutcome::AlreadyMember => {
            return Err(AppError::BadRequest(
                "You are already a member of this organization".into(),
            ))
        }
        AcceptOutcome::NotPending => return Err(AppError::BadRequest(INVALID_INVITE.into())),
    }
    AuditEvent::new("auth.invite_accepted")
        .actor_id(user.id)
        .org_id(invite.organization_id)
        .target("user", user.id)
        .emit(now);
    Ok(())
}

/// `POST /auth/accept-invite`: in `email` mode only the invited address may accept.
pub async fn accept(app: &App, caller: &Caller, secret: &str) -> Result<InviteView, AppError> {
    let invalid = || AppError::BadRequest(INVALID_INVITE.into());
    let mut invite = app
        .store
        .invite_by_token(&one_time::hash(secret))
        .await?
        .ok_or_else(invalid)?;
    if app.settings.invite_acceptance_mode == AcceptanceMode::Email && invite.email != caller.user.email {
        return Err(AppError::BadRequest("Email does not match invite".into()));
    }
    redeem(app, &invite, &caller.user).await?;
    invite.status = InviteStatus::Accepted;
    Ok(InviteView::of(&invite, None))
}

/// At registration: every pending, unexpired invite for the new user's email is accepted.
pub async fn accept_pending_for(app: &App, user: &User) -> Result<(), AppError> {
    for invite in app.store.pending_invites_for(&user.email).await? {
        match redeem(app, &invite, user).await {
            Ok(()) | Err(AppError::BadRequest(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(())
}
