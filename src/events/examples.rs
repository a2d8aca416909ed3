//! The spec's example envelope of each event type, built into the binary: the preview offers
//! them when a feed has logged no event yet, and templates are tried on them when saved.
use serde_json::Value;

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

/// The spec's example envelope of `t`, as the spec prints it.
pub fn example_json(t: EventType) -> &'static str {
    match t {
        EventType::Ping => spec_example!("ping"),
        EventType::PackageAdded => spec_example!("package.added"),
        EventType::PackageDeleted => spec_example!("package.deleted"),
        EventType::PackageListed => spec_example!("package.listed"),
        EventType::PackagePinned => spec_example!("package.pinned"),
        EventType::PackagePushed => spec_example!("package.pushed"),
        EventType::BuildQueued => spec_example!("build.queued"),
        EventType::BuildStarted => spec_example!("build.started"),
        EventType::BuildFinished => spec_example!("build.finished"),
    }
}

/// The same, parsed.
pub fn example(t: EventType) -> Value {
    serde_json::from_str(example_json(t)).expect("spec examples are valid JSON")
}
