//! What a source saw change upstream, and the spec's envelope for it. Identifiers are derived
//! from the source, the package, the version and the change, so a re-poll, a restart or a
//! crash between fetching and committing makes the same event again, which ingest then
//! recognises: never twice, never lost.
use serde_json::{Value, json};
use uuid::Uuid;

/// The namespace of source event identifiers (UUID v5).
const NAMESPACE: Uuid = Uuid::from_u128(0x6f1b_5a0e_3c2d_4e8f_9a47_5e6b_d1c0_7f22);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Deleted,
    /// Listed again (`true`) or unlisted (`false`); npm's deprecation counts as unlisting.
    Listed(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageType {
    NuGet,
    Npm,
}

impl PackageType {
    pub fn as_str(self) -> &'static str {
        match self {
            PackageType::NuGet => "NuGet",
            PackageType::Npm => "npm",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub kind: ChangeKind,
    pub package_type: PackageType,
    /// As the feed spells them.
    pub package: String,
    pub version: String,
    pub details_url: Option<String>,
    pub download_url: Option<String>,
    /// The spec's `PackageMetadata`, for added packages.
    pub metadata: Option<Value>,
    /// The publisher, where the feed says.
    pub username: Option<String>,
    /// The feed's own time of the change (RFC 3339).
    pub when: Option<String>,
    /// Tells this change from earlier ones of the same version (a catalog commit time, or a
    /// count of the version's changes).
    pub discriminator: String,
}

impl Change {
    pub fn identifier(&self, source_id: i64) -> Uuid {
        let change = match self.kind {
            ChangeKind::Added => "added",
            ChangeKind::Deleted => "deleted",
            ChangeKind::Listed(true) => "listed",
            ChangeKind::Listed(false) => "unlisted",
        };
        let name = format!(
            "{source_id}\n{}\n{}\n{change}\n{}",
            self.package.to_lowercase(),
            self.version.to_lowercase(),
            self.discriminator
        );
        Uuid::new_v5(&NAMESPACE, name.as_bytes())
    }

    /// The envelope, as the spec has it; ingest fills the feed's fields and a missing
    /// `Username` or `When`.
    pub fn envelope(&self, source_id: i64) -> Value {
        let mut payload = json!({
            "PackageType": self.package_type.as_str(),
            "PackageIdentifier": self.package,
            "PackageVersion": self.version,
        });
        let (payload_type, with_urls) = match self.kind {
            ChangeKind::Added => ("PackageAddedWebHookEventPayloadV1", true),
            ChangeKind::Deleted => ("PackageDeletedWebHookEventPayloadV1", false),
            ChangeKind::Listed(listed) => {
                payload["Action"] = json!(if listed { "listed" } else { "unlisted" });
                ("PackageListedWebHookEventPayloadV1", false)
            }
        };
        if with_urls {
            payload["PackageDetailsUrl"] = json!(self.details_url);
            payload["PackageDownloadUrl"] = json!(self.download_url);
            payload["PackageMetadata"] = self.metadata.clone().unwrap_or_else(|| json!({}));
        }
        let mut envelope = json!({
            "Identifier": self.identifier(source_id).to_string(),
            "PayloadType": payload_type,
            "Payload": payload,
        });
        if let Some(u) = &self.username {
            envelope["Username"] = json!(u);
        }
        if let Some(w) = &self.when {
            envelope["When"] = json!(w);
        }
        envelope
    }
}

/// The spec's `PackageMetadata` object, with every field present (null when the feed has none).
#[derive(Debug, Default, Clone)]
pub struct Metadata {
    pub icon_url: Option<String>,
    pub size: Option<u64>,
    pub authors: Option<String>,
    pub description: Option<String>,
    pub license_url: Option<String>,
    pub license_names: Option<String>,
    pub project_url: Option<String>,
    pub tags: Option<String>,
    pub min_client_version: Option<String>,
    pub release_notes: Option<String>,
    pub dependencies: Vec<Dependency>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub package: String,
    pub range: String,
    pub target_framework: Option<String>,
}

impl Metadata {
    pub fn to_json(&self) -> Value {
        json!({
            "IconUrl": self.icon_url,
            "Size": self.size,
            "Authors": self.authors,
            "Description": self.description,
            "LicenseUrl": self.license_url,
            "LicenseNames": self.license_names,
            "ProjectUrl": self.project_url,
            "Tags": self.tags,
            "MinClientVersion": self.min_client_version,
            "ReleaseNotes": self.release_notes,
            "Dependencies": self.dependencies.iter().map(|d| json!({
                "PackageIdentifier": d.package,
                "PackageVersion": d.range,
                "TargetFramework": d.target_framework,
            })).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: ChangeKind, disc: &str) -> Change {
        Change {
            kind,
            package_type: PackageType::NuGet,
            package: "My.Package".into(),
            version: "1.0.0-Beta".into(),
            details_url: None,
            download_url: None,
            metadata: None,
            username: None,
            when: None,
            discriminator: disc.into(),
        }
    }

    #[test]
    fn identifiers_are_stable_and_tell_changes_apart() {
        let a = change(ChangeKind::Added, "0");
        assert_eq!(
            a.identifier(1),
            change(ChangeKind::Added, "0").identifier(1)
        );
        assert_ne!(a.identifier(1), a.identifier(2), "another source");
        assert_ne!(
            a.identifier(1),
            change(ChangeKind::Deleted, "0").identifier(1)
        );
        assert_ne!(
            change(ChangeKind::Listed(false), "1").identifier(1),
            change(ChangeKind::Listed(false), "3").identifier(1),
            "a second unlisting is a second event"
        );
        let mut upper = a.clone();
        upper.package = "MY.PACKAGE".into();
        assert_eq!(
            upper.identifier(1),
            a.identifier(1),
            "NuGet ids ignore case"
        );
        assert_eq!(a.identifier(1).get_version_num(), 5);
    }

    #[test]
    fn envelopes_follow_the_spec() {
        let e = change(ChangeKind::Listed(false), "1").envelope(7);
        assert_eq!(e["PayloadType"], "PackageListedWebHookEventPayloadV1");
        assert_eq!(e["Payload"]["Action"], "unlisted");
        assert!(crate::events::validate_envelope(&e).is_ok());
        let mut added = change(ChangeKind::Added, "0");
        added.metadata = Some(Metadata::default().to_json());
        let e = added.envelope(7);
        assert_eq!(e["Payload"]["PackageMetadata"]["Dependencies"], json!([]));
        assert!(crate::events::validate_envelope(&e).is_ok());
    }
}
