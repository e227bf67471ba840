//! Mail: what a message says (its kind and secret parts), the queue item that carries it, and
//! what a message looks like once rendered.

use serde::{Deserialize, Serialize};

/// A one-time token on its way to a mailbox. Its `Debug` never shows it, so neither can a log
/// line that prints the content it travels in.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MailSecret(pub String);

impl std::fmt::Debug for MailSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailSecret([redacted])")
    }
}

/// What a message says, before it is rendered: its kind and the values its template needs. While
/// queued, this is what the item holds encrypted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MailContent {
    Verification {
        token: MailSecret,
        expire_hours: i64,
    },
    PasswordReset {
        token: MailSecret,
        expire_minutes: i64,
    },
    /// A reset was asked for an address with no active account (sent so that both cases cost the
    /// same, and so the owner of the address learns of it).
    UnknownAccountReset,
    Invite {
        token: MailSecret,
        org_name: String,
        inviter: String,
        role: String,
        /// RFC 3339.
        expires_at: String,
    },
    /// An invite of an existing account by user id (`ORG_MEMBER_CONSENT=true`): no token; the
    /// user accepts or declines once signed in.
    InviteToAccount {
        org_name: String,
        inviter: String,
        role: String,
        /// RFC 3339.
        expires_at: String,
    },
    /// The password changed: by a reset (every session ended) or by its owner while signed in
    /// (`kept_signed_in`: every session but that one ended).
    PasswordChanged {
        /// RFC 3339.
        changed_at: String,
        #[serde(default)]
        kept_signed_in: bool,
    },
    /// To the address a signed-in user asked to move their account to: the link that confirms it.
    EmailChange {
        token: MailSecret,
        expire_hours: i64,
    },
    /// To the account's current address when a move to `new_email` is asked for.
    EmailChangeRequested {
        new_email: String,
    },
    /// To an address that already has an account when someone asks to move another account to it
    /// (sent instead of a token, so the answer to the request reveals nothing).
    EmailChangeAddressTaken,
    /// A second factor (TOTP) was enabled on the account.
    MfaEnabled {
        /// RFC 3339.
        changed_at: String,
    },
    /// The second factor was removed, by the user or (`by_admin`) by an administrator.
    MfaDisabled {
        /// RFC 3339.
        changed_at: String,
        by_admin: bool,
    },
}

impl MailContent {
    /// The kind, as stored in the clear on the item and shown in logs.
    pub fn kind(&self) -> &'static str {
        match self {
            MailContent::Verification { .. } => "verification",
            MailContent::PasswordReset { .. } => "password_reset",
            MailContent::UnknownAccountReset => "unknown_account_reset",
            MailContent::Invite { .. } => "invite",
            MailContent::InviteToAccount { .. } => "invite_to_account",
            MailContent::PasswordChanged { .. } => "password_changed",
            MailContent::EmailChange { .. } => "email_change",
            MailContent::EmailChangeRequested { .. } => "email_change_requested",
            MailContent::EmailChangeAddressTaken => "email_change_address_taken",
            MailContent::MfaEnabled { .. } => "mfa_enabled",
            MailContent::MfaDisabled { .. } => "mfa_disabled",
        }
    }
}

/// Where a message stands. `queued` → `sent`; a failed attempt makes it `failed` (with
/// `attempts` and `last_error`) until a retry sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    Queued,
    Sent,
    Failed,
}

/// A queue item: the message's secret parts sealed (AES-256-GCM), the rest in the clear. Once
/// sent, `sealed` is gone and only the status and metadata stay, until `expires_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedMail {
    pub id: String,
    pub to: String,
    pub kind: String,
    pub created_at: String,
    pub status: MailStatus,
    #[serde(default)]
    pub attempts: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    /// Base64 of nonce ‖ ciphertext ‖ tag; `None` once delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
    /// Listed by `gatehouse auth outbox` (written so under `MAIL_TRANSPORT=capture`), where the
    /// body stays after "delivery".
    #[serde(default)]
    pub captured: bool,
    pub expires_at: i64,
}

/// A message ready for a transport.
#[derive(Clone, PartialEq)]
pub struct RenderedMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for RenderedMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderedMail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// A message as `gatehouse auth outbox` shows it (the plain-text body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    pub status: MailStatus,
    pub expires_at: i64,
}
