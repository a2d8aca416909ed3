use serde_json::json;

use super::*;

fn parse(kind: HookKind, input: Value) -> Result<ParsedConfig, Vec<FieldError>> {
    HookConfig::from_input(kind, &input, None)
}

fn errors(kind: HookKind, input: Value) -> Vec<(String, String)> {
    match parse(kind, input) {
        Ok(p) => panic!("expected errors, got {p:?}"),
        Err(errs) => errs.into_iter().map(|e| (e.field, e.message)).collect(),
    }
}

fn has_error(errs: &[(String, String)], field: &str, words: &str) -> bool {
    errs.iter().any(|(f, m)| f == field && m.contains(words))
}

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A valid input of every kind, with every secret set.
fn samples() -> Vec<(HookKind, Value)> {
    vec![
        (
            HookKind::Http,
            json!({"url": "https://hooks.example.com/in?token=abcdefgh", "secret": SECRET, "headers": {"X-Team": "ops", "Authorization": "Bearer hdr-token-1"}}),
        ),
        (
            HookKind::Email,
            json!({"host": "smtp.example.com", "tls": "tls", "username": "bot", "password": "smtp-pass-1", "from": "Feed bot <bot@example.com>", "to": "a@example.com; b@example.com;", "body": "text"}),
        ),
        (
            HookKind::Hipchat,
            json!({"room": "Builds & Releases", "auth_token": "hc-token-1", "color": "purple", "notify": "on"}),
        ),
        (
            HookKind::Slack,
            json!({"webhook_url": "https://hooks.slack.com/services/T0/B0/slack-secret-1", "channel": "#builds"}),
        ),
        (
            HookKind::Teams,
            json!({"webhook_url": "https://x.logic.azure.com/workflows/1/triggers?sig=teams-sig-12345", "format": "messagecard"}),
        ),
        (
            HookKind::Twilio,
            json!({"account_sid": SID, "auth_token": "tw-token-1", "from": "+1 415 555 0100", "to": "+44 20 7946 0958"}),
        ),
        (
            HookKind::X,
            json!({"consumer_key": "ck", "consumer_secret": "x-consumer-secret", "token": "tk", "token_secret": "x-token-secret"}),
        ),
    ]
}

#[test]
fn kinds_round_trip_their_names() {
    for kind in HookKind::ALL {
        assert_eq!(HookKind::parse(kind.as_str()), Some(kind));
        assert!(!kind.label().is_empty());
        assert!(!kind.supported_events().is_empty());
    }
    assert_eq!(HookKind::parse("HTTP"), None);
    assert!(!HookKind::X.supported_events().contains(&EventType::Ping));
    assert!(
        HookKind::Slack
            .supported_events()
            .contains(&EventType::Ping)
    );
}

#[test]
fn parses_every_kind_with_defaults() {
    for (kind, input) in samples() {
        let parsed = parse(kind, input).unwrap_or_else(|e| panic!("{kind}: {e:?}"));
        assert_eq!(parsed.config.kind(), kind);
        assert_eq!(parsed.generated_secret, None);
    }
    let HookConfig::Email(e) = parse(HookKind::Email, samples()[1].1.clone())
        .unwrap()
        .config
    else {
        panic!()
    };
    assert_eq!(
        (e.port, e.tls, e.body),
        (465, TlsMode::Tls, BodyFormat::Text)
    );
    assert_eq!(e.to, ["a@example.com", "b@example.com"]);
    let HookConfig::Twilio(t) = parse(HookKind::Twilio, samples()[5].1.clone())
        .unwrap()
        .config
    else {
        panic!()
    };
    assert_eq!(
        (t.from.as_str(), t.to.as_str()),
        ("+14155550100", "+442079460958")
    );
    assert_eq!(t.api_base, "https://api.twilio.com");
    let HookConfig::Hipchat(h) = parse(HookKind::Hipchat, samples()[2].1.clone())
        .unwrap()
        .config
    else {
        panic!()
    };
    assert_eq!(h.server, "https://api.hipchat.com");
    assert!(h.notify && h.color_by_status);
}

#[test]
fn secrets_stay_out_of_public_json_and_debug() {
    for (kind, input) in samples() {
        let config = parse(kind, input.clone()).unwrap().config;
        let public = config.public_json().to_string();
        let debug = format!("{config:?}");
        let values = config.secret_values();
        let secrets = config.secrets_json();
        for (name, value) in secrets.as_object().unwrap() {
            let value = value.as_str().unwrap();
            assert!(!public.contains(value), "{kind}: {name} in {public}");
            assert!(!debug.contains(value), "{kind}: {name} in {debug}");
            assert!(
                values.iter().any(|v| v == value),
                "{kind}: {name} not in secret_values"
            );
            assert!(
                public.contains(&format!("\"{name}\"")),
                "{kind}: secrets_set lacks {name}"
            );
        }
        let back = HookConfig::from_stored(kind, &config.public_json(), &secrets).unwrap();
        assert_eq!(back, config, "{kind}");
    }
}

