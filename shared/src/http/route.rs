//! One row of a function's route table: the handler the router serves and what the OpenAPI
//! document says about it.

use crate::App;
use axum::http::Method;
use axum::routing::{self, MethodRouter};

/// Where an operation takes its input.
#[derive(Clone, Copy)]
pub enum Input {
    None,
    Json(&'static str),
    /// The OAuth2 password (or refresh-token) form of `/auth/token`.
    TokenForm,
    /// An optional JSON body (the refresh token may come in a cookie instead).
    OptionalJson(&'static str),
}

/// `(name, "path" | "query", JSON type, required)`.
pub type Param = (&'static str, &'static str, &'static str, bool);

pub const ORG: Param = ("org_id", "path", "integer", true);
pub const USER: Param = ("user_id", "path", "integer", true);

/// What the document says about one route.
#[derive(Clone, Copy)]
pub struct Doc {
    pub summary: &'static str,
    /// Needs a bearer token (or the session cookie).
    pub auth: bool,
    pub input: Input,
    pub params: &'static [Param],
    /// The success status and its body's schema (`None` for no body).
    pub ok: (u16, Option<&'static str>),
    /// Every other status it can answer, with an `HTTPError` body (422: `HTTPValidationError`).
    pub errors: &'static [u16],
}

/// One row of a function's route table: what the router serves and what the OpenAPI document
/// says about it.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub doc: Doc,
    pub(super) endpoint: MethodRouter<App>,
}

macro_rules! method_constructors {
    ($($name:ident => $method:ident),*) => {
        $(
            pub fn $name<H, T>(path: &'static str, handler: H, summary: &'static str) -> Self
            where
                H: axum::handler::Handler<T, App>,
                T: 'static,
            {
                Self::new(Method::$method, path, routing::$name(handler), summary)
            }
        )*
    };
}

impl Route {
    method_constructors!(get => GET, post => POST, patch => PATCH, delete => DELETE);

    fn new(method: Method, path: &'static str, endpoint: MethodRouter<App>, summary: &'static str) -> Self {
        let doc = Doc {
            summary,
            auth: false,
            input: Input::None,
            params: &[],
            ok: (200, None),
            errors: &[],
        };
        Self {
            method,
            path,
            doc,
            endpoint,
        }
    }

    /// Needs a bearer token (or the session cookie).
    pub fn auth(mut self) -> Self {
        self.doc.auth = true;
        self
    }

    pub fn input(mut self, input: Input) -> Self {
        self.doc.input = input;
        self
    }

    pub fn params(mut self, params: &'static [Param]) -> Self {
        self.doc.params = params;
        self
    }

    /// The success status and its body's schema.
    pub fn ok(mut self, status: u16, schema: &'static str) -> Self {
        self.doc.ok = (status, Some(schema));
        self
    }

    /// 204 without a body.
    pub fn no_content(mut self) -> Self {
        self.doc.ok = (204, None);
        self
    }

    /// Every other status it can answer.
    pub fn errors(mut self, errors: &'static [u16]) -> Self {
        self.doc.errors = errors;
        self
    }
}
