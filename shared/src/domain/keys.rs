//! The key set's rules: parsing and checking the document, generating keys, rotation and
//! pruning, the public JWKS, the keys other jobs derive from the root secret, and the per-instance
//! cache of the set (`KeyRing`) over a source the adapters provide (`KeySetStore`).
//!
//! Rotation states: `next` (published, signs nothing yet) → `current` (signs; exactly one) →
//! `previous` (verifies the tokens it signed until `not_after`, then is dropped).

use crate::domain::jwt_crypto;
use crate::model::{KeyEntry, KeyInfo, KeySetDocument, KeyState, SigningAlgorithm};
use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters, EllipticCurveKeyType, Jwk,
    JwkSet, KeyAlgorithm, OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use sha2::Sha256;
use std::sync::{Arc, Mutex, RwLock};

pub const FORMAT_VERSION: u32 = 1;
/// A token naming a kid the cached set does not know re-reads the set at most this often.
pub const UNKNOWN_KID_RELOAD_SECONDS: i64 = 60;
/// A cached set older than this is re-read before use, so that every warm instance picks up a
/// rotation (and a staged key) within this time.
pub const MAX_CACHE_AGE_SECONDS: i64 = 300;
/// `Cache-Control: max-age` of the JWKS.
pub const JWKS_MAX_AGE_SECONDS: i64 = 300;
const MIN_SECRET_BYTES: usize = 32;

/// HKDF labels: each job's key is derived from the root secret under its own label.
pub const REFRESH_TOKEN_LABEL: &str = "gatehouse refresh token";
pub const USERNAME_HASH_LABEL: &str = "gatehouse username hash";
pub const MAIL_ENCRYPTION_LABEL: &str = "gatehouse queued mail";
pub const TOTP_SECRET_LABEL: &str = "gatehouse totp secret";
pub const RECOVERY_CODE_LABEL: &str = "gatehouse recovery code";
const LEGACY_KID_LABEL: &str = "gatehouse legacy key id";

#[derive(Debug, thiserror::Error)]
pub enum KeySetError {
    #[error("the key set is not valid: {0}")]
    Invalid(String),
    #[error("a next key ({0}) is already staged: `gatehouse keys rotate` makes it current")]
    AlreadyStaged(String),
    #[error("the key set comes from SECRET_KEY (legacy HS256) and cannot be changed: move to a key set (KEY_SET_SECRET_ID or KEY_SET_FILE) to rotate")]
    ReadOnly,
    #[error("{0}")]
    Source(String),
}

fn invalid(message: impl Into<String>) -> KeySetError {
    KeySetError::Invalid(message.into())
}

/// One key, parsed: what signs and what verifies.
struct ParsedKey {
    entry: KeyEntry,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The public JWK (EdDSA, ES256); `None` for HS256.
    public: Option<Jwk>,
}

/// The key a token is verified with.
pub struct VerifyingKey<'a> {
    pub algorithm: Algorithm,
    pub decoding: &'a DecodingKey,
}

/// The key that signs new tokens.
pub struct SigningKey<'a> {
    pub kid: &'a str,
    pub algorithm: Algorithm,
    pub encoding: &'a EncodingKey,
}

/// A checked key set: exactly one current key, at most one next, unique kids, material that
/// parses. Its constructors install `jwt_crypto` as jsonwebtoken's provider: every key that
/// signs or verifies comes from a set, so the provider is in place first on every path (the
/// functions, the seed, the CLI, the bench, the tests).
pub struct KeySet {
    document: KeySetDocument,
    keys: Vec<ParsedKey>,
    root: Vec<u8>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet").field("keys", &self.list()).finish()
    }
}

