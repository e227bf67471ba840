//! Orgs, memberships and invites. An org's items share its partition (`ORG#<id>`); the slug,
//! invite-email and invite-token guards are items of their own; `gsi1` lists every org, a
//! user's memberships and an email's pending invites.

use super::tokens::{outbox_item, put};
use super::users::user_key;
use super::{
    failed_conditions, key_of, s, transaction_error, Item, Store, StoreError, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE,
};
use crate::model::Invite;
use crate::model::OutboxMessage;
use crate::model::{Membership, Org, OrgRole, User};
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Get, KeysAndAttributes, Put, ReturnValuesOnConditionCheckFailure,
    TransactGetItem, TransactWriteItem, Update,
};
use std::collections::HashMap;

const ORG_SK: &str = "ORG";
/// DynamoDB's limit on the items of one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;
const MAX_BATCH_GET: usize = 100;

fn org_key(org_id: i64) -> Item {
    key_of(format!("ORG#{org_id}"), ORG_SK)
}

fn member_key(org_id: i64, user_id: i64) -> Item {
    // Zero-padded so members list in id order.
    key_of(format!("ORG#{org_id}"), &format!("MEMBER#{user_id:012}"))
}

fn invite_key(org_id: i64, invite_id: i64) -> Item {
    key_of(format!("ORG#{org_id}"), &format!("INVITE#{invite_id:012}"))
}

fn invite_email_key(org_id: i64, email: &str) -> Item {
    key_of(format!("ORG#{org_id}"), &format!("INVITE_EMAIL#{email}"))
}

fn invite_token_key(hash: &str) -> Item {
    key_of(format!("INVITE_TOKEN#{hash}"), "INVITE_TOKEN")
}

fn slug_key(slug: &str) -> Item {
    key_of(format!("SLUG#{slug}"), "SLUG")
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn to_item<T: serde::Serialize>(value: &T, what: &str) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Malformed(format!("{what}: {e}")))
}

fn from_item<T: serde::de::DeserializeOwned>(item: Item, what: &str) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Malformed(format!("{what}: {e}")))
}

fn org_item(org: &Org) -> Result<Item, StoreError> {
    let mut item = to_item(org, "org")?;
    item.extend(org_key(org.id));
    item.insert("gsi1pk".into(), s("ORGS"));
    item.insert("gsi1sk".into(), s(format!("{}#{:012}", org.created_at, org.id)));
    Ok(item)
}

fn member_item(m: &Membership) -> Result<Item, StoreError> {
    let mut item = to_item(m, "membership")?;
    item.extend(member_key(m.organization_id, m.user_id));
    item.insert("gsi1pk".into(), s(format!("MEMBER_OF#{}", m.user_id)));
    item.insert("gsi1sk".into(), s(format!("ORG#{:012}", m.organization_id)));
    Ok(item)
}

/// A pending invite is findable by email and expires with DynamoDB's TTL; an accepted one stays.
fn invite_item(invite: &Invite) -> Result<Item, StoreError> {
    let mut item = to_item(invite, "invite")?;
    item.extend(invite_key(invite.organization_id, invite.id));
    if invite.token_hash.is_some() {
        item.insert("gsi1pk".into(), s(format!("INVITE_FOR#{}", invite.email)));
        item.insert(
            "gsi1sk".into(),
            s(format!("ORG#{:012}#INVITE#{:012}", invite.organization_id, invite.id)),
        );
        item.insert(TTL_ATTRIBUTE.into(), n(invite.expires_epoch));
    }
    Ok(item)
}

fn write(op: impl Into<WriteOp>) -> TransactWriteItem {
    match op.into() {
        WriteOp::Put(p) => TransactWriteItem::builder().put(p).build(),
        WriteOp::Delete(d) => TransactWriteItem::builder().delete(d).build(),
        WriteOp::Update(u) => TransactWriteItem::builder().update(u).build(),
        WriteOp::Check(c) => TransactWriteItem::builder().condition_check(c).build(),
    }
}

enum WriteOp {
    Put(Put),
    Delete(Delete),
    Update(Update),
    Check(ConditionCheck),
}

impl From<Put> for WriteOp {
    fn from(p: Put) -> Self {
        WriteOp::Put(p)
    }
}
impl From<Delete> for WriteOp {
    fn from(d: Delete) -> Self {
        WriteOp::Delete(d)
    }
}
impl From<Update> for WriteOp {
    fn from(u: Update) -> Self {
        WriteOp::Update(u)
    }
}
impl From<ConditionCheck> for WriteOp {
    fn from(c: ConditionCheck) -> Self {
        WriteOp::Check(c)
    }
}

