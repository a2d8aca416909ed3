//! Start-up and shutdown: data dir, database, listener, HTTP server and background tasks.
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::Settings;
use crate::data_dir::{self, DATABASE_FILE, DataDirError, SecretKey};
use crate::db::claims::release_claims;
use crate::db::hooks::sealed_secrets;
use crate::db::{Db, DbError};
use crate::delivery::alerter::Alerter;
use crate::delivery::attempt_writer::AttemptWriter;
use crate::delivery::mailer::Mailer;
use crate::delivery::metrics::Metrics;
use crate::delivery::retry::RetryPolicy;
use crate::delivery::senders::SendContext;
use crate::delivery::worker::Worker;
use crate::domain::accounts;
use crate::domain::event_writer::EventWriter;
use crate::domain::secret_box::SecretBox;
use crate::domain::throttle::LoginThrottle;
use crate::domain::time::now_ms;
use crate::domain::wake::Wake;
use crate::sources::fetch::Upstream;
use crate::sources::poller::Poller;
use crate::web::state::AppState;

/// Why the server could not start; each prints as one line naming the cause.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot set up the delivery HTTP client: {0}")]
    Client(String),
    #[error("the server's own mail: {0}")]
    Mail(String),
    #[error("cannot prepare the first-start setup link: {0}")]
    Setup(crate::domain::DomainError),
    #[error(
        "the key file {key} does not open the secrets stored in {database}: put back the {key_name} \
         this database was made with, or restore both from a backup with `feedhooks restore FILE` \
         into an empty data dir",
        key_name = data_dir::KEY_FILE
    )]
    WrongKey {
        key: std::path::PathBuf,
        database: std::path::PathBuf,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    stop: CancellationToken,
    worker: Arc<Worker>,
    attempt_writer: tokio::task::JoinHandle<()>,
    alerter: Alerter,
    /// Held for the life of the server: one server per data dir.
    _lock: std::fs::File,
}

/// How long in-flight requests get to finish once shutdown starts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

impl Application {
    /// Prepares the data dir, opens and migrates the database and binds the listener (port 0
    /// picks a free port, which tests read back with [`Application::port`]).
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let (db, key, lock) = open_store(&settings).await?;
        let addr = settings.listen;
        let bind_error = |source| StartError::Bind { addr, source };
        let listener = TcpListener::bind(addr).map_err(bind_error)?;
        let local = listener.local_addr().map_err(bind_error)?;
        let base_url = match &settings.base_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{local}")).expect("a socket address forms a URL"),
        };
        announce_setup_link(&db, &base_url).await?;
        resume_claims(&db).await?;
        let (state, worker, attempt_writer, alerter) = services(db, key, settings, base_url)?;
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .configure(crate::web::routes)
        })
        .listen(listener)
        .map_err(bind_error)?
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .run();

        Ok(Application {
            port: local.port(),
            server,
            state,
            stop: CancellationToken::new(),
            worker,
            attempt_writer,
            alerter,
            _lock: lock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone().into_inner()
    }

    /// Cancelling this token shuts the application down as a signal would.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Serves until SIGINT, SIGTERM or the stop token: then stops accepting, lets running
    /// requests finish within the grace period, and returns.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let stop = self.stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown_signal() => tracing::info!("shutdown signal received; finishing running requests"),
                _ = stop.cancelled() => {}
            }
            handle.stop(true).await;
        });
        let background = CancellationToken::new();
        let worker = tokio::spawn(self.worker.clone().run(background.clone(), SHUTDOWN_GRACE));
        let checkpoints = tokio::spawn(crate::db::checkpoint::run(
            self.state.db.clone(),
            background.clone(),
        ));
        let poller = tokio::spawn(self.state.poller.clone().run(background.clone()));
        let retention = tokio::spawn(crate::delivery::retention::run(
            self.state.db.clone(),
            self.state.settings.retention_days,
            background.clone(),
        ));
        let replayer = tokio::spawn(crate::delivery::replayer::run(
            self.state.db.clone(),
            self.state.replays_due.clone(),
            self.state.wake.clone(),
            background.clone(),
        ));
        let digester = tokio::spawn(crate::delivery::digester::run(
            self.state.db.clone(),
            self.state
                .base_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            self.state.wake.clone(),
            background.clone(),
        ));
        let alerter = tokio::spawn(
            self.alerter
                .run(self.state.settings.alert_check_every, background.clone()),
        );
        tracing::info!(url = %self.state.base_url, "feedhooks is listening");
        let served = self.server.await;
        self.stop.cancel();
        // Requests are done; now the worker stops claiming and lets attempts in flight finish.
        background.cancel();
        let _ = worker.await;
        let _ = retention.await;
        let _ = replayer.await;
        let _ = digester.await;
        let _ = alerter.await;
        let _ = poller.await;
        let _ = checkpoints.await;
        drop(self.worker);
        // The attempt_writer ends once the last attempt's result is written.
        if tokio::time::timeout(Duration::from_secs(10), self.attempt_writer)
            .await
            .is_err()
        {
            tracing::warn!(
                "some attempt results were not recorded; those deliveries are retried after the next start"
            );
        }
        tracing::info!("stopped");
        Ok(served?)
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            },
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Prepares and locks the data dir, and opens and migrates the database with its key;
/// refuses a database whose sealed secrets the key file cannot open (a backup restored
/// without its key), removing a key made just now so it is not mistaken for the real one.
async fn open_store(settings: &Settings) -> Result<(Db, SecretKey, std::fs::File), StartError> {
    let key_path = settings.data_dir.join(data_dir::KEY_FILE);
    let new_key = !key_path.exists();
    let key = data_dir::prepare(&settings.data_dir)?;
    let lock = data_dir::lock(&settings.data_dir)?;
    let db_path = settings.data_dir.join(DATABASE_FILE);
    let db = {
        let db_path = db_path.clone();
        tokio::task::spawn_blocking(move || Db::open(&db_path))
            .await
            .map_err(DbError::from)??
            .with_sync(settings.sync)
    };
    let check = SecretBox::new(&key).check(&db.run(|c| sealed_secrets(c)).await?);
    if check.wrong_key() {
        if new_key {
            let _ = std::fs::remove_file(&key_path);
        }
        return Err(StartError::WrongKey {
            key: key_path,
            database: db_path,
        });
    }
    if !check.unopenable.is_empty() {
        tracing::warn!(hooks = ?check.unopenable, "the key file does not open these hooks' secrets; they are marked broken until their secrets are entered again");
    }
    Ok((db, key, lock))
}

