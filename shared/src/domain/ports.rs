//! What the rules need from storage: one narrow trait per aggregate, with the outcomes they
//! report. `store::Store` (DynamoDB) implements them; nothing here knows keys or the SDK.
//!
//! Every write that must be all-or-nothing is one method, so an implementation can make it one
//! transaction; methods that answer `bool` report a condition that did not hold (an item gone,
//! or taken by a parallel request), never an error.

use crate::audit::AuditRecord;
use crate::model::{
    Invite, Membership, MfaChallenge, MfaProof, OneTimeToken, Org, OrgRole, QueuedMail, RefreshRecord, Role, Session,
    TotpFactor, User,
};
use async_trait::async_trait;
use base64ct::{Base64UrlUnpadded, Encoding};

pub use crate::domain::store_error::StoreError;

pub type StoreResult<T> = Result<T, StoreError>;

// Users ---------------------------------------------------------------------------------------

/// What a create-user transaction did.
#[derive(Debug, PartialEq, Eq)]
pub enum CreateUserOutcome {
    Created,
    EmailTaken,
    /// The caller asked to be the first admin, but someone else already is; nothing was written.
    FirstAdminAlreadyClaimed,
}

/// Where a user listing resumes: after the user created at `created_at` with id `id` (the
/// last of the previous page; the listing is newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCursor {
    pub created_at: String,
    pub id: i64,
}

impl UserCursor {
    /// An opaque, URL-safe form of the cursor for `X-Next-Cursor`.
    pub fn encode(&self) -> String {
        let value = serde_json::json!({ "created_at": self.created_at, "id": self.id });
        Base64UrlUnpadded::encode_string(value.to_string().as_bytes())
    }

    /// `None` for anything `encode` did not produce.
    pub fn decode(text: &str) -> Option<UserCursor> {
        let bytes = Base64UrlUnpadded::decode_vec(text).ok()?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let object = value.as_object()?;
        if object.len() != 2 {
            return None;
        }
        Some(UserCursor {
            created_at: object.get("created_at")?.as_str()?.to_string(),
            id: object.get("id")?.as_i64()?,
        })
    }
}

/// Named counters for new ids (`"user"`, `"org"`, `"membership"`, `"invite"`).
#[async_trait]
pub trait IdStore {
    /// The next value of a named atomic counter, starting at 1.
    async fn next_id(&self, counter: &str) -> StoreResult<i64>;
}

#[async_trait]
pub trait UserStore {
    /// Whether this instance already knows the first admin exists (spares a write).
    fn first_admin_claimed(&self) -> bool;
    /// Writes the user and keeps its email unique (and, when `claim_first_admin`, makes it the
    /// one first admin); `verification` is the email-verification token and the queued mail
    /// carrying it, and `session` the user's first session and refresh record, written with the
    /// user.
    async fn create_user(
        &self,
        user: &User,
        claim_first_admin: bool,
        verification: Option<(&OneTimeToken, &QueuedMail)>,
        session: Option<(&Session, &RefreshRecord)>,
        events: &[AuditRecord],
    ) -> StoreResult<CreateUserOutcome>;
    async fn user(&self, id: i64) -> StoreResult<Option<User>>;
    async fn users(&self, ids: &[i64]) -> StoreResult<Vec<User>>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// As `user_by_email`, but an unknown email costs the same reads as a known one.
    async fn user_by_email_padded(&self, email: &str) -> StoreResult<Option<User>>;
    async fn email_taken(&self, email: &str) -> StoreResult<bool>;
    /// One page of users, newest first.
    async fn list_users(&self, limit: i32, after: Option<UserCursor>) -> StoreResult<(Vec<User>, Option<UserCursor>)>;
    /// The user as it is after the change; `None` if there is no such user.
    async fn set_full_name(
        &self,
        id: i64,
        full_name: &str,
        now: &str,
        events: &[AuditRecord],
    ) -> StoreResult<Option<User>>;
    /// Deactivation also ends every token issued up to `now_ms`.
    async fn set_active(
        &self,
        id: i64,
        active: bool,
        now: &str,
        now_ms: i64,
        events: &[AuditRecord],
    ) -> StoreResult<Option<User>>;
    async fn set_role(&self, id: i64, role: Role, now: &str, events: &[AuditRecord]) -> StoreResult<Option<User>>;
    /// Removes the user and frees its email. `false` if the user was already gone.
    async fn delete_user(&self, user: &User, events: &[AuditRecord]) -> StoreResult<bool>;
}

