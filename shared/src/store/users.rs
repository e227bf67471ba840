//! User items, the email guard that keeps emails unique, and the revoked-token (JTI) items.

use super::{failed_conditions, key_of, s, transaction_error, Item, Store, StoreError, PARTITION_KEY};
use crate::model::OneTimeToken;
use crate::model::OutboxMessage;
use crate::model::{Role, User};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use base64ct::{Base64UrlUnpadded, Encoding};

const USER_SK: &str = "PROFILE";
const EMAIL_SK: &str = "EMAIL";
const REVOKED_SK: &str = "REVOKED";
const FIRST_ADMIN_PK: &str = "META#FIRST_ADMIN";
const FIRST_ADMIN_SK: &str = "META";

pub(crate) fn user_key(id: i64) -> Item {
    key_of(format!("USER#{id}"), USER_SK)
}

pub(crate) fn email_key(email: &str) -> Item {
    key_of(format!("EMAIL#{email}"), EMAIL_SK)
}

fn revoked_key(jti: &str) -> Item {
    key_of(format!("JTI#{jti}"), REVOKED_SK)
}

/// What a create-user transaction did.
pub enum CreateUserOutcome {
    Created,
    EmailTaken,
    /// The caller asked to be the first admin, but someone else already is; nothing was written.
    FirstAdminAlreadyClaimed,
}

fn put_if_absent(item: Item, table: &str) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .build()
                .expect("put has table and item"),
        )
        .build()
}

fn user_item(user: &User) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(user).map_err(|e| StoreError::Malformed(e.to_string()))?;
    item.extend(user_key(user.id));
    // The listing index: newest first by reading it backwards.
    item.insert("gsi1pk".into(), s("USERS"));
    item.insert("gsi1sk".into(), s(format!("{}#{:012}", user.created_at, user.id)));
    Ok(item)
}

pub(crate) fn user_from_item(item: Item) -> Result<User, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Malformed(format!("user: {e}")))
}

impl Store {
    /// Writes the user and its email guard in one transaction (and, when `claim_first_admin`, the
    /// marker that makes exactly one user ever the first admin). `verification` is the
    /// email-verification token and the message carrying it, written in the same transaction.
    pub async fn create_user(
        &self,
        user: &User,
        claim_first_admin: bool,
        verification: Option<(&OneTimeToken, &OutboxMessage)>,
    ) -> Result<CreateUserOutcome, StoreError> {
        let mut guard = email_key(&user.email);
        guard.insert("user_id".into(), AttributeValue::N(user.id.to_string()));
        let mut writes = vec![
            put_if_absent(user_item(user)?, &self.table),
            put_if_absent(guard, &self.table),
        ];
        if claim_first_admin {
            let mut marker = key_of(FIRST_ADMIN_PK.into(), FIRST_ADMIN_SK);
            marker.insert("user_id".into(), AttributeValue::N(user.id.to_string()));
            writes.push(put_if_absent(marker, &self.table));
        }
        if let Some((token, message)) = verification {
            writes.push(super::tokens::put(super::tokens::token_item(token)?, &self.table));
            writes.push(super::tokens::put(super::tokens::outbox_item(message)?, &self.table));
        }
        let result = self.transact(writes).await;
        if result.is_ok() {
            if claim_first_admin {
                self.remember_first_admin_claimed();
            }
            return Ok(CreateUserOutcome::Created);
        }
        let failed = failed_conditions(&result).unwrap_or_default();
        if failed.get(1).copied().unwrap_or(false) {
            Ok(CreateUserOutcome::EmailTaken)
        } else if failed.get(2).copied().unwrap_or(false) {
            self.remember_first_admin_claimed();
            Ok(CreateUserOutcome::FirstAdminAlreadyClaimed)
        } else {
            Err(transaction_error(result))
        }
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let guard = self.get_item(email_key(email)).await?;
        let Some(user_id) = guard
            .as_ref()
            .and_then(|i| i.get("user_id"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok())
        else {
            return Ok(None);
        };
        self.user(user_id).await
    }

    /// As `user_by_email`, but an unknown email costs the same two reads as a known one, so its
    /// timing does not tell them apart (used where the answer must not reveal existence).
    pub async fn user_by_email_padded(&self, email: &str) -> Result<Option<User>, StoreError> {
        match self.user_by_email(email).await? {
            Some(user) => Ok(Some(user)),
            None => self.user(0).await.map(|_| None),
        }
    }

    pub async fn email_taken(&self, email: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(email_key(email)))
            .projection_expression("#pk")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("GetItem", e))?;
        Ok(out.item().is_some())
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let item = self.get_item(user_key(id)).await?;
        item.map(user_from_item).transpose()
    }

    /// The user behind a token, whether its `jti` is revoked, and its session, in one round trip.
    pub async fn token_context(
        &self,
        id: i64,
        jti: &str,
        session_id: &str,
        now_epoch: i64,
    ) -> Result<(Option<User>, bool, Option<crate::model::Session>), StoreError> {
        let keys = vec![
            user_key(id),
            revoked_key(jti),
            super::sessions::session_key(id, session_id),
        ];
        let mut items = self.get_together(keys).await?.into_iter();
        let user = items.next().flatten().map(user_from_item).transpose()?;
        // DynamoDB deletes expired items late (DynamoDB Local never does), so expiry is read here.
        let revoked = items.next().flatten().is_some_and(|item| !is_expired(&item, now_epoch));
        let session = items
            .next()
            .flatten()
            .map(|item| serde_dynamo::from_item(item).map_err(|e| StoreError::Malformed(format!("session: {e}"))))
            .transpose()?;
        Ok((user, revoked, session))
    }

    /// Marks a token's `jti` revoked until the token would have expired anyway.
    pub async fn revoke_token(&self, jti: &str, token_expires_at: i64) -> Result<(), StoreError> {
        let mut item = revoked_key(jti);
        item.insert(
            super::TTL_ATTRIBUTE.into(),
            AttributeValue::N(token_expires_at.to_string()),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("PutItem", e))?;
        Ok(())
    }
}