/// With no user yet, logs the one-time link that creates the first administrator.
async fn announce_setup_link(db: &Db, base_url: &Url) -> Result<(), StartError> {
    if let Some(token) = accounts::issue_setup_token(db)
        .await
        .map_err(StartError::Setup)?
    {
        let url = format!(
            "{}/setup?token={token}",
            base_url.as_str().trim_end_matches('/')
        );
        tracing::warn!(%url, "no user exists yet: open this one-time link to create the first administrator");
    }
    Ok(())
}

/// The previous process is gone (we hold the lock): its claims are due again now.
async fn resume_claims(db: &Db) -> Result<(), StartError> {
    let released = db.run(|c| release_claims(c, now_ms())).await?;
    if released > 0 {
        tracing::info!(
            deliveries = released,
            "resuming deliveries that were in flight when the server last stopped"
        );
    }
    Ok(())
}

/// What [`services`] starts: the handlers' state, the worker, and the attempt writer's task.
type Services = (
    web::Data<AppState>,
    Arc<Worker>,
    tokio::task::JoinHandle<()>,
    Alerter,
);

/// The long-lived services and the state handlers share: event writer, delivery worker with
/// its attempt writer, and the source poller, wired to their doorbells.
fn services(
    db: Db,
    key: SecretKey,
    settings: Settings,
    base_url: Url,
) -> Result<Services, StartError> {
    let secrets = SecretBox::new(&key);
    let wake = Wake::default();
    let events = EventWriter::start(db.clone(), wake.clone());
    let metrics = Arc::new(Metrics::default());
    let allow = Arc::new(settings.allow_hosts.clone());
    let ctx = SendContext::try_new(
        allow.clone(),
        settings.delivery_timeout,
        settings.extra_root_certs.clone(),
    )
    .map_err(StartError::Client)?
    .with_base_url(base_url.as_str());
    let upstream = Upstream::new(allow, settings.delivery_timeout, &settings.extra_root_certs)
        .map_err(StartError::Client)?;
    let sources_due = Wake::default();
    let poller = Arc::new(Poller::new(
        db.clone(),
        secrets.clone(),
        wake.clone(),
        sources_due.clone(),
        upstream,
        base_url.as_str(),
    ));
    let mailer = match (&settings.smtp_url, &settings.mail_from) {
        (Some(url), Some(from)) => Some(
            Mailer::new(
                url.clone(),
                from,
                settings.extra_root_certs.clone(),
                settings.delivery_timeout,
            )
            .map_err(StartError::Mail)?,
        ),
        (Some(_), None) => {
            return Err(StartError::Mail(
                "--smtp-url needs --mail-from, the address alerts are sent from".into(),
            ));
        }
        (None, _) => {
            // Said once here, so an owner wondering why no alert mail came finds the cause.
            tracing::info!(
                "no --smtp-url: alert e-mails are skipped; alerts go only to alert hooks"
            );
            None
        }
    };
    let alerter = Alerter {
        db: db.clone(),
        secrets: secrets.clone(),
        ctx: ctx.clone(),
        mailer,
        base_url: base_url.as_str().trim_end_matches('/').to_owned(),
        alert_after: settings.alert_after,
    };
    let (attempt_writer, attempt_writer_task) =
        AttemptWriter::start(db.clone(), wake.clone(), metrics.clone());
    let worker = Arc::new(Worker::new(
        db.clone(),
        secrets.clone(),
        ctx,
        RetryPolicy::new(settings.retry_schedule.clone()),
        wake.clone(),
        attempt_writer,
        metrics.clone(),
    ));
    let state = web::Data::new(AppState {
        db,
        settings,
        key,
        base_url,
        throttle: LoginThrottle::default(),
        events,
        wake,
        secrets,
        metrics,
        poller,
        sources_due,
        replays_due: Wake::default(),
    });
    Ok((state, worker, attempt_writer_task, alerter))
}
