//! The hook form's state: filled from a stored hook or from what was posted, turned into the
//! domain's `HookInput`, and given the validation errors back field by field.
use serde_json::{Map, Value};

use super::digest_form::DigestForm;
use super::filter_form::FilterForm;
use super::templates_form::TemplatesForm;
use crate::domain::hook_concurrency::{DEFAULT_MAX_IN_FLIGHT, max_in_flight_error};
use crate::domain::hook_config::HookKind;
use crate::domain::hook_config::fields::{Control, Field};
use crate::domain::hooks::{Hook, HookInput};
use crate::events::EventType;
use crate::primitives::FieldError;

pub struct OptionView {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub placeholder: &'static str,
    /// text, url, number, password, checkbox, select or headers: how the template draws it.
    pub input: &'static str,
    pub value: String,
    pub checked: bool,
    pub options: Vec<OptionView>,
    pub required: bool,
    /// For secrets: whether a value is stored (the value itself never reaches a page).
    pub secret_set: bool,
    pub error: Option<String>,
}

pub struct EventView {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub checked: bool,
}

pub struct HookForm {
    pub kind: HookKind,
    pub name: String,
    pub name_error: Option<String>,
    pub enabled: bool,
    pub events: Vec<EventView>,
    pub events_error: Option<String>,
    pub fields: Vec<FieldView>,
    pub filter: FilterForm,
    /// As typed (kept when it does not parse, so the owner sees what they wrote).
    pub max_in_flight: String,
    pub max_in_flight_error: Option<String>,
    pub ordered: bool,
    /// The people channels' digest window and quiet hours.
    pub digest: DigestForm,
    /// The people channels' wording, per event.
    pub templates: TemplatesForm,
    /// The hook told when this one stops or recovers.
    pub alert_hook: Option<i64>,
    pub alert_hook_error: Option<String>,
    /// http only: make a new signing secret / drop the stored one.
    pub generate_secret: bool,
    pub remove_secret: bool,
    /// Errors that belong to no field shown (should not happen; shown at the top if they do).
    pub other_errors: Vec<String>,
}

/// A stored setting as the form shows it.
fn shown(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("\n"),
        Some(other) => other.to_string(),
    }
}

fn field_view(spec: &Field, value: String, checked: bool) -> FieldView {
    let (input, options) = match spec.control {
        Control::Text => ("text", vec![]),
        Control::Url => ("url", vec![]),
        Control::Number => ("number", vec![]),
        Control::Secret => ("password", vec![]),
        Control::Checkbox { .. } => ("checkbox", vec![]),
        Control::Headers => ("headers", vec![]),
        Control::Select(choices) => {
            let choices = choices();
            let known = choices.iter().any(|c| c.0 == value);
            (
                "select",
                choices
                    .iter()
                    .enumerate()
                    .map(|(i, (v, l))| OptionView {
                        value: v,
                        label: l,
                        selected: *v == value || (i == 0 && !known),
                    })
                    .collect(),
            )
        }
    };
    FieldView {
        name: spec.name,
        label: spec.label,
        help: spec.help,
        placeholder: spec.placeholder,
        input,
        value,
        checked,
        options,
        required: spec.required,
        secret_set: false,
        error: None,
    }
}

fn events_view(kind: HookKind, checked: impl Fn(EventType) -> bool) -> Vec<EventView> {
    kind.supported_events()
        .iter()
        .map(|&e| EventView {
            name: e.name(),
            title: e.title(),
            description: e.description(),
            checked: checked(e),
        })
        .collect()
}

