//! The table's one definition: local set-up and tests create it from here, and `template.yaml`
//! must match it.

use super::keys::{INDEX, INDEX_PARTITION_KEY, INDEX_SORT_KEY, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE};
use super::{sdk_error, StoreError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;

/// The table's stream carries each new item's image: the mailer function reads the inserted
/// mail items from it.
pub const STREAM_VIEW_TYPE: &str = "NEW_IMAGE";

fn stream() -> StreamSpecification {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::from(STREAM_VIEW_TYPE))
        .build()
        .expect("stream specification has its required fields")
}

pub struct IndexDefinition {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: &'static str,
}

/// `gsi1`: the user listing, every org, a user's memberships, an email's pending invites (see
/// `keys`).
pub const INDEXES: &[IndexDefinition] = &[IndexDefinition {
    name: INDEX,
    partition_key: INDEX_PARTITION_KEY,
    sort_key: INDEX_SORT_KEY,
}];

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("key schema has its required fields")
}

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("attribute definition has its required fields")
}

/// Creates the table (on-demand, keys, GSIs, stream) and turns on TTL; safe to run again. An
/// existing table is only described (and given its stream if it predates it), so on AWS (where
/// the template creates it) this needs no rights to create or change tables.
pub async fn ensure_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let exists = match client.describe_table().table_name(table).send().await {
        Ok(out) => {
            let streaming = out
                .table()
                .and_then(|t| t.stream_specification())
                .is_some_and(|s| s.stream_enabled());
            if !streaming {
                client
                    .update_table()
                    .table_name(table)
                    .stream_specification(stream())
                    .send()
                    .await
                    .map_err(|e| sdk_error("UpdateTable", e))?;
            }
            true
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            false
        }
        Err(e) => return Err(sdk_error("DescribeTable", e)),
    };
    if !exists {
        create_table(client, table).await?;
    }
    ensure_ttl(client, table).await
}

async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(stream())
        .key_schema(key(PARTITION_KEY, KeyType::Hash))
        .key_schema(key(SORT_KEY, KeyType::Range))
        .attribute_definitions(string_attribute(PARTITION_KEY))
        .attribute_definitions(string_attribute(SORT_KEY));
    for index in INDEXES {
        request = request
            .attribute_definitions(string_attribute(index.partition_key))
            .attribute_definitions(string_attribute(index.sort_key))
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .key_schema(key(index.partition_key, KeyType::Hash))
                    .key_schema(key(index.sort_key, KeyType::Range))
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()
                    .expect("index has its required fields"),
            );
    }
    match request.send().await {
        Ok(_) => Ok(()),
        // Created by someone else meanwhile.
        Err(err) if err.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => Ok(()),
        Err(err) => Err(sdk_error("CreateTable", err)),
    }
}

async fn ensure_ttl(client: &Client, table: &str) -> Result<(), StoreError> {
    let ttl = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| sdk_error("DescribeTimeToLive", e))?;
    let enabled = ttl
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status())
        .is_some_and(|s| matches!(s, TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling));
    if !enabled {
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(TTL_ATTRIBUTE)
                    .enabled(true)
                    .build()
                    .expect("TTL specification has its required fields"),
            )
            .send()
            .await
            .map_err(|e| sdk_error("UpdateTimeToLive", e))?;
    }
    Ok(())
}
