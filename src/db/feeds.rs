//! Feeds and their co-owners.
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::DbError;

#[derive(Debug, Clone)]
pub struct FeedRow {
    pub id: i64,
    pub identifier: String,
    pub name: String,
    pub owner_id: i64,
    pub owner: String,
    pub created_at: i64,
}

const FEED_SELECT: &str = "SELECT f.id, f.identifier, f.name, f.owner_id, u.username, f.created_at FROM feeds f JOIN users u ON u.id = f.owner_id";

fn feed_row(r: &Row<'_>) -> rusqlite::Result<FeedRow> {
    Ok(FeedRow {
        id: r.get(0)?,
        identifier: r.get(1)?,
        name: r.get(2)?,
        owner_id: r.get(3)?,
        owner: r.get(4)?,
        created_at: r.get(5)?,
    })
}

/// Inserts a feed; `None` if the identifier is taken.
pub fn insert_feed(
    c: &Connection,
    identifier: &str,
    name: &str,
    owner_id: i64,
    now: i64,
) -> Result<Option<i64>, DbError> {
    let n = c.execute(
        "INSERT INTO feeds (identifier, name, owner_id, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (identifier) DO NOTHING",
        params![identifier, name, owner_id, now],
    )?;
    Ok((n == 1).then(|| c.last_insert_rowid()))
}

pub fn find_feed(c: &Connection, identifier: &str) -> Result<Option<FeedRow>, DbError> {
    // Cached statements: these run on every API request (ingest included).
    let mut st = c.prepare_cached(&format!("{FEED_SELECT} WHERE f.identifier = ?1"))?;
    Ok(st.query_row([identifier], feed_row).optional()?)
}

pub fn find_feed_by_id(c: &Connection, id: i64) -> Result<Option<FeedRow>, DbError> {
    let mut st = c.prepare_cached(&format!("{FEED_SELECT} WHERE f.id = ?1"))?;
    Ok(st.query_row([id], feed_row).optional()?)
}

pub fn is_co_owner(c: &Connection, feed_id: i64, user_id: i64) -> Result<bool, DbError> {
    let mut st = c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM feed_co_owners WHERE feed_id = ?1 AND user_id = ?2)",
    )?;
    Ok(st.query_row([feed_id, user_id], |r| r.get(0))?)
}

/// Feeds the user owns or co-owns, or every feed for an administrator.
pub fn list_feeds_for(c: &Connection, user_id: i64, all: bool) -> Result<Vec<FeedRow>, DbError> {
    let sql = format!(
        "{FEED_SELECT} WHERE ?2 OR f.owner_id = ?1
           OR EXISTS (SELECT 1 FROM feed_co_owners o WHERE o.feed_id = f.id AND o.user_id = ?1)
         ORDER BY f.identifier"
    );
    let mut st = c.prepare(&sql)?;
    let rows = st
        .query_map(params![user_id, all], feed_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn co_owners(c: &Connection, feed_id: i64) -> Result<Vec<String>, DbError> {
    let mut st = c.prepare(
        "SELECT u.username FROM feed_co_owners o JOIN users u ON u.id = o.user_id
         WHERE o.feed_id = ?1 ORDER BY u.username",
    )?;
    let rows = st
        .query_map([feed_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn add_co_owner(c: &Connection, feed_id: i64, user_id: i64) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO feed_co_owners (feed_id, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        [feed_id, user_id],
    )?;
    Ok(())
}

pub fn remove_co_owner(c: &Connection, feed_id: i64, user_id: i64) -> Result<bool, DbError> {
    Ok(c.execute(
        "DELETE FROM feed_co_owners WHERE feed_id = ?1 AND user_id = ?2",
        [feed_id, user_id],
    )? == 1)
}

pub fn delete_feed(c: &Connection, feed_id: i64) -> Result<(), DbError> {
    c.execute("DELETE FROM feeds WHERE id = ?1", [feed_id])?;
    Ok(())
}