fn secrets_set(hook: Option<&Hook>) -> Vec<String> {
    hook.map(|h| h.public.clone())
        .and_then(|p| p.get("secrets_set").cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

impl HookForm {
    /// A blank form for a new hook, or the stored settings of `hook`.
    pub fn new(kind: HookKind, hook: Option<&Hook>) -> Self {
        let public = hook.map(|h| h.public.clone());
        let set = secrets_set(hook);
        let fields = kind
            .fields()
            .iter()
            .map(|s| {
                let stored = public.as_ref().and_then(|p| p.get(s.name));
                let checked = match s.control {
                    Control::Checkbox { default } => {
                        stored.and_then(Value::as_bool).unwrap_or(default)
                    }
                    _ => false,
                };
                let value = if s.control.is_secret() {
                    String::new()
                } else {
                    shown(stored)
                };
                let mut f = field_view(s, value, checked);
                f.secret_set = set.iter().any(|n| n == s.name);
                f
            })
            .collect();
        HookForm {
            kind,
            name: hook.map(|h| h.name.clone()).unwrap_or_default(),
            name_error: None,
            enabled: hook.is_none_or(|h| h.enabled),
            events: events_view(kind, |e| hook.is_some_and(|h| h.events.contains(&e))),
            events_error: None,
            fields,
            filter: FilterForm::new(&hook.map(|h| h.filter.clone()).unwrap_or_default()),
            max_in_flight: hook
                .map_or(DEFAULT_MAX_IN_FLIGHT, |h| h.concurrency.max_in_flight)
                .to_string(),
            max_in_flight_error: None,
            ordered: hook.is_some_and(|h| h.concurrency.ordered),
            digest: DigestForm::new(kind, hook.and_then(|h| h.digest.as_ref())),
            templates: TemplatesForm::new(
                kind,
                &hook.map(|h| h.templates.clone()).unwrap_or_default(),
            ),
            alert_hook: hook.and_then(|h| h.alert_hook),
            alert_hook_error: None,
            generate_secret: false,
            remove_secret: false,
            other_errors: vec![],
        }
    }

    /// The form as posted, the input to validate, and the errors found before the domain sees
    /// it (header lines that are not `Name: value`).
    pub fn posted(
        kind: HookKind,
        pairs: &[(String, String)],
        hook: Option<&Hook>,
    ) -> (Self, HookInput, Vec<FieldError>) {
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let set = secrets_set(hook);
        let mut config = Map::new();
        let mut local = vec![];
        let mut fields = vec![];
        for s in kind.fields() {
            let key = format!("config.{}", s.name);
            let raw = get(&key).unwrap_or_default();
            let mut f = field_view(s, String::new(), false);
            f.secret_set = set.iter().any(|n| n == s.name);
            match s.control {
                Control::Checkbox { .. } => {
                    f.checked = raw == "true" || raw == "on";
                    config.insert(s.name.into(), Value::Bool(f.checked));
                }
                // A blank secret keeps the stored one, and is never echoed back.
                Control::Secret => {
                    if !raw.trim().is_empty() {
                        config.insert(s.name.into(), raw.into());
                    }
                }
                Control::Headers => {
                    f.value = raw.to_owned();
                    match parse_header_lines(raw) {
                        Ok(m) => {
                            config.insert(s.name.into(), Value::Object(m));
                        }
                        Err(e) => local.push(FieldError::new(key, e)),
                    }
                }
                _ => {
                    f.value = raw.to_owned();
                    config.insert(s.name.into(), raw.into());
                }
            }
            fields.push(f);
        }
        let generate_secret = kind == HookKind::Http && get("generate_secret").is_some();
        let remove_secret = kind == HookKind::Http && get("remove_secret").is_some();
        if generate_secret {
            config.insert("secret".into(), "generate".into());
        } else if remove_secret {
            config.insert("secret".into(), "remove".into());
        }
        let events: Vec<String> = pairs
            .iter()
            .filter(|(n, _)| n == "events")
            .map(|(_, v)| v.clone())
            .collect();
        let enabled = get("enabled").is_some();
        let name = get("name").unwrap_or_default().to_owned();
        let (filter, filter_json) = FilterForm::posted(pairs);
        let max_in_flight = get("max_in_flight").unwrap_or_default().trim().to_owned();
        // A blank box keeps the default; anything else must be a number the domain then checks.
        let max_in_flight_json = match max_in_flight.as_str() {
            "" => Value::from(DEFAULT_MAX_IN_FLIGHT),
            typed => match typed.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    local.push(max_in_flight_error());
                    Value::Null
                }
            },
        };
        let ordered = get("ordered").is_some();
        let (digest, digest_json) = DigestForm::posted(kind, pairs);
        let (templates, templates_json) = TemplatesForm::posted(kind, pairs);
        let alert_raw = get("alert_hook").unwrap_or_default().trim();
        let alert_json = match alert_raw.parse::<i64>() {
            _ if alert_raw.is_empty() => Value::Null,
            Ok(id) => Value::from(id),
            Err(_) => Value::from(alert_raw),
        };
        let form = HookForm {
            kind,
            name: name.clone(),
            name_error: None,
            enabled,
            events: events_view(kind, |e| events.iter().any(|n| n == e.name())),
            events_error: None,
            fields,
            filter,
            max_in_flight,
            max_in_flight_error: None,
            ordered,
            digest,
            templates,
            alert_hook: alert_json.as_i64(),
            alert_hook_error: None,
            generate_secret,
            remove_secret,
            other_errors: vec![],
        };
        let input = HookInput {
            kind: Some(kind.as_str().into()),
            name: Some(name),
            events: Some(events),
            enabled: Some(enabled),
            config: Some(Value::Object(config)),
            filter: Some(filter_json),
            templates: Some(templates_json),
            max_in_flight: Some(max_in_flight_json),
            ordered: Some(Value::Bool(ordered)),
            digest: digest_json,
            alert_hook: Some(alert_json),
        };
        (form, input, local)
    }

    /// Puts each error beside its field.
    pub fn with_errors(mut self, errors: &[FieldError]) -> Self {
        fn add(slot: &mut Option<String>, m: String) {
            *slot = Some(match slot.take() {
                Some(prev) => format!("{prev}; {m}"),
                None => m,
            });
        }
        for e in errors {
            if self.filter.take_error(e)
                || self.templates.take_error(e)
                || self.digest.take_error(e)
            {
                continue;
            }
            let config_field = e.field.strip_prefix("config.");
            match (e.field.as_str(), config_field) {
                ("name", _) => add(&mut self.name_error, e.message.clone()),
                ("events", _) => add(&mut self.events_error, e.message.clone()),
                ("max_in_flight", _) => add(&mut self.max_in_flight_error, e.message.clone()),
                ("alert_hook", _) => add(&mut self.alert_hook_error, e.message.clone()),
                (_, Some(path)) => {
                    let (top, rest) = path.split_once('.').unwrap_or((path, ""));
                    let message = if rest.is_empty() {
                        e.message.clone()
                    } else {
                        format!("{rest}: {}", e.message)
                    };
                    match self.fields.iter_mut().find(|f| f.name == top) {
                        Some(f) => add(&mut f.error, message),
                        None => self.other_errors.push(e.to_string()),
                    }
                }
                _ => self.other_errors.push(e.to_string()),
            }
        }
        self
    }
}

