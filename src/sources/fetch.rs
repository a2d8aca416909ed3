//! The upstream client of the polling sources: GETs of JSON documents under the same
//! `--allow-hosts` guard as deliveries (checked on the resolved address), with timeouts, a cap
//! on bodies, conditional requests, gzip bodies (NuGet's registration hives are stored
//! gzip-encoded) and a few requests in flight per source.
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::redirect::Policy;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::delivery::allow::AllowList;
use crate::delivery::resolver::{GuardedResolver, check_url};
use crate::delivery::senders::http_client::describe;

/// Largest document read: npm package documents of busy packages run to tens of MiB.
pub const MAX_DOCUMENT: usize = 32 * 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Requests one source has in flight at once: a good citizen upstream.
pub const PER_SOURCE_REQUESTS: usize = 4;
const USER_AGENT: &str = concat!("feedhooks/", env!("CARGO_PKG_VERSION"), " (source poller)");

/// Why an upstream request failed, in words an owner can act on.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("{0}")]
    Network(String),
    #[error("{url} answered {status} {reason}")]
    Status {
        url: String,
        status: u16,
        reason: String,
        /// The upstream's `Retry-After`, on 429 and 503.
        retry_after: Option<Duration>,
    },
    #[error("{url} sent more than {} MiB; a document that large is not read", MAX_DOCUMENT / 1024 / 1024)]
    TooLarge { url: String },
    #[error("{url} did not answer JSON this source can read: {message}")]
    Malformed { url: String, message: String },
}

impl FetchError {
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub fn malformed(url: &str, message: impl Into<String>) -> Self {
        FetchError::Malformed {
            url: url.to_owned(),
            message: message.into(),
        }
    }
}

/// The validators of a document, for a conditional request next time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

pub enum Fetched {
    /// 304: the document is as it was at `Validators`.
    NotModified,
    Fresh(Value, Validators),
}

/// Credentials sent with every request of one source.
#[derive(Clone, Default)]
pub struct Auth {
    headers: HeaderMap,
}

impl Auth {
    pub fn none() -> Self {
        Auth::default()
    }

    /// A header such as `X-NuGet-ApiKey`, or `Authorization`; marked sensitive so it is
    /// never printed in a debug dump.
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(mut v) = HeaderValue::from_str(value) {
            v.set_sensitive(true);
            self.headers.insert(name, v);
        }
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn basic(self, user: &str, password: &str) -> Self {
        use base64::Engine;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.header("authorization", &format!("Basic {encoded}"))
    }
}

/// The shared client (one connection pool for all sources).
#[derive(Clone)]
pub struct Upstream {
    client: reqwest::Client,
    allow: Arc<AllowList>,
    /// A whole request, connection included.
    timeout: Duration,
}

impl Upstream {
    /// `timeout` bounds each whole request (the server uses `--delivery-timeout`).
    pub fn new(
        allow: Arc<AllowList>,
        timeout: Duration,
        extra_roots: &[Vec<u8>],
    ) -> Result<Self, String> {
        let hop_allow = Arc::clone(&allow);
        // Feeds redirect (CDNs, canonical hosts): each hop is checked like the first one.
        let policy = Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                attempt.error("more than 5 redirects")
            } else if let Err(blocked) = check_url(&hop_allow, attempt.url()) {
                attempt.error(blocked)
            } else {
                attempt.follow()
            }
        });
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver::new(Arc::clone(&allow))))
            .redirect(policy)
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .user_agent(USER_AGENT);
        for pem in extra_roots {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| format!("a test root certificate is not PEM: {e}"))?;
            builder = builder.add_root_certificate(cert);
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        Ok(Upstream {
            client,
            allow,
            timeout,
        })
    }

    /// A session for one poll of one source: its credentials and its share of requests.
    pub fn session(&self, auth: Auth) -> Session {
        Session {
            upstream: self.clone(),
            auth,
            slots: Arc::new(Semaphore::new(PER_SOURCE_REQUESTS)),
        }
    }
}

#[derive(Clone)]
pub struct Session {
    upstream: Upstream,
    auth: Auth,
    slots: Arc<Semaphore>,
}

