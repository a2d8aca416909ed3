//! What a sender puts on the wire, as the preview shows it: built by the sender's own
//! `prepare`, then redacted like the delivery log.
use serde::Serialize;
use serde_json::{Map, Value};

use super::http_client::Post;
use super::redact::Redactor;

/// One prepared message, whatever the kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Wire {
    /// An HTTP request: every kind but e-mail.
    Request(RequestPreview),
    Email(EmailPreview),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestPreview {
    pub method: String,
    pub url: String,
    /// The headers the sender sets, in order (the HTTP client adds `Host`, `Content-Length`
    /// and `Accept`).
    pub headers: Map<String, Value>,
    /// The exact body, as text.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmailPreview {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    /// The message's headers as they go out (`Date` and `Message-ID` are made anew for each).
    pub headers: Map<String, Value>,
    pub text: Option<String>,
    pub html: Option<String>,
}

impl Wire {
    /// The same with every secret replaced by `[redacted]`.
    pub fn redacted(self, r: &Redactor) -> Wire {
        let headers = |h: Map<String, Value>| -> Map<String, Value> {
            h.into_iter()
                .map(|(k, v)| {
                    let shown = r.header(&k, v.as_str().unwrap_or_default());
                    (k, shown.into())
                })
                .collect()
        };
        match self {
            Wire::Request(q) => Wire::Request(RequestPreview {
                method: q.method,
                url: r.text(&q.url),
                headers: headers(q.headers),
                body: r.text(&q.body),
            }),
            Wire::Email(m) => Wire::Email(EmailPreview {
                from: r.text(&m.from),
                to: m.to.iter().map(|t| r.text(t)).collect(),
                subject: r.text(&m.subject),
                headers: headers(m.headers),
                text: m.text.map(|t| r.text(&t)),
                html: m.html.map(|t| r.text(&t)),
            }),
        }
    }
}

impl From<Post> for Wire {
    fn from(p: Post) -> Wire {
        let mut headers = Map::new();
        for (name, value) in p.wire_headers() {
            headers.insert(name, value.into());
        }
        Wire::Request(RequestPreview {
            method: "POST".into(),
            url: p.logged_url,
            headers,
            body: String::from_utf8_lossy(&p.body).into_owned(),
        })
    }
}
