//! The real binary killed with SIGKILL in the middle of a burst, several times: after the last
//! restart every accepted event reaches the receiver, with no more duplicates than attempts
//! that were in flight.
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::cli::{Server, data_dir_with_a_user, start_server};
use crate::receiver::{Receiver, Reply};

async fn start(data: std::path::PathBuf) -> Server {
    tokio::task::spawn_blocking(move || {
        start_server(
            &data,
            &[
                "--allow-hosts",
                "loopback",
                "--retry-schedule",
                "200ms,500ms,1s,2s",
                "--delivery-timeout",
                "3s",
            ],
        )
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_accepted_event_is_delivered_across_repeated_kill_9() {
    let (_dir, data, token) = data_dir_with_a_user();
    let rx = Receiver::start(Reply::Status(200)).await;

    let mut server = start(data.clone()).await;
    let client = reqwest::Client::new();
    let url = server.url.clone();
    let res = client
        .post(format!("{url}/api/v1/feeds"))
        .bearer_auth(&token)
        .json(&json!({"identifier": "f"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    for _ in 0..3 {
        let res = client
            .post(format!("{url}/api/v1/feeds/f/hooks"))
            .bearer_auth(&token)
            .json(&json!({"kind": "http", "events": ["ping"], "config": {"url": rx.url}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }

    let mut accepted: HashSet<String> = HashSet::new();
    let mut next = 0usize;
    for round in 0..4 {
        let url = server.url.clone();
        // A burst of 400 events from 8 concurrent clients; the server dies part-way through.
        let (tx, mut results) = tokio::sync::mpsc::unbounded_channel();
        let mut senders = vec![];
        for lane in 0..8 {
            let (client, url, token, tx) = (client.clone(), url.clone(), token.clone(), tx.clone());
            let start = next + lane * 50;
            senders.push(tokio::spawn(async move {
                for i in start..start + 50 {
                    let id = format!("ev-{i}");
                    let body = json!({"Identifier": id, "PayloadType": "PingWebHookEventPayloadV1", "Payload": {}});
                    match client.post(format!("{url}/api/v1/feeds/f/events")).bearer_auth(&token).json(&body).send().await {
                        Ok(r) if r.status() == 202 || r.status() == 200 => {
                            let _ = tx.send(id);
                        }
                        _ => return,
                    }
                }
            }));
        }
        drop(tx);
        next += 400;
        // Kill at a different point of each burst, while events are being accepted and
        // deliveries are in flight.
        let kill_after = 60 + 90 * round;
        let mut this_round = 0;
        while let Some(id) = results.recv().await {
            accepted.insert(id);
            this_round += 1;
            if round < 3 && this_round == kill_after {
                server.child.kill().unwrap();
                server.child.wait().unwrap();
            }
        }
        for s in senders {
            let _ = s.await;
        }
        if round < 3 {
            assert!(
                this_round < 400,
                "round {round}: the kill came after the burst"
            );
        }
        if round < 3 {
            server = start(data.clone()).await;
        }
    }
    assert!(
        accepted.len() > 400,
        "the bursts were accepted in part at least: {}",
        accepted.len()
    );

    // Every accepted event reaches the receiver through each of the three hooks.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut per_event: HashMap<String, usize> = HashMap::new();
        for r in rx.received() {
            *per_event
                .entry(r.header("x-myget-eventidentifier").unwrap().to_owned())
                .or_default() += 1;
        }
        let missing: Vec<&String> = accepted
            .iter()
            .filter(|id| per_event.get(*id).copied().unwrap_or(0) < 3)
            .collect();
        if missing.is_empty() {
            let total: usize = per_event.values().sum();
            let unique_deliveries = per_event.len() * 3;
            let duplicates = total.saturating_sub(unique_deliveries);
            // At most the attempts in flight at each of the three kills.
            assert!(
                duplicates <= 3 * feedhooks::delivery::worker::MAX_IN_FLIGHT,
                "{duplicates} duplicates"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} accepted events never arrived, e.g. {:?}",
            missing.len(),
            missing.first()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(server);
}