pub fn jwt_algorithm(alg: SigningAlgorithm) -> Algorithm {
    match alg {
        SigningAlgorithm::EdDSA => Algorithm::EdDSA,
        SigningAlgorithm::ES256 => Algorithm::ES256,
        SigningAlgorithm::HS256 => Algorithm::HS256,
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// HKDF-SHA256 (RFC 5869) with an empty salt, for one 32-byte output block.
pub fn hkdf_sha256(input_key: &[u8], info: &[u8]) -> [u8; 32] {
    type HmacSha256 = Hmac<Sha256>;
    let mut extract = <HmacSha256 as KeyInit>::new_from_slice(&[0u8; 32]).expect("HMAC takes any key length");
    extract.update(input_key);
    let pseudo_random_key = extract.finalize().into_bytes();
    let mut expand = <HmacSha256 as KeyInit>::new_from_slice(&pseudo_random_key).expect("HMAC takes any key length");
    expand.update(info);
    expand.update(&[1]);
    expand.finalize().into_bytes().into()
}

/// A new key of `alg` in `state`, with fresh random material.
pub fn generate_key(alg: SigningAlgorithm, state: KeyState, now: DateTime<Utc>) -> KeyEntry {
    let private_key = match alg {
        SigningAlgorithm::EdDSA => {
            let key = ed25519_dalek::SigningKey::from_bytes(&random_bytes::<32>());
            Base64::encode_string(key.to_pkcs8_der().expect("PKCS#8 encoding of a key").as_bytes())
        }
        SigningAlgorithm::ES256 => {
            // A random scalar; zero or one past the group order (odds 2^-128) is drawn again.
            let key = loop {
                if let Ok(key) = p256::SecretKey::from_slice(&random_bytes::<32>()) {
                    break key;
                }
            };
            Base64::encode_string(
                p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&key)
                    .expect("PKCS#8 encoding of a key")
                    .as_bytes(),
            )
        }
        SigningAlgorithm::HS256 => Base64UrlUnpadded::encode_string(&random_bytes::<32>()),
    };
    KeyEntry {
        kid: format!(
            "{}-{}-{}",
            alg.as_str().to_ascii_lowercase(),
            now.format("%Y%m%d"),
            hex(&random_bytes::<6>())
        ),
        alg,
        state,
        created_at: now,
        retired_at: None,
        not_after: None,
        private_key,
    }
}

fn parse_key(entry: &KeyEntry) -> Result<ParsedKey, KeySetError> {
    let bad = |what: &str| invalid(format!("key {}: {what}", entry.kid));
    let (encoding, decoding, public) = match entry.alg {
        SigningAlgorithm::EdDSA => {
            let der = Base64::decode_vec(&entry.private_key).map_err(|_| bad("private_key is not base64"))?;
            let key =
                ed25519_dalek::SigningKey::from_pkcs8_der(&der).map_err(|_| bad("not a PKCS#8 Ed25519 private key"))?;
            let x = Base64UrlUnpadded::encode_string(key.verifying_key().as_bytes());
            let decoding = DecodingKey::from_ed_components(&x).map_err(|_| bad("public key"))?;
            let public = AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x,
            });
            (
                EncodingKey::from_ed_der(&der),
                decoding,
                Some((public, KeyAlgorithm::EdDSA)),
            )
        }
        SigningAlgorithm::ES256 => {
            let der = Base64::decode_vec(&entry.private_key).map_err(|_| bad("private_key is not base64"))?;
            let key = <p256::SecretKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(&der)
                .map_err(|_| bad("not a PKCS#8 P-256 private key"))?;
            let point = key.public_key().to_encoded_point(false);
            let (Some(x), Some(y)) = (point.x(), point.y()) else {
                return Err(bad("public key"));
            };
            let (x, y) = (Base64UrlUnpadded::encode_string(x), Base64UrlUnpadded::encode_string(y));
            let decoding = DecodingKey::from_ec_components(&x, &y).map_err(|_| bad("public key"))?;
            let public = AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                key_type: EllipticCurveKeyType::EC,
                curve: EllipticCurve::P256,
                x,
                y,
            });
            (
                EncodingKey::from_ec_der(&der),
                decoding,
                Some((public, KeyAlgorithm::ES256)),
            )
        }
        SigningAlgorithm::HS256 => {
            let secret =
                Base64UrlUnpadded::decode_vec(&entry.private_key).map_err(|_| bad("private_key is not base64url"))?;
            if secret.len() < MIN_SECRET_BYTES {
                return Err(bad("an HS256 key needs at least 32 bytes"));
            }
            (
                EncodingKey::from_secret(&secret),
                DecodingKey::from_secret(&secret),
                None,
            )
        }
    };
    let public = public.map(|(algorithm, key_algorithm)| Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(key_algorithm),
            key_id: Some(entry.kid.clone()),
            ..CommonParameters::default()
        },
        algorithm,
    });
    Ok(ParsedKey {
        entry: entry.clone(),
        encoding,
        decoding,
        public,
    })
}

