//! Org invites. By default (the seed's flows) an existing user joins at once and anyone else
//! gets a pending invite with a one-time token (stored hashed) that registration or
//! `accept-invite` redeems. With `ORG_MEMBER_CONSENT=true`, adding an existing user, by id or by
//! address, makes a pending invite that the user accepts or declines; with
//! `INVITE_AUTO_ACCEPT=verification`, an address's invites are accepted only once the address is
//! proven (verified, or registered with one of its invite tokens).

use crate::audit::AuditEvent;
use crate::clock::format_timestamp;
use crate::domain::limits;
use crate::domain::mail;
use crate::domain::one_time;
use crate::domain::orgs::{self, Skipped};
use crate::domain::ports::{AcceptOutcome, AddMemberOutcome};
use crate::error::AppError;
use crate::model::{
    AcceptanceMode, AutoAccept, Caller, Email, Invite, InviteStatus, InviteView, MailContent, MailSecret, Membership,
    Org, OrgRole, ReceivedInvite, User,
};
use crate::App;
use chrono::{DateTime, Duration, Utc};

const INVITE_DAYS: i64 = 14;
pub const INVALID_INVITE: &str = "Invalid or expired invite";
pub const VERIFY_FIRST: &str = "Verify your email address before accepting an invite";
pub const INVITE_NOT_FOUND: &str = "Invite not found";

/// A pending invite from `inviter` to `email` (and, by id, to `user_id`), not yet stored.
async fn new_invite(
    app: &App,
    org_id: i64,
    inviter: i64,
    email: &str,
    user_id: Option<i64>,
    role: OrgRole,
    now: DateTime<Utc>,
) -> Result<Invite, AppError> {
    let expires = now + Duration::days(INVITE_DAYS);
    Ok(Invite {
        id: app.store.next_id("invite").await?,
        organization_id: org_id,
        email: email.to_string(),
        role,
        status: InviteStatus::Pending,
        invited_by: inviter,
        created_at: format_timestamp(now),
        expires_at_iso: format_timestamp(expires),
        expires_epoch: expires.timestamp(),
        token_hash: None,
        user_id,
    })
}

/// Counts one invite against the org's `RATE_LIMIT_INVITE_*`.
async fn count_invite(app: &App, org_id: i64) -> Result<(), AppError> {
    limits::check(app, limits::Route::Invite, &format!("org:{org_id}")).await
}

/// Whether adding `user` makes an invite they must accept rather than a membership.
fn needs_consent(app: &App, user: &User) -> bool {
    app.settings.org_member_consent
        || (app.settings.invite_auto_accept == AutoAccept::Verification && !user.is_verified)
}

