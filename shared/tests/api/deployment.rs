//! `template.yaml` against the code: the same routes as cargo-lambda's router and each
//! function's own router (nothing that works locally 404s in production, or the reverse), the
//! same table as the code's one definition, and the same settings (with the same defaults) as
//! `shared::config` and `.env.example`.

use serde_yaml::Value;
use shared::config::SETTING_NAMES;
use shared::store::{INDEXES, PARTITION_KEY, SORT_KEY, STREAM_VIEW_TYPE, TTL_ATTRIBUTE};
use shared::Settings;
use std::collections::{BTreeMap, BTreeSet};

const TEMPLATE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"));
const CARGO_TOML: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"));
const ENV_EXAMPLE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../.env.example"));

fn template() -> Value {
    serde_yaml::from_str(TEMPLATE).expect("template.yaml is YAML")
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
    let cargo: toml::Value = toml::from_str(CARGO_TOML).unwrap();
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
        (
            "auth",
            shared::http::functions::auth_routes().iter().map(|r| r.path).collect(),
        ),
        (
            "users",
            shared::http::functions::users_routes().iter().map(|r| r.path).collect(),
        ),
        (
            "orgs",
            shared::http::functions::orgs_routes().iter().map(|r| r.path).collect(),
        ),
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
    assert_eq!(text(&table["StreamSpecification"]["StreamViewType"]), STREAM_VIEW_TYPE);
    assert_eq!(template["Resources"]["Table"]["DeletionPolicy"], "Retain");
}

// Settings: `SETTING_NAMES` (what `Settings::from_lookup` reads), `.env.example` and the functions'
// environment in `template.yaml` are one set, but for these names, each with its reason.

/// Read by lambda_http's tracing subscriber (the log filter), not by `Settings`.
const LOG_FILTER: &str = "RUST_LOG";
/// Listed in `.env.example` and not read by `Settings`.
const ENV_EXAMPLE_ONLY: &[(&str, &str)] = &[
    (LOG_FILTER, "the log filter, read by lambda_http's tracing subscriber"),
    (
        "DYNAMODB_PORT",
        "make serve starts DynamoDB Local on it and sets DYNAMODB_ENDPOINT from it",
    ),
    ("API_PORT", "make serve's port for cargo lambda watch"),
    (
        "MAILDEV_WEB_PORT",
        "make serve's port for maildev's web inbox and REST API",
    ),
];
/// Read by `Settings` and not listed in `.env.example`.
const NOT_IN_ENV_EXAMPLE: &[(&str, &str)] = &[
    (
        "DYNAMODB_ENDPOINT",
        "make serve sets it from DYNAMODB_PORT, over whatever .env says",
    ),
    ("SECRETS_MANAGER_ENDPOINT", "tests only: make test points it at moto"),
];
/// In the functions' environment and not read by `Settings`.
const TEMPLATE_ONLY: &[(&str, &str)] = &[(LOG_FILTER, "the log filter, read by lambda_http's tracing subscriber")];
/// Read by `Settings` and not in the functions' environment.
const NOT_IN_TEMPLATE: &[(&str, &str)] = &[
    (
        "DYNAMODB_ENDPOINT",
        "local only: on AWS the SDK uses the region's endpoint",
    ),
    (
        "SECRETS_MANAGER_ENDPOINT",
        "local only: on AWS the SDK uses the region's endpoint",
    ),
    ("KEY_SET_FILE", "local only: on AWS the key set is in Secrets Manager"),
    (
        "SECRET_KEY",
        "legacy HS256 key: a deployed function never gets a secret in its environment",
    ),
    (
        "SMTP_USERNAME",
        "local only: a deployed mailer reads its SMTP login from SMTP_CREDENTIALS_SECRET_ID",
    ),
    (
        "SMTP_PASSWORD",
        "local only: a deployed function never gets a secret in its environment",
    ),
    (
        "SES_ENDPOINT",
        "tests only (moto): on AWS the SDK uses the region's endpoint",
    ),
];
/// Template parameters that configure the stack, not a function's environment.
const STACK_PARAMETERS: &[(&str, &str)] = &[
    ("Architecture", "the functions' architecture"),
    ("LogRetentionDays", "the log groups' retention"),
    ("ThrottlingRateLimit", "the HTTP API stage's steady request rate"),
    ("ThrottlingBurstLimit", "the HTTP API stage's burst"),
    ("AuthReservedConcurrency", "the auth function's reserved concurrency"),
    (
        "DependencyFaultAlarmThreshold",
        "the DependencyFaults alarm's threshold",
    ),
    ("SesIdentity", "the one SES identity the mailer may send as (IAM)"),
];

