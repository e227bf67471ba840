//! Credentials: one-time tokens (by SHA-256) and their consumption, login-failure counters
//! (lockout), and revoked access tokens.

use super::items::{from_item, mail_item, n, number, token_item};
use super::keys::{self, s, PARTITION_KEY, TTL_ATTRIBUTE};
use super::{failed_conditions, sdk_error, transaction_error, Store};
use crate::audit::AuditRecord;
use crate::domain::ports::{CredentialStore, FailureCount, FreedSlot, Reservation, StoreResult};
use crate::model::{OneTimeToken, Purpose, QueuedMail};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::builders::DeleteBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

/// The user attribute that names the one live token of a purpose.
pub(super) fn pointer_attribute(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::PasswordReset => "reset_token_hash",
        Purpose::EmailVerification => "verification_token_hash",
        Purpose::EmailChange => "email_change_token_hash",
    }
}

/// A lockout counter whose last reserved slot is `:slot`: no attempt was reserved after it.
const HOLDS_LAST_SLOT: &str = "failures = :slot";

#[async_trait]
impl CredentialStore for Store {
    /// One transaction: the token, the user's pointer to it (voiding the previous one of that
    /// purpose), and the message.
    async fn issue_token(
        &self,
        token: &OneTimeToken,
        message: &QueuedMail,
        events: &[AuditRecord],
    ) -> StoreResult<bool> {
        self.issue(token, &[message], events).await
    }

    /// A transaction shaped like `issue_token`'s (three items: the message and two checks of keys
    /// that never exist), so a reset request for an unknown address costs about what one for a
    /// real account does.
    async fn queue_mail_like_a_token(&self, message: &QueuedMail, events: &[AuditRecord]) -> StoreResult<()> {
        self.queue_like_an_issue(&[message], events).await
    }

    async fn one_time_token(&self, hash: &str) -> StoreResult<Option<OneTimeToken>> {
        let item = self.get_item(keys::one_time_token(hash)).await?;
        item.map(|item| from_item(item, "token")).transpose()
    }

    #[allow(clippy::too_many_arguments)]
    async fn consume_password_reset(
        &self,
        token: &OneTimeToken,
        hashed_password: &str,
        now: &str,
        tokens_valid_after_ms: i64,
        now_epoch: i64,
        notice: &QueuedMail,
        lift_lockout: bool,
        events: &[AuditRecord],
    ) -> StoreResult<bool> {
        let update = self
            .user_update_for(
                token,
                "hashed_password = :pw, tokens_valid_after_ms = :after, updated_at = :now",
            )
            .expression_attribute_values(":pw", s(hashed_password))
            .expression_attribute_values(":after", n(tokens_valid_after_ms))
            .expression_attribute_values(":now", s(now))
            .build()
            .expect("update has its required fields");
        let mut writes = vec![self.put(mail_item(notice)?)];
        if lift_lockout {
            writes.push(self.delete(keys::lockout(&token.email)));
        }
        self.consume(token, now_epoch, update, writes, events).await
    }

    async fn consume_email_verification(
        &self,
        token: &OneTimeToken,
        now: &str,
        now_epoch: i64,
        events: &[AuditRecord],
    ) -> StoreResult<bool> {
        let update = self
            .user_update_for(token, "is_verified = :yes, updated_at = :now")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":now", s(now))
            .build()
            .expect("update has its required fields");
        self.consume(token, now_epoch, update, Vec::new(), events).await
    }

    /// One round trip (the lockout item and the email guard).
    async fn failures_and_user_id(
        &self,
        lockout: &str,
        email: Option<&str>,
    ) -> StoreResult<(FailureCount, Option<i64>)> {
        let mut keys = vec![keys::lockout(lockout)];
        keys.extend(email.map(keys::email_guard));
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

    /// One conditional `UpdateItem`: `ADD` a slot while the count is below the limit and fresh,
    /// or, for a restart, `SET` it to 1 while it is still stale.
    async fn reserve_attempt(&self, lockout: &str, reservation: &Reservation) -> StoreResult<Option<i64>> {
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::lockout(lockout)))
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(reservation.now_ms))
            .expression_attribute_values(":ttl", n(reservation.expires_at))
            .expression_attribute_values(":stale", n(reservation.stale_at_ms))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew);
        let request = if reservation.restart {
            request
                .update_expression("SET failures = :one, last_failure_ms = :now, #ttl = :ttl")
                .condition_expression("attribute_not_exists(failures) OR last_failure_ms <= :stale")
        } else {
            request
                .update_expression("ADD failures :one SET last_failure_ms = :now, #ttl = :ttl")
                .condition_expression(
                    "attribute_not_exists(failures) OR (failures < :limit AND last_failure_ms > :stale)",
                )
                .expression_attribute_values(":limit", n(reservation.limit))
        };
        match request.send().await {
            Ok(out) => Ok(out.attributes().and_then(|a| number(a, "failures"))),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    /// A slot taken after `slot` keeps the counter.
    async fn clear_failures(&self, lockout: &str, slot: i64) -> StoreResult<()> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(keys::lockout(lockout)))
            .condition_expression(HOLDS_LAST_SLOT)
            .expression_attribute_values(":slot", n(slot))
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
            Err(e) => Err(sdk_error("DeleteItem", e)),
        }
    }

    async fn revoke_token(&self, jti: &str, token_expires_at: i64) -> StoreResult<()> {
        let mut item = keys::revoked_token(jti);
        item.insert(TTL_ATTRIBUTE.into(), n(token_expires_at));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }
}

