//! The value types of settings that are more than a number or a string.

/// Who may redeem an invite token: `email` (default) the invited address only; `token` anyone
/// holding it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AcceptanceMode {
    Email,
    Token,
}

impl std::str::FromStr for AcceptanceMode {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "email" => Ok(AcceptanceMode::Email),
            "token" => Ok(AcceptanceMode::Token),
            other => Err(format!("unknown mode {other:?}; use \"email\" or \"token\"")),
        }
    }
}

/// Where mail goes. `outbox` (the only one so far) stores each message in the table for 24 h,
/// for `gatehouse auth outbox`; nothing leaves the machine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mailer {
    Outbox,
}

impl std::str::FromStr for Mailer {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "outbox" => Ok(Mailer::Outbox),
            other => Err(format!("unknown mailer {other:?}; the one available is \"outbox\"")),
        }
    }
}

/// At most `max` requests per `window_seconds`, per client address and route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub max: i64,
    pub window_seconds: i64,
}
