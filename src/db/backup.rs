//! The SQL of backup files: a consistent copy of the live database that also carries the key
//! file's key in a table of its own, so one file restores a data dir whose secrets open.
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::DbError;

/// The table a backup keeps the key in; never present in a served database.
const KEY_TABLE: &str = "feedhooks_backup_key";

/// Opens a database file that must already exist; never creates one.
pub fn open_existing(path: &Path, read_only: bool) -> Result<Connection, DbError> {
    let mode = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    };
    let conn = Connection::open_with_flags(path, mode | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    Ok(conn)
}

/// `VACUUM INTO` reads one snapshot inside a read transaction, so the copy is consistent even
/// while the server writes; the copy is compact and needs no WAL file. `target` must be absent
/// or an empty file (which lets the caller create it with owner-only permissions first).
pub fn copy_into(source: &Connection, target: &str) -> Result<(), DbError> {
    source.execute("VACUUM INTO ?1", [target])?;
    Ok(())
}

/// Stores the key in a backup copy.
pub fn store_key(backup: &Connection, key: &[u8]) -> Result<(), DbError> {
    backup.execute_batch(&format!("CREATE TABLE {KEY_TABLE} (key BLOB NOT NULL);"))?;
    backup.execute(&format!("INSERT INTO {KEY_TABLE} (key) VALUES (?1)"), [key])?;
    Ok(())
}

/// The key a backup carries; None for a file that is not a backup with a key.
pub fn read_key(backup: &Connection) -> Result<Option<Vec<u8>>, DbError> {
    let has_table: bool = backup.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
        [KEY_TABLE],
        |r| r.get(0),
    )?;
    if !has_table {
        return Ok(None);
    }
    Ok(backup
        .query_row(&format!("SELECT key FROM {KEY_TABLE}"), [], |r| r.get(0))
        .optional()?)
}

/// Removes the key from a restored copy, overwriting its pages: the data dir keeps the key in
/// its key file, and a database copied on from there must not carry it.
pub fn drop_key(restored: &Connection) -> Result<(), DbError> {
    restored.execute_batch(&format!(
        "PRAGMA secure_delete = ON; DROP TABLE IF EXISTS {KEY_TABLE}; VACUUM;"
    ))?;
    Ok(())
}

/// SQLite's own check of the file's structure; Ok(None) when it is sound.
pub fn problems(conn: &Connection) -> Result<Option<String>, DbError> {
    let result: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    Ok((result != "ok").then_some(result))
}
