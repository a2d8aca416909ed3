//! Human rendering of an event, shared by e-mail, Slack, Teams, HipChat, SMS, tweets and the
//! web UI, so that every channel says the same thing.
//!
//! Values come from senders and are untrusted: every value is cleaned of control characters
//! (the summary is always one line), cut to a sane length, and HTML-escaped in `html`. Only
//! http(s) URLs become links. `render` accepts any JSON value and never panics; a missing
//! identity (package, version, build name, feed) reads "?", while a missing qualifier
//! (user, package type, branch) is left out of the sentence.

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

use super::catalog::EventType;
use super::text::{escape_html, is_web_url, multi_line, one_line};

/// Longest value in a sentence or list item; identifiers are far shorter in practice.
const MAX_VALUE: usize = 200;
/// Longest package description shown: notifications point to the details page for the rest.
const MAX_DESCRIPTION: usize = 1000;
/// Most dependencies or built packages listed, so a huge payload makes no huge message.
const MAX_ITEMS: usize = 50;
const MISSING: &str = "?";

/// URL fields of a payload, in the order links are shown.
const LINK_FIELDS: [(&str, &str); 5] = [
    ("Details", "PackageDetailsUrl"),
    ("Download", "PackageDownloadUrl"),
    ("Build log", "BuildLogUrl"),
    ("Feed", "FeedUrl"),
    ("Target feed", "TargetPackageSourceUrl"),
];

/// A clickable http(s) link of the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub label: &'static str,
    pub url: String,
}

/// One event, ready for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    /// One line: who did what to which package or build, in which feed.
    pub summary: String,
    /// Plain text: the summary, details and links, ending in a newline.
    pub text: String,
    /// An HTML fragment with the same content, every value escaped.
    pub html: String,
    /// The payload's http(s) links.
    pub links: Vec<Link>,
}

/// State of a build, for "color build events based on status".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BuildResult {
    /// Queued or started: no outcome yet (HipChat shows it gray).
    Started,
    Succeeded,
    Failed,
}

/// The build state of a build event; `None` for other events and unknown results.
pub fn build_result(envelope: &Value) -> Option<BuildResult> {
    let payload = envelope.get("Payload").unwrap_or(&Value::Null);
    match event_of(envelope)? {
        // A queued build has no outcome either, so it is colored like a started one.
        EventType::BuildQueued | EventType::BuildStarted => Some(BuildResult::Started),
        EventType::BuildFinished => match payload.get("Result").and_then(Value::as_str) {
            Some("success") => Some(BuildResult::Succeeded),
            Some("failed") => Some(BuildResult::Failed),
            _ => None,
        },
        _ => None,
    }
}

/// Renders an envelope, ideally a validated one; anything else still renders.
pub fn render(envelope: &Value) -> Rendered {
    let payload = envelope.get("Payload").unwrap_or(&Value::Null);
    let sentence = summary(envelope, payload);
    let mut doc = Doc::default();
    doc.block(sentence.text(), format!("<p>{}</p>", sentence.html()));

    if event_of(envelope) == Some(EventType::Ping) {
        let by = opt(envelope, "Username")
            .map(|u| format!(" sent by {u}"))
            .unwrap_or_default();
        doc.paragraph(&format!(
            "This is a test message{by} to check that the webhook works."
        ));
    }
    let metadata = payload.get("PackageMetadata").unwrap_or(&Value::Null);
    if let Some(description) = metadata.get("Description").and_then(Value::as_str) {
        doc.paragraph(&multi_line(description, MAX_DESCRIPTION));
    }
    doc.list("Dependencies", &dependencies(metadata));
    doc.list("Packages added to the feed", &packages(payload));
    doc.facts(&facts(envelope, metadata));
    let links = links(payload, &mut doc);

    Rendered {
        summary: sentence.text(),
        text: doc.text(),
        html: doc.html(),
        links,
    }
}

/// "Newtonsoft.Json [13.0.1, ) for net8.0", one per dependency.
fn dependencies(metadata: &Value) -> Vec<String> {
    items(metadata.get("Dependencies"), |d| {
        let version = opt(d, "PackageVersion")
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        let framework = opt(d, "TargetFramework")
            .map(|f| format!(" for {f}"))
            .unwrap_or_default();
        format!("{}{version}{framework}", val(d, "PackageIdentifier"))
    })
}

/// A finished build's packages: "Contoso.Core 1.0.0 (NuGet)".
fn packages(payload: &Value) -> Vec<String> {
    items(payload.get("Packages"), |p| {
        let kind = opt(p, "PackageType")
            .map(|k| format!(" ({k})"))
            .unwrap_or_default();
        let version = opt(p, "PackageVersion")
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        format!("{}{version}{kind}", val(p, "PackageIdentifier"))
    })
}