impl KeySet {
    /// Parses and checks a key set's JSON.
    pub fn parse(json: &str) -> Result<Self, KeySetError> {
        let document: KeySetDocument =
            serde_json::from_str(json).map_err(|e| invalid(format!("not a key set document: {e}")))?;
        Self::from_document(document)
    }

    pub fn from_document(document: KeySetDocument) -> Result<Self, KeySetError> {
        if document.version != FORMAT_VERSION {
            return Err(invalid(format!(
                "version {} (this build reads version {FORMAT_VERSION})",
                document.version
            )));
        }
        let root = Base64UrlUnpadded::decode_vec(document.root_secret.trim_end_matches('='))
            .map_err(|_| invalid("root_secret is not base64url"))?;
        if root.len() < MIN_SECRET_BYTES {
            return Err(invalid("root_secret needs at least 32 bytes"));
        }
        Self::checked(document, root)
    }

    fn checked(document: KeySetDocument, root: Vec<u8>) -> Result<Self, KeySetError> {
        jwt_crypto::install();
        let count = |state: KeyState| document.keys.iter().filter(|k| k.state == state).count();
        if count(KeyState::Current) != 1 {
            return Err(invalid(format!(
                "it needs exactly one current key, it has {}",
                count(KeyState::Current)
            )));
        }
        if count(KeyState::Next) > 1 {
            return Err(invalid("it has more than one next key"));
        }
        let mut keys: Vec<ParsedKey> = Vec::with_capacity(document.keys.len());
        for entry in &document.keys {
            let kid_ok = !entry.kid.is_empty()
                && entry.kid.len() <= 128
                && entry
                    .kid
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !kid_ok {
                return Err(invalid(format!("kid {:?} is not [A-Za-z0-9._-]{{1,128}}", entry.kid)));
            }
            if keys.iter().any(|k| k.entry.kid == entry.kid) {
                return Err(invalid(format!("kid {} appears twice", entry.kid)));
            }
            if entry.state == KeyState::Previous && entry.not_after.is_none() {
                return Err(invalid(format!("previous key {} has no not_after", entry.kid)));
            }
            keys.push(parse_key(entry)?);
        }
        Ok(KeySet { document, keys, root })
    }

    /// A new set: a fresh root secret and one current key of `alg`.
    pub fn generate(alg: SigningAlgorithm, now: DateTime<Utc>) -> Self {
        let document = KeySetDocument {
            version: FORMAT_VERSION,
            root_secret: Base64UrlUnpadded::encode_string(&random_bytes::<32>()),
            keys: vec![generate_key(alg, KeyState::Current, now)],
        };
        Self::from_document(document).expect("a generated key set is valid")
    }

    /// The legacy set of `SECRET_KEY`: that string is both the one HS256 key (so tokens keep
    /// their signatures) and the root secret (so derived keys stay what they were). Its kid is
    /// derived from it, the same on every instance.
    pub fn legacy(secret: &str) -> Self {
        jwt_crypto::install();
        let bytes = secret.as_bytes().to_vec();
        let kid = format!(
            "hs256-legacy-{}",
            &hex(&hkdf_sha256(&bytes, LEGACY_KID_LABEL.as_bytes()))[..12]
        );
        let entry = KeyEntry {
            kid,
            alg: SigningAlgorithm::HS256,
            state: KeyState::Current,
            created_at: DateTime::UNIX_EPOCH,
            retired_at: None,
            not_after: None,
            private_key: Base64UrlUnpadded::encode_string(&bytes),
        };
        let parsed = ParsedKey {
            encoding: EncodingKey::from_secret(&bytes),
            decoding: DecodingKey::from_secret(&bytes),
            public: None,
            entry: entry.clone(),
        };
        KeySet {
            document: KeySetDocument {
                version: FORMAT_VERSION,
                root_secret: Base64UrlUnpadded::encode_string(&bytes),
                keys: vec![entry],
            },
            keys: vec![parsed],
            root: bytes,
        }
    }

