//! The digester: one task that looks at the hooks holding deliveries every few seconds and,
//! for each whose window (or quiet hours) has ended, gathers what it holds into one digest
//! delivery that the worker then sends like any other. Everything it needs is in the store
//! (held deliveries, their times, the hook's setting), so a restart loses no digest and sends
//! none twice.
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::db::digests::{held_groups, make_digest};
use crate::db::feeds::find_feed_by_id;
use crate::db::hooks::hook_by_id;
use crate::db::{Db, DbError};
use crate::domain::digest_message::{Digest, MAX_LISTED, listing};
use crate::domain::hook_config::HookKind;
use crate::domain::hook_digest::HookDigest;
use crate::domain::time::now_ms;
use crate::domain::wake::Wake;

/// How often held deliveries are looked at: a digest goes at most this late.
pub const EVERY: Duration = Duration::from_secs(5);

/// The setting a group is held under; `None` (sent now) when it was turned off or can no
/// longer be read.
fn setting(kind: &str, digest: Option<&str>) -> Option<HookDigest> {
    let kind = HookKind::parse(kind)?;
    let json = serde_json::from_str(digest?).ok()?;
    HookDigest::from_json(kind, Some(&json)).ok().flatten()
}

/// Runs until stopped; `deliveries_due` is the worker's doorbell.
pub async fn run(db: Db, base_url: String, deliveries_due: Wake, stop: CancellationToken) {
    loop {
        match tick(&db, &base_url, now_ms()).await {
            Ok(0) => {}
            Ok(_) => deliveries_due.ring(),
            Err(e) => tracing::warn!(error = %e, "making digests failed; trying again shortly"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// Makes every digest due at `now`; returns how many.
pub async fn tick(db: &Db, base_url: &str, now: i64) -> Result<usize, DbError> {
    let groups = db.run(|c| held_groups(c)).await?;
    let mut made = 0;
    for g in groups {
        let setting = setting(&g.kind, g.digest.as_deref());
        if setting.as_ref().is_some_and(|d| d.send_at(g.oldest) > now) {
            continue;
        }
        let base = base_url.to_owned();
        let done = db
            .write(move |c| {
                let Some(hook) = hook_by_id(c, g.hook_id)? else {
                    return Ok(None);
                };
                let Some(feed) = find_feed_by_id(c, hook.feed_id)? else {
                    return Ok(None);
                };
                let tz = setting
                    .as_ref()
                    .and_then(|d| d.quiet_hours.as_ref())
                    .map(|q| (q.tz_name.as_str(), q.tz()));
                make_digest(c, g.hook_id, MAX_LISTED, now, |id, gathered| {
                    let d = Digest {
                        feed_identifier: &feed.identifier,
                        feed_url: format!("{base}/feeds/{}", feed.identifier),
                        hook_name: &hook.name,
                        page: format!("{base}/feeds/{}/deliveries/{id}", feed.identifier),
                        tz,
                        count: gathered.count,
                        first_at: gathered.first_at,
                        last_at: gathered.last_at,
                        now,
                    };
                    listing(&d, &uuid::Uuid::new_v4().to_string(), &gathered.envelopes).to_string()
                })
            })
            .await?;
        if let Some((id, count)) = done {
            tracing::info!(
                hook = g.hook_id,
                digest = id,
                count,
                "a digest is on its way"
            );
            made += 1;
        }
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_turned_off_or_unreadable_sends_what_is_held_now() {
        assert!(setting("email", None).is_none());
        assert!(setting("email", Some("not json")).is_none());
        assert!(setting("http", Some(r#"{"window":"15m"}"#)).is_none());
        let d = setting("twilio", Some(r#"{"window":"15m"}"#)).unwrap();
        assert_eq!(d.send_at(0), 15 * 60_000);
    }

    fn ms(rfc: &str) -> i64 {
        rfc.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    /// Quiet hours 22:00–07:00 in Brussels (UTC+1 in December), with a fixed clock: what was
    /// held at night stays held through the night, and goes as one digest at 07:00 local.
    #[tokio::test]
    async fn held_at_night_goes_as_one_digest_when_quiet_hours_end() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("feedhooks.db")).unwrap();
        let (night, held) = (ms("2026-12-03T23:30:00Z"), crate::db::codes::HELD_SQL);
        db.write(move |c| {
            c.execute_batch(&format!(
                "INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'u', 'x', 0);
                 INSERT INTO feeds (id, identifier, name, owner_id, created_at) VALUES (1, 'f', 'f', 1, 0);
                 INSERT INTO hooks (id, feed_id, kind, name, events, event_mask, config, digest, created_at, updated_at)
                     VALUES (1, 1, 'slack', 'team', '[]', 1, '{{}}',
                             '{{\"quiet_hours\":{{\"from\":\"22:00\",\"to\":\"07:00\",\"tz\":\"Europe/Brussels\"}}}}', 0, 0);
                 INSERT INTO events (id, feed_id, identifier, event_type, received_at, body, sent_hash, deliveries)
                     VALUES (1, 1, 'a', 'ping', 0, '{{}}', x'01', 1), (2, 1, 'b', 'ping', 0, '{{}}', x'02', 1);
                 INSERT INTO deliveries (id, hook_id, event_id, event_type, status, due_at, created_at)
                     VALUES (10, 1, 1, 'ping', 'pending', {held}, {night}),
                            (11, 1, 2, 'ping', 'pending', {held}, {night} + 3600000);"
            ))?;
            Ok::<_, DbError>(())
        })
        .await
        .unwrap();
        let base = "http://127.0.0.1:1";
        for quiet in ["2026-12-04T02:00:00Z", "2026-12-04T05:59:59Z"] {
            assert_eq!(tick(&db, base, ms(quiet)).await.unwrap(), 0, "{quiet}");
        }
        assert_eq!(
            tick(&db, base, ms("2026-12-04T06:00:05Z")).await.unwrap(),
            1
        );
        let (carried, count): (i64, i64) = db
            .run(|c| {
                Ok::<_, DbError>(c.query_row(
                    "SELECT count(*), (SELECT count(*) FROM deliveries WHERE event_type = 'digest')
                       FROM deliveries WHERE digest_id IS NOT NULL",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .await
            .unwrap();
        assert_eq!((carried, count), (2, 1), "both carried by one digest");
        assert_eq!(
            tick(&db, base, ms("2026-12-04T06:10:00Z")).await.unwrap(),
            0
        );
    }
}
