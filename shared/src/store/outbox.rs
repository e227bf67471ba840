//! The outbox: every mail message, in one partition, newest first.

use super::items::from_item;
use super::keys;
use super::Store;
use crate::domain::ports::{OutboxStore, StoreResult};
use crate::model::OutboxMessage;
use async_trait::async_trait;

#[async_trait]
impl OutboxStore for Store {
    async fn outbox(&self, to: Option<&str>, now_epoch: i64) -> StoreResult<Vec<OutboxMessage>> {
        let mut messages = Vec::new();
        for item in self.partition(keys::OUTBOX, None, true).await? {
            let message: OutboxMessage = from_item(item, "outbox message")?;
            if message.expires_at > now_epoch && to.is_none_or(|to| message.to == to) {
                messages.push(message);
            }
        }
        Ok(messages)
    }
}