fn names(list: &[(&str, &str)]) -> BTreeSet<String> {
    list.iter().map(|(name, _)| name.to_string()).collect()
}

/// `SETTING_NAMES` plus `extra`, minus `missing`.
fn expected(extra: &[(&str, &str)], missing: &[(&str, &str)]) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = SETTING_NAMES.iter().map(|n| n.to_string()).collect();
    set.extend(names(extra));
    &set - &names(missing)
}

/// Every `NAME=value` of `.env.example`, commented out (`# NAME=`, no value) or not.
fn env_example() -> BTreeMap<String, Option<String>> {
    let mut settings = BTreeMap::new();
    for line in ENV_EXAMPLE.lines() {
        let (line, commented) = match line.strip_prefix('#') {
            Some(rest) => (rest.trim_start(), true),
            None => (line, false),
        };
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !is_name {
            continue;
        }
        let value = (!commented).then(|| value.to_string());
        assert!(
            settings.insert(name.to_string(), value).is_none(),
            ".env.example lists {name} twice"
        );
    }
    settings
}

/// Every environment variable of the template's functions (globals and each function's own).
fn template_environment() -> BTreeMap<String, Value> {
    let template = template();
    let mut variables = BTreeMap::new();
    let mut add = |environment: &Value| {
        if let Some(map) = environment["Variables"].as_mapping() {
            for (name, value) in map {
                variables.insert(text(name).to_string(), value.clone());
            }
        }
    };
    add(&template["Globals"]["Function"]["Environment"]);
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] == "AWS::Serverless::Function" {
            add(&resource["Properties"]["Environment"]);
        }
    }
    variables
}

/// `RATE_LIMIT_LOGIN_MAX` -> `RateLimitLoginMax`.
fn parameter_name(variable: &str) -> String {
    variable
        .split('_')
        .map(|word| word[..1].to_string() + &word[1..].to_ascii_lowercase())
        .collect()
}

/// A parameter's `Default` as the string the environment would carry.
fn default_of(parameter: &Value) -> String {
    match &parameter["Default"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("unexpected default {other:?}"),
    }
}

/// Settings built from `pairs`, in `Debug` form (the secret redacted) for comparing.
fn settings(pairs: &BTreeMap<String, String>) -> String {
    let settings = Settings::from_lookup(|name| pairs.get(name).cloned()).unwrap_or_else(|e| panic!("{e}"));
    format!("{settings:?}")
}