// Credentials: one-time tokens, lockout, revoked access tokens -----------------------------------

/// Login failures for one lockout subject: how many in a row, and when the last one was.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FailureCount {
    pub failures: i64,
    pub last_failure_ms: i64,
}

impl FailureCount {
    /// Failures older than the lockout period are forgotten (that also ends an expired lock).
    pub fn is_stale(&self, now_ms: i64, lock_ms: i64) -> bool {
        self.failures > 0 && now_ms >= self.last_failure_ms + lock_ms
    }

    pub fn is_locked(&self, attempts: i64) -> bool {
        self.failures >= attempts
    }
}

/// When a failure counted at `now_ms` may be forgotten by storage (epoch seconds, rounded up).
pub fn failure_expiry(now_ms: i64, lock_ms: i64) -> i64 {
    (now_ms + lock_ms) / 1000 + 1
}

/// One login attempt's claim on a lockout counter, taken *before* the password is checked: the
/// store applies it as one conditional write, so no more than `limit` attempts per lock period
/// ever reach a password check, however many run in parallel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reservation {
    /// The counter read before was stale (older than the lock period) or absent: the write
    /// starts it again at 1, provided it is still stale. Otherwise it adds 1, provided the count
    /// is below `limit` and not stale.
    pub restart: bool,
    pub limit: i64,
    pub now_ms: i64,
    /// Attempts made at or before this instant are forgotten (`now_ms - lock period`).
    pub stale_at_ms: i64,
    /// When storage may drop the counter (epoch seconds).
    pub expires_at: i64,
}

impl Reservation {
    /// The claim an attempt makes after reading `seen`, or `None` when the email is locked.
    /// Stale attempts count as none, which is also how an expired lock ends.
    pub fn plan(seen: FailureCount, now_ms: i64, lock_ms: i64, limit: i64) -> Option<Reservation> {
        let restart = seen.failures == 0 || seen.is_stale(now_ms, lock_ms);
        if !restart && seen.is_locked(limit) {
            return None;
        }
        Some(Reservation {
            restart,
            limit,
            now_ms,
            stale_at_ms: now_ms - lock_ms,
            expires_at: failure_expiry(now_ms, lock_ms),
        })
    }

    /// What a store's conditional write decides, as arithmetic: the slot taken (the new count),
    /// or `None` when the condition fails. `current` is the counter as stored (absent = default).
    pub fn apply(&self, current: FailureCount) -> Option<i64> {
        let stale = current.failures == 0 || current.last_failure_ms <= self.stale_at_ms;
        match (self.restart, stale) {
            (true, true) => Some(1),
            (false, false) if current.failures < self.limit => Some(current.failures + 1),
            // An absent counter takes the first slot either way.
            (false, true) if current.failures == 0 => Some(1),
            _ => None,
        }
    }
}

#[async_trait]
pub trait CredentialStore {
    /// Stores a token, makes it the user's one live token of its purpose and queues the mail
    /// that carries it, all or nothing. `false` if the user is gone.
    async fn issue_token(&self, token: &OneTimeToken, mail: &QueuedMail, events: &[AuditRecord]) -> StoreResult<bool>;
    /// Queues mail at the cost of an `issue_token` (for addresses with no account).
    async fn queue_mail_like_a_token(&self, mail: &QueuedMail, events: &[AuditRecord]) -> StoreResult<()>;
    async fn one_time_token(&self, hash: &str) -> StoreResult<Option<OneTimeToken>>;
    /// Sets the password hash, ends earlier access tokens, clears the email's lockout when
    /// `lift_lockout`, and queues `notice` (the password-changed mail), if the reset token is
    /// unexpired and still the live one. Of parallel calls, one wins. (Each argument is a part of
    /// that one transaction.)
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
    ) -> StoreResult<bool>;
    /// Marks the user verified, if the verification token is unexpired and still the live one.
    async fn consume_email_verification(
        &self,
        token: &OneTimeToken,
        now: &str,
        now_epoch: i64,
        events: &[AuditRecord],
    ) -> StoreResult<bool>;
    /// The failures counted for `lockout` and, when `email` is given, its account's id.
    async fn failures_and_user_id(
        &self,
        lockout: &str,
        email: Option<&str>,
    ) -> StoreResult<(FailureCount, Option<i64>)>;
    /// Takes the next attempt slot for `lockout` with one conditional write, as
    /// `Reservation::apply` decides it against the stored counter: the slot (the new count),
    /// or `None` when the condition failed (locked, or changed since it was read).
    async fn reserve_attempt(&self, lockout: &str, reservation: &Reservation) -> StoreResult<Option<i64>>;
    /// After a successful attempt holding `slot`: forgets the counter if no attempt took a slot
    /// after it (attempts reserved meanwhile keep counting, with every slot before them).
    async fn clear_failures(&self, lockout: &str, slot: i64) -> StoreResult<()>;
    /// Marks an access token's `jti` revoked until the token would have expired anyway.
    async fn revoke_token(&self, jti: &str, token_expires_at: i64) -> StoreResult<()>;
}

