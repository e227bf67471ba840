//! One-time tokens (password reset, email verification): 256 random bits, URL-safe; only their
//! SHA-256 is stored, and the user record points at the one live token of each purpose.

use crate::model::{OneTimeToken, Purpose};
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

pub struct Issued {
    /// The token to send to the user; it exists only in the message.
    pub secret: String,
    pub record: OneTimeToken,
}

pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    Base64UrlUnpadded::encode_string(&bytes)
}

pub fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// HMAC-SHA256 of `input` under `key`, in hex: a hash that cannot be reversed by guessing
/// without the key.
pub fn keyed_hash(key: &[u8], input: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(input.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

pub fn issue(purpose: Purpose, user_id: i64, email: &str, created_at: String, expires_at: i64) -> Issued {
    let secret = random_secret();
    Issued {
        record: OneTimeToken {
            hash: hash(&secret),
            purpose,
            user_id,
            email: email.to_string(),
            new_email: None,
            created_at,
            expires_at,
        },
        secret,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_256_bit_url_safe_and_distinct() {
        let a = random_secret();
        let b = random_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn keyed_hashes_depend_on_the_key() {
        let plain = hash("Secret1234!");
        let keyed = keyed_hash(b"key one", "Secret1234!");
        assert_eq!(keyed.len(), 64);
        assert_ne!(keyed, plain);
        assert_ne!(keyed, keyed_hash(b"key two", "Secret1234!"));
        assert_eq!(keyed, keyed_hash(b"key one", "Secret1234!"));
    }

    #[test]
    fn only_the_hash_is_kept() {
        let issued = issue(Purpose::PasswordReset, 1, "a@example.com", "t".into(), 0);
        assert_eq!(issued.record.hash, hash(&issued.secret));
        assert_eq!(issued.record.hash.len(), 64);
        assert!(!issued.record.hash.contains(&issued.secret));
    }
}
