//! The OpenAPI document, for callers outside the HTTP edge (the CLI prints it). It is rendered
//! from the functions' route tables by `http::functions`.

pub use crate::http::functions::document;
