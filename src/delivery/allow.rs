//! The `--allow-hosts` policy: which addresses deliveries may connect to.
//!
//! Hooks are configured by users, so without this a hook URL could reach the server's own admin
//! ports, the LAN, or the cloud metadata service (169.254.169.254). The default, `external`, only
//! lets deliveries reach publicly routable addresses.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::IpNet;

/// What kind of network an address belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Publicly routable.
    External,
    /// 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT), fc00::/7, fec0::/10.
    Private,
    /// 127/8, ::1.
    Loopback,
    /// 169.254/16 (where cloud metadata services live), fe80::/10.
    LinkLocal,
    /// Not a unicast host one should deliver to: unspecified, multicast, broadcast,
    /// documentation, benchmarking, reserved, 0/8, NAT64 and other protocol ranges.
    Special,
}

/// Classifies an address. IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`)
/// IPv6 addresses reach the IPv4 host, so they are classified as that IPv4 address.
pub fn classify(ip: IpAddr) -> AddressClass {
    match canonical(ip) {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// The IPv4 address an IPv6 address stands for, if it embeds one as mapped or compatible.
fn canonical(ip: IpAddr) -> IpAddr {
    let IpAddr::V6(v6) = ip else { return ip };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return IpAddr::V4(v4);
    }
    // `::` and `::1` share the compatible form's prefix but are IPv6's own addresses.
    let s = v6.segments();
    if s[..6] == [0; 6] && !v6.is_unspecified() && !v6.is_loopback() {
        let [.., a, b, c, d] = v6.octets();
        return IpAddr::V4(Ipv4Addr::new(a, b, c, d));
    }
    ip
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    use AddressClass::*;
    const TABLE: &[([u8; 4], u32, AddressClass)] = &[
        ([0, 0, 0, 0], 8, Special), // "this network", includes 0.0.0.0
        ([127, 0, 0, 0], 8, Loopback),
        ([10, 0, 0, 0], 8, Private),
        ([172, 16, 0, 0], 12, Private),
        ([192, 168, 0, 0], 16, Private),
        ([100, 64, 0, 0], 10, Private), // carrier-grade NAT, internal to a provider
        ([169, 254, 0, 0], 16, LinkLocal),
        ([192, 0, 0, 0], 24, Special),    // IETF protocol assignments
        ([192, 0, 2, 0], 24, Special),    // TEST-NET-1
        ([198, 51, 100, 0], 24, Special), // TEST-NET-2
        ([203, 0, 113, 0], 24, Special),  // TEST-NET-3
        ([198, 18, 0, 0], 15, Special),   // benchmarking
        ([192, 88, 99, 0], 24, Special),  // deprecated 6to4 relay anycast
        ([224, 0, 0, 0], 4, Special),     // multicast
        ([240, 0, 0, 0], 4, Special),     // reserved, includes 255.255.255.255 broadcast
    ];
    TABLE
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map_or(External, |(_, _, class)| *class)
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    use AddressClass::*;
    let bits = u128::from(ip);
    let within = |net: u128, prefix: u32| (bits ^ net) >> (128 - prefix) == 0;
    if ip.is_loopback() {
        Loopback
    } else if within(0xfe80 << 112, 10) {
        LinkLocal
    } else if within(0xfc00 << 112, 7) || within(0xfec0 << 112, 10) {
        // Unique local, and the deprecated site-local range that some networks still use.
        Private
    } else if within(0x2002 << 112, 16) {
        // 6to4 embeds an IPv4 address: only a public one makes this a public address.
        let v4 = Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32);
        if classify_v4(v4) == External {
            External
        } else {
            Special
        }
    } else if !within(0x2000 << 112, 3) {
        // Outside global unicast: ::, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, discard-only
        // 100::/64, multicast ff00::/8, SRv6 5f00::/16 and everything IANA has not assigned.
        Special
    } else if within(0x2001 << 112, 23) // IETF protocol assignments: Teredo, benchmarking, ORCHID
        || within(0x2001_0db8 << 96, 32) // documentation
        || within(0x3fff << 112, 20)
    {
        // (3fff::/20 is the second documentation range, RFC 9637.)
        Special
    } else {
        External
    }
}

