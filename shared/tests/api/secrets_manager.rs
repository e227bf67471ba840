//! The key set in AWS Secrets Manager, against moto's server mode (the stand-in `make test`
//! starts: Secrets Manager has no local engine). Runs when `SECRETS_MANAGER_ENDPOINT` names it.
#![cfg(feature = "secrets")]

use crate::support::TestApp;
use serde_json::json;
use shared::domain::keys::KeySet;
use shared::model::{KeySource, SigningAlgorithm};
use shared::seed::SeedReply;

fn endpoint() -> Option<String> {
    let endpoint = std::env::var("SECRETS_MANAGER_ENDPOINT").ok();
    if endpoint.is_none() {
        eprintln!("SECRETS_MANAGER_ENDPOINT is not set: `make test` starts moto and sets it; skipped");
    }
    endpoint
}

async fn client(endpoint: &str) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&shared::aws::sdk_config(Some(endpoint)).await)
}

async fn secret_string(client: &aws_sdk_secretsmanager::Client, name: &str) -> String {
    let out = client.get_secret_value().secret_id(name).send().await.unwrap();
    out.secret_string.unwrap()
}

#[tokio::test]
async fn functions_read_the_key_set_from_the_secret_and_the_seed_rotates_it_there() {
    let Some(endpoint) = endpoint() else { return };
    let client = client(&endpoint).await;
    let name = format!("gatehouse/it/{}", uuid::Uuid::new_v4());
    let set = KeySet::generate(SigningAlgorithm::EdDSA, chrono::Utc::now());
    let first_kid = set.signing_key().kid.to_string();
    client
        .create_secret()
        .name(&name)
        .secret_string(set.to_json())
        .send()
        .await
        .unwrap();

    let t = TestApp::with_env(&[("KEY_SET_SECRET_ID", &name), ("SECRETS_MANAGER_ENDPOINT", &endpoint)]).await;
    assert!(t.app.keys.describe().contains(&name));
    let token = t.user_with_token("jane@example.com").await;
    assert_eq!(t.get_with_token("/api/v1/auth/me", &token).await.status, 200);
    assert_eq!(header_kid(&token), first_kid);

    let SeedReply::Ok { result } = shared::seed::run(&t.app, json!({ "command": "keys-rotate" })).await else {
        panic!("rotation failed")
    };
    let stored = KeySet::parse(&secret_string(&client, &name).await).unwrap();
    assert_eq!(stored.signing_key().kid, result["new_kid"].as_str().unwrap());
    assert!(stored.knows(&first_kid), "the previous key is kept");
    assert_eq!(t.get_with_token("/api/v1/auth/me", &token).await.status, 200);

    // A new instance reads the rotated set at its cold start.
    let other = t.sibling().await;
    assert_eq!(
        other.keys.snapshot().signing_key().kid,
        result["new_kid"].as_str().unwrap()
    );
}

fn header_kid(token: &str) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let part = token.split('.').next().unwrap();
    let header: serde_json::Value = serde_json::from_slice(&Base64UrlUnpadded::decode_vec(part).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_missing_secret_is_one_line_naming_it() {
    let Some(endpoint) = endpoint() else { return };
    let source = KeySource::SecretsManager {
        secret_id: "gatehouse/it/does-not-exist".into(),
        endpoint: Some(endpoint),
    };
    let err = shared::key_source::open(&source, chrono::Utc::now())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("gatehouse/it/does-not-exist"), "{err}");
    assert!(err.contains("ResourceNotFoundException"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

/// The mailer's SMTP login, read from its secret at start-up (never from its configuration).
#[cfg(feature = "mailer")]
#[tokio::test]
async fn the_mailer_reads_its_smtp_login_from_the_secret_and_names_a_bad_one() {
    use secrecy::ExposeSecret;
    use shared::config::SmtpCredentials;
    use shared::mailer::smtp_login;

    let Some(endpoint) = endpoint() else { return };
    let client = client(&endpoint).await;
    let name = format!("gatehouse/it/smtp-{}", uuid::Uuid::new_v4());
    let login = json!({ "username": "mailer@example.com", "password": "smtp-password-in-the-secret" });
    client
        .create_secret()
        .name(&name)
        .secret_string(login.to_string())
        .send()
        .await
        .unwrap();
    let from = |secret_id: &str| SmtpCredentials::SecretsManager {
        secret_id: secret_id.to_string(),
        endpoint: Some(endpoint.clone()),
    };
    let (username, password) = smtp_login(&from(&name)).await.unwrap().expect("a login");
    assert_eq!(username, "mailer@example.com");
    assert_eq!(password.expose_secret(), "smtp-password-in-the-secret");

    let missing = smtp_login(&from("gatehouse/it/no-smtp-login")).await.unwrap_err();
    assert!(
        missing.contains("SMTP_CREDENTIALS_SECRET_ID=\"gatehouse/it/no-smtp-login\""),
        "{missing}"
    );
    assert!(missing.contains("ResourceNotFoundException"), "{missing}");
    assert!(!missing.contains('\n'), "{missing}");

    let malformed = format!("{name}-malformed");
    client
        .create_secret()
        .name(&malformed)
        .secret_string("user:smtp-password-not-json")
        .send()
        .await
        .unwrap();
    let error = smtp_login(&from(&malformed)).await.unwrap_err();
    assert!(error.contains("must be JSON"), "{error}");
    assert!(
        !error.contains("smtp-password-not-json"),
        "the secret stays out of the error: {error}"
    );
}
