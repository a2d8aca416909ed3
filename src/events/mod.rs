//! Events: what a feed can report, how an incoming envelope is checked, its JSON Schema, and
//! how it reads to people.
//!
//! The wire format is MyGet's webhook envelope (`spec/myget-webhooks.md`):
//! `{"Identifier"?, "Username"?, "When"?, "PayloadType", "Payload"}`. All per-event facts are
//! in one table, [`catalog::EVENTS`]; [`validate`] and [`schema`] both read it, so the checks
//! and the published schema can not drift apart. [`render`] turns an envelope into the
//! summary, text and HTML every notification channel uses.

pub mod catalog;
pub mod render;
pub mod schema;
mod text;
pub mod validate;

pub use catalog::EventType;
pub use render::{BuildResult, Link, Rendered, build_result, render};
pub use schema::json_schema;
pub use validate::validate_envelope;

#[cfg(test)]
mod test_support {
    use super::EventType;

    macro_rules! spec_example {
        ($name:literal) => {
            include_str!(concat!(
                "../../tests/fixtures/spec-examples/",
                $name,
                ".json"
            ))
        };
    }

    /// The spec's example envelope of `t`.
    pub fn example(t: EventType) -> serde_json::Value {
        let json = match t {
            EventType::Ping => spec_example!("ping"),
            EventType::PackageAdded => spec_example!("package.added"),
            EventType::PackageDeleted => spec_example!("package.deleted"),
            EventType::PackageListed => spec_example!("package.listed"),
            EventType::PackagePinned => spec_example!("package.pinned"),
            EventType::PackagePushed => spec_example!("package.pushed"),
            EventType::BuildQueued => spec_example!("build.queued"),
            EventType::BuildStarted => spec_example!("build.started"),
            EventType::BuildFinished => spec_example!("build.finished"),
        };
        serde_json::from_str(json).expect("spec examples are valid JSON")
    }
}
