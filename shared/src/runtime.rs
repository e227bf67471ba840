//! Start-up shared by every function: logging, settings, the key set, the DynamoDB client. Any
//! problem stops the process with one line saying what to fix.

use crate::{App, Clock, Settings, Store, SystemClock};
use std::sync::Arc;

/// Builds the app or exits with one clear line on stderr. `require_table` is false only for the
/// seed function, which can create the table.
pub async fn start(require_table: bool) -> App {
    lambda_http::tracing::init_default_subscriber();
    let settings = Settings::from_env().unwrap_or_else(|e| fail(&e.to_string()));
    let keys = crate::key_source::open(&settings.key_source, SystemClock.now())
        .await
        .unwrap_or_else(|e| fail(&e.to_string()));
    let client = crate::store::connect(settings.dynamodb_endpoint.as_deref()).await;
    let store = Store::new(client, settings.table_name.clone());
    // Proves the table is there and opens the connection during init, not on the first request.
    if let Err(e) = store.check_reachable(require_table).await {
        let endpoint = settings.dynamodb_endpoint.as_deref().unwrap_or("AWS");
        fail(&format!(
            "cannot reach DynamoDB table '{}' at {endpoint} ({e}): start it (`make serve` runs DynamoDB Local) or fix TABLE_NAME, DYNAMODB_ENDPOINT and AWS credentials",
            settings.table_name
        ));
    }
    App::new(settings, store, Arc::new(SystemClock), keys)
}

fn fail(message: &str) -> ! {
    eprintln!("gatehouse: {}", message.replace('\n', " "));
    std::process::exit(1);
}

/// The mailer function's start: the app, then the transport `MAIL_TRANSPORT` names.
#[cfg(feature = "mailer")]
pub async fn start_mailer() -> (App, crate::mailer::Transports) {
    let app = start(true).await;
    let transport = crate::mailer::Transports::from_settings(&app)
        .await
        .unwrap_or_else(|e| fail(&e));
    (app, transport)
}
