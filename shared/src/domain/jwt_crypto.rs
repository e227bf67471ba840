//! jsonwebtoken's cryptography, for the key set's three algorithms only: EdDSA (Ed25519), ES256
//! and HS256, over the crates the key set already uses. Any other algorithm, and a key of another
//! family than the algorithm's, is an error (jsonwebtoken's `rust_crypto` feature would have
//! linked RSA, P-384 and `rand` for them). Nothing here panics on what a token carries.
//!
//! `install` makes this jsonwebtoken's process-wide provider; the key set's constructors call it,
//! so it is in place before any key exists to sign or verify with.

use ed25519_dalek::pkcs8::DecodePrivateKey;
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{new_error, ErrorKind, Result};
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use sha2::{Digest, Sha256};
use std::sync::Once;

type HmacSha256 = Hmac<Sha256>;

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: no_rsa,
        rsa_pub_components_from_public_key: no_rsa,
        ec_pub_components_from_private_key: ec_public_components,
        ed_pub_components_from_private_key: ed_public_component,
        compute_digest: digest,
    },
};

/// Makes this module jsonwebtoken's provider; later calls do nothing.
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        assert!(
            PROVIDER.install_default().is_ok(),
            "jsonwebtoken chose its crypto provider before Gatehouse's: a JWT was signed or verified before any key set was built"
        );
    });
}

fn unsupported() -> jsonwebtoken::errors::Error {
    new_error(ErrorKind::UnsupportedAlgorithm)
}

/// A key made for another family of algorithms (say an Ed25519 key for HS256) is refused.
fn require_family(family: AlgorithmFamily, expected: AlgorithmFamily) -> Result<()> {
    if family == expected {
        Ok(())
    } else {
        Err(new_error(ErrorKind::InvalidKeyFormat))
    }
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    match algorithm {
        Algorithm::EdDSA => {
            require_family(key.family(), AlgorithmFamily::Ed)?;
            let key = ed25519_dalek::SigningKey::from_pkcs8_der(key.as_bytes())
                .map_err(|_| new_error(ErrorKind::InvalidEddsaKey))?;
            Ok(Box::new(EdDsaSigner(key)))
        }
        Algorithm::ES256 => {
            require_family(key.family(), AlgorithmFamily::Ec)?;
            let key = <p256::ecdsa::SigningKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(key.as_bytes())
                .map_err(|_| new_error(ErrorKind::InvalidEcdsaKey))?;
            Ok(Box::new(Es256Signer(key)))
        }
        Algorithm::HS256 => {
            require_family(key.family(), AlgorithmFamily::Hmac)?;
            Ok(Box::new(Hs256::new(key.as_bytes())?))
        }
        _ => Err(unsupported()),
    }
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    match algorithm {
        Algorithm::EdDSA => {
            require_family(key.family(), AlgorithmFamily::Ed)?;
            // The raw 32-byte public key (`DecodingKey::from_ed_components`); any other length is
            // refused, never sliced.
            let bytes: &[u8; 32] = key
                .try_get_as_bytes()?
                .try_into()
                .map_err(|_| new_error(ErrorKind::InvalidEddsaKey))?;
            let key =
                ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| new_error(ErrorKind::InvalidEddsaKey))?;
            Ok(Box::new(EdDsaVerifier(key)))
        }
        Algorithm::ES256 => {
            require_family(key.family(), AlgorithmFamily::Ec)?;
            // The SEC1 point (`DecodingKey::from_ec_components` stores 0x04 || x || y).
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key.try_get_as_bytes()?)
                .map_err(|_| new_error(ErrorKind::InvalidEcdsaKey))?;
            Ok(Box::new(Es256Verifier(key)))
        }
        Algorithm::HS256 => {
            require_family(key.family(), AlgorithmFamily::Hmac)?;
            Ok(Box::new(Hs256::new(key.try_get_as_bytes()?)?))
        }
        _ => Err(unsupported()),
    }
}

struct EdDsaSigner(ed25519_dalek::SigningKey);

impl Signer<Vec<u8>> for EdDsaSigner {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let signature: ed25519_dalek::Signature = self.0.try_sign(message)?;
        Ok(signature.to_bytes().to_vec())
    }
}

impl JwtSigner for EdDsaSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct EdDsaVerifier(ed25519_dalek::VerifyingKey);

