//! The second factor: a TOTP factor as stored, the challenge a password login hands out when an
//! account has one, and the codes a client sends.

use super::field_error::FieldError;
use serde::{Deserialize, Serialize};

/// `amr` values (RFC 8176) of a session: the password, and a one-time password (TOTP or a
/// recovery code).
pub const AMR_PASSWORD: &str = "pwd";
pub const AMR_OTP: &str = "otp";

/// A user's TOTP factor. Pending (`confirmed == false`) from enrolment until a first valid code;
/// only a confirmed factor is asked for at login. No `Debug`: it holds the sealed secret.
#[derive(Clone, Serialize, Deserialize)]
pub struct TotpFactor {
    pub user_id: i64,
    /// The base32 secret, sealed (AES-256-GCM under a derived key, bound to the user id).
    pub sealed_secret: String,
    pub confirmed: bool,
    /// The last time step whose code was accepted: no code of it or of an earlier step is
    /// accepted again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_step: Option<i64>,
    /// Keyed hashes of the unused recovery codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovery_codes: Vec<String>,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<String>,
}

/// The short-lived, single-use token of a login's second step: only its SHA-256 is stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MfaChallenge {
    pub hash: String,
    pub user_id: i64,
    /// Epoch seconds; void from then on.
    pub expires_at: i64,
}

/// What proves the second factor in a login's second step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaProof {
    /// A code of this TOTP time step (accepted once, and only after every earlier step).
    TotpStep(i64),
    /// The keyed hash of an unused recovery code.
    RecoveryCode(String),
}

/// Six ASCII digits (spaces ignored, as authenticator apps show `123 456`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpCode(String);

impl TotpCode {
    pub fn parse(raw: &str, loc: &[&str]) -> Result<TotpCode, FieldError> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(TotpCode(digits))
        } else {
            Err(FieldError::new(
                "string_pattern_mismatch",
                loc,
                "The code must be the 6 digits the authenticator app shows",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A recovery code as typed: letters and digits of the code alphabet, case and separators
/// ignored. Normalised to its canonical form (upper case, no separators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

/// Recovery codes are this many base32 characters (50 bits), shown in groups of 5.
pub const RECOVERY_CODE_CHARS: usize = 10;

impl RecoveryCode {
    pub fn parse(raw: &str, loc: &[&str]) -> Result<RecoveryCode, FieldError> {
        let canonical: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid = canonical.len() == RECOVERY_CODE_CHARS
            && canonical
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b));
        if valid {
            Ok(RecoveryCode(canonical))
        } else {
            Err(FieldError::new(
                "string_pattern_mismatch",
                loc,
                "A recovery code is 10 letters and digits, as shown when it was issued (e.g. ABCDE-FGH23)",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an enrolment answers: the secret three ways (shown once, before confirmation).
#[derive(Serialize)]
pub struct TotpEnrolment {
    pub secret: String,
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri`, as an SVG document.
    pub qr_svg: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_in_the_forms_people_type_them() {
        assert_eq!(
            TotpCode::parse("123 456", &["body", "code"]).unwrap().as_str(),
            "123456"
        );
        assert!(TotpCode::parse("12345", &["body", "code"]).is_err());
        assert!(TotpCode::parse("12345a", &["body", "code"]).is_err());
        assert!(
            TotpCode::parse("１２３４５６", &["body", "code"]).is_err(),
            "ASCII digits only"
        );
        let code = RecoveryCode::parse("abcde-fgh23", &["body", "recovery_code"]).unwrap();
        assert_eq!(code.as_str(), "ABCDEFGH23");
        assert!(
            RecoveryCode::parse("ABCDE-FGH21", &["body", "recovery_code"]).is_err(),
            "1 is not base32"
        );
        assert!(RecoveryCode::parse("ABCDE", &["body", "recovery_code"]).is_err());
    }
}
