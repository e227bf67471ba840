//! Values to items and back: each item is its value's fields (serde) plus its key and index
//! attributes from `keys`.

use super::keys::{self, Item, TTL_ATTRIBUTE};
use crate::domain::ports::StoreError;
use crate::model::{
    Invite, InviteStatus, Membership, MfaChallenge, OneTimeToken, Org, QueuedMail, RefreshRecord, Session, TotpFactor,
    User,
};
use aws_sdk_dynamodb::types::AttributeValue;

pub(crate) fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn number(item: &Item, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

pub(crate) fn to_item<T: serde::Serialize>(value: &T, what: &str) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Malformed(format!("{what}: {e}")))
}

pub(crate) fn from_item<T: serde::de::DeserializeOwned>(item: Item, what: &str) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Malformed(format!("{what}: {e}")))
}

/// Whether an item's TTL has passed (DynamoDB deletes late; DynamoDB Local never does).
pub(crate) fn is_expired(item: &Item, now_epoch: i64) -> bool {
    number(item, TTL_ATTRIBUTE).is_some_and(|expires_at| expires_at <= now_epoch)
}

pub(crate) fn user_item(user: &User) -> Result<Item, StoreError> {
    let mut item = to_item(user, "user")?;
    item.extend(keys::user(user.id));
    keys::index_user(&mut item, &user.created_at, user.id);
    Ok(item)
}

pub(crate) fn user_from_item(item: Item) -> Result<User, StoreError> {
    from_item(item, "user")
}

pub(crate) fn token_item(token: &OneTimeToken) -> Result<Item, StoreError> {
    let mut item = to_item(token, "token")?;
    item.extend(keys::one_time_token(&token.hash));
    Ok(item)
}

/// A queue item; a captured one (`MAIL_TRANSPORT=capture`) is also listed for the outbox.
pub(crate) fn mail_item(mail: &QueuedMail) -> Result<Item, StoreError> {
    let mut item = to_item(mail, "mail")?;
    item.extend(keys::mail(&mail.id));
    if mail.captured {
        keys::index_captured_mail(&mut item, &mail.created_at, &mail.id);
    }
    Ok(item)
}

pub(crate) fn session_item(session: &Session) -> Result<Item, StoreError> {
    let mut item = to_item(session, "session")?;
    item.extend(keys::session(session.user_id, &session.id));
    Ok(item)
}

pub(crate) fn session_from_item(item: Item) -> Result<Session, StoreError> {
    from_item(item, "session")
}

pub(crate) fn refresh_item(record: &RefreshRecord) -> Result<Item, StoreError> {
    let mut item = to_item(record, "refresh token")?;
    item.extend(keys::refresh_token(&record.hash));
    Ok(item)
}

pub(crate) fn org_item(org: &Org) -> Result<Item, StoreError> {
    let mut item = to_item(org, "org")?;
    item.extend(keys::org(org.id));
    keys::index_org(&mut item, &org.created_at, org.id);
    Ok(item)
}

pub(crate) fn member_item(m: &Membership) -> Result<Item, StoreError> {
    let mut item = to_item(m, "membership")?;
    item.extend(keys::member(m.organization_id, m.user_id));
    keys::index_member(&mut item, m.organization_id, m.user_id);
    Ok(item)
}

/// A pending invite is findable by email and expires with DynamoDB's TTL; an accepted one stays.
pub(crate) fn invite_item(invite: &Invite) -> Result<Item, StoreError> {
    let mut item = to_item(invite, "invite")?;
    item.extend(keys::invite(invite.organization_id, invite.id));
    if invite.status == InviteStatus::Pending {
        keys::index_pending_invite(&mut item, &invite.email, invite.organization_id, invite.id);
        item.insert(TTL_ATTRIBUTE.into(), n(invite.expires_epoch));
    }
    Ok(item)
}

/// The attribute holding a factor's recovery-code hashes: a string set, so that one code is
/// removed by value (`DELETE`) under a `contains` condition.
pub(crate) const RECOVERY_CODES: &str = "recovery_codes";

pub(crate) fn factor_item(factor: &TotpFactor) -> Result<Item, StoreError> {
    let mut item = to_item(factor, "factor")?;
    item.remove(RECOVERY_CODES);
    if !factor.recovery_codes.is_empty() {
        item.insert(RECOVERY_CODES.into(), string_set(&factor.recovery_codes));
    }
    item.extend(keys::totp_factor(factor.user_id));
    Ok(item)
}

pub(crate) fn factor_from_item(mut item: Item) -> Result<TotpFactor, StoreError> {
    // A set reads back as a list (DynamoDB drops an emptied set).
    if let Some(AttributeValue::Ss(hashes)) = item.remove(RECOVERY_CODES) {
        let list = hashes.into_iter().map(AttributeValue::S).collect();
        item.insert(RECOVERY_CODES.into(), AttributeValue::L(list));
    }
    from_item(item, "factor")
}

pub(crate) fn string_set(values: &[String]) -> AttributeValue {
    AttributeValue::Ss(values.to_vec())
}

pub(crate) fn challenge_item(challenge: &MfaChallenge) -> Result<Item, StoreError> {
    let mut item = to_item(challenge, "challenge")?;
    item.extend(keys::mfa_challenge(&challenge.hash));
    Ok(item)
}
