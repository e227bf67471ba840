//! The table's cross-item invariants, checked over a scan (`Store::scan_items`): what a failure
//! at any point of any operation must never break. For tests and tools; the app never scans.

use super::items::{factor_from_item, from_item, number, session_from_item, user_from_item};
use super::keys::{self, ItemKind};
use super::StoredItem;
use crate::model::{Invite, InviteStatus, Membership, OneTimeToken, Org, OrgRole, RefreshRecord};
use std::collections::{BTreeSet, HashMap};

/// Every broken invariant, in words (empty when the table is consistent):
/// - every user has its email guard, and every email guard its user;
/// - every org has its slug guard and exactly one owner; every slug guard its org;
/// - every membership its org and its user;
/// - every user's reset / verification / email-change pointer its token;
/// - every user with `mfa_enabled` its confirmed factor, and every factor its user;
/// - every refresh record its session;
/// - every invite token its invite, every pending invite its token, every invite guard its invite.
pub fn violations(items: &[StoredItem]) -> Vec<String> {
    let of = |kind: ItemKind| items.iter().filter(move |i| i.kind == kind);
    let mut broken = Vec::new();

    let users: HashMap<i64, String> = of(ItemKind::User)
        .filter_map(|i| user_from_item(i.attributes.clone()).ok())
        .map(|u| (u.id, u.email))
        .collect();
    let guards: HashMap<String, Option<i64>> = of(ItemKind::EmailGuard)
        .map(|i| {
            (
                i.guarded_email().unwrap_or_default().to_string(),
                number(&i.attributes, "user_id"),
            )
        })
        .collect();
    for (id, email) in &users {
        if guards.get(email) != Some(&Some(*id)) {
            broken.push(format!("user {id} ({email}) has no email guard pointing at it"));
        }
    }
    for (email, id) in &guards {
        if id.and_then(|id| users.get(&id)) != Some(email) {
            broken.push(format!("email guard {email} points at no user with that email"));
        }
    }

    let orgs: HashMap<i64, String> = of(ItemKind::Org)
        .filter_map(|i| from_item::<Org>(i.attributes.clone(), "org").ok())
        .map(|o| (o.id, o.slug))
        .collect();
    let slugs: HashMap<String, Option<i64>> = of(ItemKind::SlugGuard)
        .map(|i| {
            let slug = keys::guarded_slug(&i.attributes).unwrap_or_default().to_string();
            (slug, number(&i.attributes, "org_id"))
        })
        .collect();
    let members: Vec<Membership> = of(ItemKind::Member)
        .filter_map(|i| from_item(i.attributes.clone(), "membership").ok())
        .collect();
    for (id, slug) in &orgs {
        if slugs.get(slug) != Some(&Some(*id)) {
            broken.push(format!("org {id} has no slug guard for '{slug}'"));
        }
        let owners = members
            .iter()
            .filter(|m| m.organization_id == *id && m.role == OrgRole::Owner)
            .count();
        if owners != 1 {
            broken.push(format!("org {id} has {owners} owners"));
        }
    }
    for (slug, id) in &slugs {
        if id.and_then(|id| orgs.get(&id)) != Some(slug) {
            broken.push(format!("slug guard '{slug}' points at no org with that slug"));
        }
    }
    for m in &members {
        if !orgs.contains_key(&m.organization_id) {
            broken.push(format!(
                "membership of user {} in missing org {}",
                m.user_id, m.organization_id
            ));
        }
        if !users.contains_key(&m.user_id) {
            broken.push(format!(
                "membership in org {} of missing user {}",
                m.organization_id, m.user_id
            ));
        }
    }

    let tokens: BTreeSet<String> = of(ItemKind::OneTimeToken)
        .filter_map(|i| from_item::<OneTimeToken>(i.attributes.clone(), "token").ok())
        .map(|t| t.hash)
        .collect();
    for user in of(ItemKind::User).filter_map(|i| user_from_item(i.attributes.clone()).ok()) {
        for pointer in [
            &user.reset_token_hash,
            &user.verification_token_hash,
            &user.email_change_token_hash,
        ]
        .into_iter()
        .flatten()
        {
            if !tokens.contains(pointer) {
                broken.push(format!("user {} points at a missing one-time token", user.id));
            }
        }
    }

    // A user is `mfa_enabled` exactly when a confirmed factor exists, and a factor has its user.
    let factors: HashMap<i64, bool> = of(ItemKind::TotpFactor)
        .filter_map(|i| factor_from_item(i.attributes.clone()).ok())
        .map(|f| (f.user_id, f.confirmed))
        .collect();
    for user in of(ItemKind::User).filter_map(|i| user_from_item(i.attributes.clone()).ok()) {
        if user.mfa_enabled != factors.get(&user.id).copied().unwrap_or(false) {
            broken.push(format!(
                "user {} has mfa_enabled = {} against its factor",
                user.id, user.mfa_enabled
            ));
        }
    }
    for user_id in factors.keys() {
        if !users.contains_key(user_id) {
            broken.push(format!("the second factor of user {user_id} has no user"));
        }
    }

    let sessions: BTreeSet<(i64, String)> = of(ItemKind::Session)
        .filter_map(|i| session_from_item(i.attributes.clone()).ok())
        .map(|s| (s.user_id, s.id))
        .collect();
    for record in
        of(ItemKind::RefreshToken).filter_map(|i| from_item::<RefreshRecord>(i.attributes.clone(), "refresh").ok())
    {
        if !sessions.contains(&(record.user_id, record.session_id.clone())) {
            broken.push(format!("refresh record of user {} has no session", record.user_id));
        }
    }

    let invites: Vec<Invite> = of(ItemKind::Invite)
        .filter_map(|i| from_item(i.attributes.clone(), "invite").ok())
        .collect();
    let invite_ids: BTreeSet<(i64, i64)> = invites.iter().map(|i| (i.organization_id, i.id)).collect();
    let invite_tokens: Vec<(Option<i64>, Option<i64>)> = of(ItemKind::InviteToken)
        .map(|i| (number(&i.attributes, "org_id"), number(&i.attributes, "invite_id")))
        .collect();
    for (org, invite) in &invite_tokens {
        if !matches!((org, invite), (Some(o), Some(i)) if invite_ids.contains(&(*o, *i))) {
            broken.push(format!(
                "invite token points at missing invite {invite:?} of org {org:?}"
            ));
        }
    }
    for invite in invites.iter().filter(|i| i.status == InviteStatus::Pending) {
        let has_token = invite_tokens.contains(&(Some(invite.organization_id), Some(invite.id)));
        if invite.token_hash.is_some() && !has_token {
            broken.push(format!("pending invite {} has no token", invite.id));
        }
    }
    for guard in of(ItemKind::InviteEmailGuard) {
        let org = keys::org_of_partition(&guard.attributes);
        let invite = number(&guard.attributes, "invite_id");
        if !matches!((org, invite), (Some(o), Some(i)) if invite_ids.contains(&(o, i))) {
            broken.push(format!(
                "invite guard of org {org:?} points at missing invite {invite:?}"
            ));
        }
    }
    broken
}
