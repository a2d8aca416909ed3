//! `teams` hooks: an Adaptive Card for Teams Workflows webhooks, or a legacy MessageCard.
use serde_json::{Value, json};

use super::format::{clean, facts, html_escape, markdown_escape, truncate};
use super::http_client::{self, NotSent, Post, Received, ServiceCall};
use super::verdict::{Verdict, judge_status};
use super::wording::templated;
use super::{OutgoingEvent, SendContext, Sender};
use crate::delivery::attempt::Attempt;
use crate::domain::hook_config::wording::TemplatePart;
use crate::domain::hook_config::{TeamsConfig, TeamsFormat};
use crate::events::template::Escape;
use crate::events::{BuildResult, Link, build_result, render};

/// Teams refuses cards over 28 KB; this leaves room for the envelope around the card.
pub const MAX_CARD_BYTES: usize = 27 * 1024;
/// Longest package description shown on a card; the details page has the rest.
const MAX_DESCRIPTION: usize = 1000;

/// The texts of a card before a format lays them out; shortened together when too big.
struct Content {
    summary: String,
    /// The owner's template of the title, rendered with values already escaped for the
    /// format; the title is the escaped summary without one.
    title: Option<String>,
    description: Option<String>,
    facts: Vec<(&'static str, String)>,
    links: Vec<Link>,
    color: &'static str,
}

impl Content {
    fn of(envelope: &Value, title: Option<String>) -> Self {
        let description = envelope
            .pointer("/Payload/PackageMetadata/Description")
            .and_then(Value::as_str)
            .map(|d| clean(d, MAX_DESCRIPTION))
            .filter(|d| !d.is_empty());
        let color = match build_result(envelope) {
            Some(BuildResult::Succeeded) => "2EB886",
            Some(BuildResult::Failed) => "D00000",
            _ => "0076D7",
        };
        let rendered = render(envelope);
        Content {
            summary: rendered.summary,
            title,
            description,
            facts: facts(envelope),
            links: rendered.links,
            color,
        }
    }

    /// Halves the longest text; false when nothing is long enough to be worth cutting.
    fn shrink(&mut self) -> bool {
        let mut texts: Vec<&mut String> = self.facts.iter_mut().map(|(_, v)| v).collect();
        texts.extend(self.description.as_mut());
        texts.push(&mut self.summary);
        texts.extend(self.title.as_mut());
        let Some(longest) = texts.into_iter().max_by_key(|t| t.len()) else {
            return false;
        };
        let chars = longest.chars().count();
        if chars < 40 {
            return false;
        }
        *longest = truncate(longest, chars / 2);
        true
    }

    fn adaptive(&self) -> Value {
        let text = |s: &str| markdown_escape(s);
        let mut body = vec![
            json!({"type": "TextBlock", "text": self.title.clone().unwrap_or_else(|| text(&self.summary)), "weight": "Bolder", "wrap": true}),
        ];
        if let Some(d) = &self.description {
            body.push(
                json!({"type": "TextBlock", "text": text(d), "wrap": true, "isSubtle": true}),
            );
        }
        if !self.facts.is_empty() {
            let facts: Vec<Value> = self
                .facts
                .iter()
                .map(|(k, v)| json!({"title": k, "value": text(v)}))
                .collect();
            body.push(json!({"type": "FactSet", "facts": facts}));
        }
        let actions: Vec<Value> = self
            .links
            .iter()
            .map(|l| json!({"type": "Action.OpenUrl", "title": l.label, "url": l.url}))
            .collect();
        json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.2",
                    "body": body,
                    "actions": actions,
                },
            }],
        })
    }

    /// MessageCard text is Markdown that also renders some HTML, so both are escaped.
    fn messagecard(&self) -> Value {
        let text = |s: &str| markdown_escape(&html_escape(s));
        let mut section = json!({
            "activityTitle": self.title.clone().unwrap_or_else(|| text(&self.summary)),
            "facts": self.facts.iter().map(|(k, v)| json!({"name": k, "value": text(v)})).collect::<Vec<_>>(),
            "markdown": true,
        });
        if let Some(d) = &self.description {
            section["text"] = text(d).into();
        }
        let actions: Vec<Value> = self
            .links
            .iter()
            .map(|l| json!({"@type": "OpenUri", "name": l.label, "targets": [{"os": "default", "uri": l.url}]}))
            .collect();
        json!({
            "@type": "MessageCard",
            "@context": "http://schema.org/extensions",
            "themeColor": self.color,
            // Shown in notification previews; escaped too, in case a client renders it.
            "summary": html_escape(&clean(&self.summary, 200)),
            "sections": [section],
            "potentialAction": actions,
        })
    }
}

impl TeamsConfig {
    /// The card in the chosen format, shortened until it fits in [`MAX_CARD_BYTES`].
    /// The card; the owner's template, if any, words its title.
    pub fn payload(&self, ev: &OutgoingEvent<'_>) -> Result<Value, String> {
        let escape: Escape = match self.format {
            TeamsFormat::Adaptive => markdown_escape,
            TeamsFormat::Messagecard => |s| markdown_escape(&html_escape(s)),
        };
        let title = templated(ev, TemplatePart::Text, Some(escape))?;
        let mut content = Content::of(ev.parsed, title);
        loop {
            let card = match self.format {
                TeamsFormat::Adaptive => content.adaptive(),
                TeamsFormat::Messagecard => content.messagecard(),
            };
            if card.to_string().len() <= MAX_CARD_BYTES || !content.shrink() {
                return Ok(card);
            }
        }
    }
}

impl Sender for TeamsConfig {
    type Wire = Post;

    fn prepare(&self, ev: &OutgoingEvent<'_>) -> Result<Post, NotSent> {
        let body = self.payload(ev).map_err(http_client::unprepared)?;
        let call = ServiceCall {
            what: "the Teams webhook URL",
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

/// 200 (legacy connectors, body `1`) and 202 (Workflows) both succeed. Workflows explain
/// errors as `{"error": {"code", "message"}}`, connectors in plain text.
fn judge(r: &Received) -> Verdict {
    let detail = serde_json::from_slice::<Value>(&r.body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .or_else(|| (!r.body.is_empty()).then(|| r.readable_text()));
    judge_status(r, "Teams", detail, false)
}
