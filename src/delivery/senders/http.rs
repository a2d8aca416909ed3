//! `http` hooks: the stored envelope, byte for byte, POSTed with the MyGet wire-format headers
//! and, with a secret, a Standard Webhooks signature (API.md, "Delivery wire format").
use super::http_client::{self, Post, judge_status};
use super::redact::Redactor;
use super::{OutgoingEvent, SendContext, Sender};
use crate::delivery::attempt::{Attempt, RequestLog};
use crate::delivery::signing;
use crate::domain::hook_config::HttpConfig;
use crate::domain::hook_config::http_sensitive_header;
use crate::domain::hook_config::input::reserved_header;

pub const CONTENT_TYPE: &str = "application/vnd.myget.webhooks.v1+json";
/// Receivers written for MyGet check the `MyGet Web Hook/` prefix.
pub const USER_AGENT: &str = concat!(
    "MyGet Web Hook/1.0 (feedhooks/",
    env!("CARGO_PKG_VERSION"),
    ")"
);

impl Sender for HttpConfig {
    async fn send(&self, ctx: &SendContext, ev: &OutgoingEvent<'_>) -> Attempt {
        let redactor = Redactor::new(crate::domain::hook_config::secret_values_of(self))
            .with_sensitive_headers(
                self.headers
                    .iter()
                    .filter(|(n, _)| http_sensitive_header(n))
                    .map(|(n, _)| n.clone()),
            );
        let request = RequestLog {
            url: self.url.clone(),
            method: "POST".into(),
            ..RequestLog::default()
        };
        let url = match url::Url::parse(&self.url) {
            Ok(url) => url,
            Err(e) => {
                return redactor.attempt(http_client::config_error(
                    request,
                    format!("the hook's URL is not valid: {e}"),
                ));
            }
        };
        let mut headers = vec![
            ("User-Agent".to_owned(), USER_AGENT.to_owned()),
            (
                "X-MyGet-EventIdentifier".to_owned(),
                ev.identifier.to_owned(),
            ),
        ];
        if let Some(secret) = &self.secret {
            let key = match signing::parse_secret(secret.expose()) {
                Ok(key) => key,
                Err(e) => {
                    return redactor.attempt(http_client::config_error(
                        request,
                        format!("the hook's secret is unusable: {e}"),
                    ));
                }
            };
            let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
            let signature = signing::sign(&key, ev.identifier, timestamp, ev.envelope.as_bytes());
            headers.push(("webhook-id".into(), ev.identifier.to_owned()));
            headers.push(("webhook-timestamp".into(), timestamp.to_string()));
            headers.push(("webhook-signature".into(), signature));
        }
        // Checked when saved; skipped here too, so an old row can never override the format.
        headers.extend(
            self.headers
                .iter()
                .filter(|(n, _)| !reserved_header(n))
                .cloned(),
        );
        let post = Post {
            logged_url: self.url.clone(),
            url,
            headers,
            content_type: CONTENT_TYPE,
            body: ev.envelope.as_bytes().to_vec(),
            insecure: !self.verify_tls,
        };
        let exchange = http_client::post(ctx, post).await;
        http_client::finish(exchange, &redactor, |r| {
            let detail = (!r.body.is_empty()).then(|| r.readable_text());
            judge_status(r, "the receiver", detail, true)
        })
    }
}
