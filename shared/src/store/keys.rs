//! Every key of the table, in one place: the item schema at a glance. No other file formats a
//! key, an index attribute or a prefix.
//!
//! One table, keys `pk` / `sk` (strings), one index `gsi1` (`gsi1pk` / `gsi1sk`), TTL on
//! `expires_at` (epoch seconds; DynamoDB deletes late, so readers still check it). Ids inside
//! sort keys are zero-padded to 12 digits so that they sort in id order.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

pub const PARTITION_KEY: &str = "pk";
pub const SORT_KEY: &str = "sk";
/// Epoch seconds; DynamoDB deletes the item some time after (reads must still check it).
pub const TTL_ATTRIBUTE: &str = "expires_at";
pub const INDEX: &str = "gsi1";
pub const INDEX_PARTITION_KEY: &str = "gsi1pk";
pub const INDEX_SORT_KEY: &str = "gsi1sk";

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([(PARTITION_KEY.to_string(), s(pk)), (SORT_KEY.to_string(), s(sk))])
}

/// Sets an item's place in `gsi1`.
fn index(item: &mut Item, pk: String, sk: String) {
    item.insert(INDEX_PARTITION_KEY.into(), s(pk));
    item.insert(INDEX_SORT_KEY.into(), s(sk));
}

// Users -------------------------------------------------------------------------------------

/// A user: `USER#<id>` / `PROFILE`; in `gsi1` as `USERS` / `<created_at>#<id>`, the listing
/// (newest first by reading it backwards). Its sessions share the partition.
pub(crate) fn user(id: i64) -> Item {
    key(user_pk(id), "PROFILE")
}

fn user_pk(id: i64) -> String {
    format!("USER#{id}")
}

const USERS: &str = "USERS";

pub(crate) fn index_user(item: &mut Item, created_at: &str, id: i64) {
    index(item, USERS.into(), user_listing_sk(created_at, id));
}

fn user_listing_sk(created_at: &str, id: i64) -> String {
    format!("{created_at}#{id:012}")
}

/// The user listing's partition of `gsi1`.
pub(crate) const USER_LISTING: &str = USERS;

/// The full key (table and index) of a user in the listing: where a page resumes.
pub(crate) fn user_listing_position(created_at: &str, id: i64) -> Item {
    let mut item = user(id);
    index_user(&mut item, created_at, id);
    item
}

/// An email's guard, which keeps emails unique: `EMAIL#<email>` / `EMAIL`, with `user_id`.
pub(crate) fn email_guard(email: &str) -> Item {
    key(format!("EMAIL#{email}"), "EMAIL")
}

/// The marker that makes exactly one user ever the first admin: `META#FIRST_ADMIN` / `META`,
/// with `user_id`.
pub(crate) fn first_admin() -> Item {
    key("META#FIRST_ADMIN".into(), "META")
}

/// A revoked access token: `JTI#<jti>` / `REVOKED`, expiring with the token.
pub(crate) fn revoked_token(jti: &str) -> Item {
    key(format!("JTI#{jti}"), "REVOKED")
}

/// A named counter for ids: `COUNTER#<name>` / `COUNTER`, with `value`.
pub(crate) fn counter(name: &str) -> Item {
    key(format!("COUNTER#{name}"), "COUNTER")
}

// Sessions ----------------------------------------------------------------------------------

const SESSION_PREFIX: &str = "SESSION#";

/// A session (refresh-token family): in its user's partition, `USER#<id>` / `SESSION#<id>`.
pub(crate) fn session(user_id: i64, session_id: &str) -> Item {
    key(user_pk(user_id), format!("{SESSION_PREFIX}{session_id}"))
}

/// The partition and sort-key prefix of a user's sessions.
pub(crate) fn sessions_of(user_id: i64) -> (String, &'static str) {
    (user_pk(user_id), SESSION_PREFIX)
}

/// A refresh token, by its SHA-256: `REFRESH#<hash>` / `REFRESH`, naming family and generation.
pub(crate) fn refresh_token(hash: &str) -> Item {
    key(format!("REFRESH#{hash}"), "REFRESH")
}

