//! Sessions live in their user's partition (`USER#<id>` / `SESSION#<id>`); refresh tokens are
//! items keyed by their SHA-256, pointing at their family and generation.

use super::tokens::put;
use super::users::user_key;
use super::{failed_conditions, key_of, s, transaction_error, Item, Store, StoreError, PARTITION_KEY};
use crate::model::{RefreshRecord, Session, User};
use aws_sdk_dynamodb::types::{AttributeValue, Get, Put, TransactGetItem, TransactWriteItem, Update};

pub(crate) fn session_key(user_id: i64, session_id: &str) -> Item {
    key_of(format!("USER#{user_id}"), &format!("SESSION#{session_id}"))
}

fn refresh_key(hash: &str) -> Item {
    key_of(format!("REFRESH#{hash}"), "REFRESH")
}

fn session_item(session: &Session) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(session).map_err(|e| StoreError::Malformed(format!("session: {e}")))?;
    item.extend(session_key(session.user_id, &session.id));
    Ok(item)
}

fn refresh_item(record: &RefreshRecord) -> Result<Item, StoreError> {
    let mut item: Item =
        serde_dynamo::to_item(record).map_err(|e| StoreError::Malformed(format!("refresh token: {e}")))?;
    item.extend(refresh_key(&record.hash));
    Ok(item)
}

fn session_from(item: Item) -> Result<Session, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Malformed(format!("session: {e}")))
}

impl Store {
    /// Writes the session and its first refresh token, and, for a login, the user's `last_login`.
    pub async fn create_session(
        &self,
        session: &Session,
        first: &RefreshRecord,
        last_login: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut writes = vec![
            put(session_item(session)?, &self.table),
            put(refresh_item(first)?, &self.table),
        ];
        if let Some(at) = last_login {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(user_key(session.user_id)))
                .update_expression("SET last_login = :at")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_values(":at", s(at))
                .build()
                .expect("update has its fields");
            writes.push(TransactWriteItem::builder().update(update).build());
        }
        self.transact(writes)
            .await
            .map_err(|e| StoreError::from_sdk("TransactWriteItems", e))?;
        Ok(())
    }

    pub async fn refresh_record(&self, hash: &str) -> Result<Option<RefreshRecord>, StoreError> {
        let item = self.get_item(refresh_key(hash)).await?;
        item.map(|item| serde_dynamo::from_item(item).map_err(|e| StoreError::Malformed(format!("refresh token: {e}"))))
            .transpose()
    }

    /// Reads items in one strongly consistent round trip; `None` where an item is missing.
    pub(crate) async fn get_together(&self, keys: Vec<Item>) -> Result<Vec<Option<Item>>, StoreError> {
        let mut request = self.client.transact_get_items();
        for key in keys {
            let get = Get::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .build()
                .expect("get has table and key");
            request = request.transact_items(TransactGetItem::builder().get(get).build());
        }
        let out = request
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("TransactGetItems", e))?;
        Ok(out.responses.unwrap_or_default().into_iter().map(|r| r.item).collect())
    }

    pub async fn user_and_session(
        &self,
        user_id: i64,
        session_id: &str,
    ) -> Result<(Option<User>, Option<Session>), StoreError> {
        let mut items = self
            .get_together(vec![user_key(user_id), session_key(user_id, session_id)])
            .await?
            .into_iter();
        let user = items.next().flatten().map(super::users::user_from_item).transpose()?;
        let session = items.next().flatten().map(session_from).transpose()?;
        Ok((user, session))
    }

    /// Moves the family from generation `from` to `next.generation` and stores the new token's
    /// hash, unless another request moved it first (`false`) or it was revoked.
    pub async fn rotate_session(&self, next: &Session, from: i64, token: &RefreshRecord) -> Result<bool, StoreError> {
        let update = Put::builder()
            .table_name(&self.table)
            .set_item(Some(session_item(next)?))
            .condition_expression("generation = :from AND revoked = :no")
            .expression_attribute_values(":from", AttributeValue::N(from.to_string()))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .build()
            .expect("put has table and item");
        let writes = vec![
            TransactWriteItem::builder().put(update).build(),
            put(refresh_item(token)?, &self.table),
        ];
        let result = self.transact(writes).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }

    pub async fn revoke_session(&self, user_id: i64, session_id: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(session_key(user_id, session_id)))
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
            Err(e) => Err(StoreError::from_sdk("UpdateItem", e)),
        }
    }

    /// Every session of a user, live or not.
    pub async fn sessions_of(&self, user_id: i64) -> Result<Vec<Session>, StoreError> {
        let items = self
            .partition(&format!("USER#{user_id}"), Some("SESSION#"), false)
            .await?;
        items.into_iter().map(session_from).collect()
    }
}
