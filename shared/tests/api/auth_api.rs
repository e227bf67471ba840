//! The auth function's handlers against DynamoDB Local: register, token, me, logout.

use crate::support::{Call, TestApp, PASSWORD, SECRET};
use aws_sdk_dynamodb::types::AttributeValue;
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use lambda_http::http::Method;
use lambda_http::Body;
use serde_json::{json, Value};
use sha2::Sha512;
use shared::store::{ItemKind, TTL_ATTRIBUTE};

const REGISTER: &str = "/api/v1/auth/register";
const TOKEN: &str = "/api/v1/auth/token";
const ME: &str = "/api/v1/auth/me";
const LOGOUT: &str = "/api/v1/auth/logout";

#[tokio::test]
async fn register_returns_the_user_and_the_first_user_is_admin() {
    let t = TestApp::new().await;
    let first = t
        .post_json(
            REGISTER,
            r#"{"email": " Jane@Example.com ", "password": "Secret1234!", "full_name": "Jane Doe"}"#,
        )
        .await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let body = first.body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "email",
            "full_name",
            "id",
            "is_active",
            "is_verified",
            "last_login",
            "mfa_enabled",
            "role",
            "updated_at"
        ]
    );
    assert_eq!(body["email"], "jane@example.com");
    assert_eq!(body["full_name"], "Jane Doe");
    assert_eq!(body["is_active"], true);
    assert_eq!(body["is_verified"], false);
    assert_eq!(body["role"], "admin");
    assert_eq!(body["id"], 1);
    assert_eq!(body["last_login"], Value::Null);
    assert_eq!(body["updated_at"], Value::Null);
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));

    let second = t.register("bob@example.com", PASSWORD).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body["role"], "user");
    assert_eq!(second.body["id"], 2);
    assert_eq!(second.body["full_name"], Value::Null);
}

#[tokio::test]
async fn duplicate_email_is_refused_whatever_its_case() {
    let t = TestApp::new().await;
    assert_eq!(t.register("jane@example.com", PASSWORD).await.status, 200);
    let again = t.register("JANE@example.COM", "Another1234!").await;
    assert_eq!(again.status, 400);
    assert_eq!(again.body, json!({ "detail": "Email already registered" }));
    assert_eq!(t.count_users().await, 1);
}

#[tokio::test]
async fn registration_can_be_closed() {
    let t = TestApp::with_env(&[("REGISTRATION_ENABLED", "false")]).await;
    let reply = t.register("jane@example.com", PASSWORD).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.body, json!({ "detail": "Registration is closed" }));
    assert!(t.data_items().await.is_empty(), "nothing is written");
}

