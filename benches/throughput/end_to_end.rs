//! End to end, as a user sees it: a feed posts events through the API from 64 keep-alive
//! clients and the server delivers each to its hooks' receiver. (a) one hook; (b) 16 hooks;
//! (c) one hook to a receiver that answers in two writes (status line and headers, then the
//! body), at the default `max_in_flight` and at 64. Each figure is deliveries/s from the first
//! request to the last attempt recorded, its ratio to the plain-POST limit of the same client
//! count measured beside it, request start to arrival at the receiver (p50/p99), and the
//! server's CPU per event from /proc.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use crate::receiver::{self, Receiver};
use crate::server::{Api, post_event};
use crate::stats::{Row, closed_loop, ms, percentile, thousands};
use crate::{Meter, Phase, check, measure_limit, seed, wait_recorded};

/// Keep-alive clients posting events, as in the measurement.
const CLIENTS: usize = 64;
const ONE_HOOK_EVENTS: usize = 50_000;
const FAN_HOOKS: usize = 16;
const FAN_EVENTS: usize = 5_000;
const SPLIT_EVENTS: usize = 2_000;

/// What one run measured.
struct Figures {
    deliveries: usize,
    rate: f64,
    p50: f64,
    p99: f64,
    cpu_us: f64,
}

impl Figures {
    fn describe(&self, limit: f64) -> String {
        format!(
            "{} deliveries/s = {:.2} of the limit ({} deliveries); request start to arrival p50 {:.1} ms, p99 {:.1} ms; {:.0} µs server CPU per event",
            thousands(self.rate),
            self.rate / limit,
            thousands(self.deliveries as f64),
            self.p50,
            self.p99,
            self.cpu_us
        )
    }
}

pub async fn end_to_end(p: &mut Phase<'_>) {
    let body: &'static [u8] = Box::leak(
        seed::event_body(p.db, "tmpl-d")
            .into_bytes()
            .into_boxed_slice(),
    );
    let limit = measure_limit(p.rx, body, CLIENTS).await;
    p.rows.push(Row::new(
        "End-to-end limit: plain POSTs/s from 64 concurrent requests, no feedhooks",
        format!("{} /s (best of 2 rounds)", thousands(limit)),
        "(reference)",
        None,
    ));

    // The default max_in_flight (8) caps one hook at 8 requests at a time, whatever the
    // receiver could take; a fast receiver's hook is set to the most (64).
    let one = run(p, "e1", 1, ONE_HOOK_EVENTS, None, false).await;
    p.rows.push(Row::new(
        "End to end, one hook at the default max_in_flight 8: events POSTed by 64 keep-alive clients, delivered, logged",
        one.describe(limit),
        "—",
        None,
    ));
    let fast = run(p, "e64", 1, ONE_HOOK_EVENTS, Some(64), false).await;
    let ratio = fast.rate / limit;
    p.rows.push(Row::new(
        "End to end, one hook at max_in_flight 64 (a fast receiver's setting)",
        fast.describe(limit),
        "≥ 0.15 of the limit",
        Some(ratio >= 0.15),
    ));

    let fan = run(p, "e16", FAN_HOOKS, FAN_EVENTS, None, false).await;
    p.rows.push(Row::new(
        "End to end, 16 hooks per event",
        fan.describe(limit),
        "—",
        None,
    ));

    let split = run(p, "es", 1, SPLIT_EVENTS, None, true).await;
    let split64 = run(p, "es64", 1, SPLIT_EVENTS, Some(64), true).await;
    p.rows.push(Row::new(
        "End to end, one hook, receiver answering in two writes (headers, then body)",
        format!(
            "{} deliveries/s at max_in_flight 8 (p50 {:.1} ms, p99 {:.1} ms); {} /s at 64 (p50 {:.1} ms, p99 {:.1} ms)",
            thousands(split.rate),
            split.p50,
            split.p99,
            thousands(split64.rate),
            split64.p50,
            split64.p99
        ),
        "—",
        None,
    ));
}

