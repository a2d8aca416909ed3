//! `slack` hooks: a message through an incoming webhook.
use serde_json::{Map, Value, json};

use super::format::{facts, slack_escape};
use super::http_client::{self, Received, ServiceCall, Verdict, judge_status};
use super::redact::Redactor;
use super::{OutgoingEvent, SendContext, Sender};
use crate::delivery::attempt::Attempt;
use crate::domain::hook_config::{SlackConfig, secret_values_of};
use crate::events::{BuildResult, EventType, build_result, render};

impl SlackConfig {
    /// The message: the summary and `<url|label>` links in `text`; a build result also gets
    /// an attachment coloured good/danger with the build's facts as fields.
    pub fn payload(&self, ev: &OutgoingEvent<'_>) -> Value {
        let rendered = render(ev.parsed);
        let mut text = slack_escape(&rendered.summary);
        let links: Vec<String> = rendered
            .links
            .iter()
            // `render` only lists URLs without whitespace, `<`, `>` or `|`, which could break
            // out of the link markup; the label is ours.
            .map(|l| format!("<{}|{}>", l.url, slack_escape(l.label)))
            .collect();
        if !links.is_empty() {
            text.push('\n');
            text.push_str(&links.join(" | "));
        }
        let mut message = Map::new();
        message.insert("text".into(), text.into());
        if ev.event == EventType::BuildFinished {
            let color = match build_result(ev.parsed) {
                Some(BuildResult::Succeeded) => "good",
                Some(BuildResult::Failed) => "danger",
                _ => "warning",
            };
            let fields: Vec<Value> = facts(ev.parsed)
                .into_iter()
                .map(|(title, value)| {
                    json!({"title": title, "value": slack_escape(&value), "short": title != "Packages"})
                })
                .collect();
            message.insert(
                "attachments".into(),
                json!([{"fallback": slack_escape(&rendered.summary), "color": color, "fields": fields}]),
            );
        }
        if let Some(channel) = &self.channel {
            message.insert("channel".into(), channel.clone().into());
        }
        Value::Object(message)
    }
}

impl Sender for SlackConfig {
    async fn send(&self, ctx: &SendContext, ev: &OutgoingEvent<'_>) -> Attempt {
        let call = ServiceCall {
            what: "the Slack webhook URL",
            address: self.webhook_url.expose(),
            secret_url: true,
            content_type: "application/json",
            body: self.payload(ev).to_string().into_bytes(),
        };
        let redactor = Redactor::new(secret_values_of(self));
        http_client::call_service(ctx, &redactor, call, |_| vec![], judge).await
    }
}

/// 200 `ok` succeeds. Errors are plain words (`invalid_payload`, `channel_not_found`,
/// `no_service`, `action_prohibited`, `channel_is_archived`...), shown as they are; 429 waits
/// out `Retry-After`. A 410 (archived channel) is permanent, but does not disable the hook the
/// way an `http` receiver's 410 does.
fn judge(r: &Received) -> Verdict {
    let detail = (!r.body.is_empty()).then(|| r.readable_text());
    judge_status(r, "Slack", detail, false)
}
