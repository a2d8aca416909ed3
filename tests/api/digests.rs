//! Digests: a burst of events on a hook with a one-minute window goes as one message listing
//! them (to a real SMTP server and a fake Twilio), each event's delivery carried by it; a
//! redelivered digest goes again; kinds and settings that cannot batch are refused.
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::alerts::smtp_sink;
use crate::helpers::{TestApp, spawn_app_with, spec_example};
use crate::receiver::{Receiver, Reply};

const BURST: usize = 40;
/// The window (the shortest allowed) plus the digester's pace and the sending, with room.
const WAIT: Duration = Duration::from_secs(100);

async fn hook(app: &TestApp, t: &str, body: Value) -> reqwest::Response {
    app.api(Method::POST, "/api/v1/feeds/f/hooks", Some(t), Some(body))
        .await
}

async fn deliveries(app: &TestApp, t: &str, hook: i64) -> Vec<Value> {
    app.get_json(
        &format!("/api/v1/feeds/f/hooks/{hook}/deliveries?limit=100"),
        t,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_burst_in_a_one_minute_window_goes_as_one_mail_and_one_sms_listing_it() {
    let mut smtp = smtp_sink().await;
    let port = smtp.port;
    let app = spawn_app_with(|_| {}).await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let twilio = Receiver::start(Reply::Full(
        201,
        vec![("content-type", "application/json".into())],
        r#"{"sid": "SM1", "status": "queued"}"#.into(),
    ))
    .await;
    let digest = json!({"window": "1m"});
    let res = hook(&app, &t, json!({"kind": "email", "name": "Release mail", "events": ["package.added"], "digest": digest,
        "config": {"host": "127.0.0.1", "port": port, "tls": "none", "from": "hooks@example.com", "to": "team@example.com"}})).await;
    assert_eq!(res.status(), 201);
    let mail_hook = res.json::<Value>().await.unwrap();
    assert_eq!(mail_hook["digest"]["window"], "1m");
    let mail_hook = mail_hook["id"].as_i64().unwrap();
    let res = hook(&app, &t, json!({"kind": "twilio", "name": "On call", "events": ["package.added"], "digest": digest,
        "config": {"account_sid": format!("AC{}", "0123456789abcdef".repeat(2)), "auth_token": "twilio-token-1",
                   "from": "+14155550100", "to": "+14155550123", "api_base": twilio.url.trim_end_matches('/')}})).await;
    assert_eq!(res.status(), 201);
    let sms_hook = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    // A ping is how settings are tried: it goes at once, never held for the digest.
    let res = app
        .api(
            Method::POST,
            &format!("/api/v1/feeds/f/hooks/{sms_hook}/ping"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(res.status(), 202);
    twilio.wait_for(1, Duration::from_secs(10)).await;

    for i in 0..BURST {
        let mut event = spec_example("package.added");
        event["Identifier"] = json!(format!("burst-{i}"));
        event["Payload"]["PackageVersion"] = json!(format!("1.0.{i}"));
        assert_eq!(app.post_event("f", &t, &event).await.status(), 202);
    }

    let mail = smtp.message(WAIT).await.expect("the digest mail arrives");
    assert_eq!(mail["strict_error"], Value::Null, "{mail}");
    let subject = mail["subject"].as_str().unwrap();
    assert!(subject.starts_with("40 events on feed f, "), "{subject}");
    let text = mail["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == "text/plain")
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    for i in 0..BURST {
        assert!(
            text.contains(&format!(" 1.0.{i} ")),
            "line {i} missing: {text}"
        );
    }
    assert!(!text.contains("more"), "a mail has room for all 40: {text}");

    let sms = twilio.wait_for(2, WAIT).await;
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&sms[1].body)
        .into_owned()
        .collect();
    let body = &form.iter().find(|(k, _)| k == "Body").unwrap().1;
    assert!(body.starts_with("40 events on feed f, "), "{body}");
    assert!(body.chars().count() <= 1600, "{}", body.chars().count());
    assert!(
        body.contains("… and "),
        "40 lines do not fit in one SMS: {body}"
    );

    // One message each, nothing more; every event's delivery carried by its hook's digest.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(twilio.received().len(), 2);
    assert!(smtp.message(Duration::from_millis(200)).await.is_none());
    let rows = deliveries(&app, &t, mail_hook).await;
    let digest_row = rows
        .iter()
        .find(|d| d["event"]["event"] == "digest")
        .unwrap();
    assert_eq!(digest_row["status"], "succeeded");
    assert_eq!(
        digest_row["event"]["payload_type"],
        "DigestWebHookEventPayloadV1"
    );
    let digest_id = digest_row["id"].as_i64().unwrap();
    let carried: Vec<&Value> = rows
        .iter()
        .filter(|d| d["event"]["event"] != "digest")
        .collect();
    assert_eq!(carried.len(), BURST);
    for d in &carried {
        assert_eq!(d["digest"], digest_id, "{d}");
        assert_eq!(d["status"], "succeeded", "{d}");
        assert_eq!(d["attempts"], 0, "{d}");
    }
    assert_eq!(deliveries(&app, &t, sms_hook).await.len(), BURST + 2);

    // The pages tell the same: the hook's setting, the digest's page links each delivery it
    // carried, and each carried delivery links its digest.
    let owner = app.sign_in(&u).await;
    let hook_page = owner.get_text(&format!("/feeds/f/hooks/{mail_hook}")).await;
    assert!(hook_page.contains("<dt>Digest</dt><dd>one message per 1m</dd>"));
    assert!(hook_page.contains(&format!(
        "in digest <a href=\"/feeds/f/deliveries/{digest_id}\">"
    )));
    let digest_page = owner
        .get_text(&format!("/feeds/f/deliveries/{digest_id}"))
        .await;
    assert!(digest_page.contains("What this digest carried"));
    for d in &carried {
        assert!(digest_page.contains(&format!("/feeds/f/deliveries/{}\">#", d["id"])));
    }
    let member = owner
        .get_text(&format!("/feeds/f/deliveries/{}", carried[0]["id"]))
        .await;
    assert!(member.contains(&format!(
        "the digest <a href=\"/feeds/f/deliveries/{digest_id}\">"
    )));

    // Redelivering the digest sends the same listing again.
    let res = app
        .api(
            Method::POST,
            &format!("/api/v1/feeds/f/deliveries/{digest_id}/redeliver"),
            Some(&t),
            None,
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let again = smtp
        .message(Duration::from_secs(30))
        .await
        .expect("sent again");
    assert!(
        again["subject"]
            .as_str()
            .unwrap()
            .starts_with("40 events on feed f, ")
    );
}

#[tokio::test]
async fn kinds_and_settings_that_cannot_batch_are_refused_naming_the_field() {
    let app = spawn_app_with(|_| {}).await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let slack = json!({"webhook_url": "http://127.0.0.1:9/services/T/B/X"});
    let cases = [
        (
            json!({"kind": "http", "events": ["ping"], "config": {"url": "http://127.0.0.1:9/"}, "digest": {"window": "15m"}}),
            "never batch",
        ),
        (
            json!({"kind": "slack", "events": ["ping"], "config": slack, "digest": {"window": "15m"}, "ordered": true}),
            "ordered",
        ),
        (
            json!({"kind": "slack", "events": ["ping"], "config": slack, "digest": {"window": "10s"}}),
            "digest.window",
        ),
        (
            json!({"kind": "slack", "events": ["ping"], "config": slack, "digest": {"quiet_hours": {"from": "22:00", "to": "07:00", "tz": "Mars/Olympus"}}}),
            "digest.quiet_hours.tz",
        ),
    ];
    for (body, says) in cases {
        let res = hook(&app, &t, body.clone()).await;
        assert_eq!(res.status(), 422, "{body}");
        let text = res.text().await.unwrap();
        assert!(text.contains(says), "{says}: {text}");
    }
    assert_eq!(app.count("hooks").await, 0, "nothing half-written");
    let res = hook(
        &app,
        &t,
        json!({"kind": "slack", "events": ["ping"], "config": slack,
        "digest": {"quiet_hours": {"from": "22:00", "to": "07:00", "tz": "Europe/Brussels"}}}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let h = res.json::<Value>().await.unwrap();
    assert_eq!(
        h["digest"],
        json!({"window": null, "quiet_hours": {"from": "22:00", "to": "07:00", "tz": "Europe/Brussels"}})
    );
    let res = app
        .api(
            Method::PATCH,
            &format!("/api/v1/feeds/f/hooks/{}", h["id"]),
            Some(&t),
            Some(json!({"digest": null})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["digest"], Value::Null);
}

#[tokio::test]
async fn the_hook_form_sets_window_and_quiet_hours_and_names_mistakes_beside_their_boxes() {
    let app = spawn_app_with(|_| {}).await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let owner = app.sign_in(&u).await;
    let form = owner.get_text("/feeds/f/hooks/new?kind=slack").await;
    assert!(form.contains("Digests and quiet hours"));
    assert!(
        form.contains("<option value=\"Europe/Brussels\">"),
        "zones are suggested"
    );
    let http = owner.get_text("/feeds/f/hooks/new?kind=http").await;
    assert!(
        !http.contains("name=\"digest.window\""),
        "http hooks never batch"
    );

    let fields = |window: &'static str, tz: &'static str| {
        vec![
            ("kind", "slack"),
            ("config.webhook_url", "http://127.0.0.1:9/services/T/B/X"),
            ("events", "ping"),
            ("enabled", "true"),
            ("digest.window", window),
            ("digest.from", "22:00"),
            ("digest.to", "07:00"),
            ("digest.tz", tz),
        ]
    };
    let res = owner
        .post_form("/feeds/f/hooks", &fields("30s", "Mars/Olympus"))
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("must be a duration from 1m to 24h"), "{page}");
    assert!(page.contains("must be a time zone name of the IANA database"));
    assert!(
        page.contains("name=\"digest.window\" value=\"30s\""),
        "what was typed stays"
    );
    assert!(page.contains("name=\"digest.tz\" value=\"Mars/Olympus\""));
    assert_eq!(app.count("hooks").await, 0, "nothing half-written");

    let res = owner
        .post_form("/feeds/f/hooks", &fields("15m", "Europe/Brussels"))
        .await;
    assert_eq!(res.status(), 303);
    let hooks = app.get_json("/api/v1/feeds/f/hooks", &t).await;
    let h = &hooks["items"][0];
    assert_eq!(
        h["digest"],
        json!({"window": "15m", "quiet_hours": {"from": "22:00", "to": "07:00", "tz": "Europe/Brussels"}})
    );
    let edit_path = format!("/feeds/f/hooks/{}/edit", h["id"]);
    let edit = owner.get_text(&edit_path).await;
    assert!(edit.contains("name=\"digest.window\" value=\"15m\""));
    assert!(edit.contains("name=\"digest.from\" value=\"22:00\""));

    // Emptied boxes turn digests off.
    let mut off = fields("", "");
    off.retain(|(k, _)| !k.starts_with("digest."));
    let res = owner.post_form(&edit_path, &off).await;
    assert_eq!(res.status(), 303);
    let h = app
        .get_json(&format!("/api/v1/feeds/f/hooks/{}", h["id"]), &t)
        .await;
    assert_eq!(h["digest"], Value::Null);
}
