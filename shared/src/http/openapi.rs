//! The OpenAPI 3.1 document, rendered from route tables (each row carries its documentation).
//! `http::functions` renders it from every function's table and serves it at
//! `GET /api/v1/openapi.json`; a test checks that the committed `openapi.json` is this document.

use super::route::{Doc, Input, Route};
use serde_json::{json, Map, Value};

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted: invites the users must accept (ORG_MEMBER_CONSENT=true)",
        204 => "No Content",
        400 => "Bad request",
        401 => "Not authenticated",
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        413 => "Request body too large",
        415 => "A cookie-authenticated body that is not JSON",
        422 => "Validation error",
        429 => "Too many requests (see Retry-After)",
        _ => "Other",
    }
}

/// An operation; `unsafe_method` adds what browsers' requests can meet on every POST, PATCH
/// and DELETE: 403 for a cross-site request, 415 for a cookie-authenticated body not in JSON.
fn operation(op: &Doc, unsafe_method: bool) -> Value {
    let mut responses = Map::new();
    let ok = match op.ok.1 {
        Some(schema) => json!({ "description": status_text(op.ok.0), "content": content(reference(schema)) }),
        None => json!({ "description": status_text(op.ok.0) }),
    };
    responses.insert(op.ok.0.to_string(), ok);
    if let Some((status, schema)) = op.also {
        responses.insert(
            status.to_string(),
            json!({ "description": status_text(status), "content": content(reference(schema)) }),
        );
    }
    let mut errors = op.errors.to_vec();
    if unsafe_method {
        errors.extend([403, 415]);
        errors.sort_unstable();
        errors.dedup();
    }
    for status in &errors {
        let schema = if *status == 422 {
            "HTTPValidationError"
        } else {
            "HTTPError"
        };
        responses.insert(
            status.to_string(),
            json!({ "description": status_text(*status), "content": content(reference(schema)) }),
        );
    }
    let mut value = json!({ "summary": op.summary, "responses": responses });
    if !op.params.is_empty() {
        value["parameters"] = op
            .params
            .iter()
            .map(|(name, location, kind, required)| {
                json!({ "name": name, "in": location, "required": required, "schema": { "type": kind } })
            })
            .collect();
    }
    match op.input {
        Input::None => {}
        Input::Json(schema) => {
            value["requestBody"] = json!({ "required": true, "content": content(reference(schema)) });
        }
        Input::OptionalJson(schema) => {
            value["requestBody"] = json!({ "required": false, "content": content(reference(schema)) });
        }
        Input::TokenForm => {
            value["requestBody"] = json!({
                "required": true,
                "content": { "application/x-www-form-urlencoded": { "schema": reference("TokenForm") } },
            });
        }
    }
    if op.auth {
        value["security"] = json!([{ "OAuth2PasswordBearer": [] }, { "SessionCookie": [] }]);
    }
    value
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": properties, "required": required })
}

fn array_of(name: &str) -> Value {
    json!({ "type": "array", "items": reference(name) })
}

fn schemas() -> Value {
    let mut schemas = core_schemas();
    // Kept out of the one `json!` below, whose size meets the macro's recursion limit.
    let timestamp = json!({ "type": "string", "format": "date-time" });
    schemas["InviteResponse"] = object(
        json!({
            "id": { "type": "integer" },
            "organization_id": { "type": "integer" },
            "email": { "type": ["string", "null"] },
            "user_id": { "type": ["integer", "null"] },
            "role": { "type": "string", "enum": ["owner", "admin", "member"] },
            "status": { "type": "string", "enum": ["pending", "accepted"] },
            "token": { "type": "string" },
            "created_at": timestamp,
            "expires_at": timestamp,
        }),
        &[
            "id",
            "organization_id",
            "email",
            "user_id",
            "role",
            "status",
            "created_at",
            "expires_at",
        ],
    );
    schemas["InviteList"] = array_of("InviteResponse");
    schemas["ReceivedInviteResponse"] = object(
        json!({
            "id": { "type": "integer" },
            "organization_id": { "type": "integer" },
            "org_name": { "type": "string" },
            "role": { "type": "string", "enum": ["owner", "admin", "member"] },
            "invited_by": { "type": "integer" },
            "created_at": timestamp,
            "expires_at": timestamp,
        }),
        &[
            "id",
            "organization_id",
            "org_name",
            "role",
            "invited_by",
            "created_at",
            "expires_at",
        ],
    );
    schemas["ReceivedInviteList"] = array_of("ReceivedInviteResponse");
    schemas["PasswordChange"] = object(
        json!({
            "current_password": { "type": "string" },
            "new_password": { "type": "string", "minLength": 8, "maxLength": 128 },
        }),
        &["current_password", "new_password"],
    );
    schemas["EmailChange"] = object(
        json!({
            "new_email": { "type": "string", "format": "email", "maxLength": 254 },
            "password": { "type": "string" },
        }),
        &["new_email", "password"],
    );
    let nullable_string = json!({ "type": ["string", "null"] });
    let nullable_integer = json!({ "type": ["integer", "null"] });
    schemas["AuditEvent"] = object(
        json!({
            "id": { "type": "string" },
            "event_type": { "type": "string" },
            "timestamp": timestamp,
            "actor_id": nullable_integer,
            "actor_email": nullable_string,
            "actor_type": nullable_string,
            "target_type": nullable_string,
            "target_id": { "type": ["integer", "string", "null"] },
            "org_id": nullable_integer,
            "ip_address": nullable_string,
            "user_agent": nullable_string,
            "request_id": nullable_string,
            "detail": nullable_string,
        }),
        &[
            "id",
            "event_type",
            "timestamp",
            "actor_id",
            "actor_email",
            "actor_type",
            "target_type",
            "target_id",
            "org_id",
            "ip_address",
            "user_agent",
            "request_id",
            "detail",
        ],
    );
    schemas["AuditEventList"] = array_of("AuditEvent");
    schemas
}

