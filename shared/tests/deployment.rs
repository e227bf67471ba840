//! `template.yaml` against the code: the same routes as cargo-lambda's router and each
//! function's own router (nothing that works locally 404s in production, or the reverse), and the
//! same table as the code's one definition.

use serde_yaml::Value;
use shared::config::{LOCAL_ONLY_SETTINGS, SETTING_NAMES};
use shared::store::{INDEXES, PARTITION_KEY, SORT_KEY, STREAM_VIEW_TYPE, TTL_ATTRIBUTE};
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
            if event["Type"] != "HttpApi" {
                continue; // the mailer's stream
            }
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
    let functions: Vec<(&str, Vec<&str>)> = vec![
        ("auth", shared::http::auth::ROUTER.routes().map(|(_, p)| p).collect()),
        ("users", shared::http::users::ROUTER.routes().map(|(_, p)| p).collect()),
        ("orgs", shared::http::orgs::ROUTER.routes().map(|(_, p)| p).collect()),
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
    assert_eq!(text(&table["StreamSpecification"]["StreamViewType"]), STREAM_VIEW_TYPE);
    assert_eq!(template["Resources"]["Table"]["DeletionPolicy"], "Retain");
}

/// Every environment variable a deployed function gets: the globals and each function's own.
fn template_settings() -> BTreeSet<String> {
    let template = template();
    let mut names: BTreeSet<String> = template["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| text(k).to_string())
        .collect();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if let Some(variables) = resource["Properties"]["Environment"]["Variables"].as_mapping() {
            names.extend(variables.keys().map(|k| text(k).to_string()));
        }
    }
    names
}

/// The settings `.env.example` names (set or commented out), less `make serve`'s own ports.
fn env_example_settings() -> BTreeSet<String> {
    const SERVE_ONLY: &[&str] = &["DYNAMODB_PORT", "API_PORT", "MAILDEV_WEB_PORT"];
    include_str!("../../.env.example")
        .lines()
        .map(|line| line.trim_start_matches('#').trim())
        .filter_map(|line| line.split_once('=').map(|(name, _)| name))
        .filter(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .filter(|name| !SERVE_ONLY.contains(name))
        .map(str::to_string)
        .collect()
}

#[test]
fn config_env_example_and_template_name_the_same_settings() {
    let mut code: BTreeSet<String> = SETTING_NAMES
        .iter()
        .filter(|name| !LOCAL_ONLY_SETTINGS.contains(name))
        .map(|s| s.to_string())
        .collect();
    code.insert("RUST_LOG".into()); // read by the log subscriber, not by Settings
    assert_eq!(template_settings(), code, "template.yaml's environment vs config.rs");
    assert_eq!(env_example_settings(), code, ".env.example vs config.rs");
}

#[test]
fn the_mailer_reads_inserted_mail_items_from_the_stream_and_may_send_as_one_identity() {
    let template = template();
    let mailer = &template["Resources"]["MailerFunction"]["Properties"];
    let stream = &mailer["Events"]["MailQueue"];
    assert_eq!(stream["Type"], "DynamoDB");
    let pattern: serde_json::Value =
        serde_json::from_str(text(&stream["Properties"]["FilterCriteria"]["Filters"][0]["Pattern"])).unwrap();
    assert_eq!(pattern["eventName"], serde_json::json!(["INSERT"]));
    assert_eq!(
        pattern["dynamodb"]["Keys"]["pk"]["S"],
        serde_json::json!([{ "prefix": "MAIL#" }])
    );
    assert_eq!(
        stream["Properties"]["FunctionResponseTypes"][0],
        "ReportBatchItemFailures"
    );
    assert_eq!(stream["Properties"]["DestinationConfig"]["OnFailure"]["Type"], "SQS");
    let statements = mailer["Policies"][0]["Statement"].as_sequence().unwrap();
    let ses: Vec<_> = statements
        .iter()
        .filter(|s| format!("{:?}", s["Action"]).contains("ses:"))
        .collect();
    assert_eq!(ses.len(), 1);
    assert_eq!(ses[0]["Action"], "ses:SendEmail");
    assert!(
        !format!("{:?}", ses[0]["Resource"]).contains('*'),
        "SES on the identity only"
    );
    // No other function may send mail.
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if text(name) != "MailerFunction" {
            assert!(!format!("{resource:?}").contains("ses:"), "{name:?} may use SES");
        }
    }
}
