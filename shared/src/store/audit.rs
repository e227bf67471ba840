//! Audit events: stored with the change they record (`write::transact_audited`), on their own
//! when nothing changed (`record`), and read back a page at a time (see `keys` for the lanes).
//!
//! A page reads one lane (an actor's, an org's or a user's events: one call, and a second
//! only when filters left the first short) or both shards of the global log (one call each,
//! in parallel; `keys::AUDIT_SHARDS` is 2 for that reason). Either way at most two calls, and
//! no scan.

use super::items::n;
use super::keys::{self, s, AuditLane, Item};
use super::{sdk_error, Store};
use crate::audit::AuditRecord;
use crate::domain::ports::{AuditCursor, AuditQuery, AuditScope, AuditStore, StoreError, StoreResult};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use std::collections::HashMap;

/// Above every position: `<timestamp>#<hex id>` sorts below it.
const ABOVE_ALL: &str = "~";
/// Below every position (timestamps start with a digit).
const BELOW_ALL: &str = "0";

#[async_trait]
impl AuditStore for Store {
    /// One call per event: a put, or with its copy a batch of two puts (not a transaction:
    /// nothing else is written with it, and parallel failed logins would contend for
    /// DynamoDB Local's transactions). Either way one round trip, whether or not the email of a
    /// failed login has an account.
    async fn record(&self, events: &[AuditRecord]) -> StoreResult<()> {
        for record in events {
            let mut items = self.audit_items(record);
            if items.len() == 1 {
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(items.pop())
                    .send()
                    .await
                    .map_err(|e| sdk_error("PutItem", e))?;
            } else {
                self.put_batch(items).await?;
            }
            record.log();
        }
        Ok(())
    }

    async fn audit_events(&self, query: &AuditQuery) -> StoreResult<(Vec<AuditRecord>, Option<AuditCursor>)> {
        let plan = Plan::of(query);
        let low = query.since.clone().unwrap_or_else(|| BELOW_ALL.into());
        let high = query
            .until
            .as_ref()
            .map_or_else(|| ABOVE_ALL.to_string(), |until| format!("{until}#{ABOVE_ALL}"));
        let after = match &query.after {
            // A cursor from a query with other bounds: nothing it points past is in range.
            Some(AuditCursor(position)) if position.as_str() < low.as_str() => return Ok((Vec::new(), None)),
            Some(AuditCursor(position)) if position.as_str() <= high.as_str() => Some(position.clone()),
            _ => None,
        };
        let limit = query.limit.max(1);
        let read = |lane: AuditLane, start: Option<String>| {
            let plan = &plan;
            let (low, high) = (low.clone(), high.clone());
            async move { self.read_lane(plan, &lane, &low, &high, start, limit).await }
        };
        let batches = match &plan.lanes {
            Lanes::One(lane) => {
                let first = read(lane.clone(), after).await?;
                let more = first.items.len() < limit as usize && first.last_read.is_some();
                if more {
                    let second = read(lane.clone(), first.last_read.clone()).await?;
                    vec![Batch {
                        items: [first.items, second.items].concat(),
                        last_read: second.last_read,
                    }]
                } else {
                    vec![first]
                }
            }
            Lanes::Two(one, two) => {
                let (one, two) = tokio::join!(read(one.clone(), after.clone()), read(two.clone(), after));
                vec![one?, two?]
            }
        };
        Ok(page(batches, limit as usize))
    }
}

/// What one query of a lane found: the events that passed the filters, newest first, and the
/// position of the last item it read when the lane goes on.
struct Batch {
    items: Vec<(String, AuditRecord)>,
    last_read: Option<String>,
}

/// The events of a page and where the next one starts. Every lane has handed over each
/// matching event above its `last_read`; so above the highest of those (the *floor*) nothing
/// is missing, and the page is what lies there, newest first, cut at `limit`. The next page
/// starts below the last event shown, or below the floor: no event twice, none skipped.
fn page(batches: Vec<Batch>, limit: usize) -> (Vec<AuditRecord>, Option<AuditCursor>) {
    let floor = batches.iter().filter_map(|b| b.last_read.clone()).max();
    let mut items: Vec<(String, AuditRecord)> = batches
        .into_iter()
        .flat_map(|b| b.items)
        .filter(|(position, _)| floor.as_ref().is_none_or(|floor| position >= floor))
        .collect();
    items.sort_by(|a, b| b.0.cmp(&a.0));
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|(position, _)| position.clone())
    } else {
        floor
    };
    (items.into_iter().map(|(_, r)| r).collect(), next.map(AuditCursor))
}

/// One lane, or the two shards of the global log.
enum Lanes {
    One(AuditLane),
    Two(AuditLane, AuditLane),
}

