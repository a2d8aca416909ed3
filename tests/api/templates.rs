//! Hook templates and the preview through the API, end to end: what the preview shows for a
//! logged event is what the worker then sends.
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spec_example};
use crate::receiver::{Receiver, Reply};

const TWEET: &str = "{{ Payload.PackageIdentifier }} {{ Payload.PackageVersion | short_version }} is out on {{ feed_name }}: {{ Payload.PackageDetailsUrl }}";

fn push(id: &str, version: &str) -> Value {
    let mut e = spec_example("package.pushed");
    e["Identifier"] = format!("{id}-{version}").into();
    e["Payload"]["PackageIdentifier"] = id.into();
    e["Payload"]["PackageVersion"] = version.into();
    e["Payload"]["PackageDetailsUrl"] =
        format!("https://example.com/packages/{id}/{version}").into();
    e
}

async fn preview(app: &TestApp, t: &str, body: Value) -> (u16, Value) {
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/f/hooks/preview",
            Some(t),
            Some(body),
        )
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn an_x_hook_for_stable_mycompany_releases_tweets_what_its_preview_showed() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let x = Receiver::start(Reply::Full(
        201,
        vec![],
        r#"{"data":{"id":"1","text":"x"}}"#.into(),
    ))
    .await;
    let hook = json!({
        "kind": "twitter", "name": "Releases", "events": ["package.pushed"],
        "config": {"consumer_key": "ck", "consumer_secret": "consumer-secret-42", "token": "tk",
                   "token_secret": "token-secret-42", "api_base": x.url},
        "filter": {"packages": ["MyCompany.*"], "prerelease": "exclude"},
        "templates": {"package.pushed": {"text": TWEET}},
    });

    // Last night's push, before the hook exists.
    assert_eq!(
        app.post_event("f", &t, &push("MyCompany.Core", "2.1.0+sha.5"))
            .await
            .status(),
        202
    );
    let (status, shown) = preview(
        &app,
        &t,
        json!({"hook": hook, "event": "MyCompany.Core-2.1.0+sha.5"}),
    )
    .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["passes_filter"], true);
    let request = &shown["request"];
    assert_eq!(request["method"], "POST");
    assert_eq!(request["url"], format!("{}/2/tweets", x.url));
    let body: Value = serde_json::from_str(request["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body["text"],
        "MyCompany.Core 2.1.0 is out on f: https://example.com/packages/MyCompany.Core/2.1.0+sha.5"
    );
    let auth = request["headers"]["Authorization"].as_str().unwrap();
    assert!(auth.starts_with("OAuth "), "{auth}");
    assert!(
        !shown.to_string().contains("secret-42"),
        "no secret in the preview: {shown}"
    );

    // A prerelease and another package's push are turned away, and the preview says why.
    app.post_event("f", &t, &push("MyCompany.Core", "2.2.0-beta.1"))
        .await;
    let (_, beta) = preview(
        &app,
        &t,
        json!({"hook": hook, "event": "MyCompany.Core-2.2.0-beta.1"}),
    )
    .await;
    assert_eq!(beta["passes_filter"], false);
    assert!(
        beta["filter_reason"]
            .as_str()
            .unwrap()
            .contains("prerelease"),
        "{beta}"
    );

    // Saved; the next matching push tweets exactly what the preview of that event shows.
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/f/hooks",
            Some(&t),
            Some(hook.clone()),
        )
        .await;
    assert_eq!(res.status(), 201);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(
        saved["templates"],
        json!({"package.pushed": {"text": TWEET}})
    );
    for (id, version) in [
        ("Other.Lib", "1.0.0"),
        ("MyCompany.Core", "2.3.0-rc.1"),
        ("MyCompany.Web", "3.0.0"),
    ] {
        assert_eq!(
            app.post_event("f", &t, &push(id, version)).await.status(),
            202
        );
    }
    let got = x.wait_for(1, Duration::from_secs(20)).await;
    let (_, then) = preview(
        &app,
        &t,
        json!({"hook_id": saved["id"], "event": "MyCompany.Web-3.0.0"}),
    )
    .await;
    assert_eq!(
        then["request"]["body"].as_str().unwrap().as_bytes(),
        got[0].body.as_slice()
    );
    assert_eq!(
        got[0].json()["text"],
        "MyCompany.Web 3.0.0 is out on f: https://example.com/packages/MyCompany.Web/3.0.0"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        x.received().len(),
        1,
        "only the stable MyCompany release tweets"
    );
}

