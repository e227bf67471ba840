//! One-time token items (by SHA-256), their consumption, and the outbox.

use super::users::user_key;
use super::{failed_conditions, key_of, s, transaction_error, Item, Store, StoreError, PARTITION_KEY, TTL_ATTRIBUTE};
use crate::model::OutboxMessage;
use crate::model::{OneTimeToken, Purpose};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};

const OUTBOX_PK: &str = "OUTBOX";

fn token_key(hash: &str) -> Item {
    key_of(format!("TOKEN#{hash}"), "TOKEN")
}

/// The user attribute that names the one live token of a purpose.
fn pointer_attribute(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::PasswordReset => "reset_token_hash",
        Purpose::EmailVerification => "verification_token_hash",
    }
}

fn malformed(what: &str) -> impl Fn(serde_dynamo::Error) -> StoreError + '_ {
    move |e| StoreError::Malformed(format!("{what}: {e}"))
}

pub(crate) fn put(item: Item, table: &str) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .build()
                .expect("put has table and item"),
        )
        .build()
}

pub(crate) fn token_item(token: &OneTimeToken) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(token).map_err(malformed("token"))?;
    item.extend(token_key(&token.hash));
    Ok(item)
}

pub(crate) fn outbox_item(message: &OutboxMessage) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(message).map_err(malformed("outbox message"))?;
    item.extend(key_of(
        OUTBOX_PK.into(),
        &format!("{}#{}", message.created_at, message.id),
    ));
    Ok(item)
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl Store {
    /// Stores a token, points the user at it (voiding the previous one of that purpose) and
    /// queues the message that carries it, all or nothing. `false` if the user is gone.
    pub async fn issue_token(&self, token: &OneTimeToken, message: &OutboxMessage) -> Result<bool, StoreError> {
        let point_user = Update::builder()
            .table_name(&self.table)
            .set_key(Some(user_key(token.user_id)))
            .update_expression("SET #pointer = :hash")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pointer", pointer_attribute(token.purpose))
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":hash", s(&token.hash))
            .build()
            .expect("update has its required fields");
        let writes = vec![
            put(token_item(token)?, &self.table),
            TransactWriteItem::builder().update(point_user).build(),
            put(outbox_item(message)?, &self.table),
        ];
        let result = self.transact(writes).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }

    /// Queues a message in a transaction shaped like `issue_token`'s (three items: the message and
    /// two checks of keys that never exist), so a reset request for an unknown address costs
    /// about what one for a real account does.
    pub async fn queue_mail_like_a_token(&self, message: &OutboxMessage) -> Result<(), StoreError> {
        let absent = |key: Item| {
            let check = aws_sdk_dynamodb::types::ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .build()
                .expect("condition check has its fields");
            TransactWriteItem::builder().condition_check(check).build()
        };
        let writes = vec![
            put(outbox_item(message)?, &self.table),
            absent(user_key(0)),
            absent(token_key(&crate::domain::one_time::random_secret())),
        ];
        self.transact(writes)
            .await
            .map_err(|e| StoreError::from_sdk("TransactWriteItems", e))?;
        Ok(())
    }

    pub async fn one_time_token(&self, hash: &str) -> Result<Option<OneTimeToken>, StoreError> {
        let item = self.get_item(token_key(hash)).await?;
        item.map(|item| serde_dynamo::from_item(item).map_err(malformed("token")))
            .transpose()
    }

    /// Deletes the token and applies `user_update` in one transaction, provided the token is
    /// unexpired and still the user's live one. Of any number of parallel calls, one wins.
    async fn consume(
        &self,
        token: &OneTimeToken,
        now_epoch: i64,
        user_update: Update,
        extra: Vec<TransactWriteItem>,
    ) -> Result<bool, StoreError> {
        let delete_token = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(token_key(&token.hash)))
            .condition_expression("attribute_exists(#pk) AND #ttl > :now")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now_epoch))
            .build()
            .expect("delete has its required fields");
        let mut writes = vec![
            TransactWriteItem::builder().delete(delete_token).build(),
            TransactWriteItem::builder().update(user_update).build(),
        ];
        writes.extend(extra);
        let result = self.transact(writes).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            // Used, expired, replaced, or lost to a parallel use.
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }

    fn user_update_for(&self, token: &OneTimeToken, set: &str) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(user_key(token.user_id)))
            .update_expression(format!("SET {set} REMOVE #pointer"))
            .condition_expression("#pointer = :hash")
            .expression_attribute_names("#pointer", pointer_attribute(token.purpose))
            .expression_attribute_values(":hash", s(&token.hash))
    }

    /// Sets the new password hash, ends every earlier access token and clears the email's
    /// lockout, if the reset token is still good.
    pub async fn consume_password_reset(
        &self,
        token: &OneTimeToken,
        hashed_password: &str,
        now: &str,
        tokens_valid_after_ms: i64,
        now_epoch: i64,
    ) -> Result<bool, StoreError> {
        let update = self
            .user_update_for(
                token,
                "hashed_password = :pw, tokens_valid_after_ms = :after, updated_at = :now",
            )
            .expression_attribute_values(":pw", s(hashed_password))
            .expression_attribute_values(":after", n(tokens_valid_after_ms))
            .expression_attribute_values(":now", s(now))
            .build()
            .expect("update has its required fields");
        let clear_lockout = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(super::limits::lockout_key(&token.email)))
            .build()
            .expect("delete has its required fields");
        let extra = vec![TransactWriteItem::builder().delete(clear_lockout).build()];
        self.consume(token, now_epoch, update, extra).await
    }

    /// Marks the user verified, if the verification token is still good.
    pub async fn consume_email_verification(
        &self,
        token: &OneTimeToken,
        now: &str,
        now_epoch: i64,
    ) -> Result<bool, StoreError> {
        let update = self
            .user_update_for(token, "is_verified = :yes, updated_at = :now")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":now", s(now))
            .build()
            .expect("update has its required fields");
        self.consume(token, now_epoch, update, Vec::new()).await
    }

    /// Unexpired outbox messages, newest first, optionally only those to `to`.
    pub async fn outbox(&self, to: Option<&str>, now_epoch: i64) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut messages = Vec::new();
        for item in self.partition(OUTBOX_PK, None, true).await? {
            let message: OutboxMessage = serde_dynamo::from_item(item).map_err(malformed("outbox message"))?;
            if message.expires_at > now_epoch && to.is_none_or(|to| message.to == to) {
                messages.push(message);
            }
        }
        Ok(messages)
    }
}
