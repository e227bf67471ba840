//! The rules: what registration, login and authentication mean, independent of HTTP and DynamoDB.

pub mod auth;
pub mod email;
pub mod password;
pub mod tokens;
pub mod users;
