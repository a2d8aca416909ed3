//! The store: an r2d2 pool of SQLite connections and the functions that run SQL. Nothing outside
//! `db` sees a connection; callers use the functions named for what they do.
//!
//! Every call goes through [`Db::run`], which checks a connection out and runs the closure on
//! tokio's blocking pool, so no database call ever stalls an async worker thread.
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

mod migrations;

pub use migrations::schema_version_expected;

/// What can go wrong in the store. Callers map these to their own errors; the texts are for logs.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database {path}: {source}")]
    Open { path: String, source: r2d2::Error },
    #[error("cannot apply database migrations: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

impl DbError {
    /// True when the database is locked or busy past the busy timeout, or the disk is full:
    /// conditions that pass by themselves, which the API answers with 503 and Retry-After.
    pub fn is_transient(&self) -> bool {
        use rusqlite::ErrorCode::*;
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                matches!(
                    e.code,
                    DatabaseBusy | DatabaseLocked | DiskFull | SystemIoFailure
                )
            }
            DbError::Pool(_) => true,
            _ => false,
        }
    }
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<SqliteConnectionManager>,
    /// The busy writers (event writer, worker claims, attempt writer, retention) take turns here:
    /// SQLite's own busy handler makes a waiting writer sleep 1, 2, 5, 10 ms... unwoken.
    writer: Arc<Mutex<()>>,
    sync: SyncMode,
}

/// How a commit of accepted data (events, a source's progress) reaches the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SyncMode {
    /// The WAL is fsynced at each such commit: a 202 survives a power cut. Commits made while
    /// one waits share its fsync (the event writer batches requests: group commit).
    #[default]
    Full,
    /// As every other commit: durable across a crash of the process, not of the machine.
    Normal,
}

/// Prepared statements kept per connection: rusqlite's default of 16 is fewer than the hot
/// path uses (claim, fan-out, attempt records, bearer lookup), so they evicted each other and
/// were parsed again on every batch (about 5 % of the CPU in a profile).
const STATEMENT_CACHE: usize = 128;

/// Settings every connection gets: WAL lets readers run beside the one writer; NORMAL sync is
/// durable across process crashes in WAL mode (only a power loss can drop the last commits);
/// the busy timeout makes a second writer wait instead of failing at once. Checkpoints run in
/// the background ([`checkpoint`]), not in whichever commit crosses the threshold, and a WAL
/// file left larger than 64 MiB is cut back.
const CONNECTION_PRAGMAS: &str = "PRAGMA journal_mode = WAL;
     PRAGMA synchronous = NORMAL;
     PRAGMA foreign_keys = ON;
     PRAGMA busy_timeout = 5000;
     PRAGMA temp_store = MEMORY;
     PRAGMA cache_size = -16000;
     PRAGMA wal_autocheckpoint = 0;
     PRAGMA journal_size_limit = 67108864;";

impl Db {
    /// Opens (creating if needed) the database file and applies pending migrations. Blocking:
    /// called once at start-up from a blocking context.
    pub fn open(path: &Path) -> Result<Db, DbError> {
        let manager = SqliteConnectionManager::file(path).with_init(|c: &mut Connection| {
            c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            c.execute_batch(CONNECTION_PRAGMAS)
        });
        let pool = r2d2::Pool::builder()
            .max_size(8)
            // A checkout would run `SELECT 1`-like validation each time; a SQLite file does
            // not drop connections, and this one is on every request's path.
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(10))
            .build(manager)
            .map_err(|source| DbError::Open {
                path: path.display().to_string(),
                source,
            })?;
        let mut conn = pool.get()?;
        migrations::apply(&mut conn)?;
        Ok(Db {
            pool,
            writer: Arc::new(Mutex::new(())),
            sync: SyncMode::default(),
        })
    }

    /// The same store with accepted data committed as `sync` says.
    pub fn with_sync(mut self, sync: SyncMode) -> Db {
        self.sync = sync;
        self
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<F, T, E>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            f(&mut conn)
        })
        .await
        .map_err(DbError::from)?
    }

    /// Like [`Db::run`], for the frequent writers: they take turns on an in-process lock
    /// instead of in SQLite's sleeping busy handler.
    pub async fn write<F, T, E>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let writer = self.writer.clone();
        self.run(move |c| {
            let _turn = writer.lock().unwrap_or_else(|p| p.into_inner());
            f(c)
        })
        .await
    }

    /// [`Db::write`] for commits of accepted data: with [`SyncMode::Full`] the connection fsyncs
    /// the WAL when `f` commits, so what was answered as stored survives a power cut. Other
    /// writes (the delivery log, claims) stay at NORMAL: a log line lost to a power cut means
    /// an attempt made again, never an event lost.
    pub async fn write_accepted<F, T, E>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let full = self.sync == SyncMode::Full;
        self.write(move |c| {
            if !full {
                return f(c);
            }
            c.execute_batch("PRAGMA synchronous = FULL")
                .map_err(DbError::from)?;
            let out = f(c);
            // Back to the pool's setting whatever `f` did; a failure here leaves a connection
            // that only syncs more.
            let _ = c.execute_batch("PRAGMA synchronous = NORMAL");
            out
        })
        .await
    }
}

/// Readiness: the database answers and carries every migration this binary knows.
pub fn schema_version(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

pub mod attempts;
pub mod backup;
pub mod checkpoint;
pub mod claims;
pub mod codes;
pub mod credentials;
pub mod deliveries;
pub mod delivery_log;
pub mod digests;
pub mod event_detail;
pub mod events;
pub mod feeds;
pub mod hooks;
pub mod inbound_requests;
pub mod incidents;
pub mod replays;
pub mod sources;
pub mod stats;
pub mod users;
