//! Percentiles, load shapes and the result table.
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// The p-th percentile (nearest rank) of the values; NaN when there are none.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    v[rank.min(v.len()) - 1]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Closed loop: `clients` tasks each send the next request as soon as the last one answered,
/// until `total` were sent or `cap` has passed. Returns (elapsed, succeeded, failed).
pub async fn closed_loop<F, Fut>(
    clients: usize,
    total: usize,
    cap: Duration,
    request: F,
) -> (Duration, usize, usize)
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (next, request) = (next.clone(), request.clone());
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed) = (0, 0);
            loop {
                let i = next.fetch_add(1, Relaxed);
                if i >= total || start.elapsed() > cap {
                    break;
                }
                if request(i).await {
                    ok += 1;
                } else {
                    failed += 1;
                }
            }
            (ok, failed)
        }));
    }
    let (mut ok, mut failed) = (0, 0);
    for t in tasks {
        let (o, f) = t.await.unwrap();
        ok += o;
        failed += f;
    }
    (start.elapsed(), ok, failed)
}

/// One request of an open loop: when it was sent, when it was answered, and its status.
pub struct Sent {
    pub at: Instant,
    pub answered: Instant,
    pub status: u16,
}

/// Open loop: request `i` is sent at `i / rate` seconds, whatever the earlier ones are doing
/// (so a slow server cannot slow the load down). Returns every request's record, in order.
pub async fn open_loop<F, Fut>(total: usize, rate: f64, request: F) -> Vec<Sent>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = u16> + Send + 'static,
{
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate)).await;
        let fut = request(i);
        tasks.push(tokio::spawn(async move {
            let at = Instant::now();
            let status = fut.await;
            Sent {
                at,
                answered: Instant::now(),
                status,
            }
        }));
    }
    let mut out = Vec::with_capacity(total);
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// One line of the result table.
pub struct Row {
    pub what: String,
    pub figure: String,
    pub target: String,
    /// Some(true) met, Some(false) missed, None: no target (a reference or context figure).
    pub met: Option<bool>,
}

impl Row {
    pub fn new(what: &str, figure: String, target: &str, met: Option<bool>) -> Row {
        Row {
            what: what.into(),
            figure,
            target: target.into(),
            met,
        }
    }
}

pub fn table(rows: &[Row]) -> String {
    let mut s = String::from("| Measure | Result | Target | |\n| --- | --- | --- | --- |\n");
    for r in rows {
        let verdict = match r.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "",
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.what, r.figure, r.target, verdict
        ));
    }
    s
}

/// 12345.6 -> "12,346"
pub fn thousands(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}