// Sessions ------------------------------------------------------------------------------------

/// A password hash replaced by one with the current parameters.
#[derive(Debug, Clone, Copy)]
pub struct Rehash<'a> {
    pub from: &'a str,
    pub to: &'a str,
}

/// A successful attempt's slot on a lockout counter, freed by the write that completes the login.
#[derive(Debug, Clone, Copy)]
pub struct FreedSlot<'a> {
    pub lockout: &'a str,
    pub slot: i64,
}

#[async_trait]
pub trait SessionStore {
    /// The session and its first refresh token, and, for a login, the user's `last_login` and,
    /// when given, the password hash upgraded to the current parameters (applied only while
    /// the stored hash is still `rehash.from`: a password changed meanwhile stays) and the
    /// lockout counter of the attempt (freed as `clear_failures` frees it).
    async fn create_session(
        &self,
        session: &Session,
        first: &RefreshRecord,
        last_login: Option<&str>,
        rehash: Option<Rehash<'_>>,
        freed: Option<FreedSlot<'_>>,
        events: &[AuditRecord],
    ) -> StoreResult<()>;
    async fn refresh_record(&self, hash: &str) -> StoreResult<Option<RefreshRecord>>;
    async fn user_and_session(&self, user_id: i64, session_id: &str) -> StoreResult<(Option<User>, Option<Session>)>;
    /// The user behind an access token, whether its `jti` is revoked, and its session, together.
    async fn token_context(
        &self,
        user_id: i64,
        jti: &str,
        session_id: &str,
        now_epoch: i64,
    ) -> StoreResult<(Option<User>, bool, Option<Session>)>;
    /// Moves the family from generation `from` to `next`, with the new token; `false` if another
    /// request moved it first or it was revoked.
    async fn rotate_session(
        &self,
        next: &Session,
        from: i64,
        token: &RefreshRecord,
        events: &[AuditRecord],
    ) -> StoreResult<bool>;
    /// Records `events` with the change; none if the session is gone.
    async fn revoke_session(&self, user_id: i64, session_id: &str, events: &[AuditRecord]) -> StoreResult<()>;
    /// Logout: the session revoked and the access token's `jti` revoked until `token_expires_at`,
    /// in one transaction (either alone would leave a live refresh token or a live access token).
    async fn end_session(
        &self,
        user_id: i64,
        session_id: &str,
        jti: &str,
        token_expires_at: i64,
        events: &[AuditRecord],
    ) -> StoreResult<()>;
    /// Every session of a user, live or not.
    async fn sessions_of(&self, user_id: i64) -> StoreResult<Vec<Session>>;
}

// Self-service account changes ------------------------------------------------------------------

/// A signed-in password change: the new hash and, together with it, the session that asked
/// moved to a fresh generation issued at `tokens_valid_after_ms` (so that it alone outlives the
/// end of every earlier token).
pub struct PasswordChange<'a> {
    pub user_id: i64,
    /// The hash the current password was checked against: the change applies only while it is
    /// still the stored one.
    pub from_hash: &'a str,
    pub new_hash: &'a str,
    pub now: &'a str,
    pub tokens_valid_after_ms: i64,
    /// The caller's session after the move, and the generation it moves from.
    pub session: &'a Session,
    pub from_generation: i64,
    pub refresh: &'a RefreshRecord,
    pub notice: &'a QueuedMail,
    pub events: &'a [AuditRecord],
}

