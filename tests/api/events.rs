//! Event ingest: every spec example round-trips; bad input is refused with nothing stored;
//! repeats are idempotent; fan-out creates one delivery per subscribed, enabled hook.
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{EVENT_NAMES, TestApp, spawn_app, spec_example};

async fn owner_with_feed(app: &TestApp, feeds: &[&str]) -> String {
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    for f in feeds {
        app.create_feed(&t, f).await;
    }
    t
}

/// A hook written straight to the store (the hooks API is tested on its own).
async fn raw_hook(app: &TestApp, feed: &str, events: &[&str], enabled: bool) {
    let feed = feed.to_owned();
    let names: Vec<String> = events.iter().map(|s| s.to_string()).collect();
    app.state
        .db
        .run(move |c| {
            let f = feedhooks::db::feeds::find_feed(c, &feed)?.unwrap();
            let types: Vec<_> = names
                .iter()
                .map(|n| feedhooks::events::EventType::from_name(n).unwrap())
                .collect();
            let events_json = serde_json::to_string(&names).unwrap();
            let w = feedhooks::db::hooks::HookWrite {
                digest: None,
                kind: "http",
                name: "raw",
                enabled,
                events: &events_json,
                event_mask: feedhooks::events::EventType::mask(&types),
                config: r#"{"url":"http://127.0.0.1:9/"}"#,
                secrets: None,
                filter: None,
                templates: None,
                max_in_flight: 8,
                ordered: false,
                alert_hook: None,
            };
            feedhooks::db::hooks::insert_hook(c, f.id, &w, 0)
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn every_spec_example_is_stored_and_comes_back_equal_plus_the_filled_fields() {
    let app = spawn_app().await;
    let t = owner_with_feed(&app, &["sample-feed", "builds-2", "builds-3"]).await;
    for name in EVENT_NAMES {
        let sent = spec_example(name);
        // The three build examples share one Identifier: each goes to its own feed.
        let feed = match name {
            "build.started" => "builds-2",
            "build.finished" => "builds-3",
            _ => "sample-feed",
        };
        let res = app.post_event(feed, &t, &sent).await;
        assert_eq!(res.status(), 202, "{name}: {}", res.text().await.unwrap());
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["identifier"], sent["Identifier"]);
        assert_eq!(answer["deliveries"], 0);

        let stored = app
            .stored_event(feed, sent["Identifier"].as_str().unwrap())
            .await;
        let mut expected = sent.clone();
        let payload = expected["Payload"].as_object_mut().unwrap();
        payload.entry("FeedIdentifier").or_insert(json!(feed));
        payload
            .entry("FeedUrl")
            .or_insert(json!(format!("{}/feeds/{feed}", app.address)));
        assert_eq!(stored, expected, "{name}");
    }
    // Posted as they are to one feed, the second build example is another body under a known
    // Identifier.
    let res = app
        .post_event("sample-feed", &t, &spec_example("build.started"))
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(app.count("events").await, 9);
}

#[tokio::test]
async fn missing_envelope_fields_are_filled_and_unknown_fields_kept() {
    let app = spawn_app().await;
    let t = owner_with_feed(&app, &["f"]).await;
    let key = app.feed_key(&t, "f").await;
    let sent = json!({
        "PayloadType": "PackageDeletedWebHookEventPayloadV1",
        "Payload": {"PackageType": "npm", "PackageIdentifier": "left-pad", "PackageVersion": "≥ 1.0 < 2", "Extra": {"kept": [1, "two"]}},
        "Vendor": "x"
    });
    let res = app.post_event("f", &key, &sent).await;
    assert_eq!(res.status(), 202);
    let id = res.json::<Value>().await.unwrap()["identifier"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let stored = app.stored_event("f", &id).await;
    assert_eq!(stored["Identifier"], id.as_str());
    assert_eq!(
        stored["Username"], "ci",
        "a feed key's name stands in for the user"
    );
    assert!(feedhooks::domain::time::parse_rfc3339(stored["When"].as_str().unwrap()).is_some());
    assert_eq!(stored["Payload"]["FeedIdentifier"], "f");
    assert_eq!(stored["Payload"]["Extra"], json!({"kept": [1, "two"]}));
    assert_eq!(stored["Payload"]["PackageVersion"], "≥ 1.0 < 2");
    assert_eq!(stored["Vendor"], "x");

    // A personal token: the user's name.
    let res = app
        .post_event(
            "f",
            &t,
            &json!({"PayloadType": "PingWebHookEventPayloadV1", "Payload": {}}),
        )
        .await;
    let id = res.json::<Value>().await.unwrap()["identifier"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.stored_event("f", &id).await["Username"], "olivia");
}

#[tokio::test]
async fn the_same_body_again_is_answered_as_before_and_creates_nothing() {
    let app = spawn_app().await;
    let t = owner_with_feed(&app, &["f"]).await;
    raw_hook(&app, "f", &["package.added"], true).await;
    let sent = spec_example("package.added");
    let first = app.post_event("f", &t, &sent).await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["deliveries"], 1);
    // Same JSON, other key order and whitespace.
    let reordered = {
        let mut m = serde_json::Map::new();
        for k in ["Payload", "PayloadType", "When", "Username", "Identifier"] {
            m.insert(k.into(), sent[k].clone());
        }
        serde_json::to_vec_pretty(&Value::Object(m)).unwrap()
    };
    let again = app
        .post_event_raw("f", &t, "application/json", reordered)
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(app.count("events").await, 1);
    assert_eq!(app.count("deliveries").await, 1);

    let mut changed = sent.clone();
    changed["Payload"]["PackageVersion"] = json!("9.9.9");
    let res = app.post_event("f", &t, &changed).await;
    assert_eq!(res.status(), 409);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(app.count("events").await, 1);
}

#[tokio::test]
async fn fan_out_creates_one_delivery_per_enabled_subscribed_hook() {
    let app = spawn_app().await;
    let t = owner_with_feed(&app, &["f", "other"]).await;
    raw_hook(&app, "f", &["package.added", "package.deleted"], true).await;
    raw_hook(&app, "f", &["package.added"], true).await;
    raw_hook(&app, "f", &["package.added"], false).await;
    raw_hook(&app, "f", &["build.finished"], true).await;
    raw_hook(&app, "other", &["package.added"], true).await;
    let res = app
        .post_event("f", &t, &spec_example("package.added"))
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["deliveries"], 2);
    assert_eq!(app.count("deliveries").await, 2);
}

#[tokio::test]
async fn only_callers_of_the_feed_may_post() {
    let app = spawn_app().await;
    let t = owner_with_feed(&app, &["f", "g"]).await;
    let key_g = app.feed_key(&t, "g").await;
    let stranger = app.create_user("sam", false).await;
    let st = app.token_for(&stranger).await;
    let body = spec_example("ping");
    assert_eq!(
        app.post_event("f", "fhk_unknown", &body).await.status(),
        401
    );
    let res = app
        .client
        .post(app.url("/api/v1/feeds/f/events"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        app.post_event("f", &key_g, &body).await.status(),
        404,
        "a key of another feed"
    );
    assert_eq!(
        app.post_event("f", &st, &body).await.status(),
        404,
        "a stranger"
    );
    assert_eq!(app.post_event("g", &key_g, &body).await.status(), 202);
    // A feed key reads nothing.
    assert_eq!(
        app.api(Method::GET, "/api/v1/feeds/g/events", Some(&key_g), None)
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn bad_bodies_get_4xx_with_a_clear_answer_and_nothing_is_stored() {
    let app = spawn_app().await;
    let t = owner_with_feed(&app, &["f"]).await;
    raw_hook(&app, "f", &EVENT_NAMES, true).await;
    let mut cases: Vec<(Vec<u8>, &str)> = vec![];
    for name in EVENT_NAMES {
        let example = spec_example(name);
        let text = serde_json::to_string(&example).unwrap();
        // Truncated at many points: malformed JSON.
        for cut in (1..text.len()).step_by(37) {
            cases.push((text.as_bytes()[..cut].to_vec(), "application/json"));
        }
        // Every field of the envelope and payload removed or mistyped.
        for key in ["PayloadType", "Payload"] {
            let mut v = example.clone();
            v.as_object_mut().unwrap().remove(key);
            cases.push((serde_json::to_vec(&v).unwrap(), "application/json"));
        }
        for (key, bad) in [
            ("Identifier", json!(12)),
            ("When", json!("yesterday")),
            ("Username", json!(["x"])),
            ("PayloadType", json!("Nope")),
            ("Payload", json!("text")),
        ] {
            let mut v = example.clone();
            v[key] = bad;
            cases.push((serde_json::to_vec(&v).unwrap(), "application/json"));
        }
        for field in example["Payload"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
        {
            for bad in [json!(42), json!({"x": 1}), json!(true)] {
                let mut v = example.clone();
                v["Payload"][&field] = bad;
                if feedhooks::events::validate_envelope(&v).is_err() {
                    cases.push((serde_json::to_vec(&v).unwrap(), "application/json"));
                }
            }
        }
    }
    for junk in [
        &b""[..],
        b"null",
        b"[]",
        b"42",
        b"\"text\"",
        b"{\"PayloadType\":",
        b"\xff\xfe{}",
        b"{} {}",
    ] {
        cases.push((junk.to_vec(), "application/json"));
    }
    // Wrong media types.
    let ping = serde_json::to_vec(&spec_example("ping")).unwrap();
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        cases.push((ping.clone(), ct));
    }
    // Oversized: valid JSON just over 1 MiB.
    let mut big = spec_example("ping");
    big["Padding"] = json!("x".repeat(1024 * 1024));
    cases.push((serde_json::to_vec(&big).unwrap(), "application/json"));
    assert!(cases.len() >= 300, "{} cases", cases.len());

    for (body, ct) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        let res = app.post_event_raw("f", &t, ct, body).await;
        let status = res.status().as_u16();
        assert!(
            [400, 413, 415, 422].contains(&status),
            "{status} for {shown}"
        );
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{shown}"
        );
        let problem: Value = res.json().await.unwrap();
        assert!(!problem["detail"].as_str().unwrap().is_empty());
        if status == 422 {
            assert!(
                !problem["errors"].as_array().unwrap().is_empty(),
                "422 names each field: {problem}"
            );
        }
    }
    assert_eq!(app.count("events").await, 0);
    assert_eq!(app.count("deliveries").await, 0);
}

#[tokio::test]
async fn errors_say_what_is_wrong() {
    let app = spawn_app().await;
    let t = owner_with_feed(&app, &["f"]).await;
    let res = app
        .post_event_raw(
            "f",
            &t,
            "application/json",
            b"{\n  \"PayloadType\": \"x\",\n  oops\n}".to_vec(),
        )
        .await;
    assert_eq!(res.status(), 400);
    let p: Value = res.json().await.unwrap();
    assert!(
        p["detail"].as_str().unwrap().contains("line 3 column"),
        "{p}"
    );

    let mut v = spec_example("package.listed");
    v["Payload"]["Action"] = json!("hidden");
    v["Payload"]
        .as_object_mut()
        .unwrap()
        .remove("PackageIdentifier");
    let p: Value = app.post_event("f", &t, &v).await.json().await.unwrap();
    assert_eq!(p["status"], 422);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"Payload.Action") && fields.contains(&"Payload.PackageIdentifier"),
        "{p}"
    );

    let res = app
        .post_event_raw("f", &t, "text/plain", b"{}".to_vec())
        .await;
    assert_eq!(res.status(), 415);
    let mut big = spec_example("ping");
    big["Padding"] = json!("x".repeat(1024 * 1024));
    assert_eq!(app.post_event("f", &t, &big).await.status(), 413);
}

