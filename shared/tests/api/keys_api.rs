//! Signing keys: rotation without logouts, instances picking up a rotation, and tokens an
//! attacker builds (algorithm confusion, foreign keys, retired keys, wrong `typ`) → 401 each.

use crate::support::{key_set_file, TestApp, SECRET};
use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use chrono::Duration;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use shared::domain::keys::KeySet;
use shared::model::{KeySetDocument, KeyState, SigningAlgorithm};
use shared::seed::{SeedErrorKind, SeedReply};

const ME: &str = "/api/v1/auth/me";

async fn seed(app: &shared::App, command: Value) -> Value {
    match shared::seed::run(app, command.clone()).await {
        SeedReply::Ok { result } => result,
        other => panic!("{command}: {other:?}"),
    }
}

fn header_of(token: &str) -> Value {
    let part = token.split('.').next().unwrap();
    serde_json::from_slice(&Base64UrlUnpadded::decode_vec(part).unwrap()).unwrap()
}

fn claims_of(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&Base64UrlUnpadded::decode_vec(part).unwrap()).unwrap()
}

fn b64(value: &Value) -> String {
    Base64UrlUnpadded::encode_string(value.to_string().as_bytes())
}

fn document(t: &TestApp) -> KeySetDocument {
    serde_json::from_str(&std::fs::read_to_string(t.key_set_path()).unwrap()).unwrap()
}

/// The EdDSA private key of `kid`, from a key set document.
fn ed_key(doc: &KeySetDocument, kid: &str) -> EncodingKey {
    let entry = doc.keys.iter().find(|k| k.kid == kid).expect("the key is in the set");
    EncodingKey::from_ed_der(&Base64::decode_vec(&entry.private_key).unwrap())
}

/// A header as ours are: the algorithm, the kid and `typ: at+jwt`.
fn our_header(alg: Algorithm, kid: &str) -> Header {
    let mut header = Header::new(alg);
    header.typ = Some("at+jwt".into());
    header.kid = Some(kid.into());
    header
}

/// `claims` with `iat`/`exp` moved to now, so that only the signature decides.
fn fresh(t: &TestApp, claims: &Value) -> Value {
    let now = shared::Clock::now(&t.clock).timestamp();
    let mut claims = claims.clone();
    claims["iat"] = now.into();
    claims["exp"] = (now + 600).into();
    claims
}

#[tokio::test]
async fn tokens_are_eddsa_with_a_kid_and_typ_and_es256_works_too() {
    let t = TestApp::new().await;
    let token = t.user_with_token("jane@example.com").await;
    let header = header_of(&token);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "at+jwt");
    let current = document(&t)
        .keys
        .into_iter()
        .find(|k| k.state == KeyState::Current)
        .unwrap();
    assert_eq!(header["kid"], current.kid);
    assert_eq!(t.get_with_token(ME, &token).await.status, 200);

    let path = key_set_file(SigningAlgorithm::ES256);
    let t = TestApp::with_env(&[("KEY_SET_FILE", path.to_str().unwrap())]).await;
    let token = t.user_with_token("jane@example.com").await;
    assert_eq!(header_of(&token)["alg"], "ES256");
    assert_eq!(t.get_with_token(ME, &token).await.status, 200);
}

