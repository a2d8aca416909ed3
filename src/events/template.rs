//! Owners' message templates (MiniJinja): the wording of a people-channel hook, per event.
//!
//! The context is the envelope as stored (`{{ Payload.PackageIdentifier }}`), plus what the
//! built-in wording offers, in lower case so it never meets an envelope field: `event`,
//! `summary`, `text`, `html` (HTML, already escaped), `links` (`label`, `url`), `feed_name`,
//! `feed_url` and `delivery_url`; the filter `short_version` drops a version's build metadata
//! and a NuGet fourth part of 0.
//!
//! Payload values are untrusted: every value printed loses its control and bidi characters and
//! is escaped for the channel (HTML for mail, mrkdwn for Slack, Markdown for Teams) by the
//! formatter; only the owner's own text and `safe` values pass as written. Missing fields print
//! nothing (chainable undefined), so one template fits events with and without optional
//! fields; fuel bounds what a template may compute, and the output is capped.
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value as JinjaValue};
use serde_json::{Map, Value};

use super::catalog::EventType;
use super::examples::example;
use super::render::render as built_in;
use super::text::without_unsafe;

/// Longest template accepted, in bytes.
pub const MAX_SOURCE: usize = 16 * 1024;
/// Longest rendered message, in bytes; the channel's own limit applies after this.
const MAX_OUTPUT: usize = 64 * 1024;
/// Instructions one render may run: ample for loops over a build's packages, finite for
/// `{% for i in range(10**9) %}`.
const FUEL: u64 = 100_000;

/// How a channel escapes the values a template prints.
pub type Escape = fn(&str) -> String;

/// A template that does not parse or does not render, with its line when the engine knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl From<minijinja::Error> for TemplateError {
    fn from(e: minijinja::Error) -> Self {
        let message = match (e.kind(), e.detail()) {
            (ErrorKind::OutOfFuel, _) => "the template runs too long (a loop without end?)".into(),
            (kind, Some(detail)) => format!("{kind}: {detail}"),
            (kind, None) => kind.to_string(),
        };
        TemplateError {
            line: e.line(),
            message,
        }
    }
}

/// What the context offers besides the envelope.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    pub feed_name: &'a str,
    /// The delivery's page; the preview, made before any delivery exists, has none.
    pub delivery_url: Option<&'a str>,
}

fn environment(escape: Option<Escape>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(20);
    env.add_filter("short_version", short_version);
    // One custom mode for every template of the environment: the formatter below decides.
    env.set_auto_escape_callback(|_| AutoEscape::Custom("channel"));
    env.set_formatter(move |out, _state, value| {
        if value.is_undefined() || value.is_none() {
            return Ok(());
        }
        let text = value.to_string();
        let shown = if value.is_safe() {
            text
        } else {
            let clean = without_unsafe(&text);
            escape.map_or(clean.clone(), |e| e(&clean))
        };
        out.write_str(&shown)
            .map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "cannot write"))
    });
    env
}

/// "1.2.3+build.7" → "1.2.3", "1.2.3.0" → "1.2.3"; anything else as it is.
fn short_version(v: String) -> String {
    let core = v.split('+').next().unwrap_or_default();
    match core.strip_suffix(".0") {
        Some(three)
            if core
                .split('-')
                .next()
                .unwrap_or_default()
                .matches('.')
                .count()
                == 3 =>
        {
            three.to_owned()
        }
        _ => core.to_owned(),
    }
}

/// Whether a text uses template syntax (an `http` hook's header values are sent as written
/// unless they do).
pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

/// Checks that `source` parses and renders the spec's example of `event`, so that a template
/// is refused when saved rather than when it first sends.
pub fn check(source: &str, event: EventType) -> Result<(), TemplateError> {
    if source.len() > MAX_SOURCE {
        return Err(TemplateError {
            line: None,
            message: format!("is longer than {MAX_SOURCE} bytes"),
        });
    }
    let env = environment(None);
    env.template_from_str(source)?;
    render(source, &example(event), &Extras::default(), None).map(drop)
}

/// Renders `source` for `envelope`, values escaped with `escape`.
pub fn render(
    source: &str,
    envelope: &Value,
    extras: &Extras<'_>,
    escape: Option<Escape>,
) -> Result<String, TemplateError> {
    let env = environment(escape);
    let template = env.template_from_str(source)?;
    let out = template.render(context(envelope, extras))?;
    if out.len() > MAX_OUTPUT {
        return Err(TemplateError {
            line: None,
            message: format!("renders {} bytes, more than {MAX_OUTPUT}", out.len()),
        });
    }
    Ok(out)
}

