//! Global roles (`admin` > `moderator` > `user`) and org roles (`owner` > `admin` > `member`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Moderator,
    User,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Moderator, Role::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Moderator => "moderator",
            Role::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// Ordered by rank: `Member < Admin < Owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgRole {
    Member,
    Admin,
    Owner,
}

impl OrgRole {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Member => "member",
            OrgRole::Admin => "admin",
            OrgRole::Owner => "owner",
        }
    }

    pub fn parse(text: &str) -> Option<OrgRole> {
        [OrgRole::Member, OrgRole::Admin, OrgRole::Owner]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        for role in [OrgRole::Member, OrgRole::Admin, OrgRole::Owner] {
            assert_eq!(OrgRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(OrgRole::parse("superuser"), None);
    }

    #[test]
    fn org_roles_are_ordered_by_rank() {
        assert!(OrgRole::Member < OrgRole::Admin && OrgRole::Admin < OrgRole::Owner);
    }
}
