//! Password policy and Argon2id hashing (OWASP parameters: the `argon2` crate's defaults).

use crate::error::FieldError;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use serde_json::json;
use std::collections::HashSet;
use std::sync::OnceLock;

pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 128;

/// The most common passwords of at least 8 characters (top 10,000 of Django's list), lower-cased.
static COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

/// A PHC string with the production parameters and random salt and output, so no password matches
/// it: logins for unknown emails verify against it and cost the same time as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$8nq4zbTvKcJbVyHq1b2k0w$E5KrCxMGXWbrxeNyAfMu3TFP3TkU4sFn2xXeDVaMWdI";

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().collect())
}

/// Checks a new password against the policy; `field` names it in the 422 body.
pub fn check_policy(password: &str, field: &str) -> Result<(), FieldError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(FieldError::new(
            "string_too_short",
            &["body", field],
            format!("String should have at least {MIN_LENGTH} characters"),
        )
        .with_ctx(json!({ "min_length": MIN_LENGTH })));
    }
    if length > MAX_LENGTH {
        return Err(FieldError::new(
            "string_too_long",
            &["body", field],
            format!("String should have at most {MAX_LENGTH} characters"),
        )
        .with_ctx(json!({ "max_length": MAX_LENGTH })));
    }
    if common_passwords().contains(password.to_lowercase().as_str()) {
        return Err(FieldError::new(
            "value_error",
            &["body", field],
            "Value error, this password is too common; choose a less guessable one",
        ));
    }
    Ok(())
}

/// Hashes off the async runtime: Argon2 takes tens of milliseconds of CPU.
pub async fn hash(password: String) -> String {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .expect("argon2 hashing with default parameters cannot fail")
            .to_string()
    })
    .await
    .expect("hashing task panicked")
}

/// Verifies against `stored`, or against the dummy hash when there is no user, so both take the
/// same time. A malformed stored hash counts as a mismatch.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let (phc, real) = match &stored {
            Some(phc) => (phc.as_str(), true),
            None => (DUMMY_HASH, false),
        };
        let matches = PasswordHash::new(phc)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        real && matches
    })
    .await
    .expect("verification task panicked")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_and_never_truncated() {
        assert_eq!(check_policy("short", "password").unwrap_err().kind, "string_too_short");
        assert!(check_policy("ééééééé1", "password").is_ok());
        assert_eq!(
            check_policy(&"x".repeat(129), "password").unwrap_err().kind,
            "string_too_long"
        );
        assert!(check_policy(&"xY3!".repeat(32), "password").is_ok());
    }

    #[test]
    fn common_passwords_are_refused_in_any_case_and_the_seed_examples_pass() {
        assert_eq!(check_policy("Password1", "password").unwrap_err().kind, "value_error");
        assert_eq!(check_policy("QWERTYUIOP", "password").unwrap_err().kind, "value_error");
        for seed_example in [
            "Secret1234!",
            "Admin1234!",
            "NewSecret5678!",
            "Correct1234!",
            "Welcome1234!",
        ] {
            assert!(check_policy(seed_example, "password").is_ok(), "{seed_example}");
        }
    }

    #[test]
    fn dummy_hash_uses_the_production_parameters() {
        let real = Argon2::default().hash_password(b"anything").unwrap().to_string();
        let params = |phc: &str| phc.rsplitn(3, '$').nth(2).unwrap().to_string();
        assert_eq!(params(DUMMY_HASH), params(&real));
    }

    #[tokio::test]
    async fn verify_accepts_only_the_right_password() {
        let stored = hash("Secret1234!".into()).await;
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("Secret1234!".into(), Some(stored.clone())).await);
        assert!(!verify("Secret1234?".into(), Some(stored)).await);
        assert!(!verify("Secret1234!".into(), None).await);
        assert!(!verify("Secret1234!".into(), Some("not a phc string".into())).await);
    }
}
