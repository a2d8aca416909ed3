//! Users and their sessions.
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::DbError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: Option<String>,
    pub is_admin: bool,
    pub created_at: i64,
}

const USER_COLUMNS: &str = "id, username, email, is_admin, created_at";

fn user_row(r: &Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(0)?,
        username: r.get(1)?,
        email: r.get(2)?,
        is_admin: r.get(3)?,
        created_at: r.get(4)?,
    })
}

pub fn count_users(c: &Connection) -> Result<i64, DbError> {
    Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
}

/// Inserts a user; `None` when the username is taken.
pub fn insert_user(
    c: &Connection,
    username: &str,
    email: Option<&str>,
    password_hash: &str,
    is_admin: bool,
    now: i64,
) -> Result<Option<i64>, DbError> {
    let n = c.execute(
        "INSERT INTO users (username, email, password_hash, is_admin, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (username) DO NOTHING",
        params![username, email, password_hash, is_admin, now],
    )?;
    Ok((n == 1).then(|| c.last_insert_rowid()))
}

/// The user and their password hash, for sign-in.
pub fn find_user_with_hash(
    c: &Connection,
    username: &str,
) -> Result<Option<(UserRow, String)>, DbError> {
    Ok(c.query_row(
        &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?1"),
        [username],
        |r| Ok((user_row(r)?, r.get(5)?)),
    )
    .optional()?)
}

pub fn find_user_by_name(c: &Connection, username: &str) -> Result<Option<UserRow>, DbError> {
    Ok(c.query_row(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
        [username],
        user_row,
    )
    .optional()?)
}

pub fn password_hash_of(c: &Connection, user_id: i64) -> Result<Option<String>, DbError> {
    Ok(c.query_row(
        "SELECT password_hash FROM users WHERE id = ?1",
        [user_id],
        |r| r.get(0),
    )
    .optional()?)
}

pub fn list_users(c: &Connection) -> Result<Vec<UserRow>, DbError> {
    let mut st = c.prepare(&format!(
        "SELECT {USER_COLUMNS} FROM users ORDER BY username"
    ))?;
    let rows = st.query_map([], user_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Sets the password and ends every session of the user, in one transaction.
pub fn set_password(
    c: &mut Connection,
    user_id: i64,
    password_hash: &str,
) -> Result<bool, DbError> {
    let tx = c.transaction()?;
    let n = tx.execute(
        "UPDATE users SET password_hash = ?2 WHERE id = ?1",
        params![user_id, password_hash],
    )?;
    tx.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?;
    tx.commit()?;
    Ok(n == 1)
}

/// Deletes a user who owns no feed; `Ok(false)` if they still own one.
pub fn delete_user(c: &Connection, user_id: i64) -> Result<bool, DbError> {
    let owns: i64 = c.query_row(
        "SELECT count(*) FROM feeds WHERE owner_id = ?1",
        [user_id],
        |r| r.get(0),
    )?;
    if owns > 0 {
        return Ok(false);
    }
    c.execute("DELETE FROM users WHERE id = ?1", [user_id])?;
    Ok(true)
}

pub fn create_session(
    c: &Connection,
    id_hash: &[u8],
    user_id: i64,
    now: i64,
) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?3)",
        params![id_hash, user_id, now],
    )?;
    Ok(())
}

/// The user of a live session. A session is live if seen after `idle_cutoff` and created after
/// `absolute_cutoff`; `last_seen_at` is refreshed at most once a minute, to spare writes.
pub fn session_user(
    c: &Connection,
    id_hash: &[u8],
    now: i64,
    idle_cutoff: i64,
    absolute_cutoff: i64,
) -> Result<Option<UserRow>, DbError> {
    let found = c
        .query_row(
            "SELECT u.id, u.username, u.email, u.is_admin, u.created_at, s.last_seen_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = ?1 AND s.last_seen_at > ?2 AND s.created_at > ?3",
            params![id_hash, idle_cutoff, absolute_cutoff],
            |r| Ok((user_row(r)?, r.get::<_, i64>(5)?)),
        )
        .optional()?;
    let Some((user, last_seen)) = found else {
        return Ok(None);
    };
    if now - last_seen > 60_000 {
        c.execute(
            "UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1",
            params![id_hash, now],
        )?;
    }
    Ok(Some(user))
}

pub fn delete_session(c: &Connection, id_hash: &[u8]) -> Result<(), DbError> {
    c.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])?;
    Ok(())
}

pub fn delete_expired_sessions(
    c: &Connection,
    idle_cutoff: i64,
    absolute_cutoff: i64,
) -> Result<usize, DbError> {
    Ok(c.execute(
        "DELETE FROM sessions WHERE last_seen_at <= ?1 OR created_at <= ?2",
        params![idle_cutoff, absolute_cutoff],
    )?)
}

pub fn get_setting(c: &Connection, name: &str) -> Result<Option<String>, DbError> {
    Ok(
        c.query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?,
    )
}

pub fn put_setting(c: &Connection, name: &str, value: &str) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok(())
}

pub fn delete_setting(c: &Connection, name: &str) -> Result<bool, DbError> {
    Ok(c.execute("DELETE FROM settings WHERE name = ?1", [name])? == 1)
}
