//! Mail queue items (`MAIL#<id>` / `MAIL`): written inside the transactions that create tokens,
//! then updated by the mailer. Under `MAIL_TRANSPORT=capture` they are also listed in `gsi1`
//! under `OUTBOX`, newest first, for `gatehouse auth outbox`.

use super::{key_of, s, Item, Store, StoreError, PARTITION_KEY};
use crate::model::QueuedMail;
use aws_sdk_dynamodb::types::AttributeValue;

pub(crate) const MAIL_PREFIX: &str = "MAIL#";
const MAIL_SK: &str = "MAIL";
const OUTBOX_INDEX_PK: &str = "OUTBOX";

pub(crate) fn mail_key(id: &str) -> Item {
    key_of(format!("{MAIL_PREFIX}{id}"), MAIL_SK)
}

pub(crate) fn mail_item(mail: &QueuedMail) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(mail).map_err(|e| StoreError::Malformed(format!("mail item: {e}")))?;
    item.extend(mail_key(&mail.id));
    if mail.captured {
        item.insert("gsi1pk".into(), s(OUTBOX_INDEX_PK));
        item.insert("gsi1sk".into(), s(format!("{}#{}", mail.created_at, mail.id)));
    }
    Ok(item)
}

fn from_item(item: Item) -> Result<QueuedMail, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Malformed(format!("mail item: {e}")))
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl Store {
    pub async fn mail(&self, id: &str) -> Result<Option<QueuedMail>, StoreError> {
        self.get_item(mail_key(id)).await?.map(from_item).transpose()
    }

    /// Marks a message sent; without `keep_content` its sealed content goes.
    pub async fn mail_sent(
        &self,
        id: &str,
        attempts: i64,
        sent_at: &str,
        keep_content: bool,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let remove = if keep_content { "" } else { " REMOVE sealed" };
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(mail_key(id)))
            .update_expression(format!(
                "SET #status = :sent, sent_at = :at, expires_at = :exp ADD attempts :n{remove}"
            ))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":at", s(sent_at))
            .expression_attribute_values(":exp", n(expires_at))
            .expression_attribute_values(":n", n(attempts))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// Records a failed delivery; `final_` drops the sealed content (nothing will retry it).
    pub async fn mail_failed(&self, id: &str, attempts: i64, error: &str, final_: bool) -> Result<(), StoreError> {
        let remove = if final_ { " REMOVE sealed" } else { "" };
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(mail_key(id)))
            .update_expression(format!(
                "SET #status = :failed, last_error = :err ADD attempts :n{remove}"
            ))
            .condition_expression("attribute_exists(#pk) AND #status <> :sent")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":failed", s("failed"))
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":err", s(error))
            .expression_attribute_values(":n", n(attempts))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// Captured messages, newest first, optionally only those to `to`.
    pub async fn captured_mail(&self, to: Option<&str>) -> Result<Vec<QueuedMail>, StoreError> {
        let mut messages = Vec::new();
        for item in self.index_partition(OUTBOX_INDEX_PK, true).await? {
            let mail = from_item(item)?;
            if to.is_none_or(|to| mail.to == to) {
                messages.push(mail);
            }
        }
        Ok(messages)
    }
}
