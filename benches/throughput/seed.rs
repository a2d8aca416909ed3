//! Direct access to the server's SQLite database: seeding large states in one transaction, and
//! reading back what the server recorded so every figure is checked against the store.
//!
//! Seeding writes the same rows the server would (copied from rows it wrote itself), so the
//! server under test reads a realistic store; it bypasses only the HTTP path, which other
//! phases measure.
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, params};

pub fn open(data: &Path) -> Connection {
    let c = Connection::open(data.join("feedhooks.db")).unwrap();
    c.busy_timeout(Duration::from_secs(30)).unwrap();
    c
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub fn one(c: &Connection, sql: &str, p: impl rusqlite::Params) -> i64 {
    c.query_row(sql, p, |r| r.get::<_, Option<i64>>(0))
        .unwrap()
        .unwrap_or(0)
}

pub fn feed_id(c: &Connection, identifier: &str) -> i64 {
    one(
        c,
        "SELECT id FROM feeds WHERE identifier = ?1",
        [identifier],
    )
}

pub fn max_id(c: &Connection, table: &str) -> i64 {
    one(c, &format!("SELECT max(id) FROM {table}"), [])
}

/// The stored envelope of an event, by its identifier.
pub fn event_body(c: &Connection, identifier: &str) -> String {
    c.query_row(
        "SELECT body FROM events WHERE identifier = ?1",
        [identifier],
        |r| r.get(0),
    )
    .unwrap()
}

/// Inserts `count` events of the feed, copies of a stored one (identifier `{prefix}{n}`), each
/// with a pending delivery to every hook of the feed due at `due_at`. Returns (the last
/// delivery id before them, deliveries inserted).
pub fn seed_backlog(
    c: &mut Connection,
    feed: &str,
    template_ident: &str,
    prefix: &str,
    count: i64,
    due_at: i64,
) -> (i64, i64) {
    let body = event_body(c, template_ident);
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let feed_id = feed_id(&tx, feed);
    let hooks = one(
        &tx,
        "SELECT count(*) FROM hooks WHERE feed_id = ?1",
        [feed_id],
    );
    let (last_event, last_delivery) = (max_id(&tx, "events"), max_id(&tx, "deliveries"));
    let now = now_ms();
    insert_events(
        &tx,
        feed_id,
        &body,
        template_ident,
        prefix,
        count,
        now,
        0,
        hooks,
    );
    let n = tx
        .execute(
            "INSERT INTO deliveries (hook_id, event_id, event_type, status, due_at, created_at)
             SELECT h.id, e.id, 'ping', 'pending', ?3, e.received_at
             FROM events e JOIN hooks h ON h.feed_id = e.feed_id
             WHERE e.id > ?1 AND e.feed_id = ?2 ORDER BY e.id, h.id",
            params![last_event, feed_id, due_at],
        )
        .unwrap() as i64;
    tx.commit().unwrap();
    (last_delivery, n)
}

#[allow(clippy::too_many_arguments)]
fn insert_events(
    c: &Connection,
    feed_id: i64,
    body: &str,
    template_ident: &str,
    prefix: &str,
    count: i64,
    received_at: i64,
    span_ms: i64,
    deliveries: i64,
) {
    // Received evenly over `span_ms` from `received_at`.
    let n = c
        .execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
             INSERT INTO events (feed_id, identifier, event_type, username, occurred_at, received_at, body, sent_hash, deliveries)
             SELECT ?2, ?3 || i, 'ping', 'bench', '2026-01-01T00:00:00Z', ?4 + i * ?8 / ?1, replace(?5, ?6, ?3 || i), randomblob(32), ?7 FROM n",
            params![count, feed_id, prefix, received_at, body, template_ident, deliveries, span_ms],
        )
        .unwrap();
    assert_eq!(n as i64, count);
}

/// Adds `count` copies of a hook, the n-th with `{url_prefix}{n}` for the template's
/// `{url_prefix}0` (so each copy has its own URL and the receiver can tell them apart).
pub fn copy_hook(c: &Connection, template: i64, url_prefix: &str, count: i64) {
    let n = c
        .execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
             INSERT INTO hooks (feed_id, kind, name, enabled, events, event_mask, config, secrets, created_at, updated_at)
             SELECT feed_id, kind, name || ' ' || i, enabled, events, event_mask,
                    replace(config, ?3 || '0\"', ?3 || i || '\"'), secrets, created_at, updated_at
             FROM hooks, n WHERE id = ?1",
            params![template, count, url_prefix],
        )
        .unwrap();
    assert_eq!(n as i64, count);
}

