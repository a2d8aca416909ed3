//! Personal access tokens and feed keys, stored as hashes.
use rusqlite::{Connection, OptionalExtension, params};

use super::DbError;
use super::users::UserRow;

/// A token or key as listed: never the secret itself.
#[derive(Debug, Clone)]
pub struct CredentialRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The feed a key may ingest into.
#[derive(Debug, Clone)]
pub struct FeedKeyOwner {
    pub key_id: i64,
    pub key_name: String,
    pub feed_id: i64,
}

/// Last-use times are refreshed at most once a minute: a write per API call would cost ingest
/// throughput for a value people read to the minute.
const TOUCH_EVERY_MS: i64 = 60_000;

fn credential_rows(c: &Connection, sql: &str, owner: i64) -> Result<Vec<CredentialRow>, DbError> {
    let mut st = c.prepare(sql)?;
    let rows = st
        .query_map([owner], |r| {
            Ok(CredentialRow {
                id: r.get(0)?,
                name: r.get(1)?,
                created_at: r.get(2)?,
                last_used_at: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn insert_api_token(
    c: &Connection,
    user_id: i64,
    name: &str,
    hash: &[u8],
    now: i64,
) -> Result<i64, DbError> {
    c.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![user_id, name, hash, now],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn list_api_tokens(c: &Connection, user_id: i64) -> Result<Vec<CredentialRow>, DbError> {
    credential_rows(
        c,
        "SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = ?1 ORDER BY id DESC",
        user_id,
    )
}

pub fn delete_api_token(c: &Connection, user_id: i64, id: i64) -> Result<bool, DbError> {
    Ok(c.execute(
        "DELETE FROM api_tokens WHERE user_id = ?1 AND id = ?2",
        [user_id, id],
    )? == 1)
}

/// The user a personal access token acts as, recording its use.
pub fn api_token_user(c: &Connection, hash: &[u8], now: i64) -> Result<Option<UserRow>, DbError> {
    let found = c
        .prepare_cached(
            "SELECT t.id, t.last_used_at, u.id, u.username, u.email, u.is_admin, u.created_at
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?1",
        )?
        .query_row([hash], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<i64>>(1)?,
                UserRow {
                    id: r.get(2)?,
                    username: r.get(3)?,
                    email: r.get(4)?,
                    is_admin: r.get(5)?,
                    created_at: r.get(6)?,
                },
            ))
        })
        .optional()?;
    let Some((id, last_used, user)) = found else {
        return Ok(None);
    };
    if last_used.is_none_or(|t| now - t > TOUCH_EVERY_MS) {
        c.execute(
            "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
    }
    Ok(Some(user))
}

pub fn insert_feed_key(
    c: &Connection,
    feed_id: i64,
    name: &str,
    hash: &[u8],
    now: i64,
) -> Result<i64, DbError> {
    c.execute(
        "INSERT INTO feed_keys (feed_id, name, key_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![feed_id, name, hash, now],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn list_feed_keys(c: &Connection, feed_id: i64) -> Result<Vec<CredentialRow>, DbError> {
    credential_rows(
        c,
        "SELECT id, name, created_at, last_used_at FROM feed_keys WHERE feed_id = ?1 ORDER BY id DESC",
        feed_id,
    )
}

pub fn delete_feed_key(c: &Connection, feed_id: i64, id: i64) -> Result<bool, DbError> {
    Ok(c.execute(
        "DELETE FROM feed_keys WHERE feed_id = ?1 AND id = ?2",
        [feed_id, id],
    )? == 1)
}

/// The feed a key belongs to, recording its use.
pub fn feed_key_owner(
    c: &Connection,
    hash: &[u8],
    now: i64,
) -> Result<Option<FeedKeyOwner>, DbError> {
    let found = c
        .prepare_cached(
            "SELECT id, name, feed_id, last_used_at FROM feed_keys WHERE key_hash = ?1",
        )?
        .query_row([hash], |r| {
            Ok((
                FeedKeyOwner {
                    key_id: r.get(0)?,
                    key_name: r.get(1)?,
                    feed_id: r.get(2)?,
                },
                r.get::<_, Option<i64>>(3)?,
            ))
        })
        .optional()?;
    let Some((owner, last_used)) = found else {
        return Ok(None);
    };
    if last_used.is_none_or(|t| now - t > TOUCH_EVERY_MS) {
        c.execute(
            "UPDATE feed_keys SET last_used_at = ?2 WHERE id = ?1",
            params![owner.key_id, now],
        )?;
    }
    Ok(Some(owner))
}