pub(crate) fn is_expired(item: &Item, now_epoch: i64) -> bool {
    item.get(super::TTL_ATTRIBUTE)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok())
        .is_some_and(|expires_at| expires_at <= now_epoch)
}

/// Where a user listing resumes: the last key of the previous page.
pub struct UserCursor(Item);

const CURSOR_ATTRIBUTES: [&str; 4] = ["pk", "sk", "gsi1pk", "gsi1sk"];

impl UserCursor {
    /// An opaque, URL-safe form of the cursor for `X-Next-Cursor`.
    pub fn encode(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = CURSOR_ATTRIBUTES
            .iter()
            .filter_map(|name| Some((name.to_string(), self.0.get(*name)?.as_s().ok()?.clone().into())))
            .collect();
        Base64UrlUnpadded::encode_string(serde_json::Value::Object(map).to_string().as_bytes())
    }

    /// `None` for anything `encode` did not produce.
    pub fn decode(text: &str) -> Option<UserCursor> {
        let bytes = Base64UrlUnpadded::decode_vec(text).ok()?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let object = value.as_object()?;
        if object.len() != CURSOR_ATTRIBUTES.len() || object.get("gsi1pk")?.as_str()? != "USERS" {
            return None;
        }
        let item = CURSOR_ATTRIBUTES
            .iter()
            .map(|name| Some((name.to_string(), s(object.get(*name)?.as_str()?))))
            .collect::<Option<Item>>()?;
        Some(UserCursor(item))
    }
}

impl Store {
    /// One page of users, newest first, from the listing index (no scan).
    pub async fn list_users(
        &self,
        limit: i32,
        after: Option<UserCursor>,
    ) -> Result<(Vec<User>, Option<UserCursor>), StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :users")
            .expression_attribute_values(":users", s("USERS"))
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(after.map(|c| c.0))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("Query", e))?;
        let users = out
            .items()
            .iter()
            .cloned()
            .map(user_from_item)
            .collect::<Result<_, _>>()?;
        Ok((users, out.last_evaluated_key.map(UserCursor)))
    }

    /// Applies `SET …` to an existing user and returns the user as it is now; `None` if there is
    /// no such user.
    async fn update_user(
        &self,
        id: i64,
        set: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<Option<User>, StoreError> {
        self.update_user_named(id, set, values, None).await
    }

    async fn update_user_named(
        &self,
        id: i64,
        set: &str,
        values: Vec<(&str, AttributeValue)>,
        name: Option<(&str, &str)>,
    ) -> Result<Option<User>, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(user_key(id)))
            .update_expression(format!("SET {set}"))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        if let Some((placeholder, attribute)) = name {
            request = request.expression_attribute_names(placeholder, attribute);
        }
        for (name, value) in values {
            request = request.expression_attribute_values(name, value);
        }
        match request.send().await {
            Ok(out) => out.attributes.map(user_from_item).transpose(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(StoreError::from_sdk("UpdateItem", e)),
        }
    }

    pub async fn set_full_name(&self, id: i64, full_name: &str, now: &str) -> Result<Option<User>, StoreError> {
        self.update_user(
            id,
            "full_name = :name, updated_at = :now",
            vec![(":name", s(full_name)), (":now", s(now))],
        )
        .await
    }

    /// Activates or deactivates; deactivation also ends every token issued up to `now_ms`.
    pub async fn set_active(&self, id: i64, active: bool, now: &str, now_ms: i64) -> Result<Option<User>, StoreError> {
        let mut values = vec![(":active", AttributeValue::Bool(active)), (":now", s(now))];
        let set = if active {
            "is_active = :active, updated_at = :now"
        } else {
            values.push((":after", AttributeValue::N((now_ms + 1).to_string())));
            "is_active = :active, updated_at = :now, tokens_valid_after_ms = :after"
        };
        self.update_user(id, set, values).await
    }

    pub async fn set_role(&self, id: i64, role: Role, now: &str) -> Result<Option<User>, StoreError> {
        // `role` is a DynamoDB reserved word.
        let values = vec![(":role", s(role.as_str())), (":now", s(now))];
        self.update_user_named(id, "#role = :role, updated_at = :now", values, Some(("#role", "role")))
            .await
    }

    /// Removes the user and its email guard together. `false` if the user was already gone.
    pub async fn delete_user(&self, user: &User) -> Result<bool, StoreError> {
        let delete = |key: Item, must_exist: bool| {
            let mut builder = aws_sdk_dynamodb::types::Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key));
            if must_exist {
                builder = builder
                    .condition_expression("attribute_exists(#pk)")
                    .expression_attribute_names("#pk", PARTITION_KEY);
            }
            TransactWriteItem::builder()
                .delete(builder.build().expect("delete has table and key"))
                .build()
        };
        let result = self
            .transact(vec![
                delete(user_key(user.id), true),
                delete(email_key(&user.email), false),
            ])
            .await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(failed) if failed.first() == Some(&true) => Ok(false),
            _ => Err(transaction_error(result)),
        }
    }
}
