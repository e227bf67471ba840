//! Argon2id hashing (OWASP parameters: the `argon2` crate's defaults), off the async runtime.

use crate::model::Password;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};

/// A PHC string with the production parameters and random salt and output, so no password matches
/// it: logins for unknown emails verify against it and cost the same time as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$8nq4zbTvKcJbVyHq1b2k0w$E5KrCxMGXWbrxeNyAfMu3TFP3TkU4sFn2xXeDVaMWdI";

/// Hashes off the async runtime: Argon2 takes tens of milliseconds of CPU.
pub async fn hash(password: &Password) -> String {
    let password = password.secret().clone();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes())
            .expect("argon2 hashing with default parameters cannot fail")
            .to_string()
    })
    .await
    .expect("hashing task panicked")
}

/// Verifies against `stored`, or against the dummy hash when there is no user, so both take the
/// same time. A malformed stored hash counts as a mismatch.
pub async fn verify(password: SecretString, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let (phc, real) = match &stored {
            Some(phc) => (phc.as_str(), true),
            None => (DUMMY_HASH, false),
        };
        let matches = PasswordHash::new(phc)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok()
            })
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
    fn dummy_hash_uses_the_production_parameters() {
        let real = Argon2::default().hash_password(b"anything").unwrap().to_string();
        let params = |phc: &str| phc.rsplitn(3, '$').nth(2).unwrap().to_string();
        assert_eq!(params(DUMMY_HASH), params(&real));
    }

    #[tokio::test]
    async fn verify_accepts_only_the_right_password() {
        let stored = hash(&Password::parse("Secret1234!".into(), "password").unwrap()).await;
        let attempt = |raw: &str| SecretString::from(raw);
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(attempt("Secret1234!"), Some(stored.clone())).await);
        assert!(!verify(attempt("Secret1234?"), Some(stored)).await);
        assert!(!verify(attempt("Secret1234!"), None).await);
        assert!(!verify(attempt("Secret1234!"), Some("not a phc string".into())).await);
    }
}