    /// The document as stored (with its private material).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.document).expect("a key set serializes")
    }

    pub fn document(&self) -> &KeySetDocument {
        &self.document
    }

    /// Every key without its material: next, current, then previous keys newest first.
    pub fn list(&self) -> Vec<KeyInfo> {
        let rank = |state: KeyState| match state {
            KeyState::Next => 0,
            KeyState::Current => 1,
            KeyState::Previous => 2,
        };
        let mut infos: Vec<KeyInfo> = self.keys.iter().map(|k| KeyInfo::from(&k.entry)).collect();
        infos.sort_by(|a, b| rank(a.state).cmp(&rank(b.state)).then(b.created_at.cmp(&a.created_at)));
        infos
    }

    fn current(&self) -> &ParsedKey {
        self.keys
            .iter()
            .find(|k| k.entry.state == KeyState::Current)
            .expect("a checked set has a current key")
    }

    pub fn signing_key(&self) -> SigningKey<'_> {
        let key = self.current();
        SigningKey {
            kid: &key.entry.kid,
            algorithm: jwt_algorithm(key.entry.alg),
            encoding: &key.encoding,
        }
    }

    pub fn current_algorithm(&self) -> SigningAlgorithm {
        self.current().entry.alg
    }

    /// Whether the set has a key of that kid at all (expired or not).
    pub fn knows(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.entry.kid == kid)
    }

    /// A key that verifies tokens at `now`: next, current, or previous before its `not_after`.
    pub fn verifying_key(&self, kid: &str, now: DateTime<Utc>) -> Option<VerifyingKey<'_>> {
        let key = self.keys.iter().find(|k| k.entry.kid == kid)?;
        if key.entry.not_after.is_some_and(|end| now >= end) {
            return None;
        }
        Some(VerifyingKey {
            algorithm: jwt_algorithm(key.entry.alg),
            decoding: &key.decoding,
        })
    }

    /// The public keys of every key that verifies at `now` (HS256 keys are secret: never listed).
    pub fn jwks(&self, now: DateTime<Utc>) -> JwkSet {
        let mut keys: Vec<&ParsedKey> = self.keys.iter().collect();
        let order = self.list();
        keys.sort_by_key(|k| order.iter().position(|info| info.kid == k.entry.kid));
        JwkSet {
            keys: keys
                .into_iter()
                .filter(|k| k.entry.not_after.is_none_or(|end| now < end))
                .filter_map(|k| k.public.clone())
                .collect(),
        }
    }

    /// The algorithms of the keys that verify at `now`, current first.
    pub fn algorithms(&self, now: DateTime<Utc>) -> Vec<SigningAlgorithm> {
        let mut algorithms = vec![self.current_algorithm()];
        for key in &self.keys {
            if key.entry.not_after.is_none_or(|end| now < end) && !algorithms.contains(&key.entry.alg) {
                algorithms.push(key.entry.alg);
            }
        }
        algorithms
    }

    /// A 32-byte key for one job, derived from the root secret under `label` (HKDF-SHA256).
    pub fn derived_key(&self, label: &str) -> [u8; 32] {
        hkdf_sha256(&self.root, label.as_bytes())
    }

    fn with_entries(&self, entries: Vec<KeyEntry>) -> KeySet {
        let document = KeySetDocument {
            keys: entries,
            ..self.document.clone()
        };
        Self::checked(document, self.root.clone()).expect("rotation keeps a set valid")
    }

    /// Drops the previous keys whose `not_after` has passed; returns the new set and their kids.
    pub fn prune(&self, now: DateTime<Utc>) -> (KeySet, Vec<String>) {
        let (dropped, kept): (Vec<KeyEntry>, Vec<KeyEntry>) = self
            .document
            .keys
            .iter()
            .cloned()
            .partition(|k| k.state == KeyState::Previous && k.not_after.is_some_and(|end| now >= end));
        (self.with_entries(kept), dropped.into_iter().map(|k| k.kid).collect())
    }

    /// `stage`: adds a next key of `alg` (published, not signing). Otherwise the next key (or a
    /// new key of `alg`) becomes current, and the current one previous, kept `keep_for` to verify
    /// what it signed. Either way expired previous keys are dropped.
    pub fn rotate(
        &self,
        alg: SigningAlgorithm,
        stage: bool,
        keep_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<Rotation, KeySetError> {
        let (pruned, dropped) = self.prune(now);
        let mut entries = pruned.document.keys;
        let staged = entries.iter().position(|k| k.state == KeyState::Next);
        if stage {
            if let Some(index) = staged {
                return Err(KeySetError::AlreadyStaged(entries[index].kid.clone()));
            }
            let next = generate_key(alg, KeyState::Next, now);
            let kid = next.kid.clone();
            entries.push(next);
            return Ok(Rotation {
                set: self.with_entries(entries),
                new_kid: kid,
                retired_kid: None,
                dropped,
            });
        }
        let mut retired_kid = None;
        for entry in entries.iter_mut().filter(|k| k.state == KeyState::Current) {
            entry.state = KeyState::Previous;
            entry.retired_at = Some(now);
            entry.not_after = Some(now + keep_for);
            retired_kid = Some(entry.kid.clone());
        }
        let new_kid = match staged {
            Some(index) => {
                entries[index].state = KeyState::Current;
                entries[index].kid.clone()
            }
            None => {
                let key = generate_key(alg, KeyState::Current, now);
                let kid = key.kid.clone();
                entries.push(key);
                kid
            }
        };
        Ok(Rotation {
            set: self.with_entries(entries),
            new_kid,
            retired_kid,
            dropped,
        })
    }
}

