//! Reading a hook's `config` object: one typed getter per kind of value, each collecting its
//! errors (named `config.<field>`) so a form shows every mistake at once, not the first one.
use serde_json::{Map, Value};

use super::Secret;
use super::fields::Choice;
use crate::primitives::FieldError;

/// Longest free-text value (names, hosts, rooms); generous, but keeps rows and logs small.
pub const MAX_TEXT: usize = 500;
/// Longest URL accepted, the de-facto limit of browsers and most servers.
pub const MAX_URL: usize = 2000;

pub struct Input<'a> {
    object: &'a Map<String, Value>,
    known: Vec<&'static str>,
    pub errors: Vec<FieldError>,
}

impl<'a> Input<'a> {
    pub fn new(value: &'a Value) -> Result<Self, Vec<FieldError>> {
        match value {
            Value::Object(object) => Ok(Input {
                object,
                // A client that sends back what GET returned includes this; it is no setting.
                known: vec!["secrets_set"],
                errors: Vec::new(),
            }),
            _ => Err(vec![FieldError::new(
                "config",
                "must be a JSON object of settings",
            )]),
        }
    }

    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        self.errors
            .push(FieldError::new(format!("config.{name}"), message));
    }

    /// The value of `name`; `null` counts as absent.
    pub fn raw(&mut self, name: &'static str) -> Option<&'a Value> {
        self.known.push(name);
        self.object.get(name).filter(|v| !v.is_null())
    }

    /// A trimmed string; "" counts as absent. Control characters are refused: they would break
    /// headers, SMTP commands and log lines.
    pub fn text(&mut self, name: &'static str, required: bool, max: usize) -> Option<String> {
        let value = match self.raw(name) {
            None => None,
            Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                self.error(name, "must be a string");
                return None;
            }
        };
        match value {
            None if required => {
                self.error(name, "is required");
                None
            }
            Some(s) if s.chars().any(char::is_control) => {
                self.error(name, "must be one line without control characters");
                None
            }
            Some(s) if s.chars().count() > max => {
                self.error(name, format!("must be at most {max} characters"));
                None
            }
            other => other,
        }
    }

    /// A boolean; HTML forms send "on", "true", "1" (and "false", "off", "0").
    pub fn flag(&mut self, name: &'static str, default: bool) -> bool {
        match self.raw(name) {
            None => default,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "on" | "1" | "yes" => true,
                "false" | "off" | "0" | "no" => false,
                "" => default,
                _ => {
                    self.error(name, "must be true or false");
                    default
                }
            },
            Some(_) => {
                self.error(name, "must be true or false");
                default
            }
        }
    }

    /// One of a fixed set of lower-case words.
    pub fn choice<T: Copy>(&mut self, name: &'static str, options: &[Choice<T>], default: T) -> T {
        let Some(given) = self.text(name, false, MAX_TEXT) else {
            return default;
        };
        let lower = given.to_ascii_lowercase();
        match options.iter().find(|(word, ..)| *word == lower) {
            Some((_, value, _)) => *value,
            None => {
                let words: Vec<&str> = options.iter().map(|(w, ..)| *w).collect();
                self.error(name, format!("must be one of: {}", words.join(", ")));
                default
            }
        }
    }

    /// A TCP port, as a number or a numeric string.
    pub fn port(&mut self, name: &'static str, default: u16) -> u16 {
        let parsed = match self.raw(name) {
            None => return default,
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) if s.trim().is_empty() => return default,
            Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
            Some(_) => None,
        };
        match parsed
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p != 0)
        {
            Some(port) => port,
            None => {
                self.error(name, "must be a port number from 1 to 65535");
                default
            }
        }
    }

    /// An absolute http(s) URL with a host, returned as normalised by the URL parser.
    pub fn url(&mut self, name: &'static str, required: bool) -> Option<String> {
        let given = self.text(name, required, MAX_URL)?;
        match check_web_url(&given) {
            Ok(url) => Some(url.to_string()),
            Err(message) => {
                self.error(name, message);
                None
            }
        }
    }

    /// A base URL (scheme, host, optional port and path prefix) without a trailing slash, so
    /// that API paths can be appended.
    pub fn base_url(&mut self, name: &'static str, default: &str) -> String {
        let Some(given) = self.url(name, false) else {
            return default.to_owned();
        };
        if given.contains('?') || given.contains('#') {
            self.error(name, "must not have a query (?...) or fragment (#...)");
            return default.to_owned();
        }
        given.trim_end_matches('/').to_owned()
    }

    /// A secret. Absent, null or "" keeps the previous value (an edit that leaves the field
    /// blank), so a form never has to show a stored secret to keep it.
    pub fn secret(
        &mut self,
        name: &'static str,
        previous: Option<&Secret>,
        required: bool,
    ) -> Option<Secret> {
        match self.raw(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => {
                let s = s.trim();
                if s.chars().any(char::is_control) {
                    self.error(name, "must be one line without control characters");
                    None
                } else if s.len() > MAX_URL {
                    self.error(name, format!("must be at most {MAX_URL} characters"));
                    None
                } else {
                    Some(Secret::new(s))
                }
            }
            Some(Value::String(_)) | None => match previous {
                Some(p) => Some(p.clone()),
                None if required => {
                    self.error(name, "is required");
                    None
                }
                None => None,
            },
            Some(_) => {
                self.error(name, "must be a string");
                None
            }
        }
    }

    /// Refuses settings this kind does not have, so a typo ("webhookUrl") is not silently
    /// ignored, then returns every error found.
    pub fn finish(mut self) -> Result<(), Vec<FieldError>> {
        let mut unknown: Vec<&String> = self
            .object
            .keys()
            .filter(|k| !self.known.contains(&k.as_str()))
            .collect();
        unknown.sort();
        let mut known: Vec<&str> = self
            .known
            .iter()
            .copied()
            .filter(|k| *k != "secrets_set")
            .collect();
        known.sort_unstable();
        known.dedup();
        for key in unknown {
            let message = format!(
                "is not a setting of this kind; expected: {}",
                known.join(", ")
            );
            self.errors
                .push(FieldError::new(format!("config.{key}"), message));
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// Parses an absolute http(s) URL with a host and no user info, with messages a person can act on.
pub fn check_web_url(given: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(given).map_err(|e| {
        format!("is not a valid URL ({e}); write e.g. https://hooks.example.com/path")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "must start with http:// or https:// (not {}:)",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name a host, as in https://hooks.example.com/".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password; use a header or the secret".into());
    }
    Ok(url)
}

/// An e-mail address (`a@example.com`) or mailbox (`Feed bot <a@example.com>`), as lettre,
/// which sends it, understands it.
pub fn check_mailbox(given: &str) -> Result<(), String> {
    given
        .parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|_| format!("{given:?} is not an e-mail address like name@example.com"))
}

/// A phone number in E.164 form (`+14155550100`). Spaces, dashes, dots and parentheses that
/// people paste are dropped; the result is what is stored and sent.
pub fn normalize_phone(given: &str) -> Option<String> {
    let compact: String = given
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+')?;
    let valid = (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    valid.then_some(compact)
}

/// Headers an `http` hook can not set: the delivery wire format's own (receivers rely on
/// them), and those that describe the message framing, which only the client may set.
pub fn reserved_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("webhook-")
        || matches!(
            lower.as_str(),
            "content-type"
                | "user-agent"
                | "x-myget-eventidentifier"
                | "host"
                | "content-length"
                | "transfer-encoding"
                | "connection"
                | "keep-alive"
                | "te"
                | "trailer"
                | "upgrade"
                | "expect"
                | "content-encoding"
        )
}

/// Whether a header name is an RFC 9110 token (letters, digits and ``!#$%&'*+-.^_`|~``).
pub fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether a header value is visible ASCII, spaces and tabs: no CR/LF (header injection), no
/// bytes a receiver might decode differently from us.
pub fn is_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(
            normalize_phone("+1 (415) 555-0100").as_deref(),
            Some("+14155550100")
        );
        assert_eq!(
            normalize_phone("+44.20.7946.0958").as_deref(),
            Some("+442079460958")
        );
        for bad in [
            "4155550100",
            "+0123",
            "+1",
            "+1234567890123456",
            "+1 415 CALL",
            "",
        ] {
            assert_eq!(normalize_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert!(check_web_url("https://hooks.example.com/x?y=1").is_ok());
        assert!(check_web_url("http://127.0.0.1:8080/").is_ok());
        for (bad, want) in [
            ("ftp://example.com/", "must start with http"),
            ("hooks.example.com", "not a valid URL"),
            ("https://user:pw@example.com/", "user name or password"),
            ("javascript:alert(1)", "must start with http"),
        ] {
            let err = check_web_url(bad).unwrap_err();
            assert!(err.contains(want), "{bad}: {err}");
        }
    }

    #[test]
    fn headers() {
        assert!(is_header_name("X-Api-Key"));
        assert!(!is_header_name("X Api"));
        assert!(!is_header_name(""));
        assert!(is_header_value("Bearer abc\tdef"));
        assert!(!is_header_value("a\r\nInjected: 1"));
        assert!(!is_header_value("é"));
        for name in [
            "Content-Type",
            "user-agent",
            "X-MyGet-EventIdentifier",
            "Webhook-Id",
            "HOST",
        ] {
            assert!(reserved_header(name), "{name}");
        }
        assert!(!reserved_header("Authorization"));
    }

    #[test]
    fn mailboxes() {
        assert!(check_mailbox("ops@example.com").is_ok());
        assert!(check_mailbox("Feed bot <bot@example.com>").is_ok());
        assert!(check_mailbox("not an address").is_err());
        assert!(check_mailbox("a@b@c").is_err());
    }
}