/// Deliveries after `base` that are no longer pending.
pub fn finished_since(c: &Connection, base: i64) -> i64 {
    one(
        c,
        "SELECT count(*) FROM deliveries WHERE id > ?1 AND status != 'pending'",
        [base],
    )
}

/// Checks the deliveries after `base`: (deliveries, succeeded, attempts rows, most attempts of one).
pub fn delivery_summary(c: &Connection, base: i64) -> (i64, i64, i64, i64) {
    let (n, ok, most) = c
        .query_row(
            "SELECT count(*), coalesce(sum(status = 'succeeded'), 0), coalesce(max(attempts), 0)
             FROM deliveries WHERE id > ?1",
            [base],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let attempts = one(
        c,
        "SELECT count(*) FROM attempts WHERE delivery_id > ?1",
        [base],
    );
    (n, ok, attempts, most)
}

/// Milliseconds from each event's acceptance (`received_at`) to its first attempt's start,
/// for the hook's deliveries after `base`, as the server recorded them.
pub fn accept_to_attempt_ms(c: &Connection, hook: i64, base: i64) -> Vec<f64> {
    let mut st = c
        .prepare(
            "SELECT a.started_at - e.received_at FROM deliveries d
             JOIN events e ON e.id = d.event_id
             JOIN attempts a ON a.delivery_id = d.id AND a.number = 1
             WHERE d.hook_id = ?1 AND d.id > ?2",
        )
        .unwrap();
    st.query_map([hook, base], |r| r.get::<_, i64>(0))
        .unwrap()
        .map(|v| v.unwrap() as f64)
        .collect()
}

/// A stored attempt's (request, response) texts, to copy.
pub fn attempt_texts(c: &Connection, hook: i64) -> (String, String) {
    c.query_row(
        "SELECT a.request, a.response FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
         WHERE d.hook_id = ?1 AND a.response IS NOT NULL ORDER BY a.id LIMIT 1",
        [hook],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

const DAY: i64 = 86_400_000;

/// The log of a busy server: `done` events of the feed, each delivered to every hook with one
/// logged attempt (copies of a real one), then `pending` events each with a delivery to every
/// hook due at `due_at`. All in one transaction.
pub fn seed_log(
    c: &mut Connection,
    feed: &str,
    template_ident: &str,
    template_hook: i64,
    done: i64,
    pending: i64,
    due_at: i64,
) {
    let body = event_body(c, template_ident);
    let (request, response) = attempt_texts(c, template_hook);
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let feed_id = feed_id(&tx, feed);
    let hooks = one(
        &tx,
        "SELECT count(*) FROM hooks WHERE feed_id = ?1",
        [feed_id],
    );
    // A busy day: everything within the last 24 hours, the window of the hook page's chart
    // and health counts (the harder case for them).
    let start = now_ms() - DAY;

    let last_event = max_id(&tx, "events");
    let last_delivery = max_id(&tx, "deliveries");
    insert_events(
        &tx,
        feed_id,
        &body,
        template_ident,
        "log-",
        done,
        start,
        DAY,
        hooks,
    );
    tx.execute(
        "INSERT INTO deliveries (hook_id, event_id, event_type, status, attempts, due_at, claimed, last_outcome, created_at, finished_at)
         SELECT h.id, e.id, 'ping', 'succeeded', 1, NULL, 0, '200 OK', e.received_at, e.received_at + 3
         FROM events e JOIN hooks h ON h.feed_id = e.feed_id
         WHERE e.id > ?1 AND e.feed_id = ?2 ORDER BY e.id, h.id",
        params![last_event, feed_id],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO attempts (delivery_id, number, started_at, duration_ms, request, response, error_kind, error_message)
         SELECT id, 1, created_at + 1, 2, ?2, ?3, NULL, NULL FROM deliveries WHERE id > ?1 ORDER BY id",
        params![last_delivery, request, response],
    )
    .unwrap();

    let last_event = max_id(&tx, "events");
    insert_events(
        &tx,
        feed_id,
        &body,
        template_ident,
        "queued-",
        pending,
        start,
        DAY,
        hooks,
    );
    tx.execute(
        "INSERT INTO deliveries (hook_id, event_id, event_type, status, due_at, created_at)
         SELECT h.id, e.id, 'ping', 'pending', ?3, e.received_at
         FROM events e JOIN hooks h ON h.feed_id = e.feed_id
         WHERE e.id > ?1 AND e.feed_id = ?2 ORDER BY e.id, h.id",
        params![last_event, feed_id, due_at],
    )
    .unwrap();
    tx.commit().unwrap();
}