#[test]
fn derived_secret_forms_are_redactable() {
    let twilio = parse(HookKind::Twilio, samples()[5].1.clone())
        .unwrap()
        .config;
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:tw-token-1"));
    assert!(twilio.secret_values().contains(&basic));
    let http = parse(HookKind::Http, samples()[0].1.clone())
        .unwrap()
        .config;
    let values = http.secret_values();
    for v in [SECRET, "Bearer hdr-token-1", "hdr-token-1", "abcdefgh"] {
        assert!(values.iter().any(|x| x == v), "{v} in {values:?}");
    }
    let slack = parse(HookKind::Slack, samples()[3].1.clone())
        .unwrap()
        .config;
    assert!(
        slack
            .secret_values()
            .contains(&"/services/T0/B0/slack-secret-1".to_string())
    );
}

#[test]
fn blank_secrets_keep_the_previous_value() {
    for (kind, input) in samples() {
        let first = parse(kind, input.clone()).unwrap().config;
        let mut edit = input.as_object().unwrap().clone();
        for (i, name) in first.secrets_json().as_object().unwrap().keys().enumerate() {
            // Absent, null and "" all mean "unchanged".
            match i % 3 {
                0 => edit.remove(name),
                1 => edit.insert(name.clone(), Value::Null),
                _ => edit.insert(name.clone(), json!("")),
            };
        }
        let again =
            HookConfig::from_input(kind, &Value::Object(edit.clone()), Some(&first)).unwrap();
        assert_eq!(again.config, first, "{kind}");
        if !first.secrets_json().as_object().unwrap().is_empty()
            && !matches!(kind, HookKind::Http | HookKind::Email)
        {
            let fresh = HookConfig::from_input(kind, &Value::Object(edit), None);
            assert!(fresh.is_err(), "{kind}: a new hook needs its secrets");
        }
    }
}

#[test]
fn http_secret_generation_and_removal() {
    let parsed = parse(
        HookKind::Http,
        json!({"url": "https://h.example/", "secret": "generate"}),
    )
    .unwrap();
    let generated = parsed.generated_secret.clone().unwrap();
    assert!(generated.starts_with("whsec_"));
    assert_eq!(parsed.config.secret_values(), vec![generated]);
    let removed = HookConfig::from_input(
        HookKind::Http,
        &json!({"url": "https://h.example/", "secret": "remove"}),
        Some(&parsed.config),
    )
    .unwrap();
    assert!(removed.config.secret_values().is_empty());
    let errs = errors(
        HookKind::Http,
        json!({"url": "https://h.example/", "secret": "hunter2"}),
    );
    assert!(has_error(&errs, "config.secret", "whsec_"), "{errs:?}");
    assert!(!format!("{errs:?}").contains("hunter2"));
}

