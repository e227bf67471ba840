//! What the API publishes about its tokens, so that other services verify them with no shared
//! secret: the JWKS (public keys only) and the OpenID Connect discovery document (RFC 8414 /
//! OIDC Discovery), whose `jwks_uri` API Gateway JWT authorizers follow.

use crate::domain::keys::JWKS_MAX_AGE_SECONDS;
use crate::App;
use jsonwebtoken::jwk::JwkSet;
use serde_json::{json, Value};

/// `Cache-Control` of both documents: verifiers may keep them this long (a staged key is
/// published at least this long before it signs when rotation is done in two steps).
pub fn cache_control() -> String {
    format!("public, max-age={JWKS_MAX_AGE_SECONDS}")
}

/// Every public key that verifies tokens now: next, current, previous (HS256 keys never).
pub async fn jwks(app: &App) -> JwkSet {
    let now = app.clock.now();
    app.keys.fresh(now).await.jwks(now)
}

/// The discovery document; URLs start at `PUBLIC_URL`, or else at `request_base` (the URL the
/// request came to).
pub async fn openid_configuration(app: &App, request_base: &str) -> Value {
    let now = app.clock.now();
    let base = app.settings.public_url.as_deref().unwrap_or(request_base);
    let algorithms: Vec<&str> = app
        .keys
        .fresh(now)
        .await
        .algorithms(now)
        .into_iter()
        .map(|alg| alg.as_str())
        .collect();
    json!({
        "issuer": app.settings.jwt_issuer,
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "token_endpoint": format!("{base}/api/v1/auth/token"),
        "grant_types_supported": ["password", "refresh_token"],
        // No authorization endpoint: tokens come from the token endpoint only.
        "response_types_supported": ["token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algorithms,
        "token_endpoint_auth_signing_alg_values_supported": algorithms,
        "claims_supported": ["sub", "role", "jti", "sid", "iat", "exp", "iss", "aud"],
    })
}