#[tokio::test]
async fn invalid_registrations_get_fastapi_shaped_422s_and_write_nothing() {
    let t = TestApp::new().await;
    let cases: &[(&str, &str, &str)] = &[
        (r#"{"password": "Secret1234!"}"#, "missing", "email"),
        (r#"{"email": "jane@example.com"}"#, "missing", "password"),
        (
            r#"{"email": "not an email", "password": "Secret1234!"}"#,
            "value_error",
            "email",
        ),
        (
            r#"{"email": "jane@example.com", "password": "short"}"#,
            "string_too_short",
            "password",
        ),
        (
            r#"{"email": "jane@example.com", "password": "password123"}"#,
            "value_error",
            "password",
        ),
        (r#"{"email": 5, "password": "Secret1234!"}"#, "string_type", "email"),
    ];
    for (body, kind, field) in cases {
        let reply = t.post_json(REGISTER, body).await;
        assert_eq!(reply.status, 422, "{body}");
        let errors = reply.detail().as_array().unwrap();
        assert_eq!(errors.len(), 1, "{body}: {errors:?}");
        assert_eq!(errors[0]["type"], *kind, "{body}");
        assert_eq!(errors[0]["loc"], json!(["body", field]), "{body}");
        assert!(errors[0]["msg"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let too_long = format!(r#"{{"email": "a@example.com", "password": "{}"}}"#, "x".repeat(129));
    assert_eq!(
        t.post_json(REGISTER, &too_long).await.detail()[0]["type"],
        "string_too_long"
    );

    let both = t.post_json(REGISTER, "{}").await;
    assert_eq!(
        both.detail().as_array().unwrap().len(),
        2,
        "every problem is reported at once"
    );
    assert!(t.data_items().await.is_empty());
}

#[tokio::test]
async fn malformed_bodies_are_4xx_json_never_500() {
    let t = TestApp::new().await;
    let broken = t.post_json(REGISTER, r#"{"email": "#).await;
    assert_eq!(broken.status, 422);
    assert_eq!(broken.detail()[0]["type"], "json_invalid");

    let array = t.post_json(REGISTER, "[1, 2]").await;
    assert_eq!(array.status, 422);
    assert_eq!(array.detail()[0]["type"], "model_attributes_type");

    let form = t.post_form(REGISTER, "email=a@example.com&password=Secret1234!").await;
    assert_eq!(form.status, 422, "a form body on a JSON route");

    let empty = t.send(Method::POST, REGISTER, &[], Body::Empty).await;
    assert_eq!(empty.status, 422);
    assert_eq!(empty.detail()[0]["type"], "missing");

    let huge = format!(r#"{{"email": "a@example.com", "password": "{}"}}"#, "x".repeat(70_000));
    let too_large = t.post_json(REGISTER, &huge).await;
    assert_eq!(too_large.status, 413);
    assert_eq!(too_large.body, json!({ "detail": "Request body too large" }));

    let binary = t
        .send(
            Method::POST,
            REGISTER,
            &[("content-type", "application/json")],
            Body::Binary(vec![0xff, 0xfe]),
        )
        .await;
    assert_eq!(binary.status, 422);
    assert!(t.data_items().await.is_empty());
}

#[tokio::test]
async fn unknown_routes_and_methods_are_json() {
    let t = TestApp::new().await;
    let missing = t.send(Method::GET, "/api/v1/auth/nope", &[], Body::Empty).await;
    assert_eq!((missing.status, missing.body), (404, json!({ "detail": "Not Found" })));
    let wrong_method = t.send(Method::PUT, ME, &[], Body::Empty).await;
    assert_eq!(
        (wrong_method.status, wrong_method.body),
        (405, json!({ "detail": "Method Not Allowed" }))
    );
}

#[tokio::test]
async fn login_issues_a_bearer_token_and_records_last_login() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let reply = t.login("JANE@example.com", PASSWORD).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["token_type"], "bearer");
    assert_eq!(reply.headers["cache-control"], "no-store");
    let token = reply.body["access_token"].as_str().unwrap();

    let me = t.get_with_token(ME, token).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], "jane@example.com");
    assert!(me.body["last_login"].as_str().unwrap().ends_with('Z'));

    let claims = decode_claims(token);
    assert_eq!(claims["sub"], "1");
    assert_eq!(claims["role"], "admin");
    assert_eq!(claims["iss"], "gatehouse");
    assert_eq!(claims["aud"], "gatehouse");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        30 * 60
    );
    assert!(uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let wrong = t.login("jane@example.com", "Wrong1234!").await;
    let unknown = t.login("nobody@example.com", "Wrong1234!").await;
    let not_an_email = t.login("nobody", "Wrong1234!").await;
    for reply in [&wrong, &unknown, &not_an_email] {
        assert_eq!(reply.status, 401);
        assert_eq!(reply.body, json!({ "detail": "Incorrect email or password" }));
        assert_eq!(reply.headers["www-authenticate"], "Bearer");
    }
}

#[tokio::test]
async fn token_requires_the_password_form() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let json_body = t
        .post_json(TOKEN, r#"{"username": "jane@example.com", "password": "Secret1234!"}"#)
        .await;
    assert_eq!(json_body.status, 422);
    assert_eq!(json_body.detail().as_array().unwrap().len(), 2);

    let bad_grant = t
        .post_form(
            TOKEN,
            "grant_type=client_credentials&username=jane@example.com&password=Secret1234!",
        )
        .await;
    assert_eq!(bad_grant.status, 422);
    assert_eq!(bad_grant.detail()[0]["loc"], json!(["body", "grant_type"]));

    let explicit_grant = t
        .post_form(
            TOKEN,
            "grant_type=password&username=jane@example.com&password=Secret1234!&scope=&client_id=x",
        )
        .await;
    assert_eq!(explicit_grant.status, 200);
}

#[tokio::test]
async fn a_disabled_account_is_told_so_only_after_the_right_password() {
    let t = TestApp::new().await;
    t.register("jane@example.com", PASSWORD).await;
    let token = t.login("jane@example.com", PASSWORD).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    t.update_user(1, "SET is_active = :f", &[(":f", AttributeValue::Bool(false))])
        .await;

    assert_eq!(t.login("jane@example.com", "Wrong1234!").await.status, 401);
    let right = t.login("jane@example.com", PASSWORD).await;
    assert_eq!(right.status, 403);
    assert_eq!(right.body, json!({ "detail": "Account disabled" }));
    assert_eq!(
        t.get_with_token(ME, &token).await.status,
        401,
        "an inactive user's token is refused"
    );
}

fn decode_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&Base64UrlUnpadded::decode_vec(payload).unwrap()).unwrap()
}

fn b64(value: &Value) -> String {
    Base64UrlUnpadded::encode_string(value.to_string().as_bytes())
}

/// Signs as the legacy `SECRET_KEY` set does (its kid, `typ: at+jwt`), so each case fails for
/// its own reason.
fn sign(claims: &Value, algorithm: Algorithm, secret: &str) -> String {
    let mut header = Header::new(algorithm);
    header.typ = Some("at+jwt".into());
    header.kid = Some(legacy_kid());
    encode(&header, claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

/// The same with HS512, made by hand: Gatehouse's JWT crypto (`domain::jwt_crypto`) signs only
/// the key set's algorithms.
fn sign_hs512(claims: &Value, secret: &str) -> String {
    let header = json!({ "alg": "HS512", "typ": "at+jwt", "kid": legacy_kid() });
    let message = format!("{}.{}", b64(&header), b64(claims));
    let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    format!(
        "{message}.{}",
        Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes()[..])
    )
}

fn legacy_kid() -> String {
    shared::domain::keys::KeySet::legacy(SECRET)
        .signing_key()
        .kid
        .to_string()
}

#[tokio::test]
async fn every_bad_token_gets_the_same_401() {
    // The legacy HS256 key, so the cases can sign with it (keys_api.rs has the EdDSA attacks).
    let t = TestApp::with_env(&[("SECRET_KEY", SECRET)]).await;
    let token = t.user_with_token("jane@example.com").await;
    let claims = decode_claims(&token);
    let [header, _, signature]: [&str; 3] = token.split('.').collect::<Vec<_>>().try_into().unwrap();

    let mut other_user = claims.clone();
    other_user["sub"] = "2".into();
    let mut wrong_issuer = claims.clone();
    wrong_issuer["iss"] = "someone-else".into();
    let mut wrong_audience = claims.clone();
    wrong_audience["aud"] = "someone-else".into();
    let mut unknown_user = claims.clone();
    unknown_user["sub"] = "999".into();
    let mut no_subject = claims.clone();
    no_subject.as_object_mut().unwrap().remove("sub");

    let cases: Vec<(&str, String)> = vec![
        ("malformed", "not-a-jwt".into()),
        ("tampered payload", format!("{header}.{}.{signature}", b64(&other_user))),
        (
            "other key",
            sign(&claims, Algorithm::HS256, "a-different-secret-key-0123456789abcdef"),
        ),
        (
            "alg none",
            format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&claims)),
        ),
        ("HS512", sign_hs512(&claims, SECRET)),
        (
            "RS256 header",
            format!(
                "{}.{}.{signature}",
                b64(&json!({"alg": "RS256", "typ": "JWT"})),
                b64(&claims)
            ),
        ),
        ("wrong issuer", sign(&wrong_issuer, Algorithm::HS256, SECRET)),
        ("wrong audience", sign(&wrong_audience, Algorithm::HS256, SECRET)),
        ("unknown user", sign(&unknown_user, Algorithm::HS256, SECRET)),
        ("no subject", sign(&no_subject, Algorithm::HS256, SECRET)),
    ];
    for (case, bad) in &cases {
        let reply = t.get_with_token(ME, bad).await;
        assert_eq!(reply.status, 401, "{case}");
        assert_eq!(
            reply.body,
            json!({ "detail": "Could not validate credentials" }),
            "{case}"
        );
        assert_eq!(reply.headers["www-authenticate"], "Bearer", "{case}");
    }

    let no_header = t.send(Method::GET, ME, &[], Body::Empty).await;
    assert_eq!(no_header.status, 401);
    let basic = t
        .send(
            Method::GET,
            ME,
            &[("authorization", "Basic amFuZTpzZWNyZXQ=")],
            Body::Empty,
        )
        .await;
    assert_eq!(basic.status, 401);

    assert_eq!(
        t.get_with_token(ME, &token).await.status,
        200,
        "the genuine token still works"
    );
}

#[tokio::test]
async fn tokens_expire_by_the_clock() {
    let t = TestApp::new().await;
    let token = t.user_with_token("jane@example.com").await;
    t.clock.advance(chrono::Duration::minutes(29));
    assert_eq!(t.get_with_token(ME, &token).await.status, 200);
    t.clock.advance(chrono::Duration::minutes(1));
    let expired = t.get_with_token(ME, &token).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.detail(), "Could not validate credentials");
}

#[tokio::test]
async fn tokens_issued_before_tokens_valid_after_are_refused() {
    let t = TestApp::new().await;
    let old = t.user_with_token("jane@example.com").await;
    t.clock.advance(chrono::Duration::milliseconds(5));
    let cutoff = t.clock_ms();
    t.update_user(
        1,
        "SET tokens_valid_after_ms = :t",
        &[(":t", AttributeValue::N(cutoff.to_string()))],
    )
    .await;
    assert_eq!(t.get_with_token(ME, &old).await.status, 401);
    let fresh = t.login("jane@example.com", PASSWORD).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        t.get_with_token(ME, &fresh).await.status,
        200,
        "a token from the same second after the cutoff works"
    );
}

