//! Self-service account changes: a signed-in password change (with the caller's session moved
//! on in the same transaction) and the two halves of an email change.

use super::credentials::pointer_attribute;
use super::items::{mail_item, n, refresh_item, session_item};
use super::keys::{self, s, PARTITION_KEY};
use super::write::write;
use super::{failed_conditions, transaction_error, Store};
use crate::audit::AuditRecord;
use crate::domain::ports::{AccountStore, EmailChangeOutcome, PasswordChange, PasswordChangeOutcome, StoreResult};
use crate::model::{OneTimeToken, Purpose, QueuedMail};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

#[async_trait]
impl AccountStore for Store {
    /// One transaction: the user (new hash, `tokens_valid_after_ms`), provided the hash is still
    /// the one checked; the caller's session at its next generation, provided it is still live at
    /// the one read; that generation's refresh token; the notice.
    async fn change_password(&self, change: &PasswordChange<'_>) -> StoreResult<PasswordChangeOutcome> {
        let user = self
            .update_of(keys::user(change.user_id))
            .update_expression("SET hashed_password = :to, tokens_valid_after_ms = :after, updated_at = :now")
            .condition_expression("attribute_exists(#pk) AND hashed_password = :from")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":to", s(change.new_hash))
            .expression_attribute_values(":from", s(change.from_hash))
            .expression_attribute_values(":after", n(change.tokens_valid_after_ms))
            .expression_attribute_values(":now", s(change.now))
            .build()
            .expect("update has its required fields");
        let session = self
            .put_of(session_item(change.session)?)
            .condition_expression("generation = :from AND revoked = :no")
            .expression_attribute_values(":from", n(change.from_generation))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .build()
            .expect("put has table and item");
        let writes = vec![
            write(user),
            write(session),
            self.put(refresh_item(change.refresh)?),
            self.put(mail_item(change.notice)?),
        ];
        let result = self.transact_audited(writes, change.events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(PasswordChangeOutcome::Changed),
            Some(failed) if failed.first() == Some(&true) => Ok(PasswordChangeOutcome::PasswordMoved),
            Some(_) => Ok(PasswordChangeOutcome::SessionMoved),
            None => Err(transaction_error(result)),
        }
    }

    /// One transaction: the token, the user's pointer to it (voiding an earlier one), and both
    /// messages.
    async fn issue_email_change(
        &self,
        token: &OneTimeToken,
        confirmation: &QueuedMail,
        notice: &QueuedMail,
        events: &[AuditRecord],
    ) -> StoreResult<bool> {
        self.issue(token, &[confirmation, notice], events).await
    }

    /// Four items like `issue_email_change`'s: both messages and two checks of keys that never
    /// exist.
    async fn queue_mail_like_an_email_change(
        &self,
        first: &QueuedMail,
        second: &QueuedMail,
        events: &[AuditRecord],
    ) -> StoreResult<()> {
        self.queue_like_an_issue(&[first, second], events).await
    }

    /// One transaction: the token deleted (unexpired), the user moved (while the token is its
    /// live one and its address is still the one the token was issued for), the old guard
    /// deleted (while it is this user's) and the new one created (while no one holds it).
    async fn confirm_email_change(
        &self,
        token: &OneTimeToken,
        new_email: &str,
        now: &str,
        now_epoch: i64,
        events: &[AuditRecord],
    ) -> StoreResult<EmailChangeOutcome> {
        let delete_token = self.consume_token(token, now_epoch);
        // Earlier reset and verification tokens went to the old address: they end too.
        let move_user = self
            .update_of(keys::user(token.user_id))
            .update_expression(
                "SET #email = :new, is_verified = :yes, updated_at = :at \
                 REMOVE #pointer, reset_token_hash, verification_token_hash",
            )
            .condition_expression("#pointer = :hash AND #email = :old")
            .expression_attribute_names("#email", "email")
            .expression_attribute_names("#pointer", pointer_attribute(Purpose::EmailChange))
            .expression_attribute_values(":new", s(new_email))
            .expression_attribute_values(":old", s(&token.email))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":at", s(now))
            .expression_attribute_values(":hash", s(&token.hash))
            .build()
            .expect("update has its required fields");
        let release_old = self
            .delete_of(keys::email_guard(&token.email))
            .condition_expression("user_id = :id")
            .expression_attribute_values(":id", n(token.user_id))
            .build()
            .expect("delete has its required fields");
        let mut guard = keys::email_guard(new_email);
        guard.insert("user_id".into(), n(token.user_id));
        let writes = vec![delete_token, write(move_user), write(release_old), self.put_new(guard)];
        let result = self.transact_audited(writes, events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(EmailChangeOutcome::Changed),
            Some(failed) if failed.iter().take(3).any(|f| *f) => Ok(EmailChangeOutcome::InvalidToken),
            Some(_) => Ok(EmailChangeOutcome::AddressTaken),
            None => Err(transaction_error(result)),
        }
    }
}
