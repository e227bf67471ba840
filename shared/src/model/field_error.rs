//! One entry of a 422 body, in FastAPI's shape: `{"type", "loc", "msg", "ctx"?}`.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldError {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub loc: Vec<Value>,
    pub msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

impl FieldError {
    pub fn new(kind: &'static str, loc: &[&str], msg: impl Into<String>) -> Self {
        Self {
            kind,
            loc: loc.iter().map(|s| Value::from(*s)).collect(),
            msg: msg.into(),
            ctx: None,
        }
    }

    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }

    /// A string over `max` characters.
    pub fn too_long(loc: &[&str], max: usize) -> Self {
        Self::new(
            "string_too_long",
            loc,
            format!("String should have at most {max} characters"),
        )
        .with_ctx(serde_json::json!({ "max_length": max }))
    }

    /// A string under `min` characters.
    pub fn too_short(loc: &[&str], min: usize) -> Self {
        let unit = if min == 1 { "character" } else { "characters" };
        Self::new(
            "string_too_short",
            loc,
            format!("String should have at least {min} {unit}"),
        )
        .with_ctx(serde_json::json!({ "min_length": min }))
    }
}