/// The outcome of a rotation.
#[derive(Debug)]
pub struct Rotation {
    pub set: KeySet,
    /// The key that became current (or was staged).
    pub new_kid: String,
    /// The key that stopped signing.
    pub retired_kid: Option<String>,
    /// Previous keys dropped on the way.
    pub dropped: Vec<String>,
}

/// Where a key set is kept (Secrets Manager, a file): the adapters in `key_source` implement it.
#[async_trait::async_trait]
pub trait KeySetStore: Send + Sync {
    /// Names the source in messages.
    fn describe(&self) -> String;
    /// The document's JSON; an error is one line saying what failed.
    async fn read(&self) -> Result<String, String>;
    async fn write(&self, json: String) -> Result<(), String>;
}

/// The key set one instance works with: read once at start-up, re-read when it gets older than
/// `MAX_CACHE_AGE_SECONDS` or when a token names a kid it does not know (at most once every
/// `UNKNOWN_KID_RELOAD_SECONDS`). A failed re-read keeps the set in hand.
pub struct KeyRing {
    store: Option<Arc<dyn KeySetStore>>,
    description: String,
    set: RwLock<Arc<KeySet>>,
    /// When the set was last read (or a read was last tried).
    read_at: Mutex<DateTime<Utc>>,
    /// When an unknown kid last made it re-read the set.
    unknown_kid_read_at: Mutex<Option<DateTime<Utc>>>,
}

impl KeyRing {
    /// Reads and checks the set; the error is one line naming the source.
    pub async fn open(store: Arc<dyn KeySetStore>, now: DateTime<Utc>) -> Result<Self, KeySetError> {
        let description = store.describe();
        let json = store
            .read()
            .await
            .map_err(|e| KeySetError::Source(format!("cannot read the key set from {description}: {e}")))?;
        let set = KeySet::parse(&json).map_err(|e| KeySetError::Source(format!("{description}: {e}")))?;
        Ok(KeyRing {
            store: Some(store),
            description,
            set: RwLock::new(Arc::new(set)),
            read_at: Mutex::new(now),
            unknown_kid_read_at: Mutex::new(None),
        })
    }

    /// A set that never changes (the legacy `SECRET_KEY`).
    pub fn fixed(set: KeySet, description: String) -> Self {
        KeyRing {
            store: None,
            description,
            set: RwLock::new(Arc::new(set)),
            read_at: Mutex::new(DateTime::UNIX_EPOCH),
            unknown_kid_read_at: Mutex::new(None),
        }
    }

    pub fn describe(&self) -> &str {
        &self.description
    }

