//! The spec's `PackageMetadata` from a NuGet catalog leaf or a registration `catalogEntry`
//! (the same field names; the leaf has more of them).
use serde_json::Value;

use crate::sources::change::{Dependency, Metadata};

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A string, or an array of strings joined with `sep` (feeds write both).
fn text_or_list(v: &Value, sep: &str) -> Option<String> {
    match v {
        Value::Array(a) => {
            let items: Vec<&str> = a
                .iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            (!items.is_empty()).then(|| items.join(sep))
        }
        other => text(other),
    }
}

pub fn from_entry(entry: &Value, size: Option<u64>) -> Metadata {
    let mut dependencies = vec![];
    for group in entry["dependencyGroups"].as_array().into_iter().flatten() {
        let framework = text(&group["targetFramework"]);
        for d in group["dependencies"].as_array().into_iter().flatten() {
            if let Some(id) = text(&d["id"]) {
                dependencies.push(Dependency {
                    package: id,
                    range: text(&d["range"]).unwrap_or_else(|| "*".into()),
                    target_framework: framework.clone(),
                });
            }
        }
    }
    Metadata {
        icon_url: text(&entry["iconUrl"]),
        size: entry["packageSize"].as_u64().or(size),
        authors: text_or_list(&entry["authors"], ", "),
        description: text(&entry["description"]),
        license_url: text(&entry["licenseUrl"]),
        license_names: text(&entry["licenseExpression"]),
        project_url: text(&entry["projectUrl"]),
        tags: text_or_list(&entry["tags"], " "),
        min_client_version: text(&entry["minClientVersion"]),
        release_notes: text(&entry["releaseNotes"]),
        dependencies,
    }
}

/// The `releaseNotes` of a .nuspec, whatever the schema version of its namespace. Registration
/// entries do not carry release notes, so a feed without a catalog has them only here.
pub fn release_notes_of_nuspec(xml: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(xml).ok()?;
    let doc = roxmltree::Document::parse(text).ok()?;
    let metadata = doc
        .root_element()
        .children()
        .find(|n| n.tag_name().name() == "metadata")?;
    metadata
        .children()
        .find(|n| n.tag_name().name() == "releaseNotes")
        .and_then(|n| n.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Whether a catalog leaf or registration entry is listed: its `listed` flag where it has
/// one, else the convention that an unlisted package is published in 1900.
pub fn is_listed(entry: &Value) -> bool {
    match entry["listed"].as_bool() {
        Some(b) => b,
        None => !entry["published"]
            .as_str()
            .is_some_and(|p| p.starts_with("1900-")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalog leaf of NuGet's own protocol documentation (docs/api/_data).
    #[test]
    fn a_recorded_catalog_leaf_gives_the_whole_metadata() {
        let leaf: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/nuget/recorded/catalog-package-details.json"
        ))
        .unwrap();
        let m = from_entry(&leaf, None).to_json();
        assert_eq!(m["Authors"], "NuGet.org Team");
        assert_eq!(m["Size"], 118348);
        assert_eq!(m["Tags"], "NuGet V3 Protocol Example");
        assert_eq!(m["LicenseUrl"], "http://www.opensource.org/licenses/ms-pl");
        assert_eq!(m["ProjectUrl"], "https://github.com/NuGet/NuGetGallery");
        assert_eq!(m["Dependencies"].as_array().unwrap().len(), 3);
        assert_eq!(m["Dependencies"][1]["PackageIdentifier"], "WebActivator");
        assert_eq!(m["Dependencies"][1]["PackageVersion"], "[1.4.4, )");
        assert_eq!(m["Dependencies"][1]["TargetFramework"], ".NETFramework4.6");
        assert!(!is_listed(&leaf), "published in 1900: unlisted");
    }

    /// A manifest in the form of NuGet's .nuspec reference (namespace of the 2013/05 schema).
    #[test]
    fn release_notes_come_from_the_nuspec() {
        let nuspec = include_bytes!("../../../tests/fixtures/nuget/contoso.tools.nuspec");
        assert_eq!(
            release_notes_of_nuspec(nuspec).as_deref(),
            Some("Fixes the parser on empty input.\nAdds net8.0.")
        );
        let none = br#"<?xml version="1.0"?><package xmlns="http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd"><metadata><id>A</id><version>1.0.0</version></metadata></package>"#;
        assert_eq!(release_notes_of_nuspec(none), None);
        assert_eq!(
            release_notes_of_nuspec(b"<package><metadata>"),
            None,
            "not XML"
        );
        assert_eq!(release_notes_of_nuspec(b"{\"json\": true}"), None);
    }

    #[test]
    fn a_recorded_registration_entry_gives_what_it_has() {
        let index: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/nuget/recorded/package-registration-index.json"
        ))
        .unwrap();
        let entry = &index["items"][0]["items"][0]["catalogEntry"];
        let m = from_entry(entry, Some(5)).to_json();
        assert_eq!(m["Authors"], ".NET Foundation");
        assert_eq!(m["IconUrl"], Value::Null, "an empty iconUrl is none");
        assert_eq!(m["Tags"], Value::Null);
        assert_eq!(m["MinClientVersion"], "2.6");
        assert_eq!(m["Size"], 5);
        assert_eq!(m["Dependencies"][0]["TargetFramework"], Value::Null);
        assert!(is_listed(entry));
    }
}