// Second factor -------------------------------------------------------------------------------

const TOTP_FACTOR_SK: &str = "MFA#TOTP";

/// A user's TOTP factor, in the user's partition: `USER#<id>` / `MFA#TOTP`, with the sealed
/// secret, the last step used and the recovery codes' hashes (a string set).
pub(crate) fn totp_factor(user_id: i64) -> Item {
    key(user_pk(user_id), TOTP_FACTOR_SK)
}

/// A login's second-step challenge, by its SHA-256: `MFA_CHALLENGE#<hash>` / `MFA_CHALLENGE`,
/// with `user_id`, expiring.
pub(crate) fn mfa_challenge(hash: &str) -> Item {
    key(format!("MFA_CHALLENGE#{hash}"), "MFA_CHALLENGE")
}

// Credentials: one-time tokens, lockout, rate windows ------------------------------------------

/// A one-time token (password reset, email verification, email change), by its SHA-256:
/// `TOKEN#<hash>` / `TOKEN`, expiring; the user's `reset_token_hash` / `verification_token_hash` /
/// `email_change_token_hash` names the live one.
pub(crate) fn one_time_token(hash: &str) -> Item {
    key(format!("TOKEN#{hash}"), "TOKEN")
}

/// Login failures for an email (or another lockout subject): `LOCKOUT#<subject>` / `LOCKOUT`,
/// with `failures` and `last_failure_ms`, expiring.
pub(crate) fn lockout(subject: &str) -> Item {
    key(format!("LOCKOUT#{subject}"), "LOCKOUT")
}

/// A rate-limit bucket is a partition `RATE#<bucket>` of slots `SLOT#<n>`, each with the
/// `granted_ms` of the grant that holds it, expiring.
pub(crate) fn rate_bucket(bucket: &str) -> String {
    format!("RATE#{bucket}")
}

pub(crate) fn rate_slot(bucket: &str, slot: i64) -> Item {
    key(rate_bucket(bucket), format!("SLOT#{slot}"))
}

/// The slot number of a rate-slot item, from its sort key.
pub(crate) fn slot_number(item: &Item) -> Option<i64> {
    sort_key(item)?.strip_prefix("SLOT#")?.parse().ok()
}

// Mail --------------------------------------------------------------------------------------

/// A queued message: `MAIL#<id>` / `MAIL`, expiring. The mailer's stream filter in
/// `template.yaml` (and the local relay's) selects inserted items by this prefix.
pub const MAIL_PREFIX: &str = "MAIL#";

pub(crate) fn mail(id: &str) -> Item {
    key(format!("{MAIL_PREFIX}{id}"), "MAIL")
}

/// The id of the mail item whose partition key is `pk` (as a stream record names it).
pub fn mail_id(pk: &str) -> Option<&str> {
    pk.strip_prefix(MAIL_PREFIX)
}

/// Under `MAIL_TRANSPORT=capture`, mail is also in `gsi1` as `OUTBOX` / `<created_at>#<id>`
/// (newest first by reading it backwards): what `gatehouse auth outbox` lists.
pub(crate) const OUTBOX: &str = "OUTBOX";

pub(crate) fn index_captured_mail(item: &mut Item, created_at: &str, id: &str) {
    index(item, OUTBOX.into(), format!("{created_at}#{id}"));
}

// Orgs, memberships, invites ------------------------------------------------------------------

/// An org's partition `ORG#<id>` holds the org (`ORG`), its members (`MEMBER#<user id>`), its
/// invites (`INVITE#<invite id>`) and each pending invite's email guard (`INVITE_EMAIL#<email>`).
pub(crate) fn org_partition(org_id: i64) -> String {
    format!("ORG#{org_id}")
}

const ORG_SK: &str = "ORG";

/// The org: `ORG#<id>` / `ORG`; in `gsi1` as `ORGS` / `<created_at>#<id>` (every org).
pub(crate) fn org(org_id: i64) -> Item {
    key(org_partition(org_id), ORG_SK)
}

pub(crate) const ALL_ORGS: &str = "ORGS";