#[tokio::test]
async fn rotating_twice_keeps_tokens_of_previous_keys_until_they_expire_and_drops_the_keys_after() {
    let t = TestApp::new().await;
    let first_token = t.user_with_token("jane@example.com").await;
    let first_kid = header_of(&first_token)["kid"].as_str().unwrap().to_string();
    let first_doc = document(&t);

    // First rotation: a new key signs, the old one still verifies what it signed.
    let rotated = seed(&t.app, json!({ "command": "keys-rotate" })).await;
    assert_eq!(rotated["retired_kid"], first_kid.as_str());
    let second_kid = rotated["new_kid"].as_str().unwrap().to_string();
    assert_ne!(second_kid, first_kid);
    let second_token = t.login("jane@example.com", crate::support::PASSWORD).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(header_of(&second_token)["kid"], second_kid.as_str());
    assert_eq!(t.get_with_token(ME, &first_token).await.status, 200, "no logout");
    assert_eq!(t.get_with_token(ME, &second_token).await.status, 200);

    // Ten minutes on, a token of the second key; ten more, the second rotation. Both older
    // keys still verify their unexpired tokens.
    t.clock.advance(Duration::minutes(10));
    let second_token = t.login("jane@example.com", crate::support::PASSWORD).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(header_of(&second_token)["kid"], second_kid.as_str());
    let second_doc = document(&t);
    t.clock.advance(Duration::minutes(10));
    let rotated = seed(&t.app, json!({ "command": "keys-rotate" })).await;
    assert_eq!(rotated["retired_kid"], second_kid.as_str());
    assert_eq!(rotated["dropped"], json!([]));
    let listed = seed(&t.app, json!({ "command": "keys-list" })).await;
    let states: Vec<(&str, &str)> = listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kid"].as_str().unwrap(), k["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states.len(), 3);
    assert!(states.contains(&(first_kid.as_str(), "previous")));
    assert!(states.contains(&(second_kid.as_str(), "previous")));
    assert!(
        !listed.to_string().contains("private_key"),
        "listing shows no key material"
    );
    assert_eq!(t.get_with_token(ME, &first_token).await.status, 200);
    assert_eq!(t.get_with_token(ME, &second_token).await.status, 200);

    // At 31 minutes the first token has expired, as it always would; the second has not.
    t.clock.advance(Duration::minutes(11));
    assert_eq!(t.get_with_token(ME, &first_token).await.status, 401);
    assert_eq!(t.get_with_token(ME, &second_token).await.status, 200);

    // Once the first key's tokens have all expired, prune drops it: a token forged with it
    // (fresh dates, valid signature) is refused, while the second key still verifies.
    t.clock.advance(Duration::minutes(10));
    let pruned = seed(&t.app, json!({ "command": "keys-prune" })).await;
    assert_eq!(pruned["dropped"], json!([first_kid]));
    let claims = fresh(&t, &claims_of(&first_token));
    let forged = encode(
        &our_header(Algorithm::EdDSA, &first_kid),
        &claims,
        &ed_key(&first_doc, &first_kid),
    )
    .unwrap();
    assert_eq!(
        t.get_with_token(ME, &forged).await.status,
        401,
        "a dropped key verifies nothing"
    );
    let claims = fresh(&t, &claims_of(&second_token));
    let by_second = encode(
        &our_header(Algorithm::EdDSA, &second_kid),
        &claims,
        &ed_key(&second_doc, &second_kid),
    )
    .unwrap();
    assert_eq!(t.get_with_token(ME, &by_second).await.status, 200);
}

#[tokio::test]
async fn a_staged_key_is_published_first_and_signs_after_the_next_rotation() {
    let t = TestApp::new().await;
    let token = t.user_with_token("jane@example.com").await;
    let staged = seed(&t.app, json!({ "command": "keys-rotate", "stage": true })).await;
    let next_kid = staged["new_kid"].as_str().unwrap().to_string();
    assert_eq!(staged["retired_kid"], Value::Null);
    let set = t.app.keys.snapshot();
    assert_eq!(set.jwks(shared::Clock::now(&t.clock)).keys.len(), 2);
    let again = shared::seed::run(&t.app, json!({ "command": "keys-rotate", "stage": true })).await;
    assert!(matches!(
        again,
        SeedReply::Error {
            kind: SeedErrorKind::KeySet,
            ..
        }
    ));

    let still_old = t.login("jane@example.com", crate::support::PASSWORD).await.body["access_token"].clone();
    assert_eq!(header_of(&token)["kid"], header_of(still_old.as_str().unwrap())["kid"]);
    let rotated = seed(&t.app, json!({ "command": "keys-rotate" })).await;
    assert_eq!(rotated["new_kid"], next_kid.as_str());
    let new = t.login("jane@example.com", crate::support::PASSWORD).await.body["access_token"].clone();
    assert_eq!(header_of(new.as_str().unwrap())["kid"], next_kid.as_str());
    assert_eq!(t.get_with_token(ME, &token).await.status, 200);
}

#[tokio::test]
async fn another_instance_picks_up_a_rotation_on_an_unknown_kid_at_most_once_a_minute() {
    let t = TestApp::new().await;
    let old_token = t.user_with_token("jane@example.com").await;
    let other = t.sibling().await;

    // `other` (the seed, say) rotates; `t` has not re-read the set yet.
    seed(&other, json!({ "command": "keys-rotate" })).await;
    let new_token = shared::domain::auth::login(
        &other,
        "jane@example.com",
        crate::support::PASSWORD.to_string().into(),
        &Default::default(),
    )
    .await
    .unwrap()
    .access_token;
    assert_eq!(
        t.get_with_token(ME, &new_token).await.status,
        200,
        "unknown kid: re-read"
    );
    assert_eq!(t.get_with_token(ME, &old_token).await.status, 200);

    // A second rotation right away: `t` read the set less than a minute ago, so the new kid stays
    // unknown to it until a minute has passed.
    seed(&other, json!({ "command": "keys-rotate" })).await;
    let newer_token = shared::domain::auth::login(
        &other,
        "jane@example.com",
        crate::support::PASSWORD.to_string().into(),
        &Default::default(),
    )
    .await
    .unwrap()
    .access_token;
    assert_eq!(t.get_with_token(ME, &newer_token).await.status, 401);
    t.clock.advance(Duration::seconds(61));
    assert_eq!(t.get_with_token(ME, &newer_token).await.status, 200);
}

