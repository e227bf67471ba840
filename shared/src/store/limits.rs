//! Rate-limit windows and login-failure counters: small items updated with conditions, so the
//! limits hold across Lambda instances and under concurrency.

use super::{key_of, Item, Store, StoreError, PARTITION_KEY, TTL_ATTRIBUTE};
use aws_sdk_dynamodb::types::AttributeValue;

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn number(item: &Item, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

/// The grant times (epoch ms) of a bucket's slots, by slot number.
pub struct RateSlots {
    pub granted_ms: Vec<(i64, i64)>,
}

/// Login failures for one email: how many in a row, and when the last one was.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FailureCount {
    pub failures: i64,
    pub last_failure_ms: i64,
}

pub(crate) fn lockout_key(email: &str) -> Item {
    key_of(format!("LOCKOUT#{email}"), "LOCKOUT")
}

impl Store {
    pub async fn rate_slots(&self, bucket: &str) -> Result<RateSlots, StoreError> {
        let items = self.partition(&format!("RATE#{bucket}"), None, false).await?;
        let granted_ms = items
            .iter()
            .filter_map(|item| {
                let slot = item.get("sk")?.as_s().ok()?.strip_prefix("SLOT#")?.parse().ok()?;
                Some((slot, number(item, "granted_ms")?))
            })
            .collect();
        Ok(RateSlots { granted_ms })
    }

    /// Takes slot `slot` for a grant at `now_ms` if it still holds what was read (`previous_ms`,
    /// or nothing). `false` when another request took it first.
    pub async fn claim_rate_slot(
        &self,
        bucket: &str,
        slot: i64,
        previous_ms: Option<i64>,
        now_ms: i64,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let mut item = key_of(format!("RATE#{bucket}"), &format!("SLOT#{slot}"));
        item.insert("granted_ms".into(), n(now_ms));
        item.insert(TTL_ATTRIBUTE.into(), n(expires_at));
        let mut request = self.client.put_item().table_name(&self.table).set_item(Some(item));
        request = match previous_ms {
            None => request
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PARTITION_KEY),
            Some(previous) => request
                .condition_expression("granted_ms = :previous")
                .expression_attribute_values(":previous", n(previous)),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(StoreError::from_sdk("PutItem", e)),
        }
    }

    /// The login failures counted for `lockout` and, when `email` is given, the id of its
    /// account, in one round trip.
    pub async fn failures_and_user_id(
        &self,
        lockout: &str,
        email: Option<&str>,
    ) -> Result<(FailureCount, Option<i64>), StoreError> {
        let mut keys = vec![lockout_key(lockout)];
        keys.extend(email.map(super::users::email_key));
        let mut items = self.get_together(keys).await?.into_iter();
        let failures = items
            .next()
            .flatten()
            .map(|item| FailureCount {
                failures: number(&item, "failures").unwrap_or(0),
                last_failure_ms: number(&item, "last_failure_ms").unwrap_or(0),
            })
            .unwrap_or_default();
        let user_id = items.next().flatten().and_then(|guard| number(&guard, "user_id"));
        Ok((failures, user_id))
    }

    /// Counts one more failure unless the count already reached `limit`: `None` then (locked by
    /// someone else's failure), else the new count. Atomic, so parallel failures are all counted.
    pub async fn add_failure(
        &self,
        email: &str,
        limit: i64,
        now_ms: i64,
        expires_at: i64,
    ) -> Result<Option<i64>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(lockout_key(email)))
            .update_expression("ADD failures :one SET last_failure_ms = :now, #ttl = :ttl")
            .condition_expression("attribute_not_exists(failures) OR failures < :limit")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":ttl", n(expires_at))
            .expression_attribute_values(":limit", n(limit))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(out) => Ok(out.attributes().and_then(|a| number(a, "failures"))),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(StoreError::from_sdk("UpdateItem", e)),
        }
    }

    /// Forgets the failures if they are still the ones that were read (a success, or an expired
    /// lock); a failure recorded meanwhile is kept.
    pub async fn clear_failures(&self, email: &str, seen: FailureCount) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(lockout_key(email)))
            .condition_expression("failures = :failures AND last_failure_ms = :last")
            .expression_attribute_values(":failures", n(seen.failures))
            .expression_attribute_values(":last", n(seen.last_failure_ms))
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
            Err(e) => Err(StoreError::from_sdk("DeleteItem", e)),
        }
    }
}
