//! Hook filters end to end: the nine event types through hooks with package, prerelease and
//! build rules, each delivered or not as the table below says; the event's page and the API
//! say which hook turned an event away and by which rule; bad filters are 422 by part; the form
//! saves a filter.
use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{EVENT_NAMES, TestApp, spawn_app, spec_example};
use crate::receiver::{Receiver, Reply};

const FEED: &str = "filtered";

async fn hook(app: &TestApp, token: &str, url: String, filter: Value) -> i64 {
    let res = app
        .api(
            Method::POST,
            &format!("/api/v1/feeds/{FEED}/hooks"),
            Some(token),
            Some(json!({"kind": "http", "name": url.rsplit('/').next().unwrap(), "events": EVENT_NAMES,
                        "config": {"url": url}, "filter": filter})),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// A variant of the spec's example of `event`, with its own Identifier.
fn event(event: &str, a: &str, b: &str, result: &str) -> (String, Value) {
    let mut e = spec_example(event);
    let id = format!("{event}:{a}:{b}:{result}");
    e["Identifier"] = json!(id);
    if event.starts_with("package.") {
        e["Payload"]["PackageIdentifier"] = json!(a);
        e["Payload"]["PackageVersion"] = json!(b);
    } else if event.starts_with("build.") {
        e["Payload"]["Name"] = json!(a);
        e["Payload"]["Branch"] = json!(b);
        if event == "build.finished" {
            e["Payload"]["Result"] = json!(result);
        }
    }
    (id, e)
}

#[tokio::test]
async fn nine_event_types_through_filters_deliver_as_the_table_says() {
    let app = spawn_app().await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let token = app.token_for(&app.create_user("ann", false).await).await;
    app.create_feed(&token, FEED).await;
    let key = app.feed_key(&token, FEED).await;
    let base = rx.url.trim_end_matches('/').to_owned();
    let stable = hook(
        &app,
        &token,
        format!("{base}/stable"),
        json!({"packages": ["MyCompany.*"], "prerelease": "exclude"}),
    )
    .await;
    hook(
        &app,
        &token,
        format!("{base}/failed-main"),
        json!({"branches": ["main"], "results": ["failed"]}),
    )
    .await;
    hook(
        &app,
        &token,
        format!("{base}/pre"),
        json!({"prerelease": "only", "exclude_packages": ["*.Tests"]}),
    )
    .await;
    hook(&app, &token, format!("{base}/all"), Value::Null).await;

    // (event, package or build name, version or branch, result) -> the hooks that get it.
    let package = |e: &'static str| {
        vec![
            (
                e,
                "MyCompany.Core",
                "1.0.0",
                "",
                vec!["stable", "failed-main", "all"],
            ),
            (
                e,
                "mycompany.core",
                "1.1.0-beta.1",
                "",
                vec!["failed-main", "pre", "all"],
            ),
            (
                e,
                "Other.Tests",
                "2.0.0-rc.1+build.5",
                "",
                vec!["failed-main", "all"],
            ),
            (e, "Other", "2.0.0+build-5", "", vec!["failed-main", "all"]),
        ]
    };
    let mut table = vec![(
        "ping",
        "",
        "",
        "",
        vec!["stable", "failed-main", "pre", "all"],
    )];
    for e in [
        "package.added",
        "package.deleted",
        "package.listed",
        "package.pinned",
        "package.pushed",
    ] {
        table.extend(package(e));
    }
    for e in ["build.queued", "build.started"] {
        table.push((
            e,
            "nightly",
            "main",
            "",
            vec!["stable", "failed-main", "pre", "all"],
        ));
        table.push((e, "nightly", "dev", "", vec!["stable", "pre", "all"]));
    }
    table.push((
        "build.finished",
        "nightly",
        "main",
        "failed",
        vec!["stable", "failed-main", "pre", "all"],
    ));
    table.push((
        "build.finished",
        "nightly",
        "main",
        "success",
        vec!["stable", "pre", "all"],
    ));
    table.push((
        "build.finished",
        "nightly",
        "dev",
        "failed",
        vec!["stable", "pre", "all"],
    ));

    let mut expected = BTreeSet::new();
    for (name, a, b, result, hooks) in &table {
        let (id, envelope) = event(name, a, b, result);
        let res = app.post_event(FEED, &key, &envelope).await;
        assert_eq!(res.status(), 202, "{id}");
        let answer: Value = res.json().await.unwrap();
        assert_eq!(
            answer["deliveries"],
            hooks.len(),
            "{id}: the answer counts what goes"
        );
        for h in hooks {
            expected.insert((h.to_string(), id.clone()));
        }
    }
    let got: BTreeSet<(String, String)> = rx
        .wait_for(expected.len(), Duration::from_secs(30))
        .await
        .iter()
        .map(|r| {
            (
                r.path.rsplit('/').next().unwrap().to_owned(),
                r.json()["Identifier"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), expected.len(), "nothing more arrives");
    assert_eq!(got, expected);

    // The API and the event's page say who filtered an event out, and why.
    let (beta, _) = event("package.added", "mycompany.core", "1.1.0-beta.1", "");
    let res = app
        .api(
            Method::GET,
            &format!("/api/v1/feeds/{FEED}/events/{beta}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let detail: Value = res.json().await.unwrap();
    assert_eq!(detail["deliveries"].as_array().unwrap().len(), 3);
    assert_eq!(
        detail["filtered"],
        json!([{"hook": stable, "hook_name": "stable",
                "reason": "version \"1.1.0-beta.1\" is a prerelease (prerelease: exclude)"}])
    );
    let owner = app
        .sign_in(&crate::helpers::TestUser {
            name: "ann".into(),
            password: "ann-secret-password".into(),
        })
        .await;
    let page = owner
        .get_text(&format!("/feeds/{FEED}/events/{beta}"))
        .await;
    assert!(page.contains("Filtered out"), "{page}");
    assert!(
        page.contains("is a prerelease (prerelease: exclude)"),
        "{page}"
    );
    let everyone = owner
        .get_text(&format!("/feeds/{FEED}/events/ping:::"))
        .await;
    assert!(
        !everyone.contains("Filtered out"),
        "a ping passes every filter"
    );
    assert_eq!(
        app.api(
            Method::GET,
            &format!("/api/v1/feeds/{FEED}/events/nope"),
            Some(&token),
            None
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn a_bad_filter_is_422_by_part_and_a_patch_replaces_or_clears_it() {
    let app = spawn_app().await;
    let token = app.token_for(&app.create_user("ann", false).await).await;
    app.create_feed(&token, FEED).await;
    let hooks = format!("/api/v1/feeds/{FEED}/hooks");
    let res = app
        .api(Method::POST, &hooks, Some(&token), Some(json!({"kind": "http", "events": ["package.added"],
            "config": {"url": "http://127.0.0.1:9/"}, "filter": {"prerelease": "sometimes", "results": ["green"], "colour": 1}})))
        .await;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    let fields: BTreeSet<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["filter.prerelease", "filter.results", "filter.colour"])
    );
    assert_eq!(app.count("hooks").await, 0, "nothing half-written");

    let res = app
        .api(
            Method::POST,
            &hooks,
            Some(&token),
            Some(json!({"kind": "http", "events": ["package.added"],
            "config": {"url": "http://127.0.0.1:9/"}, "filter": {"packages": ["A.*"]}})),
        )
        .await;
    let hook: Value = res.json().await.unwrap();
    assert_eq!(hook["filter"]["packages"], json!(["A.*"]));
    assert_eq!(hook["filter"]["prerelease"], "include");
    let one = format!("{hooks}/{}", hook["id"]);
    let renamed: Value = app
        .api(
            Method::PATCH,
            &one,
            Some(&token),
            Some(json!({"name": "renamed"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        renamed["filter"]["packages"],
        json!(["A.*"]),
        "left out, it stays"
    );
    let cleared: Value = app
        .api(
            Method::PATCH,
            &one,
            Some(&token),
            Some(json!({"filter": null})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["filter"]["packages"], json!([]), "null removes it");
}

#[tokio::test]
async fn the_hook_form_saves_a_filter_and_shows_it_again() {
    let app = spawn_app().await;
    let user = app.create_user("ann", false).await;
    let token = app.token_for(&user).await;
    app.create_feed(&token, FEED).await;
    let owner = app.sign_in(&user).await;
    let res = owner
        .post_form(
            &format!("/feeds/{FEED}/hooks"),
            &[
                ("kind", "http"),
                ("name", "tweets"),
                ("config.url", "http://127.0.0.1:9/"),
                ("events", "package.added"),
                ("enabled", "true"),
                ("filter.packages", "MyCompany.*\r\n\r\n  Contoso.Core  "),
                ("filter.exclude_packages", ""),
                ("filter.builds", ""),
                ("filter.branches", ""),
                ("filter.prerelease", "exclude"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let hooks: Value = app
        .api(
            Method::GET,
            &format!("/api/v1/feeds/{FEED}/hooks"),
            Some(&token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let hook = &hooks["items"][0];
    assert_eq!(
        hook["filter"]["packages"],
        json!(["MyCompany.*", "Contoso.Core"])
    );
    assert_eq!(hook["filter"]["prerelease"], "exclude");
    let form = owner
        .get_text(&format!("/feeds/{FEED}/hooks/{}/edit", hook["id"]))
        .await;
    assert!(form.contains("MyCompany.*\nContoso.Core"), "{form}");
    assert!(form.contains(r#"value="exclude" checked"#), "{form}");
    assert!(form.contains(r#"<details class="filter" open>"#));

    // A wrong glob list comes back beside its field.
    let res = owner
        .post_form(
            &format!("/feeds/{FEED}/hooks"),
            &[
                ("kind", "http"),
                ("config.url", "http://127.0.0.1:9/"),
                ("events", "package.added"),
                ("filter.prerelease", "sometimes"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("must be &#34;include&#34;, &#34;exclude&#34; or &#34;only&#34;"),
        "{page}"
    );
}