impl Session {
    /// GETs a JSON document.
    pub async fn json(&self, url: &str) -> Result<Value, FetchError> {
        match self.conditional(url, None).await? {
            Fetched::Fresh(v, _) => Ok(v),
            Fetched::NotModified => Err(FetchError::malformed(
                url,
                "answered 304 Not Modified to an unconditional request",
            )),
        }
    }

    /// GETs a JSON document, conditionally on `previous` when given.
    pub async fn conditional(
        &self,
        url: &str,
        previous: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        let Some((body, validators)) = self.body(url, previous, "application/json").await? else {
            return Ok(Fetched::NotModified);
        };
        let value: Value = serde_json::from_slice(&body).map_err(|e| {
            let message = if e.is_eof() {
                format!("the document ends early ({e}); was it cut off?")
            } else {
                e.to_string()
            };
            FetchError::malformed(url, message)
        })?;
        Ok(Fetched::Fresh(value, validators))
    }

    /// GETs a document that is not JSON (a .nuspec), whole or not at all.
    pub async fn bytes(&self, url: &str, accept: &str) -> Result<Vec<u8>, FetchError> {
        Ok(self
            .body(url, None, accept)
            .await?
            .map(|(body, _)| body)
            .unwrap_or_default())
    }

    /// The body of a GET (decompressed, capped), or `None` when it was not modified since
    /// `previous`.
    async fn body(
        &self,
        url: &str,
        previous: Option<&Validators>,
        accept: &str,
    ) -> Result<Option<(Vec<u8>, Validators)>, FetchError> {
        let parsed = url::Url::parse(url)
            .map_err(|e| FetchError::malformed(url, format!("bad URL: {e}")))?;
        if let Err(blocked) = check_url(&self.upstream.allow, &parsed) {
            return Err(FetchError::Network(blocked.to_string()));
        }
        let _slot = self.slots.acquire().await.expect("never closed");
        let mut request = self
            .upstream
            .client
            .get(parsed.clone())
            .headers(self.auth.headers.clone())
            .header(header::ACCEPT, accept);
        if let Some(v) = previous {
            if let Some(etag) = &v.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.network(&e, &parsed))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED && previous.is_some() {
            return Ok(None);
        }
        let headers = response.headers().clone();
        let text = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if !status.is_success() {
            let retry_after = text(header::RETRY_AFTER).and_then(|v| {
                crate::delivery::retry::parse_retry_after(&v, time::OffsetDateTime::now_utc())
            });
            return Err(FetchError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_owned(),
                retry_after,
            });
        }
        let gzip = text(header::CONTENT_ENCODING).is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
        let validators = Validators {
            etag: text(header::ETAG),
            last_modified: text(header::LAST_MODIFIED),
        };
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.network(&e, &parsed))?;
            if body.len() + chunk.len() > MAX_DOCUMENT {
                return Err(FetchError::TooLarge {
                    url: url.to_owned(),
                });
            }
            body.extend_from_slice(&chunk);
        }
        if gzip {
            body = gunzip(&body).map_err(|m| FetchError::malformed(url, m))?;
        }
        Ok(Some((body, validators)))
    }

    /// A request that failed on the way, in the words deliveries use.
    fn network(&self, e: &reqwest::Error, url: &url::Url) -> FetchError {
        let timeout = self.upstream.timeout;
        FetchError::Network(describe(e, url, CONNECT_TIMEOUT.min(timeout), timeout).message)
    }

    /// The size of a file (a .nupkg) from a HEAD request, when the server says.
    pub async fn size(&self, url: &str) -> Option<u64> {
        let parsed = url::Url::parse(url).ok()?;
        check_url(&self.upstream.allow, &parsed).ok()?;
        let _slot = self.slots.acquire().await.ok()?;
        let response = self
            .upstream
            .client
            .head(parsed)
            .headers(self.auth.headers.clone())
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        response
            .headers()
            .get(header::CONTENT_LENGTH)?
            .to_str()
            .ok()?
            .parse()
            .ok()
    }
}

/// Decompresses a gzip body, refusing one that expands past [`MAX_DOCUMENT`].
fn gunzip(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_DOCUMENT as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("the gzip body cannot be read: {e}"))?;
    if out.len() > MAX_DOCUMENT {
        return Err(format!(
            "the gzip body expands past {} MiB",
            MAX_DOCUMENT / 1024 / 1024
        ));
    }
    Ok(out)
}
