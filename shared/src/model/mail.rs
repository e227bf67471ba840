//! A message on its way to a mailbox.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutboxMessage {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    pub expires_at: i64,
}
