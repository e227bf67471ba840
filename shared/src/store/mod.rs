//! The only code that knows DynamoDB: item keys (`keys`), attribute names, conditions and
//! transactions. `Store` implements the domain's ports (`crate::domain::ports`).

mod account;
mod audit;
mod capacity;
mod credentials;
mod invariants;
mod invites;
mod items;
pub mod keys;
mod limits;
mod mail;
mod mfa;
mod orgs;
mod schema;
mod sessions;
mod users;
mod write;

pub use capacity::Capacity;
pub use keys::{Item, ItemKind, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE};
pub use schema::{IndexDefinition, INDEXES, STREAM_VIEW_TYPE};

use crate::domain::ports::{IdStore, StoreError, StoreResult};
use crate::domain::store_error::{ErrorClass, THROTTLING_CODES};
use async_trait::async_trait;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_sdk_dynamodb::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::{TransactWriteItemsError, TransactWriteItemsOutput};
use aws_sdk_dynamodb::types::{AttributeValue, Get, KeysAndAttributes, TransactGetItem, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use keys::s;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A failed SDK call as the ports' error (which names no SDK type): a dependency fault
/// (timeout, unreachable, throttled, 5xx) becomes `Unavailable` with its class, anything else
/// (a request DynamoDB refuses, a bug) stays `Sdk`.
pub(crate) fn sdk_error<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    match classify(&err) {
        Some(class) => StoreError::Unavailable { operation, class },
        None => StoreError::Sdk {
            operation,
            message: DisplayErrorContext(&err).to_string(),
        },
    }
}

/// Which dependency fault an SDK error is, if it is one.
fn classify<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<ErrorClass> {
    match err {
        SdkError::TimeoutError(_) => Some(ErrorClass::Timeout),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => Some(ErrorClass::Timeout),
        SdkError::DispatchFailure(failure) if failure.is_user() => None,
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => Some(ErrorClass::Unreachable),
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            if THROTTLING_CODES.contains(&code) {
                Some(ErrorClass::Throttled)
            } else if service.raw().status().as_u16() >= 500 {
                Some(ErrorClass::ServerError)
            } else {
                None
            }
        }
        _ => None,
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
    capacity: capacity::CapacityMeter,
    /// Set once the first-admin marker is known to exist, to spare later registrations a write.
    first_admin_claimed: Arc<AtomicBool>,
    /// How long audit events are kept (`AUDIT_RETENTION_DAYS`): their TTL.
    audit_retention_days: i64,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        let calls = CallCounter::default();
        let client = Client::from_conf(client.config().to_builder().interceptor(calls.clone()).build());
        Self {
            client,
            table: table.into(),
            calls,
            capacity: capacity::CapacityMeter::default(),
            first_admin_claimed: Arc::new(AtomicBool::new(false)),
            audit_retention_days: crate::config::DEFAULT_AUDIT_RETENTION_DAYS,
        }
    }

    /// The same store keeping audit events `days` days.
    pub fn with_audit_retention(mut self, days: i64) -> Self {
        self.audit_retention_days = days;
        self
    }

    /// How many DynamoDB operations this store (and its clones) has run.
    pub fn calls(&self) -> u64 {
        self.calls.0.load(Ordering::Relaxed)
    }

    /// The same store asking DynamoDB for the capacity each operation consumes (`make bench`;
    /// the functions leave it off).
    pub fn with_capacity_meter(mut self) -> Self {
        let config = self
            .client
            .config()
            .to_builder()
            .interceptor(self.capacity.clone())
            .build();
        self.client = Client::from_conf(config);
        self
    }

    /// Capacity units this store (and its clones) has consumed since `with_capacity_meter`.
    pub fn capacity(&self) -> Capacity {
        self.capacity.total()
    }

    /// The data-plane operations this store has started since `with_capacity_meter`, in order
    /// (retries not repeated), named as DynamoDB names them.
    pub fn operations(&self) -> Vec<&'static str> {
        self.capacity.operations()
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
            Err(e) => Err(sdk_error("DescribeTable", e)),
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
            .map_err(|e| sdk_error("GetItem", e))?;
        Ok(out.item)
    }

    /// The same store with SDK timeouts and retries sized for requests of `deadline` (see
    /// `aws::timeouts_for`).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        let (timeouts, retries) = crate::aws::timeouts_for(deadline);
        let config = self
            .client
            .config()
            .to_builder()
            .timeout_config(timeouts)
            .retry_config(retries)
            .build();
        self.client = Client::from_conf(config);
        self
    }

    /// Runs a write transaction, trying again when DynamoDB cancels it only because another
    /// transaction held one of its items (contention, not an answer): up to `CONFLICT_ATTEMPTS`
    /// times, with jittered backoff, and only while the request's deadline leaves room for it.
    /// A conflict that outlasts that is reported as `Unavailable(TransactionConflict)`.
    pub(crate) async fn transact(&self, writes: Vec<TransactWriteItem>) -> TransactResult {
        let mut attempt = 1;
        loop {
            let started = tokio::time::Instant::now();
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(writes.clone()))
                .send()
                .await;
            match &result {
                Err(e) if is_conflict(e) && attempt < CONFLICT_ATTEMPTS => {
                    let pause = jittered(Duration::from_millis(10 << attempt));
                    if !crate::deadline::allows(pause, started.elapsed() * 2) {
                        return result;
                    }
                    tokio::time::sleep(pause).await;
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
                .map_err(|e| sdk_error("Query", e))?;
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
                .index_name(keys::INDEX)
                .key_condition_expression("#gsi1pk = :pk")
                .expression_attribute_names("#gsi1pk", keys::INDEX_PARTITION_KEY)
                .expression_attribute_values(":pk", s(gsi1pk))
                .scan_index_forward(!newest_first)
        })
        .await
    }
}

