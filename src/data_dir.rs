//! The data directory: the database file and the secret key file, created on first start.
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

pub const DATABASE_FILE: &str = "feedhooks.db";
pub const KEY_FILE: &str = "secret.key";
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("cannot create the data directory {path}: {source}")]
    Create { path: PathBuf, source: io::Error },
    #[error("the data directory {path} is not writable: {source}")]
    NotWritable { path: PathBuf, source: io::Error },
    #[error("cannot read the key file {path}: {source}")]
    ReadKey { path: PathBuf, source: io::Error },
    #[error("another feedhooks server is using the data directory {path}")]
    Locked { path: PathBuf },
    #[error("the key file {path} is damaged: expected {KEY_LEN} bytes, found {found}")]
    BadKey { path: PathBuf, found: usize },
    #[error(
        "the data directory {path} does not exist (set --data-dir or FEEDHOOKS_DATA_DIR to the server's)"
    )]
    Missing { path: PathBuf },
}

/// The server's secret: 32 random bytes from the key file. Purpose-specific keys are derived
/// from it so a cookie-signing key can never decrypt a stored secret.
#[derive(Clone)]
pub struct SecretKey([u8; KEY_LEN]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    /// HMAC-SHA256(key, purpose): an independent 32-byte key for each use.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The raw key, for a backup file that must carry it.
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// A key read from a backup; None unless it has the key file's length.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(SecretKey)
    }

    #[cfg(test)]
    pub fn for_tests(bytes: [u8; KEY_LEN]) -> Self {
        SecretKey(bytes)
    }
}

/// Takes the data dir for this process: one server per data dir, since the worker releases
/// every claimed delivery at start-up. The lock lasts as long as the returned file is open.
pub fn lock(dir: &Path) -> Result<fs::File, DataDirError> {
    let path = dir.join("server.lock");
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| DataDirError::NotWritable {
            path: dir.into(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(_) => Err(DataDirError::Locked { path: dir.into() }),
    }
}

/// Creates the directory (mode 0700) if needed and loads or creates the key file (mode 0600).
pub fn prepare(dir: &Path) -> Result<SecretKey, DataDirError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| DataDirError::Create {
            path: dir.into(),
            source,
        })?;
    match read_key(dir)? {
        Some(key) => Ok(key),
        None => create_key(dir, &dir.join(KEY_FILE), None),
    }
}

/// For the commands other than `serve`: the data dir must already exist, since one made here
/// by a command run in the wrong directory would only hide the real one.
pub fn existing(dir: &Path) -> Result<(), DataDirError> {
    if dir.is_dir() {
        Ok(())
    } else {
        Err(DataDirError::Missing { path: dir.into() })
    }
}

/// The key file's key; None when there is no key file yet.
pub fn read_key(dir: &Path) -> Result<Option<SecretKey>, DataDirError> {
    let path = dir.join(KEY_FILE);
    match fs::File::open(&path) {
        Ok(mut file) => {
            let mut bytes = Vec::with_capacity(KEY_LEN);
            file.read_to_end(&mut bytes)
                .map_err(|source| DataDirError::ReadKey {
                    path: path.clone(),
                    source,
                })?;
            let key: [u8; KEY_LEN] =
                bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| DataDirError::BadKey {
                        path: path.clone(),
                        found: bytes.len(),
                    })?;
            tighten_permissions(&path);
            Ok(Some(SecretKey(key)))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(DataDirError::ReadKey { path, source }),
    }
}

/// Writes a key restored from a backup as the key file of `dir`.
pub fn write_key(dir: &Path, key: &SecretKey) -> Result<(), DataDirError> {
    create_key(dir, &dir.join(KEY_FILE), Some(key.clone())).map(|_| ())
}

/// Writes `given`, or a new random key, as the key file.
fn create_key(
    dir: &Path,
    path: &Path,
    given: Option<SecretKey>,
) -> Result<SecretKey, DataDirError> {
    let key = given.map(|k| k.0).unwrap_or_else(|| {
        let mut key = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut key);
        key
    });
    // Written to a temporary name and renamed, so a crash never leaves a short key behind.
    let tmp = dir.join(format!("{KEY_FILE}.tmp"));
    let not_writable = |source| DataDirError::NotWritable {
        path: dir.into(),
        source,
    };
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(not_writable)?;
    file.write_all(&key)
        .and_then(|_| file.sync_all())
        .map_err(not_writable)?;
    fs::rename(&tmp, path).map_err(not_writable)?;
    Ok(SecretKey(key))
}

/// A key file copied around by hand may have lost its mode; put it back to owner-only.
fn tighten_permissions(path: &Path) {
    if let Ok(meta) = fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "key file was readable by others; setting mode 0600");
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o600));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_an_owner_only_key_once_and_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested/data");
        let first = prepare(&data).unwrap();
        let mode = fs::metadata(data.join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = prepare(&data).unwrap();
        assert_eq!(first.0, second.0);
        assert_ne!(first.derive("a"), first.derive("b"));
    }

    #[test]
    fn a_truncated_key_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(KEY_FILE), b"short").unwrap();
        let err = prepare(dir.path()).unwrap_err();
        assert!(err.to_string().contains("damaged"), "{err}");
    }
}
