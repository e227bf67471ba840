//! The OpenAPI document: it covers exactly the routes the functions serve, and the committed
//! `openapi.json` is the one the code generates (`make openapi` rewrites it).

use std::collections::BTreeSet;

#[test]
fn every_route_is_documented_and_nothing_else() {
    let mut served: BTreeSet<(String, &str)> = BTreeSet::new();
    for route in shared::http::functions::auth_routes()
        .into_iter()
        .chain(shared::http::functions::users_routes())
        .chain(shared::http::functions::orgs_routes())
    {
        served.insert((route.method.to_string(), route.path));
    }
    let document = shared::openapi::document();
    let mut documented: BTreeSet<(String, &str)> = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.as_str()));
        }
    }
    let served_count = shared::http::functions::auth_routes().len()
        + shared::http::functions::users_routes().len()
        + shared::http::functions::orgs_routes().len();
    assert_eq!(served.len(), served_count, "no route is listed twice");
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