#[derive(Debug, PartialEq, Eq)]
pub enum PasswordChangeOutcome {
    Changed,
    /// The password (or the user) changed since it was checked: nothing was written.
    PasswordMoved,
    /// The session was refreshed or ended meanwhile: nothing was written.
    SessionMoved,
}

#[derive(Debug, PartialEq, Eq)]
pub enum EmailChangeOutcome {
    Changed,
    /// The token was used, replaced or expired, or the account changed address meanwhile.
    InvalidToken,
    /// Another account holds the new address.
    AddressTaken,
}

#[async_trait]
pub trait AccountStore {
    /// The password change, the end of every earlier token, the caller's session moved on and
    /// the notice queued, in one transaction.
    async fn change_password(&self, change: &PasswordChange<'_>) -> StoreResult<PasswordChangeOutcome>;
    /// Stores an email-change token, makes it the user's one live one, and queues the message
    /// carrying it (to the new address) and the notice (to the current one), all or nothing.
    /// `false` if the user is gone.
    async fn issue_email_change(
        &self,
        token: &OneTimeToken,
        confirmation: &QueuedMail,
        notice: &QueuedMail,
        events: &[AuditRecord],
    ) -> StoreResult<bool>;
    /// Queues two messages at the cost of an `issue_email_change` (the new address is taken).
    async fn queue_mail_like_an_email_change(
        &self,
        first: &QueuedMail,
        second: &QueuedMail,
        events: &[AuditRecord],
    ) -> StoreResult<()>;
    /// Consumes the token and moves the account to its `new_email` in one transaction: the old
    /// email guard deleted, the new one created (only if no account holds it), the user's email
    /// set and marked verified, every live one-time token of the user voided.
    async fn confirm_email_change(
        &self,
        token: &OneTimeToken,
        new_email: &str,
        now: &str,
        now_epoch: i64,
        events: &[AuditRecord],
    ) -> StoreResult<EmailChangeOutcome>;
}

// Second factor ---------------------------------------------------------------------------------

/// What the second step of a login found.
#[derive(Debug, PartialEq, Eq)]
pub enum ChallengeOutcome {
    /// The proof was accepted and the challenge consumed, together.
    Passed,
    /// The challenge is used, expired or unknown.
    ChallengeGone,
    /// The code was used before (or an earlier step's), the recovery code is spent, or the
    /// factor is gone.
    ProofRefused,
}

#[async_trait]
pub trait MfaStore {
    async fn totp_factor(&self, user_id: i64) -> StoreResult<Option<TotpFactor>>;
    /// Writes a pending factor, replacing a pending one; `false` if a confirmed factor exists.
    async fn put_pending_factor(&self, factor: &TotpFactor, events: &[AuditRecord]) -> StoreResult<bool>;
    /// Confirms the pending factor sealed as `factor.sealed_secret` (not one enrolled again
    /// meanwhile) with its first step, recovery codes and `confirmed_at`, marks the user
    /// `mfa_enabled` and queues `notice`, all or nothing. `false` if the condition failed.
    async fn confirm_factor(
        &self,
        factor: &TotpFactor,
        notice: &QueuedMail,
        events: &[AuditRecord],
    ) -> StoreResult<bool>;
    /// Uses `proof` on the user's confirmed factor and deletes the unexpired challenge, in one
    /// transaction: of parallel uses of one code or one challenge, one passes.
    async fn pass_challenge(
        &self,
        challenge: &MfaChallenge,
        proof: &MfaProof,
        now_epoch: i64,
        events: &[AuditRecord],
    ) -> StoreResult<ChallengeOutcome>;
    async fn create_challenge(&self, challenge: &MfaChallenge) -> StoreResult<()>;
    async fn challenge(&self, hash: &str) -> StoreResult<Option<MfaChallenge>>;
    /// Replaces the recovery codes of a confirmed factor; `false` if there is none.
    async fn replace_recovery_codes(
        &self,
        user_id: i64,
        hashes: &[String],
        events: &[AuditRecord],
    ) -> StoreResult<bool>;
    /// Deletes the factor (pending or confirmed) and clears the user's `mfa_enabled`, with
    /// `notice` queued and, when given, every token issued up to `end_tokens_at_ms` ended; all
    /// or nothing. `false` if there was no factor.
    async fn remove_factor(
        &self,
        user_id: i64,
        notice: Option<&QueuedMail>,
        end_tokens_at_ms: Option<i64>,
        events: &[AuditRecord],
    ) -> StoreResult<bool>;
}

// Rate limits ---------------------------------------------------------------------------------

/// The grant times (epoch ms) of a bucket's slots, by slot number.
pub struct RateSlots {
    pub granted_ms: Vec<(i64, i64)>,
}

/// What a rate-limit slot must hold for a claim to take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotHolds {
    /// Nothing: the slot was never used (or storage dropped it).
    Nothing,
    /// The grant read before, at this instant.
    GrantAt(i64),
    /// Nothing, or a grant at or before this instant (out of the window): no read before.
    NoGrantAfter(i64),
}

