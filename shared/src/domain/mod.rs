//! The rules: what registration, login and authentication mean, independent of HTTP and DynamoDB.

pub mod access;
pub mod account;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod discovery;
pub mod invites;
pub mod jwt_crypto;
pub mod keys;
pub mod limits;
pub mod lockout;
pub mod mail;
pub mod mfa;
pub mod one_time;
pub mod orgs;
pub mod password;
pub mod ports;
pub mod recovery;
pub mod sealed;
pub mod sessions;
pub mod store_error;
pub mod tokens;
pub mod users;
