//! The OpenAPI document, for callers outside the HTTP edge (the CLI prints it). It is rendered
//! from the functions' route tables in `http::openapi`.

pub use crate::http::openapi::document;
