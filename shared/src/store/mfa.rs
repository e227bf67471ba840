//! The second factor: a user's TOTP factor (in the user's partition, next to the sessions) and
//! the challenges of two-step logins. Every use of a code is a conditional write: a TOTP step
//! only moves forward, a recovery code is removed from its set only while it is in it.

use super::items::{
    challenge_item, factor_from_item, factor_item, from_item, mail_item, n, string_set, RECOVERY_CODES,
};
use super::keys::{self, s, PARTITION_KEY, TTL_ATTRIBUTE};
use super::{failed_conditions, transaction_error, write::write, Store};
use crate::audit::AuditRecord;
use crate::domain::ports::{ChallengeOutcome, MfaStore, StoreResult};
use crate::model::{MfaChallenge, MfaProof, QueuedMail, TotpFactor};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

fn yes() -> AttributeValue {
    AttributeValue::Bool(true)
}

fn no() -> AttributeValue {
    AttributeValue::Bool(false)
}

#[async_trait]
impl MfaStore for Store {
    async fn totp_factor(&self, user_id: i64) -> StoreResult<Option<TotpFactor>> {
        let item = self.get_item(keys::totp_factor(user_id)).await?;
        item.map(factor_from_item).transpose()
    }

    async fn put_pending_factor(&self, factor: &TotpFactor, events: &[AuditRecord]) -> StoreResult<bool> {
        let put = self
            .put_of(factor_item(factor)?)
            .condition_expression("attribute_not_exists(#pk) OR confirmed = :no")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":no", no())
            .build()
            .expect("put has table and item");
        let result = self.transact_audited(vec![write(put)], events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }

    async fn confirm_factor(
        &self,
        factor: &TotpFactor,
        notice: &QueuedMail,
        events: &[AuditRecord],
    ) -> StoreResult<bool> {
        let confirm = self
            .update_of(keys::totp_factor(factor.user_id))
            .update_expression("SET confirmed = :yes, last_step = :step, #codes = :codes, confirmed_at = :at")
            .condition_expression("confirmed = :no AND sealed_secret = :sealed")
            .expression_attribute_names("#codes", RECOVERY_CODES)
            .expression_attribute_values(":yes", yes())
            .expression_attribute_values(":no", no())
            .expression_attribute_values(":step", n(factor.last_step.unwrap_or_default()))
            .expression_attribute_values(":codes", string_set(&factor.recovery_codes))
            .expression_attribute_values(":at", s(factor.confirmed_at.clone().unwrap_or_default()))
            .expression_attribute_values(":sealed", s(&factor.sealed_secret))
            .build()
            .expect("update has its fields");
        let enable = self
            .update_of(keys::user(factor.user_id))
            .update_expression("SET mfa_enabled = :yes")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":yes", yes())
            .build()
            .expect("update has its fields");
        let result = self
            .transact_audited(
                vec![write(confirm), write(enable), self.put(mail_item(notice)?)],
                events,
            )
            .await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }

    async fn pass_challenge(
        &self,
        challenge: &MfaChallenge,
        proof: &MfaProof,
        now_epoch: i64,
        events: &[AuditRecord],
    ) -> StoreResult<ChallengeOutcome> {
        let consume = self
            .delete_of(keys::mfa_challenge(&challenge.hash))
            .condition_expression("attribute_exists(#pk) AND #ttl > :now")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now_epoch))
            .build()
            .expect("delete has its fields");
        let factor = self
            .update_of(keys::totp_factor(challenge.user_id))
            .expression_attribute_values(":yes", yes());
        let factor = match proof {
            MfaProof::TotpStep(step) => factor
                .update_expression("SET last_step = :step")
                .condition_expression("confirmed = :yes AND (attribute_not_exists(last_step) OR last_step < :step)")
                .expression_attribute_values(":step", n(*step)),
            MfaProof::RecoveryCode(hash) => factor
                .update_expression("DELETE #codes :used")
                .condition_expression("confirmed = :yes AND contains(#codes, :hash)")
                .expression_attribute_names("#codes", RECOVERY_CODES)
                .expression_attribute_values(":used", string_set(std::slice::from_ref(hash)))
                .expression_attribute_values(":hash", s(hash)),
        };
        let factor = factor.build().expect("update has its fields");
        let result = self.transact_audited(vec![write(consume), write(factor)], events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(ChallengeOutcome::Passed),
            Some(failed) if failed.first() == Some(&true) => Ok(ChallengeOutcome::ChallengeGone),
            Some(_) => Ok(ChallengeOutcome::ProofRefused),
            None => Err(transaction_error(result)),
        }
    }

    async fn create_challenge(&self, challenge: &MfaChallenge) -> StoreResult<()> {
        let result = self.transact(vec![self.put_new(challenge_item(challenge)?)]).await;
        result.map(|_| ()).map_err(|e| transaction_error(Err(e)))
    }

    async fn challenge(&self, hash: &str) -> StoreResult<Option<MfaChallenge>> {
        let item = self.get_item(keys::mfa_challenge(hash)).await?;
        item.map(|item| from_item(item, "challenge")).transpose()
    }

    async fn replace_recovery_codes(
        &self,
        user_id: i64,
        hashes: &[String],
        events: &[AuditRecord],
    ) -> StoreResult<bool> {
        let replace = self
            .update_of(keys::totp_factor(user_id))
            .update_expression("SET #codes = :codes")
            .condition_expression("confirmed = :yes")
            .expression_attribute_names("#codes", RECOVERY_CODES)
            .expression_attribute_values(":codes", string_set(hashes))
            .expression_attribute_values(":yes", yes())
            .build()
            .expect("update has its fields");
        let result = self.transact_audited(vec![write(replace)], events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }

    async fn remove_factor(
        &self,
        user_id: i64,
        notice: Option<&QueuedMail>,
        end_tokens_at_ms: Option<i64>,
        events: &[AuditRecord],
    ) -> StoreResult<bool> {
        let mut disable = self
            .update_of(keys::user(user_id))
            .update_expression("REMOVE mfa_enabled")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY);
        if let Some(after) = end_tokens_at_ms {
            disable = disable
                .update_expression("SET tokens_valid_after_ms = :after REMOVE mfa_enabled")
                .expression_attribute_values(":after", n(after));
        }
        let mut writes = vec![
            self.delete_existing(keys::totp_factor(user_id)),
            write(disable.build().expect("update has its fields")),
        ];
        if let Some(notice) = notice {
            writes.push(self.put(mail_item(notice)?));
        }
        let result = self.transact_audited(writes, events).await;
        match failed_conditions(&result) {
            None if result.is_ok() => Ok(true),
            Some(_) => Ok(false),
            None => Err(transaction_error(result)),
        }
    }
}
