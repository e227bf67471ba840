//! The only code that knows DynamoDB: item keys, attribute names, conditions and transactions.

mod limits;
mod mail;
mod orgs;
mod schema;
mod sessions;
mod tokens;
mod users;

pub use limits::{FailureCount, RateSlots};
pub use orgs::{AcceptOutcome, AddMemberOutcome, MemberChange, OrgPartition};
pub use schema::{IndexDefinition, INDEXES, PARTITION_KEY, SORT_KEY, STREAM_VIEW_TYPE, TTL_ATTRIBUTE};
pub use users::{CreateUserOutcome, UserCursor};

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_sdk_dynamodb::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::{TransactWriteItemsError, TransactWriteItemsOutput};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

pub type Item = HashMap<String, AttributeValue>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DynamoDB {operation} failed: {message}")]
    Sdk { operation: &'static str, message: String },
    #[error("stored item is malformed: {0}")]
    Malformed(String),
}

impl StoreError {
    pub(crate) fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
        R: std::fmt::Debug,
    {
        StoreError::Sdk {
            operation,
            message: DisplayErrorContext(&err).to_string(),
        }
    }
}

/// The DynamoDB client; `endpoint` is DynamoDB Local's URL, or `None` on AWS.
pub async fn connect(endpoint: Option<&str>) -> Client {
    Client::new(&crate::aws::sdk_config(endpoint).await)
}

/// Counts every DynamoDB operation the store's client runs (not its retries), for `make bench`.
#[derive(Debug, Default, Clone)]
struct CallCounter(Arc<AtomicU64>);

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[derive(Clone)]
pub struct Store {
    client: Client,
    table: String,
    calls: CallCounter,
    /// Set once the first-admin marker is known to exist, to spare later registrations a write.
    first_admin_claimed: Arc<AtomicBool>,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        let calls = CallCounter::default();
        let client = Client::from_conf(client.config().to_builder().interceptor(calls.clone()).build());
        Self {
            client,
            table: table.into(),
            calls,
            first_admin_claimed: Arc::new(AtomicBool::new(false)),
        }
    }

    /// How many DynamoDB operations this store (and its clones) has run.
    pub fn calls(&self) -> u64 {
        self.calls.0.load(Ordering::Relaxed)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// One cheap call that proves DynamoDB answers (and, with `require_table`, that the table
    /// exists); it also opens the connection during init rather than on the first request.
    pub async fn check_reachable(&self, require_table: bool) -> Result<(), StoreError> {
        match self.client.describe_table().table_name(&self.table).send().await {
            Ok(_) => Ok(()),
            Err(e)
                if !require_table
                    && e.as_service_error()
                        .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(StoreError::from_sdk("DescribeTable", e)),
        }
    }

    /// Creates the table this store uses, with TTL, if it is not there yet.
    pub async fn ensure_table(&self) -> Result<(), StoreError> {
        schema::ensure_table(&self.client, &self.table).await
    }

    /// One item by key, strongly consistent.
    pub(crate) async fn get_item(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("GetItem", e))?;
        Ok(out.item)
    }

    /// Runs a write transaction, trying again (briefly) when DynamoDB cancels it only because
    /// another transaction held one of its items: that is contention, not an answer.
    pub(crate) async fn transact(&self, writes: Vec<TransactWriteItem>) -> TransactResult {
        let mut attempt = 1;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(writes.clone()))
                .send()
                .await;
            match &result {
                Err(e) if is_conflict(e) && attempt < CONFLICT_ATTEMPTS => {
                    tokio::time::sleep(std::time::Duration::from_millis(10 * attempt)).await;
                    attempt += 1;
                }
                _ => return result,
            }
        }
    }

    /// Every page of a query the `query` closure builds.
    async fn all_pages(
        &self,
        query: impl Fn() -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = query()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| StoreError::from_sdk("Query", e))?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Every item of a partition of the table (strongly consistent), optionally only those whose
    /// sort key starts with `sk_prefix`.
    pub(crate) async fn partition(
        &self,
        pk: &str,
        sk_prefix: Option<&str>,
        newest_first: bool,
    ) -> Result<Vec<Item>, StoreError> {
        self.all_pages(|| {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(true)
                .scan_index_forward(!newest_first);
            match sk_prefix {
                Some(prefix) => query
                    .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                    .expression_attribute_names("#sk", SORT_KEY)
                    .expression_attribute_values(":prefix", s(prefix)),
                None => query.key_condition_expression("#pk = :pk"),
            }
        })
        .await
    }

    /// Every item of a partition of `gsi1` (eventually consistent, as indexes are).
    pub(crate) async fn index_partition(&self, gsi1pk: &str, newest_first: bool) -> Result<Vec<Item>, StoreError> {
        self.all_pages(|| {
            self.client
                .query()
                .table_name(&self.table)
                .index_name("gsi1")
                .key_condition_expression("gsi1pk = :pk")
                .expression_attribute_values(":pk", s(gsi1pk))
                .scan_index_forward(!newest_first)
        })
        .await
    }

    /// The next value of a named atomic counter, starting at 1.
    pub async fn next_id(&self, counter: &str) -> Result<i64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(format!("COUNTER#{counter}")))
            .key(SORT_KEY, s("COUNTER"))
            .update_expression("ADD #v :one")
            .expression_attribute_names("#v", "value")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        out.attributes()
            .and_then(|a| a.get("value"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| StoreError::Malformed(format!("counter {counter}")))
    }

    pub fn first_admin_claimed(&self) -> bool {
        self.first_admin_claimed.load(Ordering::Relaxed)
    }

    fn remember_first_admin_claimed(&self) {
        self.first_admin_claimed.store(true, Ordering::Relaxed);
    }
}

/// Attempts of a transaction that DynamoDB cancels for a conflict with another one in flight.
const CONFLICT_ATTEMPTS: u64 = 5;

pub(crate) type TransactResult =
    Result<TransactWriteItemsOutput, SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>>;

/// Cancelled because another transaction was working on one of the items.
fn is_conflict(err: &SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>) -> bool {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => e
            .cancellation_reasons()
            .iter()
            .any(|r| r.code() == Some("TransactionConflict")),
        _ => false,
    }
}

/// For a cancelled transaction, which of its items failed their condition (by position); `None`
/// for any other outcome.
pub(crate) fn failed_conditions(result: &TransactResult) -> Option<Vec<bool>> {
    match result.as_ref().err()?.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => Some(
            e.cancellation_reasons()
                .iter()
                .map(|r| r.code() == Some("ConditionalCheckFailed"))
                .collect(),
        ),
        _ => None,
    }
}

pub(crate) fn transaction_error(result: TransactResult) -> StoreError {
    match result {
        Err(e) => StoreError::from_sdk("TransactWriteItems", e),
        Ok(_) => StoreError::Malformed("a successful transaction reported as failed".into()),
    }
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn key_of(pk: String, sk: &str) -> Item {
    HashMap::from([(PARTITION_KEY.to_string(), s(pk)), (SORT_KEY.to_string(), s(sk))])
}
