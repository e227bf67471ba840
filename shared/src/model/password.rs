//! A new password that meets the policy: 8 to 128 characters (never truncated) and not one of the
//! most common passwords. It lives in a `SecretString`, so it is never `Debug`-printed.

use super::field_error::FieldError;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashSet;
use std::sync::OnceLock;

pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 128;

/// The most common passwords of at least 8 characters (top 10,000 of Django's list), lower-cased.
static COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().collect())
}

/// `Debug` shows `[REDACTED]`, never the password.
#[derive(Debug)]
pub struct Password(SecretString);

impl Password {
    /// Checks `raw` against the policy; `field` names it in the 422 body.
    pub fn parse(raw: String, field: &str) -> Result<Password, FieldError> {
        let length = raw.chars().count();
        if length < MIN_LENGTH {
            return Err(FieldError::too_short(&["body", field], MIN_LENGTH));
        }
        if length > MAX_LENGTH {
            return Err(FieldError::too_long(&["body", field], MAX_LENGTH));
        }
        if common_passwords().contains(raw.to_lowercase().as_str()) {
            return Err(FieldError::new(
                "value_error",
                &["body", field],
                "Value error, this password is too common; choose a less guessable one",
            ));
        }
        Ok(Password(SecretString::from(raw)))
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kind(raw: &str) -> Option<&'static str> {
        Password::parse(raw.to_string(), "password").err().map(|e| e.kind)
    }

    #[test]
    fn length_is_counted_in_characters_and_never_truncated() {
        assert_eq!(kind("short"), Some("string_too_short"));
        assert_eq!(kind("ééééééé1"), None);
        assert_eq!(kind(&"x".repeat(129)), Some("string_too_long"));
        let long = "xY3!".repeat(32);
        assert_eq!(Password::parse(long.clone(), "password").unwrap().expose(), long);
    }

    #[test]
    fn common_passwords_are_refused_in_any_case_and_the_seed_examples_pass() {
        assert_eq!(kind("Password1"), Some("value_error"));
        assert_eq!(kind("QWERTYUIOP"), Some("value_error"));
        for seed_example in [
            "Secret1234!",
            "Admin1234!",
            "NewSecret5678!",
            "Correct1234!",
            "Welcome1234!",
        ] {
            assert_eq!(kind(seed_example), None, "{seed_example}");
        }
    }

    #[test]
    fn the_field_is_named_in_the_error() {
        let error = Password::parse("short".into(), "new_password").unwrap_err();
        assert_eq!(error.loc, vec![json!("body"), json!("new_password")]);
        assert_eq!(error.ctx, Some(json!({ "min_length": MIN_LENGTH })));
    }
}
