//! Where the key set lives (the adapters of `domain::keys::KeySetStore`): AWS Secrets Manager on
//! AWS (crate feature `secrets`), a local file under `make serve`, or the legacy `SECRET_KEY`.
//! The mailer reads its SMTP login from Secrets Manager through the same client.

use crate::domain::keys::{KeyRing, KeySet, KeySetError, KeySetStore};
use crate::model::KeySource;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use std::path::PathBuf;
use std::sync::Arc;

/// Opens the settings' key set: reads and checks it once. The error is one line that names the
/// source and what to fix.
pub async fn open(source: &KeySource, now: DateTime<Utc>) -> Result<KeyRing, KeySetError> {
    let store: Arc<dyn KeySetStore> = match source {
        KeySource::Legacy(secret) => {
            return Ok(KeyRing::fixed(
                KeySet::legacy(secret.expose_secret()),
                source.describe(),
            ))
        }
        KeySource::File(path) => Arc::new(FileStore { path: path.clone() }),
        KeySource::SecretsManager { secret_id, endpoint } => secrets_manager(secret_id, endpoint.as_deref()).await?,
    };
    KeyRing::open(store, now).await
}

/// The string value of a Secrets Manager secret, read once (the mailer's SMTP login).
pub async fn read_secret(secret_id: &str, endpoint: Option<&str>) -> Result<String, String> {
    let store = secrets_manager(secret_id, endpoint).await.map_err(|e| e.to_string())?;
    store.read().await
}

#[cfg(feature = "secrets")]
async fn secrets_manager(secret_id: &str, endpoint: Option<&str>) -> Result<Arc<dyn KeySetStore>, KeySetError> {
    let client = aws_sdk_secretsmanager::Client::new(&crate::aws::sdk_config(endpoint).await);
    Ok(Arc::new(SecretsManagerStore {
        client,
        secret_id: secret_id.to_string(),
        description: KeySource::SecretsManager {
            secret_id: secret_id.to_string(),
            endpoint: endpoint.map(str::to_string),
        }
        .describe(),
    }))
}

#[cfg(not(feature = "secrets"))]
async fn secrets_manager(_secret_id: &str, _endpoint: Option<&str>) -> Result<Arc<dyn KeySetStore>, KeySetError> {
    Err(KeySetError::Source(
        "KEY_SET_SECRET_ID is set but this function was built without the Secrets Manager client (the `secrets` feature of shared)".into(),
    ))
}

/// The key set in a local file (`make serve` generates `.local/key-set.json`). Writes go to a
/// temporary file that replaces it, so a reader never sees half a document.
pub struct FileStore {
    pub path: PathBuf,
}

#[async_trait::async_trait]
impl KeySetStore for FileStore {
    fn describe(&self) -> String {
        format!("key set file {}", self.path.display())
    }

    async fn read(&self) -> Result<String, String> {
        std::fs::read_to_string(&self.path).map_err(|e| e.to_string())
    }

    async fn write(&self, json: String) -> Result<(), String> {
        write_private_file(&self.path, &json).map_err(|e| e.to_string())
    }
}

/// Writes `contents` to `path` (readable by its owner only) through a temporary file and a rename.
pub fn write_private_file(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
    let temporary = PathBuf::from(temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}

#[cfg(feature = "secrets")]
pub struct SecretsManagerStore {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    description: String,
}

/// An SDK error on one line: the service's code and message when there is one.
#[cfg(feature = "secrets")]
fn sdk_error_line<E, R>(error: aws_sdk_secretsmanager::error::SdkError<E, R>) -> String
where
    E: std::error::Error + aws_sdk_secretsmanager::error::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    if let Some(service) = error.as_service_error() {
        if let Some(code) = service.code() {
            return format!("{code}: {}", service.message().unwrap_or("no message"));
        }
    }
    aws_sdk_secretsmanager::error::DisplayErrorContext(&error)
        .to_string()
        .replace('\n', " ")
}

#[cfg(feature = "secrets")]
#[async_trait::async_trait]
impl KeySetStore for SecretsManagerStore {
    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn read(&self) -> Result<String, String> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(sdk_error_line)?;
        output
            .secret_string
            .ok_or_else(|| "the secret has no string value (SecretString)".to_string())
    }

    async fn write(&self, json: String) -> Result<(), String> {
        self.client
            .put_secret_value()
            .secret_id(&self.secret_id)
            .secret_string(json)
            .send()
            .await
            .map(drop)
            .map_err(sdk_error_line)
    }
}
