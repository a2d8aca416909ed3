//! Verdaccio's `notify`: the body is what the template of [`super::VERDACCIO_NOTIFY`] renders,
//! `{"publishType": "publish" | "unpublish", "publishedPackage": "name@version", "publisher"}`.
use serde_json::{Map, Value, json};

use super::envelope::{envelope, identifier, text};
use super::{InboundError, SourceRef, Translation};
use crate::events::EventType;

pub(super) fn translate(body: &Value, source: SourceRef<'_>) -> Result<Translation, InboundError> {
    let published = text(body, "/publishedPackage").ok_or_else(|| {
        InboundError::malformed(
            "the body has no \"publishedPackage\"; use the notify block shown on the source page",
        )
    })?;
    // Verdaccio before 6 sends no publishType; it notified on publish only.
    let publish_type = text(body, "/publishType").unwrap_or("publish");
    let event = match publish_type {
        "publish" => EventType::PackageAdded,
        "unpublish" => EventType::PackageDeleted,
        other => {
            return Ok(Translation::Ignored(format!(
                "Verdaccio publishType \"{other}\" is not mapped"
            )));
        }
    };
    let Some((name, version)) = split_name_version(published) else {
        // Removing a whole package names no version, and events are about versions.
        return Ok(Translation::Ignored(format!(
            "Verdaccio {publish_type} of \"{published}\" names no version"
        )));
    };
    let mut payload = Map::new();
    payload.insert("PackageType".into(), json!("npm"));
    payload.insert("PackageIdentifier".into(), json!(name));
    payload.insert("PackageVersion".into(), json!(version));
    let identifier = identifier(source.id, &["verdaccio", publish_type, name, version]);
    Ok(Translation::Events(vec![envelope(
        event,
        identifier,
        text(body, "/publisher"),
        None,
        payload,
    )]))
}

/// `left-pad@1.3.0` or `@acme/left-pad@1.3.0` into name and version; `None` without a version.
fn split_name_version(s: &str) -> Option<(&str, &str)> {
    let at = s.rfind('@').filter(|&i| i > 0)?;
    let (name, version) = (&s[..at], &s[at + 1..]);
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}

#[cfg(test)]
#[path = "verdaccio_tests.rs"]
mod tests;