fn core_schemas() -> Value {
    let nullable_string = json!({ "type": ["string", "null"] });
    let timestamp = json!({ "type": "string", "format": "date-time" });
    let nullable_timestamp = json!({ "type": ["string", "null"], "format": "date-time" });
    let org_role = json!({ "type": "string", "enum": ["owner", "admin", "member"] });
    let mut schemas = json!({
        "HTTPError": object(json!({ "detail": { "type": "string" } }), &["detail"]),
        "ValidationError": object(json!({
            "type": { "type": "string" },
            "loc": { "type": "array", "items": { "type": ["string", "integer"] } },
            "msg": { "type": "string" },
            "ctx": { "type": "object" },
        }), &["type", "loc", "msg"]),
        "HTTPValidationError": object(json!({ "detail": array_of("ValidationError") }), &["detail"]),
        "Detail": object(json!({ "detail": { "type": "string" } }), &["detail"]),
        "UserCreate": object(json!({
            "email": { "type": "string", "format": "email", "maxLength": 254 },
            "password": { "type": "string", "minLength": 8, "maxLength": 128 },
            "full_name": { "type": ["string", "null"], "maxLength": 255 },
            "invite_token": { "type": ["string", "null"] },
        }), &["email", "password"]),
        "UserResponse": object(json!({
            "email": { "type": "string" },
            "full_name": nullable_string,
            "is_active": { "type": "boolean" },
            "is_verified": { "type": "boolean" },
            "role": { "type": "string", "enum": ["admin", "moderator", "user"] },
            "id": { "type": "integer" },
            "last_login": nullable_timestamp,
            "created_at": timestamp,
            "updated_at": nullable_timestamp,
            "mfa_enabled": { "type": "boolean" },
        }), &["email", "full_name", "is_active", "is_verified", "role", "id", "last_login", "created_at", "updated_at", "mfa_enabled"]),
        "UserList": array_of("UserResponse"),
        "TokenForm": object(json!({
            "grant_type": { "type": "string", "enum": ["password", "refresh_token"] },
            "username": { "type": "string" },
            "password": { "type": "string" },
            "refresh_token": { "type": "string" },
            "scope": { "type": "string" },
            "client_id": { "type": "string" },
            "client_secret": { "type": "string" },
        }), &[]),
        "TokenResponse": object(json!({
            "access_token": { "type": "string" },
            "token_type": { "type": "string", "enum": ["bearer"] },
            "expires_in": { "type": "integer" },
            "refresh_token": { "type": "string" },
        }), &["access_token", "token_type", "expires_in", "refresh_token"]),
        "RefreshRequest": object(json!({ "refresh_token": { "type": "string" } }), &[]),
        "SessionResponse": object(json!({
            "id": { "type": "string" },
            "source": { "type": "string" },
            "user_agent": nullable_string,
            "ip": nullable_string,
            "created_at": timestamp,
            "last_used_at": nullable_timestamp,
            "expires_at": timestamp,
            "is_current": { "type": "boolean" },
        }), &["id", "source", "user_agent", "ip", "created_at", "last_used_at", "expires_at", "is_current"]),
        "SessionList": array_of("SessionResponse"),
        "Revoked": object(json!({ "revoked": { "type": "integer" } }), &["revoked"]),
        "PasswordResetRequest": object(json!({ "email": { "type": "string", "format": "email" } }), &["email"]),
        "PasswordResetConfirm": object(json!({
            "token": { "type": "string" },
            "new_password": { "type": "string", "minLength": 8, "maxLength": 128 },
        }), &["token", "new_password"]),
        "TokenBody": object(json!({ "token": { "type": "string" } }), &["token"]),
        "PasswordBody": object(json!({ "password": { "type": "string" } }), &["password"]),
        "CodeBody": object(json!({ "code": { "type": "string", "pattern": "^[0-9]{6}$" } }), &["code"]),
        "MfaVerify": object(json!({
            "mfa_token": { "type": "string" },
            "code": { "type": "string", "pattern": "^[0-9]{6}$" },
            "recovery_code": { "type": "string" },
        }), &["mfa_token"]),
        "TotpEnrolment": object(json!({
            "secret": { "type": "string" },
            "otpauth_uri": { "type": "string" },
            "qr_svg": { "type": "string" },
        }), &["secret", "otpauth_uri", "qr_svg"]),
        "RecoveryCodes": object(json!({
            "recovery_codes": { "type": "array", "items": { "type": "string" } },
        }), &["recovery_codes"]),
        "ResendResponse": object(json!({ "status": { "type": "string", "enum": ["sent", "already_verified"] } }), &["status"]),
        "RoleUpdate": object(json!({ "role": { "type": "string", "enum": ["admin", "moderator", "user"] } }), &["role"]),
        "OrgCreate": object(json!({
            "name": { "type": "string", "minLength": 1, "maxLength": 200 },
            "slug": { "type": "string", "pattern": "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", "maxLength": 63 },
            "description": { "type": ["string", "null"], "maxLength": 2000 },
            "is_active": { "type": "boolean" },
        }), &["name", "slug"]),
        "OrgResponse": object(json!({
            "name": { "type": "string" },
            "slug": { "type": "string" },
            "description": nullable_string,
            "is_active": { "type": "boolean" },
            "id": { "type": "integer" },
            "created_at": timestamp,
            "updated_at": nullable_timestamp,
            "require_mfa": { "type": "boolean" },
        }), &["name", "slug", "description", "is_active", "id", "created_at", "updated_at", "require_mfa"]),
        "OrgList": array_of("OrgResponse"),
        "MemberResponse": object(json!({
            "id": { "type": "integer" },
            "organization_id": { "type": "integer" },
            "user_id": { "type": "integer" },
            "role": org_role,
            "joined_at": timestamp,
        }), &["id", "organization_id", "user_id", "role", "joined_at"]),
        "MemberList": array_of("MemberResponse"),
        "MemberDetailResponse": object(json!({
            "user_id": { "type": "integer" },
            "email": nullable_string,
            "full_name": nullable_string,
            "role": org_role,
            "joined_at": timestamp,
        }), &["user_id", "email", "full_name", "role", "joined_at"]),
        "MemberDetailList": array_of("MemberDetailResponse"),
        "UserMembershipResponse": object(json!({
            "user_id": { "type": "integer" },
            "org_name": { "type": "string" },
            "org_slug": { "type": "string" },
            "role": org_role,
        }), &["user_id", "org_name", "org_slug", "role"]),
        "UserMembershipList": array_of("UserMembershipResponse"),
        "BulkAdd": object(json!({
            "user_ids": { "type": "array", "items": { "type": "integer" }, "maxItems": 100 },
            "role": { "type": "string" },
        }), &["user_ids"]),
        "TransferOwnership": object(json!({ "user_id": { "type": "integer" } }), &["user_id"]),
        "InviteCreate": object(json!({
            "email": { "type": "string", "format": "email" },
            "role": { "type": "string" },
        }), &["email"]),
        "OpenApiDocument": { "type": "object" },
    });
    let keys = key_schemas();
    schemas
        .as_object_mut()
        .expect("an object")
        .extend(keys.as_object().expect("an object").clone());
    schemas
}

