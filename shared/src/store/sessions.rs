//! Sessions live in their user's partition; refresh tokens are items keyed by their SHA-256,
//! pointing at their family and generation (see `keys`).

use super::items::{self, from_item, n, refresh_item, session_from_item, session_item, user_from_item};
use super::keys::{self, s, Item, PARTITION_KEY, TTL_ATTRIBUTE};
use super::{failed_conditions, transaction_error, write::write, Store};
use crate::audit::AuditRecord;
use crate::domain::ports::{FreedSlot, Rehash, SessionStore, StoreResult};
use crate::model::{RefreshRecord, Session, User};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

#[async_trait]
impl SessionStore for Store {
    async fn create_session(
        &self,
        session: &Session,
        first: &RefreshRecord,
        last_login: Option<&str>,
        rehash: Option<Rehash<'_>>,
        freed: Option<FreedSlot<'_>>,
        events: &[AuditRecord],
    ) -> StoreResult<()> {
        let (mut rehash, mut freed) = (rehash, freed);
        // Item positions: the session, its refresh token, the user's update, the lockout counter.
        let user_at = 2;
        let freed_at = user_at + usize::from(last_login.is_some());
        let writes = |rehash: Option<Rehash<'_>>, freed: Option<FreedSlot<'_>>| -> StoreResult<Vec<_>> {
            let mut writes = vec![self.put(session_item(session)?), self.put(refresh_item(first)?)];
            if let Some(at) = last_login {
                let mut update = self
                    .update_of(keys::user(session.user_id))
                    .update_expression("SET last_login = :at")
                    .condition_expression("attribute_exists(#pk)")
                    .expression_attribute_names("#pk", PARTITION_KEY)
                    .expression_attribute_values(":at", s(at));
                if let Some(Rehash { from, to }) = rehash {
                    update = update
                        .update_expression("SET last_login = :at, hashed_password = :to")
                        .condition_expression("attribute_exists(#pk) AND hashed_password = :from")
                        .expression_attribute_values(":from", s(from))
                        .expression_attribute_values(":to", s(to));
                }
                writes.push(write(update.build().expect("update has its fields")));
            }
            if let Some(freed) = freed {
                writes.push(write(self.freeing(freed).build().expect("delete has its key")));
            }
            Ok(writes)
        };
        loop {
            let result = self.transact_audited(writes(rehash, freed)?, events).await;
            let failed = failed_conditions(&result).unwrap_or_default();
            let failed_at = |position: usize| failed.get(position).copied().unwrap_or(false);
            // Conditions that only decide whether a side write happens; the login goes on
            // without it: a password changed since it was checked stays, and a counter that
            // attempts reserved after this one stays counting.
            let stale_rehash = rehash.is_some() && failed_at(user_at);
            let counter_moved_on = freed.is_some() && failed_at(freed_at);
            if !stale_rehash && !counter_moved_on {
                result.map_err(|e| transaction_error(Err(e)))?;
                return Ok(());
            }
            if stale_rehash {
                rehash = None;
            }
            if counter_moved_on {
                freed = None;
            }
        }
    }

    async fn refresh_record(&self, hash: &str) -> StoreResult<Option<RefreshRecord>> {
        let item = self.get_item(keys::refresh_token(hash)).await?;
        item.map(|item| from_item(item, "refresh token")).transpose()
    }

    async fn user_and_session(&self, user_id: i64, session_id: &str) -> StoreResult<(Option<User>, Option<Session>)> {
        let mut found = self
            .get_together(vec![keys::user(user_id), keys::session(user_id, session_id)])
            .await?
            .into_iter();
        let user = found.next().flatten().map(user_from_item).transpose()?;
        let session = found.next().flatten().map(session_from_item).transpose()?;
        Ok((user, session))
    }

    /// One round trip.
    async fn token_context(
        &self,
        user_id: i64,
        jti: &str,
        session_id: &str,
        now_epoch: i64,
    ) -> StoreResult<(Option<User>, bool, Option<Session>)> {
        let keys = vec![
            keys::user(user_id),
            keys::revoked_token(jti),
            keys::session(user_id, session_id),
        ];
        let mut found = self.get_together(keys).await?.into_iter();
        let user = found.next().flatten().map(user_from_item).transpose()?;
        // DynamoDB deletes expired items late (DynamoDB Local never does), so expiry is read here.
        let revoked = found
            .next()
            .flatten()
            .is_some_and(|item: Item| !items::is_expired(&item, now_epoch));
        let session = found.next().flatten().map(session_from_item).transpose()?;
        Ok((user, revoked, session))
    }

    async fn rotate_session(
        &self,
        next: &Session,
        from: i64,
        token: &RefreshRecord,
        events: &[AuditRecord],
    ) -> StoreResult<bool> {
        let update = self
            .put_of(session_item(next)?)
            .condition_expression("generation = :from AND revoked = :no")
            .expression_attribute_values(":from", n(from))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .build()
            .expect("put has table and item");
        let writes = vec![write(update), self.put(refresh_item(token)?)];
        let result = self.transact_audited(writes, events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }

    async fn revoke_session(&self, user_id: i64, session_id: &str, events: &[AuditRecord]) -> StoreResult<()> {
        let revoke = self
            .update_of(keys::session(user_id, session_id))
            .update_expression("SET revoked = :yes")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .build()
            .expect("update has its fields");
        let result = self.transact_audited(vec![write(revoke)], events).await;
        match failed_conditions(&result) {
            // Gone already: nothing changed, nothing to record.
            Some(_) => Ok(()),
            None if result.is_ok() => Ok(()),
            None => Err(transaction_error(result)),
        }
    }

    async fn end_session(
        &self,
        user_id: i64,
        session_id: &str,
        jti: &str,
        token_expires_at: i64,
        events: &[AuditRecord],
    ) -> StoreResult<()> {
        let mut revoked = keys::revoked_token(jti);
        revoked.insert(TTL_ATTRIBUTE.into(), n(token_expires_at));
        let revoke_session = self
            .update_of(keys::session(user_id, session_id))
            .update_expression("SET revoked = :yes")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .build()
            .expect("update has its fields");
        let result = self
            .transact_audited(vec![write(revoke_session), self.put(revoked.clone())], events)
            .await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(()),
            // No session (any more): the token alone.
            Some(_) => {
                let result = self.transact_audited(vec![self.put(revoked)], events).await;
                result.map(|_| ()).map_err(|e| transaction_error(Err(e)))
            }
            None => Err(transaction_error(result)),
        }
    }

    async fn sessions_of(&self, user_id: i64) -> StoreResult<Vec<Session>> {
        let (partition, prefix) = keys::sessions_of(user_id);
        let items = self.partition(&partition, Some(prefix), false).await?;
        items.into_iter().map(session_from_item).collect()
    }
}
