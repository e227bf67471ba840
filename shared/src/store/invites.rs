//! Invites: in their org's partition with a guard per email (one pending invite per email and
//! org), a token item by SHA-256, and an index entry by email while pending (see `keys`).

use super::items::{from_item, invite_item, mail_item, n, number};
use super::keys::{self, s, PARTITION_KEY, TTL_ATTRIBUTE};
use super::{failed_conditions, transaction_error, write::write, Store};
use crate::audit::AuditRecord;
use crate::domain::ports::{AcceptOutcome, AddMemberOutcome, InviteStore, StoreResult};
use crate::model::{Invite, Membership, QueuedMail};
use async_trait::async_trait;

#[async_trait]
impl InviteStore for Store {
    /// One transaction: the guard (new, or expired), the invite and its token (new, if it has
    /// one), the mail, and a check that the org exists.
    async fn create_pending_invite(
        &self,
        invite: &Invite,
        message: &QueuedMail,
        now_epoch: i64,
        events: &[AuditRecord],
    ) -> StoreResult<bool> {
        let mut guard = keys::invite_email_guard(invite.organization_id, &invite.email);
        guard.insert("invite_id".into(), n(invite.id));
        guard.insert(TTL_ATTRIBUTE.into(), n(invite.expires_epoch));
        let guard_put = self
            .put_of(guard)
            .condition_expression("attribute_not_exists(#pk) OR #ttl <= :now")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now_epoch))
            .build()
            .expect("put has table and item");
        let mut writes = vec![
            write(guard_put),
            self.put_new(invite_item(invite)?),
            self.put(mail_item(message)?),
            self.exists(keys::org(invite.organization_id)),
        ];
        if let Some(hash) = invite.token_hash.as_deref() {
            let mut token = keys::invite_token(hash);
            token.insert("org_id".into(), n(invite.organization_id));
            token.insert("invite_id".into(), n(invite.id));
            token.insert(TTL_ATTRIBUTE.into(), n(invite.expires_epoch));
            writes.push(self.put_new(token));
        }
        let result = self.transact_audited(writes, events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(r) if r.first() == Some(&true) => Ok(false),
            _ => Err(transaction_error(result)),
        }
    }

    async fn create_accepted_invite(
        &self,
        invite: &Invite,
        membership: &Membership,
        events: &[AuditRecord],
    ) -> StoreResult<AddMemberOutcome> {
        self.add_member_with(membership, vec![self.put_invite(invite)?], events)
            .await
    }

    async fn invite(&self, org_id: i64, invite_id: i64) -> StoreResult<Option<Invite>> {
        let item = self.get_item(keys::invite(org_id, invite_id)).await?;
        item.map(|i| from_item(i, "invite")).transpose()
    }

    async fn invite_by_token(&self, hash: &str) -> StoreResult<Option<Invite>> {
        let item = self.get_item(keys::invite_token(hash)).await?;
        let Some((org_id, invite_id)) = item
            .as_ref()
            .and_then(|i| Some((number(i, "org_id")?, number(i, "invite_id")?)))
        else {
            return Ok(None);
        };
        self.invite(org_id, invite_id).await
    }

    /// One transaction: the membership (as `add_member`), the invite marked accepted (if still
    /// pending and unexpired), its guard and token gone.
    async fn accept_invite(
        &self,
        invite: &Invite,
        membership: &Membership,
        now_epoch: i64,
        events: &[AuditRecord],
    ) -> StoreResult<AcceptOutcome> {
        let accept = self
            .update_of(keys::invite(invite.organization_id, invite.id))
            .update_expression("SET #status = :accepted REMOVE #gsi1pk, #gsi1sk, #ttl, token_hash")
            .condition_expression("#status = :pending AND expires_epoch > :now")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#gsi1pk", keys::INDEX_PARTITION_KEY)
            .expression_attribute_names("#gsi1sk", keys::INDEX_SORT_KEY)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":accepted", s("accepted"))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":now", n(now_epoch))
            .build()
            .expect("update has its fields");
        let mut extra = vec![
            write(accept),
            self.delete(keys::invite_email_guard(invite.organization_id, &invite.email)),
        ];
        if let Some(hash) = &invite.token_hash {
            extra.push(self.delete(keys::invite_token(hash)));
        }
        Ok(match self.add_member_with(membership, extra, events).await? {
            AddMemberOutcome::Added => AcceptOutcome::Accepted,
            AddMemberOutcome::AlreadyMember => AcceptOutcome::AlreadyMember,
            // The invite was used, revoked or expired meanwhile, or its org or user is gone.
            _ => AcceptOutcome::NotPending,
        })
    }

    /// One transaction: the invite (if still pending), its token, and its guard.
    async fn revoke_invite(&self, invite: &Invite, now_epoch: i64, events: &[AuditRecord]) -> StoreResult<bool> {
        let delete_invite = self
            .delete_of(keys::invite(invite.organization_id, invite.id))
            .condition_expression("#status = :pending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", s("pending"))
            .build()
            .expect("delete has table and key");
        let mut writes = vec![write(delete_invite)];
        if let Some(hash) = &invite.token_hash {
            writes.push(self.delete(keys::invite_token(hash)));
        }
        // The guard is this invite's unless it expired and a newer invite took it over.
        if invite.expires_epoch > now_epoch {
            writes.push(self.delete(keys::invite_email_guard(invite.organization_id, &invite.email)));
        }
        let result = self.transact_audited(writes, events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }

    /// From the index.
    async fn pending_invites_for(&self, email: &str) -> StoreResult<Vec<Invite>> {
        let items = self.index_partition(&keys::invites_for(email), false).await?;
        items.into_iter().map(|i| from_item(i, "invite")).collect()
    }
}
