//! Counters and a duration histogram for `GET /metrics` (Prometheus text format).
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use super::retry::AttemptClass;

/// Upper bounds of the attempt duration histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
pub struct Metrics {
    succeeded: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
    /// Claims that took something, and what they took: how well claims batch.
    claims: AtomicU64,
    claimed: AtomicU64,
    /// Commits of attempt results, and the results they held.
    result_commits: AtomicU64,
    results: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, class: AttemptClass, will_retry: bool, duration: Duration) {
        let counter = match class {
            AttemptClass::Succeeded => &self.succeeded,
            _ if will_retry => &self.retried,
            _ => &self.failed,
        };
        counter.fetch_add(1, Relaxed);
        let secs = duration.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.buckets[i].fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add(duration.as_micros() as u64, Relaxed);
    }

    pub fn claimed(&self, n: usize) {
        if n > 0 {
            self.claims.fetch_add(1, Relaxed);
            self.claimed.fetch_add(n as u64, Relaxed);
        }
    }

    pub fn committed(&self, results: usize) {
        self.result_commits.fetch_add(1, Relaxed);
        self.results.fetch_add(results as u64, Relaxed);
    }

    /// The exposition text; `pending` and `oldest_due_age` come from the store.
    pub fn render(&self, pending: i64, oldest_due_age: Duration) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP feedhooks_attempts_total Delivery attempts since start, by outcome."
        );
        let _ = writeln!(s, "# TYPE feedhooks_attempts_total counter");
        for (outcome, c) in [
            ("succeeded", &self.succeeded),
            ("retry", &self.retried),
            ("failed", &self.failed),
        ] {
            let _ = writeln!(
                s,
                "feedhooks_attempts_total{{outcome=\"{outcome}\"}} {}",
                c.load(Relaxed)
            );
        }
        let _ = writeln!(
            s,
            "# HELP feedhooks_attempt_duration_seconds Time from sending to the end of the answer."
        );
        let _ = writeln!(s, "# TYPE feedhooks_attempt_duration_seconds histogram");
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                s,
                "feedhooks_attempt_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                self.buckets[i].load(Relaxed)
            );
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(
            s,
            "feedhooks_attempt_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            s,
            "feedhooks_attempt_duration_seconds_sum {}",
            self.sum_micros.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(s, "feedhooks_attempt_duration_seconds_count {count}");
        for (name, help, c) in [
            (
                "claims",
                "Claims of due deliveries that took at least one.",
                &self.claims,
            ),
            (
                "claimed_deliveries",
                "Deliveries taken by those claims.",
                &self.claimed,
            ),
            (
                "result_commits",
                "Transactions that recorded attempt results.",
                &self.result_commits,
            ),
            (
                "results",
                "Attempt results those transactions recorded.",
                &self.results,
            ),
        ] {
            let _ = writeln!(s, "# HELP feedhooks_{name}_total {help}");
            let _ = writeln!(s, "# TYPE feedhooks_{name}_total counter");
            let _ = writeln!(s, "feedhooks_{name}_total {}", c.load(Relaxed));
        }
        let _ = writeln!(
            s,
            "# HELP feedhooks_deliveries_pending Deliveries waiting for an attempt (including parked ones)."
        );
        let _ = writeln!(s, "# TYPE feedhooks_deliveries_pending gauge");
        let _ = writeln!(s, "feedhooks_deliveries_pending {pending}");
        let _ = writeln!(
            s,
            "# HELP feedhooks_oldest_due_delivery_age_seconds How long the oldest due delivery has waited."
        );
        let _ = writeln!(s, "# TYPE feedhooks_oldest_due_delivery_age_seconds gauge");
        let _ = writeln!(
            s,
            "feedhooks_oldest_due_delivery_age_seconds {}",
            oldest_due_age.as_secs_f64()
        );
        s
    }
}
