//! Reading what a client sent: typed extractors for bodies (JSON or form), path parameters and
//! the query, each answering FastAPI's 422 shape; the authenticated caller, the client's origin
//! and rate limits as extractors too. Handlers list them in the order they are checked.

use super::cookies;
use crate::domain::limits;
use crate::error::{AppError, FieldError};
use crate::model::{Caller, Origin};
use crate::App;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::RequestExt;
use serde_json::{json, Map, Value};

/// A listing's page size when the query gives none, and the most it may ask for.
const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = 1000;

/// The body, up to the 64 KiB limit the router sets (`DefaultBodyLimit`); over it, the 413.
async fn body_bytes(req: Request, state: &App) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest(rejection.body_text())
        }
    })
}

fn content_type(headers: &HeaderMap) -> String {
    headers
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
fn json_object(headers: &HeaderMap, bytes: &[u8]) -> Result<Fields, AppError> {
    if bytes.is_empty() {
        return Err(AppError::validation(FieldError::new(
            "missing",
            &["body"],
            "Field required",
        )));
    }
    let kind = content_type(headers);
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
fn form_fields(headers: &HeaderMap, bytes: &[u8]) -> Fields {
    let mut map = Map::new();
    if content_type(headers) == "application/x-www-form-urlencoded" {
        for (key, value) in form_urlencoded::parse(bytes) {
            map.entry(key.into_owned())
                .or_insert_with(|| Value::String(value.into_owned()));
        }
    }
    Fields::new(map)
}

/// A body read from named fields.
pub trait FromFields: Sized {
    /// Reads every field, recording each problem in `fields`; `None` only after recording one.
    fn read(fields: &mut Fields) -> Option<Self>;
}

/// A JSON object body, parsed into `T`; every problem in one 422.
pub struct Json<T>(pub T);

impl<T: FromFields> FromRequest<App> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, app: &App) -> Result<Self, AppError> {
        let headers = req.headers().clone();
        let bytes = body_bytes(req, app).await?;
        json_object(&headers, &bytes)?.parse().map(Json)
    }
}

/// Like `Json`, but an empty body is `None`.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: FromFields> FromRequest<App> for OptionalJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, app: &App) -> Result<Self, AppError> {
        let headers = req.headers().clone();
        let bytes = body_bytes(req, app).await?;
        if bytes.is_empty() {
            return Ok(OptionalJson(None));
        }
        json_object(&headers, &bytes)?.parse().map(|v| OptionalJson(Some(v)))
    }
}

/// A form body (`application/x-www-form-urlencoded`), parsed into `T`.
pub struct Form<T>(pub T);

impl<T: FromFields> FromRequest<App> for Form<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, app: &App) -> Result<Self, AppError> {
        let headers = req.headers().clone();
        let bytes = body_bytes(req, app).await?;
        form_fields(&headers, &bytes).parse().map(Form)
    }
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

    fn parse<T: FromFields>(mut self) -> Result<T, AppError> {
        let value = T::read(&mut self);
        self.finish(value)
    }

    fn missing(&mut self, name: &str) {
        self.errors
            .push(FieldError::new("missing", &["body", name], "Field required"));
    }

    pub fn required_str(&mut self, name: &str) -> Option<String> {
        match self.map.get(name) {
            None | Some(Value::Null) => {
                self.missing(name);
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
                self.missing(name);
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
                self.missing(name);
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

    /// The parsed value when every field read was valid, else the one 422 listing every problem.
    /// (A `None` value always comes with a recorded problem; were one ever missing, the answer
    /// would still be a 422, never a panic.)
    pub fn finish<T>(self, value: Option<T>) -> Result<T, AppError> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(AppError::Validation(self.errors)),
        }
    }
}

/// One path parameter's value: raw text, or an integer (FastAPI's 422 naming it otherwise).
pub trait PathValue: Sized {
    fn parse(raw: &str, name: &str) -> Result<Self, AppError>;
}

