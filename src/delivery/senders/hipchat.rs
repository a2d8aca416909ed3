//! `hipchat` hooks: a room notification through HipChat Server's v2 API.
use serde_json::{Value, json};

use super::format::{html_escape, truncate};
use super::http_client::{self, NotSent, Post, Received, ServiceCall};
use super::verdict::{Verdict, judge_status};
use super::wording::templated;
use super::{OutgoingEvent, SendContext, Sender};
use crate::delivery::attempt::Attempt;
use crate::domain::hook_config::wording::TemplatePart;
use crate::domain::hook_config::{HipchatColor, HipchatConfig};
use crate::events::{BuildResult, build_result, render};
use crate::primitives::percent::percent_encode;

/// HipChat refuses longer messages.
pub const MAX_MESSAGE: usize = 10_000;

impl HipchatConfig {
    /// The colour of this event: by build state when `color_by_status`, else the chosen one.
    pub fn color_for(&self, envelope: &Value) -> HipchatColor {
        match (self.color_by_status, build_result(envelope)) {
            (true, Some(BuildResult::Started)) => HipchatColor::Gray,
            (true, Some(BuildResult::Succeeded)) => HipchatColor::Green,
            (true, Some(BuildResult::Failed)) => HipchatColor::Red,
            _ => self.color,
        }
    }

    /// The notification's JSON body: the HTML rendering (values escaped by `render`), or, if
    /// that is too long for HipChat, the plain text cut to fit (cutting HTML could break a tag).
    /// The notification: HipChat's HTML, from the owner's template (values HTML-escaped) or
    /// the built-in wording; the built-in plain text when its HTML is too long.
    pub fn payload(&self, ev: &OutgoingEvent<'_>) -> Result<Value, String> {
        let envelope = ev.parsed;
        let rendered = render(envelope);
        let (message, format) =
            if let Some(html) = templated(ev, TemplatePart::Text, Some(html_escape))? {
                (truncate(html.trim_end(), MAX_MESSAGE), "html")
            } else if rendered.html.trim_end().chars().count() <= MAX_MESSAGE {
                (rendered.html.trim_end().to_owned(), "html")
            } else {
                (truncate(rendered.text.trim_end(), MAX_MESSAGE), "text")
            };
        Ok(json!({
            "message": message,
            "message_format": format,
            "color": self.color_for(envelope).as_str(),
            "notify": self.notify,
        }))
    }
}

impl Sender for HipchatConfig {
    type Wire = Post;

    fn prepare(&self, ev: &OutgoingEvent<'_>) -> Result<Post, NotSent> {
        let body = self.payload(ev).map_err(http_client::unprepared)?;
        let address = format!(
            "{}/v2/room/{}/notification",
            self.server,
            percent_encode(&self.room)
        );
        let call = ServiceCall {
            what: "the HipChat server URL",
            address: &address,
            secret_url: false,
            content_type: "application/json",
            body: body.to_string().into_bytes(),
        };
        let auth = vec![(
            "Authorization".into(),
            format!("Bearer {}", self.auth_token.expose()),
        )];
        http_client::service_post(call, |_| auth)
    }

    async fn send(&self, ctx: &SendContext, ev: &OutgoingEvent<'_>) -> Attempt {
        http_client::send_prepared(ctx, &self.redactor(), self.prepare(ev), judge).await
    }
}

/// 2xx (204) succeed. HipChat explains errors in `{"error": {"code", "message", "type"}}`:
/// 401 (bad token) and 404 (unknown room) are permanent with its message; 429 and 5xx retry.
fn judge(r: &Received) -> Verdict {
    let detail = serde_json::from_slice::<Value>(&r.body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .or_else(|| (!r.body.is_empty()).then(|| r.readable_text()));
    let detail = match (r.status, detail) {
        (401, Some(d)) => Some(format!("{d} (check the auth token)")),
        (404, Some(d)) => Some(format!("{d} (check the room name or id)")),
        (_, d) => d,
    };
    judge_status(r, "HipChat", detail, false)
}