#[tokio::test]
async fn events_are_listed_newest_first_with_cursor_paging() {
    let app = spawn_app().await;
    let t = owner_with_feed(&app, &["f"]).await;
    for i in 0..7 {
        let body = json!({"Identifier": format!("ev-{i}"), "PayloadType": "PingWebHookEventPayloadV1", "Payload": {}});
        assert_eq!(app.post_event("f", &t, &body).await.status(), 202);
    }
    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/feeds/f/events?limit=3&cursor={c}"),
            None => "/api/v1/feeds/f/events?limit=3".into(),
        };
        let page: Value = app
            .api(Method::GET, &path, Some(&t), None)
            .await
            .json()
            .await
            .unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        for e in items {
            assert_eq!(e["payload_type"], "PingWebHookEventPayloadV1");
            assert_eq!(e["username"], "olivia");
            assert!(e["received_at"].as_str().unwrap().ends_with('Z'));
            seen.push(e["identifier"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).rev().map(|i| format!("ev-{i}")).collect();
    assert_eq!(seen, expected);
    let bad = app
        .api(
            Method::GET,
            "/api/v1/feeds/f/events?limit=5000",
            Some(&t),
            None,
        )
        .await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn every_event_has_a_json_schema() {
    let app = spawn_app().await;
    for name in EVENT_NAMES {
        let res = app.get(&format!("/api/v1/schemas/{name}")).await;
        assert_eq!(res.status(), 200);
        let schema: Value = res.json().await.unwrap();
        assert!(
            schema["$schema"]
                .as_str()
                .unwrap()
                .contains("json-schema.org")
        );
        let required = schema["required"].as_array().unwrap();
        assert!(required.contains(&json!("PayloadType")) && required.contains(&json!("Payload")));
    }
    assert_eq!(
        app.get("/api/v1/schemas/package.exploded").await.status(),
        404
    );
}
