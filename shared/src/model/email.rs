//! Emails are trimmed, lower-cased and validated wherever they enter.

use std::fmt;

const MAX_LENGTH: usize = 254;
const MAX_LOCAL_LENGTH: usize = 64;

/// A syntactically valid, normalised email address. Holding one means it was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Accepts what a careful validator (like pydantic's `EmailStr`) accepts for a deliverable
    /// address: `local@domain.tld`, no quoting, no IP literals.
    pub fn parse(raw: &str) -> Result<Email, String> {
        let email = raw.trim().to_lowercase();
        if email.len() > MAX_LENGTH {
            return Err("The email address is too long".into());
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err("An email address must have an @-sign.".into());
        };
        if local.is_empty() || local.len() > MAX_LOCAL_LENGTH {
            return Err("The part before the @-sign is empty or too long.".into());
        }
        let local_ok = local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        if !local_ok {
            return Err("The part before the @-sign contains invalid characters.".into());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let labels_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        let tld = labels.last().copied().unwrap_or_default();
        if !labels_ok || tld.len() < 2 || !tld.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err("The part after the @-sign is not a valid domain name.".into());
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(
            Email::parse("  Jane@Example.COM ").unwrap().as_str(),
            "jane@example.com"
        );
    }

    #[test]
    fn accepts_common_shapes() {
        for ok in [
            "a@b.co",
            "first.last+tag@mail.example.org",
            "x_y-z@sub-domain.example.io",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@@b.com",
            "a b@c.com",
            ".a@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b.c",
            "a@b.123",
            "not an email",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }
}