pub(crate) fn index_org(item: &mut Item, created_at: &str, org_id: i64) {
    index(item, ALL_ORGS.into(), format!("{created_at}#{org_id:012}"));
}

/// A membership: `ORG#<org>` / `MEMBER#<user>`; in `gsi1` as `MEMBER_OF#<user>` / `ORG#<org>`
/// (a user's orgs).
pub(crate) fn member(org_id: i64, user_id: i64) -> Item {
    key(org_partition(org_id), format!("MEMBER#{user_id:012}"))
}

pub(crate) fn memberships_of(user_id: i64) -> String {
    format!("MEMBER_OF#{user_id}")
}

pub(crate) fn index_member(item: &mut Item, org_id: i64, user_id: i64) {
    index(item, memberships_of(user_id), format!("ORG#{org_id:012}"));
}

/// An invite: `ORG#<org>` / `INVITE#<id>`; while pending, in `gsi1` as `INVITE_FOR#<email>` /
/// `ORG#<org>#INVITE#<id>` (an email's pending invites).
pub(crate) fn invite(org_id: i64, invite_id: i64) -> Item {
    key(org_partition(org_id), format!("INVITE#{invite_id:012}"))
}

pub(crate) fn invites_for(email: &str) -> String {
    format!("INVITE_FOR#{email}")
}

pub(crate) fn index_pending_invite(item: &mut Item, email: &str, org_id: i64, invite_id: i64) {
    index(
        item,
        invites_for(email),
        format!("ORG#{org_id:012}#INVITE#{invite_id:012}"),
    );
}

/// One pending invite per email and org: `ORG#<org>` / `INVITE_EMAIL#<email>`, with
/// `invite_id`, expiring with the invite.
pub(crate) fn invite_email_guard(org_id: i64, email: &str) -> Item {
    key(org_partition(org_id), format!("INVITE_EMAIL#{email}"))
}

/// An invite's token, by its SHA-256: `INVITE_TOKEN#<hash>` / `INVITE_TOKEN`, with `org_id`
/// and `invite_id`, expiring with the invite.
pub(crate) fn invite_token(hash: &str) -> Item {
    key(format!("INVITE_TOKEN#{hash}"), "INVITE_TOKEN")
}

/// A slug's guard, which keeps slugs unique: `SLUG#<slug>` / `SLUG`, with `org_id`.
pub(crate) fn slug_guard(slug: &str) -> Item {
    key(format!("SLUG#{slug}"), "SLUG")
}

/// What an item of an org's partition is, by its sort key.
pub(crate) enum OrgPart {
    Org,
    Member,
    Invite,
    Other,
}

pub(crate) fn org_part(item: &Item) -> OrgPart {
    match sort_key(item) {
        Some(ORG_SK) => OrgPart::Org,
        Some(sk) if sk.starts_with("MEMBER#") => OrgPart::Member,
        Some(sk) if sk.starts_with("INVITE#") => OrgPart::Invite,
        _ => OrgPart::Other,
    }
}

// Audit events ------------------------------------------------------------------------------

/// An audit event is stored in up to two items, each listing it in partitions read newest
/// first by its sort key `<timestamp>#<event id>` (the event's *position*):
/// - the event: `AUDIT#<shard>` / position, every event (the global log), split over
///   `AUDIT_SHARDS` partitions by event id so that no one partition takes every write; in
///   `gsi1` as `AUDIT_ACTOR#<user id>` / position when a user did it;
/// - its copy in its org's log, `AUDIT_ORG#<org id>` / position, or else in a user's security
///   log, `AUDIT_USER#<user id>` / position (an event names at most one of them).
pub const AUDIT_SHARDS: u32 = 2;

/// Where one event sorts in each of its partitions.
pub(crate) fn audit_position(timestamp: &str, id: &str) -> String {
    format!("{timestamp}#{id}")
}

/// The global log's shard of an event, from its id (hex: random, so writes spread evenly).
pub(crate) fn audit_shard(position: &str) -> u32 {
    let id = position.rsplit('#').next().unwrap_or_default();
    id.bytes().last().map_or(0, |b| u32::from(b) % AUDIT_SHARDS)
}