#[async_trait]
pub trait RateLimitStore {
    async fn rate_slots(&self, bucket: &str) -> StoreResult<RateSlots>;
    /// Takes `slot` for a grant at `now_ms` if it holds what `expected` says. `false` when it
    /// does not (another request took it first, or it is in use).
    async fn claim_rate_slot(
        &self,
        bucket: &str,
        slot: i64,
        expected: SlotHolds,
        now_ms: i64,
        expires_at: i64,
    ) -> StoreResult<bool>;
}

// Orgs ----------------------------------------------------------------------------------------

/// What one org holds.
#[derive(Default)]
pub struct OrgPartition {
    pub org: Option<Org>,
    pub members: Vec<Membership>,
    pub invites: Vec<Invite>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AddMemberOutcome {
    Added,
    AlreadyMember,
    UnknownUser,
    OrgGone,
    /// Another condition of the same write failed (an invite no longer pending, say).
    ExtraConditionFailed,
}

/// What a change to one membership found.
pub enum MemberChange {
    Done(Option<Membership>),
    NotFound,
    IsOwner,
}

#[async_trait]
pub trait OrgStore {
    /// The org, its unique slug and the owner's membership, together. `false` if the slug is taken.
    async fn create_org(&self, org: &Org, owner: &Membership, events: &[AuditRecord]) -> StoreResult<bool>;
    async fn org_and_membership(&self, org_id: i64, user_id: i64) -> StoreResult<(Option<Org>, Option<Membership>)>;
    async fn is_member(&self, org_id: i64, user_id: i64) -> StoreResult<bool>;
    /// The org with its members and invites.
    async fn org_partition(&self, org_id: i64) -> StoreResult<OrgPartition>;
    /// The org with its slug, memberships, invites and invite tokens. `false` if there was none.
    /// `events` go with the last transaction, the one that removes the org itself.
    async fn delete_org(&self, org_id: i64, events: &[AuditRecord]) -> StoreResult<bool>;
    async fn memberships_of(&self, user_id: i64) -> StoreResult<Vec<Membership>>;
    /// The orgs of these ids that exist, by id.
    async fn orgs(&self, ids: &[i64]) -> StoreResult<Vec<Org>>;
    /// Every org, newest first.
    async fn all_orgs(&self) -> StoreResult<Vec<Org>>;
    async fn update_org(
        &self,
        org_id: i64,
        name: Option<&str>,
        description: Option<&str>,
        require_mfa: Option<bool>,
        now: &str,
        events: &[AuditRecord],
    ) -> StoreResult<Option<Org>>;
    /// Adds a membership if the user exists, is not a member yet, and the org still exists.
    async fn add_member(&self, membership: &Membership, events: &[AuditRecord]) -> StoreResult<AddMemberOutcome>;
    /// Sets a member's role unless the member is the owner.
    async fn set_member_role(
        &self,
        org_id: i64,
        user_id: i64,
        role: OrgRole,
        events: &[AuditRecord],
    ) -> StoreResult<MemberChange>;
    /// Removes a member unless the member is the owner.
    async fn remove_member(&self, org_id: i64, user_id: i64, events: &[AuditRecord]) -> StoreResult<MemberChange>;
    /// The owner becomes admin and `to` becomes owner, or nothing changes.
    async fn transfer_ownership(&self, org_id: i64, from: i64, to: i64, events: &[AuditRecord]) -> StoreResult<bool>;
}

// Invites -------------------------------------------------------------------------------------

pub enum AcceptOutcome {
    Accepted,
    AlreadyMember,
    NotPending,
}

#[async_trait]
pub trait InviteStore {
    /// A pending invite (one per email and org), its token and its mail. `false` if a live
    /// pending invite for the email exists.
    async fn create_pending_invite(
        &self,
        invite: &Invite,
        mail: &QueuedMail,
        now_epoch: i64,
        events: &[AuditRecord],
    ) -> StoreResult<bool>;
    /// An existing user joins at once; the invite is kept as accepted.
    async fn create_accepted_invite(
        &self,
        invite: &Invite,
        membership: &Membership,
        events: &[AuditRecord],
    ) -> StoreResult<AddMemberOutcome>;
    async fn invite(&self, org_id: i64, invite_id: i64) -> StoreResult<Option<Invite>>;
    async fn invite_by_token(&self, hash: &str) -> StoreResult<Option<Invite>>;
    /// Marks a pending, unexpired invite accepted and adds the membership, once.
    async fn accept_invite(
        &self,
        invite: &Invite,
        membership: &Membership,
        now_epoch: i64,
        events: &[AuditRecord],
    ) -> StoreResult<AcceptOutcome>;
    /// Deletes a pending invite with its token. `false` if it was no longer pending.
    async fn revoke_invite(&self, invite: &Invite, now_epoch: i64, events: &[AuditRecord]) -> StoreResult<bool>;
    /// Pending invites for an email.
    async fn pending_invites_for(&self, email: &str) -> StoreResult<Vec<Invite>>;
}

// Mail ----------------------------------------------------------------------------------------

/// The mailer's side of the queue (the other side is the token-writing transactions above).
#[async_trait]
pub trait MailStore {
    async fn mail(&self, id: &str) -> StoreResult<Option<QueuedMail>>;
    /// Marks it sent, counting `attempts` more; without `keep_content` the sealed content goes.
    async fn mail_sent(
        &self,
        id: &str,
        attempts: i64,
        sent_at: &str,
        keep_content: bool,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// Records a failure (unless it was sent meanwhile); `final_` drops the sealed content.
    async fn mail_failed(
        &self,
        id: &str,
        attempts: i64,
        error: &str,
        final_: bool,
        events: &[AuditRecord],
    ) -> StoreResult<()>;
    /// Captured mail (`MAIL_TRANSPORT=capture`), newest first, optionally only that to `to`.
    async fn captured_mail(&self, to: Option<&str>) -> StoreResult<Vec<QueuedMail>>;
}

// Audit ---------------------------------------------------------------------------------------

/// Which events a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditScope {
    /// Every event (global admins).
    All,
    /// One org's events.
    Org(i64),
    /// One user's security log.
    SecurityLog(i64),
}

/// One page of audit events, newest first; every filter given must hold.
#[derive(Debug, Clone)]
pub struct AuditQuery {
    pub scope: AuditScope,
    pub event_type: Option<String>,
    pub actor_id: Option<i64>,
    pub org_id: Option<i64>,
    /// `target_type` and `target_id` as one string, `AuditEvent::target_key`'s `"user#5"`.
    pub target: Option<String>,
    /// Timestamps (`clock::format_timestamp`), both inclusive.
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: i32,
    pub after: Option<AuditCursor>,
}

/// Where an audit listing resumes: after the event at this position (`<timestamp>#<event id>`,
/// the last one the previous page read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCursor(pub String);

impl AuditCursor {
    /// An opaque, URL-safe form of the cursor for `X-Next-Cursor`.
    pub fn encode(&self) -> String {
        Base64UrlUnpadded::encode_string(self.0.as_bytes())
    }