    /// The set in hand, without reading.
    pub fn snapshot(&self) -> Arc<KeySet> {
        self.set.read().expect("key set lock").clone()
    }

    /// The set, re-read first when it is older than `MAX_CACHE_AGE_SECONDS`.
    pub async fn fresh(&self, now: DateTime<Utc>) -> Arc<KeySet> {
        let due = {
            let mut read_at = self.read_at.lock().expect("key set lock");
            let due = now - *read_at >= Duration::seconds(MAX_CACHE_AGE_SECONDS);
            if due {
                // Claimed before reading, so that concurrent requests do not read it too.
                *read_at = now;
            }
            due
        };
        if due {
            self.reload().await
        } else {
            self.snapshot()
        }
    }

    /// The set, re-read first unless an unknown kid already made it re-read less than
    /// `UNKNOWN_KID_RELOAD_SECONDS` ago (so made-up kids cannot make it read on every request).
    pub async fn reload_for_unknown_kid(&self, now: DateTime<Utc>) -> Arc<KeySet> {
        let due = {
            let mut last = self.unknown_kid_read_at.lock().expect("key set lock");
            let due = last.is_none_or(|at| now - at >= Duration::seconds(UNKNOWN_KID_RELOAD_SECONDS));
            if due {
                *last = Some(now);
                *self.read_at.lock().expect("key set lock") = now;
            }
            due
        };
        if due {
            self.reload().await
        } else {
            self.snapshot()
        }
    }

    async fn reload(&self) -> Arc<KeySet> {
        let Some(store) = &self.store else {
            return self.snapshot();
        };
        match store
            .read()
            .await
            .map_err(KeySetError::Source)
            .and_then(|json| KeySet::parse(&json))
        {
            Ok(set) => *self.set.write().expect("key set lock") = Arc::new(set),
            Err(e) => {
                tracing::warn!(error = %e, source = %self.description, "re-reading the key set failed; keeping the one in hand")
            }
        }
        self.snapshot()
    }

    /// Writes `set` to the source and uses it from now on.
    pub async fn replace(&self, set: KeySet, now: DateTime<Utc>) -> Result<(), KeySetError> {
        let store = self.store.as_ref().ok_or(KeySetError::ReadOnly)?;
        store
            .write(set.to_json())
            .await
            .map_err(|e| KeySetError::Source(format!("cannot write the key set to {}: {e}", self.description)))?;
        *self.set.write().expect("key set lock") = Arc::new(set);
        *self.read_at.lock().expect("key set lock") = now;
        Ok(())
    }

