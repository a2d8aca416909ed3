//! Keeping a hook's secrets out of its attempt log: the request as sent, the answer (a receiver
//! may echo what it got) and error messages all pass through a [`Redactor`].
use super::super::attempt::{Attempt, RequestLog, ResponseLog};
use crate::primitives::percent::percent_encode;

pub const REDACTED: &str = "[redacted]";

/// Replaces every known secret, in every form it may take on the wire, by `[redacted]`.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is replaced whole.
    needles: Vec<String>,
    /// Header names whose values are credentials whatever they hold.
    sensitive_headers: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} values)", self.needles.len())
    }
}

/// Headers that carry credentials in any hook.
fn always_sensitive(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    )
}

impl Redactor {
    /// A redactor for these secret values (see `HookConfig::secret_values`). Each is also
    /// matched percent-encoded (URLs, form bodies) and JSON-escaped (JSON bodies).
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut needles = Vec::new();
        for value in values.into_iter().filter(|v| !v.is_empty()) {
            needles.push(percent_encode(&value));
            needles.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
            if let Ok(json) = serde_json::to_string(&value) {
                let inner = json.strip_prefix('"').and_then(|j| j.strip_suffix('"'));
                needles.extend(inner.map(str::to_owned));
            }
            needles.push(value);
        }
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        Redactor {
            needles,
            sensitive_headers: Vec::new(),
        }
    }

    /// Also redacts the whole value of headers with these names (an `http` hook's
    /// `X-Api-Key`, ...).
    pub fn with_sensitive_headers(mut self, names: impl IntoIterator<Item = String>) -> Self {
        self.sensitive_headers
            .extend(names.into_iter().map(|n| n.to_ascii_lowercase()));
        self
    }

    pub fn text(&self, s: &str) -> String {
        let mut out = s.to_owned();
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), REDACTED);
            }
        }
        out
    }

    /// A header value as it may be logged: credentials keep only their scheme
    /// (`Bearer [redacted]`), anything else has its secrets replaced.
    pub fn header(&self, name: &str, value: &str) -> String {
        let lower = name.to_ascii_lowercase();
        if always_sensitive(&lower) || self.sensitive_headers.contains(&lower) {
            return match value.split_once(' ') {
                Some((scheme, _)) if lower.contains("authorization") => {
                    format!("{scheme} {REDACTED}")
                }
                _ => REDACTED.to_owned(),
            };
        }
        self.text(value)
    }

    fn headers(&self, headers: &mut [(String, String)]) {
        for (name, value) in headers.iter_mut() {
            *value = self.header(name, value);
        }
    }

    pub fn request(&self, mut r: RequestLog) -> RequestLog {
        r.url = self.text(&r.url);
        self.headers(&mut r.headers);
        r.body = self.text(&r.body);
        r
    }

    pub fn response(&self, mut r: ResponseLog) -> ResponseLog {
        self.headers(&mut r.headers);
        r.body = self.text(&r.body);
        r
    }

    /// The whole attempt, as it may be stored and shown.
    pub fn attempt(&self, mut a: Attempt) -> Attempt {
        a.request = self.request(a.request);
        a.response = a.response.map(|r| self.response(r));
        if let Some(e) = a.error.as_mut() {
            e.message = self.text(&e.message);
        }
        a
    }
}

/// A URL that is a secret as a whole (Slack, Teams), as it may be logged:
/// `scheme://host[:port]/[redacted]`; the port stays so that the logged `curl` can work.
pub fn opaque_url(url: &url::Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{}{port}/{REDACTED}",
        url.scheme(),
        url.host_str().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opaque_url_keeps_its_port_and_nothing_after_the_host() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(
            opaque_url(&u("http://127.0.0.1:8123/services/T/B/secret")),
            "http://127.0.0.1:8123/[redacted]"
        );
        assert_eq!(
            opaque_url(&u("https://user:pw@hooks.slack.com/services/T/B/secret")),
            "https://hooks.slack.com/[redacted]"
        );
    }

    #[test]
    fn redacts_every_form() {
        let r = Redactor::new(["p@ss w/\"q\"".to_string(), "tok".to_string()]);
        assert_eq!(r.text("a p@ss w/\"q\" b"), "a [redacted] b");
        assert_eq!(r.text("x=p%40ss%20w%2F%22q%22"), "x=[redacted]");
        assert_eq!(r.text("x=p%40ss+w%2F%22q%22"), "x=[redacted]");
        assert_eq!(r.text(r#"{"v":"p@ss w/\"q\""}"#), r#"{"v":"[redacted]"}"#);
        assert_eq!(r.header("Authorization", "Bearer abc"), "Bearer [redacted]");
        assert_eq!(r.header("authorization", "abc"), "[redacted]");
        assert_eq!(r.header("Set-Cookie", "id=1; Path=/"), "[redacted]");
        assert_eq!(r.header("X-Other", "tok tok"), "[redacted] [redacted]");
        let r = r.with_sensitive_headers(["X-Api-Key".to_string()]);
        assert_eq!(r.header("x-api-key", "anything"), "[redacted]");
        assert_eq!(Redactor::new(Vec::new()).text("same"), "same");
        assert!(!format!("{r:?}").contains("tok"));
    }

    #[test]
    fn opaque_urls_keep_only_the_host() {
        let u = url::Url::parse("https://hooks.slack.com/services/T0/B0/XYZ?x=1").unwrap();
        assert_eq!(opaque_url(&u), "https://hooks.slack.com/[redacted]");
    }
}
