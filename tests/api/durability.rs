//! `--sync`: with `full` (the default) every commit of accepted events fsyncs the WAL before its
//! 202, so the answer holds through a power cut; with `normal` it does not. Observed from the
//! outside: the real binary under strace, counting the fsyncs of the database's WAL file while
//! events are posted one after the other (so each is its own commit).
use std::time::Duration;

use serde_json::json;

use crate::cli::{data_dir_with_a_user, start_server_under};
use crate::helpers::spec_example;

const EVENTS: usize = 20;

/// fsync and fdatasync calls on the WAL file in strace's log so far.
fn wal_syncs(log: &std::path::Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("sync(") && l.contains("feedhooks.db-wal"))
        .count()
}

/// The WAL syncs made while `EVENTS` events were posted one by one with `--sync <mode>`.
async fn syncs_while_posting(mode: &str) -> usize {
    let (dir, data, token) = data_dir_with_a_user();
    let trace = dir.path().join("strace.log");
    let trace_arg = trace.to_str().unwrap().to_owned();
    let (data2, mode2) = (data.clone(), mode.to_owned());
    let server = tokio::task::spawn_blocking(move || {
        start_server_under(
            &[
                "strace",
                "-f",
                "-qq",
                "-y",
                "-e",
                "trace=fsync,fdatasync",
                "-o",
                &trace_arg,
            ],
            &data2,
            &["--sync", &mode2],
        )
    })
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let url = &server.url;
    let res = client
        .post(format!("{url}/api/v1/feeds"))
        .bearer_auth(&token)
        .json(&json!({"identifier": "f"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // Let start-up's writes and a background checkpoint pass before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = wal_syncs(&trace);
    for i in 0..EVENTS {
        let mut e = spec_example("ping");
        e["Identifier"] = json!(format!("durable-{i}"));
        let res = client
            .post(format!("{url}/api/v1/feeds/f/events"))
            .bearer_auth(&token)
            .json(&e)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
    }
    let syncs = wal_syncs(&trace) - before;
    drop(server);
    syncs
}

#[tokio::test(flavor = "multi_thread")]
async fn with_sync_full_each_accepted_commit_reaches_the_disk_before_its_202() {
    let full = syncs_while_posting("full").await;
    assert!(
        full >= EVENTS,
        "{full} WAL syncs for {EVENTS} commits with --sync full"
    );
    let normal = syncs_while_posting("normal").await;
    assert!(
        normal < EVENTS / 4,
        "{normal} WAL syncs for {EVENTS} commits with --sync normal"
    );
}