/// Which lanes a query reads and which filters DynamoDB applies to what it reads.
struct Plan {
    lanes: Lanes,
    filter: Option<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Plan {
    fn of(query: &AuditQuery) -> Plan {
        let table = |partition| AuditLane {
            in_index: false,
            partition,
        };
        // The narrowest lane the query names; the other filters apply to what it reads.
        let (lanes, keyed_org, keyed_actor) = match query.scope {
            AuditScope::Org(org) => (Lanes::One(table(keys::audit_of_org(org))), true, false),
            AuditScope::SecurityLog(user) => (Lanes::One(table(keys::audit_security_log(user))), false, false),
            AuditScope::All => match (query.org_id, query.actor_id) {
                (Some(org), _) => (Lanes::One(table(keys::audit_of_org(org))), true, false),
                (None, Some(actor)) => {
                    let by_actor = AuditLane {
                        in_index: true,
                        partition: keys::audit_by_actor(actor),
                    };
                    (Lanes::One(by_actor), false, true)
                }
                (None, None) => (
                    Lanes::Two(table(keys::audit_log(0)), table(keys::audit_log(1))),
                    false,
                    false,
                ),
            },
        };
        let mut plan = Plan {
            lanes,
            filter: None,
            names: HashMap::new(),
            values: HashMap::new(),
        };
        let mut conditions = Vec::new();
        let mut condition = |name: &str, value: AttributeValue| {
            conditions.push(format!("#f_{name} = :f_{name}"));
            plan.names.insert(format!("#f_{name}"), name.to_string());
            plan.values.insert(format!(":f_{name}"), value);
        };
        if let Some(event_type) = &query.event_type {
            condition("event_type", s(event_type.clone()));
        }
        if let (Some(actor), false) = (query.actor_id, keyed_actor) {
            condition("actor_id", n(actor));
        }
        if let (Some(org), false) = (query.org_id, keyed_org) {
            condition("org_id", n(org));
        }
        if let Some(target) = &query.target {
            condition("target", s(target.clone()));
        }
        plan.filter = (!conditions.is_empty()).then(|| conditions.join(" AND "));
        plan
    }
}

impl Store {
    /// Puts `items` (at most 25) in one `BatchWriteItem`, again for any it leaves unprocessed.
    async fn put_batch(&self, items: Vec<Item>) -> StoreResult<()> {
        let mut pending: Vec<WriteRequest> = items
            .into_iter()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .expect("a put request has its item");
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        while !pending.is_empty() {
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(|e| sdk_error("BatchWriteItem", e))?;
            pending = out
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.table))
                .unwrap_or_default();
        }
        Ok(())
    }

    /// One query of a lane: up to `limit` items read below `start` (or from the top), newest
    /// first, within `[low, high]`.
    async fn read_lane(
        &self,
        plan: &Plan,
        lane: &AuditLane,
        low: &str,
        high: &str,
        start: Option<String>,
        limit: i32,
    ) -> StoreResult<Batch> {
        let (pk, sk) = lane.key_names();
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(lane.index_name().map(str::to_string))
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", pk)
            .expression_attribute_names("#sk", sk)
            .expression_attribute_values(":pk", s(lane.partition.clone()))
            .expression_attribute_values(":low", s(low))
            .expression_attribute_values(":high", s(high))
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(start.map(|position| lane.start_after(&position)));
        if let Some(filter) = &plan.filter {
            request = request.filter_expression(filter);
            for (name, attribute) in &plan.names {
                request = request.expression_attribute_names(name, attribute);
            }
            for (name, value) in &plan.values {
                request = request.expression_attribute_values(name, value.clone());
            }
        }
        let out = request.send().await.map_err(|e| sdk_error("Query", e))?;
        let items = out
            .items()
            .iter()
            .map(|item| {
                let position = lane.position_of(item).unwrap_or_default().to_string();
                Ok((position, record_of(item)?))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let last_read = out
            .last_evaluated_key()
            .and_then(|key| lane.position_of(key))
            .map(str::to_string);
        Ok(Batch { items, last_read })
    }
}

fn record_of(item: &Item) -> StoreResult<AuditRecord> {
    let document = item
        .get("document")
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| StoreError::Malformed("audit event without its document".into()))?;
    serde_json::from_str(document).map_err(|e| StoreError::Malformed(format!("audit event: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event at `position`, named after it.
    fn event(position: &str) -> (String, AuditRecord) {
        let record = crate::audit::AuditEvent::new(position).at(chrono::Utc::now());
        (position.to_string(), record)
    }

    fn positions(events: &[AuditRecord]) -> Vec<&str> {
        events.iter().map(|r| r.event.event_type.as_str()).collect()
    }

    #[test]
    fn a_page_of_two_lanes_stops_at_the_higher_floor_and_resumes_below_it() {
        let batches = || {
            vec![
                Batch {
                    items: vec![event("9"), event("7"), event("5")],
                    last_read: Some("5".into()),
                },
                Batch {
                    items: vec![event("8"), event("6")],
                    last_read: Some("6".into()),
                },
            ]
        };
        // Below 6 lane two may still hold events, read by neither: the page ends at 6.
        let (events, next) = page(batches(), 10);
        assert_eq!(positions(&events), ["9", "8", "7", "6"]);
        assert_eq!(next, Some(AuditCursor("6".into())));
        // Cut at the limit: the next page starts below the last event shown.
        let (events, next) = page(batches(), 2);
        assert_eq!(positions(&events), ["9", "8"]);
        assert_eq!(next, Some(AuditCursor("8".into())));
    }

    #[test]
    fn a_page_ends_the_listing_only_when_every_lane_is_read_to_its_end() {
        let (events, next) = page(
            vec![Batch {
                items: vec![event("3"), event("1")],
                last_read: None,
            }],
            5,
        );
        assert_eq!(events.len(), 2);
        assert_eq!(next, None);
        let (events, next) = page(
            vec![Batch {
                items: vec![],
                last_read: Some("4".into()),
            }],
            5,
        );
        assert!(events.is_empty(), "filters left nothing");
        assert_eq!(next, Some(AuditCursor("4".into())), "but the lane goes on");
    }
}
