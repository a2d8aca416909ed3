use std::time::Duration;

use serde_json::{Map, Value, json};

use super::*;

#[test]
fn every_kind_has_one_definition_and_round_trips_its_name() {
    for k in SourceKind::ALL {
        assert_eq!(SourceKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(SourceKind::names(Mode::Polling), vec!["nuget", "npm"]);
}

#[test]
fn each_polling_kind_reads_exactly_the_fields_it_defines() {
    for kind in [SourceKind::Nuget, SourceKind::Npm] {
        let mut all = Map::new();
        for f in kind.fields() {
            let v = match f.input {
                Input::Checkbox => json!(true),
                Input::Url => json!("https://feed.example/v3/index.json"),
                Input::Lines => json!(["a.*"]),
                _ if f.name == "interval" => json!("5m"),
                _ => json!("x"),
            };
            all.insert(f.name.into(), v);
        }
        let c = SourceConfig::from_input(kind, &Value::Object(all), None)
            .unwrap_or_else(|e| panic!("{kind}: {e:?}"));
        let public = c.public_json();
        for f in kind.fields() {
            let shown = if f.input == Input::Secret {
                public["secrets_set"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|n| n == f.name)
            } else {
                !public[f.name].is_null()
            };
            assert!(shown, "{kind}: {} is read and answered", f.name);
        }
    }
}

#[test]
fn nuget_settings_validate_and_keep_secrets_on_edit() {
    let c = SourceConfig::from_input(
        SourceKind::Nuget,
        &json!({"service_index": "https://feed.example/v3/index.json", "api_key": "k1",
                "packages": "MyCompany.*, Other", "interval": "5m"}),
        None,
    )
    .unwrap();
    let SourceConfig::Nuget(n) = &c else { panic!() };
    assert_eq!(n.packages, vec!["MyCompany.*", "Other"]);
    assert_eq!(n.interval, Duration::from_secs(300));
    assert_eq!(c.public_json()["secrets_set"], json!(["api_key"]));
    assert!(!c.public_json().to_string().contains("k1"));
    let edited = SourceConfig::from_input(
        SourceKind::Nuget,
        &json!({"service_index": "https://feed.example/v3/index.json", "api_key": ""}),
        Some(&c),
    )
    .unwrap();
    let SourceConfig::Nuget(e) = edited else {
        panic!()
    };
    assert_eq!(e.api_key.unwrap().expose(), "k1");
}

#[test]
fn bad_settings_name_each_field() {
    let errs = SourceConfig::from_input(
        SourceKind::Npm,
        &json!({"registry": "ftp://x", "interval": "1s", "packages": [], "colour": 1}),
        None,
    )
    .unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    for f in [
        "config.registry",
        "config.interval",
        "config.packages",
        "config.colour",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
}

#[test]
fn stored_settings_read_back_the_same() {
    let c = SourceConfig::from_input(
        SourceKind::Npm,
        &json!({"registry": "http://127.0.0.1:4873/", "token": "t", "packages": ["@acme/*"]}),
        None,
    )
    .unwrap();
    let back =
        SourceConfig::from_stored(SourceKind::Npm, &c.stored_json(), &c.secrets_json()).unwrap();
    assert_eq!(back, c);
}