/// A host-name pattern: an exact name, or `*.suffix` matching one or more labels before it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// Stored with its leading dot: `*.example.com` is `.example.com`.
    Suffix(String),
}

impl HostPattern {
    fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        match self {
            HostPattern::Exact(name) => host == *name,
            HostPattern::Suffix(suffix) => host.len() > suffix.len() && host.ends_with(suffix),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Any,
    Class(AddressClass),
    Net(IpNet),
    Host(HostPattern),
}

/// The parsed `--allow-hosts` list. An address is allowed when any entry allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList {
    rules: Vec<Rule>,
    /// The entries as given (trimmed), for logs and error messages.
    entries: Vec<String>,
}

impl Default for AllowList {
    /// `external`: deliveries reach only publicly routable addresses.
    fn default() -> Self {
        Self {
            rules: vec![Rule::Class(AddressClass::External)],
            entries: vec!["external".into()],
        }
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.entries.join(","))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowListError {
    #[error(
        "--allow-hosts is empty; give e.g. \"external\" (the default), \"private\", \"loopback\", \"*\", CIDRs or host names"
    )]
    Empty,
    #[error(
        "entry {position} of --allow-hosts is empty (two commas in a row, or a comma at an end)"
    )]
    EmptyEntry { position: usize },
    #[error(
        "{entry:?} in --allow-hosts is not a valid CIDR ({reason}); write e.g. 10.0.0.0/8 or fd00::/8"
    )]
    BadCidr { entry: String, reason: String },
    #[error("{entry:?} in --allow-hosts is not a valid IP address, CIDR or host name")]
    BadAddress { entry: String },
    #[error("{entry:?} in --allow-hosts is not a valid host name or glob: {reason}")]
    BadHost { entry: String, reason: &'static str },
}

fn parse_host(entry: &str) -> Result<HostPattern, AllowListError> {
    let bad = |reason| AllowListError::BadHost {
        entry: entry.to_owned(),
        reason,
    };
    if entry.contains(':') || entry.contains('/') {
        return Err(bad("give only the host name, without scheme, port or path"));
    }
    let lower = entry.trim_end_matches('.').to_ascii_lowercase();
    let (wild, name) = match lower.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, lower.as_str()),
    };
    if name.contains('*') {
        return Err(bad(
            "\"*\" may only stand alone or as a whole first label, as in *.example.com",
        ));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if name.is_empty() || labels.iter().any(|l| l.is_empty() || l.len() > 63) {
        return Err(bad(
            "labels must be 1 to 63 characters, separated by single dots",
        ));
    }
    if !labels.iter().all(|l| {
        l.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    }) {
        return Err(bad(
            "only letters, digits, '-' and '_' are allowed in a label",
        ));
    }
    // A name whose last label is numeric would be read as an IP address by URL parsers.
    if labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(AllowListError::BadAddress {
            entry: entry.to_owned(),
        });
    }
    Ok(if wild {
        HostPattern::Suffix(format!(".{name}"))
    } else {
        HostPattern::Exact(name.into())
    })
}