#[tokio::test]
async fn tokens_an_attacker_builds_get_401_each() {
    let t = TestApp::new().await;
    let token = t.user_with_token("jane@example.com").await;
    let doc = document(&t);
    let kid = header_of(&token)["kid"].as_str().unwrap().to_string();
    let ours = ed_key(&doc, &kid);
    let claims = fresh(&t, &claims_of(&token));

    // The attacker's own Ed25519 key, and its public JWK.
    let attacker_set = KeySet::generate(SigningAlgorithm::EdDSA, chrono::Utc::now());
    let attacker_kid = attacker_set.signing_key().kid.to_string();
    let attacker = attacker_set.signing_key().encoding.clone();
    let attacker_jwk: Jwk = attacker_set.jwks(chrono::Utc::now()).keys[0].clone();
    // Our public key as the JWKS publishes it, used as an HMAC secret (key confusion).
    let public_x = serde_json::to_value(t.app.keys.snapshot().jwks(chrono::Utc::now()).keys[0].clone()).unwrap()["x"]
        .as_str()
        .unwrap()
        .to_string();

    // The control: a token built here with our key and our header is accepted.
    let control = encode(&our_header(Algorithm::EdDSA, &kid), &claims, &ours).unwrap();
    assert_eq!(t.get_with_token(ME, &control).await.status, 200);

    let with_header = |edit: &dyn Fn(&mut Header), key: &EncodingKey| {
        let mut header = our_header(Algorithm::EdDSA, &kid);
        edit(&mut header);
        encode(&header, &claims, key).unwrap()
    };
    let signature = token.split('.').nth(2).unwrap();
    let cases: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "at+jwt", "kid": kid})),
                b64(&claims)
            ),
        ),
        (
            "alg none, signature kept",
            format!(
                "{}.{}.{signature}",
                b64(&json!({"alg": "none", "typ": "at+jwt", "kid": kid})),
                b64(&claims)
            ),
        ),
        (
            "HS256 with the public key (raw)",
            encode(
                &our_header(Algorithm::HS256, &kid),
                &claims,
                &EncodingKey::from_secret(&Base64UrlUnpadded::decode_vec(&public_x).unwrap()),
            )
            .unwrap(),
        ),
        (
            "HS256 with the public key (as published)",
            encode(
                &our_header(Algorithm::HS256, &kid),
                &claims,
                &EncodingKey::from_secret(public_x.as_bytes()),
            )
            .unwrap(),
        ),
        (
            "unknown kid",
            encode(&our_header(Algorithm::EdDSA, &attacker_kid), &claims, &attacker).unwrap(),
        ),
        ("no kid", with_header(&|h| h.kid = None, &ours)),
        ("our kid, attacker's signature", with_header(&|_| {}, &attacker)),
        (
            "jwk header with the attacker's key",
            with_header(&|h| h.jwk = Some(attacker_jwk.clone()), &attacker),
        ),
        (
            "jwk header, even with our signature",
            with_header(&|h| h.jwk = Some(attacker_jwk.clone()), &ours),
        ),
        (
            "jku header with the attacker's JWKS",
            with_header(
                &|h| h.jku = Some("https://attacker.example/jwks.json".into()),
                &attacker,
            ),
        ),
        (
            "jku header, even with our signature",
            with_header(&|h| h.jku = Some("https://attacker.example/jwks.json".into()), &ours),
        ),
        (
            "x5u header",
            with_header(&|h| h.x5u = Some("https://attacker.example/cert.pem".into()), &ours),
        ),
        ("typ missing", with_header(&|h| h.typ = None, &ours)),
        ("typ JWT", with_header(&|h| h.typ = Some("JWT".into()), &ours)),
        (
            "typ id_token",
            with_header(&|h| h.typ = Some("id_token+jwt".into()), &ours),
        ),
        (
            "ES256 header over our EdDSA signature",
            format!(
                "{}.{}.{}",
                b64(&json!({"alg": "ES256", "typ": "at+jwt", "kid": kid})),
                control.split('.').nth(1).unwrap(),
                control.split('.').nth(2).unwrap()
            ),
        ),
    ];
    for (case, bad) in &cases {
        let reply = t.get_with_token(ME, bad).await;
        assert_eq!(reply.status, 401, "{case}");
        assert_eq!(
            reply.body,
            json!({ "detail": "Could not validate credentials" }),
            "{case}"
        );
    }

    // A key retired by rotation: its genuine token verifies until the key's `not_after`; a
    // token forged with it afterwards does not, even before prune has run.
    seed(&t.app, json!({ "command": "keys-rotate" })).await;
    assert_eq!(t.get_with_token(ME, &control).await.status, 200);
    t.clock.advance(Duration::minutes(36));
    let late = encode(&our_header(Algorithm::EdDSA, &kid), &fresh(&t, &claims), &ours).unwrap();
    assert_eq!(
        t.get_with_token(ME, &late).await.status,
        401,
        "retired key past not_after"
    );
}

