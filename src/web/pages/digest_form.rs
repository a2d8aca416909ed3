//! The hook form's digest fieldset: a window and quiet hours (from, to, time zone) as typed,
//! into the API's `digest` object, which the domain checks. People channels only: for a kind
//! that never batches the fieldset is not shown and the form leaves the setting alone.
use serde_json::{Value, json};

use crate::domain::hook_config::HookKind;
use crate::domain::hook_digest::{HookDigest, zone_names};
use crate::primitives::FieldError;

#[derive(Default)]
pub struct DigestForm {
    /// Whether the kind can send digests (the fieldset is shown).
    pub offered: bool,
    /// As typed: "15m", blank for none.
    pub window: String,
    pub from: String,
    pub to: String,
    pub tz: String,
    pub error: Option<String>,
    pub window_error: Option<String>,
    pub from_error: Option<String>,
    pub to_error: Option<String>,
    pub tz_error: Option<String>,
    /// The zone names offered as suggestions.
    pub zones: &'static [String],
}

impl DigestForm {
    /// The stored setting of a hook of `kind`.
    pub fn new(kind: HookKind, stored: Option<&HookDigest>) -> Self {
        let json = stored.map(HookDigest::to_json).unwrap_or(Value::Null);
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let quiet = &json["quiet_hours"];
        DigestForm {
            offered: kind.def().digest_room.is_some(),
            zones: zone_names(),
            window: text(&json["window"]),
            from: text(&quiet["from"]),
            to: text(&quiet["to"]),
            tz: text(&quiet["tz"]),
            ..Default::default()
        }
    }

    /// The fieldset as posted, and the `digest` input for the domain: `None` (leave the stored
    /// setting) for a kind without digests, `null` when every box is blank.
    pub fn posted(kind: HookKind, pairs: &[(String, String)]) -> (Self, Option<Value>) {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map_or(String::new(), |(_, v)| v.trim().to_owned())
        };
        let form = DigestForm {
            offered: kind.def().digest_room.is_some(),
            zones: zone_names(),
            window: get("digest.window"),
            from: get("digest.from"),
            to: get("digest.to"),
            tz: get("digest.tz"),
            ..Default::default()
        };
        if !form.offered {
            return (form, None);
        }
        let blank = |s: &str| if s.is_empty() { Value::Null } else { s.into() };
        let quiet = if [&form.from, &form.to, &form.tz]
            .iter()
            .all(|s| s.is_empty())
        {
            Value::Null
        } else {
            json!({"from": form.from, "to": form.to, "tz": form.tz})
        };
        let input = if form.window.is_empty() && quiet.is_null() {
            Value::Null
        } else {
            json!({"window": blank(&form.window), "quiet_hours": quiet})
        };
        (form, Some(input))
    }

    /// Takes the error if it is about the digest, placing it beside its box.
    pub fn take_error(&mut self, e: &FieldError) -> bool {
        let slot = match e.field.as_str() {
            "digest" | "digest.quiet_hours" => &mut self.error,
            "digest.window" => &mut self.window_error,
            "digest.quiet_hours.from" => &mut self.from_error,
            "digest.quiet_hours.to" => &mut self.to_error,
            "digest.quiet_hours.tz" => &mut self.tz_error,
            _ => return false,
        };
        *slot = Some(match slot.take() {
            Some(prev) => format!("{prev}; {}", e.message),
            None => e.message.clone(),
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn boxes_become_the_api_object_and_blank_is_off() {
        let (_, input) = DigestForm::posted(
            HookKind::Email,
            &pairs(&[
                ("digest.window", " 15m "),
                ("digest.from", "22:00"),
                ("digest.to", "07:00"),
                ("digest.tz", "Europe/Brussels"),
            ]),
        );
        let v = input.unwrap();
        let parsed = HookDigest::from_json(HookKind::Email, Some(&v))
            .unwrap()
            .unwrap();
        let shown = DigestForm::new(HookKind::Email, Some(&parsed));
        assert_eq!(
            (
                shown.window.as_str(),
                shown.from.as_str(),
                shown.tz.as_str()
            ),
            ("15m", "22:00", "Europe/Brussels")
        );
        let (_, input) = DigestForm::posted(HookKind::Email, &pairs(&[("digest.window", "")]));
        assert_eq!(input, Some(Value::Null));
        let (form, input) = DigestForm::posted(HookKind::Http, &pairs(&[("digest.window", "1h")]));
        assert!(!form.offered && input.is_none(), "http hooks never batch");
    }

    #[test]
    fn errors_land_beside_their_boxes() {
        let mut form = DigestForm::new(HookKind::Slack, None);
        assert!(form.take_error(&FieldError::new("digest.quiet_hours.tz", "bad zone")));
        assert!(form.take_error(&FieldError::new("digest.window", "too short")));
        assert!(!form.take_error(&FieldError::new("name", "x")));
        assert_eq!(form.tz_error.as_deref(), Some("bad zone"));
        assert_eq!(form.window_error.as_deref(), Some("too short"));
    }
}
