//! `twitter` hooks: a post through X's API v2 (`POST /2/tweets`), signed with OAuth 1.0a.
use std::time::Duration;

use serde_json::{Value, json};

use super::format::truncate;
use super::http_client::{self, NotSent, Post, Received, ServiceCall};
use super::verdict::{Verdict, judge_status};
use super::wording::templated;
use super::{OutgoingEvent, SendContext, Sender};
use crate::delivery::attempt::Attempt;
use crate::delivery::oauth1;
use crate::delivery::retry::AttemptClass;
use crate::domain::hook_config::XConfig;
use crate::domain::hook_config::wording::TemplatePart;
use crate::events::render;

/// X's limit, in its weighted characters.
pub const MAX_WEIGHT: usize = 280;
/// What X counts for any URL, whatever its length (t.co wrapping).
pub const URL_WEIGHT: usize = 23;

fn is_link(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// `head`, then `link` after a space: `head` cut with "…" as much as needed to fit.
fn fit(head: &str, link: Option<&str>) -> String {
    let compose = |head: &str| match link {
        Some(link) => format!("{head} {link}"),
        None => head.to_owned(),
    };
    let full = compose(head);
    if weighted_length(&full) <= MAX_WEIGHT {
        return full;
    }
    // The longest prefix that fits; lengths grow with the prefix, so halving finds it.
    let (mut fits, mut too_long) = (0, head.chars().count());
    while too_long - fits > 1 {
        let mid = (fits + too_long) / 2;
        if weighted_length(&compose(&truncate(head, mid))) <= MAX_WEIGHT {
            fits = mid;
        } else {
            too_long = mid;
        }
    }
    compose(&truncate(head, fits))
}

/// X's weighted length: characters of the common Latin, punctuation and symbol ranges count
/// 1, all others (CJK, emoji...) 2, and a URL 23. A word with a dot might be taken for a
/// domain (`System.IO`), so it counts at least 23 too: over-counting only shortens the text,
/// under-counting would get the post refused.
pub fn weighted_length(text: &str) -> usize {
    let char_weight = |c: char| match u32::from(c) {
        0..=4351 | 8192..=8205 | 8208..=8223 | 8242..=8247 => 1,
        _ => 2,
    };
    let mut total = 0;
    for word in text.split(' ') {
        let weight: usize = word.chars().map(char_weight).sum();
        let lower = word.to_ascii_lowercase();
        total += if lower.starts_with("http://") || lower.starts_with("https://") {
            URL_WEIGHT
        } else if word.contains('.') {
            weight.max(URL_WEIGHT)
        } else {
            weight
        };
    }
    // The spaces split on.
    total + text.matches(' ').count()
}

impl XConfig {
    /// The post: the summary and the event's first link, or the owner's template; cut with
    /// "…" to fit, keeping a link that ends the text whole.
    pub fn text(&self, ev: &OutgoingEvent<'_>) -> Result<String, String> {
        if let Some(text) = templated(ev, TemplatePart::Text, None)? {
            let text = text.trim();
            return Ok(match text.rsplit_once(char::is_whitespace) {
                Some((head, url)) if is_link(url) => fit(head.trim_end(), Some(url)),
                _ if is_link(text) => text.to_owned(),
                _ => fit(text, None),
            });
        }
        let rendered = render(ev.parsed);
        Ok(fit(
            &rendered.summary,
            rendered.links.first().map(|l| l.url.as_str()),
        ))
    }

    /// The OAuth 1.0a `Authorization` value for a POST to `url`.
    pub fn authorization(&self, url: &str, nonce: &str, timestamp: u64) -> String {
        let credentials = oauth1::OAuthCredentials {
            consumer_key: self.consumer_key.clone(),
            consumer_secret: self.consumer_secret.expose().to_owned(),
            token: self.token.clone(),
            token_secret: self.token_secret.expose().to_owned(),
        };
        oauth1::authorization_header("POST", url, &credentials, nonce, timestamp)
    }

    pub fn endpoint(&self) -> String {
        format!("{}/2/tweets", self.api_base)
    }
}

impl Sender for XConfig {
    type Wire = Post;

    fn prepare(&self, ev: &OutgoingEvent<'_>) -> Result<Post, NotSent> {
        let text = self.text(ev).map_err(http_client::unprepared)?;
        let address = self.endpoint();
        let call = ServiceCall {
            what: "the X API URL",
            address: &address,
            secret_url: false,
            content_type: "application/json",
            body: json!({ "text": text }).to_string().into_bytes(),
        };
        // The signature covers the URL exactly as it is sent.
        let sign = |url: &url::Url| {
            let timestamp =
                u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
            vec![(
                "Authorization".into(),
                self.authorization(url.as_str(), &oauth1::new_nonce(), timestamp),
            )]
        };
        http_client::service_post(call, sign)
    }

    async fn send(&self, ctx: &SendContext, ev: &OutgoingEvent<'_>) -> Attempt {
        http_client::send_prepared(ctx, &self.redactor(), self.prepare(ev), judge).await
    }
}

/// 201 succeeds. 401 (bad keys) and 403 (duplicate content, missing write permission) are
/// permanent with X's explanation; 429 is retried once the limit resets (`x-rate-limit-reset`,
/// epoch seconds; X sends no `Retry-After`).
fn judge(r: &Received) -> Verdict {
    let body = serde_json::from_slice::<Value>(&r.body).ok();
    let detail = body.as_ref().and_then(|b| {
        b.get("detail")
            .or_else(|| b.pointer("/errors/0/message"))
            .or_else(|| b.get("title"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let detail = match (r.status, detail) {
        (401, d) => Some(
            format!(
                "{} (check the consumer key and secret, token and token secret)",
                d.unwrap_or_default()
            )
            .trim_start()
            .to_owned(),
        ),
        (_, d) => d.or_else(|| (!r.body.is_empty()).then(|| r.readable_text())),
    };
    let mut verdict = judge_status(r, "X", detail, false);
    if verdict.class == AttemptClass::Retryable {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let reset = r
            .header("x-rate-limit-reset")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map(|at| Duration::from_secs(u64::try_from(at - now).unwrap_or(0)));
        verdict.retry_after = reset.or(verdict.retry_after);
    }
    verdict
}