/// The JWKS and the discovery document.
fn key_schemas() -> Value {
    json!({
        "Jwk": object(json!({
            "kty": { "type": "string", "enum": ["OKP", "EC"] },
            "crv": { "type": "string", "enum": ["Ed25519", "P-256"] },
            "x": { "type": "string" },
            "y": { "type": "string" },
            "kid": { "type": "string" },
            "alg": { "type": "string", "enum": ["EdDSA", "ES256"] },
            "use": { "type": "string", "enum": ["sig"] },
        }), &["kty", "crv", "x", "kid", "alg", "use"]),
        "JwkSet": object(json!({ "keys": array_of("Jwk") }), &["keys"]),
        "OpenIdConfiguration": object(json!({
            "issuer": { "type": "string" },
            "jwks_uri": { "type": "string" },
            "token_endpoint": { "type": "string" },
            "grant_types_supported": { "type": "array", "items": { "type": "string" } },
            "response_types_supported": { "type": "array", "items": { "type": "string" } },
            "id_token_signing_alg_values_supported": { "type": "array", "items": { "type": "string" } },
        }), &["issuer", "jwks_uri", "token_endpoint", "grant_types_supported", "response_types_supported", "id_token_signing_alg_values_supported"]),
    })
}

/// The whole document, of every function's `routes`.
pub fn document(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    for route in routes {
        let entry = paths.entry(route.path).or_insert_with(|| json!({}));
        entry[route.method.as_str().to_ascii_lowercase()] = operation(&route.doc, route.is_unsafe());
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Gatehouse",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Authentication and organizations. Errors are {\"detail\": ...}; validation errors are 422 in FastAPI's shape.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "OAuth2PasswordBearer": {
                    "type": "oauth2",
                    "flows": { "password": { "tokenUrl": "/api/v1/auth/token", "scopes": {} } },
                },
                "SessionCookie": { "type": "apiKey", "in": "cookie", "name": "gatehouse_session" },
            },
        },
    })
}
