//! The client's address: the TCP peer, or, when the peer is a trusted reverse proxy
//! (`--trusted-proxies`), the address it reports in `X-Forwarded-For`. Login throttling counts
//! by it and the request log shows it.
use std::net::IpAddr;

use actix_web::http::header::HeaderMap;
use actix_web::web;

use crate::config::TrustedProxies;
use crate::web::state::AppState;

/// Walks `X-Forwarded-For` from the right (the hop nearest to us) while the hop that reported
/// it is trusted; the first address added by an untrusted hop is the client. A client can
/// prepend anything it likes to the header, so only the entries trusted proxies appended count.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        if !trusted.contains(client) {
            break;
        }
        match hop.parse::<IpAddr>() {
            Ok(ip) => client = ip,
            Err(_) => break,
        }
    }
    client
}

/// The client address of a request as text ("" when the peer is unknown).
pub fn of(
    peer: Option<std::net::SocketAddr>,
    headers: &HeaderMap,
    state: Option<&web::Data<AppState>>,
) -> String {
    let Some(peer) = peer else {
        return String::new();
    };
    match state {
        Some(s) => resolve(peer.ip(), headers, &s.settings.trusted_proxies).to_string(),
        None => peer.ip().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn trusted(s: &str) -> TrustedProxies {
        TrustedProxies(
            s.split(',')
                .filter(|p| !p.is_empty())
                .map(|p| p.parse().unwrap())
                .collect(),
        )
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_peer() {
        let h = headers(&["203.0.113.7"]);
        assert_eq!(resolve(ip("10.0.0.2"), &h, &trusted("")), ip("10.0.0.2"));
        assert_eq!(
            resolve(ip("10.0.0.2"), &h, &trusted("10.0.0.0/8")),
            ip("203.0.113.7")
        );
        assert_eq!(
            resolve(ip("192.0.2.1"), &h, &trusted("10.0.0.0/8")),
            ip("192.0.2.1")
        );
    }

    #[test]
    fn entries_a_client_prepended_are_ignored() {
        // The client sent "1.2.3.4" itself; the trusted proxy appended the real address.
        let h = headers(&["1.2.3.4, 203.0.113.7"]);
        assert_eq!(
            resolve(ip("10.0.0.2"), &h, &trusted("10.0.0.0/8")),
            ip("203.0.113.7")
        );
        // Two trusted proxies in a row, the header split over two lines.
        let h = headers(&["1.2.3.4, 203.0.113.7", "10.0.0.9"]);
        assert_eq!(
            resolve(ip("10.0.0.2"), &h, &trusted("10.0.0.0/8")),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn a_malformed_entry_stops_the_walk_at_the_last_good_hop() {
        let h = headers(&["203.0.113.7, bogus"]);
        assert_eq!(
            resolve(ip("10.0.0.2"), &h, &trusted("10.0.0.0/8")),
            ip("10.0.0.2")
        );
        let h = headers(&["10.0.0.5"]);
        assert_eq!(
            resolve(ip("10.0.0.2"), &h, &trusted("10.0.0.0/8")),
            ip("10.0.0.5"),
            "every hop trusted: the farthest one"
        );
    }
}