impl PathValue for String {
    fn parse(raw: &str, _: &str) -> Result<Self, AppError> {
        Ok(raw.to_string())
    }
}

impl PathValue for i64 {
    fn parse(raw: &str, name: &str) -> Result<Self, AppError> {
        integer(raw, "path", name)
    }
}

/// The path parameters of the matched route, in order: `Path<i64>`, `Path<(i64, String)>`, …
/// Parameters are the raw path segments (not percent-decoded), checked left to right; the first
/// that does not parse is the 422.
pub struct Path<T>(pub T);

/// The `(name, raw value)` of each `{name}` segment of the matched route.
fn path_params(parts: &Parts) -> Vec<(String, String)> {
    let Some(pattern) = parts.extensions.get::<MatchedPath>() else {
        return Vec::new();
    };
    pattern
        .as_str()
        .split('/')
        .zip(parts.uri.path().split('/'))
        .filter_map(|(pattern, actual)| {
            let name = pattern.strip_prefix('{')?.strip_suffix('}')?;
            Some((name.to_string(), actual.to_string()))
        })
        .collect()
}

fn param<T: PathValue>(params: &[(String, String)], index: usize) -> Result<T, AppError> {
    let (name, raw) = params
        .get(index)
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .unwrap_or_default();
    T::parse(raw, name)
}

impl<A: PathValue> FromRequestParts<App> for Path<A> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, AppError> {
        let params = path_params(parts);
        Ok(Path(param(&params, 0)?))
    }
}

impl<A: PathValue, B: PathValue> FromRequestParts<App> for Path<(A, B)> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, AppError> {
        let params = path_params(parts);
        let first = param(&params, 0)?;
        Ok(Path((first, param(&params, 1)?)))
    }
}

/// The query string's parameters, decoded; the first wins when one is repeated.
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    }

    /// A parameter that must be there.
    pub fn required(&self, name: &str) -> Result<String, AppError> {
        self.get(name)
            .ok_or_else(|| AppError::validation(FieldError::new("missing", &["query", name], "Field required")))
    }

    /// An optional integer parameter.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, AppError> {
        self.get(name).map(|raw| integer(&raw, "query", name)).transpose()
    }

    /// A listing's `limit`: 100 when absent, and 1 to 1000.
    pub fn page_limit(&self) -> Result<i64, AppError> {
        let limit = self.integer("limit")?.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(AppError::validation(
                FieldError::new(
                    "limit_range",
                    &["query", "limit"],
                    format!("Input should be between 1 and {MAX_PAGE}"),
                )
                .with_ctx(json!({ "ge": 1, "le": MAX_PAGE })),
            ));
        }
        Ok(limit)
    }
}

impl FromRequestParts<App> for Query {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, Self::Rejection> {
        let pairs = form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Ok(Query(pairs))
    }
}

/// An integer from the path or the query, or FastAPI's 422 naming where it was.
fn integer(raw: &str, location: &str, name: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| {
        AppError::validation(FieldError::new(
            "int_parsing",
            &[location, name],
            "Input should be a valid integer, unable to parse string as an integer",
        ))
    })
}

/// The caller behind the request's bearer token (or, without one, the session cookie), or the
/// one 401.
impl FromRequestParts<App> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        let token = match bearer_token(&parts.headers) {
            Some(token) => token.to_string(),
            None => cookies::read(app, &parts.headers, "session").ok_or(AppError::Unauthenticated)?,
        };
        crate::domain::auth::authenticate(app, &token).await
    }
}

/// The client's user agent, address and request id, for the session list and audit events.
impl FromRequestParts<App> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(origin(parts, app))
    }
}

/// Where the request comes from; the address is the one rate limits count (`client_address`).
pub fn origin(parts: &Parts, app: &App) -> Origin {
    let address = client_address(parts, app.settings.forwarded_hops());
    Origin {
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        ip: (address != UNKNOWN_ADDRESS).then_some(address),
        request_id: match parts.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
            #[allow(unreachable_patterns)]
            _ => None,
        },
    }
}