    /// The current set straight from the source (for a change: never rotate a stale copy).
    pub async fn read_latest(&self, now: DateTime<Utc>) -> Result<Arc<KeySet>, KeySetError> {
        let Some(store) = &self.store else {
            return Ok(self.snapshot());
        };
        let json = store
            .read()
            .await
            .map_err(|e| KeySetError::Source(format!("cannot read the key set from {}: {e}", self.description)))?;
        let set = Arc::new(KeySet::parse(&json)?);
        *self.set.write().expect("key set lock") = set.clone();
        *self.read_at.lock().expect("key set lock") = now;
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    #[test]
    fn hkdf_matches_rfc_5869_and_labels_give_distinct_keys() {
        // RFC 5869 test case 3 (SHA-256, empty salt and info), first 32 bytes of its OKM.
        let okm = hkdf_sha256(&[0x0b; 22], b"");
        assert_eq!(
            hex(&okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
        );
        let set = KeySet::generate(SigningAlgorithm::EdDSA, now());
        assert_ne!(set.derived_key("a"), set.derived_key("b"));
    }

    #[test]
    fn generated_sets_of_each_algorithm_round_trip_through_json() {
        for alg in [
            SigningAlgorithm::EdDSA,
            SigningAlgorithm::ES256,
            SigningAlgorithm::HS256,
        ] {
            let set = KeySet::generate(alg, now());
            let again = KeySet::parse(&set.to_json()).unwrap();
            assert_eq!(again.document(), set.document());
            assert_eq!(again.current_algorithm(), alg);
            assert_eq!(set.jwks(now()).keys.len(), usize::from(alg.is_asymmetric()));
        }
    }

    #[test]
    fn the_jwks_holds_public_parts_only() {
        let set = KeySet::generate(SigningAlgorithm::ES256, now());
        let jwks = serde_json::to_value(set.jwks(now())).unwrap();
        let key = &jwks["keys"][0];
        assert_eq!(key["kty"], "EC");
        assert_eq!(key["crv"], "P-256");
        assert_eq!(key["alg"], "ES256");
        assert_eq!(key["use"], "sig");
        assert!(key.get("d").is_none());
        let set = KeySet::generate(SigningAlgorithm::EdDSA, now());
        let jwks = serde_json::to_value(set.jwks(now())).unwrap();
        assert_eq!(jwks["keys"][0]["kty"], "OKP");
        assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
        assert!(!jwks.to_string().contains(&set.document().keys[0].private_key));
    }

    #[test]
    fn rotation_moves_keys_through_their_states_and_prune_drops_expired_ones() {
        let t0 = now();
        let keep = Duration::minutes(35);
        let set = KeySet::generate(SigningAlgorithm::EdDSA, t0);
        let first = set.signing_key().kid.to_string();

        let staged = set.rotate(SigningAlgorithm::ES256, true, keep, t0).unwrap();
        assert_eq!(staged.set.signing_key().kid, first);
        assert_eq!(staged.set.jwks(t0).keys.len(), 2, "a staged key is published");
        assert!(matches!(
            staged.set.rotate(SigningAlgorithm::ES256, true, keep, t0),
            Err(KeySetError::AlreadyStaged(_))
        ));

        let t1 = t0 + Duration::minutes(10);
        let promoted = staged.set.rotate(SigningAlgorithm::EdDSA, false, keep, t1).unwrap();
        assert_eq!(promoted.new_kid, staged.new_kid);
        assert_eq!(promoted.retired_kid.as_deref(), Some(first.as_str()));
        assert_eq!(promoted.set.current_algorithm(), SigningAlgorithm::ES256);
        assert!(promoted
            .set
            .verifying_key(&first, t1 + keep - Duration::seconds(1))
            .is_some());
        assert!(promoted.set.verifying_key(&first, t1 + keep).is_none());

        let (kept, dropped) = promoted.set.prune(t1 + Duration::minutes(1));
        assert!(dropped.is_empty());
        assert!(kept.knows(&first));
        let (pruned, dropped) = promoted.set.prune(t1 + keep);
        assert_eq!(dropped, vec![first.clone()]);
        assert!(!pruned.knows(&first));

        // The next rotation drops what has expired on its own.
        let again = promoted
            .set
            .rotate(SigningAlgorithm::EdDSA, false, keep, t1 + keep)
            .unwrap();
        assert_eq!(again.dropped, vec![first]);
        assert_eq!(again.set.list().len(), 2);
    }

    #[test]
    fn malformed_sets_are_refused_with_a_reason() {
        let set = KeySet::generate(SigningAlgorithm::EdDSA, now());
        let mut doc = set.document().clone();
        doc.keys[0].state = KeyState::Previous;
        let err = KeySet::from_document(doc).unwrap_err().to_string();
        assert!(err.contains("exactly one current"), "{err}");
        let mut doc = set.document().clone();
        doc.root_secret = "c2hvcnQ".into();
        assert!(KeySet::from_document(doc)
            .unwrap_err()
            .to_string()
            .contains("root_secret"));
        let mut doc = set.document().clone();
        doc.keys[0].private_key = "AAAA".into();
        assert!(KeySet::from_document(doc).unwrap_err().to_string().contains("PKCS#8"));
        assert!(KeySet::parse("{}").is_err());
    }

    #[test]
    fn the_legacy_set_keeps_the_secret_as_key_and_root() {
        let secret = "integration-tests-secret-key-0123456789abcdef";
        let set = KeySet::legacy(secret);
        assert_eq!(set.derived_key("x"), hkdf_sha256(secret.as_bytes(), b"x"));
        assert_eq!(set.signing_key().kid, KeySet::legacy(secret).signing_key().kid);
        assert!(set.jwks(now()).keys.is_empty());
        assert!(!format!("{set:?}").contains(secret));
    }
}