#[tokio::test]
async fn the_legacy_secret_key_signs_hs256_with_a_kid_and_cannot_be_rotated() {
    let t = TestApp::with_env(&[("SECRET_KEY", SECRET)]).await;
    let token = t.user_with_token("jane@example.com").await;
    let header = header_of(&token);
    assert_eq!(header["alg"], "HS256");
    assert_eq!(header["typ"], "at+jwt");
    assert!(header["kid"].as_str().unwrap().starts_with("hs256-legacy-"));
    assert_eq!(t.get_with_token(ME, &token).await.status, 200);
    assert!(t.app.keys.snapshot().jwks(chrono::Utc::now()).keys.is_empty());
    let reply = shared::seed::run(&t.app, json!({ "command": "keys-rotate" })).await;
    assert!(
        matches!(&reply, SeedReply::Error { kind: SeedErrorKind::KeySet, message } if message.contains("SECRET_KEY")),
        "{reply:?}"
    );
}

#[tokio::test]
async fn a_missing_or_broken_key_set_file_is_one_line_naming_it() {
    let missing = std::env::temp_dir().join("gatehouse-test-keys/does-not-exist.json");
    let err = shared::key_source::open(&shared::model::KeySource::File(missing.clone()), chrono::Utc::now())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("cannot read the key set") && err.contains("does-not-exist.json"),
        "{err}"
    );
    assert!(!err.contains('\n'));

    let broken = key_set_file(SigningAlgorithm::EdDSA);
    std::fs::write(&broken, "{\"version\": 1}").unwrap();
    let err = shared::key_source::open(&shared::model::KeySource::File(broken), chrono::Utc::now())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("not valid"), "{err}");
    assert!(!err.contains('\n'));
}

#[tokio::test]
async fn the_jwks_and_discovery_document_publish_public_keys_only() {
    let t = TestApp::with_env(&[("PUBLIC_URL", "https://auth.example.com/")]).await;
    let token = t.user_with_token("jane@example.com").await;
    seed(&t.app, json!({ "command": "keys-rotate", "stage": true })).await;

    let jwks = t
        .send(
            lambda_http::http::Method::GET,
            "/.well-known/jwks.json",
            &[],
            lambda_http::Body::Empty,
        )
        .await;
    assert_eq!(jwks.status, 200);
    assert_eq!(jwks.headers["cache-control"], "public, max-age=300");
    let keys = jwks.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "current and staged: {keys:?}");
    assert_eq!(keys[1]["kid"], header_of(&token)["kid"], "the staged key comes first");
    for key in keys {
        assert_eq!(
            (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str()),
            (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
        );
        assert!(key.get("d").is_none(), "no private part");
    }
    let text = jwks.body.to_string();
    for entry in document(&t).keys {
        assert!(!text.contains(&entry.private_key));
    }

    let discovery = t
        .send(
            lambda_http::http::Method::GET,
            "/.well-known/openid-configuration",
            &[],
            lambda_http::Body::Empty,
        )
        .await;
    assert_eq!(discovery.status, 200);
    assert_eq!(discovery.body["issuer"], "https://auth.example.com");
    assert_eq!(
        claims_of(&token)["iss"],
        "https://auth.example.com",
        "the issuer defaults to PUBLIC_URL"
    );
    assert_eq!(
        discovery.body["jwks_uri"],
        "https://auth.example.com/.well-known/jwks.json"
    );
    assert_eq!(
        discovery.body["token_endpoint"],
        "https://auth.example.com/api/v1/auth/token"
    );
    assert_eq!(
        discovery.body["grant_types_supported"],
        json!(["password", "refresh_token"])
    );
    assert_eq!(
        discovery.body["id_token_signing_alg_values_supported"],
        json!(["EdDSA"])
    );
    let post = t.post_json("/.well-known/jwks.json", "{}").await;
    assert_eq!(post.status, 405);
}
