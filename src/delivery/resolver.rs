//! Enforcing `--allow-hosts` when a delivery connects.
//!
//! Checking a hook's URL when it is saved is not enough: its name can resolve to 127.0.0.1 later
//! (DNS rebinding), or always did. So the HTTP client resolves names through `GuardedResolver`,
//! which drops every address the allow list refuses, and the addresses it hands to the connector
//! are the very ones connected to. URLs with an IP literal host never reach a resolver; callers
//! check those with `check_url` before sending.
//!
//! Callers must also build the client with `.no_proxy()` (through a proxy, only the proxy's name
//! would be resolved here) and check every redirect hop with `check_url`, or follow none.

use std::error::Error;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::allow::AllowList;

/// A delivery target refused by `--allow-hosts`. Found in a reqwest error's `source()` chain
/// (see `find_blocked`), it marks the attempt's error as kind `blocked`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedAddress {
    /// The host as written in the URL.
    pub host: String,
    /// The refused addresses it stands for (several when a name resolves to many).
    pub addresses: Vec<IpAddr>,
    /// The policy in force, as given to `--allow-hosts`.
    pub allowed: String,
}

impl fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addrs: Vec<String> = self.addresses.iter().map(IpAddr::to_string).collect();
        let is_literal = self.addresses.len() == 1
            && self
                .host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok();
        if is_literal {
            write!(f, "{} is a blocked address", addrs.join(", "))?;
        } else {
            write!(
                f,
                "{} resolves only to blocked addresses ({})",
                self.host,
                addrs.join(", ")
            )?;
        }
        write!(f, "; --allow-hosts is \"{}\"", self.allowed)
    }
}

impl Error for BlockedAddress {}

/// Finds a `BlockedAddress` in an error's `source()` chain, e.g. of a `reqwest::Error`.
/// `std::io::Error` hides its payload from `source()`, so those are opened by hand.
pub fn find_blocked<'a>(err: &'a (dyn Error + 'static)) -> Option<&'a BlockedAddress> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(b) = e.downcast_ref::<BlockedAddress>() {
            return Some(b);
        }
        if let Some(b) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<BlockedAddress>())
        {
            return Some(b);
        }
        current = e.source();
    }
    None
}

/// Refuses URLs whose host is an IP literal the allow list does not allow. Names pass here:
/// the resolver judges what they resolve to. The `url` crate has already turned spellings like
/// `http://2130706433/` or `http://0177.0.0.1/` into `127.0.0.1`, so those are caught too.
pub fn check_url(allow: &AllowList, url: &url::Url) -> Result<(), BlockedAddress> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(_)) | None => return Ok(()),
    };
    let host = url.host_str().unwrap_or_default();
    if allow.allows(host, ip) {
        Ok(())
    } else {
        Err(BlockedAddress {
            host: host.to_owned(),
            addresses: vec![ip],
            allowed: allow.to_string(),
        })
    }
}

/// A reqwest resolver that keeps only the addresses `--allow-hosts` allows.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    allow: Arc<AllowList>,
}

impl GuardedResolver {
    pub fn new(allow: Arc<AllowList>) -> Self {
        Self { allow }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = Arc::clone(&self.allow);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            // Port 0: hyper's connector puts the URL's port on each address it gets back.
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let (allowed, blocked): (Vec<_>, Vec<_>) =
                resolved.partition(|addr| allow.allows(&host, addr.ip()));
            if allowed.is_empty() && blocked.is_empty() {
                // Not a policy matter: the name exists without addresses. Report it as DNS.
                let msg = format!("{host} resolves to no addresses");
                return Err(std::io::Error::new(std::io::ErrorKind::NotFound, msg).into());
            }
            if allowed.is_empty() {
                let mut addresses: Vec<IpAddr> = blocked.iter().map(|a| a.ip()).collect();
                addresses.sort_unstable();
                addresses.dedup();
                return Err(BlockedAddress {
                    host,
                    addresses,
                    allowed: allow.to_string(),
                }
                .into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn list(s: &str) -> AllowList {
        s.parse().unwrap()
    }

    #[test]
    fn check_url_blocks_ip_literals_in_any_spelling() {
        let external = list("external");
        let blocked = [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f.1/",
            "http://127.1:8080/x",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://0.0.0.0/",
            "http://10.0.0.1/",
        ];
        for u in blocked {
            let url = url::Url::parse(u).unwrap();
            let err = check_url(&external, &url).expect_err(u);
            assert!(err.to_string().contains("blocked address"), "{u}: {err}");
        }
        let err =
            check_url(&external, &url::Url::parse("http://2130706433/").unwrap()).unwrap_err();
        assert_eq!(err.addresses, vec!["127.0.0.1".parse::<IpAddr>().unwrap()]);
        for u in [
            "https://93.184.215.14/",
            "https://hooks.example.com/",
            "http://localhost/",
        ] {
            assert_eq!(
                check_url(&external, &url::Url::parse(u).unwrap()),
                Ok(()),
                "{u}"
            );
        }
        let loopback = list("loopback");
        assert_eq!(
            check_url(&loopback, &url::Url::parse("http://0177.0.0.1/").unwrap()),
            Ok(())
        );
        assert_eq!(
            check_url(&loopback, &url::Url::parse("http://[::1]:9/").unwrap()),
            Ok(())
        );
    }

    #[test]
    fn finds_blocked_behind_io_errors() {
        let b = BlockedAddress {
            host: "h".into(),
            addresses: vec![],
            allowed: "external".into(),
        };
        let io = std::io::Error::other(b.clone());
        assert_eq!(find_blocked(&io), Some(&b));
        assert_eq!(find_blocked(&std::io::Error::other("nope")), None);
    }

    fn client(allow: &str) -> reqwest::Client {
        reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver::new(Arc::new(list(allow)))))
            .no_proxy()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap()
    }

    /// A one-request HTTP server on 127.0.0.1, on a plain thread so the test needs no tokio
    /// I/O features. Returns its port.
    fn serve_once() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
            }
        });
        port
    }

    #[tokio::test]
    async fn refuses_names_resolving_to_loopback_under_external() {
        let port = serve_once();
        let err = client("external")
            .get(format!("http://localhost:{port}/"))
            .send()
            .await
            .expect_err("localhost must be refused under `external`");
        let blocked = find_blocked(&err).expect("a BlockedAddress in the source chain");
        assert_eq!(blocked.host, "localhost");
        assert!(
            blocked.addresses.iter().all(|a| a.is_loopback()),
            "{blocked:?}"
        );
        assert!(
            blocked
                .to_string()
                .contains("localhost resolves only to blocked addresses")
        );
        // Unblock the listener thread's accept() so it ends.
        let _ = std::net::TcpStream::connect(("127.0.0.1", port));
    }

    #[tokio::test]
    async fn reaches_loopback_when_allowed() {
        let port = serve_once();
        let resp = client("loopback")
            .get(format!("http://localhost:{port}/"))
            .send()
            .await
            .expect("localhost is allowed under `loopback`");
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), "ok");
    }
}
