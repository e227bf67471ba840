//! The mailer's side of the mail queue: reading an item and recording how its delivery went.
//! (Mail items are written by the token-writing transactions; see `keys::mail`.)

use super::items::{from_item, n};
use super::keys::{self, s, PARTITION_KEY};
use super::{failed_conditions, sdk_error, transaction_error, write::write, Store};
use crate::audit::AuditRecord;
use crate::domain::ports::{MailStore, StoreResult};
use crate::model::QueuedMail;
use async_trait::async_trait;

#[async_trait]
impl MailStore for Store {
    async fn mail(&self, id: &str) -> StoreResult<Option<QueuedMail>> {
        self.get_item(keys::mail(id))
            .await?
            .map(|item| from_item(item, "mail"))
            .transpose()
    }

    async fn mail_sent(
        &self,
        id: &str,
        attempts: i64,
        sent_at: &str,
        keep_content: bool,
        expires_at: i64,
    ) -> StoreResult<()> {
        let remove = if keep_content { "" } else { " REMOVE sealed" };
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::mail(id)))
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
            .map_err(|e| sdk_error("UpdateItem", e))?;
        Ok(())
    }

    async fn mail_failed(
        &self,
        id: &str,
        attempts: i64,
        error: &str,
        final_: bool,
        events: &[AuditRecord],
    ) -> StoreResult<()> {
        let remove = if final_ { " REMOVE sealed" } else { "" };
        let update = self
            .update_of(keys::mail(id))
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
            .build()
            .expect("update has its fields");
        let result = self.transact_audited(vec![write(update)], events).await;
        match failed_conditions(&result) {
            // Sent meanwhile, or gone: nothing to record.
            Some(_) => Ok(()),
            None if result.is_ok() => Ok(()),
            None => Err(transaction_error(result)),
        }
    }

    async fn captured_mail(&self, to: Option<&str>) -> StoreResult<Vec<QueuedMail>> {
        let mut messages = Vec::new();
        for item in self.index_partition(keys::OUTBOX, true).await? {
            let mail: QueuedMail = from_item(item, "mail")?;
            if to.is_none_or(|to| mail.to == to) {
                messages.push(mail);
            }
        }
        Ok(messages)
    }
}
