//! A hook's message templates: per event type, the parts of the message its owner words
//! (`{"package.pushed": {"subject": "...", "text": "...", "html": "..."}}`). A part left out
//! keeps the built-in wording. Each template is checked when saved: it must parse and render
//! the spec's example of its event, so a mistake answers 422 with its line instead of failing
//! deliveries later.
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::hook_config::HookKind;
use super::hook_config::wording::TemplatePart;
use crate::events::EventType;
use crate::events::template;
use crate::primitives::FieldError;

/// The parts one event's message is worded with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageTemplate {
    parts: BTreeMap<TemplatePartKey, String>,
}

/// `TemplatePart` in declaration order, for a map.
type TemplatePartKey = u8;

impl MessageTemplate {
    /// A template written by this server (the alerts' wording), not checked like an owner's.
    pub fn built_in(parts: &[(TemplatePart, &str)]) -> Self {
        MessageTemplate {
            parts: parts
                .iter()
                .map(|(p, t)| (*p as u8, (*t).to_owned()))
                .collect(),
        }
    }

    pub fn get(&self, part: TemplatePart) -> Option<&str> {
        self.parts.get(&(part as u8)).map(String::as_str)
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        for part in TemplatePart::ALL {
            if let Some(t) = self.get(part) {
                m.insert(part.as_str().into(), t.into());
            }
        }
        Value::Object(m)
    }
}

/// Every template of a hook; empty for most.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookTemplates {
    by_event: BTreeMap<u32, MessageTemplate>,
}

impl HookTemplates {
    pub fn is_empty(&self) -> bool {
        self.by_event.is_empty()
    }

    /// The templates of `event`'s message, if its owner wrote any.
    pub fn get(&self, event: EventType) -> Option<&MessageTemplate> {
        self.by_event.get(&(event as u32))
    }

    /// The API's `templates` object (`{}` when there are none).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        for e in EventType::ALL {
            if let Some(t) = self.get(e) {
                m.insert(e.name().into(), t.to_json());
            }
        }
        Value::Object(m)
    }

    /// Reads and checks `templates` for a hook of `kind`: `null` or absent is none; a part equal
    /// to the kind's built-in wording, or empty, is left out (the built-in stays in charge).
    pub fn from_json(kind: HookKind, v: Option<&Value>) -> Result<Self, Vec<FieldError>> {
        let mut out = HookTemplates::default();
        let obj = match v {
            None | Some(Value::Null) => return Ok(out),
            Some(Value::Object(o)) => o,
            Some(_) => return Err(vec![FieldError::new("templates", "must be an object")]),
        };
        let wording = kind.def().wording;
        if wording.is_empty() && !obj.is_empty() {
            return Err(vec![FieldError::new(
                "templates",
                format!(
                    "{} hooks send the spec's envelope unchanged and take no templates",
                    kind.label()
                ),
            )]);
        }
        let mut errors = vec![];
        for (name, parts) in obj {
            let field = format!("templates.{name}");
            let Some(event) = EventType::from_name(name) else {
                errors.push(FieldError::new(field, "is not an event name"));
                continue;
            };
            let Some(parts) = parts.as_object() else {
                errors.push(FieldError::new(field, "must be an object"));
                continue;
            };
            let mut message = MessageTemplate::default();
            for (part_name, source) in parts {
                let field = format!("{field}.{part_name}");
                if source.is_null() {
                    continue;
                }
                let Some((part, built_in)) = TemplatePart::parse(part_name)
                    .and_then(|p| wording.iter().find(|(w, _)| *w == p))
                else {
                    let parts: Vec<&str> = wording.iter().map(|(p, _)| p.as_str()).collect();
                    errors.push(FieldError::new(
                        field,
                        format!("{} hooks template only: {}", kind.label(), parts.join(", ")),
                    ));
                    continue;
                };
                let source = match source {
                    Value::String(s) => s.replace("\r\n", "\n"),
                    _ => {
                        errors.push(FieldError::new(field, "must be a string"));
                        continue;
                    }
                };
                if source.trim().is_empty() || source == *built_in {
                    continue;
                }
                match template::check(&source, event) {
                    Ok(()) => {
                        message.parts.insert(*part as u8, source);
                    }
                    Err(e) => errors.push(FieldError::new(field, e.to_string())),
                }
            }
            if !message.parts.is_empty() {
                out.by_event.insert(event as u32, message);
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_drops_what_the_built_in_says_already() {
        let given = json!({"package.pushed": {"text": "{{ Payload.PackageIdentifier }} is out", "subject": null},
                           "ping": {"text": "{{ summary }}{% if links %} {{ links[0].url }}{% endif %}"}});
        let t = HookTemplates::from_json(HookKind::X, Some(&given)).unwrap();
        assert_eq!(
            t.to_json(),
            json!({"package.pushed": {"text": "{{ Payload.PackageIdentifier }} is out"}})
        );
        assert_eq!(
            HookTemplates::from_json(HookKind::X, Some(&t.to_json())).unwrap(),
            t
        );
        assert!(
            HookTemplates::from_json(HookKind::Http, None)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn names_each_mistake() {
        let given = json!({"package.pushd": {}, "ping": {"subject": "x"},
                           "build.finished": {"text": "{{ Name }\n"}});
        let errors = HookTemplates::from_json(HookKind::Slack, Some(&given)).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "templates.package.pushd",
                "templates.ping.subject",
                "templates.build.finished.text"
            ]
        );
        assert!(
            errors[2].message.starts_with("line 1: syntax error"),
            "{}",
            errors[2].message
        );
        let http = HookTemplates::from_json(HookKind::Http, Some(&json!({"ping": {"text": "x"}})));
        assert!(http.unwrap_err()[0].message.contains("envelope unchanged"));
    }
}
