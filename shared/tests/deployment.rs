//! `template.yaml` against the code: the same routes as cargo-lambda's router and each
//! function's own router (the web function: every page and asset it serves) (nothing that works locally 404s in production, or the reverse), and the
//! same table as the code's one definition.

use serde_yaml::Value;
use shared::store::{INDEXES, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE};
use std::collections::BTreeSet;

fn template() -> Value {
    serde_yaml::from_str(include_str!("../../template.yaml")).expect("template.yaml is YAML")
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value:?}"))
}

/// (path, function binary) of every HTTP API event in the template.
fn template_routes() -> BTreeSet<(String, String)> {
    let template = template();
    let mut routes = BTreeSet::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = text(&resource["Metadata"]["BuildProperties"]["Binary"]).to_string();
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events {
            assert_eq!(event["Type"], "HttpApi");
            assert_eq!(
                event["Properties"]["Method"], "ANY",
                "functions route methods themselves"
            );
            routes.insert((text(&event["Properties"]["Path"]).to_string(), binary.clone()));
        }
    }
    routes
}

/// (path, function) of cargo-lambda's router, in API Gateway's spelling (`{proxy+}`).
fn local_routes() -> BTreeSet<(String, String)> {
    let cargo: toml::Value = toml::from_str(include_str!("../../Cargo.toml")).unwrap();
    let router = cargo["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .unwrap();
    router
        .iter()
        .map(|(path, function)| {
            (
                path.replace("{*proxy}", "{proxy+}"),
                function.as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The function API Gateway would send `path` to: an exact route first, else the longest
/// matching `{proxy+}` prefix.
fn route_for<'a>(routes: &'a BTreeSet<(String, String)>, path: &str) -> Option<&'a (String, String)> {
    routes.iter().find(|(p, _)| p == path).or_else(|| {
        routes
            .iter()
            .filter_map(|route| {
                let prefix = route.0.strip_suffix("{proxy+}")?;
                (path.starts_with(prefix) && path.len() > prefix.len()).then_some((prefix.len(), route))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, route)| route)
    })
}

#[test]
fn template_routes_equal_the_local_router() {
    assert_eq!(template_routes(), local_routes());
}

#[test]
fn every_function_route_reaches_its_function_and_no_deployed_route_is_dead() {
    let deployed = template_routes();
    let web_paths = web::paths();
    let functions: Vec<(&str, Vec<&str>)> = vec![
        ("auth", shared::http::auth::ROUTER.routes().map(|(_, p)| p).collect()),
        ("users", shared::http::users::ROUTER.routes().map(|(_, p)| p).collect()),
        ("orgs", shared::http::orgs::ROUTER.routes().map(|(_, p)| p).collect()),
        ("web", web_paths.iter().map(String::as_str).collect()),
    ];
    let mut used = BTreeSet::new();
    for (function, patterns) in &functions {
        for pattern in patterns {
            let path = pattern
                .replace("{org_id}", "1")
                .replace("{user_id}", "2")
                .replace("{invite_id}", "3");
            let route = route_for(&deployed, &path).unwrap_or_else(|| panic!("{pattern} has no deployed route"));
            assert_eq!(route.1, *function, "{pattern} would reach {} in production", route.1);
            used.insert(route.clone());
        }
    }
    assert_eq!(
        used, deployed,
        "every deployed route serves at least one route of its function"
    );
}

#[test]
fn template_table_equals_the_code_definition() {
    let template = template();
    let table = &template["Resources"]["Table"]["Properties"];
    let key_schema = |schema: &Value| -> Vec<(String, String)> {
        schema
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| (text(&k["AttributeName"]).to_string(), text(&k["KeyType"]).to_string()))
            .collect()
    };
    assert_eq!(
        key_schema(&table["KeySchema"]),
        [
            (PARTITION_KEY.to_string(), "HASH".to_string()),
            (SORT_KEY.to_string(), "RANGE".to_string())
        ]
    );
    let mut expected_attributes: BTreeSet<String> = [PARTITION_KEY, SORT_KEY].iter().map(|s| s.to_string()).collect();
    for index in INDEXES {
        expected_attributes.insert(index.partition_key.into());
        expected_attributes.insert(index.sort_key.into());
    }
    let attributes: BTreeSet<String> = table["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["AttributeType"], "S");
            text(&a["AttributeName"]).to_string()
        })
        .collect();
    assert_eq!(attributes, expected_attributes);

    let indexes = table["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(indexes.len(), INDEXES.len());
    for (deployed, code) in indexes.iter().zip(INDEXES) {
        assert_eq!(text(&deployed["IndexName"]), code.name);
        assert_eq!(
            key_schema(&deployed["KeySchema"]),
            [
                (code.partition_key.to_string(), "HASH".to_string()),
                (code.sort_key.to_string(), "RANGE".to_string())
            ]
        );
        assert_eq!(deployed["Projection"]["ProjectionType"], "ALL");
    }
    assert_eq!(text(&table["TimeToLiveSpecification"]["AttributeName"]), TTL_ATTRIBUTE);
    assert_eq!(table["TimeToLiveSpecification"]["Enabled"], true);
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(table["SSESpecification"]["SSEEnabled"], true);
    assert_eq!(template["Resources"]["Table"]["DeletionPolicy"], "Retain");
}
