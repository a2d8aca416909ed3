//! The hook form's wording fieldset: for each event the kind sends, a text area per message
//! part, holding the owner's template or the kind's built-in wording as the starting point
//! (`templates.<event>.<part>` fields), into the `templates` JSON the domain reads (which drops
//! what equals the built-in).
use serde_json::{Map, Value};

use crate::domain::hook_config::HookKind;
use crate::domain::hook_config::wording::TemplatePart;
use crate::domain::hook_templates::HookTemplates;
use crate::events::EventType;
use crate::primitives::FieldError;

pub struct PartView {
    /// The form field: `templates.package.pushed.text`.
    pub field: String,
    /// The element id: the field with dots as dashes.
    pub id: String,
    pub label: &'static str,
    pub value: String,
    pub error: Option<String>,
}

pub struct EventWording {
    pub title: &'static str,
    pub name: &'static str,
    pub parts: Vec<PartView>,
    /// Whether the owner's template words this event: its section opens when one does.
    pub custom: bool,
}

pub struct TemplatesForm {
    /// Empty for kinds without templates (`http`): the fieldset is not shown.
    pub events: Vec<EventWording>,
    pub error: Option<String>,
}

impl TemplatesForm {
    /// The stored templates of a hook of `kind`, the built-in wording where there are none.
    pub fn new(kind: HookKind, stored: &HookTemplates) -> Self {
        Self::build(kind, |event, part, built_in| {
            match stored.get(event).and_then(|t| t.get(part)) {
                Some(t) => (t.to_owned(), true),
                None => (built_in.to_owned(), false),
            }
        })
    }

    /// The fieldset as posted, and the templates' JSON for the domain.
    pub fn posted(kind: HookKind, pairs: &[(String, String)]) -> (Self, Value) {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.replace("\r\n", "\n"))
        };
        let mut json = Map::new();
        let form = Self::build(kind, |event, part, built_in| {
            let field = format!("templates.{}.{}", event.name(), part.as_str());
            let value = get(&field).unwrap_or_else(|| built_in.to_owned());
            let custom = value != built_in && !value.trim().is_empty();
            if custom {
                let parts = json
                    .entry(event.name())
                    .or_insert_with(|| Value::Object(Map::new()));
                parts[part.as_str()] = value.clone().into();
            }
            (value, custom)
        });
        (form, Value::Object(json))
    }

    fn build(
        kind: HookKind,
        mut value: impl FnMut(EventType, TemplatePart, &str) -> (String, bool),
    ) -> Self {
        let wording = kind.def().wording;
        let events = if wording.is_empty() {
            &[][..]
        } else {
            kind.supported_events()
        };
        let events = events
            .iter()
            .map(|&event| {
                let mut custom = false;
                let parts = wording
                    .iter()
                    .map(|&(part, built_in)| {
                        let (v, c) = value(event, part, built_in);
                        custom |= c;
                        let field = format!("templates.{}.{}", event.name(), part.as_str());
                        PartView {
                            id: field.replace('.', "-"),
                            field,
                            label: part.label(),
                            value: v,
                            error: None,
                        }
                    })
                    .collect();
                EventWording {
                    title: event.title(),
                    name: event.name(),
                    parts,
                    custom,
                }
            })
            .collect();
        TemplatesForm {
            events,
            error: None,
        }
    }

    /// Puts a `templates.*` error beside its part; false when the error is not the templates'.
    pub fn take_error(&mut self, e: &FieldError) -> bool {
        if !(e.field == "templates" || e.field.starts_with("templates.")) {
            return false;
        }
        for ev in &mut self.events {
            if let Some(p) = ev.parts.iter_mut().find(|p| p.field == e.field) {
                p.error = Some(e.message.clone());
                // Its section opens, so the error is seen.
                ev.custom = true;
                return true;
            }
        }
        self.error = Some(e.to_string());
        true
    }
}