/// `POST /orgs/{id}/invites`: org admins and the owner, at most at their own rank. Without
/// consent, an existing user joins at once (`accepted`); otherwise every address gets the same
/// `pending` answer with a token, account or not.
pub async fn create(app: &App, caller: &Caller, org_id: i64, email: Email, role: &str) -> Result<InviteView, AppError> {
    let access = orgs::access(app, caller, org_id, OrgRole::Admin).await?;
    let role = orgs::grantable_role(role, access.role)?;
    count_invite(app, org_id).await?;
    let now = app.clock.now();
    let mut invite = new_invite(app, org_id, caller.user.id, email.as_str(), None, role, now).await?;
    let existing = app.store.user_by_email(email.as_str()).await?;
    let events = [AuditEvent::new("auth.invite_created")
        .actor_id(caller.user.id)
        .org_id(org_id)
        .target("invite", invite.id)
        .detail(email.as_str())
        .at(now)];
    let already_member = || AppError::BadRequest(format!("{email} is already a member of this organization"));
    let view = match existing {
        Some(user) if !needs_consent(app, &user) => {
            invite.status = InviteStatus::Accepted;
            let membership = Membership {
                id: app.store.next_id("membership").await?,
                organization_id: org_id,
                user_id: user.id,
                role,
                joined_at: format_timestamp(now),
            };
            match app.store.create_accepted_invite(&invite, &membership, &events).await? {
                AddMemberOutcome::Added => InviteView::of(&invite, None),
                AddMemberOutcome::AlreadyMember => return Err(already_member()),
                AddMemberOutcome::UnknownUser | AddMemberOutcome::OrgGone | AddMemberOutcome::ExtraConditionFailed => {
                    return Err(AppError::Conflict(
                        "The organization or the user changed meanwhile; try again".into(),
                    ))
                }
            }
        }
        existing => {
            if let Some(user) = existing {
                if app.store.is_member(org_id, user.id).await? {
                    return Err(already_member());
                }
            }
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
                .create_pending_invite(&invite, &queued, now.timestamp(), &events)
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
    Ok(view)
}

/// Why an existing user was not invited by id.
pub enum NotInvited {
    AlreadyMember,
    AlreadyInvited,
}

/// An invite of an existing user by id (`ORG_MEMBER_CONSENT=true`): no token, a notice by mail,
/// and nothing of the user's address or name in what the inviter gets back.
async fn invite_user(
    app: &App,
    org: &Org,
    inviter: i64,
    user: &User,
    role: OrgRole,
) -> Result<Result<InviteView, NotInvited>, AppError> {
    if app.store.is_member(org.id, user.id).await? {
        return Ok(Err(NotInvited::AlreadyMember));
    }
    count_invite(app, org.id).await?;
    let now = app.clock.now();
    let invite = new_invite(app, org.id, inviter, &user.email, Some(user.id), role, now).await?;
    let content = MailContent::InviteToAccount {
        org_name: org.name.clone(),
        inviter: format!("User {inviter}"),
        role: role.as_str().to_string(),
        expires_at: invite.expires_at_iso.clone(),
    };
    let message = mail::queue(app, &user.email, &content, now);
    let event = AuditEvent::new("auth.invite_created")
        .actor_id(inviter)
        .org_id(org.id)
        .target("user", user.id)
        .at(now);
    if !app
        .store
        .create_pending_invite(&invite, &message, now.timestamp(), &[event])
        .await?
    {
        return Ok(Err(NotInvited::AlreadyInvited));
    }
    mail::log_queued(&message);
    Ok(Ok(InviteView::of(&invite, None)))
}

/// What adding a member did: a membership, or (with consent) an invite they must accept.
pub enum Added {
    Member(Membership),
    Invited(InviteView),
}

/// `POST /orgs/{id}/members?user_id=&role=`: a membership at once, or with
/// `ORG_MEMBER_CONSENT=true` a pending invite for that user.
pub async fn add_member(app: &App, caller: &Caller, org_id: i64, user_id: i64, role: &str) -> Result<Added, AppError> {
    if !app.settings.org_member_consent {
        return orgs::add_member(app, caller, org_id, user_id, role)
            .await
            .map(Added::Member);
    }
    let access = orgs::access(app, caller, org_id, OrgRole::Admin).await?;
    let role = orgs::grantable_role(role, access.role)?;
    let user = app.store.user(user_id).await?.ok_or(AppError::UserNotFound)?;
    match invite_user(app, &access.org, caller.user.id, &user, role).await? {
        Ok(view) => Ok(Added::Invited(view)),
        Err(NotInvited::AlreadyMember) => Err(AppError::BadRequest(
            "User is already a member of this organization".into(),
        )),
        Err(NotInvited::AlreadyInvited) => Err(AppError::BadRequest(
            "A pending invite already exists for this user".into(),
        )),
    }
}

/// What a bulk add did.
pub enum BulkAdded {
    Members(Vec<Membership>),
    Invited(Vec<InviteView>),
}

/// `POST /orgs/{id}/members/bulk`: memberships, or with `ORG_MEMBER_CONSENT=true` invites;
/// whom it skipped, and why, either way. Once the org's invite limit is reached the rest are
/// skipped as `rate_limited` (a 429 if that is the first).
pub async fn add_members(
    app: &App,
    caller: &Caller,
    org_id: i64,
    user_ids: &[i64],
    role: &str,
) -> Result<(BulkAdded, Vec<Skipped>), AppError> {
    if !app.settings.org_member_consent {
        let (added, skipped) = orgs::add_members(app, caller, org_id, user_ids, role).await?;
        return Ok((BulkAdded::Members(added), skipped));
    }
    let access = orgs::access(app, caller, org_id, OrgRole::Admin).await?;
    let role = orgs::grantable_role(role, access.role)?;
    let mut invited = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut limited = false;
    for &user_id in user_ids {
        let reason = if !seen.insert(user_id) {
            "duplicate"
        } else if limited {
            "rate_limited"
        } else {
            match app.store.user(user_id).await? {
                None => "unknown_user",
                Some(user) => match invite_user(app, &access.org, caller.user.id, &user, role).await {
                    Ok(Ok(view)) => {
                        invited.push(view);
                        continue;
                    }
                    Ok(Err(NotInvited::AlreadyMember)) => "already_member",
                    Ok(Err(NotInvited::AlreadyInvited)) => "already_invited",
                    Err(AppError::TooManyRequests { .. }) if !invited.is_empty() => {
                        limited = true;
                        "rate_limited"
                    }
                    Err(other) => return Err(other),
                },
            }
        };
        skipped.push(Skipped { user_id, reason });
    }
    // Each invite was recorded with it; this is the summary.
    let summary = AuditEvent::new("auth.members_bulk_invited")
        .actor_id(caller.user.id)
        .org_id(org_id)
        .detail(format!("Invited {} users", invited.len()))
        .at(app.clock.now());
    app.store.record(&[summary]).await?;
    Ok((BulkAdded::Invited(invited), skipped))
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
    let now = app.clock.now();
    let event = AuditEvent::new("auth.invite_revoked")
        .actor_id(caller.user.id)
        .org_id(org_id)
        .target("invite", invite_id)
        .at(now);
    if invite.status != InviteStatus::Pending || !app.store.revoke_invite(&invite, now.timestamp(), &[event]).await? {
        return Err(not_found());
    }
    Ok(())
}

/// Redeems `invite` for `user`: the membership, or `Err` in the API's words.
async fn redeem(app: &App, invite: &Invite, user: &User) -> Result<Membership, AppError> {
    let now = app.clock.now();
    let for_someone_else = invite.user_id.is_some_and(|id| id != user.id);
    if invite.status != InviteStatus::Pending || invite.expires_epoch <= now.timestamp() || for_someone_else {
        return Err(AppError::BadRequest(INVALID_INVITE.into()));
    }
    let membership = Membership {
        id: app.store.next_id("membership").await?,
        organization_id: invite.organization_id,
        user_id: user.id,
        role: invite.role,
        joined_at: format_timestamp(now),
    };
    let event = AuditEvent::new("auth.invite_accepted")
        .actor_id(user.id)
        .org_id(invite.organization_id)
        .target("invite", invite.id)
        .at(now);
    match app
        .store
        .accept_invite(invite, &membership, now.timestamp(), &[event])
        .await?
    {
        AcceptOutcome::Accepted => {}
        AcceptOutcome::AlreadyMember => {
            return Err(AppError::BadRequest(
                "You are already a member of this organization".into(),
            ))
        }
        AcceptOutcome::NotPending => return Err(AppError::BadRequest(INVALID_INVITE.into())),
    }
    Ok(membership)
}

/// With `INVITE_AUTO_ACCEPT=verification`, an invite addressed to an email (not to an account
/// by id) joins only an account that proved it owns that address.
fn require_proven_address(app: &App, invite: Option<&Invite>, user: &User) -> Result<(), AppError> {
    let by_address = invite.is_none_or(|i| i.user_id.is_none());
    if app.settings.invite_auto_accept == AutoAccept::Verification && by_address && !user.is_verified {
        return Err(AppError::Forbidden(VERIFY_FIRST.into()));
    }
    Ok(())
}

/// `POST /auth/accept-invite`: in `email` mode only the invited address may accept (and, with
/// `INVITE_AUTO_ACCEPT=verification`, only once it is verified).
pub async fn accept(app: &App, caller: &Caller, secret: &str) -> Result<InviteView, AppError> {
    let email_mode = app.settings.invite_acceptance_mode == AcceptanceMode::Email;
    if email_mode {
        require_proven_address(app, None, &caller.user)?;
    }
    let invalid = || AppError::BadRequest(INVALID_INVITE.into());
    let mut invite = app
        .store
        .invite_by_token(&one_time::hash(secret))
        .await?
        .ok_or_else(invalid)?;
    if email_mode && invite.email != caller.user.email {
        return Err(AppError::BadRequest("Email does not match invite".into()));
    }
    redeem(app, &invite, &caller.user).await?;
    invite.status = InviteStatus::Accepted;
    Ok(InviteView::of(&invite, None))
}

/// Every pending, unexpired invite for the user's email is accepted (at registration, or at
/// verification with `INVITE_AUTO_ACCEPT=verification`).
pub async fn accept_pending_for(app: &App, user: &User) -> Result<(), AppError> {
    for invite in app.store.pending_invites_for(&user.email).await? {
        match redeem(app, &invite, user).await {
            Ok(_) | Err(AppError::BadRequest(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(())
}

/// At registration with `invite_token`: the token must be a live invite to this very address
/// (it then proves the address). `Err` is the 400 for any other token.
pub async fn check_registration_token(app: &App, secret: &str, email: &Email) -> Result<(), AppError> {
    let invite = app.store.invite_by_token(&one_time::hash(secret)).await?;
    let now = app.clock.now().timestamp();
    match invite {
        Some(i)
            if i.status == InviteStatus::Pending
                && i.expires_epoch > now
                && i.user_id.is_none()
                && i.email == email.as_str() =>
        {
            Ok(())
        }
        _ => Err(AppError::BadRequest(INVALID_INVITE.into())),
    }
}

/// The caller's pending, unexpired invites (by their address, or to their account by id).
async fn addressed_to(app: &App, user: &User) -> Result<Vec<Invite>, AppError> {
    let now = app.clock.now().timestamp();
    Ok(app
        .store
        .pending_invites_for(&user.email)
        .await?
        .into_iter()
        .filter(|i| i.status == InviteStatus::Pending && i.expires_epoch > now)
        .filter(|i| i.user_id.is_none_or(|id| id == user.id))
        .collect())
}

/// `GET /auth/invites`: what the caller was invited to, with the orgs' names.
pub async fn received(app: &App, caller: &Caller) -> Result<Vec<ReceivedInvite>, AppError> {
    let invites = addressed_to(app, &caller.user).await?;
    let ids: Vec<i64> = invites.iter().map(|i| i.organization_id).collect();
    let orgs = app.store.orgs(&ids).await?;
    Ok(invites
        .into_iter()
        .filter_map(|i| {
            let org = orgs.iter().find(|o| o.id == i.organization_id)?;
            Some(ReceivedInvite {
                id: i.id,
                organization_id: i.organization_id,
                org_name: org.name.clone(),
                role: i.role,
                invited_by: i.invited_by,
                created_at: i.created_at,
                expires_at: i.expires_at_iso,
            })
        })
        .collect())
}

/// One of the caller's pending invites, or the 404 (also for anyone else's invite id).
async fn own_invite(app: &App, caller: &Caller, invite_id: i64) -> Result<Invite, AppError> {
    addressed_to(app, &caller.user)
        .await?
        .into_iter()
        .find(|i| i.id == invite_id)
        .ok_or_else(|| AppError::NotFound(INVITE_NOT_FOUND.into()))
}

/// `POST /auth/invites/{id}/accept`: the caller joins; the membership.
pub async fn accept_received(app: &App, caller: &Caller, invite_id: i64) -> Result<Membership, AppError> {
    let invite = own_invite(app, caller, invite_id).await?;
    require_proven_address(app, Some(&invite), &caller.user)?;
    redeem(app, &invite, &caller.user).await
}

/// `POST /auth/invites/{id}/decline`: the invite is gone, with its token.
pub async fn decline(app: &App, caller: &Caller, invite_id: i64) -> Result<(), AppError> {
    let invite = own_invite(app, caller, invite_id).await?;
    let now = app.clock.now();
    let event = AuditEvent::new("auth.invite_declined")
        .actor_id(caller.user.id)
        .org_id(invite.organization_id)
        .target("invite", invite.id)
        .at(now);
    if !app.store.revoke_invite(&invite, now.timestamp(), &[event]).await? {
        return Err(AppError::NotFound(INVITE_NOT_FOUND.into()));
    }
    Ok(())
}
