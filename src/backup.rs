//! `feedhooks backup FILE` and `feedhooks restore FILE`: one file holds a consistent copy of
//! the database and the key that opens its secrets, so a restored server works as the old one.
use std::fs;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::data_dir::{self, DATABASE_FILE, KEY_FILE, SecretKey};
use crate::db::{backup as sql, hooks::sealed_secrets};
use crate::domain::secret_box::SecretBox;

/// Writes the backup under a temporary name next to `target` and renames it when complete, so
/// a failure never leaves a file that looks like a backup. The file is owner-only (0600): it
/// holds the key.
pub fn write_backup(data_dir: &Path, target: &Path) -> anyhow::Result<()> {
    let source = data_dir.join(DATABASE_FILE);
    if !source.exists() {
        bail!("no database at {}", source.display());
    }
    let key = data_dir::read_key(data_dir)?
        .with_context(|| format!("no key file at {}", data_dir.join(KEY_FILE).display()))?;
    if target.exists() {
        bail!(
            "{} already exists; choose a new file name",
            target.display()
        );
    }
    let partial = sibling(target, ".partial")?;
    let written = write_partial(&source, &partial, &key).and_then(|()| {
        fs::rename(&partial, target)
            .with_context(|| format!("cannot write the backup to {}", target.display()))
    });
    if written.is_err() {
        let _ = fs::remove_file(&partial);
    }
    written?;
    eprintln!(
        "backup written to {} (mode 0600: it holds the key to the stored secrets)",
        target.display()
    );
    Ok(())
}

fn write_partial(source: &Path, partial: &Path, key: &SecretKey) -> anyhow::Result<()> {
    let cannot_write = || format!("cannot write the backup to {}", partial.display());
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(partial)
        .with_context(cannot_write)?;
    let partial_str = partial
        .to_str()
        .context("the backup file name must be valid UTF-8")?;
    let live = sql::open_existing(source, true)
        .with_context(|| format!("cannot open {}", source.display()))?;
    sql::copy_into(&live, partial_str).with_context(cannot_write)?;
    let copy = sql::open_existing(partial, false).with_context(cannot_write)?;
    sql::store_key(&copy, key.bytes()).with_context(cannot_write)?;
    drop(copy);
    fs::File::open(partial)
        .and_then(|f| f.sync_all())
        .with_context(cannot_write)?;
    Ok(())
}

/// Fills an empty (or absent) data dir from a backup: the database and its key file. Either
/// both are in place at the end or nothing is: files are written under temporary names and
/// renamed, and a failure removes what was written.
pub fn restore(backup: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let key = key_of_backup(backup)?;
    let created = prepare_empty_dir(data_dir)?;
    let restored = restore_into(backup, data_dir, &key);
    if restored.is_err() {
        for name in [DATABASE_FILE, KEY_FILE] {
            let _ = fs::remove_file(data_dir.join(name));
        }
        let _ = fs::remove_file(data_dir.join(format!("{DATABASE_FILE}.restoring")));
        if created {
            let _ = fs::remove_dir(data_dir);
        }
    }
    restored?;
    eprintln!(
        "restored {} into {}; start the server with --data-dir {}",
        backup.display(),
        data_dir.display(),
        data_dir.display()
    );
    Ok(())
}

/// Reads the key out of a backup, after checking the file is one and its secrets open with it.
fn key_of_backup(backup: &Path) -> anyhow::Result<SecretKey> {
    let not_a_backup = || format!("{} is not a feedhooks backup", backup.display());
    if !backup.is_file() {
        bail!("no backup file at {}", backup.display());
    }
    let conn = sql::open_existing(backup, true).with_context(not_a_backup)?;
    if let Some(problem) = sql::problems(&conn).with_context(not_a_backup)? {
        bail!("{} is damaged: {problem}", backup.display());
    }
    let bytes = sql::read_key(&conn).with_context(not_a_backup)?.with_context(|| {
        format!(
            "{} holds no key (a copy made without `feedhooks backup`?); copy it to {DATABASE_FILE} \
             in a data dir beside the {KEY_FILE} it was made with",
            backup.display()
        )
    })?;
    let key = SecretKey::from_bytes(&bytes)
        .with_context(|| format!("the key in {} is damaged", backup.display()))?;
    let check = SecretBox::new(&key).check(&sealed_secrets(&conn).with_context(not_a_backup)?);
    if check.wrong_key() {
        bail!(
            "the key in {} does not open its stored secrets; the file is damaged",
            backup.display()
        );
    }
    Ok(key)
}

/// Creates the data dir (0700) or accepts an existing empty one; true when it was created.
fn prepare_empty_dir(dir: &Path) -> anyhow::Result<bool> {
    if dir.exists() {
        let mut entries =
            fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "the data directory {} is not empty; restore fills a new or empty directory",
                dir.display()
            );
        }
        return Ok(false);
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    Ok(true)
}

fn restore_into(backup: &Path, data_dir: &Path, key: &SecretKey) -> anyhow::Result<()> {
    let restoring = data_dir.join(format!("{DATABASE_FILE}.restoring"));
    let cannot_write = || format!("cannot write to {}", data_dir.display());
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&restoring)
        .with_context(cannot_write)?;
    fs::copy(backup, &restoring).with_context(cannot_write)?;
    // fs::copy takes the source's mode; the database holds sealed secrets: owner only.
    fs::set_permissions(&restoring, fs::Permissions::from_mode(0o600))
        .with_context(cannot_write)?;
    let conn = sql::open_existing(&restoring, false).with_context(cannot_write)?;
    sql::drop_key(&conn).with_context(cannot_write)?;
    drop(conn);
    fs::File::open(&restoring)
        .and_then(|f| f.sync_all())
        .with_context(cannot_write)?;
    data_dir::write_key(data_dir, key)?;
    fs::rename(&restoring, data_dir.join(DATABASE_FILE)).with_context(cannot_write)?;
    Ok(())
}

/// `target` with `suffix` added to its file name, in the same directory (so a rename is atomic).
fn sibling(target: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let name = target
        .file_name()
        .with_context(|| format!("{} is not a file name", target.display()))?;
    let mut name = name.to_os_string();
    name.push(suffix);
    Ok(target.with_file_name(name))
}
