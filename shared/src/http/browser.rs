//! Browsers: the CSRF check and CORS, in front of every route of every function.
//!
//! - An unsafe request (POST, PATCH, DELETE, PUT) that one of our cookies may authenticate (it
//!   carries one and no bearer header) must come from an allowed origin: its `Origin` or, without
//!   one, its `Referer`'s origin. Otherwise 403 "Cross-site request refused", before any handler
//!   runs, so nothing changes. Bearer requests cannot be forged cross-site and are not checked.
//! - Login CSRF: `POST /auth/token`, `/auth/register` and `/auth/refresh` with an `Origin` that is
//!   not allowed get the same 403 (no `Origin` at all, as from curl or a server, passes).
//! - Such a cookie request with a body must be `Content-Type: application/json` (or the form, on
//!   `/auth/token`), else 415: a cross-site page cannot send JSON without a preflight.
//! - CORS for `CORS_ALLOWED_ORIGINS` only, with credentials: preflights are answered here, other
//!   responses echo the origin; any other origin gets no CORS header at all. Every response to a
//!   request with an `Origin` says `Vary: Origin`.
//!
//! Allowed origins are the API's own and `CORS_ALLOWED_ORIGINS`. The API's own origin is
//! `PUBLIC_URL`'s, and also the request's own scheme and `Host` (scheme from
//! `X-Forwarded-Proto`, which API Gateway sets, else `https`): a page served by the API's own
//! domain is same-origin without any setting.

use super::{bearer_token, cookies, detail};
use crate::model::WebOrigin;
use crate::App;
use axum::body::HttpBody;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const CROSS_SITE: &str = "Cross-site request refused";
pub const NOT_JSON: &str = "Content-Type must be application/json";
/// How long a browser may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";
const ALLOWED_METHODS: &str = "GET, POST, PATCH, DELETE";
const ALLOWED_HEADERS: &str = "Authorization, Content-Type";
const EXPOSED_HEADERS: &str = "Retry-After, X-Skipped-Members, X-Next-Cursor";
/// The sign-in routes a cross-site page must not drive (login CSRF).
const SIGN_IN: &[&str] = &["/api/v1/auth/token", "/api/v1/auth/register", "/api/v1/auth/refresh"];

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The origin the request itself was sent to: `X-Forwarded-Proto` (else `https`, as
/// `lambda_http` assumes) and the `Host` header (else the URI's authority).
fn own_origin(req: &Request) -> Option<WebOrigin> {
    let headers = req.headers();
    let scheme = header_text(headers, header::HeaderName::from_static("x-forwarded-proto"))
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .or_else(|| req.uri().scheme_str())
        .unwrap_or("https");
    let host = header_text(headers, header::HOST).or_else(|| req.uri().authority().map(|a| a.as_str()))?;
    WebOrigin::parse(&format!("{scheme}://{host}"))
}

fn is_cors_origin(app: &App, origin: Option<&WebOrigin>) -> bool {
    origin.is_some_and(|o| app.settings.cors_allowed_origins.contains(o))
}

fn cookie_authenticated(app: &App, headers: &HeaderMap) -> bool {
    bearer_token(headers).is_none()
        && (cookies::read(app, headers, "session").is_some() || cookies::read(app, headers, "refresh").is_some())
}

fn has_body(req: &Request) -> bool {
    let declared = header_text(req.headers(), header::CONTENT_LENGTH)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    declared > 0 || req.body().size_hint().lower() > 0
}

fn content_type(headers: &HeaderMap) -> String {
    header_text(headers, header::CONTENT_TYPE)
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Why the request must not reach a route, if it must not.
fn refusal(app: &App, req: &Request, origin_header: Option<&str>) -> Option<Response> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let own = own_origin(req);
    let allowed = |origin: Option<WebOrigin>| {
        origin.is_some_and(|o| {
            app.settings.cors_allowed_origins.contains(&o)
                || app.settings.public_origin.as_ref() == Some(&o)
                || own.as_ref() == Some(&o)
        })
    };
    let headers = req.headers();
    let path = req.uri().path().trim_end_matches('/');
    if cookie_authenticated(app, headers) {
        let source = match origin_header {
            Some(origin) => WebOrigin::parse(origin),
            None => header_text(headers, header::REFERER).and_then(WebOrigin::of_url),
        };
        if !allowed(source) {
            return Some(detail(StatusCode::FORBIDDEN, CROSS_SITE));
        }
        let kind = content_type(headers);
        let form_on_token = path == "/api/v1/auth/token" && kind == "application/x-www-form-urlencoded";
        if has_body(req) && kind != "application/json" && !form_on_token {
            return Some(detail(StatusCode::UNSUPPORTED_MEDIA_TYPE, NOT_JSON));
        }
    } else if let Some(origin) = origin_header {
        if SIGN_IN.contains(&path) && !allowed(WebOrigin::parse(origin)) {
            return Some(detail(StatusCode::FORBIDDEN, CROSS_SITE));
        }
    }
    None
}

/// A preflight from an allowed origin: what it may send, for how long, with credentials.
fn preflight(origin: &WebOrigin) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOWED_METHODS),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    allow(&mut response, origin);
    response
}

fn allow(response: &mut Response, origin: &WebOrigin) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(origin.as_str()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}

/// The middleware: refusals and preflights answered here; CORS headers on the way out.
pub async fn guard(State(app): State<App>, req: Request, next: Next) -> Response {
    let origin_header = header_text(req.headers(), header::ORIGIN).map(str::to_string);
    let origin = origin_header.as_deref().and_then(WebOrigin::parse);
    let cors = is_cors_origin(&app, origin.as_ref());
    let is_preflight =
        req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = match (&origin, is_preflight && cors) {
        (Some(origin), true) => preflight(origin),
        _ => match refusal(&app, &req, origin_header.as_deref()) {
            Some(refused) => refused,
            None => next.run(req).await,
        },
    };
    if let (true, Some(origin)) = (cors, &origin) {
        allow(&mut response, origin);
        response.headers_mut().insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    if origin_header.is_some() {
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = axum::http::Request::builder().method(Method::POST).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn the_own_origin_is_the_forwarded_scheme_and_the_host() {
        let own =
            |uri: &str, headers: &[(&str, &str)]| own_origin(&request(uri, headers)).map(|o| o.as_str().to_string());
        assert_eq!(
            own("https://api.example.com/x", &[]).as_deref(),
            Some("https://api.example.com")
        );
        assert_eq!(
            own(
                "https://localhost:8000/x",
                &[("host", "localhost:8000"), ("x-forwarded-proto", "http")]
            )
            .as_deref(),
            Some("http://localhost:8000")
        );
        assert_eq!(
            own("/x", &[("host", "a.example:443")]).as_deref(),
            Some("https://a.example")
        );
        assert_eq!(own("/x", &[]), None);
    }
}
