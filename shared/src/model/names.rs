//! Names people type: trimmed, length-checked, never empty where a name is required. The org's
//! slug has its own grammar.

use super::field_error::FieldError;

const MAX_FULL_NAME_CHARS: usize = 255;
const MAX_ORG_NAME_CHARS: usize = 200;
const MAX_DESCRIPTION_CHARS: usize = 2000;
const MAX_SLUG_CHARS: usize = 63;

pub const INVALID_SLUG: &str =
    "Invalid slug format. Must be lowercase alphanumeric with hyphens, cannot start or end with a hyphen.";

/// A user's display name: at most 255 characters, trimmed. A blank name is no name.
#[derive(Debug, Clone, PartialEq)]
pub struct FullName(String);

impl FullName {
    /// `Ok(None)` for a blank name; `loc` names the field in the 422 body.
    pub fn parse(raw: &str, loc: &[&str]) -> Result<Option<FullName>, FieldError> {
        if raw.chars().count() > MAX_FULL_NAME_CHARS {
            return Err(FieldError::too_long(loc, MAX_FULL_NAME_CHARS));
        }
        let trimmed = raw.trim();
        Ok((!trimmed.is_empty()).then(|| FullName(trimmed.to_string())))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An org's name: at least one visible character, at most 200, trimmed.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgName(String);

impl OrgName {
    pub fn parse(raw: &str, loc: &[&str]) -> Result<OrgName, FieldError> {
        if raw.trim().is_empty() {
            return Err(FieldError::too_short(loc, 1));
        }
        if raw.chars().count() > MAX_ORG_NAME_CHARS {
            return Err(FieldError::too_long(loc, MAX_ORG_NAME_CHARS));
        }
        Ok(OrgName(raw.trim().to_string()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An org's description: at most 2000 characters, kept as given.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgDescription(String);

impl OrgDescription {
    pub fn parse(raw: String, loc: &[&str]) -> Result<OrgDescription, FieldError> {
        if raw.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(FieldError::too_long(loc, MAX_DESCRIPTION_CHARS));
        }
        Ok(OrgDescription(raw))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An org's slug: lowercase letters, digits and inner hyphens, at most 63 characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Option<Slug> {
        let valid = !raw.is_empty()
            && raw.len() <= MAX_SLUG_CHARS
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !raw.starts_with('-')
            && !raw.ends_with('-');
        valid.then(|| Slug(raw.to_string()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A parsed `OrgCreate` body.
pub struct NewOrg {
    pub name: OrgName,
    pub slug: Slug,
    pub description: Option<OrgDescription>,
    pub is_active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOC: &[&str] = &["body", "name"];

    #[test]
    fn full_names_are_trimmed_and_blank_means_none() {
        assert_eq!(
            FullName::parse("  Jane Doe ", LOC).unwrap().unwrap().into_inner(),
            "Jane Doe"
        );
        assert_eq!(FullName::parse("   ", LOC).unwrap(), None);
        assert_eq!(
            FullName::parse(&"x".repeat(256), LOC).unwrap_err().kind,
            "string_too_long"
        );
        assert!(FullName::parse(&"é".repeat(255), LOC).is_ok());
    }

    #[test]
    fn org_names_must_show_something_and_are_trimmed() {
        assert_eq!(OrgName::parse(" Acme ", LOC).unwrap().into_inner(), "Acme");
        let blank = OrgName::parse("  ", LOC).unwrap_err();
        assert_eq!(
            (blank.kind, blank.msg.as_str()),
            ("string_too_short", "String should have at least 1 character")
        );
        assert_eq!(
            OrgName::parse(&"x".repeat(201), LOC).unwrap_err().kind,
            "string_too_long"
        );
    }

    #[test]
    fn descriptions_have_a_limit() {
        assert!(OrgDescription::parse("x".repeat(2000), LOC).is_ok());
        assert_eq!(
            OrgDescription::parse("x".repeat(2001), LOC).unwrap_err().kind,
            "string_too_long"
        );
    }

    #[test]
    fn slugs_follow_their_grammar() {
        for ok in ["acme", "acme-2", "a", &"a".repeat(63)] {
            assert!(Slug::parse(ok).is_some(), "{ok}");
        }
        for bad in ["", "-acme", "acme-", "Acme", "ac me", "ac_me", &"a".repeat(64)] {
            assert!(Slug::parse(bad).is_none(), "{bad:?}");
        }
    }
}
