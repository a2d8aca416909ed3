//! The sources benchmark of issue 14: `cargo bench --bench sources`.
//!
//! Starts the real release binary on 127.0.0.1 with temporary data dirs and the NuGet V3 feed of
//! the tests (tests/api/nuget_feed.rs, the recorded documents' shapes) filled with generated
//! packages, and prints one markdown table (progress and checks go to stderr):
//!
//! - a catalog feed of 100,000 catalog items (10,000 packages of 10 versions), followed from the
//!   start (`backfill`): catch-up time, events/s, requests, the server's CPU and memory; then one
//!   poll of the unchanged catalog (requests made);
//! - a catalog-less feed (search and registrations) of 5,000 packages on a second server: its
//!   baseline, then one poll when nothing changed: requests, time, memory.
//!
//! Every figure is checked as it is measured (the events stored are the catalog's items, each
//! once), and a failed check ends the run instead of printing a number. All traffic stays on
//! 127.0.0.1; every wait is bounded.
#[path = "../../tests/api/nuget_feed.rs"]
#[allow(dead_code)]
mod nuget_feed;
#[path = "../throughput/server.rs"]
#[allow(dead_code)]
mod server;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nuget_feed::NugetFeed;
use serde_json::{Value, json};
use server::{Api, Server};

const CATALOG_PACKAGES: usize = 10_000;
const CATALOG_VERSIONS: usize = 10;
/// nuget.org's catalog pages hold about 550 items.
const CATALOG_PAGE: usize = 550;
const SEARCH_PACKAGES: usize = 5_000;
const SEARCH_VERSIONS: usize = 3;
/// The longest a catch-up may take before the run fails.
const CATCH_UP_LIMIT: Duration = Duration::from_secs(900);

fn started() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

macro_rules! say {
    ($($arg:tt)*) => {
        eprintln!("[{:6.1}s] {}", started().elapsed().as_secs_f64(), format!($($arg)*))
    };
}

/// Panics (ending the run) unless `ok`: a figure is never printed from a broken run.
fn check(ok: bool, what: impl AsRef<str>) {
    assert!(ok, "benchmark check failed: {}", what.as_ref());
}

