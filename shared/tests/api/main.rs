//! The integration tests of `shared`, one binary (one link) for all: the HTTP API through the
//! handlers against DynamoDB Local (a fresh table per test), and the committed documents
//! (`openapi.json`, `template.yaml`, `.env.example`) against the code.

mod account_protection;
mod auth_api;
mod deployment;
#[cfg(feature = "mailer")]
mod mail;
mod openapi;
mod orgs_api;
mod sessions_api;
mod support;
mod users_api;
