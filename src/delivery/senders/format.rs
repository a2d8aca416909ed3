//! Shared pieces of the chat and SMS renderings: the event's key facts as label/value pairs,
//! text cleaning and length limits. Values come from the event's sender and are untrusted;
//! each service's escaping is applied by its sender.
use serde_json::Value;

use crate::events::EventType;

/// Longest fact value; identifiers are far shorter in practice.
const MAX_FACT: usize = 200;
/// Most built packages listed in one fact.
const MAX_PACKAGES: usize = 20;

/// One line of at most `max` characters: control characters (line breaks included), bidi
/// overrides and runs of whitespace become single spaces; a cut ends in "…".
pub fn clean(s: &str, max: usize) -> String {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}')
            || ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    let spaced: String = s
        .chars()
        .map(|c| if unsafe_char(c) { ' ' } else { c })
        .collect();
    truncate(
        &spaced.split_whitespace().collect::<Vec<_>>().join(" "),
        max,
    )
}

/// At most `max` characters; "…" marks a cut.
pub fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some(_) => {
            let keep: String = s.chars().take(max.saturating_sub(1)).collect();
            format!("{}…", keep.trim_end())
        }
    }
}

fn field(v: &Value, key: &str) -> Option<String> {
    let s = clean(v.get(key)?.as_str()?, MAX_FACT);
    (!s.is_empty()).then_some(s)
}

/// The event's key facts, in reading order, for Slack fields and Teams fact sets.
pub fn facts(envelope: &Value) -> Vec<(&'static str, String)> {
    let p = envelope.get("Payload").unwrap_or(&Value::Null);
    let event = envelope
        .get("PayloadType")
        .and_then(Value::as_str)
        .and_then(EventType::from_payload_type);
    let mut out: Vec<(&'static str, Option<String>)> = Vec::new();
    match event {
        Some(t) if t.is_build() => {
            out.push(("Build", field(p, "Name")));
            out.push(("Branch", field(p, "Branch")));
            out.push(("Result", field(p, "Result")));
            out.push(("Packages", packages(p.get("Packages"))));
        }
        Some(EventType::Ping) | None => {}
        Some(_) => {
            let package = match (field(p, "PackageIdentifier"), field(p, "PackageVersion")) {
                (Some(id), Some(v)) => Some(format!("{id} {v}")),
                (id, _) => id,
            };
            out.push(("Package", package));
            out.push(("Type", field(p, "PackageType")));
            out.push(("Action", field(p, "Action")));
            out.push(("Pushed to", field(p, "TargetPackageSourceName")));
        }
    }
    out.push(("Feed", field(p, "FeedIdentifier")));
    out.push(("User", field(envelope, "Username")));
    out.push(("When", field(envelope, "When")));
    out.into_iter().filter_map(|(k, v)| Some((k, v?))).collect()
}

fn packages(list: Option<&Value>) -> Option<String> {
    let list = list?.as_array()?;
    let mut names: Vec<String> = list
        .iter()
        .take(MAX_PACKAGES)
        .map(|p| {
            let id = field(p, "PackageIdentifier").unwrap_or_else(|| "?".into());
            match field(p, "PackageVersion") {
                Some(v) => format!("{id} {v}"),
                None => id,
            }
        })
        .collect();
    if list.len() > MAX_PACKAGES {
        names.push(format!("and {} more", list.len() - MAX_PACKAGES));
    }
    (!names.is_empty()).then(|| names.join(", "))
}

/// Escapes text for Slack's mrkdwn: only `&`, `<` and `>` are special (they start entities
/// and `<url|label>` links), per Slack's formatting guide.
pub fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Escapes the characters that make Teams' Markdown subset format or link text (emphasis,
/// code, links); the rest is left alone so versions like 1.0.0 read normally.
pub fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\`*_[]~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cleans_and_truncates() {
        assert_eq!(clean("a\r\nb\t\u{202E}c", 10), "a b c");
        assert_eq!(clean("abcdef", 4), "abc…");
        assert_eq!(truncate("ééé", 3), "ééé");
    }

    #[test]
    fn facts_of_builds_and_packages() {
        let build = json!({"PayloadType": "BuildFinishedWebHookEventPayloadV1", "Username": "ann",
            "Payload": {"Name": "Nightly", "Branch": "main", "Result": "failed", "FeedIdentifier": "f",
            "Packages": [{"PackageIdentifier": "A", "PackageVersion": "1.0"}, {"PackageIdentifier": "B"}]}});
        assert_eq!(
            facts(&build),
            vec![
                ("Build", "Nightly".into()),
                ("Branch", "main".into()),
                ("Result", "failed".into()),
                ("Packages", "A 1.0, B".into()),
                ("Feed", "f".into()),
                ("User", "ann".into())
            ]
        );
        let package = json!({"PayloadType": "PackageListedWebHookEventPayloadV1",
            "Payload": {"Action": "unlisted", "PackageIdentifier": "P\nQ", "PackageVersion": "2"}});
        assert_eq!(
            facts(&package),
            vec![("Package", "P Q 2".into()), ("Action", "unlisted".into())]
        );
        assert!(facts(&json!(null)).is_empty());
    }

    #[test]
    fn escapes() {
        assert_eq!(slack_escape("<b>&</b>"), "&lt;b&gt;&amp;&lt;/b&gt;");
        assert_eq!(html_escape("<'\">"), "&lt;&#39;&quot;&gt;");
        assert_eq!(markdown_escape("[x](y) *z* 1.0"), "\\[x\\](y) \\*z\\* 1.0");
    }
}
