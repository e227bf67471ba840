//! Secrets the table keeps but must read back (queued mail, TOTP secrets): AES-256-GCM under a
//! key derived for the job, with a random nonce, bound to the item it belongs to (`aad`), so a
//! sealed value cannot be moved to another item. Stored as base64 of nonce ‖ ciphertext ‖ tag.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64ct::{Base64, Encoding};

const NONCE_BYTES: usize = 12;

pub fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> String {
    let mut nonce = [0u8; NONCE_BYTES];
    getrandom::fill(&mut nonce).expect("the OS random source is available");
    let sealed = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key))
        .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad })
        .expect("AES-GCM encrypts any message of this size");
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Base64::encode_string(&out)
}

/// `None` for anything `seal` did not make under this key and `aad`.
pub fn open(key: &[u8; 32], aad: &[u8], sealed: &str) -> Option<Vec<u8>> {
    let bytes = Base64::decode_vec(sealed).ok()?;
    if bytes.len() <= NONCE_BYTES {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
    let nonce: [u8; NONCE_BYTES] = nonce.try_into().ok()?;
    Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key))
        .decrypt(&Nonce::from(nonce), Payload { msg: ciphertext, aad })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_item() {
        let key = [7u8; 32];
        let sealed = seal(&key, b"item-1", b"secret");
        assert_eq!(open(&key, b"item-1", &sealed).as_deref(), Some(&b"secret"[..]));
        assert_eq!(open(&key, b"item-2", &sealed), None, "moved to another item");
        assert_eq!(open(&[8u8; 32], b"item-1", &sealed), None, "another key");
        assert_eq!(open(&key, b"item-1", "not base64!"), None);
        assert_ne!(seal(&key, b"item-1", b"secret"), sealed, "a fresh nonce each time");
    }
}