/// `Name: value` lines into the API's header object; blank lines are skipped.
pub fn parse_header_lines(text: &str) -> Result<Map<String, Value>, String> {
    let mut m = Map::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!(
                "line {}: write each header as “Name: value”",
                i + 1
            ));
        };
        let name = name.trim();
        if m.contains_key(name) {
            return Err(format!("line {}: {name} is given twice", i + 1));
        }
        m.insert(name.to_owned(), Value::String(value.trim().to_owned()));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines_become_an_object() {
        let m = parse_header_lines("X-Team: ops\n\n Authorization: Bearer a:b \n").unwrap();
        assert_eq!(m["X-Team"], "ops");
        assert_eq!(m["Authorization"], "Bearer a:b");
        assert!(
            parse_header_lines("no colon")
                .unwrap_err()
                .contains("line 1")
        );
    }

    #[test]
    fn blank_secrets_are_left_out_so_the_stored_one_stays() {
        let pairs: Vec<(String, String)> = [
            ("config.url", "https://x.example/h"),
            ("config.secret", ""),
            ("events", "ping"),
            ("enabled", "on"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let (form, input, local) = HookForm::posted(HookKind::Http, &pairs, None);
        assert!(local.is_empty());
        let config = input.config.unwrap();
        assert!(config.get("secret").is_none());
        assert_eq!(config["verify_tls"], false, "an unticked box is false");
        assert!(form.enabled);
        assert!(form.events.iter().any(|e| e.name == "ping" && e.checked));
    }

    #[test]
    fn concurrency_settings_are_posted_and_a_bad_number_is_named() {
        let pairs = |max: &str, ordered: bool| -> Vec<(String, String)> {
            let mut p = vec![
                ("config.url".to_owned(), "https://x.example/h".to_owned()),
                ("max_in_flight".to_owned(), max.to_owned()),
            ];
            if ordered {
                p.push(("ordered".to_owned(), "true".to_owned()));
            }
            p
        };
        let (form, input, local) = HookForm::posted(HookKind::Http, &pairs("16", true), None);
        assert!(local.is_empty() && form.ordered && form.max_in_flight == "16");
        assert_eq!(input.max_in_flight, Some(Value::from(16)));
        assert_eq!(input.ordered, Some(Value::Bool(true)));
        let (_, input, _) = HookForm::posted(HookKind::Http, &pairs(" ", false), None);
        assert_eq!(
            input.max_in_flight,
            Some(Value::from(DEFAULT_MAX_IN_FLIGHT))
        );
        assert_eq!(input.ordered, Some(Value::Bool(false)));
        let (form, _, local) = HookForm::posted(HookKind::Http, &pairs("lots", false), None);
        let form = form.with_errors(&local);
        assert!(form.max_in_flight_error.unwrap().contains("from 1 to 64"));
        assert_eq!(form.max_in_flight, "lots", "what was typed is shown again");
    }

    #[test]
    fn errors_land_beside_their_fields() {
        let form = HookForm::new(HookKind::Http, None).with_errors(&[
            FieldError::new("config.url", "is required"),
            FieldError::new("config.headers.Host", "can not be set"),
            FieldError::new("events", "choose at least one event"),
        ]);
        let by = |n: &str| form.fields.iter().find(|f| f.name == n).unwrap();
        assert_eq!(by("url").error.as_deref(), Some("is required"));
        assert_eq!(by("headers").error.as_deref(), Some("Host: can not be set"));
        assert!(form.events_error.is_some() && form.other_errors.is_empty());
    }
}
