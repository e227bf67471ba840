//! The integration tests of `shared`, one binary (one link) for all: the HTTP API through the
//! handlers against DynamoDB Local (a fresh table per test), and the committed documents
//! (`openapi.json`, `template.yaml`, `.env.example`) against the code.

mod account_protection;
mod audit_routes;
mod audit_trail;
mod auth_api;
mod capacity;
mod deployment;
mod fault_proxy;
mod faults_api;
mod keys_api;
#[cfg(feature = "mailer")]
mod mail;
mod mfa;
mod openapi;
mod orgs_api;
mod round_trips;
mod secrets_manager;
mod self_service;
mod sessions_api;
mod support;
mod tenancy;
mod users_api;
