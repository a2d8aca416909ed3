//! An inbound request as the pure layer sees it: its headers and its raw body.
use super::InboundError;

/// The largest body accepted (GitHub caps its payloads at 25 MB, but none of the mapped events
/// comes near this; a bigger one is answered 413 before it is read).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What a redacted header value is replaced by in the request log.
pub const REDACTED: &str = "[redacted]";

/// Request headers in the order received; names compare case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new() -> Self {
        Headers(Vec::new())
    }

    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.push(name, value);
        self
    }

    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The event-name header a system always sends (`X-GitHub-Event`, `X-Gitlab-Event`); its
    /// absence means the request is not from that system.
    pub(super) fn event_name(&self, name: &str, system: &str) -> Result<&str, InboundError> {
        self.get(name).ok_or_else(|| {
            InboundError::malformed(format!(
                "the request has no {name} header; is it from {system}?"
            ))
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The headers as they may be kept and shown: credentials and signatures replaced by
    /// `[redacted]` (a signature is not the secret, but it lets anyone replay the body).
    pub fn redacted(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(n, v)| {
                let value = if is_sensitive(n) {
                    REDACTED.to_owned()
                } else {
                    v.clone()
                };
                (n.clone(), value)
            })
            .collect()
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Headers(
            iter.into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        )
    }
}

fn is_sensitive(name: &str) -> bool {
    const SENSITIVE: [&str; 8] = [
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-gitlab-token",
        "x-hub-signature",
        "x-hub-signature-256",
        "x-npm-signature",
        "x-api-key",
    ];
    SENSITIVE.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// One request to an inbound URL.
#[derive(Debug, Clone, Copy)]
pub struct InboundRequest<'a> {
    pub headers: &'a Headers,
    pub body: &'a [u8],
}

/// Whether `Content-Type` names JSON (`application/json`, or any `+json` type such as the
/// spec's `application/vnd.myget.webhooks.v1+json`), parameters aside.
pub fn is_json_content_type(value: Option<&str>) -> bool {
    let Some(value) = value else { return false };
    let essence = value.split(';').next().unwrap_or("").trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_ignore_case_and_the_first_value_wins() {
        let h = Headers::new()
            .with("X-GitHub-Event", "ping")
            .with("x-github-event", "push");
        assert_eq!(h.get("x-github-event"), Some("ping"));
        assert_eq!(h.get("X-Missing"), None);
    }

    #[test]
    fn credentials_and_signatures_are_redacted_and_the_rest_kept() {
        let h = Headers::new()
            .with("Authorization", "Bearer fhin_abc")
            .with("X-Gitlab-Token", "fhin_abc")
            .with("X-Hub-Signature-256", "sha256=00")
            .with("x-npm-signature", "sha256=00")
            .with("X-GitHub-Delivery", "72d3162e");
        let kept = h.redacted();
        assert!(
            kept.iter()
                .all(|(_, v)| !v.contains("fhin_abc") && v != "sha256=00")
        );
        assert_eq!(kept[4], ("X-GitHub-Delivery".into(), "72d3162e".into()));
        assert_eq!(kept[0].1, REDACTED);
    }

    #[test]
    fn json_content_types() {
        assert!(is_json_content_type(Some("application/json")));
        assert!(is_json_content_type(Some(
            "Application/JSON; charset=utf-8"
        )));
        assert!(is_json_content_type(Some(
            "application/vnd.myget.webhooks.v1+json"
        )));
        assert!(!is_json_content_type(Some(
            "application/x-www-form-urlencoded"
        )));
        assert!(!is_json_content_type(Some("text/plain")));
        assert!(!is_json_content_type(None));
    }
}
