//! `twilio` hooks: an SMS through Twilio's Messages API.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::format::truncate;
use super::http_client::{self, NotSent, Post, Received, ServiceCall};
use super::verdict::{Verdict, judge_status};
use super::wording::templated;
use super::{OutgoingEvent, SendContext, Sender};
use crate::delivery::attempt::Attempt;
use crate::delivery::retry::AttemptClass;
use crate::domain::hook_config::TwilioConfig;
use crate::domain::hook_config::wording::TemplatePart;
use crate::events::render;
use crate::primitives::percent::percent_encode;

/// Twilio's limit on a message body (it splits it into up to 10 segments).
pub const MAX_BODY: usize = 1600;

impl TwilioConfig {
    /// The SMS text: the summary and the first link, cut to fit while keeping the link whole;
    /// or the owner's template, cut to fit.
    pub fn text(&self, ev: &OutgoingEvent<'_>) -> Result<String, String> {
        if let Some(text) = templated(ev, TemplatePart::Text, None)? {
            return Ok(truncate(text.trim(), MAX_BODY));
        }
        let rendered = render(ev.parsed);
        Ok(match rendered.links.first() {
            Some(link) if link.url.chars().count() < MAX_BODY / 2 => {
                let room = MAX_BODY - link.url.chars().count() - 1;
                format!("{}\n{}", truncate(&rendered.summary, room), link.url)
            }
            _ => truncate(&rendered.summary, MAX_BODY),
        })
    }

    fn form(&self, ev: &OutgoingEvent<'_>) -> Result<String, String> {
        Ok(url::form_urlencoded::Serializer::new(String::new())
            .append_pair("To", &self.to)
            .append_pair("From", &self.from)
            .append_pair("Body", &self.text(ev)?)
            .finish())
    }
}

impl Sender for TwilioConfig {
    type Wire = Post;

    fn prepare(&self, ev: &OutgoingEvent<'_>) -> Result<Post, NotSent> {
        let form = self.form(ev).map_err(http_client::unprepared)?;
        let address = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.api_base,
            percent_encode(&self.account_sid)
        );
        let call = ServiceCall {
            what: "the Twilio API URL",
            address: &address,
            secret_url: false,
            content_type: "application/x-www-form-urlencoded",
            body: form.into_bytes(),
        };
        let basic = STANDARD.encode(format!("{}:{}", self.account_sid, self.auth_token.expose()));
        let auth = vec![("Authorization".into(), format!("Basic {basic}"))];
        http_client::service_post(call, |_| auth)
    }

    async fn send(&self, ctx: &SendContext, ev: &OutgoingEvent<'_>) -> Attempt {
        http_client::send_prepared(ctx, &self.redactor(), self.prepare(ev), judge).await
    }
}

/// 201 succeeds. Errors come as `{"code", "message", "more_info", "status"}`: 20003
/// (authentication), 21211 / 21614 (bad `To`), 21617 (too long) and other 4xx are permanent;
/// 20429 and HTTP 429 (rate limit) and 5xx are retried. Twilio's message is shown.
fn judge(r: &Received) -> Verdict {
    let error = serde_json::from_slice::<Value>(&r.body).ok();
    let code = error
        .as_ref()
        .and_then(|e| e.get("code"))
        .and_then(Value::as_u64);
    let detail = error.as_ref().and_then(|e| {
        let message = e.get("message")?.as_str()?;
        let hint = match code? {
            20003 => " (check the Account SID and auth token)",
            21211 | 21614 => " (check the To number)",
            21606 | 21659 => " (check the From number)",
            _ => "",
        };
        let more = e
            .get("more_info")
            .and_then(Value::as_str)
            .map(|m| format!(" See {m}"))
            .unwrap_or_default();
        Some(format!("error {}: {message}{hint}.{more}", code?))
    });
    let detail = detail.or_else(|| (!r.body.is_empty()).then(|| r.readable_text()));
    let mut verdict = judge_status(r, "Twilio", detail, false);
    if code == Some(20429) && verdict.class == AttemptClass::Permanent {
        verdict.class = AttemptClass::Retryable;
        verdict.retry_after = r.retry_after();
    }
    verdict
}
