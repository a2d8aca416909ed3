//! Embedded schema migrations, applied in order at start-up; `PRAGMA user_version` records how
//! far a database has come. Files are append-only once released: change the schema with a new one.
use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

const STEPS: &[&str] = &[
    include_str!("../../migrations/0001_foundation.sql"),
    include_str!("../../migrations/0002_accounts.sql"),
    include_str!("../../migrations/0003_events_and_deliveries.sql"),
    include_str!("../../migrations/0004_sources.sql"),
    include_str!("../../migrations/0005_hook_filters.sql"),
    include_str!("../../migrations/0007_inbound.sql"),
    include_str!("../../migrations/0008_hook_templates.sql"),
    include_str!("../../migrations/0010_replays.sql"),
    include_str!("../../migrations/0011_hook_concurrency.sql"),
    include_str!("../../migrations/0012_alerts.sql"),
    include_str!("../../migrations/0013_grouped_verdicts.sql"),
    include_str!("../../migrations/0014_covering_hook_indexes.sql"),
    include_str!("../../migrations/0015_digests.sql"),
];

fn migrations() -> Migrations<'static> {
    Migrations::new(STEPS.iter().map(|sql| M::up(sql)).collect())
}

pub(super) fn apply(conn: &mut Connection) -> Result<(), rusqlite_migration::Error> {
    migrations().to_latest(conn)
}

/// The `user_version` a fully migrated database has.
pub fn schema_version_expected() -> i64 {
    STEPS.len() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Filter verdicts kept in their own table before 0008 move onto their event's row.
    #[test]
    fn verdicts_of_older_databases_move_onto_their_events() {
        let mut c = Connection::open_in_memory().unwrap();
        let before_0008 = STEPS
            .iter()
            .position(|s| s.contains("ADD COLUMN templates"))
            .unwrap();
        let old = Migrations::new(STEPS[..before_0008].iter().map(|sql| M::up(sql)).collect());
        old.to_latest(&mut c).unwrap();
        c.execute_batch(
            "INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'u', 'x', 0);
             INSERT INTO feeds (id, identifier, name, owner_id, created_at) VALUES (1, 'f', 'f', 1, 0);
             INSERT INTO hooks (id, feed_id, kind, name, events, event_mask, config, created_at, updated_at)
                 VALUES (3, 1, 'http', 'a', '[]', 1, '{}', 0, 0), (2, 1, 'http', 'b', '[]', 1, '{}', 0, 0),
                        (4, 1, 'http', 'c', '[]', 1, '{}', 0, 0);
             INSERT INTO events (id, feed_id, identifier, event_type, received_at, body, sent_hash, deliveries)
                 VALUES (10, 1, 'e', 'ping', 0, '{}', x'00', 0), (11, 1, 'g', 'ping', 0, '{}', x'01', 1);
             INSERT INTO filtered_events (event_id, hook_id, reason) VALUES (10, 3, 'no \"x\"'), (10, 2, 'no y'), (10, 4, 'no y');",
        )
        .unwrap();
        apply(&mut c).unwrap();
        let filtered: Vec<Option<String>> = c
            .prepare("SELECT filtered FROM events ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            filtered,
            [
                Some(r#"[["no y",[2,4]],["no \"x\"",[3]]]"#.to_owned()),
                None
            ]
        );
    }
}