impl Verifier<Vec<u8>> for EdDsaVerifier {
    /// Strict (RFC 8032 with the checks `verify` skips): small-order keys and `R` points and
    /// non-canonical `s` are refused, so no signature verifies for more than one key or message.
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let signature = ed25519_dalek::Signature::from_slice(signature)?;
        self.0.verify_strict(message, &signature)
    }
}

impl JwtVerifier for EdDsaVerifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct Es256Signer(p256::ecdsa::SigningKey);

impl Signer<Vec<u8>> for Es256Signer {
    /// JWS's fixed 64-byte `r || s` (RFC 7518 §3.4), not DER.
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let signature: p256::ecdsa::Signature = self.0.try_sign(message)?;
        Ok(signature.to_bytes().to_vec())
    }
}

impl JwtSigner for Es256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

struct Es256Verifier(p256::ecdsa::VerifyingKey);

impl Verifier<Vec<u8>> for Es256Verifier {
    /// A signature that is not 64 bytes, or whose `r` or `s` is zero or not below the group order,
    /// is an error before any arithmetic.
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let signature = p256::ecdsa::Signature::from_slice(signature)?;
        self.0.verify(message, &signature)
    }
}

impl JwtVerifier for Es256Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

/// HMAC-SHA256, keyed once; signs and verifies.
struct Hs256(HmacSha256);

impl Hs256 {
    fn new(secret: &[u8]) -> Result<Self> {
        let mac =
            <HmacSha256 as KeyInit>::new_from_slice(secret).map_err(|_| new_error(ErrorKind::InvalidKeyFormat))?;
        Ok(Self(mac))
    }
}

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    /// Constant-time comparison of the whole tag (a truncated tag is refused).
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        mac.verify_slice(signature).map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

fn no_rsa(_der: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    Err(unsupported())
}

/// The public point `(x, y)` of a PKCS#8 P-256 private key, for `Jwk::from_encoding_key`.
fn ec_public_components(der: &[u8], algorithm: Algorithm) -> Result<(EllipticCurve, Vec<u8>, Vec<u8>)> {
    if algorithm != Algorithm::ES256 {
        return Err(unsupported());
    }
    let key = <p256::SecretKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(der)
        .map_err(|_| new_error(ErrorKind::InvalidEcdsaKey))?;
    let point = key.public_key().to_encoded_point(false);
    match (point.x(), point.y()) {
        (Some(x), Some(y)) => Ok((EllipticCurve::P256, x.to_vec(), y.to_vec())),
        _ => Err(new_error(ErrorKind::InvalidEcdsaKey)),
    }
}

/// The public key of a PKCS#8 Ed25519 private key, for `Jwk::from_encoding_key`.
fn ed_public_component(der: &[u8], curve: &EllipticCurve) -> Result<Vec<u8>> {
    if *curve != EllipticCurve::Ed25519 {
        return Err(unsupported());
    }
    let key = ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(|_| new_error(ErrorKind::InvalidEddsaKey))?;
    Ok(key.verifying_key().to_bytes().to_vec())
}