fn parse_entry(entry: &str) -> Result<Rule, AllowListError> {
    match entry.to_ascii_lowercase().as_str() {
        "*" => return Ok(Rule::Any),
        "external" => return Ok(Rule::Class(AddressClass::External)),
        "private" => return Ok(Rule::Class(AddressClass::Private)),
        "loopback" => return Ok(Rule::Class(AddressClass::Loopback)),
        _ => {}
    }
    if let Some((addr, _)) = entry.split_once('/') {
        // Only something address-like before the '/' is meant as a CIDR; otherwise it is a
        // URL or a path, which parse_host explains.
        let address_like = |b: u8| b.is_ascii_hexdigit() || b == b'.' || b == b':';
        if !addr.is_empty() && addr.bytes().all(address_like) {
            return entry
                .parse::<IpNet>()
                .map(Rule::Net)
                .map_err(|e| AllowListError::BadCidr {
                    entry: entry.to_owned(),
                    reason: e.to_string(),
                });
        }
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Ok(Rule::Net(IpNet::from(ip)));
    }
    // Two colons and no scheme: meant as an IPv6 address. One colon: host:port or a URL,
    // which parse_host explains.
    if entry.matches(':').count() >= 2 && !entry.contains("://") {
        return Err(AllowListError::BadAddress {
            entry: entry.to_owned(),
        });
    }
    parse_host(entry).map(Rule::Host)
}

impl FromStr for AllowList {
    type Err = AllowListError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Err(AllowListError::Empty);
        }
        let mut list = AllowList {
            rules: Vec::new(),
            entries: Vec::new(),
        };
        for (i, entry) in s.split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                return Err(AllowListError::EmptyEntry { position: i + 1 });
            }
            list.rules.push(parse_entry(entry)?);
            list.entries.push(entry.to_owned());
        }
        Ok(list)
    }
}

