//! Rate-limit windows: small slot items put with conditions, so the limits hold across Lambda
//! instances and under concurrency.

use super::items::{n, number};
use super::keys::{self, PARTITION_KEY, TTL_ATTRIBUTE};
use super::{sdk_error, Store};
use crate::domain::ports::{RateLimitStore, RateSlots, SlotHolds, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl RateLimitStore for Store {
    async fn rate_slots(&self, bucket: &str) -> StoreResult<RateSlots> {
        let items = self.partition(&keys::rate_bucket(bucket), None, false).await?;
        let granted_ms = items
            .iter()
            .filter_map(|item| Some((keys::slot_number(item)?, number(item, "granted_ms")?)))
            .collect();
        Ok(RateSlots { granted_ms })
    }

    async fn claim_rate_slot(
        &self,
        bucket: &str,
        slot: i64,
        expected: SlotHolds,
        now_ms: i64,
        expires_at: i64,
    ) -> StoreResult<bool> {
        let mut item = keys::rate_slot(bucket, slot);
        item.insert("granted_ms".into(), n(now_ms));
        item.insert(TTL_ATTRIBUTE.into(), n(expires_at));
        let mut request = self.client.put_item().table_name(&self.table).set_item(Some(item));
        request = match expected {
            SlotHolds::Nothing => request
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PARTITION_KEY),
            SlotHolds::GrantAt(previous) => request
                .condition_expression("granted_ms = :previous")
                .expression_attribute_values(":previous", n(previous)),
            SlotHolds::NoGrantAfter(cutoff) => request
                .condition_expression("attribute_not_exists(#pk) OR granted_ms <= :cutoff")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_values(":cutoff", n(cutoff)),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(sdk_error("PutItem", e)),
        }
    }
}
