//! npm registry hooks (`npm hook add`): publish, unpublish and (un)deprecation of a version.
//!
//! The body is `{"event": "package:publish", "name", "type", "version" (of the hook payload
//! format, not of the package), "hookOwner" / "sender", "payload" (the package document),
//! "change": {"version", ...}, "time" (Unix ms)}` (npm/registry docs/hooks/hooks-payload.md).
use serde_json::{Map, Value, json};

use super::envelope::{envelope, identifier, text, when, when_ms};
use super::{InboundError, SourceRef, Translation};
use crate::events::EventType;

/// What a hook event is, of those that are mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Publish,
    Unpublish,
    Deprecate,
    Undeprecate,
}

impl Change {
    fn parse(event: &str) -> Option<Self> {
        // The docs write `package:deprecate`; npm's blog posts `package:deprecated`.
        match event {
            "package:publish" => Some(Change::Publish),
            "package:unpublish" => Some(Change::Unpublish),
            "package:deprecate" | "package:deprecated" => Some(Change::Deprecate),
            "package:undeprecate" | "package:undeprecated" => Some(Change::Undeprecate),
            _ => None,
        }
    }
}

pub(super) fn translate(body: &Value, source: SourceRef<'_>) -> Result<Translation, InboundError> {
    let event =
        text(body, "/event").ok_or_else(|| InboundError::malformed("the body has no \"event\""))?;
    let Some(change) = Change::parse(event) else {
        return Ok(Translation::Ignored(format!(
            "npm hook event \"{event}\" is not mapped"
        )));
    };
    let name = text(body, "/name")
        .ok_or_else(|| InboundError::malformed("the body has no package \"name\""))?;
    let doc = body.get("payload").unwrap_or(&Value::Null);
    let version = text(body, "/change/version").or_else(|| match change {
        // A publish always names its version; older payloads only show it as `latest`.
        Change::Publish => doc
            .get("dist-tags")
            .and_then(|t| t.get("latest"))
            .and_then(Value::as_str),
        _ => None,
    });
    let Some(version) = version else {
        return Ok(Translation::Ignored(format!(
            "npm hook event \"{event}\" for {name} names no version"
        )));
    };
    let manifest = doc
        .get("versions")
        .and_then(|v| v.get(version))
        .unwrap_or(&Value::Null);
    let (event_type, action) = match change {
        Change::Publish => (EventType::PackageAdded, None),
        Change::Unpublish => (EventType::PackageDeleted, None),
        Change::Deprecate => (EventType::PackageListed, Some("unlisted")),
        Change::Undeprecate => (EventType::PackageListed, Some("listed")),
    };
    let mut payload = Map::new();
    if let Some(action) = action {
        payload.insert("Action".into(), json!(action));
    }
    payload.insert("PackageType".into(), json!("npm"));
    payload.insert("PackageIdentifier".into(), json!(name));
    payload.insert("PackageVersion".into(), json!(version));
    if change == Change::Publish {
        // Hooks come from the public registry, whose package pages are on npmjs.com.
        let details = format!("https://www.npmjs.com/package/{name}/v/{version}");
        payload.insert("PackageDetailsUrl".into(), json!(details));
        payload.insert(
            "PackageDownloadUrl".into(),
            json!(text(manifest, "/dist/tarball")),
        );
        payload.insert("PackageMetadata".into(), Value::Object(metadata(manifest)));
    }
    let time = body.get("time").and_then(Value::as_i64);
    let when = time.map(when_ms).or_else(|| {
        doc.get("time")
            .and_then(|t| t.get(version))
            .and_then(Value::as_str)
            .and_then(when)
    });
    // A version is published and unpublished once, so name and version identify the change;
    // it can be deprecated and undeprecated many times, so the hook's time joins them.
    let stamp = match change {
        Change::Publish | Change::Unpublish => String::new(),
        Change::Deprecate | Change::Undeprecate => time.map(|t| t.to_string()).unwrap_or_default(),
    };
    let identifier = identifier(source.id, &["npm-hook", event, name, version, &stamp]);
    // The publisher where the document says; else the hook's owner, the only user npm names.
    let username = text(manifest, "/_npmUser/name")
        .or_else(|| text(body, "/hookOwner/username"))
        .or_else(|| text(body, "/sender/username"));
    Ok(Translation::Events(vec![envelope(
        event_type, identifier, username, when, payload,
    )]))
}

/// The spec's `PackageMetadata` from a version's manifest.
fn metadata(manifest: &Value) -> Map<String, Value> {
    let authors = match manifest.get("author") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(author) => text(author, "/name").map(str::to_owned),
        None => None,
    };
    let tags = manifest.get("keywords").and_then(Value::as_array).map(|k| {
        k.iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    });
    let dependencies: Vec<Value> = manifest
        .get("dependencies")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, range)| {
            json!({"PackageIdentifier": name, "PackageVersion": range, "TargetFramework": null})
        })
        .collect();
    let mut m = Map::new();
    m.insert("Size".into(), json!(manifest.pointer("/dist/unpackedSize")));
    m.insert("Authors".into(), json!(authors));
    m.insert("Description".into(), json!(text(manifest, "/description")));
    m.insert("LicenseNames".into(), json!(text(manifest, "/license")));
    m.insert("ProjectUrl".into(), json!(text(manifest, "/homepage")));
    m.insert("Tags".into(), json!(tags));
    m.insert("Dependencies".into(), Value::Array(dependencies));
    m
}

#[cfg(test)]
#[path = "npm_hook_tests.rs"]
mod tests;