pub(crate) fn audit_log(shard: u32) -> String {
    format!("AUDIT#{shard}")
}

pub(crate) fn audit_by_actor(user_id: i64) -> String {
    format!("AUDIT_ACTOR#{user_id}")
}

pub(crate) fn audit_of_org(org_id: i64) -> String {
    format!("AUDIT_ORG#{org_id}")
}

pub(crate) fn audit_security_log(user_id: i64) -> String {
    format!("AUDIT_USER#{user_id}")
}

/// An event's key in the global log.
pub(crate) fn audit_event(position: &str) -> Item {
    key(audit_log(audit_shard(position)), position)
}

/// The key of an event's copy in an org's log or a security log (`partition`).
pub(crate) fn audit_copy(partition: String, position: &str) -> Item {
    key(partition, position)
}

/// Sets an event's place in `gsi1` (by actor).
pub(crate) fn index_audit_actor(item: &mut Item, actor_id: i64, position: &str) {
    index(item, audit_by_actor(actor_id), position.into());
}

/// Which list of events a query reads: a partition of the table, or of `gsi1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuditLane {
    pub in_index: bool,
    pub partition: String,
}

impl AuditLane {
    pub fn index_name(&self) -> Option<&'static str> {
        self.in_index.then_some(INDEX)
    }

    pub fn key_names(&self) -> (&'static str, &'static str) {
        if self.in_index {
            (INDEX_PARTITION_KEY, INDEX_SORT_KEY)
        } else {
            (PARTITION_KEY, SORT_KEY)
        }
    }

    /// Where a query of this lane resumes after `position` (`ExclusiveStartKey`): in the
    /// table, the lane's partition at that position; in the index, the event's own key too.
    pub fn start_after(&self, position: &str) -> Item {
        let mut start = audit_event(position);
        let (pk, sk) = self.key_names();
        start.insert(pk.into(), s(self.partition.clone()));
        start.insert(sk.into(), s(position));
        start
    }

    /// The position of an item (or a `LastEvaluatedKey`) of this lane.
    pub fn position_of<'a>(&self, item: &'a Item) -> Option<&'a str> {
        item.get(self.key_names().1)?.as_s().ok().map(String::as_str)
    }
}

// Reading keys back -------------------------------------------------------------------------

fn partition_key(item: &Item) -> Option<&str> {
    item.get(PARTITION_KEY)?.as_s().ok().map(String::as_str)
}

fn sort_key(item: &Item) -> Option<&str> {
    item.get(SORT_KEY)?.as_s().ok().map(String::as_str)
}

/// Just the key of an item.
pub(crate) fn key_of(item: &Item) -> Item {
    item.iter()
        .filter(|(name, _)| *name == PARTITION_KEY || *name == SORT_KEY)
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// Every kind of item the table holds, for tests and tools that read raw state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    User,
    EmailGuard,
    FirstAdmin,
    RevokedToken,
    Counter,
    Session,
    RefreshToken,
    OneTimeToken,
    TotpFactor,
    MfaChallenge,
    Lockout,
    RateSlot,
    Mail,
    Org,
    Member,
    Invite,
    InviteEmailGuard,
    InviteToken,
    SlugGuard,
    AuditEvent,
    Unknown,
}

