//! Users, the email guard that keeps emails unique, and the first-admin marker.

use super::items::{mail_item, n, number, refresh_item, session_item, token_item, user_from_item, user_item};
use super::keys::{self, s, PARTITION_KEY};
use super::{failed_conditions, sdk_error, transaction_error, write::write, Store};
use crate::audit::AuditRecord;
use crate::domain::ports::{CreateUserOutcome, StoreResult, UserCursor, UserStore};
use crate::model::{OneTimeToken, QueuedMail, RefreshRecord, Role, Session, User};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use std::sync::atomic::Ordering;

#[async_trait]
impl UserStore for Store {
    fn first_admin_claimed(&self) -> bool {
        self.first_admin_claimed.load(Ordering::Relaxed)
    }

    /// One transaction: the user and its email guard, both new (and the first-admin marker,
    /// new, when claimed), with the verification token and its message, and the first session.
    async fn create_user(
        &self,
        user: &User,
        claim_first_admin: bool,
        verification: Option<(&OneTimeToken, &QueuedMail)>,
        session: Option<(&Session, &RefreshRecord)>,
        events: &[AuditRecord],
    ) -> StoreResult<CreateUserOutcome> {
        let mut guard = keys::email_guard(&user.email);
        guard.insert("user_id".into(), n(user.id));
        let mut writes = vec![self.put_new(user_item(user)?), self.put_new(guard)];
        if claim_first_admin {
            let mut marker = keys::first_admin();
            marker.insert("user_id".into(), n(user.id));
            writes.push(self.put_new(marker));
        }
        if let Some((token, message)) = verification {
            writes.push(self.put(token_item(token)?));
            writes.push(self.put(mail_item(message)?));
        }
        if let Some((session, first)) = session {
            writes.push(self.put(session_item(session)?));
            writes.push(self.put(refresh_item(first)?));
        }
        let result = self.transact_audited(writes, events).await;
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

    async fn user(&self, id: i64) -> StoreResult<Option<User>> {
        let item = self.get_item(keys::user(id)).await?;
        item.map(user_from_item).transpose()
    }

    async fn users(&self, ids: &[i64]) -> StoreResult<Vec<User>> {
        let items = self.batch_get(ids.iter().map(|id| keys::user(*id)).collect()).await?;
        items.into_iter().map(user_from_item).collect()
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let guard = self.get_item(keys::email_guard(email)).await?;
        let Some(user_id) = guard.as_ref().and_then(|i| number(i, "user_id")) else {
            return Ok(None);
        };
        self.user(user_id).await
    }

    async fn user_by_email_padded(&self, email: &str) -> StoreResult<Option<User>> {
        match self.user_by_email(email).await? {
            Some(user) => Ok(Some(user)),
            None => self.user(0).await.map(|_| None),
        }
    }

    async fn email_taken(&self, email: &str) -> StoreResult<bool> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys::email_guard(email)))
            .projection_expression("#pk")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        Ok(out.item().is_some())
    }

    /// From the listing index (no scan). A page ends where DynamoDB stopped: the cursor is the
    /// last user read.
    async fn list_users(&self, limit: i32, after: Option<UserCursor>) -> StoreResult<(Vec<User>, Option<UserCursor>)> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::INDEX)
            .key_condition_expression("#gsi1pk = :users")
            .expression_attribute_names("#gsi1pk", keys::INDEX_PARTITION_KEY)
            .expression_attribute_values(":users", s(keys::USER_LISTING))
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(after.map(|c| keys::user_listing_position(&c.created_at, c.id)))
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        let users: Vec<User> = out
            .items()
            .iter()
            .cloned()
            .map(user_from_item)
            .collect::<Result<_, _>>()?;
        let next = out
            .last_evaluated_key
            .as_ref()
            .and(users.last())
            .map(|last| UserCursor {
                created_at: last.created_at.clone(),
                id: last.id,
            });
        Ok((users, next))
    }

    async fn set_full_name(
        &self,
        id: i64,
        full_name: &str,
        now: &str,
        events: &[AuditRecord],
    ) -> StoreResult<Option<User>> {
        self.update_user(
            id,
            "full_name = :name, updated_at = :now",
            vec![(":name", s(full_name)), (":now", s(now))],
            None,
            events,
        )
        .await
    }

    async fn set_active(
        &self,
        id: i64,
        active: bool,
        now: &str,
        now_ms: i64,
        events: &[AuditRecord],
    ) -> StoreResult<Option<User>> {
        let mut values = vec![(":active", AttributeValue::Bool(active)), (":now", s(now))];
        let set = if active {
            "is_active = :active, updated_at = :now"
        } else {
            values.push((":after", n(now_ms + 1)));
            "is_active = :active, updated_at = :now, tokens_valid_after_ms = :after"
        };
        self.update_user(id, set, values, None, events).await
    }

    async fn set_role(&self, id: i64, role: Role, now: &str, events: &[AuditRecord]) -> StoreResult<Option<User>> {
        // `role` is a DynamoDB reserved word.
        let values = vec![(":role", s(role.as_str())), (":now", s(now))];
        self.update_user(
            id,
            "#role = :role, updated_at = :now",
            values,
            Some(("#role", "role")),
            events,
        )
        .await
    }

    /// The user (which must exist), its email guard and its second factor, together.
    async fn delete_user(&self, user: &User, events: &[AuditRecord]) -> StoreResult<bool> {
        let result = self
            .transact_audited(
                vec![
                    self.delete_existing(keys::user(user.id)),
                    self.delete(keys::email_guard(&user.email)),
                    self.delete(keys::totp_factor(user.id)),
                ],
                events,
            )
            .await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(failed) if failed.first() == Some(&true) => Ok(false),
            _ => Err(transaction_error(result)),
        }
    }
}

impl Store {
    /// Applies `SET …` to an existing user, with the events that record it, and returns the
    /// user as it is now (read after the transaction, which returns no item); `None` if there
    /// is no such user.
    async fn update_user(
        &self,
        id: i64,
        set: &str,
        values: Vec<(&str, AttributeValue)>,
        name: Option<(&str, &str)>,
        events: &[AuditRecord],
    ) -> StoreResult<Option<User>> {
        let mut update = self
            .update_of(keys::user(id))
            .update_expression(format!("SET {set}"))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY);
        if let Some((placeholder, attribute)) = name {
            update = update.expression_attribute_names(placeholder, attribute);
        }
        for (name, value) in values {
            update = update.expression_attribute_values(name, value);
        }
        let update = write(update.build().expect("update has its fields"));
        let result = self.transact_audited(vec![update], events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => self.user(id).await,
            Some(_) => Ok(None),
            None => Err(transaction_error(result)),
        }
    }
}
