//! Organizations, memberships and invites: stored records and what the API shows of them.

use super::roles::OrgRole;
use serde::{Deserialize, Serialize};

/// `OrgResponse`, also the stored record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Org {
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub is_active: bool,
    pub id: i64,
    pub created_at: String,
    pub updated_at: Option<String>,
    /// Members must have signed in with a second factor to use the org's routes.
    #[serde(default)]
    pub require_mfa: bool,
}

/// `MemberResponse`, also the stored record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Membership {
    pub id: i64,
    pub organization_id: i64,
    pub user_id: i64,
    pub role: OrgRole,
    pub joined_at: String,
}

/// `MemberDetailResponse`.
#[derive(Debug, Serialize)]
pub struct MemberDetail {
    pub user_id: i64,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub role: OrgRole,
    pub joined_at: String,
}

/// `UserMembershipResponse`.
#[derive(Debug, Serialize)]
pub struct UserMembership {
    pub user_id: i64,
    pub org_name: String,
    pub org_slug: String,
    pub role: OrgRole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InviteStatus {
    Pending,
    Accepted,
}

/// The stored invite.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invite {
    pub id: i64,
    pub organization_id: i64,
    pub email: String,
    pub role: OrgRole,
    pub status: InviteStatus,
    pub invited_by: i64,
    pub created_at: String,
    pub expires_at_iso: String,
    /// Epoch seconds; the invite is void from then on.
    pub expires_epoch: i64,
    /// SHA-256 of the token, while pending (invites by user id have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_hash: Option<String>,
    /// Set for an invite of an existing user by id (`ORG_MEMBER_CONSENT=true`): only that
    /// account may accept it, and the inviter never sees its address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
}

/// `InviteResponse`; `token` only in the answer that creates a pending invite by address. An
/// invite by user id shows the `user_id` and no `email` (the inviter learns no address);
/// an invite by address shows the `email` and no `user_id` (nor whether an account exists).
#[derive(Debug, Serialize)]
pub struct InviteView {
    pub id: i64,
    pub organization_id: i64,
    pub email: Option<String>,
    pub user_id: Option<i64>,
    pub role: OrgRole,
    pub status: InviteStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub created_at: String,
    pub expires_at: String,
}

impl InviteView {
    pub fn of(invite: &Invite, token: Option<String>) -> Self {
        InviteView {
            id: invite.id,
            organization_id: invite.organization_id,
            email: invite.user_id.is_none().then(|| invite.email.clone()),
            user_id: invite.user_id,
            role: invite.role,
            status: invite.status,
            token,
            created_at: invite.created_at.clone(),
            expires_at: invite.expires_at_iso.clone(),
        }
    }
}

/// `ReceivedInviteResponse`: a pending invite as the invited user sees it.
#[derive(Debug, Serialize)]
pub struct ReceivedInvite {
    pub id: i64,
    pub organization_id: i64,
    pub org_name: String,
    pub role: OrgRole,
    pub invited_by: i64,
    pub created_at: String,
    pub expires_at: String,
}
