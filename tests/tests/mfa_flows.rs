//! Issue 16's "done when", over HTTP: a new user enrols an authenticator (codes computed by
//! pyotp from the enrolment's key URI, as a phone app reads it from the QR code), signs in in two
//! steps, and recovers with a recovery code, which works once.

use blackbox::{pyotp_code, unique_email, wait_for_mail, Api};
use serde_json::json;

#[test]
fn enrol_sign_in_in_two_steps_and_recover_with_a_recovery_code() {
    let api = Api::new();
    let email = unique_email("mfa");
    let credentials = json!({ "email": email, "password": "Secret1234!" }).to_string();
    assert_eq!(api.post_json("/api/v1/auth/register", &credentials).status, 200);
    let login_form = format!("username={email}&password=Secret1234!");
    let login = api.post_form("/api/v1/auth/token", &login_form);
    assert_eq!(login.status, 200, "{:?}", login.body);
    let token = login.body["access_token"].as_str().unwrap().to_string();

    let password = json!({ "password": "Secret1234!" }).to_string();
    let enrolment = api.request(
        "POST",
        "/api/v1/auth/mfa/totp",
        Some("application/json"),
        Some(&token),
        Some(&password),
    );
    assert_eq!(enrolment.status, 200, "{:?}", enrolment.body);
    let uri = enrolment.body["otpauth_uri"].as_str().unwrap();
    assert!(enrolment.body["qr_svg"].as_str().unwrap().contains("<svg"));

    let code = json!({ "code": pyotp_code(uri, 0) }).to_string();
    let confirmed = api.request(
        "POST",
        "/api/v1/auth/mfa/totp/confirm",
        Some("application/json"),
        Some(&token),
        Some(&code),
    );
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    let recovery_codes = confirmed.body["recovery_codes"].as_array().unwrap().clone();
    assert_eq!(recovery_codes.len(), 10);
    wait_for_mail(&email, "Two-step sign-in was turned on", 30);
    assert_eq!(api.get("/api/v1/auth/me", &token).body["mfa_enabled"], true);

    // The password alone: a challenge, no tokens.
    let first = api.post_form("/api/v1/auth/token", &login_form);
    assert_eq!(first.status, 401);
    assert_eq!(first.body["detail"], "MFA required");
    assert_eq!(first.body["methods"], json!(["totp", "recovery_code"]));
    assert!(first.header("set-cookie").is_none());
    // The next step's code: the confirming one is spent, and one step of skew is accepted.
    let body = json!({ "mfa_token": first.body["mfa_token"], "code": pyotp_code(uri, 1) }).to_string();
    let second = api.post_json("/api/v1/auth/mfa/verify", &body);
    assert_eq!(second.status, 200, "{:?}", second.body);
    assert!(second.header("set-cookie").is_some());
    let strong = second.body["access_token"].as_str().unwrap();
    assert_eq!(api.get("/api/v1/auth/me", strong).body["email"], email);

    // Recovery: a recovery code instead of the phone, once.
    let recovery = recovery_codes[0].as_str().unwrap();
    let challenge = api.post_form("/api/v1/auth/token", &login_form);
    let body = json!({ "mfa_token": challenge.body["mfa_token"], "recovery_code": recovery }).to_string();
    let recovered = api.post_json("/api/v1/auth/mfa/verify", &body);
    assert_eq!(recovered.status, 200, "{:?}", recovered.body);
    let challenge = api.post_form("/api/v1/auth/token", &login_form);
    let body = json!({ "mfa_token": challenge.body["mfa_token"], "recovery_code": recovery }).to_string();
    let replayed = api.post_json("/api/v1/auth/mfa/verify", &body);
    assert_eq!(
        (replayed.status, replayed.body),
        (401, json!({ "detail": "Invalid code" }))
    );
}
