//! The `web` function: the pages people open in a browser (the API docs, the pages mail links land
//! on, the account page) and the files they load, all compiled in. Nothing here reads the table or
//! a token: the pages call the API from the browser, on the same origin, with the session cookie.

use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Response};

/// What a page may load: its own origin only, no inline script, no framing.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The same for Swagger UI, except that it draws its icons from `data:` SVGs in its stylesheet.
/// (It needs no `'unsafe-inline'` styles: React sets styles through the DOM, which CSP allows.)
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The same for `/account`, except that it shows the QR code of a new second factor: the SVG the
/// API answers, as an `<img>` with a `data:` URL (an image can run no script and load nothing).
const ACCOUNT_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The vendored Swagger UI, under its version so that it can be cached for good.
const SWAGGER: &str = "/assets/swagger-ui-5.35.0";

struct Page {
    path: &'static str,
    html: &'static str,
    csp: &'static str,
}

const PAGES: &[Page] = &[
    Page {
        path: "/docs",
        html: include_str!("../pages/docs.html"),
        csp: DOCS_CSP,
    },
    Page {
        path: "/verify",
        html: include_str!("../pages/verify.html"),
        csp: PAGE_CSP,
    },
    Page {
        path: "/verify-email-change",
        html: include_str!("../pages/verify-email-change.html"),
        csp: PAGE_CSP,
    },
    Page {
        path: "/reset",
        html: include_str!("../pages/reset.html"),
        csp: PAGE_CSP,
    },
    Page {
        path: "/invite",
        html: include_str!("../pages/invite.html"),
        csp: PAGE_CSP,
    },
    Page {
        path: "/account",
        html: include_str!("../pages/account.html"),
        csp: ACCOUNT_CSP,
    },
];

#[derive(Clone, Copy)]
enum Content {
    Text(&'static str),
    Bytes(&'static [u8]),
}

struct Asset {
    /// Under `/assets/`.
    name: &'static str,
    content_type: &'static str,
    content: Content,
}

macro_rules! text {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            content: Content::Text(include_str!(concat!("../assets/", $name))),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

const ASSETS: &[Asset] = &[
    text!("common.js", JS),
    text!("verify.js", JS),
    text!("verify-email-change.js", JS),
    text!("reset.js", JS),
    text!("invite.js", JS),
    text!("account.js", JS),
    text!("docs.js", JS),
    text!("pages.css", CSS),
    text!("docs.css", CSS),
    text!("swagger-ui-5.35.0/swagger-ui-bundle.js", JS),
    text!("swagger-ui-5.35.0/swagger-ui.css", CSS),
    Asset {
        name: "swagger-ui-5.35.0/favicon-32x32.png",
        content_type: "image/png",
        content: Content::Bytes(include_bytes!("../assets/swagger-ui-5.35.0/favicon-32x32.png")),
    },
];

/// Every path this function answers, for the deployment test that checks each one reaches it
/// through `template.yaml` and the local router.
pub fn paths() -> Vec<String> {
    PAGES
        .iter()
        .map(|page| page.path.to_string())
        .chain(ASSETS.iter().map(|asset| format!("/assets/{}", asset.name)))
        .collect()
}

/// The response to `method path`: a page, an asset, or a plain 404/405, every one with the
/// security headers.
pub fn respond(method: &Method, path: &str) -> Response<Body> {
    let found = if let Some(page) = PAGES.iter().find(|page| page.path == path) {
        // Pages are tiny and their first URL may carry a token: never stored.
        Some((
            "text/html; charset=utf-8",
            Content::Text(page.html),
            page.csp,
            "no-store",
        ))
    } else if let Some(asset) = path
        .strip_prefix("/assets/")
        .and_then(|name| ASSETS.iter().find(|asset| asset.name == name))
    {
        let cache = if path.starts_with(SWAGGER) {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=300"
        };
        Some((asset.content_type, asset.content, PAGE_CSP, cache))
    } else {
        None
    };
    let Some((content_type, content, csp, cache)) = found else {
        return plain(StatusCode::NOT_FOUND, "Not Found");
    };
    if method != Method::GET && method != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let body = match (method == Method::HEAD, content) {
        (true, _) => Body::Empty,
        (false, Content::Text(text)) => Body::Text(text.to_string()),
        (false, Content::Bytes(bytes)) => Body::Binary(bytes.to_vec()),
    };
    with_headers(Response::new(body), content_type, csp, cache)
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::Text(text.to_string()));
    *response.status_mut() = status;
    with_headers(response, "text/plain; charset=utf-8", PAGE_CSP, "no-store")
}

fn with_headers(
    mut response: Response<Body>,
    content_type: &'static str,
    csp: &'static str,
    cache: &'static str,
) -> Response<Body> {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, cache),
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // The first URL of a page may carry a one-time token: never send it anywhere.
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(response: &'a Response<Body>, name: &str) -> &'a str {
        response.headers()[name].to_str().unwrap()
    }

    #[test]
    fn every_page_and_asset_is_served_with_the_security_headers() {
        for path in paths() {
            let response = respond(&Method::GET, &path);
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let csp = header(&response, "content-security-policy");
            assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
            assert_eq!(header(&response, "x-frame-options"), "DENY");
            assert_eq!(header(&response, "x-content-type-options"), "nosniff");
            assert_eq!(header(&response, "referrer-policy"), "no-referrer");
        }
    }

    #[test]
    fn pages_are_never_cached_and_versioned_assets_are_cached_for_good() {
        let page = respond(&Method::GET, "/reset");
        assert_eq!(header(&page, "cache-control"), "no-store");
        assert!(header(&page, "content-type").starts_with("text/html"));
        let script = respond(&Method::GET, "/assets/reset.js");
        assert!(header(&script, "content-type").starts_with("text/javascript"));
        assert_eq!(header(&script, "cache-control"), "public, max-age=300");
        let swagger = respond(&Method::GET, &format!("{SWAGGER}/swagger-ui-bundle.js"));
        assert!(header(&swagger, "cache-control").contains("immutable"));
    }

    #[test]
    fn pages_load_only_their_own_scripts_and_styles() {
        for page in PAGES {
            assert!(!page.html.contains("<script>"), "{}: no inline script", page.path);
            assert!(!page.html.contains(" style="), "{}: no inline style", page.path);
            assert!(!page.html.contains("//"), "{}: nothing from another origin", page.path);
            for reference in page.html.split(['"', '\'']).filter(|s| s.starts_with("/assets/")) {
                assert_eq!(
                    respond(&Method::GET, reference).status(),
                    StatusCode::OK,
                    "{}: {reference}",
                    page.path
                );
            }
        }
    }

    #[test]
    fn only_the_docs_and_the_account_page_show_data_images() {
        for path in paths() {
            let response = respond(&Method::GET, &path);
            let csp = header(&response, "content-security-policy");
            let data_images = csp.contains("img-src 'self' data:;");
            assert_eq!(data_images, path == "/docs" || path == "/account", "{path}: {csp}");
        }
    }

    #[test]
    fn unknown_paths_and_other_methods_are_refused() {
        assert_eq!(respond(&Method::GET, "/nope").status(), StatusCode::NOT_FOUND);
        assert_eq!(respond(&Method::GET, "/assets/").status(), StatusCode::NOT_FOUND);
        assert_eq!(
            respond(&Method::GET, "/assets/../Cargo.toml").status(),
            StatusCode::NOT_FOUND
        );
        let post = respond(&Method::POST, "/reset");
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(header(&post, "allow"), "GET, HEAD");
        assert!(matches!(respond(&Method::HEAD, "/account").body(), Body::Empty));
    }
}