/// What one org partition holds.
#[derive(Default)]
pub struct OrgPartition {
    pub org: Option<Org>,
    pub members: Vec<Membership>,
    pub invites: Vec<Invite>,
    keys: Vec<Item>,
}

pub enum AddMemberOutcome {
    Added,
    AlreadyMember,
    UnknownUser,
    OrgGone,
    /// Another condition of the same transaction failed (see the caller's extra writes).
    ExtraConditionFailed,
}

/// What a change to one membership found.
pub enum MemberChange {
    Done(Option<Membership>),
    NotFound,
    IsOwner,
}

pub enum AcceptOutcome {
    Accepted,
    AlreadyMember,
    NotPending,
}

impl Store {
    fn put(&self, item: Item) -> Put {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .expect("put has table and item")
    }

    fn put_new(&self, item: Item) -> Put {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .expect("put has table and item")
    }

    fn delete(&self, key: Item) -> Delete {
        Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .build()
            .expect("delete has table and key")
    }

    fn exists(&self, key: Item) -> ConditionCheck {
        ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .expect("condition check has its fields")
    }

    /// The org, its slug guard and the owner's membership, together. `false` if the slug is taken.
    pub async fn create_org(&self, org: &Org, owner: &Membership) -> Result<bool, StoreError> {
        let mut guard = slug_key(&org.slug);
        guard.insert("org_id".into(), n(org.id));
        let result = self
            .transact(vec![
                write(self.put_new(guard)),
                write(self.put_new(org_item(org)?)),
                write(self.put_new(member_item(owner)?)),
            ])
            .await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(reasons) if reasons.first() == Some(&true) => Ok(false),
            _ => Err(transaction_error(result)),
        }
    }

    /// The org and the user's membership in it, in one round trip.
    pub async fn org_and_membership(
        &self,
        org_id: i64,
        user_id: i64,
    ) -> Result<(Option<Org>, Option<Membership>), StoreError> {
        let get = |key: Item| {
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name(&self.table)
                        .set_key(Some(key))
                        .build()
                        .expect("get has table and key"),
                )
                .build()
        };
        let out = self
            .client
            .transact_get_items()
            .transact_items(get(org_key(org_id)))
            .transact_items(get(member_key(org_id, user_id)))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("TransactGetItems", e))?;
        let mut items = out.responses.unwrap_or_default().into_iter().map(|r| r.item);
        let org = items.next().flatten().map(|i| from_item(i, "org")).transpose()?;
        let membership = items.next().flatten().map(|i| from_item(i, "membership")).transpose()?;
        Ok((org, membership))
    }

    pub async fn is_member(&self, org_id: i64, user_id: i64) -> Result<bool, StoreError> {
        Ok(self.get_item(member_key(org_id, user_id)).await?.is_some())
    }

    /// Everything in an org's partition, in one query (paged).
    pub async fn org_partition(&self, org_id: i64) -> Result<OrgPartition, StoreError> {
        let mut partition = OrgPartition::default();
        for item in self.partition(&format!("ORG#{org_id}"), None, false).await? {
            let sk = item
                .get(SORT_KEY)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            partition.keys.push(key_of(format!("ORG#{org_id}"), &sk));
            if sk == ORG_SK {
                partition.org = Some(from_item(item, "org")?);
            } else if sk.starts_with("MEMBER#") {
                partition.members.push(from_item(item, "membership")?);
            } else if sk.starts_with("INVITE#") {
                partition.invites.push(from_item(item, "invite")?);
            }
        }
        Ok(partition)
    }

    /// Deletes the org with its slug, memberships, invites and invite tokens. One transaction
    /// when they fit in one (100 items); otherwise the org and its slug go first, so the org is
    /// gone for every reader at once, then the rest. `false` if there was no org.
    pub async fn delete_org(&self, org_id: i64) -> Result<bool, StoreError> {
        let partition = self.org_partition(org_id).await?;
        let Some(org) = &partition.org else {
            return Ok(false);
        };
        let delete_org = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(org_key(org_id)))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .expect("delete has table and key");
        let mut writes = vec![write(delete_org), write(self.delete(slug_key(&org.slug)))];
        let children = partition
            .keys
            .iter()
            .filter(|k| k.get(SORT_KEY).and_then(|v| v.as_s().ok()).map(String::as_str) != Some(ORG_SK))
            .cloned()
            .chain(
                partition
                    .invites
                    .iter()
                    .filter_map(|i| i.token_hash.as_deref().map(invite_token_key)),
            )
            .map(|key| write(self.delete(key)));
        writes.extend(children);
        let mut chunks = writes.chunks(MAX_TRANSACTION_ITEMS);
        let first = chunks.next().expect("the org itself is one write").to_vec();
        let result = self.transact(first).await;
        match failed_conditions(&result) {
            None if result.is_ok() => {}
            Some(reasons) if reasons.first() == Some(&true) => return Ok(false),
            _ => return Err(transaction_error(result)),
        }
        for chunk in chunks {
            let result = self.transact(chunk.to_vec()).await;
            if result.is_err() {
                return Err(transaction_error(result));
            }
        }
        Ok(true)
    }

    /// A user's memberships, from the index.
    pub async fn memberships_of(&self, user_id: i64) -> Result<Vec<Membership>, StoreError> {
        let items = self.index_partition(&format!("MEMBER_OF#{user_id}"), false).await?;
        items.into_iter().map(|i| from_item(i, "membership")).collect()
    }

    /// Items by key, in batches of 100, retrying what DynamoDB leaves unprocessed.
    async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(MAX_BATCH_GET) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .expect("keys are set"),
            );
            while let Some(request) = pending.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| StoreError::from_sdk("BatchGetItem", e))?;
                if let Some(mut responses) = out.responses {
                    found.extend(responses.remove(&self.table).unwrap_or_default());
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys().is_empty());
            }
        }
        Ok(found)
    }

    pub async fn orgs(&self, ids: &[i64]) -> Result<Vec<Org>, StoreError> {
        let items = self.batch_get(ids.iter().map(|id| org_key(*id)).collect()).await?;
        let mut orgs: Vec<Org> = items
            .into_iter()
            .map(|i| from_item(i, "org"))
            .collect::<Result<_, _>>()?;
        orgs.sort_by_key(|o| o.id);
        Ok(orgs)
    }

    pub async fn users(&self, ids: &[i64]) -> Result<Vec<User>, StoreError> {
        let items = self.batch_get(ids.iter().map(|id| user_key(*id)).collect()).await?;
        items.into_iter().map(|i| from_item(i, "user")).collect()
    }

    /// Every org, newest first, from the index.
    pub async fn all_orgs(&self) -> Result<Vec<Org>, StoreError> {
        let items = self.index_partition("ORGS", true).await?;
        items.into_iter().map(|i| from_item(i, "org")).collect()
    }

    pub async fn update_org(
        &self,
        org_id: i64,
        name: Option<&str>,
        description: Option<&str>,
        now: &str,
    ) -> Result<Option<Org>, StoreError> {
        let mut set = vec!["updated_at = :now"];
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(org_key(org_id)))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":now", s(now))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        if let Some(name) = name {
            set.push("#name = :name");
            request = request
                .expression_attribute_names("#name", "name")
                .expression_attribute_values(":name", s(name));
        }
        if let Some(description) = description {
            set.push("description = :description");
            request = request.expression_attribute_values(":description", s(description));
        }
        match request
            .update_expression(format!("SET {}", set.join(", ")))
            .send()
            .await
        {
            Ok(out) => out.attributes.map(|i| from_item(i, "org")).transpose(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(StoreError::from_sdk("UpdateItem", e)),
        }
    }

    /// Adds a membership if the user exists, is not a member yet, and the org still exists.
    pub async fn add_member(&self, membership: &Membership) -> Result<AddMemberOutcome, StoreError> {
        self.add_member_with(membership, Vec::new()).await
    }

    async fn add_member_with(
        &self,
        m: &Membership,
        extra: Vec<TransactWriteItem>,
    ) -> Result<AddMemberOutcome, StoreError> {
        let mut writes = vec![
            write(self.exists(user_key(m.user_id))),
            write(self.put_new(member_item(m)?)),
            write(self.exists(org_key(m.organization_id))),
        ];
        writes.extend(extra);
        let result = self.transact(writes).await;
        Ok(match failed_conditions(&result) {
            None if result.is_ok() => AddMemberOutcome::Added,
            Some(r) if r.first() == Some(&true) => AddMemberOutcome::UnknownUser,
            Some(r) if r.get(1) == Some(&true) => AddMemberOutcome::AlreadyMember,
            Some(r) if r.get(2) == Some(&true) => AddMemberOutcome::OrgGone,
            Some(r) if r.iter().any(|f| *f) => AddMemberOutcome::ExtraConditionFailed,
            _ => return Err(transaction_error(result)),
        })
    }

    /// Sets a member's role unless the member is the owner.
    pub async fn set_member_role(&self, org_id: i64, user_id: i64, role: OrgRole) -> Result<MemberChange, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(member_key(org_id, user_id)))
            .update_expression("SET #role = :role")
            .condition_expression("attribute_exists(#pk) AND #role <> :owner")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":role", s(role.as_str()))
            .expression_attribute_values(":owner", s(OrgRole::Owner.as_str()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => Ok(MemberChange::Done(
                out.attributes.map(|i| from_item(i, "membership")).transpose()?,
            )),
            Err(e) => Self::member_change_failure(e, "UpdateItem"),
        }
    }

    /// Removes a member unless the member is the owner.
    pub async fn remove_member(&self, org_id: i64, user_id: i64) -> Result<MemberChange, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(member_key(org_id, user_id)))
            .condition_expression("attribute_exists(#pk) AND #role <> :owner")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":owner", s(OrgRole::Owner.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(MemberChange::Done(None)),
            Err(e) => Self::member_change_failure(e, "DeleteItem"),
        }
    }

    /// A failed membership condition: the item was missing, or it was the owner's.
    fn member_change_failure<E>(
        e: aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
        operation: &'static str,
    ) -> Result<MemberChange, StoreError>
    where
        E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + ConditionFailure + 'static,
    {
        match e.as_service_error().and_then(ConditionFailure::old_item) {
            Some(Some(_)) => Ok(MemberChange::IsOwner),
            Some(None) => Ok(MemberChange::NotFound),
            None => Err(StoreError::from_sdk(operation, e)),
        }
    }

    /// The owner becomes admin and `to` becomes owner, or nothing changes.
    pub async fn transfer_ownership(&self, org_id: i64, from: i64, to: i64) -> Result<bool, StoreError> {
        let set_role = |user_id: i64, role: OrgRole, condition: &str| {
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(member_key(org_id, user_id)))
                .update_expression("SET #role = :role")
                .condition_expression(condition)
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#role", "role")
                .expression_attribute_values(":role", s(role.as_str()))
                .expression_attribute_values(":owner", s(OrgRole::Owner.as_str()))
                .build()
                .expect("update has its fields")
        };
        let result = self
            .transact(vec![
                write(set_role(
                    from,
                    OrgRole::Admin,
                    "attribute_exists(#pk) AND #role = :owner",
                )),
                write(set_role(
                    to,
                    OrgRole::Owner,
                    "attribute_exists(#pk) AND #role <> :owner",
                )),
            ])
            .await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }

    /// A pending invite with its email guard (one pending invite per email and org), token
    /// item and mail. `false` if a live pending invite for the email exists.
    pub async fn create_pending_invite(
        &self,
        invite: &Invite,
        message: &OutboxMessage,
        now_epoch: i64,
    ) -> Result<bool, StoreError> {
        let hash = invite.token_hash.as_deref().expect("a pending invite has a token");
        let mut guard = invite_email_key(invite.organization_id, &invite.email);
        guard.insert("invite_id".into(), n(invite.id));
        guard.insert(TTL_ATTRIBUTE.into(), n(invite.expires_epoch));
        let guard_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(guard))
            .condition_expression("attribute_not_exists(#pk) OR #ttl <= :now")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now_epoch))
            .build()
            .expect("put has table and item");
        let mut token = invite_token_key(hash);
        token.insert("org_id".into(), n(invite.organization_id));
        token.insert("invite_id".into(), n(invite.id));
        token.insert(TTL_ATTRIBUTE.into(), n(invite.expires_epoch));
        let result = self
            .transact(vec![
                write(guard_put),
                write(self.put_new(invite_item(invite)?)),
                write(self.put_new(token)),
                put(outbox_item(message)?, &self.table),
                write(self.exists(org_key(invite.organization_id))),
            ])
            .await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(r) if r.first() == Some(&true) => Ok(false),
            _ => Err(transaction_error(result)),
        }
    }

    /// An existing user joins at once; the invite is kept as accepted.
    pub async fn create_accepted_invite(
        &self,
        invite: &Invite,
        membership: &Membership,
    ) -> Result<AddMemberOutcome, StoreError> {
        self.add_member_with(membership, vec![write(self.put(invite_item(invite)?))])
            .await
    }

    pub async fn invite(&self, org_id: i64, invite_id: i64) -> Result<Option<Invite>, StoreError> {
        let item = self.get_item(invite_key(org_id, invite_id)).await?;
        item.map(|i| from_item(i, "invite")).transpose()
    }

    pub async fn invite_by_token(&self, hash: &str) -> Result<Option<Invite>, StoreError> {
        let item = self.get_item(invite_token_key(hash)).await?;
        let number = |item: &Item, name: &str| item.get(name)?.as_n().ok()?.parse::<i64>().ok();
        let Some((org_id, invite_id)) = item
            .as_ref()
            .and_then(|i| Some((number(i, "org_id")?, number(i, "invite_id")?)))
        else {
            return Ok(None);
        };
        self.invite(org_id, invite_id).await
    }

    /// Marks a pending, unexpired invite accepted and adds the membership, once.
    pub async fn accept_invite(
        &self,
        invite: &Invite,
        membership: &Membership,
        now_epoch: i64,
    ) -> Result<AcceptOutcome, StoreError> {
        let accept = Update::builder()
            .table_name(&self.table)
            .set_key(Some(invite_key(invite.organization_id, invite.id)))
            .update_expression("SET #status = :accepted REMOVE gsi1pk, gsi1sk, #ttl, token_hash")
            .condition_expression("#status = :pending AND expires_epoch > :now")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":accepted", s("accepted"))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":now", n(now_epoch))
            .build()
            .expect("update has its fields");
        let mut extra = vec![
            write(accept),
            write(self.delete(invite_email_key(invite.organization_id, &invite.email))),
        ];
        if let Some(hash) = &invite.token_hash {
            extra.push(write(self.delete(invite_token_key(hash))));
        }
        Ok(match self.add_member_with(membership, extra).await? {
            AddMemberOutcome::Added => AcceptOutcome::Accepted,
            AddMemberOutcome::AlreadyMember => AcceptOutcome::AlreadyMember,
            // The invite was used, revoked or expired meanwhile, or its org or user is gone.
            _ => AcceptOutcome::NotPending,
        })
    }

    /// Deletes a pending invite with its token and guard. `false` if it was no longer pending.
    pub async fn revoke_invite(&self, invite: &Invite, now_epoch: i64) -> Result<bool, StoreError> {
        let delete_invite = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(invite_key(invite.organization_id, invite.id)))
            .condition_expression("#status = :pending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", s("pending"))
            .build()
            .expect("delete has table and key");
        let mut writes = vec![write(delete_invite)];
        if let Some(hash) = &invite.token_hash {
            writes.push(write(self.delete(invite_token_key(hash))));
        }
        // The guard is this invite's unless it expired and a newer invite took it over.
        let guard = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(invite_email_key(invite.organization_id, &invite.email)))
            .build()
            .expect("delete has table and key");
        if invite.expires_epoch > now_epoch {
            writes.push(write(guard));
        }
        let result = self.transact(writes).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }

    /// Pending invites for an email, from the index.
    pub async fn pending_invites_for(&self, email: &str) -> Result<Vec<Invite>, StoreError> {
        let items = self.index_partition(&format!("INVITE_FOR#{email}"), false).await?;
        items.into_iter().map(|i| from_item(i, "invite")).collect()
    }
}

/// Service errors that can carry the item a failed condition saw.
pub trait ConditionFailure {
    /// `Some(old item or None)` for a failed condition; `None` for any other error.
    fn old_item(&self) -> Option<Option<&HashMap<String, AttributeValue>>>;
}

impl ConditionFailure for aws_sdk_dynamodb::operation::update_item::UpdateItemError {
    fn old_item(&self) -> Option<Option<&HashMap<String, AttributeValue>>> {
        match self {
            Self::ConditionalCheckFailedException(e) => Some(e.item()),
            _ => None,
        }
    }
}

impl ConditionFailure for aws_sdk_dynamodb::operation::delete_item::DeleteItemError {
    fn old_item(&self) -> Option<Option<&HashMap<String, AttributeValue>>> {
        match self {
            Self::ConditionalCheckFailedException(e) => Some(e.item()),
            _ => None,
        }
    }
}
