//! The key set document: the access-token signing keys with their rotation state, and the root
//! secret every other job derives its own key from. One JSON document, kept in Secrets Manager
//! (or a local file); `domain::keys` holds the rules over it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The algorithm of a signing key (`JWT_ALGORITHM` names the one new keys get).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SigningAlgorithm {
    /// Ed25519 (RFC 8037): the default.
    EdDSA,
    /// ECDSA over P-256 with SHA-256.
    ES256,
    /// HMAC-SHA256: compatibility only; its keys are secret, so the JWKS cannot publish them.
    HS256,
}

impl SigningAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::EdDSA => "EdDSA",
            SigningAlgorithm::ES256 => "ES256",
            SigningAlgorithm::HS256 => "HS256",
        }
    }

    /// Whether tokens it signs can be checked from a published (public) key.
    pub fn is_asymmetric(self) -> bool {
        !matches!(self, SigningAlgorithm::HS256)
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SigningAlgorithm {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "EdDSA" => Ok(SigningAlgorithm::EdDSA),
            "ES256" => Ok(SigningAlgorithm::ES256),
            "HS256" => Ok(SigningAlgorithm::HS256),
            other => Err(format!(
                "unknown algorithm {other:?}; use \"EdDSA\", \"ES256\" or \"HS256\""
            )),
        }
    }
}

/// Where a key is in its life: `next` is published but signs nothing yet, `current` signs,
/// `previous` only verifies the tokens it signed until `not_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    Next,
    Current,
    Previous,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Current => "current",
            KeyState::Previous => "previous",
        }
    }
}

/// One signing key as stored.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyEntry {
    pub kid: String,
    pub alg: SigningAlgorithm,
    pub state: KeyState,
    pub created_at: DateTime<Utc>,
    /// When it stopped signing (previous keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<DateTime<Utc>>,
    /// When every token it signed has expired: from then on nothing verifies with it and prune
    /// drops it (previous keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<DateTime<Utc>>,
    /// EdDSA and ES256: the PKCS#8 DER private key in standard base64. HS256: the secret bytes in
    /// base64url.
    pub private_key: String,
}

impl fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyEntry")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("state", &self.state)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .field("not_after", &self.not_after)
            .field("private_key", &"[REDACTED]")
            .finish()
    }
}

/// The whole document.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySetDocument {
    /// Format version; 1.
    pub version: u32,
    /// At least 32 random bytes, base64url: the input keying material of HKDF for the keys of
    /// refresh tokens, keyed hashes and queued-mail encryption. Rotation leaves it alone.
    pub root_secret: String,
    pub keys: Vec<KeyEntry>,
}

impl fmt::Debug for KeySetDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySetDocument")
            .field("version", &self.version)
            .field("root_secret", &"[REDACTED]")
            .field("keys", &self.keys)
            .finish()
    }
}

/// What `keys list` shows of a key: everything but its material.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: SigningAlgorithm,
    pub state: KeyState,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<DateTime<Utc>>,
}

impl From<&KeyEntry> for KeyInfo {
    fn from(entry: &KeyEntry) -> Self {
        KeyInfo {
            kid: entry.kid.clone(),
            alg: entry.alg,
            state: entry.state,
            created_at: entry.created_at,
            retired_at: entry.retired_at,
            not_after: entry.not_after,
        }
    }
}
