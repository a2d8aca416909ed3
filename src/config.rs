//! Settings: every flag of the command line, each also read from a `FEEDHOOKS_*` variable, and
//! validated before anything starts, so a bad value ends the process with one clear line.
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use url::Url;

use crate::delivery::allow::AllowList;
use crate::delivery::mailer::SmtpUrl;
use crate::delivery::retry::{DEFAULT_SCHEDULE, parse_schedule};

/// The one setting every command uses (clap `global`, so it may come before or after the
/// subcommand).
#[derive(Debug, Clone, clap::Args)]
pub struct DataDirArg {
    /// Directory holding the SQLite database and the secret key file; `serve` creates it on
    /// first start, the other commands need it to exist.
    #[arg(
        long,
        env = "FEEDHOOKS_DATA_DIR",
        default_value = "./feedhooks-data",
        global = true
    )]
    pub data_dir: PathBuf,
}

/// The settings of the server: on `serve` and on the bare `feedhooks` that means `serve`, and
/// shown in no other command's `--help`.
#[derive(Debug, Clone, clap::Args)]
pub struct SettingsArgs {
    /// Address of the web UI and the JSON API.
    #[arg(long, env = "FEEDHOOKS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Public URL of this server, used in links, feed URLs and cookies (https makes cookies
    /// Secure). Default: http://<listen>.
    #[arg(long, env = "FEEDHOOKS_BASE_URL", value_parser = parse_base_url)]
    pub base_url: Option<Url>,

    /// Where deliveries may go: comma list of external, private, loopback, *, CIDRs and host
    /// globs such as *.example.com.
    #[arg(long, env = "FEEDHOOKS_ALLOW_HOSTS", default_value = "external")]
    pub allow_hosts: AllowList,

    /// Delays between delivery attempts, e.g. 10s,1m,10m,1h; one attempt more than delays.
    #[arg(long, env = "FEEDHOOKS_RETRY_SCHEDULE", default_value = DEFAULT_SCHEDULE,
          value_parser = parse_retry_schedule)]
    pub retry_schedule: RetrySchedule,

    /// Whole-request timeout of one delivery attempt.
    #[arg(long, env = "FEEDHOOKS_DELIVERY_TIMEOUT", default_value = "15s",
          value_parser = parse_timeout)]
    pub delivery_timeout: Duration,

    /// Events and delivery logs older than this many days are pruned.
    #[arg(long, env = "FEEDHOOKS_RETENTION_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub retention_days: u32,

    /// Reverse proxies whose X-Forwarded-For is believed: comma list of addresses and CIDRs
    /// (e.g. 127.0.0.1,10.0.0.0/8). The client address they report is the one login
    /// throttling counts and logs show. Default: none, the TCP peer is the client.
    #[arg(long, env = "FEEDHOOKS_TRUSTED_PROXIES", default_value = "",
          value_parser = parse_trusted_proxies)]
    pub trusted_proxies: TrustedProxies,

    /// How accepted events reach the disk: full fsyncs each commit of them (group commit shares
    /// it), so a 202 survives a power cut; normal is faster and survives a crash of the
    /// process, but a power cut can lose the last events answered 202.
    #[arg(long, env = "FEEDHOOKS_SYNC", value_enum, default_value = "full")]
    pub sync: crate::db::SyncMode,

    /// The server's own mail (alerts to feed owners): smtp://user:pass@host:587?tls=starttls,
    /// smtps://user:pass@host, smtp://host:25. Default: none, alerts go only to alert hooks.
    #[arg(long, env = "FEEDHOOKS_SMTP_URL", value_parser = SmtpUrl::parse, hide_env_values = true)]
    pub smtp_url: Option<SmtpUrl>,

    /// Sender address of the server's own mail; needed with --smtp-url.
    #[arg(long, env = "FEEDHOOKS_MAIL_FROM")]
    pub mail_from: Option<String>,

    /// A hook whose oldest pending delivery is older than this alerts its feed's owners.
    #[arg(long, env = "FEEDHOOKS_ALERT_AFTER", default_value = "1h", value_parser = parse_alert_after)]
    pub alert_after: Duration,
}

fn parse_alert_after(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (try 1h or 30m)"))?;
    if d < Duration::from_secs(1) || d > Duration::from_secs(30 * 86_400) {
        return Err("must be between 1s and 30 days".into());
    }
    Ok(d)
}

/// A parsed `--trusted-proxies`; a newtype so clap treats the comma list as one value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}

fn parse_trusted_proxies(s: &str) -> Result<TrustedProxies, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<IpNet>()
                .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{p:?} is not an address or CIDR (try 10.0.0.0/8)"))
        })
        .collect::<Result<_, _>>()
        .map(TrustedProxies)
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
    pub trusted_proxies: TrustedProxies,
    pub sync: crate::db::SyncMode,
    pub smtp_url: Option<SmtpUrl>,
    pub mail_from: Option<String>,
    pub alert_after: Duration,
    /// How often hooks are checked for incidents (alerts); not a flag, tests shorten it.
    pub alert_check_every: Duration,
    /// Extra trusted root certificates (PEM) for deliveries; tests use their own CA. Not a flag.
    pub extra_root_certs: Vec<Vec<u8>>,
}

impl Settings {
    pub fn from_args(data_dir: PathBuf, a: SettingsArgs) -> Self {
        Settings {
            listen: a.listen,
            data_dir,
            base_url: a.base_url,
            allow_hosts: a.allow_hosts,
            retry_schedule: a.retry_schedule.0,
            delivery_timeout: a.delivery_timeout,
            retention_days: a.retention_days,
            trusted_proxies: a.trusted_proxies,
            sync: a.sync,
            smtp_url: a.smtp_url,
            mail_from: a.mail_from,
            alert_after: a.alert_after,
            alert_check_every: Duration::from_secs(10),
            extra_root_certs: Vec::new(),
        }
    }

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
            trusted_proxies: TrustedProxies::default(),
            sync: crate::db::SyncMode::default(),
            smtp_url: None,
            mail_from: None,
            alert_after: Duration::from_secs(3600),
            alert_check_every: Duration::from_secs(10),
            extra_root_certs: Vec::new(),
        }
    }
}
