//! Orgs and memberships. An org's items share its partition; the slug guard is an item of its
//! own; `gsi1` lists every org and a user's memberships (see `keys`).

use super::items::{from_item, invite_item, member_item, n, org_item};
use super::keys::{self, s, Item, OrgPart, PARTITION_KEY};
use super::write::write;
use super::{failed_conditions, transaction_error, Store};
use crate::audit::AuditRecord;
use crate::domain::ports::{AddMemberOutcome, MemberChange, OrgPartition, OrgStore, StoreResult};
use crate::model::{Invite, Membership, Org, OrgRole};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};

/// DynamoDB's limit on the items of one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;

#[async_trait]
impl OrgStore for Store {
    /// The slug guard, the org and the owner's membership, each new, in one transaction.
    async fn create_org(&self, org: &Org, owner: &Membership, events: &[AuditRecord]) -> StoreResult<bool> {
        let mut guard = keys::slug_guard(&org.slug);
        guard.insert("org_id".into(), n(org.id));
        let writes = vec![
            self.put_new(guard),
            self.put_new(org_item(org)?),
            self.put_new(member_item(owner)?),
        ];
        let result = self.transact_audited(writes, events).await;
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
    /// finishes the job: the retry reads what is left and starts over from there. The events go
    /// with the last transaction.
    async fn delete_org(&self, org_id: i64, events: &[AuditRecord]) -> StoreResult<bool> {
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
        let room = MAX_TRANSACTION_ITEMS.saturating_sub(last.len() + events.len() * Store::MAX_AUDIT_ITEMS);
        let fits = children.split_off(children.len().saturating_sub(room));
        last.extend(fits);
        for chunk in children.chunks(MAX_TRANSACTION_ITEMS) {
            let result = self.transact(chunk.to_vec()).await;
            if result.is_err() {
                return Err(transaction_error(result));
            }
        }
        let result = self.transact_audited(last, events).await;
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
        events: &[AuditRecord],
    ) -> StoreResult<Option<Org>> {
        let mut set = vec!["updated_at = :now"];
        let mut request = self
            .update_of(keys::org(org_id))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":now", s(now));
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
        let update = request
            .update_expression(format!("SET {}", set.join(", ")))
            .build()
            .expect("update has its fields");
        let result = self.transact_audited(vec![write(update)], events).await;
        match failed_conditions(&result) {
            // A transaction returns no item: the org as it is now is read after it.
            None if result.is_ok() => {
                let item = self.get_item(keys::org(org_id)).await?;
                item.map(|i| from_item(i, "org")).transpose()
            }
            Some(_) => Ok(None),
            None => Err(transaction_error(result)),
        }
    }

    async fn add_member(&self, membership: &Membership, events: &[AuditRecord]) -> StoreResult<AddMemberOutcome> {
        self.add_member_with(membership, Vec::new(), events).await
    }

    async fn set_member_role(
        &self,
        org_id: i64,
        user_id: i64,
        role: OrgRole,
        events: &[AuditRecord],
    ) -> StoreResult<MemberChange> {
        let update = self
            .update_of(keys::member(org_id, user_id))
            .update_expression("SET #role = :role")
            .condition_expression("attribute_exists(#pk) AND #role <> :owner")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":role", s(role.as_str()))
            .expression_attribute_values(":owner", s(OrgRole::Owner.as_str()))
            .build()
            .expect("update has its fields");
        let result = self.transact_audited(vec![write(update)], events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => {
                let item = self.get_item(keys::member(org_id, user_id)).await?;
                Ok(MemberChange::Done(
                    item.map(|i| from_item(i, "membership")).transpose()?,
                ))
            }
            Some(_) => self.member_change_refused(org_id, user_id).await,
            None => Err(transaction_error(result)),
        }
    }

    async fn remove_member(&self, org_id: i64, user_id: i64, events: &[AuditRecord]) -> StoreResult<MemberChange> {
        let delete = self
            .delete_of(keys::member(org_id, user_id))
            .condition_expression("attribute_exists(#pk) AND #role <> :owner")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":owner", s(OrgRole::Owner.as_str()))
            .build()
            .expect("delete has its fields");
        let result = self.transact_audited(vec![write(delete)], events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(MemberChange::Done(None)),
            Some(_) => self.member_change_refused(org_id, user_id).await,
            None => Err(transaction_error(result)),
        }
    }

    async fn transfer_ownership(&self, org_id: i64, from: i64, to: i64, events: &[AuditRecord]) -> StoreResult<bool> {
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
        let writes = vec![
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
        ];
        let result = self.transact_audited(writes, events).await;
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
        events: &[AuditRecord],
    ) -> StoreResult<AddMemberOutcome> {
        let mut writes = vec![
            self.exists(keys::user(m.user_id)),
            self.put_new(member_item(m)?),
            self.exists(keys::org(m.organization_id)),
        ];
        writes.extend(extra);
        let result = self.transact_audited(writes, events).await;
        Ok(match failed_conditions(&result) {
            None if result.is_ok() => AddMemberOutcome::Added,
            Some(r) if r.first() == Some(&true) => AddMemberOutcome::UnknownUser,
            Some(r) if r.get(1) == Some(&true) => AddMemberOutcome::AlreadyMember,
            Some(r) if r.get(2) == Some(&true) => AddMemberOutcome::OrgGone,
            Some(r) if r.iter().any(|f| *f) => AddMemberOutcome::ExtraConditionFailed,
            _ => return Err(transaction_error(result)),
        })
    }

    /// Why a change to a membership was refused: the member is the owner, or there is none.
    async fn member_change_refused(&self, org_id: i64, user_id: i64) -> StoreResult<MemberChange> {
        Ok(match self.get_item(keys::member(org_id, user_id)).await? {
            Some(_) => MemberChange::IsOwner,
            None => MemberChange::NotFound,
        })
    }

    /// A write of an accepted invite (kept as a record), for `add_member_with`.
    pub(crate) fn put_invite(&self, invite: &Invite) -> StoreResult<TransactWriteItem> {
        Ok(self.put(invite_item(invite)?))
    }
}