/// `events` events POSTed to a new feed `feed` whose `hooks` hooks deliver to the fast receiver
/// (or the split one), every delivery checked arrived once and logged.
async fn run(
    p: &mut Phase<'_>,
    feed: &'static str,
    hooks: usize,
    events: usize,
    max_in_flight: Option<i64>,
    split: bool,
) -> Figures {
    let split_rx;
    let rx: &Receiver = if split {
        split_rx = Receiver::start_split().await;
        &split_rx
    } else {
        p.rx
    };
    p.api.create_feed(feed).await;
    for k in 0..hooks {
        let mut hook = serde_json::json!({"kind": "http", "events": ["ping"],
            "config": {"url": format!("{}/{feed}/{k}", rx.base)}});
        if let Some(m) = max_in_flight {
            hook["max_in_flight"] = m.into();
        }
        let (status, answer) = p.api.post(&format!("/feeds/{feed}/hooks"), &hook).await;
        check(
            status == 201,
            &format!("hook {k} of {feed}: {status} {answer}"),
        );
    }
    let n = events * hooks;
    say!(
        "end to end ({feed}): {events} events from {CLIENTS} keep-alive clients, {hooks} hook(s){}{}",
        if split {
            ", receiver in two writes"
        } else {
            ""
        },
        max_in_flight.map_or(String::new(), |m| format!(", max_in_flight {m}"))
    );
    let base = seed::max_id(p.db, "deliveries");
    rx.take();
    let api = Api::new(&p.srv.url, &p.token);
    let starts: Arc<Vec<AtomicU64>> = Arc::new((0..events).map(|_| AtomicU64::new(0)).collect());
    let batching = p.api.batching().await;
    let meter = Meter::start(p.srv, feed);
    let t0 = Instant::now();
    let (_, ok, failed) = {
        let starts = starts.clone();
        closed_loop(CLIENTS, events, Duration::from_secs(120), move |i| {
            let (client, url, token, starts) = (
                api.client.clone(),
                api.base.clone(),
                api.token.clone(),
                starts.clone(),
            );
            async move {
                starts[i].store(t0.elapsed().as_nanos() as u64, Relaxed);
                post_event(&client, &url, feed, &token, &format!("{feed}-{i}")).await == 202
            }
        })
        .await
    };
    check(
        ok == events && failed == 0,
        &format!("{ok} of {events} events answered 202"),
    );
    check(
        rx.wait_for(n as u64, Duration::from_secs(180)).await,
        &format!("the receiver got all {n} deliveries"),
    );
    let recorded = wait_recorded(p.db, base, n as i64, Duration::from_secs(60)).await;
    let cpu_us = meter.done(events as f64, "event");
    super::say_batching(p.api, batching).await;
    let hits = rx.take();
    let distinct = receiver::distinct(&hits);
    check(
        hits.len() == n && distinct == n,
        &format!("{n} deliveries arrived, each (hook, event) once"),
    );
    let (count, succeeded, attempts, most) = seed::delivery_summary(p.db, base);
    check(
        count == n as i64 && succeeded == count && attempts == count && most == 1,
        &format!("{n} deliveries succeeded with one attempt row each"),
    );
    let prefix = format!("{feed}-");
    let latency: Vec<f64> = hits
        .iter()
        .map(|h| {
            let i: usize = h.ident.strip_prefix(&prefix).unwrap().parse().unwrap();
            let start = t0 + Duration::from_nanos(starts[i].load(Relaxed));
            ms(h.at.saturating_duration_since(start))
        })
        .collect();
    let figures = Figures {
        deliveries: n,
        rate: n as f64 / (recorded - t0).as_secs_f64(),
        p50: percentile(&latency, 50.0),
        p99: percentile(&latency, 99.0),
        cpu_us,
    };
    say!(
        "end to end ({feed}): {} deliveries/s, p50 {:.1} ms, p99 {:.1} ms",
        thousands(figures.rate),
        figures.p50,
        figures.p99
    );
    crate::print_problems(p.srv);
    figures
}
