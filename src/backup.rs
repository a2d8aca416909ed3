//! `feedhooks backup FILE`: a consistent copy of a live database.
use std::path::Path;

use anyhow::{Context, bail};

use crate::data_dir::DATABASE_FILE;

/// `VACUUM INTO` reads one snapshot of the database inside a read transaction, so the copy is
/// consistent even while the server writes; the copy is compact and needs no WAL file.
pub fn write_backup(data_dir: &Path, target: &Path) -> anyhow::Result<()> {
    let source = data_dir.join(DATABASE_FILE);
    if !source.exists() {
        bail!("no database at {}", source.display());
    }
    if target.exists() {
        bail!(
            "{} already exists; choose a new file name",
            target.display()
        );
    }
    let target_str = target
        .to_str()
        .context("the backup file name must be valid UTF-8")?;
    let conn =
        rusqlite::Connection::open_with_flags(&source, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("cannot open {}", source.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.execute("VACUUM INTO ?1", [target_str])
        .with_context(|| format!("cannot write the backup to {}", target.display()))?;
    eprintln!("backup written to {}", target.display());
    Ok(())
}
