//! `slack` hooks: a message through an incoming webhook.
use serde_json::{Map, Value, json};

use super::format::{facts, slack_escape};
use super::http_client::{self, NotSent, Post, Received, ServiceCall};
use super::verdict::{Verdict, judge_status};
use super::wording::templated;
use super::{OutgoingEvent, SendContext, Sender};
use crate::delivery::attempt::Attempt;
use crate::domain::hook_config::SlackConfig;
use crate::domain::hook_config::wording::TemplatePart;
use crate::events::{BuildResult, EventType, Rendered, build_result, render};

impl SlackConfig {
    /// The message: the summary and `<url|label>` links in `text` (or the owner's template,
    /// values mrkdwn-escaped); a build result also gets an attachment coloured good/danger
    /// with the build's facts as fields.
    pub fn payload(&self, ev: &OutgoingEvent<'_>) -> Result<Value, String> {
        let rendered = render(ev.parsed);
        let text = match templated(ev, TemplatePart::Text, Some(slack_escape))? {
            Some(text) => text,
            None => built_in_text(&rendered),
        };
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
        Ok(Value::Object(message))
    }
}

/// The summary, then the links as `<url|label>`.
fn built_in_text(rendered: &Rendered) -> String {
    let mut text = slack_escape(&rendered.summary);
    let links: Vec<String> = rendered
        .links
        .iter()
        // `render` only lists URLs without whitespace, `<`, `>` or `|`, which could break out
        // of the link markup; the label is ours.
        .map(|l| format!("<{}|{}>", l.url, slack_escape(l.label)))
        .collect();
    if !links.is_empty() {
        text.push('\n');
        text.push_str(&links.join(" | "));
    }
    text
}

impl Sender for SlackConfig {
    type Wire = Post;

    fn prepare(&self, ev: &OutgoingEvent<'_>) -> Result<Post, NotSent> {
        let body = self.payload(ev).map_err(http_client::unprepared)?;
        let call = ServiceCall {
            what: "the Slack webhook URL",
            address: self.webhook_url.expose(),
            secret_url: true,
            content_type: "application/json",
            body: body.to_string().into_bytes(),
        };
        http_client::service_post(call, |_| vec![])
    }

    async fn send(&self, ctx: &SendContext, ev: &OutgoingEvent<'_>) -> Attempt {
        http_client::send_prepared(ctx, &self.redactor(), self.prepare(ev), judge).await
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
