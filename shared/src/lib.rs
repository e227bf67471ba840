//! Gatehouse: all the logic behind the Lambda functions.
//!
//! Layering: `http` (parse, authenticate, map errors) → domain modules (the rules, over the
//! store traits of `domain::ports`) ← `store` (implements them; the only code that knows item
//! keys and DynamoDB types).

pub mod audit;
pub mod aws;
pub mod clock;
pub mod config;
pub mod deadline;
pub mod domain;
pub mod error;
pub mod http;
pub mod key_source;
#[cfg(feature = "mailer")]
pub mod mailer;
pub mod model;
pub mod openapi;
pub mod runtime;
pub mod seed;
pub mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Settings;
pub use error::AppError;
pub use store::Store;

use std::sync::Arc;

/// Everything a request handler needs, built once per Lambda instance.
#[derive(Clone)]
pub struct App {
    pub settings: Arc<Settings>,
    /// Storage as the rules see it.
    pub store: Arc<dyn domain::ports::Ports>,
    /// The same storage as DynamoDB: table set-up, reachability, call counts, raw state.
    pub db: Store,
    pub clock: Arc<dyn Clock>,
    /// The key set (signing keys and the root secret of the derived keys), cached per instance.
    pub keys: Arc<domain::keys::KeyRing>,
    pub tokens: Arc<domain::tokens::TokenKeys>,
    /// Password checks run by logins through this `App` (read by tests only).
    pub password_checks: domain::password::CheckCount,
}

impl App {
    pub fn new(settings: Settings, store: Store, clock: Arc<dyn Clock>, keys: domain::keys::KeyRing) -> Self {
        let keys = Arc::new(keys);
        let tokens = Arc::new(domain::tokens::TokenKeys::new(&settings, keys.clone()));
        let store = store
            .with_deadline(settings.request_deadline)
            .with_audit_retention(settings.audit_retention_days);
        Self {
            settings: Arc::new(settings),
            store: Arc::new(store.clone()),
            db: store,
            clock,
            keys,
            tokens,
            password_checks: Default::default(),
        }
    }

    /// A 32-byte key for one job, derived from the key set's root secret under `label`.
    pub fn derived_key(&self, label: &str) -> [u8; 32] {
        self.keys.snapshot().derived_key(label)
    }
}
