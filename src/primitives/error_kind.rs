//! Why an attempt failed, as one closed set.
use serde::Serialize;

/// Why an attempt failed, stored and shown by its code (`timeout`, `connect`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// No answer within the connect or whole-request timeout.
    Timeout,
    /// The connection was refused, reset or broken.
    Connect,
    /// The host name did not resolve.
    Dns,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The destination is not allowed by --allow-hosts.
    Blocked,
    /// The receiver answered with a non-success status or malformed HTTP.
    Http,
    /// The SMTP server refused or failed.
    Smtp,
    /// The hook's settings cannot work (e.g. an unparsable URL or a missing secret).
    Config,
}

impl ErrorKind {
    /// Every kind, in the order the contract lists them (and the OpenAPI enum derives from).
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::Timeout,
        ErrorKind::Connect,
        ErrorKind::Dns,
        ErrorKind::Tls,
        ErrorKind::Blocked,
        ErrorKind::Http,
        ErrorKind::Smtp,
        ErrorKind::Config,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Dns => "dns",
            ErrorKind::Tls => "tls",
            ErrorKind::Blocked => "blocked",
            ErrorKind::Http => "http",
            ErrorKind::Smtp => "smtp",
            ErrorKind::Config => "config",
        }
    }

    /// The kind stored as `code`; None for a code this build does not know.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == code)
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_serde() {
        for k in ErrorKind::ALL {
            assert_eq!(ErrorKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(ErrorKind::parse("nope"), None);
    }
}
