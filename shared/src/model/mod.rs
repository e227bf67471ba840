//! Plain value types and parsed inputs: no I/O, and no dependency on any other module of the
//! crate. Parse, don't validate: holding an `Email`, a `Password` or an `OrgName` means it was
//! checked, so nothing downstream checks (or unwraps) again.

pub mod caller;
pub mod email;
pub mod field_error;
pub mod keys;
pub mod mail;
pub mod mfa;
pub mod names;
pub mod org;
pub mod password;
pub mod roles;
pub mod session;
pub mod settings;
pub mod token;
pub mod user;

pub use caller::{Actor, Caller};
pub use email::Email;
pub use field_error::FieldError;
pub use keys::{KeyEntry, KeyInfo, KeySetDocument, KeyState, SigningAlgorithm};
pub use mail::{MailContent, MailSecret, MailStatus, OutboxMessage, QueuedMail, RenderedMail};
pub use mfa::{
    MfaChallenge, MfaProof, RecoveryCode, TotpCode, TotpEnrolment, TotpFactor, AMR_OTP, AMR_PASSWORD,
    RECOVERY_CODE_CHARS,
};
pub use names::{FullName, NewOrg, OrgDescription, OrgName, Slug};
pub use org::{Invite, InviteStatus, InviteView, MemberDetail, Membership, Org, ReceivedInvite, UserMembership};
pub use password::Password;
pub use roles::{OrgRole, Role};
pub use session::{Origin, RefreshRecord, Session, SessionView, TokenPair};
pub use settings::{AcceptanceMode, AutoAccept, KeySource, MailTransport, OriginList, RateLimit, SmtpTls, WebOrigin};
pub use token::{AccessClaims, OneTimeToken, Purpose};
pub use user::{Registration, User, UserView};