#[tokio::test]
async fn logout_revokes_exactly_that_token() {
    let t = TestApp::new().await;
    let first = t.user_with_token("jane@example.com").await;
    let second = t.login("jane@example.com", PASSWORD).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let auth = format!("Bearer {first}");
    let out = t
        .send(Method::POST, LOGOUT, &[("authorization", &auth)], Body::Empty)
        .await;
    assert_eq!((out.status, out.body), (200, json!({ "detail": "Logged out" })));

    let revoked = t.get_with_token(ME, &first).await;
    assert_eq!(revoked.status, 401);
    assert_eq!(revoked.headers["www-authenticate"], "Bearer");
    assert_eq!(t.get_with_token(ME, &second).await.status, 200, "other tokens live on");
    let again = t
        .send(Method::POST, LOGOUT, &[("authorization", &auth)], Body::Empty)
        .await;
    assert_eq!(again.status, 401, "a revoked token cannot log out again");

    let revoked_item = t
        .all_items()
        .await
        .into_iter()
        .find(|item| item.kind == ItemKind::RevokedToken)
        .expect("the revocation is stored");
    let exp = decode_claims(&first)["exp"].as_i64().unwrap();
    assert_eq!(
        revoked_item.number(TTL_ATTRIBUTE),
        Some(exp),
        "it expires with the token"
    );
}