/// JWK thumbprints (RFC 7638) in SHA-256, the hash that RFC and RFC 9278 use.
fn digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>> {
    match hash {
        ThumbprintHash::SHA256 => Ok(Sha256::digest(data).to_vec()),
        _ => Err(unsupported()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64UrlUnpadded, Encoding};
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
    use jsonwebtoken::{decode, encode, Header, Validation};
    use serde_json::{json, Value};

    const OURS: [Algorithm; 3] = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::HS256];

    /// One key of each of our algorithms: the private (signing) and public (verifying) halves.
    struct Keys {
        ed_private: Vec<u8>,
        ed_public: [u8; 32],
        ec_private: Vec<u8>,
        ec_x: Vec<u8>,
        ec_y: Vec<u8>,
        secret: Vec<u8>,
    }

    fn keys_from(seed: u8) -> Keys {
        install();
        let ed = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let ec = p256::SecretKey::from_slice(&[seed; 32]).unwrap();
        let point = ec.public_key().to_encoded_point(false);
        Keys {
            ed_private: ed.to_pkcs8_der().unwrap().as_bytes().to_vec(),
            ed_public: ed.verifying_key().to_bytes(),
            ec_private: p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&ec)
                .unwrap()
                .as_bytes()
                .to_vec(),
            ec_x: point.x().unwrap().to_vec(),
            ec_y: point.y().unwrap().to_vec(),
            secret: vec![seed; 32],
        }
    }

    impl Keys {
        fn encoding(&self, algorithm: Algorithm) -> EncodingKey {
            match algorithm {
                Algorithm::EdDSA => EncodingKey::from_ed_der(&self.ed_private),
                Algorithm::ES256 => EncodingKey::from_ec_der(&self.ec_private),
                _ => EncodingKey::from_secret(&self.secret),
            }
        }

        /// Built as `keys.rs` builds them: from the JWK components.
        fn decoding(&self, algorithm: Algorithm) -> DecodingKey {
            let b64 = Base64UrlUnpadded::encode_string;
            match algorithm {
                Algorithm::EdDSA => DecodingKey::from_ed_components(&b64(&self.ed_public)).unwrap(),
                Algorithm::ES256 => DecodingKey::from_ec_components(&b64(&self.ec_x), &b64(&self.ec_y)).unwrap(),
                _ => DecodingKey::from_secret(&self.secret),
            }
        }
    }

    fn claims() -> Value {
        json!({ "sub": "42", "role": "user" })
    }

    fn validation(algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation
    }

    fn sign(keys: &Keys, algorithm: Algorithm, claims: &Value) -> String {
        encode(&Header::new(algorithm), claims, &keys.encoding(algorithm)).unwrap()
    }

    fn verifies(token: &str, key: &DecodingKey, algorithm: Algorithm) -> bool {
        decode::<Value>(token, key, &validation(algorithm)).is_ok()
    }

    fn b64(value: &Value) -> String {
        Base64UrlUnpadded::encode_string(value.to_string().as_bytes())
    }

    /// The token's `header.payload.signature` parts.
    fn parts(token: &str) -> [String; 3] {
        let parts: Vec<String> = token.split('.').map(str::to_string).collect();
        parts.try_into().unwrap()
    }

    #[test]
    fn each_of_our_algorithms_signs_and_verifies_its_own_tokens() {
        let keys = keys_from(7);
        for algorithm in OURS {
            let token = sign(&keys, algorithm, &claims());
            let decoded = decode::<Value>(&token, &keys.decoding(algorithm), &validation(algorithm))
                .unwrap_or_else(|e| panic!("{algorithm:?}: {e}"));
            assert_eq!(decoded.claims, claims(), "{algorithm:?}");
            assert_eq!(decoded.header.alg, algorithm);
            let signature_bytes = Base64UrlUnpadded::decode_vec(&parts(&token)[2]).unwrap().len();
            let expected = if algorithm == Algorithm::HS256 { 32 } else { 64 };
            assert_eq!(signature_bytes, expected, "{algorithm:?}: JWS signature size");
        }
    }

    #[test]
    fn a_changed_payload_or_signature_is_refused() {
        let keys = keys_from(7);
        for algorithm in OURS {
            let key = keys.decoding(algorithm);
            let token = sign(&keys, algorithm, &claims());
            let [header, _, signature] = parts(&token);

            let promoted = format!("{header}.{}.{signature}", b64(&json!({ "sub": "42", "role": "admin" })));
            assert!(!verifies(&promoted, &key, algorithm), "{algorithm:?}: changed payload");

            let mut bytes = Base64UrlUnpadded::decode_vec(&signature).unwrap();
            bytes[5] ^= 1;
            let flipped = format!(
                "{header}.{}.{}",
                parts(&token)[1],
                Base64UrlUnpadded::encode_string(&bytes)
            );
            assert!(!verifies(&flipped, &key, algorithm), "{algorithm:?}: changed signature");

            bytes[5] ^= 1;
            for malformed in [
                &bytes[..bytes.len() - 1],
                &bytes[..16],
                &[],
                &[bytes.as_slice(), &[0]].concat(),
            ] {
                let token = format!(
                    "{header}.{}.{}",
                    parts(&token)[1],
                    Base64UrlUnpadded::encode_string(malformed)
                );
                assert!(
                    !verifies(&token, &key, algorithm),
                    "{algorithm:?}: a signature of {} bytes",
                    malformed.len()
                );
            }
        }
    }

    #[test]
    fn malformed_signatures_and_keys_are_errors_not_panics() {
        let keys = keys_from(7);
        for algorithm in [Algorithm::EdDSA, Algorithm::ES256] {
            let check = verifier(&algorithm, &keys.decoding(algorithm)).unwrap();
            for signature in [vec![], vec![0; 63], vec![0; 64], vec![0xff; 64], vec![0; 65]] {
                assert!(
                    check.verify(b"message", &signature).is_err(),
                    "{algorithm:?}: {signature:?}"
                );
            }
        }
        // Public keys of the wrong length or off the curve.
        for bytes in [vec![], vec![1; 31], vec![1; 33]] {
            assert!(verifier(&Algorithm::EdDSA, &DecodingKey::from_ed_der(&bytes)).is_err());
        }
        let off_curve = [vec![4], vec![1; 64]].concat();
        for bytes in [vec![], vec![4; 10], off_curve] {
            assert!(verifier(&Algorithm::ES256, &DecodingKey::from_ec_der(&bytes)).is_err());
        }
        // Private keys that are not PKCS#8.
        assert!(signer(&Algorithm::EdDSA, &EncodingKey::from_ed_der(&[1; 48])).is_err());
        assert!(signer(&Algorithm::ES256, &EncodingKey::from_ec_der(&[1; 40])).is_err());
    }

    #[test]
    fn eddsa_verification_is_strict_a_small_order_key_verifies_nothing() {
        install();
        // The identity point as public key, with R = identity and s = 0: the cofactorless check
        // [s]B = R + [k]A holds for every message, so plain `verify` accepts it; strict refuses.
        let identity = {
            let mut bytes = [0u8; 32];
            bytes[0] = 1;
            bytes
        };
        let key = DecodingKey::from_ed_components(&Base64UrlUnpadded::encode_string(&identity)).unwrap();
        let signature = [identity, [0; 32]].concat();
        let weak = ed25519_dalek::VerifyingKey::from_bytes(&identity).unwrap();
        let any_message = b"header.payload";
        assert!(
            weak.verify(any_message, &ed25519_dalek::Signature::from_slice(&signature).unwrap())
                .is_ok(),
            "the forgery this test is about"
        );
        let check = verifier(&Algorithm::EdDSA, &key).unwrap();
        assert!(check.verify(any_message, &signature).is_err());

        let header = b64(&json!({ "alg": "EdDSA", "typ": "JWT" }));
        let payload = b64(&claims());
        let message = format!("{header}.{payload}");
        let token = format!("{message}.{}", Base64UrlUnpadded::encode_string(&signature));
        assert!(weak
            .verify(
                message.as_bytes(),
                &ed25519_dalek::Signature::from_slice(&signature).unwrap()
            )
            .is_ok());
        assert!(!verifies(&token, &key, Algorithm::EdDSA));
    }

    #[test]
    fn every_other_algorithm_is_refused_with_an_error() {
        let keys = keys_from(7);
        let rsa_key = DecodingKey::from_rsa_components("AQAB", "AQAB").unwrap();
        let others = [
            Algorithm::HS384,
            Algorithm::HS512,
            Algorithm::ES384,
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ];
        for algorithm in others {
            // Each with a key of its own family, so that only the algorithm is wrong.
            let (encoding, decoding) = match algorithm.family() {
                AlgorithmFamily::Hmac => (keys.encoding(Algorithm::HS256), keys.decoding(Algorithm::HS256)),
                AlgorithmFamily::Ec => (keys.encoding(Algorithm::ES256), keys.decoding(Algorithm::ES256)),
                _ => (EncodingKey::from_rsa_der(&[0; 16]), rsa_key.clone()),
            };
            let kind = |result: Result<()>| result.unwrap_err().into_kind();
            assert!(matches!(
                kind(signer(&algorithm, &encoding).map(drop)),
                ErrorKind::UnsupportedAlgorithm
            ));
            assert!(matches!(
                kind(verifier(&algorithm, &decoding).map(drop)),
                ErrorKind::UnsupportedAlgorithm
            ));
            assert!(
                encode(&Header::new(algorithm), &claims(), &encoding).is_err(),
                "{algorithm:?}"
            );

            // A token whose header names it, with a well-formed signature of ours.
            let [_, payload, signature] = parts(&sign(&keys, Algorithm::HS256, &claims()));
            let header = b64(&json!({ "alg": format!("{algorithm:?}"), "typ": "JWT" }));
            let token = format!("{header}.{payload}.{signature}");
            let refused = decode::<Value>(&token, &decoding, &validation(algorithm)).unwrap_err();
            assert!(
                matches!(refused.kind(), ErrorKind::UnsupportedAlgorithm),
                "{algorithm:?}: {refused:?}"
            );
        }

        // `none` is not even an algorithm jsonwebtoken parses.
        let [_, payload, _] = parts(&sign(&keys, Algorithm::HS256, &claims()));
        let unsigned = format!("{}.{payload}.", b64(&json!({ "alg": "none", "typ": "JWT" })));
        for algorithm in OURS {
            assert!(!verifies(&unsigned, &keys.decoding(algorithm), algorithm));
        }
    }

    #[test]
    fn a_key_of_one_algorithm_verifies_no_token_of_another() {
        let keys = keys_from(7);
        for signed_with in OURS {
            let token = sign(&keys, signed_with, &claims());
            for key_of in OURS.into_iter().filter(|a| *a != signed_with) {
                let key = keys.decoding(key_of);
                assert!(
                    !verifies(&token, &key, signed_with),
                    "{signed_with:?} token, {key_of:?} key"
                );
                assert!(!verifies(&token, &key, key_of), "{signed_with:?} token, {key_of:?} key");
                assert!(verifier(&signed_with, &key).is_err());
                assert!(signer(&signed_with, &keys.encoding(key_of)).is_err());
            }
        }
        // And a key of the same algorithm but another owner.
        let other = keys_from(8);
        for algorithm in OURS {
            let token = sign(&keys, algorithm, &claims());
            assert!(
                !verifies(&token, &other.decoding(algorithm), algorithm),
                "{algorithm:?}"
            );
        }
    }

    #[test]
    fn jwks_of_our_keys_are_derived_and_rsa_is_refused() {
        let keys = keys_from(7);
        let b64 = Base64UrlUnpadded::encode_string;
        // The key set stores PKCS#8 v2 (with the public key), which jsonwebtoken's
        // `Jwk::from_encoding_key` does not take (it wants the 48 bytes of v1): both derive.
        assert_eq!(
            ed_public_component(&keys.ed_private, &EllipticCurve::Ed25519).unwrap(),
            keys.ed_public
        );
        let v1 = ed25519_dalek::pkcs8::KeypairBytes {
            secret_key: ed25519_dalek::SigningKey::from_pkcs8_der(&keys.ed_private)
                .unwrap()
                .to_bytes(),
            public_key: None,
        };
        let v1 = EncodingKey::from_ed_der(v1.to_pkcs8_der().unwrap().as_bytes());
        let ed = Jwk::from_encoding_key(&v1, Algorithm::EdDSA).unwrap();
        match &ed.algorithm {
            AlgorithmParameters::OctetKeyPair(p) => {
                assert_eq!(p.curve, EllipticCurve::Ed25519);
                assert_eq!(p.x, b64(&keys.ed_public));
            }
            other => panic!("{other:?}"),
        }
        let ec = Jwk::from_encoding_key(&keys.encoding(Algorithm::ES256), Algorithm::ES256).unwrap();
        match &ec.algorithm {
            AlgorithmParameters::EllipticCurve(p) => {
                assert_eq!(p.curve, EllipticCurve::P256);
                assert_eq!((p.x.clone(), p.y.clone()), (b64(&keys.ec_x), b64(&keys.ec_y)));
            }
            other => panic!("{other:?}"),
        }
        // A JWK's key verifies what the private key signed.
        let token = sign(&keys, Algorithm::ES256, &claims());
        assert!(verifies(&token, &DecodingKey::from_jwk(&ec).unwrap(), Algorithm::ES256));

        // RFC 7638 §3.1's SHA-256 thumbprint of a key we can compute by hand.
        let expected = {
            let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64(&keys.ed_public));
            b64(&Sha256::digest(canonical.as_bytes()))
        };
        assert_eq!(ed.thumbprint(ThumbprintHash::SHA256).unwrap(), expected);
        assert!(ed.thumbprint(ThumbprintHash::SHA384).is_err());

        assert!(Jwk::from_encoding_key(&EncodingKey::from_rsa_der(&[0; 16]), Algorithm::RS256).is_err());
        assert!(Jwk::from_encoding_key(&keys.encoding(Algorithm::ES256), Algorithm::ES384).is_err());
        assert!(no_rsa(&[]).is_err());
    }
}