#[tokio::test]
async fn templates_are_checked_when_saved_and_replaced_whole() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let slack = json!({"kind": "slack", "events": ["package.added"], "config": {"webhook_url": "https://hooks.slack.com/services/T/B/x"}});
    let with = |templates: Value| {
        let mut h = slack.clone();
        h["templates"] = templates;
        h
    };
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/f/hooks",
            Some(&t),
            Some(with(
                json!({"package.added": {"text": "New:\n{{ Payload.PackageIdentifier }"}}),
            )),
        )
        .await;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    let error = &problem["errors"][0];
    assert_eq!(error["field"], "templates.package.added.text", "{problem}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("line 2: syntax error"),
        "{problem}"
    );

    let res = app.api(Method::POST, "/api/v1/feeds/f/hooks", Some(&t),
        Some(json!({"kind": "http", "events": ["ping"], "config": {"url": "https://example.com/"}, "templates": {"ping": {"text": "x"}}}))).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("envelope unchanged"));
    let res = app.api(Method::POST, "/api/v1/feeds/f/hooks", Some(&t),
        Some(json!({"kind": "http", "events": ["ping"], "config": {"url": "https://example.com/", "headers": {"X-Package": "{{ Payload.PackageIdentifier | nope }}"}}}))).await;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(
        problem["errors"][0]["field"], "config.headers.X-Package",
        "{problem}"
    );
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("line 1"),
        "{problem}"
    );
    assert_eq!(app.count("hooks").await, 0, "nothing half-written");

    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/f/hooks",
            Some(&t),
            Some(with(json!({"package.added": {"text": "{{ summary }}!"}}))),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].clone();
    let path = format!("/api/v1/feeds/f/hooks/{id}");
    let patch = |body: Value| app.api(Method::PATCH, &path, Some(&t), Some(body));
    let kept: Value = patch(json!({"name": "renamed"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        kept["templates"],
        json!({"package.added": {"text": "{{ summary }}!"}}),
        "left out, they stay"
    );
    let cleared: Value = patch(json!({"templates": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["templates"], json!({}));
}

#[tokio::test]
async fn the_preview_refuses_what_it_cannot_show() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let (status, _) = preview(&app, &t, json!({"event": "x"})).await;
    assert_eq!(status, 422, "no hook named");
    let http = json!({"kind": "http", "config": {"url": "https://example.com/hook", "secret": "generate"}});
    let (status, _) = preview(&app, &t, json!({"hook": http, "event": "never-logged"})).await;
    assert_eq!(status, 404, "an unknown event");
    let (status, body) = preview(
        &app,
        &t,
        json!({"hook": http, "event": {"PayloadType": "Nope"}}),
    )
    .await;
    assert_eq!(status, 422, "an invalid envelope: {body}");

    // An envelope not logged: filled in as ingest would, signed as the sender would sign it.
    let (status, shown) = preview(
        &app,
        &t,
        json!({"hook": http, "event": spec_example("package.added")}),
    )
    .await;
    assert_eq!(status, 200, "{shown}");
    let headers = &shown["request"]["headers"];
    assert!(
        headers["webhook-signature"]
            .as_str()
            .unwrap()
            .starts_with("v1,"),
        "{shown}"
    );
    assert_eq!(
        headers["Content-Type"],
        "application/vnd.myget.webhooks.v1+json"
    );
    let body: Value = serde_json::from_str(shown["request"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body["Payload"]["FeedIdentifier"],
        spec_example("package.added")["Payload"]["FeedIdentifier"]
    );
    assert_eq!(app.count("events").await, 0, "a preview stores nothing");
    assert_eq!(app.count("deliveries").await, 0);
}

#[tokio::test]
async fn the_hook_form_words_previews_and_saves_a_tweet() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let b = app.sign_in(&u).await;
    // With no event logged, the spec's examples are offered.
    let blank = b.get_text("/feeds/f/hooks/new?kind=twitter").await;
    assert!(
        blank.contains(r#"<option value="example:package.pushed""#),
        "{blank}"
    );
    assert_eq!(
        app.post_event("f", &t, &push("MyCompany.Core", "2.1.0"))
            .await
            .status(),
        202
    );
    let form = b.get_text("/feeds/f/hooks/new?kind=twitter").await;
    assert!(
        form.contains(r#"name="templates.package.pushed.text""#)
            && form.contains("{{ summary }}{% if links %} {{ links[0].url }}{% endif %}"),
        "the built-in wording is the starting point"
    );
    assert!(
        form.contains(r#"<option value="event:MyCompany.Core-2.1.0" selected>"#),
        "{form}"
    );

    let fields = |text: &'static str, action: &'static str| {
        vec![
            ("kind", "twitter"),
            ("name", "Releases"),
            ("events", "package.pushed"),
            ("enabled", "true"),
            ("config.consumer_key", "ck"),
            ("config.consumer_secret", "consumer-secret-42"),
            ("config.token", "tk"),
            ("config.token_secret", "token-secret-42"),
            ("config.api_base", "https://api.x.com"),
            ("filter.packages", "MyCompany.*"),
            ("filter.prerelease", "exclude"),
            ("templates.package.pushed.text", text),
            ("preview_event", "event:MyCompany.Core-2.1.0"),
            ("action", action),
        ]
    };
    let res = b
        .post_form("/feeds/f/hooks", &fields(TWEET, "preview"))
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("The filter lets this event through."),
        "{page}"
    );
    assert!(page.contains("POST https://api.x.com/2/tweets"), "{page}");
    assert!(
        page.contains(
            "MyCompany.Core 2.1.0 is out on f: https://example.com/packages/MyCompany.Core/2.1.0"
        ),
        "{page}"
    );
    assert!(!page.contains("secret-42"), "no secret on the page");
    assert!(
        page.contains(r#"name="templates.package.pushed.text""#),
        "the form stays, as filled in"
    );
    assert_eq!(app.count("hooks").await, 0, "a preview saves nothing");

    let res = b
        .post_form(
            "/feeds/f/hooks",
            &fields("{{ Payload.PackageIdentifier", "preview"),
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("line 1: syntax error"),
        "the error beside its text area: {page}"
    );

    let res = b.post_form("/feeds/f/hooks", &fields(TWEET, "")).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let hooks: Value = app
        .api(Method::GET, "/api/v1/feeds/f/hooks", Some(&t), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        hooks["items"][0]["templates"],
        json!({"package.pushed": {"text": TWEET}})
    );
    assert_eq!(
        hooks["items"][0]["filter"]["packages"],
        json!(["MyCompany.*"])
    );
}
