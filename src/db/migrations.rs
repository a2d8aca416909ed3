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