/// Authors, the user where the sentence did not name them, and when.
fn facts(envelope: &Value, metadata: &Value) -> Vec<(&'static str, String)> {
    let mut facts = Vec::new();
    if let Some(authors) = authors(metadata) {
        facts.push(("Authors", authors));
    }
    // Package sentences and the ping's message already name the user; builds do not.
    let named = event_of(envelope).is_some_and(|t| !t.is_build());
    if let (false, Some(user)) = (named, opt(envelope, "Username")) {
        facts.push(("User", user));
    }
    if let Some(when) = envelope.get("When").and_then(Value::as_str) {
        facts.push(("When", format_when(when)));
    }
    facts
}

/// The payload's links as a last block of the document; only web addresses become links.
fn links(payload: &Value, doc: &mut Doc) -> Vec<Link> {
    let mut links = Vec::new();
    let (mut text_lines, mut html_parts) = (Vec::new(), Vec::new());
    for (label, key) in LINK_FIELDS {
        let Some(url) = payload
            .get(key)
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
        else {
            continue;
        };
        if is_web_url(url) {
            text_lines.push(format!("{label}: {url}"));
            html_parts.push(format!("<a href=\"{}\">{label}</a>", escape_html(url)));
            links.push(Link {
                label,
                url: url.to_string(),
            });
        } else {
            // Not a web address (javascript:, a relative path, ...): shown, never linked.
            let shown = one_line(url, MAX_VALUE);
            text_lines.push(format!("{label}: {shown}"));
            html_parts.push(format!("{label}: {}", escape_html(&shown)));
        }
    }
    if !text_lines.is_empty() {
        doc.block(
            text_lines.join("\n"),
            format!("<p>{}</p>", html_parts.join(" | ")),
        );
    }
    links
}

fn event_of(envelope: &Value) -> Option<EventType> {
    envelope
        .get("PayloadType")
        .and_then(Value::as_str)
        .and_then(EventType::from_payload_type)
}

/// A present, non-blank string value, made safe for one line.
fn opt(v: &Value, key: &str) -> Option<String> {
    let s = one_line(v.get(key)?.as_str()?, MAX_VALUE);
    (!s.is_empty()).then_some(s)
}

/// Like `opt`, but "?" when missing.
fn val(v: &Value, key: &str) -> String {
    opt(v, key).unwrap_or_else(|| MISSING.to_string())
}

fn summary(envelope: &Value, p: &Value) -> Sentence {
    let mut s = Sentence::default();
    let feed = val(p, "FeedIdentifier");
    match event_of(envelope) {
        // A ping without a feed (as in the spec's example) says who sent it instead.
        Some(EventType::Ping) => {
            match (opt(p, "FeedIdentifier"), opt(envelope, "Username")) {
                (Some(feed), _) => s.plain("Ping from feed ").strong(feed),
                (None, Some(user)) => s.plain(&format!("Ping from {user}")),
                (None, None) => s.plain("Ping"),
            };
        }
        Some(t) if t.is_build() => {
            let verb = match (t, p.get("Result").and_then(Value::as_str)) {
                (EventType::BuildQueued, _) => "queued",
                (EventType::BuildStarted, _) => "started",
                (_, Some("success")) => "succeeded",
                (_, Some("failed")) => "failed",
                _ => "finished",
            };
            s.plain("Build ").strong(val(p, "Name"));
            if let Some(branch) = opt(p, "Branch") {
                s.plain(&format!(" ({branch})"));
            }
            s.plain(&format!(" {verb} in feed ")).strong(feed);
        }
        Some(t) => package_sentence(&mut s, t, envelope, p, feed),
        None => {
            s.plain("Event ")
                .strong(val(envelope, "PayloadType"))
                .plain(" in feed ")
                .strong(feed);
        }
    }
    s
}

