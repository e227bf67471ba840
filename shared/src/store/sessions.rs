//! Sessions live in their user's partition; refresh tokens are items keyed by their SHA-256,
//! pointing at their family and generation (see `keys`).

use super::items::{self, from_item, n, refresh_item, session_from_item, session_item, user_from_item};
use super::keys::{self, s, Item, PARTITION_KEY};
use super::{failed_conditions, sdk_error, transaction_error, write::write, Store};
use crate::domain::ports::{SessionStore, StoreResult};
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
    ) -> StoreResult<()> {
        let mut writes = vec![self.put(session_item(session)?), self.put(refresh_item(first)?)];
        if let Some(at) = last_login {
            let update = self
                .update_of(keys::user(session.user_id))
                .update_expression("SET last_login = :at")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_values(":at", s(at))
                .build()
                .expect("update has its fields");
            writes.push(write(update));
        }
        self.transact(writes)
            .await
            .map_err(|e| sdk_error("TransactWriteItems", e))?;
        Ok(())
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

    async fn rotate_session(&self, next: &Session, from: i64, token: &RefreshRecord) -> StoreResult<bool> {
        let update = self
            .put_of(session_item(next)?)
            .condition_expression("generation = :from AND revoked = :no")
            .expression_attribute_values(":from", n(from))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .build()
            .expect("put has table and item");
        let writes = vec![write(update), self.put(refresh_item(token)?)];
        let result = self.transact(writes).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }

    async fn revoke_session(&self, user_id: i64, session_id: &str) -> StoreResult<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::session(user_id, session_id)))
            .update_expression("SET revoked = :yes")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn sessions_of(&self, user_id: i64) -> StoreResult<Vec<Session>> {
        let (partition, prefix) = keys::sessions_of(user_id);
        let items = self.partition(&partition, Some(prefix), false).await?;
        items.into_iter().map(session_from_item).collect()
    }
}
