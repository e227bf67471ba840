//! Who is calling, established from a valid access token.

use super::token::AccessClaims;
use super::user::User;

pub struct Caller {
    pub user: User,
    pub claims: AccessClaims,
}

/// Who makes an administrative change: a signed-in user, or the operator through the admin CLI
/// (the seed function), who holds no account.
#[derive(Clone, Copy)]
pub enum Actor<'a> {
    User(&'a Caller),
    Operator,
}

impl Actor<'_> {
    pub fn user_id(self) -> Option<i64> {
        match self {
            Actor::User(caller) => Some(caller.user.id),
            Actor::Operator => None,
        }
    }
}