impl AllowList {
    /// Whether a delivery to `host` (the URL's host name, or an IP literal) may connect to `ip`.
    /// Host globs match names only; an IP literal host is judged by its address alone.
    pub fn allows(&self, host: &str, ip: IpAddr) -> bool {
        let class = classify(ip);
        let plain = canonical(ip);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let is_literal = host.parse::<IpAddr>().is_ok();
        self.rules.iter().any(|rule| match rule {
            Rule::Any => true,
            Rule::Class(c) => *c == class,
            // Match the address as written and as the IPv4 host it reaches, so 127.0.0.0/8
            // also covers ::ffff:127.0.0.1.
            Rule::Net(net) => net.contains(&ip) || net.contains(&plain),
            Rule::Host(pattern) => !is_literal && pattern.matches(host),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AddressClass::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn classifies_addresses() {
        #[rustfmt::skip]
        let cases = [
            ("8.8.8.8", External), ("93.184.215.14", External), ("172.32.0.1", External),
            ("100.128.0.1", External), ("192.0.3.1", External), ("2606:4700::1111", External),
            ("127.0.0.1", Loopback), ("127.255.255.254", Loopback), ("::1", Loopback),
            ("::ffff:127.0.0.1", Loopback), ("::127.0.0.1", Loopback),
            ("10.1.2.3", Private), ("172.16.0.1", Private), ("172.31.255.255", Private),
            ("192.168.1.1", Private), ("100.64.0.1", Private), ("100.127.255.255", Private),
            ("fd00::1", Private), ("fc00::1", Private), ("::ffff:10.0.0.1", Private),
            ("169.254.169.254", LinkLocal), ("fe80::1", LinkLocal),
            ("::ffff:169.254.169.254", LinkLocal),
            ("0.0.0.0", Special), ("0.1.2.3", Special), ("::", Special), ("::ffff:0.0.0.0", Special),
            ("255.255.255.255", Special), ("240.0.0.1", Special), ("224.0.0.1", Special),
            ("239.255.255.250", Special), ("192.0.2.1", Special), ("198.51.100.7", Special),
            ("203.0.113.9", Special), ("198.18.0.1", Special), ("198.19.255.255", Special),
            ("192.0.0.8", Special), ("192.88.99.1", Special), ("ff02::1", Special),
            ("2001:db8::1", Special), ("3fff::1", Special), ("64:ff9b::7f00:1", Special),
            ("64:ff9b::808:808", Special), ("100::1", Special), ("2001::1", Special),
            ("2001:2::1", Special), ("::2", Special), ("4000::1", Special),
            ("2002:0808:0808::1", External), ("2002:7f00:0001::1", Special),
            ("2002:c0a8:0101::1", Special),
        ];
        for (addr, want) in cases {
            assert_eq!(classify(ip(addr)), want, "{addr}");
        }
    }

    #[test]
    fn keywords_allow_their_class_only() {
        #[rustfmt::skip]
        let cases: &[(&str, &[AddressClass])] = &[
            ("external", &[External]), ("private", &[Private]), ("loopback", &[Loopback]),
            ("EXTERNAL, Private", &[External, Private]),
            ("*", &[External, Private, Loopback, LinkLocal, Special]),
        ];
        #[rustfmt::skip]
        let samples = [
            (External, "8.8.8.8"), (Private, "10.0.0.1"), (Loopback, "127.0.0.1"),
            (Loopback, "::ffff:127.0.0.1"), (LinkLocal, "169.254.169.254"), (Special, "0.0.0.0"),
        ];
        for (list, allowed) in cases {
            let list: AllowList = list.parse().unwrap();
            for (class, addr) in samples {
                let want = allowed.contains(&class);
                assert_eq!(list.allows("example.com", ip(addr)), want, "{list} {addr}");
            }
        }
        assert_eq!(AllowList::default(), "external".parse().unwrap());
    }

    #[test]
    fn cidrs_and_addresses() {
        let list: AllowList = "169.254.169.254/32, 127.0.0.1/8, fd12::/16, 198.18.0.5"
            .parse()
            .unwrap();
        #[rustfmt::skip]
        let cases = [
            ("169.254.169.254", true), ("169.254.0.1", false), ("127.0.0.9", true),
            ("::ffff:127.0.0.9", true), ("::1", false), ("fd12:3::1", true), ("fd13::1", false),
            ("198.18.0.5", true), ("198.18.0.6", false), ("8.8.8.8", false),
        ];
        for (addr, want) in cases {
            assert_eq!(list.allows("x.example", ip(addr)), want, "{addr}");
        }
    }

    #[test]
    fn host_globs() {
        let list: AllowList = "*.Example.com, hooks.internal.".parse().unwrap();
        #[rustfmt::skip]
        let cases = [
            ("a.example.com", true), ("A.B.EXAMPLE.COM", true), ("a.example.com.", true),
            ("example.com", false), ("badexample.com", false), ("example.com.evil.org", false),
            ("hooks.internal", true), ("HOOKS.INTERNAL.", true), ("x.hooks.internal", false),
            ("127.0.0.1", false), ("[::1]", false),
        ];
        for (host, want) in cases {
            assert_eq!(list.allows(host, ip("127.0.0.1")), want, "{host}");
            assert_eq!(list.allows(host, ip("169.254.169.254")), want, "{host}");
        }
        assert_eq!(list.to_string(), "*.Example.com,hooks.internal.");
    }

    #[test]
    fn rejects_bad_entries() {
        #[rustfmt::skip]
        let cases: &[(&str, &str)] = &[
            ("", "is empty"), ("external,,private", "entry 2"),
            ("10.0.0.0/33", "not a valid CIDR"), ("fd00::/129", "not a valid CIDR"),
            ("10.0.0/8", "not a valid CIDR"), ("10.0.0.0/x", "not a valid CIDR"),
            ("300.1.1.1", "not a valid IP address"), ("10.0.0", "not a valid IP address"),
            ("fd00::zz", "not a valid IP address"), ("*.0.0.1", "not a valid IP address"),
            ("http://hooks.example.com", "without scheme"),
            ("hooks.example.com/path", "without scheme"),
            ("hooks.example.com:8443", "without scheme, port"),
            ("foo*.example.com", "may only stand alone"), ("*example.com", "may only stand alone"),
            ("*.", "may only stand alone"), ("a..b", "labels must be"), (".a", "labels must be"),
            ("exa mple.com", "only letters"), ("-bad.com", "only letters"),
        ];
        for (input, want) in cases {
            let err = input.parse::<AllowList>().unwrap_err().to_string();
            assert!(err.contains(want), "{input:?}: {err}");
        }
    }
}