#[tokio::test]
async fn parallel_registrations_of_one_email_create_one_user() {
    let t = TestApp::new().await;
    let calls = (0..20)
        .map(|i| {
            let body = json!({ "email": "race@example.com", "password": format!("Racing{i:02}pass!") }).to_string();
            Call::json(Method::POST, "/api/v1/auth/register", None, Some(&body))
        })
        .collect();
    let statuses: Vec<u16> = t.concurrently(calls).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 19, "{statuses:?}");
    assert_eq!(t.count_users().await, 1);
    assert_eq!(t.count_items(&[ItemKind::EmailGuard]).await, 1);
    assert_eq!(t.count_items(&[ItemKind::FirstAdmin]).await, 1);
}

#[tokio::test]
async fn parallel_first_registrations_make_exactly_one_admin() {
    let t = TestApp::new().await;
    let calls = (0..10)
        .map(|i| {
            let body = json!({ "email": format!("user{i}@example.com"), "password": PASSWORD }).to_string();
            Call::json(Method::POST, "/api/v1/auth/register", None, Some(&body))
        })
        .collect();
    let roles: Vec<String> = t
        .concurrently(calls)
        .await
        .iter()
        .map(|r| r.body["role"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(roles.iter().filter(|r| *r == "admin").count(), 1, "{roles:?}");
    assert_eq!(roles.iter().filter(|r| *r == "user").count(), 9, "{roles:?}");
}

#[tokio::test]
async fn oversized_or_odd_inputs_are_answered_not_crashed_on() {
    let t = TestApp::with_env(&[("TRUST_PROXY_HEADERS", "true")]).await;
    let long_username = format!("username={}&password=x", "a".repeat(60_000));
    assert_eq!(
        t.post_form(TOKEN, &long_username).await.status,
        401,
        "a 60 KB username is just wrong"
    );
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("x-forwarded-for", "<script>, , "),
    ];
    let odd_forwarded = t
        .send(
            Method::POST,
            TOKEN,
            &headers,
            Body::Text("username=a@b.co&password=x".into()),
        )
        .await;
    assert_eq!(
        odd_forwarded.status, 401,
        "a forwarded value that is no address is ignored"
    );
    let huge_forwarded = "1".repeat(5_000);
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("x-forwarded-for", huge_forwarded.as_str()),
    ];
    assert_eq!(
        t.send(
            Method::POST,
            TOKEN,
            &headers,
            Body::Text("username=a@b.co&password=x".into())
        )
        .await
        .status,
        401
    );
}