    /// `None` for anything `encode` did not produce.
    pub fn decode(text: &str) -> Option<AuditCursor> {
        let position = String::from_utf8(Base64UrlUnpadded::decode_vec(text).ok()?).ok()?;
        let (timestamp, id) = position.split_once('#')?;
        let well_formed = chrono::DateTime::parse_from_rfc3339(timestamp).is_ok()
            && !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_hexdigit());
        well_formed.then_some(AuditCursor(position))
    }
}

#[async_trait]
pub trait AuditStore {
    /// Stores events that record no change (a failed login), each on its own, and logs them.
    async fn record(&self, events: &[AuditRecord]) -> StoreResult<()>;
    /// One page of events, newest first, in at most two DynamoDB calls; the cursor is `None`
    /// once nothing older is left. A page may hold fewer than `limit` events (filters are
    /// applied to what the calls read) and still have a cursor.
    async fn audit_events(&self, query: &AuditQuery) -> StoreResult<(Vec<AuditRecord>, Option<AuditCursor>)>;
}

/// Everything the domain needs from storage; `App::store` is one of these.
pub trait Ports:
    IdStore
    + UserStore
    + CredentialStore
    + AccountStore
    + SessionStore
    + MfaStore
    + RateLimitStore
    + OrgStore
    + InviteStore
    + MailStore
    + AuditStore
    + Send
    + Sync
{
}

