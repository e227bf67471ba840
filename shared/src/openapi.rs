//! The OpenAPI 3.1 document of every HTTP route, built from this table and the functions' own
//! routers (a test checks that the two list the same operations, and that the committed
//! `openapi.json` is this document). Served at `GET /api/v1/openapi.json`.

use serde_json::{json, Map, Value};

/// Where an operation takes its input.
enum Input {
    None,
    Json(&'static str),
    /// The OAuth2 password (or refresh-token) form of `/auth/token`.
    TokenForm,
    /// An optional JSON body (the refresh token may come in a cookie instead).
    OptionalJson(&'static str),
}

struct Operation {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    /// Needs a bearer token (or the session cookie).
    auth: bool,
    input: Input,
    /// `(name, "path" | "query", JSON type, required)`.
    params: &'static [(&'static str, &'static str, &'static str, bool)],
    /// The success status and its body's schema (`None` for no body).
    ok: (u16, Option<&'static str>),
    /// Every other status it can answer, with an `HTTPError` body (422: `HTTPValidationError`).
    errors: &'static [u16],
}

const ORG: (&str, &str, &str, bool) = ("org_id", "path", "integer", true);
const USER: (&str, &str, &str, bool) = ("user_id", "path", "integer", true);

const OPERATIONS: &[Operation] = &[
    Operation {
        method: "post",
        path: "/api/v1/auth/register",
        summary: "Register (and sign in)",
        auth: false,
        input: Input::Json("UserCreate"),
        params: &[],
        ok: (200, Some("UserResponse")),
        errors: &[400, 403, 413, 422, 429],
    },
    Operation {
        method: "post",
        path: "/api/v1/auth/token",
        summary: "OAuth2 password or refresh-token grant",
        auth: false,
        input: Input::TokenForm,
        params: &[],
        ok: (200, Some("TokenResponse")),
        errors: &[401, 403, 413, 422, 429],
    },
    Operation {
        method: "post",
        path: "/api/v1/auth/refresh",
        summary: "Rotate the refresh token",
        auth: false,
        input: Input::OptionalJson("RefreshRequest"),
        params: &[],
        ok: (200, Some("TokenResponse")),
        errors: &[401, 413, 422],
    },
    Operation {
        method: "get",
        path: "/api/v1/auth/me",
        summary: "The caller",
        auth: true,
        input: Input::None,
        params: &[],
        ok: (200, Some("UserResponse")),
        errors: &[401],
    },
    Operation {
        method: "post",
        path: "/api/v1/auth/logout",
        summary: "Revoke this token and its session",
        auth: true,
        input: Input::None,
        params: &[],
        ok: (200, Some("Detail")),
        errors: &[401],
    },
    Operation {
        method: "get",
        path: "/api/v1/auth/sessions",
        summary: "The caller's live sessions",
        auth: true,
        input: Input::None,
        params: &[],
        ok: (200, Some("SessionList")),
        errors: &[401],
    },
    Operation {
        method: "delete",
        path: "/api/v1/auth/sessions",
        summary: "End every session but the current one",
        auth: true,
        input: Input::None,
        params: &[],
        ok: (200, Some("Revoked")),
        errors: &[401],
    },
    Operation {
        method: "delete",
        path: "/api/v1/auth/sessions/{session_id}",
        summary: "End one of the caller's sessions",
        auth: true,
        input: Input::None,
        params: &[("session_id", "path", "string", true)],
        ok: (204, None),
        errors: &[401, 404],
    },
    Operation {
        method: "post",
        path: "/api/v1/auth/password-reset/request",
        summary: "Mail a password-reset token (same answer for every address)",
        auth: false,
        input: Input::Json("PasswordResetRequest"),
        params: &[],
        ok: (200, Some("Detail")),
        errors: &[413, 422, 429],
    },
    Operation {
        method: "post",
        path: "/api/v1/auth/password-reset/confirm",
        summary: "Set a new password with a reset token",
        auth: false,
        input: Input::Json("PasswordResetConfirm"),
        params: &[],
        ok: (200, Some("Detail")),
        errors: &[400, 413, 422],
    },
    Operation {
        method: "post",
        path: "/api/v1/auth/verify-email",
        summary: "Verify the email address with its token",
        auth: false,
        input: Input::Json("TokenBody"),
        params: &[],
        ok: (200, Some("Detail")),
        errors: &[400, 413, 422],
    },
    Operation {
        method: "post",
        path: "/api/v1/auth/resend-verification",
        summary: "Mail a new verification token",
        auth: true,
        input: Input::None,
        params: &[],
        ok: (200, Some("ResendResponse")),
        errors: &[401, 429],
    },
    Operation {
        method: "post",
        path: "/api/v1/auth/accept-invite",
        summary: "Join an organization with an invite token",
        auth: true,
        input: Input::Json("TokenBody"),
        params: &[],
        ok: (200, Some("InviteResponse")),
        errors: &[400, 401, 409, 413, 422],
    },
    Operation {
        method: "get",
        path: "/api/v1/openapi.json",
        summary: "This document",
        auth: false,
        input: Input::None,
        params: &[],
        ok: (200, Some("OpenApiDocument")),
        errors: &[],
    },
    Operation {
        method: "get",
        path: "/.well-known/jwks.json",
        summary: "The public keys that verify access tokens (JWKS, RFC 7517)",
        auth: false,
        input: Input::None,
        params: &[],
        ok: (200, Some("JwkSet")),
        errors: &[],
    },
    Operation {
        method: "get",
        path: "/.well-known/openid-configuration",
        summary: "Discovery: issuer, jwks_uri, token endpoint, grant types and algorithms",
        auth: false,
        input: Input::None,
        params: &[],
        ok: (200, Some("OpenIdConfiguration")),
        errors: &[],
    },
    Operation {
        method: "get",
        path: "/api/v1/auth/users",
        summary: "List users, newest first (admin, moderator)",
        auth: true,
        input: Input::None,
        params: &[
            ("limit", "query", "integer", false),
            ("cursor", "query", "string", false),
        ],
        ok: (200, Some("UserList")),
        errors: &[400, 401, 403, 422],
    },
    Operation {
        method: "post",
        path: "/api/v1/auth/users",
        summary: "Create a user (admin)",
        auth: true,
        input: Input::Json("UserCreate"),
        params: &[],
        ok: (201, Some("UserResponse")),
        errors: &[400, 401, 403, 413, 422],
    },
    Operation {
        method: "get",
        path: "/api/v1/auth/users/{user_id}",
        summary: "A user (self or admin)",
        auth: true,
        input: Input::None,
        params: &[USER],
        ok: (200, Some("UserResponse")),
        errors: &[401, 403, 404, 422],
    },
    Operation {
        method: "patch",
        path: "/api/v1/auth/users/{user_id}",
        summary: "Change a user's full name (self or admin)",
        auth: true,
        input: Input::None,
        params: &[USER, ("full_name", "query", "string", false)],
        ok: (200, Some("UserResponse")),
        errors: &[400, 401, 403, 404, 422],
    },
    Operation {
        method: "delete",
        path: "/api/v1/auth/users/{user_id}",
        summary: "Delete a user (admin)",
        auth: true,
        input: Input::None,
        params: &[USER],
        ok: (204, None),
        errors: &[400, 401, 403, 404, 409, 422],
    },
    Operation {
        method: "patch",
        path: "/api/v1/auth/users/{user_id}/deactivate",
        summary: "Deactivate a user, ending their tokens (admin)",
        auth: true,
        input: Input::None,
        params: &[USER],
        ok: (200, Some("UserResponse")),
        errors: &[400, 401, 403, 404, 422],
    },
    Operation {
        method: "patch",
        path: "/api/v1/auth/users/{user_id}/activate",
        summary: "Activate a user (admin)",
        auth: true,
        input: Input::None,
        params: &[USER],
        ok: (200, Some("UserResponse")),
        errors: &[401, 403, 404, 422],
    },
    Operation {
        method: "patch",
        path: "/api/v1/auth/users/{user_id}/role",
        summary: "Set a user's global role (admin)",
        auth: true,
        input: Input::Json("RoleUpdate"),
        params: &[USER],
        ok: (200, Some("UserResponse")),
        errors: &[400, 401, 403, 404, 413, 422],
    },
    Operation {
        method: "delete",
        path: "/api/v1/auth/users/{user_id}/sessions",
        summary: "End every session of a user (admin)",
        auth: true,
        input: Input::None,
        params: &[USER],
        ok: (200, Some("Revoked")),
        errors: &[401, 403, 422],
    },
    Operation {
        method: "delete",
        path: "/api/v1/auth/users/{user_id}/sessions/{session_id}",
        summary: "End one session of a user (admin)",
        auth: true,
        input: Input::None,
        params: &[USER, ("session_id", "path", "string", true)],
        ok: (204, None),
        errors: &[401, 403, 404, 422],
    },
    Operation {
        method: "post",
        path: "/api/v1/orgs",
        summary: "Create an organization; the caller becomes its owner",
        auth: true,
        input: Input::Json("OrgCreate"),
        params: &[],
        ok: (201, Some("OrgResponse")),
        errors: &[400, 401, 413, 422],
    },
    Operation {
        method: "get",
        path: "/api/v1/orgs",
        summary: "The caller's organizations",
        auth: true,
        input: Input::None,
        params: &[],
        ok: (200, Some("OrgList")),
        errors: &[401],
    },
    Operation {
        method: "get",
        path: "/api/v1/orgs/all",
        summary: "Every organization (global admin)",
        auth: true,
        input: Input::None,
        params: &[],
        ok: (200, Some("OrgList")),
        errors: &[401, 403],
    },
    Operation {
        method: "get",
        path: "/api/v1/orgs/memberships",
        summary: "Every membership (global admin)",
        auth: true,
        input: Input::None,
        params: &[],
        ok: (200, Some("UserMembershipList")),
        errors: &[401, 403],
    },
    Operation {
        method: "get",
        path: "/api/v1/orgs/{org_id}",
        summary: "An organization (members)",
        auth: true,
        input: Input::None,
        params: &[ORG],
        ok: (200, Some("OrgResponse")),
        errors: &[401, 403, 422],
    },
    Operation {
        method: "patch",
        path: "/api/v1/orgs/{org_id}",
        summary: "Rename or describe an organization (org admins)",
        auth: true,
        input: Input::None,
        params: &[
            ORG,
            ("name", "query", "string", false),
            ("description", "query", "string", false),
        ],
        ok: (200, Some("OrgResponse")),
        errors: &[400, 401, 403, 404, 422],
    },
    Operation {
        method: "delete",
        path: "/api/v1/orgs/{org_id}",
        summary: "Delete an organization with its members and invites (owner, global admin)",
        auth: true,
        input: Input::None,
        params: &[ORG],
        ok: (204, None),
        errors: &[401, 403, 404, 422],
    },
    Operation {
        method: "post",
        path: "/api/v1/orgs/{org_id}/transfer-ownership",
        summary: "Hand the organization to another member (owner)",
        auth: true,
        input: Input::Json("TransferOwnership"),
        params: &[ORG],
        ok: (200, Some("Detail")),
        errors: &[400, 401, 403, 409, 413, 422],
    },
    Operation {
        method: "get",
        path: "/api/v1/orgs/{org_id}/members",
        summary: "Members (members)",
        auth: true,
        input: Input::None,
        params: &[ORG],
        ok: (200, Some("MemberList")),
        errors: &[401, 403, 422],
    },
    Operation {
        method: "post",
        path: "/api/v1/orgs/{org_id}/members",
        summary: "Add a member (org admins)",
        auth: true,
        input: Input::None,
        params: &[
            ORG,
            ("user_id", "query", "integer", true),
            ("role", "query", "string", false),
        ],
        ok: (201, Some("MemberResponse")),
        errors: &[400, 401, 403, 404, 422],
    },
    Operation {
        method: "get",
        path: "/api/v1/orgs/{org_id}/members/details",
        summary: "Members with their emails and names (members)",
        auth: true,
        input: Input::None,
        params: &[ORG],
        ok: (200, Some("MemberDetailList")),
        errors: &[401, 403, 422],
    },
    Operation {
        method: "post",
        path: "/api/v1/orgs/{org_id}/members/bulk",
        summary: "Add several members; what was skipped is in X-Skipped-Members (org admins)",
        auth: true,
        input: Input::Json("BulkAdd"),
        params: &[ORG],
        ok: (201, Some("MemberList")),
        errors: &[400, 401, 403, 404, 413, 422],
    },
    Operation {
        method: "patch",
        path: "/api/v1/orgs/{org_id}/members/{user_id}",
        summary: "Change a member's role (org admins; never the owner's)",
        auth: true,
        input: Input::None,
        params: &[ORG, USER, ("role", "query", "string", true)],
        ok: (200, Some("MemberResponse")),
        errors: &[400, 401, 403, 404, 422],
    },
    Operation {
        method: "delete",
        path: "/api/v1/orgs/{org_id}/members/{user_id}",
        summary: "Remove a member (org admins; never the owner)",
        auth: true,
        input: Input::None,
        params: &[ORG, USER],
        ok: (204, None),
        errors: &[401, 403, 404, 422],
    },
    Operation {
        method: "post",
        path: "/api/v1/orgs/{org_id}/invites",
        summary: "Invite by email (org admins); the token appears only here",
        auth: true,
        input: Input::Json("InviteCreate"),
        params: &[ORG],
        ok: (201, Some("InviteResponse")),
        errors: &[400, 401, 403, 409, 413, 422],
    },
    Operation {
        method: "get",
        path: "/api/v1/orgs/{org_id}/invites",
        summary: "Pending invites, without tokens (org admins)",
        auth: true,
        input: Input::None,
        params: &[ORG],
        ok: (200, Some("InviteList")),
        errors: &[401, 403, 422],
    },
    Operation {
        method: "delete",
        path: "/api/v1/orgs/{org_id}/invites/{invite_id}",
        summary: "Revoke a pending invite (org admins)",
        auth: true,
        input: Input::None,
        params: &[ORG, ("invite_id", "path", "integer", true)],
        ok: (204, None),
        errors: &[401, 403, 404, 422],
    },
];

/// Every documented `(METHOD, path)`, for the test that compares them with the routers.
pub fn operations() -> Vec<(String, &'static str)> {
    OPERATIONS
        .iter()
        .map(|op| (op.method.to_uppercase(), op.path))
        .collect()
}

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
        204 => "No Content",
        400 => "Bad request",
        401 => "Not authenticated",
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        413 => "Request body too large",
        422 => "Validation error",
        429 => "Too many requests (see Retry-After)",
        _ => "Other",
    }
}