#[async_trait]
impl IdStore for Store {
    async fn next_id(&self, counter: &str) -> StoreResult<i64> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::counter(counter)))
            .update_expression("ADD #v :one")
            .expression_attribute_names("#v", "value")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        out.attributes()
            .and_then(|a| a.get("value"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| StoreError::Malformed(format!("counter {counter}")))
    }
}

impl Store {
    fn remember_first_admin_claimed(&self) {
        self.first_admin_claimed.store(true, Ordering::Relaxed);
    }
}

/// Attempts of a transaction that DynamoDB cancels for a conflict with another one in flight.
const CONFLICT_ATTEMPTS: u64 = 5;

pub(crate) type TransactResult = Result<TransactWriteItemsOutput, SdkError<TransactWriteItemsError, HttpResponse>>;

/// Cancelled because another transaction was working on one of the items.
fn is_conflict(err: &SdkError<TransactWriteItemsError, HttpResponse>) -> bool {
    cancellation_codes(err).contains(&"TransactionConflict")
}

/// The reason codes of a cancelled transaction, one per item (`"None"` for the fine ones).
fn cancellation_codes(err: &SdkError<TransactWriteItemsError, HttpResponse>) -> Vec<&str> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => e
            .cancellation_reasons()
            .iter()
            .map(|r| r.code().unwrap_or("None"))
            .collect(),
        _ => Vec::new(),
    }
}

/// `base` scaled by a random factor in [0.5, 1.5), so that clients that collided do not
/// collide again.
fn jittered(base: Duration) -> Duration {
    let random = getrandom::u32().unwrap_or(0x8000_0000);
    base.mul_f64(0.5 + f64::from(random) / f64::from(u32::MAX))
}

/// For a transaction cancelled because a condition failed, which of its items failed theirs
/// (by position); `None` for any other outcome, a cancellation for conflicts or throttling
/// included (that is a fault, not an answer).
pub(crate) fn failed_conditions(result: &TransactResult) -> Option<Vec<bool>> {
    let codes = cancellation_codes(result.as_ref().err()?);
    let failed: Vec<bool> = codes.iter().map(|code| *code == "ConditionalCheckFailed").collect();
    failed.iter().any(|f| *f).then_some(failed)
}

