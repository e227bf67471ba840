//! The OpenAPI document: it covers exactly the routes the functions serve, and the committed
//! `openapi.json` is the one the code generates (`make openapi` rewrites it).

use std::collections::BTreeSet;

#[test]
fn every_route_is_documented_and_nothing_else() {
    let mut served: BTreeSet<(String, &str)> = BTreeSet::new();
    for (method, path) in shared::http::auth::ROUTER
        .routes()
        .chain(shared::http::users::ROUTER.routes())
        .chain(shared::http::orgs::ROUTER.routes())
    {
        served.insert((method.to_string(), path));
    }
    let documented: BTreeSet<(String, &str)> = shared::openapi::operations().into_iter().collect();
    assert_eq!(documented, served);
}

#[test]
fn the_committed_document_is_the_generated_one() {
    let generated = format!(
        "{}\n",
        serde_json::to_string_pretty(&shared::openapi::document()).unwrap()
    );
    let committed = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json"));
    assert!(
        committed == generated,
        "openapi.json is out of date: run `make openapi` and commit it"
    );
}

#[test]
fn the_document_is_openapi_3_1_with_both_security_schemes() {
    let document = shared::openapi::document();
    assert_eq!(document["openapi"], "3.1.0");
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(
        schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"],
        "/api/v1/auth/token"
    );
    assert_eq!(schemes["SessionCookie"]["in"], "cookie");
    let text = document.to_string();
    for name in text
        .split("#/components/schemas/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
    {
        assert!(
            document["components"]["schemas"].get(name).is_some(),
            "undefined schema {name}"
        );
    }
}
