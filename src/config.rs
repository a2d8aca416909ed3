//! Settings: every flag of the command line, each also read from a `FEEDHOOKS_*` variable, and
//! validated before anything starts, so a bad value ends the process with one clear line.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::delivery::allow::AllowList;
use crate::delivery::retry::{DEFAULT_SCHEDULE, parse_schedule};

/// The settings shared by every command (clap `global`, so `feedhooks --listen X` and
/// `feedhooks serve --listen X` mean the same).
#[derive(Debug, Clone, clap::Args)]
pub struct SettingsArgs {
    /// Address of the web UI and the JSON API.
    #[arg(
        long,
        env = "FEEDHOOKS_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: SocketAddr,

    /// Directory holding the SQLite database and the secret key file; created on first start.
    #[arg(
        long,
        env = "FEEDHOOKS_DATA_DIR",
        default_value = "./feedhooks-data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Public URL of this server, used in links, feed URLs and cookies (https makes cookies
    /// Secure). Default: http://<listen>.
    #[arg(long, env = "FEEDHOOKS_BASE_URL", value_parser = parse_base_url, global = true)]
    pub base_url: Option<Url>,

    /// Where deliveries may go: comma list of external, private, loopback, *, CIDRs and host
    /// globs such as *.example.com.
    #[arg(
        long,
        env = "FEEDHOOKS_ALLOW_HOSTS",
        default_value = "external",
        global = true
    )]
    pub allow_hosts: AllowList,

    /// Delays between delivery attempts, e.g. 10s,1m,10m,1h; one attempt more than delays.
    #[arg(long, env = "FEEDHOOKS_RETRY_SCHEDULE", default_value = DEFAULT_SCHEDULE,
          value_parser = parse_retry_schedule, global = true)]
    pub retry_schedule: RetrySchedule,

    /// Whole-request timeout of one delivery attempt.
    #[arg(long, env = "FEEDHOOKS_DELIVERY_TIMEOUT", default_value = "15s",
          value_parser = parse_timeout, global = true)]
    pub delivery_timeout: Duration,

    /// Events and delivery logs older than this many days are pruned.
    #[arg(long, env = "FEEDHOOKS_RETENTION_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=36500), global = true)]
    pub retention_days: u32,
}

/// A parsed `--retry-schedule`; a newtype so clap treats it as one value, not a list.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrySchedule(pub Vec<Duration>);

fn parse_retry_schedule(s: &str) -> Result<RetrySchedule, String> {
    parse_schedule(s)
        .map(RetrySchedule)
        .map_err(|e| e.to_string())
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (try 15s or 1m)"))?;
    if d < Duration::from_millis(100) || d > Duration::from_secs(300) {
        return Err("must be between 100ms and 5m".into());
    }
    Ok(d)
}

fn parse_base_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s).map_err(|e| format!("{e} (try https://hooks.example.com)"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("must be an http or https URL with a host".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    Ok(url)
}

/// Validated settings, as the application uses them.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// None: derived from the bound address once it is known (port 0 in tests).
    pub base_url: Option<Url>,
    pub allow_hosts: AllowList,
    pub retry_schedule: Vec<Duration>,
    pub delivery_timeout: Duration,
    pub retention_days: u32,
    /// Extra trusted root certificates (PEM) for deliveries; tests use their own CA. Not a flag.
    pub extra_root_certs: Vec<Vec<u8>>,
}

impl From<SettingsArgs> for Settings {
    fn from(a: SettingsArgs) -> Self {
        Settings {
            listen: a.listen,
            data_dir: a.data_dir,
            base_url: a.base_url,
            allow_hosts: a.allow_hosts,
            retry_schedule: a.retry_schedule.0,
            delivery_timeout: a.delivery_timeout,
            retention_days: a.retention_days,
            extra_root_certs: Vec::new(),
        }
    }
}

impl Settings {
    /// Defaults for a server on `listen` with its data in `data_dir`; what tests start from.
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> Self {
        Settings {
            listen,
            data_dir,
            base_url: None,
            allow_hosts: "external".parse().expect("the default allow list parses"),
            retry_schedule: parse_schedule(DEFAULT_SCHEDULE).expect("the default schedule parses"),
            delivery_timeout: Duration::from_secs(15),
            retention_days: 30,
            extra_root_certs: Vec::new(),
        }
    }
}