impl<T> Ports for T where
    T: IdStore
        + UserStore
        + CredentialStore
        + AccountStore
        + SessionStore
        + MfaStore
        + RateLimitStore
        + OrgStore
        + InviteStore
        + MailStore
        + AuditStore
        + Send
        + Sync
{
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_its_encoding_and_nothing_else_decodes() {
        let cursor = UserCursor {
            created_at: "2024-01-02T03:04:05.000000Z".into(),
            id: 42,
        };
        assert_eq!(UserCursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(UserCursor::decode("garbage"), None);
        let extra = Base64UrlUnpadded::encode_string(br#"{"created_at":"x","id":1,"more":2}"#);
        assert_eq!(UserCursor::decode(&extra), None);
    }

    #[test]
    fn an_audit_cursor_survives_its_encoding_and_nothing_else_decodes() {
        let cursor = AuditCursor("2026-01-02T03:04:05.000000Z#0a1b2c".into());
        assert_eq!(AuditCursor::decode(&cursor.encode()), Some(cursor));
        for bad in [
            "garbage",
            "x#1",
            "2026-01-02T03:04:05Z#not-hex",
            "2026-01-02T03:04:05Z#",
        ] {
            let text = Base64UrlUnpadded::encode_string(bad.as_bytes());
            assert_eq!(AuditCursor::decode(&text), None, "{bad}");
        }
    }

    #[test]
    fn failures_are_forgotten_after_the_lock_period_and_lock_at_the_limit() {
        let seen = FailureCount {
            failures: 5,
            last_failure_ms: 1_000,
        };
        assert!(!seen.is_stale(60_999, 60_000));
        assert!(seen.is_stale(61_000, 60_000));
        assert!(
            !FailureCount::default().is_stale(i64::MAX / 2, 60_000),
            "nothing to forget"
        );
        assert!(seen.is_locked(5) && !seen.is_locked(6));
        assert_eq!(failure_expiry(1_500, 60_000), 62);
    }

    fn count(failures: i64, last_failure_ms: i64) -> FailureCount {
        FailureCount {
            failures,
            last_failure_ms,
        }
    }

    #[test]
    fn an_attempt_takes_the_next_slot_until_the_limit() {
        let lock_ms = 60_000;
        let first = Reservation::plan(FailureCount::default(), 100_000, lock_ms, 5).unwrap();
        assert!(first.restart);
        assert_eq!(first.apply(FailureCount::default()), Some(1));
        assert_eq!((first.stale_at_ms, first.expires_at), (40_000, 161));

        let third = Reservation::plan(count(2, 90_000), 100_000, lock_ms, 5).unwrap();
        assert!(!third.restart);
        assert_eq!(third.apply(count(2, 90_000)), Some(3));
        // Parallel attempts took slots meanwhile: the write still counts against the limit.
        assert_eq!(third.apply(count(4, 99_000)), Some(5));
        assert_eq!(third.apply(count(5, 99_000)), None, "the limit holds at the write");
        assert_eq!(
            third.apply(FailureCount::default()),
            Some(1),
            "cleared meanwhile: the first slot"
        );
        assert_eq!(
            third.apply(count(4, 40_000)),
            None,
            "gone stale meanwhile: re-read and restart"
        );
    }

    #[test]
    fn a_locked_email_takes_nothing_until_the_lock_period_ends() {
        let lock_ms = 60_000;
        assert_eq!(Reservation::plan(count(5, 50_000), 100_000, lock_ms, 5), None);
        assert_eq!(Reservation::plan(count(7, 50_000), 109_999, lock_ms, 5), None);
        let after = Reservation::plan(count(5, 50_000), 110_000, lock_ms, 5).unwrap();
        assert!(after.restart, "stale attempts count as reset");
        assert_eq!(after.apply(count(5, 50_000)), Some(1));
        assert_eq!(
            after.apply(count(1, 110_000)),
            None,
            "another attempt restarted it first: re-read and take the next slot"
        );
    }
}
