//! Bounded fuzzing: the envelope validator and renderer never panic on any JSON; every API
//! body and form answers random input with a 4xx and a clear message, never a 5xx.
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{EVENT_NAMES, spawn_app, spec_example};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        prop::sample::select(vec![
            "PingWebHookEventPayloadV1",
            "BuildFinishedWebHookEventPayloadV1",
            "listed",
            "success",
            ""
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "Identifier",
                    "When",
                    "Username",
                    "PayloadType",
                    "Payload",
                    "Action",
                    "Result",
                    "PackageIdentifier",
                    "PackageVersion",
                    "PackageType",
                    "Packages",
                    "Name",
                    "Branch",
                    "x"
                ])
                .prop_map(String::from),
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A spec example with one field somewhere replaced by arbitrary JSON.
fn mutated_example() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(EVENT_NAMES.to_vec()),
        any_json(),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(name, junk, at, in_payload)| {
            let mut v = spec_example(name);
            let target = if in_payload {
                v["Payload"].as_object_mut().unwrap()
            } else {
                v.as_object_mut().unwrap()
            };
            let keys: Vec<String> = target.keys().cloned().collect();
            if !keys.is_empty() {
                target.insert(keys[at.index(keys.len())].clone(), junk);
            }
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn the_validator_and_renderer_never_panic(v in prop_oneof![any_json(), mutated_example()]) {
        let verdict = feedhooks::events::validate_envelope(&v);
        let rendered = feedhooks::events::render(&v);
        if let Err(errors) = verdict {
            prop_assert!(!errors.is_empty());
            prop_assert!(errors.iter().all(|e| !e.message.is_empty()));
        } else {
            prop_assert!(!rendered.summary.is_empty());
            prop_assert!(!rendered.summary.contains('\n'));
        }
    }
}

fn random_body(rng: &mut rand::rngs::StdRng) -> (Vec<u8>, &'static str) {
    match rng.gen_range(0..5) {
        0 => ((0..rng.gen_range(0..300)).map(|_| rng.r#gen::<u8>()).collect(), "application/json"),
        1 => {
            let keys = ["kind", "events", "config", "name", "enabled", "identifier", "status", "since", "url", "secret", "headers"];
            let mut m = serde_json::Map::new();
            for _ in 0..rng.gen_range(0..6) {
                let v = match rng.gen_range(0..6) {
                    0 => json!(null),
                    1 => json!(rng.r#gen::<i32>()),
                    2 => json!(["ping", "package.added", "nope"][rng.gen_range(0..3)]),
                    3 => json!({"url": "http://127.0.0.1:1/", "headers": {"X": rng.r#gen::<u8>()}}),
                    4 => json!([1, "two", {"three": 3}]),
                    _ => json!("x".repeat(rng.gen_range(0..5000))),
                };
                m.insert(keys[rng.gen_range(0..keys.len())].into(), v);
            }
            (serde_json::to_vec(&m).unwrap(), "application/json")
        }
        2 => (b"{\"kind\": \"http\", \"events\": [\"ping\"], \"config\": {\"url\": ".to_vec(), "application/json"),
        3 => (format!("identifier={}&name=%ff%fe&csrf=", rng.r#gen::<u32>()).into_bytes(), "application/x-www-form-urlencoded"),
        _ => (serde_json::to_vec(&json!({"kind": "email", "events": ["ping"], "config": {"host": "\u{0}", "port": 99999, "to": ";;;", "from": "@"}})).unwrap(), "application/json"),
    }
}

#[tokio::test]
async fn every_api_body_answers_random_input_with_a_clear_4xx() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let hook: Value = app
        .api(Method::POST, "/api/v1/feeds/f/hooks", Some(&t), Some(json!({"kind": "http", "events": ["ping"], "config": {"url": "http://127.0.0.1:1/"}})))
        .await
        .json()
        .await
        .unwrap();
    let h = hook["id"].as_i64().unwrap();
    let routes: Vec<(Method, String)> = vec![
        (Method::POST, "/api/v1/feeds".into()),
        (Method::POST, "/api/v1/feeds/f/keys".into()),
        (Method::POST, "/api/v1/feeds/f/events".into()),
        (Method::POST, "/api/v1/feeds/f/hooks".into()),
        (Method::PATCH, format!("/api/v1/feeds/f/hooks/{h}")),
        (Method::POST, format!("/api/v1/feeds/f/hooks/{h}/redeliver")),
        (
            Method::GET,
            format!("/api/v1/feeds/f/hooks/{h}/deliveries?status=%ff&since=x&limit=-1&cursor=zz"),
        ),
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for (method, path) in &routes {
        for _ in 0..60 {
            let (body, ct) = random_body(&mut rng);
            let res = app
                .client
                .request(method.clone(), app.url(path))
                .bearer_auth(&t)
                .header("content-type", ct)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            if status < 300 {
                continue; // random input can be valid (e.g. a PATCH with nothing to change)
            }
            assert!(
                (400..500).contains(&status),
                "{method} {path}: {status} for {:?}",
                String::from_utf8_lossy(&body)
            );
            let p: Value = res.json().await.unwrap();
            assert!(
                !p["detail"].as_str().unwrap_or("").is_empty(),
                "{method} {path}: {p}"
            );
        }
    }
}

#[tokio::test]
async fn every_form_answers_random_input_without_a_server_error() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let b = app.sign_in(&u).await;
    let forms = [
        "/feeds",
        "/feeds/f/keys",
        "/feeds/f/co-owners",
        "/feeds/f/delete",
        "/account/password",
        "/account/tokens",
        "/login",
        "/setup",
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    for path in forms {
        for _ in 0..40 {
            let fields: Vec<(String, String)> = (0..rng.gen_range(0..5))
                .map(|_| {
                    let k = [
                        "identifier",
                        "name",
                        "username",
                        "password",
                        "confirm",
                        "current_password",
                        "new_password",
                        "token",
                        "x",
                    ][rng.gen_range(0..9)];
                    let v: String = (0..rng.gen_range(0..50))
                        .map(|_| char::from_u32(rng.gen_range(1..0x3000)).unwrap_or('?'))
                        .collect();
                    (k.to_owned(), v)
                })
                .collect();
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let status = b.post_form(path, &pairs).await.status().as_u16();
            assert!(status < 500, "{path}: {status} for {pairs:?}");
        }
    }
}