fn pairs(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn env_example_lists_every_setting() {
    let listed: BTreeSet<String> = env_example().into_keys().collect();
    assert_eq!(listed, expected(ENV_EXAMPLE_ONLY, NOT_IN_ENV_EXAMPLE));
}

#[test]
fn env_example_values_are_the_code_defaults() {
    let example: BTreeMap<String, String> = env_example()
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
        .collect();
    // APP_ENV=dev (no SECRET_KEY needed) and the table name are choices for `make serve`,
    // given to both.
    let required = pairs(&[("APP_ENV", &example["APP_ENV"]), ("TABLE_NAME", &example["TABLE_NAME"])]);
    assert_eq!(settings(&example), settings(&required));
}

#[test]
fn template_environment_carries_every_setting_from_its_parameter() {
    let template = template();
    let parameters = template["Parameters"].as_mapping().unwrap();
    let environment = template_environment();
    assert_eq!(
        environment.keys().cloned().collect::<BTreeSet<_>>(),
        expected(TEMPLATE_ONLY, NOT_IN_TEMPLATE)
    );
    let mut used = names(STACK_PARAMETERS);
    for (variable, value) in &environment {
        match variable.as_str() {
            // The table the template creates, not a parameter.
            "TABLE_NAME" => assert_eq!(value, &serde_yaml::from_str::<Value>("!Ref Table").unwrap()),
            // The secret's name (read at run time), from the parameter naming it.
            "KEY_SET_SECRET_ID" => {
                assert_eq!(value, &serde_yaml::from_str::<Value>("!Ref KeySetSecretName").unwrap());
                used.insert("KeySetSecretName".to_string());
            }
            // The optional SMTP login's secret (read at run time), into the mailer function only.
            "SMTP_CREDENTIALS_SECRET_ID" => {
                assert_eq!(
                    value,
                    &serde_yaml::from_str::<Value>("!Ref SmtpCredentialsSecretName").unwrap()
                );
                used.insert("SmtpCredentialsSecretName".to_string());
            }
            _ => {
                let parameter = parameter_name(variable);
                let reference = format!("!Ref {parameter}");
                assert_eq!(
                    value,
                    &serde_yaml::from_str::<Value>(&reference).unwrap(),
                    "{variable} should be {reference}"
                );
                assert!(
                    parameters.contains_key(parameter.as_str()),
                    "{variable}: no parameter {parameter}"
                );
                used.insert(parameter);
            }
        }
    }
    let declared: BTreeSet<String> = parameters.keys().map(|k| text(k).to_string()).collect();
    assert_eq!(
        declared, used,
        "every parameter reaches the functions or configures the stack"
    );
}

/// Where a deployed stack is stricter than the code's defaults (which keep the seed doc's flows
/// working under `make serve`): each setting, its template default, and why.
const HARDENED: &[(&str, &str, &str)] = &[
    (
        "INVITE_AUTO_ACCEPT",
        "verification",
        "joining an org by invite needs proof of the invited address",
    ),
    (
        "ORG_MEMBER_CONSENT",
        "true",
        "nobody is added to an org, nor shown to it, without accepting",
    ),
];

#[test]
fn template_defaults_are_the_code_defaults_but_the_hardened_ones() {
    let template = template();
    let parameters = &template["Parameters"];
    let required = pairs(&[("TABLE_NAME", "t"), ("KEY_SET_SECRET_ID", "gatehouse/key-set")]);
    let mut deployed = required.clone();
    for variable in template_environment().keys() {
        let parameter = &parameters[parameter_name(variable).as_str()];
        if !parameter.is_null() && !names(TEMPLATE_ONLY).contains(variable) {
            deployed.insert(variable.clone(), default_of(parameter));
        }
    }
    let mut hardened = required.clone();
    for (variable, value, _why) in HARDENED {
        assert_eq!(deployed.get(*variable).map(String::as_str), Some(*value), "{variable}");
        hardened.insert(variable.to_string(), value.to_string());
    }
    assert_eq!(settings(&deployed), settings(&hardened));
    assert_ne!(
        settings(&hardened),
        settings(&required),
        "the hardened values differ from the code's"
    );
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
        serde_json::json!([{ "prefix": shared::store::keys::MAIL_PREFIX }])
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
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if text(name) != "MailerFunction" {
            assert!(!format!("{resource:?}").contains("ses:"), "{name:?} may use SES");
        }
    }
}

#[test]
fn only_the_mailer_links_the_mail_transports() {
    let manifests = [
        ("auth", include_str!("../../../functions/auth/Cargo.toml")),
        ("users", include_str!("../../../functions/users/Cargo.toml")),
        ("orgs", include_str!("../../../functions/orgs/Cargo.toml")),
        ("seed", include_str!("../../../functions/seed/Cargo.toml")),
        ("mailer", include_str!("../../../functions/mailer/Cargo.toml")),
    ];
    for (function, manifest) in manifests {
        let manifest: toml::Value = toml::from_str(manifest).unwrap();
        let features = manifest["dependencies"]["shared"]
            .get("features")
            .and_then(|f| f.as_array())
            .map(|f| f.iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>())
            .unwrap_or_default();
        let links_mail = features.iter().any(|f| f == "mailer");
        assert_eq!(
            links_mail,
            function == "mailer",
            "{function}: shared features {features:?}"
        );
        let dependencies = format!("{:?}", manifest["dependencies"]);
        assert!(
            !dependencies.contains("lettre") && !dependencies.contains("sesv2"),
            "{function} depends on a mail client directly"
        );
    }
}

/// Every function that opens the key set (all but the static web pages) may read its secret, and
/// only the mailer may read the SMTP login's; no secret is resolved into any configuration.
#[test]
fn functions_read_their_secrets_at_run_time_and_no_configuration_holds_one() {
    let template = template();
    let readable = |function: &str| -> String {
        let statements = template["Resources"][function]["Properties"]["Policies"][0]["Statement"]
            .as_sequence()
            .unwrap();
        statements
            .iter()
            .filter(|s| format!("{:?}", s["Action"]).contains("secretsmanager:GetSecretValue"))
            .map(|s| format!("{:?}", s["Resource"]))
            .collect()
    };
    for function in [
        "AuthFunction",
        "UsersFunction",
        "OrgsFunction",
        "SeedFunction",
        "MailerFunction",
    ] {
        assert!(
            readable(function).contains("${KeySetSecretName}-??????"),
            "{function} cannot read the key set"
        );
        assert_eq!(
            readable(function).contains("${SmtpCredentialsSecretName}"),
            function == "MailerFunction",
            "{function} and the SMTP login"
        );
    }
    assert!(
        !TEMPLATE.contains("resolve:secretsmanager"),
        "a secret resolved at deploy time"
    );
}