#[test]
fn reports_every_bad_field_by_name() {
    let errs = errors(
        HookKind::Http,
        json!({"url": "ftp://x", "verify_tls": "maybe", "headers": {"Content-Type": "text/plain", "X-Bad": "a\r\nb", "bad name": "x", "x-dup": "1", "X-Dup": "2"}, "urll": 1}),
    );
    assert!(has_error(&errs, "config.url", "http://"), "{errs:?}");
    assert!(has_error(&errs, "config.verify_tls", "true or false"));
    assert!(has_error(
        &errs,
        "config.headers.Content-Type",
        "can not be set"
    ));
    assert!(has_error(&errs, "config.headers.X-Bad", "line breaks"));
    assert!(has_error(
        &errs,
        "config.headers.bad name",
        "not a valid header name"
    ));
    assert!(has_error(&errs, "config.headers.X-Dup", "twice"));
    assert!(has_error(&errs, "config.urll", "not a setting"));
    for reserved in [
        "webhook-signature",
        "User-Agent",
        "x-myget-eventidentifier",
        "Host",
        "content-length",
    ] {
        let errs = errors(
            HookKind::Http,
            json!({"url": "https://h.example/", "headers": {reserved: "x"}}),
        );
        assert!(
            has_error(
                &errs,
                &format!("config.headers.{reserved}"),
                "can not be set"
            ),
            "{reserved}"
        );
    }

    let errs = errors(
        HookKind::Email,
        json!({"host": "smtp example", "port": 70000, "tls": "ssl", "from": "nobody", "to": "a@example.com; not-an-address", "body": "pdf"}),
    );
    for field in [
        "config.host",
        "config.port",
        "config.tls",
        "config.from",
        "config.to",
        "config.body",
    ] {
        assert!(errs.iter().any(|(f, _)| f == field), "{field}: {errs:?}");
    }
    assert!(has_error(&errs, "config.to", "not-an-address"));
    let errs = errors(
        HookKind::Email,
        json!({"host": "smtp.example.com", "tls": "none", "username": "u", "password": "p", "from": "a@example.com", "to": "b@example.com"}),
    );
    assert!(has_error(&errs, "config.tls", "in clear"));

    let errs = errors(
        HookKind::Twilio,
        json!({"account_sid": "AC12", "auth_token": "t", "from": "+1 (415) CALL", "to": "0800 123"}),
    );
    assert!(has_error(&errs, "config.account_sid", "AC followed by"));
    assert!(has_error(&errs, "config.from", "E.164"));
    assert!(has_error(&errs, "config.to", "E.164"));

    let errs = errors(
        HookKind::Hipchat,
        json!({"room": "r", "auth_token": "t", "color": "blue", "server": "hipchat.local"}),
    );
    assert!(has_error(
        &errs,
        "config.color",
        "yellow, green, red, purple, gray, random"
    ));
    assert!(has_error(&errs, "config.server", "not a valid URL"));

    let errs = errors(
        HookKind::Slack,
        json!({"webhook_url": "not a url", "channel": "my channel"}),
    );
    assert!(has_error(&errs, "config.webhook_url", "not a valid URL"));
    assert!(has_error(&errs, "config.channel", "without spaces"));
    assert!(
        !format!("{errs:?}").contains("not a url"),
        "a secret is never echoed"
    );

    let errs = errors(HookKind::Teams, json!({"format": "card"}));
    assert!(has_error(&errs, "config.webhook_url", "is required"));
    assert!(has_error(&errs, "config.format", "adaptive, messagecard"));

    let errs = errors(HookKind::X, json!({"consumer_key": "a b", "token": ""}));
    for field in [
        "config.consumer_key",
        "config.consumer_secret",
        "config.token",
        "config.token_secret",
    ] {
        assert!(errs.iter().any(|(f, _)| f == field), "{field}: {errs:?}");
    }

    let errs = HookConfig::from_input(HookKind::Slack, &json!("https://x"), None).unwrap_err();
    assert_eq!(errs[0].field, "config");
}

#[test]
fn previous_config_of_another_kind_is_ignored() {
    let slack = parse(HookKind::Slack, samples()[3].1.clone())
        .unwrap()
        .config;
    let errs = HookConfig::from_input(HookKind::Teams, &json!({}), Some(&slack)).unwrap_err();
    assert_eq!(errs[0].field, "config.webhook_url");
}

#[test]
fn from_stored_reports_broken_rows() {
    let err =
        HookConfig::from_stored(HookKind::Slack, &json!({"channel": ""}), &json!({})).unwrap_err();
    assert!(err.contains("config.webhook_url: is required"), "{err}");
    assert!(HookConfig::from_stored(HookKind::Slack, &json!([]), &json!({})).is_err());
}

/// The form's fields are the parser's: every field of a kind's list is a setting a valid
/// config of that kind shows (in clear or as a set secret), and every option of a select is a
/// value its parser takes and gives back.
#[test]
fn each_kinds_field_list_matches_its_parser() {
    for (kind, sample) in samples() {
        let parsed = parse(kind, sample.clone()).unwrap().config;
        let public = parsed.public_json();
        let set: Vec<String> =
            serde_json::from_value(public["secrets_set"].clone()).unwrap_or_default();
        for f in kind.fields() {
            assert!(
                public.get(f.name).is_some() || set.iter().any(|s| s == f.name),
                "{kind}: the form's {} is not a setting the parser keeps",
                f.name
            );
            if let fields::Control::Select(options) = f.control {
                for (value, _) in options() {
                    let mut input = sample.clone();
                    input[f.name] = json!(value);
                    if (kind, f.name, value) == (HookKind::Email, "tls", "none") {
                        // Allowed only without a password, which would cross in clear.
                        let m = input.as_object_mut().unwrap();
                        m.remove("username");
                        m.remove("password");
                    }
                    let p = parse(kind, input)
                        .unwrap_or_else(|e| panic!("{kind} {}={value}: {e:?}", f.name));
                    assert_eq!(p.config.public_json()[f.name], value, "{kind} {}", f.name);
                }
            }
        }
    }
}
