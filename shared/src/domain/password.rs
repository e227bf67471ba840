//! Argon2id hashing (OWASP parameters: the `argon2` crate's defaults), off the async runtime.

use crate::model::Password;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, Params};
use secrecy::{ExposeSecret, SecretString};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
    verify_and_upgrade(password, stored).await != Verdict::Mismatch
}

/// What a password check found.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Mismatch,
    /// The password matches; `upgraded` is its hash with the current parameters when the stored
    /// one was made with others (store it with the login's writes).
    Match {
        upgraded: Option<String>,
    },
}

/// As `verify`, and when the password matches a hash made with other parameters than the
/// current ones, hashes it again with them (in the same blocking task).
pub async fn verify_and_upgrade(password: SecretString, stored: Option<String>) -> Verdict {
    tokio::task::spawn_blocking(move || {
        let (phc, real) = match &stored {
            Some(phc) => (phc.as_str(), true),
            None => (DUMMY_HASH, false),
        };
        let Ok(parsed) = PasswordHash::new(phc) else {
            return Verdict::Mismatch;
        };
        let secret = password.expose_secret().as_bytes();
        if !(Argon2::default().verify_password(secret, &parsed).is_ok() && real) {
            return Verdict::Mismatch;
        }
        let upgraded = (!has_current_parameters(&parsed)).then(|| {
            Argon2::default()
                .hash_password(secret)
                .expect("argon2 hashing with default parameters cannot fail")
                .to_string()
        });
        Verdict::Match { upgraded }
    })
    .await
    .expect("verification task panicked")
}

/// Whether a PHC hash is Argon2id, version 0x13, with the current cost parameters and length.
fn has_current_parameters(parsed: &PasswordHash) -> bool {
    let current = Params::DEFAULT;
    let output_len = |p: &Params| p.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let same_params = Params::try_from(parsed).is_ok_and(|p| {
        (p.m_cost(), p.t_cost(), p.p_cost(), output_len(&p))
            == (
                current.m_cost(),
                current.t_cost(),
                current.p_cost(),
                output_len(&current),
            )
    });
    parsed.algorithm.as_str() == "argon2id" && parsed.version == Some(0x13) && same_params
}

/// How many passwords a login checked (each an Argon2 verification): one per `App`, so a test
/// can count the checks a burst of logins ran. Production never reads it.
#[derive(Clone, Default, Debug)]
pub struct CheckCount(Arc<AtomicU64>);

impl CheckCount {
    pub fn record(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
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

    #[tokio::test]
    async fn a_match_against_weaker_parameters_comes_with_a_current_hash() {
        let weak = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        )
        .hash_password(b"Secret1234!")
        .unwrap()
        .to_string();
        assert!(weak.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"));
        let Verdict::Match {
            upgraded: Some(upgraded),
        } = verify_and_upgrade(SecretString::from("Secret1234!"), Some(weak.clone())).await
        else {
            panic!("a match with an upgrade");
        };
        assert!(upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{upgraded}");
        assert!(verify(SecretString::from("Secret1234!"), Some(upgraded.clone())).await);
        assert_eq!(
            verify_and_upgrade(SecretString::from("Secret1234!"), Some(upgraded)).await,
            Verdict::Match { upgraded: None },
            "a current hash stays"
        );
        assert_eq!(
            verify_and_upgrade(SecretString::from("Wrong1234!"), Some(weak)).await,
            Verdict::Mismatch,
            "a wrong password upgrades nothing"
        );
    }
}
