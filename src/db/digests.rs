//! Digests in the store: the deliveries a digest hook holds, gathered into one digest delivery
//! that carries them, and that delivery's outcome passed on to what it carried.
use rusqlite::{Connection, TransactionBehavior, params};

use super::DbError;
use super::codes::HELD_SQL;

/// A hook with held deliveries not yet in a digest.
#[derive(Debug, Clone)]
pub struct HeldGroup {
    pub hook_id: i64,
    pub kind: String,
    /// The hook's digest setting (JSON); `None` once it was turned off: what is held goes now.
    pub digest: Option<String>,
    /// When the oldest held delivery was made: its window's start.
    pub oldest: i64,
}

/// The enabled hooks holding deliveries; a disabled hook's wait until it is enabled again.
pub fn held_groups(c: &Connection) -> Result<Vec<HeldGroup>, DbError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT h.id, h.kind, h.digest, p.oldest FROM
           (SELECT hook_id, min(created_at) AS oldest FROM deliveries
             WHERE status = 'pending' AND due_at = {HELD_SQL} AND digest_id IS NULL GROUP BY hook_id) p
         JOIN hooks h ON h.id = p.hook_id WHERE h.enabled"
    ))?;
    let rows = st.query_map([], |r| {
        Ok(HeldGroup {
            hook_id: r.get(0)?,
            kind: r.get(1)?,
            digest: r.get(2)?,
            oldest: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What a new digest lists: the first `listed` of its deliveries' events (envelopes in the
/// order they were accepted) and how many it carries in all.
pub struct Gathered {
    pub envelopes: Vec<String>,
    pub count: i64,
    pub first_at: i64,
    pub last_at: i64,
}

/// In one transaction: gathers the hook's held deliveries, asks `body` for the digest's
/// listing, stores the digest delivery (due now) and marks each held delivery as carried by
/// it. Returns its id and how many it carries; `None` when nothing was held.
pub fn make_digest(
    c: &mut Connection,
    hook_id: i64,
    listed: usize,
    now: i64,
    body: impl FnOnce(i64, &Gathered) -> String,
) -> Result<Option<(i64, i64)>, DbError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let held = format!(
        "d.hook_id = ?1 AND d.status = 'pending' AND d.due_at = {HELD_SQL} AND d.digest_id IS NULL"
    );
    let (count, last_id, first_event, first_at, last_at): (i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>) =
        tx.query_row(
            &format!(
                "SELECT count(*), max(d.id), (SELECT event_id FROM deliveries d WHERE {held} ORDER BY d.id LIMIT 1),
                        min(d.created_at), max(d.created_at)
                 FROM deliveries d WHERE {held}"
            ),
            [hook_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
    let (Some(last_id), Some(first_event)) = (last_id, first_event) else {
        return Ok(None);
    };
    let envelopes: Vec<String> = tx
        .prepare(&format!(
            "SELECT e.body FROM deliveries d JOIN events e ON e.id = d.event_id WHERE {held} ORDER BY d.id LIMIT ?2"
        ))?
        .query_map(params![hook_id, listed as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let gathered = Gathered {
        envelopes,
        count,
        first_at: first_at.unwrap_or(now),
        last_at: last_at.unwrap_or(now),
    };
    // The id is known before the body is written, so the body can link to its own page.
    tx.execute(
        "INSERT INTO deliveries (hook_id, event_id, event_type, status, due_at, created_at, digest_body)
         VALUES (?1, ?2, 'digest', 'pending', ?3, ?3, '{}')",
        params![hook_id, first_event, now],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE deliveries SET digest_body = ?2 WHERE id = ?1",
        params![id, body(id, &gathered)],
    )?;
    tx.execute(
        &format!(
            "UPDATE deliveries AS d SET digest_id = ?2, last_outcome = 'carried by digest #' || ?2
             WHERE {held} AND d.id <= ?3"
        ),
        params![hook_id, id, last_id],
    )?;
    tx.commit()?;
    Ok(Some((id, count)))
}

/// A digest finished for good: what it carried takes its status and outcome.
pub fn finish_carried(
    c: &Connection,
    digest_id: i64,
    status: &str,
    outcome: &str,
    now: i64,
) -> Result<(), DbError> {
    c.prepare_cached(
        "UPDATE deliveries SET status = ?2, due_at = NULL, finished_at = ?3,
                last_outcome = 'in digest #' || ?1 || ': ' || ?4
         WHERE digest_id = ?1 AND status = 'pending'",
    )?
    .execute(params![digest_id, status, now, outcome])?;
    Ok(())
}

/// The deliveries a digest carried (of its original, for a redelivered digest), oldest first.
pub fn carried(c: &Connection, digest_id: i64, limit: i64) -> Result<Vec<i64>, DbError> {
    let mut st = c.prepare_cached(
        "WITH RECURSIVE origin(id, of) AS (
             SELECT id, redelivery_of FROM deliveries WHERE id = ?1
             UNION ALL SELECT d.id, d.redelivery_of FROM deliveries d JOIN origin o ON d.id = o.of)
         SELECT m.id FROM deliveries m WHERE m.digest_id IN (SELECT id FROM origin) ORDER BY m.id LIMIT ?2",
    )?;
    let rows = st.query_map(params![digest_id, limit], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::db::deliveries::{DeliveryUpdate, NextStep, record};

    /// Three held deliveries become one digest that lists them, each carried by it; a fourth
    /// not held stays out; when the digest succeeds, each carried delivery succeeds with it.
    #[test]
    fn held_deliveries_are_gathered_into_one_digest_and_take_its_outcome() {
        let mut c = Connection::open_in_memory().unwrap();
        crate::db::migrations::apply(&mut c).unwrap();
        c.execute_batch(&format!(
            "INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'u', 'x', 0);
             INSERT INTO feeds (id, identifier, name, owner_id, created_at) VALUES (1, 'f', 'f', 1, 0);
             INSERT INTO hooks (id, feed_id, kind, name, events, event_mask, config, digest, created_at, updated_at)
                 VALUES (1, 1, 'twilio', 'sms', '[]', 1, '{{}}', '{{\"window\":\"1m\"}}', 0, 0);
             INSERT INTO events (id, feed_id, identifier, event_type, received_at, body, sent_hash, deliveries)
                 VALUES (1, 1, 'a', 'ping', 0, 'A', x'01', 1), (2, 1, 'b', 'ping', 0, 'B', x'02', 1),
                        (3, 1, 'c', 'ping', 0, 'C', x'03', 1), (4, 1, 'd', 'ping', 0, 'D', x'04', 1);
             INSERT INTO deliveries (id, hook_id, event_id, event_type, status, due_at, created_at)
                 VALUES (10, 1, 1, 'ping', 'pending', {HELD_SQL}, 100), (11, 1, 2, 'ping', 'pending', {HELD_SQL}, 200),
                        (12, 1, 3, 'ping', 'pending', {HELD_SQL}, 300), (13, 1, 4, 'ping', 'pending', 5, 400);"
        ))
        .unwrap();
        let groups = held_groups(&c).unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!((groups[0].hook_id, groups[0].oldest), (1, 100));
        let (id, count) = make_digest(&mut c, 1, 2, 1000, |id, g| {
            assert_eq!((g.count, g.first_at, g.last_at), (3, 100, 300));
            format!("digest {id} of {}", g.envelopes.join(""))
        })
        .unwrap()
        .unwrap();
        assert_eq!(count, 3);
        let body: String = c
            .query_row(
                "SELECT digest_body FROM deliveries WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(body, format!("digest {id} of AB"), "lists the first two");
        assert_eq!(carried(&c, id, 10).unwrap(), [10, 11, 12]);
        // Redelivering the digest sends the same listing again, and still lists what it carried.
        let again = crate::db::deliveries::redeliver(&c, 1, id, 1500)
            .unwrap()
            .unwrap();
        let (copy, kind): (String, String) = c
            .query_row(
                "SELECT digest_body, event_type FROM deliveries WHERE id = ?1",
                [again],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((copy.as_str(), kind.as_str()), (body.as_str(), "digest"));
        assert_eq!(carried(&c, again, 10).unwrap(), [10, 11, 12]);
        assert!(held_groups(&c).unwrap().is_empty(), "nothing is held twice");
        assert!(
            make_digest(&mut c, 1, 2, 1000, |_, _| unreachable!())
                .unwrap()
                .is_none()
        );
        let done = DeliveryUpdate {
            delivery_id: id,
            hook_id: 1,
            attempt: None,
            next: NextStep::Succeeded,
            outcome: "answered 201".into(),
            ordered: false,
            digest: true,
        };
        record(&mut c, &[done], 2000).unwrap();
        let states: Vec<(String, Option<String>)> = c
            .prepare("SELECT status, last_outcome FROM deliveries WHERE id IN (10, 11, 12, 13) ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let sent = Some(format!("in digest #{id}: answered 201"));
        assert_eq!(
            states,
            [
                ("succeeded".into(), sent.clone()),
                ("succeeded".into(), sent.clone()),
                ("succeeded".into(), sent),
                ("pending".into(), None)
            ]
        );
    }
}
