//! NuGet sources against a NuGet V3 feed served on 127.0.0.1, in both shapes: a catalog to
//! follow, and registration + search only. Each upstream change reaches a receiver as the
//! right event with the spec's payload; a feed that fails costs only its own source.
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};
use crate::nuget_feed::{Fault, NugetFeed};
use crate::receiver::{Receiver, Reply};

struct World {
    app: TestApp,
    token: String,
    rx: Receiver,
}

async fn world() -> World {
    let app = spawn_app_with(|s| s.delivery_timeout = Duration::from_secs(2)).await;
    let user = app.create_user("olivia", false).await;
    let token = app.token_for(&user).await;
    app.create_feed(&token, "f").await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let res = app
        .api(
            reqwest::Method::POST,
            "/api/v1/feeds/f/hooks",
            Some(&token),
            Some(json!({"kind": "http", "events": ["package.added", "package.deleted", "package.listed"],
                        "config": {"url": rx.url}})),
        )
        .await;
    assert_eq!(res.status(), 201);
    World { app, token, rx }
}

impl World {
    async fn source(&self, config: Value) -> i64 {
        let res = self
            .app
            .api(
                reqwest::Method::POST,
                "/api/v1/feeds/f/sources",
                Some(&self.token),
                // Disabled: the tests poll by hand ("Poll now" works on a disabled source), so the
                // scheduler's own polls do not race them.
                Some(json!({"kind": "nuget", "name": "contoso feed", "enabled": false, "config": config})),
            )
            .await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().unwrap()
    }

    async fn poll(&self, id: i64) -> Value {
        let res = self
            .app
            .api(
                reqwest::Method::POST,
                &format!("/api/v1/feeds/f/sources/{id}/poll"),
                Some(&self.token),
                None,
            )
            .await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    async fn poll_ok(&self, id: i64) -> i64 {
        let answer = self.poll(id).await;
        assert!(answer["error"].is_null(), "{answer}");
        answer["events"].as_i64().unwrap()
    }

    async fn state(&self, id: i64) -> Value {
        let res = self
            .app
            .api(
                reqwest::Method::GET,
                &format!("/api/v1/feeds/f/sources/{id}"),
                Some(&self.token),
                None,
            )
            .await;
        res.json::<Value>().await.unwrap()["state"].clone()
    }
}

fn summary(e: &Value) -> String {
    format!(
        "{} {} {} {}",
        e["PayloadType"]
            .as_str()
            .unwrap()
            .replace("WebHookEventPayloadV1", ""),
        e["Payload"]["PackageIdentifier"].as_str().unwrap(),
        e["Payload"]["PackageVersion"].as_str().unwrap(),
        e["Payload"]["Action"].as_str().unwrap_or("")
    )
    .trim()
    .to_owned()
}

/// The same story on both shapes of feed: a baseline, then an added SemVer 2 package with
/// dots and capitals, an unlisting, a relisting and a deletion, each once.
async fn the_story(catalog: bool) {
    let w = world().await;
    let feed = NugetFeed::start(catalog).await;
    feed.set_page_size(2);
    feed.push("Contoso.Core", "1.0.0");
    feed.push("Contoso.Core", "1.1.0");
    feed.push("Contoso.Core", "1.2.0");
    feed.push("Other.Package", "1.0.0");
    let id = w
        .source(json!({"service_index": feed.service_index(), "packages": ["Contoso.*", "MyCompany.*"]}))
        .await;
    assert_eq!(
        w.poll_ok(id).await,
        0,
        "the first poll records the baseline"
    );
    assert!(w.state(id).await["cursor"].is_string());

    feed.push("MyCompany.Tools.CLI", "2.0.0-RC.1+build.5");
    feed.push("Other.Package", "2.0.0");
    assert_eq!(w.poll_ok(id).await, 1, "only watched packages");
    let got = w.rx.wait_for(1, Duration::from_secs(10)).await;
    let added = got[0].json();
    let p = &added["Payload"];
    assert_eq!(
        summary(&added),
        "PackageAdded MyCompany.Tools.CLI 2.0.0-RC.1+build.5"
    );
    assert_eq!(p["PackageType"], "NuGet");
    assert_eq!(
        p["PackageDownloadUrl"],
        format!(
            "{}/v3/flat/mycompany.tools.cli/2.0.0-rc.1/mycompany.tools.cli.2.0.0-rc.1.nupkg",
            feed.url
        )
    );
    assert!(
        p["PackageDetailsUrl"]
            .as_str()
            .unwrap()
            .starts_with(&feed.url)
    );
    let m = &p["PackageMetadata"];
    assert_eq!(m["Authors"], "Contoso Ltd, Ann Example");
    assert_eq!(m["Description"], "MyCompany.Tools.CLI does useful things.");
    assert_eq!(m["LicenseNames"], "MIT");
    assert_eq!(m["Tags"], "tools contoso");
    assert_eq!(m["MinClientVersion"], "2.12");
    assert_eq!(m["Size"], 4242);
    assert_eq!(m["IconUrl"], Value::Null);
    assert_eq!(
        m["Dependencies"],
        json!([{"PackageIdentifier": "Newtonsoft.Json", "PackageVersion": "[13.0.1, )", "TargetFramework": "net8.0"}])
    );
    // From the catalog leaf, or without a catalog from the .nuspec beside the package.
    assert_eq!(m["ReleaseNotes"], "Notes of 2.0.0-RC.1+build.5");
    assert_eq!(added["Username"], "contoso feed");

    feed.set_listed("Contoso.Core", "1.1.0", false);
    assert_eq!(w.poll_ok(id).await, 1);
    feed.set_listed("Contoso.Core", "1.1.0", true);
    feed.delete("Contoso.Core", "1.0.0");
    assert_eq!(w.poll_ok(id).await, 2);
    assert_eq!(w.poll_ok(id).await, 0, "nothing new");

    let all: Vec<String> =
        w.rx.wait_for(4, Duration::from_secs(10))
            .await
            .iter()
            .map(|r| summary(&r.json()))
            .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.rx.received().len(), 4, "{all:?}");
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![
            "PackageAdded MyCompany.Tools.CLI 2.0.0-RC.1+build.5",
            "PackageDeleted Contoso.Core 1.0.0",
            "PackageListed Contoso.Core 1.1.0 listed",
            "PackageListed Contoso.Core 1.1.0 unlisted",
        ]
    );
    assert_eq!(w.state(id).await["events_emitted"], 4);
}