pub(crate) fn transaction_error(result: TransactResult) -> StoreError {
    const OPERATION: &str = "TransactWriteItems";
    match result {
        Err(e) => {
            let codes = cancellation_codes(&e);
            if codes.iter().any(|code| THROTTLING_CODES.contains(code)) {
                StoreError::Unavailable {
                    operation: OPERATION,
                    class: ErrorClass::Throttled,
                }
            } else if codes.contains(&"TransactionConflict") {
                StoreError::Unavailable {
                    operation: OPERATION,
                    class: ErrorClass::TransactionConflict,
                }
            } else {
                sdk_error(OPERATION, e)
            }
        }
        Ok(_) => StoreError::Malformed("a successful transaction reported as failed".into()),
    }
}

/// DynamoDB's limit on the keys of one `BatchGetItem`.
const MAX_BATCH_GET: usize = 100;

impl Store {
    /// Items by key, in batches of 100, retrying what DynamoDB leaves unprocessed.
    pub(crate) async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(MAX_BATCH_GET) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .expect("keys are set"),
            );
            while let Some(request) = pending.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| sdk_error("BatchGetItem", e))?;
                if let Some(mut responses) = out.responses {
                    found.extend(responses.remove(&self.table).unwrap_or_default());
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys().is_empty());
            }
        }
        Ok(found)
    }

    /// Reads items in one strongly consistent round trip; `None` where an item is missing.
    pub(crate) async fn get_together(&self, keys: Vec<Item>) -> Result<Vec<Option<Item>>, StoreError> {
        let mut request = self.client.transact_get_items();
        for key in keys {
            let get = Get::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .build()
                .expect("get has table and key");
            request = request.transact_items(TransactGetItem::builder().get(get).build());
        }
        let out = request.send().await.map_err(|e| sdk_error("TransactGetItems", e))?;
        Ok(out.responses.unwrap_or_default().into_iter().map(|r| r.item).collect())
    }
}

/// One item as stored, with what it is: for tests and tools that check raw state.
#[derive(Debug, Clone)]
pub struct StoredItem {
    pub kind: ItemKind,
    pub attributes: Item,
}

impl StoredItem {
    pub fn number(&self, name: &str) -> Option<i64> {
        items::number(&self.attributes, name)
    }

    /// The subject (email) of a lockout item.
    pub fn lockout_subject(&self) -> Option<&str> {
        keys::lockout_subject(&self.attributes)
    }

    /// The email of an email guard.
    pub fn guarded_email(&self) -> Option<&str> {
        keys::guarded_email(&self.attributes)
    }
}

/// Raw state, for tests and tools: the app itself never scans.
impl Store {
    /// What of the table's cross-item invariants is broken now (see `invariants::violations`).
    pub async fn invariant_violations(&self) -> Result<Vec<String>, StoreError> {
        Ok(invariants::violations(&self.scan_items().await?))
    }

    /// Every item of the table (strongly consistent, every page).
    pub async fn scan_items(&self) -> Result<Vec<StoredItem>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error("Scan", e))?;
            items.extend(out.items.unwrap_or_default().into_iter().map(|attributes| StoredItem {
                kind: keys::kind_of(&attributes),
                attributes,
            }));
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Applies `expression` (`SET …`) to a stored user as it is, for states no operation makes.
    pub async fn update_user_raw(
        &self,
        id: i64,
        expression: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<(), StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::user(id)))
            .update_expression(expression);
        for (name, value) in values {
            request = request.expression_attribute_values(*name, value.clone());
        }
        request.send().await.map_err(|e| sdk_error("UpdateItem", e))?;
        Ok(())
    }

    /// One strongly consistent read of a user's item, without decoding it: a round trip, timed
    /// by `make bench`.
    pub async fn read_user_item(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self.get_item(keys::user(id)).await?.is_some())
    }
}
