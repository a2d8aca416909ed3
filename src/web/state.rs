//! What every request handler needs, built by `app` at start-up and handed to each handler by
//! actix: the store, the settings, and the domain's long-lived services.
use url::Url;

use crate::config::Settings;
use crate::data_dir::SecretKey;
use crate::db::Db;
use crate::delivery::metrics::Metrics;
use crate::domain::event_writer::EventWriter;
use crate::domain::secret_box::SecretBox;
use crate::domain::throttle::LoginThrottle;
use crate::domain::wake::Wake;
use crate::sources::poller::Poller;
use std::sync::Arc;

/// Everything a request handler or background task needs, passed explicitly.
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub key: SecretKey,
    /// The public URL, without a trailing slash.
    pub base_url: Url,
    pub throttle: LoginThrottle,
    /// Stores accepted events with their deliveries (group commit).
    pub events: EventWriter,
    /// Wakes the delivery worker when new deliveries are due now.
    pub wake: Wake,
    /// Seals and opens stored hook secrets.
    pub secrets: SecretBox,
    pub metrics: Arc<Metrics>,
    /// Polls the feeds' polling sources; pages and API ask it for "poll now".
    pub poller: Arc<Poller>,
    /// The poller's doorbell: the domain rings it when a source may be due now.
    pub sources_due: Wake,
    /// The replay pacer's doorbell: rung when a replay starts.
    pub replays_due: Wake,
}

impl AppState {
    /// An absolute URL for a path of this server, for links that leave the browser (logs, e-mails).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path)
    }

    pub fn cookies_secure(&self) -> bool {
        self.base_url.scheme() == "https"
    }
}