fn operation(op: &Operation) -> Value {
    let mut responses = Map::new();
    let ok = match op.ok.1 {
        Some(schema) => json!({ "description": status_text(op.ok.0), "content": content(reference(schema)) }),
        None => json!({ "description": status_text(op.ok.0) }),
    };
    responses.insert(op.ok.0.to_string(), ok);
    for status in op.errors {
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
        }), &["email", "full_name", "is_active", "is_verified", "role", "id", "last_login", "created_at", "updated_at"]),
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
        }), &["name", "slug", "description", "is_active", "id", "created_at", "updated_at"]),
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
        "InviteResponse": object(json!({
            "id": { "type": "integer" },
            "organization_id": { "type": "integer" },
            "email": { "type": "string" },
            "role": org_role,
            "status": { "type": "string", "enum": ["pending", "accepted"] },
            "token": { "type": "string" },
            "created_at": timestamp,
            "expires_at": timestamp,
        }), &["id", "organization_id", "email", "role", "status", "created_at", "expires_at"]),
        "InviteList": array_of("InviteResponse"),
        "OpenApiDocument": { "type": "object" },

    });
    schemas
        .as_object_mut()
        .expect("an object")
        .extend(key_schemas().as_object().expect("an object").clone());
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

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let entry = paths.entry(op.path).or_insert_with(|| json!({}));
        entry[op.method] = operation(op);
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