fn package_sentence(s: &mut Sentence, t: EventType, envelope: &Value, p: &Value, feed: String) {
    let action = p.get("Action").and_then(Value::as_str);
    let pick = |choices: [&'static str; 2], neither: &'static str| {
        choices
            .into_iter()
            .find(|c| Some(*c) == action)
            .unwrap_or(neither)
    };
    let (verb, preposition) = match t {
        EventType::PackageAdded => ("added", "to"),
        EventType::PackageDeleted => ("deleted", "from"),
        EventType::PackageListed => (pick(["listed", "unlisted"], "listed or unlisted"), "in"),
        EventType::PackagePinned => (pick(["pinned", "unpinned"], "pinned or unpinned"), "in"),
        EventType::PackagePushed => ("pushed", "from"),
        _ => ("changed", "in"), // not reached: pings and builds have their own sentences
    };
    let user = opt(envelope, "Username");
    let kind = opt(p, "PackageType");
    // Without a user the sentence turns passive: "NuGet package X 1.0 was added to feed f".
    let noun = match (&user, kind) {
        (Some(user), Some(kind)) => format!("{user} {verb} {kind} package "),
        (Some(user), None) => format!("{user} {verb} package "),
        (None, Some(kind)) => format!("{kind} package "),
        (None, None) => "Package ".to_string(),
    };
    s.plain(&noun).strong(format!(
        "{} {}",
        val(p, "PackageIdentifier"),
        val(p, "PackageVersion")
    ));
    if user.is_none() {
        s.plain(&format!(" was {verb}"));
    }
    s.plain(&format!(" {preposition} feed ")).strong(feed);
    if t == EventType::PackagePushed {
        match opt(p, "TargetPackageSourceName").or_else(|| opt(p, "TargetPackageSourceUrl")) {
            Some(target) => s.plain(" to ").strong(target),
            None => s.plain(" to another feed"),
        };
    }
}

fn authors(metadata: &Value) -> Option<String> {
    match metadata.get("Authors")? {
        Value::Array(list) => {
            let names: Vec<String> = list
                .iter()
                .filter_map(Value::as_str)
                .map(|a| one_line(a, MAX_VALUE))
                .collect();
            (!names.is_empty()).then(|| one_line(&names.join(", "), MAX_VALUE))
        }
        _ => opt(metadata, "Authors"),
    }
}

/// Renders the entries of a JSON array, at most `MAX_ITEMS` of them.
fn items(list: Option<&Value>, line: impl Fn(&Value) -> String) -> Vec<String> {
    let Some(Value::Array(list)) = list else {
        return Vec::new();
    };
    let mut out: Vec<String> = list.iter().take(MAX_ITEMS).map(line).collect();
    if list.len() > MAX_ITEMS {
        out.push(format!("… and {} more", list.len() - MAX_ITEMS));
    }
    out
}

/// "2014-09-08 12:59:53 UTC"; an unreadable value is shown as sent.
fn format_when(when: &str) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    OffsetDateTime::parse(when, &Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(time::UtcOffset::UTC).format(format).ok())
        .unwrap_or_else(|| one_line(when, MAX_VALUE))
}

/// The summary as parts, so HTML can emphasise the values that matter.
#[derive(Default)]
struct Sentence {
    parts: Vec<(String, bool)>,
}

impl Sentence {
    fn plain(&mut self, s: &str) -> &mut Self {
        self.parts.push((s.to_string(), false));
        self
    }

    fn strong(&mut self, s: String) -> &mut Self {
        self.parts.push((s, true));
        self
    }

    fn text(&self) -> String {
        self.parts.iter().map(|(s, _)| s.as_str()).collect()
    }

    fn html(&self) -> String {
        let part = |(s, strong): &(String, bool)| match strong {
            true => format!("<strong>{}</strong>", escape_html(s)),
            false => escape_html(s),
        };
        self.parts.iter().map(part).collect()
    }
}

/// Text and HTML built side by side, block by block.
#[derive(Default)]
struct Doc {
    text: Vec<String>,
    html: Vec<String>,
}

impl Doc {
    fn block(&mut self, text: String, html: String) {
        self.text.push(text);
        self.html.push(html);
    }

    /// Already-cleaned text that may hold line breaks.
    fn paragraph(&mut self, text: &str) {
        if !text.is_empty() {
            self.block(
                text.to_string(),
                format!("<p>{}</p>", escape_html(text).replace('\n', "<br>\n")),
            );
        }
    }

    fn list(&mut self, title: &str, items: &[String]) {
        if items.is_empty() {
            return;
        }
        let text: Vec<String> = items.iter().map(|i| format!("- {i}")).collect();
        let html: Vec<String> = items
            .iter()
            .map(|i| format!("<li>{}</li>", escape_html(i)))
            .collect();
        self.block(
            format!("{title}:\n{}", text.join("\n")),
            format!("<p>{title}:</p>\n<ul>\n{}\n</ul>", html.join("\n")),
        );
    }

    fn facts(&mut self, facts: &[(&str, String)]) {
        if facts.is_empty() {
            return;
        }
        let text: Vec<String> = facts.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let html: Vec<String> = facts
            .iter()
            .map(|(k, v)| format!("{k}: {}", escape_html(v)))
            .collect();
        self.block(text.join("\n"), format!("<p>{}</p>", html.join("<br>\n")));
    }

    fn text(&self) -> String {
        self.text.join("\n\n") + "\n"
    }

    fn html(&self) -> String {
        self.html.join("\n") + "\n"
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