impl Store {
    /// A transaction's delete of a lockout counter, only while `freed.slot` is its last
    /// reserved slot (as `clear_failures`).
    pub(super) fn freeing(&self, freed: FreedSlot<'_>) -> DeleteBuilder {
        self.delete_of(keys::lockout(freed.lockout))
            .condition_expression(HOLDS_LAST_SLOT)
            .expression_attribute_values(":slot", n(freed.slot))
    }

    /// One transaction: the token, the user's pointer to it (voiding the previous one of that
    /// purpose), and the messages. `false` if the user is gone.
    pub(super) async fn issue(
        &self,
        token: &OneTimeToken,
        messages: &[&QueuedMail],
        events: &[AuditRecord],
    ) -> StoreResult<bool> {
        let point_user = self
            .update_of(keys::user(token.user_id))
            .update_expression("SET #pointer = :hash")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pointer", pointer_attribute(token.purpose))
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":hash", s(&token.hash))
            .build()
            .expect("update has its required fields");
        let mut writes = vec![self.put(token_item(token)?), super::write::write(point_user)];
        for message in messages {
            writes.push(self.put(mail_item(message)?));
        }
        let result = self.transact_audited(writes, events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }

    /// A transaction shaped like `issue`'s with as many messages (the messages and two checks of
    /// keys that never exist), so a request for an address without an account costs about what
    /// one for a real account does.
    pub(super) async fn queue_like_an_issue(
        &self,
        messages: &[&QueuedMail],
        events: &[AuditRecord],
    ) -> StoreResult<()> {
        let mut writes = vec![
            self.absent(keys::user(0)),
            self.absent(keys::one_time_token(&crate::domain::one_time::random_secret())),
        ];
        for message in messages {
            writes.push(self.put(mail_item(message)?));
        }
        self.transact_audited(writes, events)
            .await
            .map_err(|e| transaction_error(Err(e)))?;
        Ok(())
    }

    /// The token's deletion, provided it is unexpired and not used yet: the write that makes a
    /// one-time token's use happen once.
    pub(super) fn consume_token(&self, token: &OneTimeToken, now_epoch: i64) -> TransactWriteItem {
        super::write::write(
            self.delete_of(keys::one_time_token(&token.hash))
                .condition_expression("attribute_exists(#pk) AND #ttl > :now")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                .expression_attribute_values(":now", n(now_epoch))
                .build()
                .expect("delete has its required fields"),
        )
    }

    /// Deletes the token and applies `user_update` in one transaction, provided the token is
    /// unexpired and still the user's live one. Of any number of parallel calls, one wins.
    async fn consume(
        &self,
        token: &OneTimeToken,
        now_epoch: i64,
        user_update: Update,
        extra: Vec<TransactWriteItem>,
        events: &[AuditRecord],
    ) -> StoreResult<bool> {
        let delete_token = self.consume_token(token, now_epoch);
        let mut writes = vec![delete_token, super::write::write(user_update)];
        writes.extend(extra);
        let result = self.transact_audited(writes, events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            // Used, expired, replaced, or lost to a parallel use.
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }

    fn user_update_for(&self, token: &OneTimeToken, set: &str) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
        self.update_of(keys::user(token.user_id))
            .update_expression(format!("SET {set} REMOVE #pointer"))
            .condition_expression("#pointer = :hash")
            .expression_attribute_names("#pointer", pointer_attribute(token.purpose))
            .expression_attribute_values(":hash", s(&token.hash))
    }
}
