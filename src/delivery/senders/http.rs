//! `http` hooks: the stored envelope, byte for byte, POSTed with the MyGet wire-format headers
//! and, with a secret, a Standard Webhooks signature (API.md, "Delivery wire format").
use super::http_client::{self, NotSent, Post};
use super::redact::Redactor;
use super::verdict::judge_status;
use super::{OutgoingEvent, SendContext, Sender};
use crate::delivery::attempt::{Attempt, RequestLog};
use crate::delivery::signing;
use crate::domain::hook_config::HttpConfig;
use crate::domain::hook_config::http_sensitive_header;
use crate::domain::hook_config::input::reserved_header;
use crate::events::template;

pub const CONTENT_TYPE: &str = "application/vnd.myget.webhooks.v1+json";
/// Receivers written for MyGet check the `MyGet Web Hook/` prefix.
pub const USER_AGENT: &str = concat!(
    "MyGet Web Hook/1.0 (feedhooks/",
    env!("CARGO_PKG_VERSION"),
    ")"
);

impl HttpConfig {
    /// Whether a header value is a template, which needs the parsed envelope.
    pub fn has_templated_headers(&self) -> bool {
        self.headers.iter().any(|(_, v)| template::is_template(v))
    }
}

impl Sender for HttpConfig {
    type Wire = Post;

    fn prepare(&self, ev: &OutgoingEvent<'_>) -> Result<Post, NotSent> {
        let request = RequestLog {
            url: self.url.clone(),
            method: "POST".into(),
            ..RequestLog::default()
        };
        let url = url::Url::parse(&self.url).map_err(|e| {
            NotSent::new(request.clone(), format!("the hook's URL is not valid: {e}"))
        })?;
        let mut headers = vec![
            ("User-Agent".to_owned(), USER_AGENT.to_owned()),
            (
                "X-MyGet-EventIdentifier".to_owned(),
                ev.identifier.to_owned(),
            ),
        ];
        if let Some(secret) = &self.secret {
            let key = signing::parse_secret(secret.expose()).map_err(|e| {
                NotSent::new(
                    request.clone(),
                    format!("the hook's secret is unusable: {e}"),
                )
            })?;
            let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
            let signature = signing::sign(&key, ev.identifier, timestamp, ev.envelope.as_bytes());
            headers.push(("webhook-id".into(), ev.identifier.to_owned()));
            headers.push(("webhook-timestamp".into(), timestamp.to_string()));
            headers.push(("webhook-signature".into(), signature));
        }
        for (name, value) in self.headers.iter().filter(|(n, _)| !reserved_header(n)) {
            let value = if template::is_template(value) {
                // The body stays the spec's envelope; only extra headers are templated.
                template::render(value, ev.parsed, &ev.extras, None)
                    .map(|v| {
                        // A header is one line of printable ASCII; anything else in a value
                        // would make the request unsendable.
                        v.chars()
                            .map(|c| {
                                if c.is_ascii_graphic() || c == ' ' {
                                    c
                                } else {
                                    '?'
                                }
                            })
                            .collect::<String>()
                    })
                    .map_err(|e| {
                        NotSent::new(
                            request.clone(),
                            format!("the template of header {name} fails: {e}"),
                        )
                    })?
            } else {
                value.clone()
            };
            headers.push((name.clone(), value));
        }
        Ok(Post {
            logged_url: self.url.clone(),
            url,
            headers,
            content_type: CONTENT_TYPE,
            body: ev.envelope.as_bytes().to_vec(),
            insecure: !self.verify_tls,
        })
    }

    fn redactor(&self) -> Redactor {
        Redactor::new(crate::domain::hook_config::secret_values_of(self)).with_sensitive_headers(
            self.headers
                .iter()
                .filter(|(n, _)| http_sensitive_header(n))
                .map(|(n, _)| n.clone()),
        )
    }

    async fn send(&self, ctx: &SendContext, ev: &OutgoingEvent<'_>) -> Attempt {
        http_client::send_prepared(ctx, &self.redactor(), self.prepare(ev), |r| {
            let detail = (!r.body.is_empty()).then(|| r.readable_text());
            judge_status(r, "the receiver", detail, true)
        })
        .await
    }
}
