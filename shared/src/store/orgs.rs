//! Orgs and memberships. An org's items share its partition; the slug guard is an item of its
//! own; `gsi1` lists every org and a user's memberships (see `keys`).

use super::items::{from_item, invite_item, member_item, n, org_item};
use super::keys::{self, s, Item, OrgPart, PARTITION_KEY};
use super::{failed_conditions, sdk_error, transaction_error, Store};
use crate::domain::ports::{AddMemberOutcome, MemberChange, OrgPartition, OrgStore, StoreError, StoreResult};
use crate::model::{Invite, Membership, Org, OrgRole};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use std::collections::HashMap;

/// DynamoDB's limit on the items of one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;

#[async_trait]
impl OrgStore for Store {
    /// The slug guard, the org and the owner's membership, each new, in one transaction.
    async fn create_org(&self, org: &Org, owner: &Membership) -> StoreResult<bool> {
        let mut guard = keys::slug_guard(&org.slug);
        guard.insert("org_id".into(), n(org.id));
        let result = self
            .transact(vec![
                self.put_new(guard),
                self.put_new(org_item(org)?),
                self.put_new(member_item(owner)?),
            ])
            .await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(reasons) if reasons.first() == Some(&true) => Ok(false),
            _ => Err(transaction_error(result)),
        }
    }

    /// One round trip.
    async fn org_and_membership(&self, org_id: i64, user_id: i64) -> StoreResult<(Option<Org>, Option<Membership>)> {
        let mut found = self
            .get_together(vec![keys::org(org_id), keys::member(org_id, user_id)])
            .await?
            .into_iter();
        let org = found.next().flatten().map(|i| from_item(i, "org")).transpose()?;
        let membership = found.next().flatten().map(|i| from_item(i, "membership")).transpose()?;
        Ok((org, membership))
    }

    async fn is_member(&self, org_id: i64, user_id: i64) -> StoreResult<bool> {
        Ok(self.get_item(keys::member(org_id, user_id)).await?.is_some())
    }

    /// One query of the org's partition (paged).
    async fn org_partition(&self, org_id: i64) -> StoreResult<OrgPartition> {
        let (partition, _) = self.org_items(org_id).await?;
        Ok(partition)
    }

    /// One transaction when everything fits in one (100 items). A larger org goes in order:
    /// first, in transactions of 100, its invites (with their tokens and guards) and every
    /// membership but the owner's; last, in one transaction, the org, its slug and the owner's
    /// membership (with whatever else fits). A failure at any point leaves a valid org (its slug
    /// and its one owner are still there, with fewer members or invites), and deleting it again
    /// finishes the job: the retry reads what is left and starts over from there.
    async fn delete_org(&self, org_id: i64) -> StoreResult<bool> {
        let (partition, item_keys) = self.org_items(org_id).await?;
        let Some(org) = &partition.org else {
            return Ok(false);
        };
        let org_key = keys::org(org_id);
        let owner_keys: Vec<Item> = partition
            .members
            .iter()
            .filter(|m| m.role == OrgRole::Owner)
            .map(|m| keys::member(org_id, m.user_id))
            .collect();
        let mut last = vec![
            self.delete_existing(org_key.clone()),
            self.delete(keys::slug_guard(&org.slug)),
        ];
        last.extend(owner_keys.iter().map(|key| self.delete(key.clone())));
        // Invite tokens first, so none is left pointing at a deleted invite.
        let mut children: Vec<TransactWriteItem> = partition
            .invites
            .iter()
            .filter_map(|i| i.token_hash.as_deref().map(keys::invite_token))
            .chain(
                item_keys
                    .into_iter()
                    .filter(|k| *k != org_key && !owner_keys.contains(k)),
            )
            .map(|key| self.delete(key))
            .collect();
        let room = MAX_TRANSACTION_ITEMS.saturating_sub(last.len());
        let fits = children.split_off(children.len().saturating_sub(room));
        last.extend(fits);
        for chunk in children.chunks(MAX_TRANSACTION_ITEMS) {
            let result = self.transact(chunk.to_vec()).await;
            if result.is_err() {
                return Err(transaction_error(result));
            }
        }
        let result = self.transact(last).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(reasons) if reasons.first() == Some(&true) => Ok(false),
            _ => Err(transaction_error(result)),
        }
    }

    /// From the index.
    async fn memberships_of(&self, user_id: i64) -> StoreResult<Vec<Membership>> {
        let items = self.index_partition(&keys::memberships_of(user_id), false).await?;
        items.into_iter().map(|i| from_item(i, "membership")).collect()
    }

    async fn orgs(&self, ids: &[i64]) -> StoreResult<Vec<Org>> {
        let items = self.batch_get(ids.iter().map(|id| keys::org(*id)).collect()).await?;
        let mut orgs: Vec<Org> = items
            .into_iter()
            .map(|i| from_item(i, "org"))
            .collect::<Result<_, _>>()?;
        orgs.sort_by_key(|o| o.id);
        Ok(orgs)
    }

    /// From the index.
    async fn all_orgs(&self) -> StoreResult<Vec<Org>> {
        let items = self.index_partition(keys::ALL_ORGS, true).await?;
        items.into_iter().map(|i| from_item(i, "org")).collect()
    }

    async fn update_org(
        &self,
        org_id: i64,
        name: Option<&str>,
        description: Option<&str>,
        require_mfa: Option<bool>,
        now: &str,
    ) -> StoreResult<Option<Org>> {
        let mut set = vec!["updated_at = :now"];
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::org(org_id)))
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
        if let Some(require_mfa) = require_mfa {
            set.push("require_mfa = :require_mfa");
            request = request.expression_attribute_values(":require_mfa", AttributeValue::Bool(require_mfa));
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
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn add_member(&self, membership: &Membership) -> StoreResult<AddMemberOutcome> {
        self.add_member_with(membership, Vec::new()).await
    }

    async fn set_member_role(&self, org_id: i64, user_id: i64, role: OrgRole) -> StoreResult<MemberChange> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::member(org_id, user_id)))
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
            Err(e) => member_change_failure(e, "UpdateItem"),
        }
    }

    async fn remove_member(&self, org_id: i64, user_id: i64) -> StoreResult<MemberChange> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(keys::member(org_id, user_id)))
            .condition_expression("attribute_exists(#pk) AND #role <> :owner")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":owner", s(OrgRole::Owner.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(MemberChange::Done(None)),
            Err(e) => member_change_failure(e, "DeleteItem"),
        }
    }

    async fn transfer_ownership(&self, org_id: i64, from: i64, to: i64) -> StoreResult<bool> {
        let set_role = |user_id: i64, role: OrgRole, condition: &str| {
            self.update_of(keys::member(org_id, user_id))
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
                super::write::write(set_role(
                    from,
                    OrgRole::Admin,
                    "attribute_exists(#pk) AND #role = :owner",
                )),
                super::write::write(set_role(
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
}

impl Store {
    /// What the org's partition holds, and the key of every item in it.
    async fn org_items(&self, org_id: i64) -> StoreResult<(OrgPartition, Vec<Item>)> {
        let mut partition = OrgPartition::default();
        let mut item_keys = Vec::new();
        for item in self.partition(&keys::org_partition(org_id), None, false).await? {
            item_keys.push(keys::key_of(&item));
            match keys::org_part(&item) {
                OrgPart::Org => partition.org = Some(from_item(item, "org")?),
                OrgPart::Member => partition.members.push(from_item(item, "membership")?),
                OrgPart::Invite => partition.invites.push(from_item::<Invite>(item, "invite")?),
                OrgPart::Other => {}
            }
        }
        Ok((partition, item_keys))
    }

    /// Adds a membership if the user exists, is not a member yet, and the org still exists, in
    /// one transaction with `extra` writes.
    pub(crate) async fn add_member_with(
        &self,
        m: &Membership,
        extra: Vec<TransactWriteItem>,
    ) -> StoreResult<AddMemberOutcome> {
        let mut writes = vec![
            self.exists(keys::user(m.user_id)),
            self.put_new(member_item(m)?),
            self.exists(keys::org(m.organization_id)),
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

    /// A write of an accepted invite (kept as a record), for `add_member_with`.
    pub(crate) fn put_invite(&self, invite: &Invite) -> StoreResult<TransactWriteItem> {
        Ok(self.put(invite_item(invite)?))
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
        None => Err(sdk_error(operation, e)),
    }
}

/// Service errors that can carry the item a failed condition saw.
trait ConditionFailure {
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
