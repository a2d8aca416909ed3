//! A source's settings form: derived from its kind's field list, filled from a stored source
//! or from what was posted, into the domain's `SourceInput`, with each error beside its field.
use serde_json::{Map, Value};

use crate::domain::source_config::{Input, Mode, SourceKind};
use crate::domain::sources::{Source, SourceInput};
use crate::primitives::FieldError;

pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    /// text, url, password, lines or checkbox
    pub input: &'static str,
    pub required: bool,
    pub value: String,
    pub checked: bool,
    pub secret_set: bool,
    pub error: Option<String>,
}

pub struct SourceForm {
    pub kind: SourceKind,
    pub name: String,
    pub enabled: bool,
    pub fields: Vec<FieldView>,
    pub other_errors: Vec<String>,
}

impl SourceForm {
    pub fn new(kind: SourceKind, source: Option<&Source>) -> Self {
        let public = source
            .map(|s| s.config.public_json())
            .unwrap_or(Value::Null);
        let set: Vec<String> = public["secrets_set"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let fields = kind
            .fields()
            .iter()
            .map(|f| {
                let v = &public[f.name];
                let value = match v {
                    Value::String(s) => s.clone(),
                    Value::Array(a) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n"),
                    _ => String::new(),
                };
                FieldView {
                    name: f.name,
                    label: f.label,
                    help: f.help,
                    input: match f.input {
                        Input::Text => "text",
                        Input::Url => "url",
                        Input::Secret => "password",
                        Input::Lines => "lines",
                        Input::Checkbox => "checkbox",
                    },
                    required: f.required,
                    value,
                    checked: v.as_bool().unwrap_or(false),
                    secret_set: set.iter().any(|n| n == f.name),
                    error: None,
                }
            })
            .collect();
        SourceForm {
            kind,
            name: source.map(|s| s.name.clone()).unwrap_or_default(),
            enabled: source.is_none_or(|s| s.enabled),
            fields,
            other_errors: vec![],
        }
    }

    /// The form as posted, and the input it stands for.
    pub fn posted(
        kind: SourceKind,
        pairs: &[(String, String)],
        source: Option<&Source>,
    ) -> (Self, SourceInput) {
        let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let mut form = SourceForm::new(kind, source);
        form.name = get("name").unwrap_or_default();
        form.enabled = get("enabled").is_some();
        let mut config = Map::new();
        for f in &mut form.fields {
            let key = format!("config.{}", f.name);
            if f.input == "checkbox" {
                f.checked = get(&key).is_some();
                config.insert(f.name.into(), Value::Bool(f.checked));
            } else {
                let v = get(&key).unwrap_or_default();
                if f.input != "password" {
                    f.value = v.clone();
                }
                config.insert(f.name.into(), Value::String(v));
            }
        }
        let input = SourceInput {
            kind: Some(kind.as_str().to_owned()),
            name: Some(form.name.clone()),
            enabled: Some(form.enabled),
            config: (kind.mode() == Mode::Polling).then_some(Value::Object(config)),
        };
        (form, input)
    }

    pub fn with_errors(mut self, errors: &[FieldError]) -> Self {
        for e in errors {
            match self
                .fields
                .iter_mut()
                .find(|f| e.field == format!("config.{}", f.name))
            {
                Some(f) => f.error = Some(e.message.clone()),
                None => self
                    .other_errors
                    .push(format!("{}: {}", e.field, e.message)),
            }
        }
        self
    }
}