#[tokio::test]
async fn a_catalog_feed_gives_added_unlisted_relisted_and_deleted_once_each() {
    the_story(true).await;
}

#[tokio::test]
async fn a_feed_without_catalog_is_diffed_through_search_and_paged_registrations() {
    the_story(false).await;
}

#[tokio::test]
async fn a_catalog_caught_up_page_by_page_keeps_its_cursor_behind_its_events() {
    let w = world().await;
    let feed = NugetFeed::start(true).await;
    let id = w
        .source(json!({"service_index": feed.service_index(), "backfill": true}))
        .await;
    // Nine items on three catalog pages of three; the third page fails.
    for n in 0..9 {
        feed.push(&format!("Pkg.N{n}"), "1.0.0");
    }
    feed.set_fault(Fault::Status500, "page2");
    let answer = w.poll(id).await;
    assert_eq!(answer["events"], 6, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("500"),
        "{answer}"
    );
    let state = w.state(id).await;
    assert_eq!(state["events_emitted"], 6);
    assert_eq!(state["failures"], 1);
    assert!(
        state["last_error"]
            .as_str()
            .unwrap()
            .contains("page2.json answered 500"),
        "{state}"
    );
    // The cursor is the second page's last commit: what was committed, no further.
    assert_eq!(state["cursor"], "2026-01-01T00:00:06.788239Z");
    feed.set_fault(Fault::None, "");
    assert_eq!(w.poll_ok(id).await, 3);
    let state = w.state(id).await;
    assert_eq!(state["last_error"], Value::Null);
    assert_eq!(state["failures"], 0);
    let got = w.rx.wait_for(9, Duration::from_secs(10)).await;
    let mut ids: Vec<String> = got
        .iter()
        .map(|r| {
            r.json()["Payload"]["PackageIdentifier"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 9, "each package once: {ids:?}");
}

#[tokio::test]
async fn a_feed_that_fails_hangs_or_answers_garbage_costs_only_its_own_source() {
    let w = world().await;
    let bad = NugetFeed::start(false).await;
    let good = NugetFeed::start(true).await;
    bad.push("A", "1.0.0");
    good.push("B", "1.0.0");
    let bad_id = w
        .source(json!({"service_index": bad.service_index()}))
        .await;
    let good_id = w
        .source(json!({"service_index": good.service_index()}))
        .await;
    assert_eq!(w.poll_ok(bad_id).await, 0);
    assert_eq!(w.poll_ok(good_id).await, 0);
    for (fault, words) in [
        (Fault::Status500, "answered 500 Internal Server Error"),
        (Fault::Garbage, "did not answer JSON"),
        (Fault::Truncate, "cut off"),
        (Fault::Hang, "no answer from"),
    ] {
        bad.set_fault(fault, "");
        let answer = w.poll(bad_id).await;
        let error = answer["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{fault:?}: {answer}"));
        assert!(error.contains(words), "{fault:?}: {error}");
        assert_eq!(w.state(bad_id).await["last_error"], error);
        // The other source and the server go on.
        good.push("B", &format!("1.0.{}", fault as u8 + 1));
        assert_eq!(w.poll_ok(good_id).await, 1, "{fault:?}");
        assert_eq!(w.app.get("/healthz").await.status(), 200);
    }
    bad.set_fault(Fault::None, "");
    assert_eq!(w.poll_ok(bad_id).await, 0);
    let state = w.state(bad_id).await;
    assert_eq!(state["last_error"], Value::Null);
    assert!(state["last_success_at"].is_string());
}

#[tokio::test]
async fn sources_obey_allow_hosts_and_bad_settings_name_their_field() {
    let app = spawn_app_with(|s| s.allow_hosts = "external".parse().unwrap()).await;
    let user = app.create_user("olivia", false).await;
    let token = app.token_for(&user).await;
    app.create_feed(&token, "f").await;
    let feed = NugetFeed::start(false).await;
    let res = app
        .api(
            reqwest::Method::POST,
            "/api/v1/feeds/f/sources",
            Some(&token),
            Some(json!({"kind": "nuget", "config": {"service_index": "not a url", "interval": "1s"}})),
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["config.service_index", "config.interval"],
        "{body}"
    );
    assert_eq!(app.count("sources").await, 0, "nothing half-written");
    // An address --allow-hosts refuses is no 422: it is the state the page shows.
    let res = app
        .api(
            reqwest::Method::POST,
            "/api/v1/feeds/f/sources",
            Some(&token),
            Some(json!({"kind": "nuget", "config": {"service_index": feed.service_index()}})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let res = app
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/feeds/f/sources/{id}/poll"),
            Some(&token),
            None,
        )
        .await;
    let answer: Value = res.json().await.unwrap();
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("blocked address"),
        "{answer}"
    );
    assert_eq!(feed.requests(), 0, "nothing was sent to a refused address");
}

#[tokio::test]
async fn an_owner_adds_a_source_in_the_browser_polls_it_and_sees_what_it_emitted() {
    let w = world().await;
    let feed = NugetFeed::start(true).await;
    feed.push("Contoso.Core", "1.0.0");
    let owner = w.app.create_user("owen", false).await;
    let b = w.app.sign_in(&owner).await;
    let t = w.app.token_for(&owner).await;
    w.app.create_feed(&t, "mine").await;
    let form = b.get_text("/feeds/mine/sources/new?kind=nuget").await;
    assert!(
        form.contains("Service index URL") && form.contains("Backfill"),
        "{form}"
    );
    // A bad setting re-renders the form with the error beside its field.
    let res = b
        .post_form(
            "/feeds/mine/sources",
            &[
                ("kind", "nuget"),
                ("name", "ours"),
                ("config.service_index", "nope"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("is not a valid URL"));
    let res = b
        .post_form(
            "/feeds/mine/sources",
            &[
                ("kind", "nuget"),
                ("name", "ours"),
                ("config.service_index", &feed.service_index()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let at = res.headers()["location"].to_str().unwrap().to_owned();
    let res = b.post_form(&format!("{at}/poll"), &[]).await;
    assert_eq!(res.status(), 303);
    feed.push("Contoso.Core", "1.1.0");
    let res = b.post_form(&format!("{at}/poll"), &[]).await;
    assert_eq!(res.status(), 303);
    let page = b.get_text(&at).await;
    assert!(page.contains("Polled: 1 new events."), "{page}");
    assert!(page.contains("package.added"), "{page}");
    let feed_page = b.get_text("/feeds/mine").await;
    assert!(feed_page.contains("ours") && feed_page.contains("NuGet V3 feed"));
    let res = b
        .post_form(&format!("{at}/delete"), &[("confirm", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(b.get(&at).await.status(), 404);
}