/// What an item is, by its key.
pub fn kind_of(item: &Item) -> ItemKind {
    let (Some(pk), Some(sk)) = (partition_key(item), sort_key(item)) else {
        return ItemKind::Unknown;
    };
    let family = pk.split_once('#').map_or(pk, |(family, _)| family);
    match (family, sk) {
        ("USER", "PROFILE") => ItemKind::User,
        ("USER", sk) if sk.starts_with(SESSION_PREFIX) => ItemKind::Session,
        ("USER", TOTP_FACTOR_SK) => ItemKind::TotpFactor,
        ("MFA_CHALLENGE", _) => ItemKind::MfaChallenge,
        ("EMAIL", _) => ItemKind::EmailGuard,
        ("META", _) if pk == "META#FIRST_ADMIN" => ItemKind::FirstAdmin,
        ("JTI", _) => ItemKind::RevokedToken,
        ("COUNTER", _) => ItemKind::Counter,
        ("REFRESH", _) => ItemKind::RefreshToken,
        ("TOKEN", _) => ItemKind::OneTimeToken,
        ("LOCKOUT", _) => ItemKind::Lockout,
        ("RATE", _) => ItemKind::RateSlot,
        ("MAIL", "MAIL") => ItemKind::Mail,
        ("ORG", ORG_SK) => ItemKind::Org,
        ("ORG", sk) if sk.starts_with("MEMBER#") => ItemKind::Member,
        ("ORG", sk) if sk.starts_with("INVITE#") => ItemKind::Invite,
        ("ORG", sk) if sk.starts_with("INVITE_EMAIL#") => ItemKind::InviteEmailGuard,
        ("INVITE_TOKEN", _) => ItemKind::InviteToken,
        ("SLUG", _) => ItemKind::SlugGuard,
        ("AUDIT" | "AUDIT_ORG" | "AUDIT_USER", _) => ItemKind::AuditEvent,
        _ => ItemKind::Unknown,
    }
}

/// The subject of a lockout item (the email it counts failures for).
pub fn lockout_subject(item: &Item) -> Option<&str> {
    partition_key(item)?.strip_prefix("LOCKOUT#")
}

/// The slug a slug guard holds.
pub(crate) fn guarded_slug(item: &Item) -> Option<&str> {
    partition_key(item)?.strip_prefix("SLUG#")
}

/// The org whose partition holds `item`.
pub(crate) fn org_of_partition(item: &Item) -> Option<i64> {
    partition_key(item)?.strip_prefix("ORG#")?.parse().ok()
}

/// The email an email guard holds.
pub fn guarded_email(item: &Item) -> Option<&str> {
    partition_key(item)?.strip_prefix("EMAIL#")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_reads_back_as_its_kind() {
        let cases = [
            (user(1), ItemKind::User),
            (email_guard("a@b.c"), ItemKind::EmailGuard),
            (first_admin(), ItemKind::FirstAdmin),
            (revoked_token("j"), ItemKind::RevokedToken),
            (counter("user"), ItemKind::Counter),
            (session(1, "s"), ItemKind::Session),
            (refresh_token("h"), ItemKind::RefreshToken),
            (one_time_token("h"), ItemKind::OneTimeToken),
            (totp_factor(1), ItemKind::TotpFactor),
            (mfa_challenge("h"), ItemKind::MfaChallenge),
            (lockout("a@b.c"), ItemKind::Lockout),
            (rate_slot("login:1", 3), ItemKind::RateSlot),
            (mail("id"), ItemKind::Mail),
            (org(1), ItemKind::Org),
            (member(1, 2), ItemKind::Member),
            (invite(1, 2), ItemKind::Invite),
            (invite_email_guard(1, "a@b.c"), ItemKind::InviteEmailGuard),
            (invite_token("h"), ItemKind::InviteToken),
            (slug_guard("acme"), ItemKind::SlugGuard),
            (
                audit_event(&audit_position("2026-01-01T00:00:00.000000Z", "ab")),
                ItemKind::AuditEvent,
            ),
            (audit_copy(audit_of_org(1), "p"), ItemKind::AuditEvent),
            (audit_copy(audit_security_log(1), "p"), ItemKind::AuditEvent),
        ];
        for (item, kind) in cases {
            assert_eq!(kind_of(&item), kind, "{item:?}");
        }
        assert_eq!(slot_number(&rate_slot("b", 7)), Some(7));
        assert_eq!(lockout_subject(&lockout("a@b.c")), Some("a@b.c"));
        assert_eq!(guarded_email(&email_guard("a@b.c")), Some("a@b.c"));
        assert_eq!(mail_id(partition_key(&mail("m-1")).unwrap()), Some("m-1"));
    }

    #[test]
    fn member_and_invite_keys_sort_in_id_order() {
        let sk = |item: Item| sort_key(&item).unwrap().to_string();
        assert!(sk(member(1, 9)) < sk(member(1, 10)));
        assert!(sk(invite(1, 9)) < sk(invite(1, 10)));
    }
}