/// The envelope's fields, then the built-in wording and the helpers.
fn context(envelope: &Value, extras: &Extras<'_>) -> JinjaValue {
    let rendered = built_in(envelope);
    let mut map: Map<String, Value> = envelope.as_object().cloned().unwrap_or_default();
    let event = envelope
        .get("PayloadType")
        .and_then(Value::as_str)
        .and_then(EventType::from_payload_type);
    let ours = [
        (
            "event",
            event.map(|e| e.name().into()).unwrap_or(Value::Null),
        ),
        ("summary", rendered.summary.into()),
        ("text", rendered.text.into()),
        (
            "links",
            serde_json::to_value(&rendered.links).unwrap_or(Value::Null),
        ),
        ("feed_name", extras.feed_name.into()),
        (
            "feed_url",
            envelope
                .pointer("/Payload/FeedUrl")
                .cloned()
                .unwrap_or(Value::Null),
        ),
        (
            "delivery_url",
            extras.delivery_url.map(Value::from).unwrap_or(Value::Null),
        ),
    ];
    for (name, value) in ours {
        map.insert(name.into(), value);
    }
    let mut ctx: std::collections::BTreeMap<String, JinjaValue> = map
        .into_iter()
        .map(|(k, v)| (k, JinjaValue::from_serialize(&v)))
        .collect();
    ctx.insert("html".into(), JinjaValue::from_safe_string(rendered.html));
    JinjaValue::from(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::text::escape_html;

    fn push() -> Value {
        example(EventType::PackagePushed)
    }

    #[test]
    fn the_envelope_and_helpers_are_the_context() {
        let extras = Extras {
            feed_name: "Contoso",
            delivery_url: Some("http://h/feeds/f/deliveries/7"),
        };
        let out = render(
            "{{ Payload.PackageIdentifier }} {{ Payload.PackageVersion | short_version }} in {{ feed_name }} ({{ event }}) {{ delivery_url }}",
            &push(),
            &extras,
            None,
        )
        .unwrap();
        let p = push();
        let id = p["Payload"]["PackageIdentifier"].as_str().unwrap();
        assert!(out.starts_with(&format!("{id} ")), "{out}");
        assert!(
            out.ends_with(" in Contoso (package.pushed) http://h/feeds/f/deliveries/7"),
            "{out}"
        );
        assert_eq!(
            render("{{ summary }}", &p, &extras, None).unwrap(),
            crate::events::render(&p).summary
        );
    }

    #[test]
    fn short_versions() {
        assert_eq!(short_version("1.2.3+abc".into()), "1.2.3");
        assert_eq!(short_version("1.2.3.0".into()), "1.2.3");
        assert_eq!(short_version("1.2.3.4".into()), "1.2.3.4");
        assert_eq!(short_version("1.2.0".into()), "1.2.0");
        assert_eq!(short_version("2.0.0-beta.1+sha".into()), "2.0.0-beta.1");
    }

    #[test]
    fn values_are_escaped_for_the_channel_and_the_owners_text_is_not() {
        let mut p = push();
        p["Payload"]["PackageIdentifier"] = "<script>alert(\"x\")</script>'".into();
        let out = render(
            "<b>{{ Payload.PackageIdentifier }}</b>",
            &p,
            &Extras::default(),
            Some(escape_html),
        )
        .unwrap();
        assert_eq!(
            out,
            "<b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;</b>"
        );
        // The built-in HTML is already escaped: printed as it is.
        let html = render("{{ html }}", &p, &Extras::default(), Some(escape_html)).unwrap();
        assert_eq!(html, crate::events::render(&p).html);
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn control_and_bidi_characters_never_reach_the_message() {
        let mut p = push();
        p["Payload"]["PackageIdentifier"] = "a\u{202E}b\u{0007}c\nd".into();
        let out = render(
            "{{ Payload.PackageIdentifier }}",
            &p,
            &Extras::default(),
            None,
        )
        .unwrap();
        assert_eq!(out, "a b c\nd");
    }

    #[test]
    fn missing_fields_print_nothing() {
        let out = render(
            "[{{ Payload.Nope }}][{{ Payload.PackageMetadata.Nope.Deeper }}][{{ Username }}]",
            &example(EventType::Ping),
            &Extras::default(),
            None,
        )
        .unwrap();
        assert!(out.starts_with("[][]["), "{out}");
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let e = check(
            "Hello\n{{ Payload.PackageIdentifier }\n",
            EventType::PackagePushed,
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.to_string().starts_with("line 2: syntax error"), "{e}");
        let e = check("{% for p in Payload.Packages %}", EventType::BuildFinished).unwrap_err();
        assert!(e.message.contains("syntax error"), "{e}");
    }

    #[test]
    fn unknown_filters_and_runaway_loops_are_refused_when_saved() {
        let e = check("a\n{{ summary | nope }}", EventType::PackagePushed).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("nope"), "{e}");
        let e = check(
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            EventType::Ping,
        )
        .unwrap_err();
        assert!(
            e.message.contains("too long") || e.message.contains("more than"),
            "{e}"
        );
        assert!(check(&"x".repeat(MAX_SOURCE + 1), EventType::Ping).is_err());
    }
}
