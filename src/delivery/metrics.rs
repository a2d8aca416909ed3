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
