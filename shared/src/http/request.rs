//! Reading what a client sent: bodies (JSON or form), fields with FastAPI-shaped errors, the
//! bearer token and the client's address.

use crate::error::{AppError, FieldError};
use lambda_http::http::header;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde_json::{json, Map, Value};

pub const MAX_BODY_BYTES: usize = 64 * 1024;

fn body_bytes(req: &Request) -> Result<&[u8], AppError> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    Ok(bytes)
}

fn content_type(req: &Request) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn not_an_object() -> AppError {
    AppError::validation(FieldError::new(
        "model_attributes_type",
        &["body"],
        "Input should be a valid dictionary or object to extract fields from",
    ))
}

/// The body as a JSON object. Anything else is a 422 naming what is wrong.
pub fn json_object(req: &Request) -> Result<Fields, AppError> {
    let bytes = body_bytes(req)?;
    if bytes.is_empty() {
        return Err(AppError::validation(FieldError::new(
            "missing",
            &["body"],
            "Field required",
        )));
    }
    let kind = content_type(req);
    if !(kind.is_empty() || kind == "application/json" || kind.ends_with("+json")) {
        return Err(not_an_object());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(Fields::new(map)),
        Ok(_) => Err(not_an_object()),
        Err(e) => Err(AppError::Validation(vec![FieldError {
            kind: "json_invalid",
            loc: vec!["body".into(), e.column().into()],
            msg: "JSON decode error".into(),
            ctx: Some(json!({ "error": e.to_string() })),
        }])),
    }
}

/// The body as `application/x-www-form-urlencoded` fields. Another content type yields no fields,
/// so the required ones are reported missing (as FastAPI does for a JSON body on a form route).
pub fn form_fields(req: &Request) -> Result<Fields, AppError> {
    let bytes = body_bytes(req)?;
    let mut map = Map::new();
    if content_type(req) == "application/x-www-form-urlencoded" {
        for (key, value) in form_urlencoded::parse(bytes) {
            map.entry(key.into_owned())
                .or_insert_with(|| Value::String(value.into_owned()));
        }
    }
    Ok(Fields::new(map))
}

/// Named fields of a body, collecting every problem before answering 422 once.
pub struct Fields {
    map: Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Fields {
    fn new(map: Map<String, Value>) -> Self {
        Self {
            map,
            errors: Vec::new(),
        }
    }

    pub fn required_str(&mut self, name: &str) -> Option<String> {
        match self.map.get(name) {
            None | Some(Value::Null) => {
                self.errors
                    .push(FieldError::new("missing", &["body", name], "Field required"));
                None
            }
            Some(_) => self.optional_str(name),
        }
    }

    pub fn optional_str(&mut self, name: &str) -> Option<String> {
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.errors.push(FieldError::new(
                    "string_type",
                    &["body", name],
                    "Input should be a valid string",
                ));
                None
            }
        }
    }

    pub fn optional_bool(&mut self, name: &str) -> Option<bool> {
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.errors.push(FieldError::new(
                    "bool_type",
                    &["body", name],
                    "Input should be a valid boolean",
                ));
                None
            }
        }
    }

    pub fn required_int(&mut self, name: &str) -> Option<i64> {
        match self.map.get(name) {
            None | Some(Value::Null) => {
                self.errors
                    .push(FieldError::new("missing", &["body", name], "Field required"));
                None
            }
            Some(value) => match value.as_i64() {
                Some(n) => Some(n),
                None => {
                    self.errors.push(FieldError::new(
                        "int_type",
                        &["body", name],
                        "Input should be a valid integer",
                    ));
                    None
                }
            },
        }
    }

    pub fn required_int_list(&mut self, name: &str) -> Option<Vec<i64>> {
        match self.map.get(name) {
            None | Some(Value::Null) => {
                self.errors
                    .push(FieldError::new("missing", &["body", name], "Field required"));
                None
            }
            Some(Value::Array(items)) => {
                let numbers: Option<Vec<i64>> = items.iter().map(Value::as_i64).collect();
                if numbers.is_none() {
                    self.errors.push(FieldError::new(
                        "int_type",
                        &["body", name],
                        "Input should be a list of integers",
                    ));
                }
                numbers
            }
            Some(_) => {
                self.errors.push(FieldError::new(
                    "list_type",
                    &["body", name],
                    "Input should be a valid list",
                ));
                None
            }
        }
    }

    /// Records a problem found while parsing a field's value.
    pub fn reject(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// `Ok` when every field read so far was valid.
    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The address rate limits count: the right-most `X-Forwarded-For` entry (the one our own proxy
/// appended) when `trust_proxy_headers`, else API Gateway's source IP.
pub fn client_address(req: &Request, trust_proxy_headers: bool) -> String {
    let forwarded = trust_proxy_headers
        .then(|| req.headers().get("x-forwarded-for")?.to_str().ok())
        .flatten()
        .and_then(|list| list.rsplit(',').map(str::trim).find(|a| !a.is_empty()))
        // Only a real address becomes part of a rate-limit key.
        .and_then(|address| address.parse::<std::net::IpAddr>().ok())
        .map(|address| address.to_string());
    forwarded.or_else(|| source_ip(req)).unwrap_or_else(|| "unknown".into())
}

/// The client's address as API Gateway saw it.
pub fn source_ip(req: &Request) -> Option<String> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.clone(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}
