//! The one set of transaction builders: every `TransactWriteItem` the store writes is made here
//! (or from a `Put` / `Update` / `Delete` / `ConditionCheck` with its own condition via `write`).

use super::items::n;
use super::keys::{self, s, Item, PARTITION_KEY, TTL_ATTRIBUTE};
use super::{Store, TransactResult};
use crate::audit::AuditRecord;
use aws_sdk_dynamodb::types::builders::{DeleteBuilder, PutBuilder, UpdateBuilder};
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};

/// One write of a transaction.
pub(crate) fn write(op: impl Into<WriteOp>) -> TransactWriteItem {
    match op.into() {
        WriteOp::Put(p) => TransactWriteItem::builder().put(p).build(),
        WriteOp::Delete(d) => TransactWriteItem::builder().delete(d).build(),
        WriteOp::Update(u) => TransactWriteItem::builder().update(u).build(),
        WriteOp::Check(c) => TransactWriteItem::builder().condition_check(c).build(),
    }
}

pub(crate) enum WriteOp {
    Put(Put),
    Delete(Delete),
    Update(Update),
    Check(ConditionCheck),
}

impl From<Put> for WriteOp {
    fn from(p: Put) -> Self {
        WriteOp::Put(p)
    }
}
impl From<Delete> for WriteOp {
    fn from(d: Delete) -> Self {
        WriteOp::Delete(d)
    }
}
impl From<Update> for WriteOp {
    fn from(u: Update) -> Self {
        WriteOp::Update(u)
    }
}
impl From<ConditionCheck> for WriteOp {
    fn from(c: ConditionCheck) -> Self {
        WriteOp::Check(c)
    }
}

impl Store {
    /// A put of `item` into this table, to add a condition to.
    pub(crate) fn put_of(&self, item: Item) -> PutBuilder {
        Put::builder().table_name(&self.table).set_item(Some(item))
    }

    /// An update of the item at `key`, to add expressions to.
    pub(crate) fn update_of(&self, key: Item) -> UpdateBuilder {
        Update::builder().table_name(&self.table).set_key(Some(key))
    }

    /// A delete of the item at `key`, to add a condition to.
    pub(crate) fn delete_of(&self, key: Item) -> DeleteBuilder {
        Delete::builder().table_name(&self.table).set_key(Some(key))
    }

    /// Writes `item`, whatever was there.
    pub(crate) fn put(&self, item: Item) -> TransactWriteItem {
        write(self.put_of(item).build().expect("put has table and item"))
    }

    /// Writes `item` if nothing has its key yet.
    pub(crate) fn put_new(&self, item: Item) -> TransactWriteItem {
        write(
            self.put_of(item)
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .build()
                .expect("put has table and item"),
        )
    }

    /// Deletes the item at `key`, if there is one.
    pub(crate) fn delete(&self, key: Item) -> TransactWriteItem {
        write(self.delete_of(key).build().expect("delete has table and key"))
    }

    /// Deletes the item at `key`; fails the transaction if there is none.
    pub(crate) fn delete_existing(&self, key: Item) -> TransactWriteItem {
        write(
            self.delete_of(key)
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .build()
                .expect("delete has table and key"),
        )
    }

    /// Fails the transaction unless an item has `key`.
    pub(crate) fn exists(&self, key: Item) -> TransactWriteItem {
        self.check(key, "attribute_exists(#pk)")
    }

    /// Fails the transaction if an item has `key`.
    pub(crate) fn absent(&self, key: Item) -> TransactWriteItem {
        self.check(key, "attribute_not_exists(#pk)")
    }

    /// An audit event's items: the event in the global log (and by actor in `gsi1`), and its
    /// copy in its org's log or else its subject's security log; each with the filterable
    /// fields, the event as its JSON line, and the retention TTL.
    pub(crate) fn audit_items(&self, record: &AuditRecord) -> Vec<Item> {
        let position = keys::audit_position(&record.timestamp, &record.id);
        let event = &record.event;
        let mut fields = Item::new();
        if let Some(actor) = event.actor_id {
            fields.insert("actor_id".into(), n(actor));
        }
        if let Some(org) = event.org_id {
            fields.insert("org_id".into(), n(org));
        }
        if let Some(target) = event.target_key() {
            fields.insert("target".into(), s(target));
        }
        fields.insert("event_type".into(), s(event.event_type.clone()));
        fields.insert("document".into(), s(record.line().to_string()));
        let at = chrono::DateTime::parse_from_rfc3339(&record.timestamp).map_or(0, |t| t.timestamp());
        fields.insert(TTL_ATTRIBUTE.into(), n(at + self.audit_retention_days * 86_400));

        let mut main = fields.clone();
        main.extend(keys::audit_event(&position));
        if let Some(actor) = event.actor_id {
            keys::index_audit_actor(&mut main, actor, &position);
        }
        let copy_in = match (event.org_id, event.subject_id) {
            (Some(org), _) => Some(keys::audit_of_org(org)),
            (None, Some(user)) => Some(keys::audit_security_log(user)),
            (None, None) => None,
        };
        let mut items = vec![main];
        if let Some(partition) = copy_in {
            let mut copy = fields;
            copy.extend(keys::audit_copy(partition, &position));
            items.push(copy);
        }
        items
    }

    /// The most items one audit event takes (`audit_items`), for transactions near the limit.
    pub(crate) const MAX_AUDIT_ITEMS: usize = 2;

    /// Runs a write transaction with the audit events that record it (appended last, so the
    /// positions of `writes` in a cancellation stay as they were), and logs the events once it
    /// is applied.
    pub(crate) async fn transact_audited(
        &self,
        mut writes: Vec<TransactWriteItem>,
        events: &[AuditRecord],
    ) -> TransactResult {
        writes.extend(
            events
                .iter()
                .flat_map(|record| self.audit_items(record))
                .map(|item| self.put(item)),
        );
        let result = self.transact(writes).await;
        if result.is_ok() {
            events.iter().for_each(AuditRecord::log);
        }
        result
    }

    fn check(&self, key: Item, condition: &str) -> TransactWriteItem {
        write(
            ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .condition_expression(condition)
                .expression_attribute_names("#pk", PARTITION_KEY)
                .build()
                .expect("condition check has its fields"),
        )
    }
}