async fn get(api: &Api, path: &str) -> Value {
    let res = api
        .client
        .get(format!("{}/api/v1{path}", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    check(res.status() == 200, format!("GET {path}: {}", res.status()));
    res.json().await.unwrap()
}

async fn create_source(api: &Api, feed: &NugetFeed, backfill: bool) -> i64 {
    let (status, body) = api
        .post(
            "/feeds/bench/sources",
            &json!({"kind": "nuget", "name": "bench feed",
                    "config": {"service_index": feed.service_index(), "backfill": backfill,
                               "interval": "1h"}}),
        )
        .await;
    check(status == 201, format!("create source: {status} {body}"));
    body["id"].as_i64().unwrap()
}

/// Waits (bounded) until the source's first poll succeeded; answers its state.
async fn first_success(api: &Api, id: i64, limit: Duration) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let source = get(api, &format!("/feeds/bench/sources/{id}")).await;
        let state = &source["state"];
        check(
            state["last_error"].is_null(),
            format!("the poll failed: {}", state["last_error"]),
        );
        if !state["last_success_at"].is_null() {
            return state.clone();
        }
        check(
            Instant::now() < deadline,
            "the first poll did not finish in time",
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// "Poll now": the poll's events, after checking it succeeded.
async fn poll_now(api: &Api, id: i64) -> u64 {
    let (status, body) = api
        .post(&format!("/feeds/bench/sources/{id}/poll"), &json!({}))
        .await;
    check(status == 200, format!("poll now: {status} {body}"));
    check(body["error"].is_null(), format!("poll now failed: {body}"));
    body["events"].as_u64().unwrap()
}

fn events_stored(data: &std::path::Path) -> (i64, i64) {
    let c = rusqlite::Connection::open(data.join("feedhooks.db")).unwrap();
    c.query_row(
        "SELECT COUNT(*), COUNT(DISTINCT identifier) FROM events WHERE source_id IS NOT NULL",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

struct Rows(Vec<[String; 3]>);

impl Rows {
    fn add(&mut self, measure: &str, result: String, target: &str) {
        self.0.push([measure.to_owned(), result, target.to_owned()]);
    }
}

#[tokio::main]
async fn main() {
    started();
    let mut rows = Rows(vec![]);

    // A catalog feed, followed from its start.
    let catalog = NugetFeed::start(true).await;
    catalog.set_catalog_page(CATALOG_PAGE);
    catalog.fill(CATALOG_PACKAGES, CATALOG_VERSIONS);
    let items = (CATALOG_PACKAGES * CATALOG_VERSIONS) as i64;
    let data = tempfile::tempdir().unwrap();
    let (token, _) = server::prepare_user(data.path());
    let srv = Server::start(data.path(), &[]);
    let api = Api::new(&srv.url, &token);
    api.create_feed("bench").await;
    let (cpu0, _) = server::usage(srv.pid());
    let requests0 = catalog.requests();
    say!("catalog: following {items} items from the start");
    let t = Instant::now();
    let id = create_source(&api, &catalog, true).await;
    let state = first_success(&api, id, CATCH_UP_LIMIT).await;
    let took = t.elapsed().as_secs_f64();
    let (cpu1, _) = server::usage(srv.pid());
    let requests = catalog.requests() - requests0;
    let (stored, distinct) = events_stored(data.path());
    check(
        stored == items && distinct == items,
        format!("{stored} events stored ({distinct} distinct), {items} expected"),
    );
    check(
        state["events_emitted"].as_i64() == Some(items),
        format!("events_emitted {}", state["events_emitted"]),
    );
    let (hwm, rss) = srv.memory();
    say!("catalog: caught up in {took:.1} s, {requests} requests");
    rows.add(
        "NuGet catalog catch-up, 100,000 items (10,000 packages × 10 versions, 550 a page)",
        format!(
            "{took:.1} s, {:.0} events/s; {requests} requests (index, pages, a leaf per item); \
             server CPU {:.0} µs/event; VmHWM {hwm:.1} MiB (VmRSS {rss:.1})",
            items as f64 / took,
            (cpu1 - cpu0) * 1e6 / items as f64
        ),
        "(measured)",
    );
    let requests0 = catalog.requests();
    let t = Instant::now();
    let events = poll_now(&api, id).await;
    let took = t.elapsed().as_secs_f64() * 1000.0;
    check(
        events == 0,
        format!("an unchanged catalog gave {events} events"),
    );
    rows.add(
        "NuGet catalog, one poll when nothing changed",
        format!(
            "{} request(s), {took:.0} ms",
            catalog.requests() - requests0
        ),
        "(measured)",
    );
    srv.stop();

    // A catalog-less feed of 5,000 packages, on a fresh server so its memory is its own.
    let search = NugetFeed::start(false).await;
    search.fill(SEARCH_PACKAGES, SEARCH_VERSIONS);
    let data = tempfile::tempdir().unwrap();
    let (token, _) = server::prepare_user(data.path());
    let srv = Server::start(data.path(), &[]);
    let api = Api::new(&srv.url, &token);
    api.create_feed("bench").await;
    let requests0 = search.requests();
    let t = Instant::now();
    let id = create_source(&api, &search, false).await;
    first_success(&api, id, CATCH_UP_LIMIT).await;
    let baseline = t.elapsed().as_secs_f64();
    let baseline_requests = search.requests() - requests0;
    say!("search: baseline of {SEARCH_PACKAGES} packages in {baseline:.1} s");
    let requests0 = search.requests();
    let t = Instant::now();
    let events = poll_now(&api, id).await;
    let took = t.elapsed().as_secs_f64() * 1000.0;
    let requests = search.requests() - requests0;
    check(
        events == 0,
        format!("an unchanged feed gave {events} events"),
    );
    let (hwm, rss) = srv.memory();
    let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
    rows.add(
        "NuGet without catalog, 5,000 packages × 3 versions: one poll when nothing changed",
        format!(
            "{requests} requests, {took:.0} ms (the baseline before it: {baseline_requests} \
             requests, {baseline:.1} s)"
        ),
        &format!(
            "fewer requests than packages: {}",
            verdict((requests as usize) < SEARCH_PACKAGES)
        ),
    );
    rows.add(
        "Server memory after the baseline and the unchanged poll",
        format!("VmHWM {hwm:.1} MiB (VmRSS {rss:.1})"),
        &format!("≤ 64 MiB: {}", verdict(hwm <= 64.0)),
    );
    srv.stop();

    println!("| Measure | Result | Target |");
    println!("| --- | --- | --- |");
    for [m, r, t] in &rows.0 {
        println!("| {m} | {r} | {t} |");
    }
}