/// A route whose requests count against a rate limit.
pub trait Limited {
    const ROUTE: limits::Route;
}

/// Counts the request against `L`'s limit for this client; 429 once it is used up.
pub struct RateLimited<L>(std::marker::PhantomData<L>);

impl<L: Limited> FromRequestParts<App> for RateLimited<L> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        let address = client_address(parts, app.settings.forwarded_hops());
        limits::check(app, L::ROUTE, &address).await?;
        Ok(RateLimited(std::marker::PhantomData))
    }
}

/// The authenticated caller, counted against `L`'s limit for that user (not for the client
/// address); 429 once it is used up.
pub struct LimitedCaller<L>(pub Caller, pub std::marker::PhantomData<L>);

impl<L: Limited> FromRequestParts<App> for LimitedCaller<L> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        let caller = Caller::from_request_parts(parts, app).await?;
        limits::check(app, L::ROUTE, &format!("user:{}", caller.user.id)).await?;
        Ok(LimitedCaller(caller, std::marker::PhantomData))
    }
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// What `client_address` answers when the request names no address.
const UNKNOWN_ADDRESS: &str = "unknown";

/// The address rate limits count. With `forwarded_hops` (`TRUST_PROXY_HEADERS=true`), the
/// `X-Forwarded-For` entry that many from the right: each proxy appends the address it received
/// the request from, API Gateway last, so entry 1 is what API Gateway saw and entry 2 what the
/// proxy in front of it (CloudFront, say) saw. Entries further left are whatever the client
/// sent and never count. API Gateway's source IP otherwise, and when the header is shorter than
/// that or its entry is not an address.
pub fn client_address(parts: &Parts, forwarded_hops: Option<usize>) -> String {
    let forwarded = forwarded_hops.and_then(|hops| {
        let list: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        forwarded_client(&list.join(","), hops)
    });
    forwarded
        .map(|address| address.to_string())
        .or_else(|| source_ip(parts))
        .unwrap_or_else(|| UNKNOWN_ADDRESS.into())
}

/// The address `hops` entries from the right of an `X-Forwarded-For` list (1 = the right-most),
/// if the list is that long and the entry is an IP address.
pub fn forwarded_client(list: &str, hops: usize) -> Option<std::net::IpAddr> {
    list.rsplit(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .nth(hops.checked_sub(1)?)?
        .parse()
        .ok()
}

/// The client's address as API Gateway saw it.
pub fn source_ip(parts: &Parts) -> Option<String> {
    match parts.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.clone(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;

    #[test]
    fn the_client_is_the_entry_that_many_hops_from_the_right() {
        let ip = |s: &str| Some(s.parse().unwrap());
        // Straight to API Gateway: it appends the address it saw.
        assert_eq!(forwarded_client("203.0.113.9", 1), ip("203.0.113.9"));
        assert_eq!(
            forwarded_client("6.6.6.6, 203.0.113.9", 1),
            ip("203.0.113.9"),
            "what the client wrote itself is ignored"
        );
        // CloudFront appends the viewer, API Gateway then CloudFront's edge address.
        let via_cloudfront = "6.6.6.6, 203.0.113.9, 130.176.1.2";
        assert_eq!(forwarded_client(via_cloudfront, 2), ip("203.0.113.9"));
        assert_eq!(forwarded_client(via_cloudfront, 1), ip("130.176.1.2"));
        assert_eq!(forwarded_client("2001:db8::1 ,, 130.176.1.2", 2), ip("2001:db8::1"));
        assert_eq!(forwarded_client("130.176.1.2", 2), None, "shorter than the hops");
        assert_eq!(forwarded_client("", 1), None);
        assert_eq!(forwarded_client("not-an-ip, 130.176.1.2", 2), None);
        assert_eq!(forwarded_client("203.0.113.9", 0), None);
    }
}
