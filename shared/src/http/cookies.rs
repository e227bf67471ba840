//! The session cookies: `<project>_session` holds the access token (HttpOnly, SameSite=Lax,
//! Path=/), `<project>_refresh` the refresh token (HttpOnly, SameSite=Strict, Path=/api/v1/auth);
//! both `Secure` unless `APP_ENV=dev`. A bearer header, when present, wins over the cookie.

use crate::model::TokenPair;
use crate::App;
use axum::http::header::{HeaderValue, COOKIE, SET_COOKIE};
use axum::http::HeaderMap;
use axum::response::Response;

const REFRESH_PATH: &str = "/api/v1/auth";

fn set_cookie(app: &App, name: &str, value: &str, same_site: &str, path: &str, max_age: i64) -> HeaderValue {
    let secure = if app.settings.secure_cookies() { "; Secure" } else { "" };
    let line = format!(
        "{}_{name}={value}; HttpOnly; SameSite={same_site}; Path={path}; Max-Age={max_age}{secure}",
        app.settings.cookie_prefix
    );
    HeaderValue::from_str(&line).expect("cookie values are URL-safe ASCII")
}

/// Sets both cookies for a fresh pair.
pub fn set_session(app: &App, response: &mut Response, pair: &TokenPair) {
    let refresh_age = app.settings.refresh_token_expire_days * 24 * 3600;
    let headers = response.headers_mut();
    headers.append(
        SET_COOKIE,
        set_cookie(
            app,
            "session",
            &pair.access_token,
            "Lax",
            "/",
            app.tokens.lifetime_seconds(),
        ),
    );
    headers.append(
        SET_COOKIE,
        set_cookie(app, "refresh", &pair.refresh_token, "Strict", REFRESH_PATH, refresh_age),
    );
}

/// Clears both cookies (failed refresh, logout).
pub fn clear_session(app: &App, response: &mut Response) {
    let headers = response.headers_mut();
    headers.append(SET_COOKIE, set_cookie(app, "session", "", "Lax", "/", 0));
    headers.append(SET_COOKIE, set_cookie(app, "refresh", "", "Strict", REFRESH_PATH, 0));
}

/// The value of one of our cookies in the request, if present and non-empty.
pub fn read(app: &App, headers: &HeaderMap, name: &str) -> Option<String> {
    let wanted = format!("{}_{name}", app.settings.cookie_prefix);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == wanted && !value.is_empty())
        .map(|(_, value)| value.to_string())
}
