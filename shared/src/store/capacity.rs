//! Consumed capacity, for `make bench` and the cost model: an SDK interceptor that asks DynamoDB
//! for `ReturnConsumedCapacity::Total` on every operation the store runs and adds up the
//! `ConsumedCapacity` of the answers. Off unless `Store::with_capacity_meter` turns it on, so the
//! functions' requests are unchanged.
//!
//! Units are split by operation: reads (GetItem, Query, Scan, BatchGetItem, TransactGetItems)
//! count as read units, writes (PutItem, UpdateItem, DeleteItem, BatchWriteItem,
//! TransactWriteItems) as write units — a conditional write's condition is part of the write. On
//! on-demand tables these are the billed request units (transactions already count double in
//! what DynamoDB reports). A write refused by its condition is billed too, but its error answer
//! carries no `ConsumedCapacity`, so it is not counted here.

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::{
    batch_get_item::{BatchGetItemInput, BatchGetItemOutput},
    batch_write_item::{BatchWriteItemInput, BatchWriteItemOutput},
    delete_item::{DeleteItemInput, DeleteItemOutput},
    get_item::{GetItemInput, GetItemOutput},
    put_item::{PutItemInput, PutItemOutput},
    query::{QueryInput, QueryOutput},
    scan::{ScanInput, ScanOutput},
    transact_get_items::{TransactGetItemsInput, TransactGetItemsOutput},
    transact_write_items::{TransactWriteItemsInput, TransactWriteItemsOutput},
    update_item::{UpdateItemInput, UpdateItemOutput},
};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use std::sync::{Arc, Mutex};

/// Capacity units consumed so far (read and write), as DynamoDB reported them.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Capacity {
    pub read: f64,
    pub write: f64,
    /// Operations whose answer carried no `ConsumedCapacity` (an emulator that leaves it out
    /// would show here rather than as zero units).
    pub unreported: u64,
}

impl std::ops::Sub for Capacity {
    type Output = Capacity;
    fn sub(self, earlier: Capacity) -> Capacity {
        Capacity {
            read: self.read - earlier.read,
            write: self.write - earlier.write,
            unreported: self.unreported - earlier.unreported,
        }
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct CapacityMeter(Arc<Mutex<Capacity>>, Arc<Mutex<Vec<&'static str>>>);

impl CapacityMeter {
    pub(crate) fn total(&self) -> Capacity {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn operations(&self) -> Vec<&'static str> {
        self.1.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn record(&self, operation: &'static str) {
        self.1.lock().unwrap_or_else(|e| e.into_inner()).push(operation);
    }

    fn add(&self, units: Option<f64>, write: bool) {
        let mut total = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match units {
            Some(units) if write => total.write += units,
            Some(units) => total.read += units,
            None => total.unreported += 1,
        }
    }
}

fn units(capacity: &ConsumedCapacity) -> f64 {
    capacity.capacity_units.unwrap_or_default()
}

fn sum(capacities: Option<&Vec<ConsumedCapacity>>) -> Option<f64> {
    capacities.map(|all| all.iter().map(units).sum())
}

/// Sets `ReturnConsumedCapacity::Total` on the input if it is one of `$ty`s, and records the
/// operation's name.
macro_rules! ask_total {
    ($meter:expr, $input:expr, $($ty:ident => $name:literal),+) => {
        $(if let Some(input) = $input.downcast_mut::<$ty>() {
            input.return_consumed_capacity = Some(ReturnConsumedCapacity::Total);
            $meter.record($name);
            return;
        })+
    };
}

impl Intercept for CapacityMeter {
    fn name(&self) -> &'static str {
        "CapacityMeter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        (|| {
            let input = context.input_mut();
            ask_total!(
                self,
                input,
                GetItemInput => "GetItem",
                PutItemInput => "PutItem",
                UpdateItemInput => "UpdateItem",
                DeleteItemInput => "DeleteItem",
                QueryInput => "Query",
                ScanInput => "Scan",
                BatchGetItemInput => "BatchGetItem",
                BatchWriteItemInput => "BatchWriteItem",
                TransactGetItemsInput => "TransactGetItems",
                TransactWriteItemsInput => "TransactWriteItems"
            );
        })();
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(output) = context.output_or_error() else {
            return Ok(());
        };
        let (units, write) = if let Some(out) = output.downcast_ref::<GetItemOutput>() {
            (out.consumed_capacity.as_ref().map(units), false)
        } else if let Some(out) = output.downcast_ref::<QueryOutput>() {
            (out.consumed_capacity.as_ref().map(units), false)
        } else if let Some(out) = output.downcast_ref::<ScanOutput>() {
            (out.consumed_capacity.as_ref().map(units), false)
        } else if let Some(out) = output.downcast_ref::<BatchGetItemOutput>() {
            (sum(out.consumed_capacity.as_ref()), false)
        } else if let Some(out) = output.downcast_ref::<TransactGetItemsOutput>() {
            (sum(out.consumed_capacity.as_ref()), false)
        } else if let Some(out) = output.downcast_ref::<PutItemOutput>() {
            (out.consumed_capacity.as_ref().map(units), true)
        } else if let Some(out) = output.downcast_ref::<UpdateItemOutput>() {
            (out.consumed_capacity.as_ref().map(units), true)
        } else if let Some(out) = output.downcast_ref::<DeleteItemOutput>() {
            (out.consumed_capacity.as_ref().map(units), true)
        } else if let Some(out) = output.downcast_ref::<BatchWriteItemOutput>() {
            (sum(out.consumed_capacity.as_ref()), true)
        } else if let Some(out) = output.downcast_ref::<TransactWriteItemsOutput>() {
            (sum(out.consumed_capacity.as_ref()), true)
        } else {
            // DescribeTable and other control-plane calls: no capacity.
            return Ok(());
        };
        self.add(units, write);
        Ok(())
    }
}
