//! The catalog of event types: names, payload types, UI texts and the field table.
//!
//! Every per-event fact lives in [`EVENTS`] (and the shared [`ENVELOPE`]); `validate.rs` and
//! `schema.rs` both walk these tables, so the validator and the published JSON Schema can not
//! disagree about what an event must contain.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One kind of event a feed can emit, and a hook can subscribe to.
///
/// Serialized as its short name (`"package.added"`), the name used in hooks' `events` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Ping,
    PackageAdded,
    PackageDeleted,
    PackageListed,
    PackagePinned,
    PackagePushed,
    BuildQueued,
    BuildStarted,
    BuildFinished,
}

/// How a value must look. Only what a consumer relies on is typed; anything else is free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A JSON string (or `null` when `nullable`), measured in characters.
    Text {
        nullable: bool,
        non_empty: bool,
        max_chars: Option<usize>,
        /// No control characters (they would break log lines, headers and one-line summaries).
        printable: bool,
    },
    /// A string that must be one of these values.
    OneOf(&'static [&'static str]),
    /// An RFC 3339 date-time string.
    DateTime,
    /// The envelope's `PayloadType`: a string naming a known event type.
    PayloadType,
    /// A JSON object (or `null`), whose listed fields are checked in turn.
    Object {
        nullable: bool,
        fields: &'static [Field],
    },
    /// A JSON array whose every entry is an object with these fields.
    ArrayOf(&'static [Field]),
}

/// One named field of an object, in the envelope or a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub required: bool,
    pub kind: Kind,
    /// Shown in the JSON Schema's `description`.
    pub doc: &'static str,
}

/// Everything known about one event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSpec {
    pub event: EventType,
    pub name: &'static str,
    pub payload_type: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// The fields of `Payload`.
    pub payload: &'static [Field],
}

const fn text(name: &'static str, required: bool, doc: &'static str) -> Field {
    let kind = Kind::Text {
        nullable: false,
        // A required identity (package id, build name) that is empty says nothing; optional
        // strings are taken as sent.
        non_empty: required,
        max_chars: None,
        printable: false,
    };
    Field {
        name,
        required,
        kind,
        doc,
    }
}

const fn nullable_text(name: &'static str, doc: &'static str) -> Field {
    let kind = Kind::Text {
        nullable: true,
        non_empty: false,
        max_chars: None,
        printable: false,
    };
    Field {
        name,
        required: false,
        kind,
        doc,
    }
}

const fn one_of(name: &'static str, values: &'static [&'static str], doc: &'static str) -> Field {
    Field {
        name,
        required: true,
        kind: Kind::OneOf(values),
        doc,
    }
}

/// The envelope around every payload. `Identifier`, `Username` and `When` are optional because
/// the server fills them in when they are missing (API.md, "Events").
pub static ENVELOPE: [Field; 5] = [
    Field {
        name: "Identifier",
        required: false,
        kind: Kind::Text {
            nullable: false,
            non_empty: true,
            max_chars: Some(200),
            printable: true,
        },
        doc: "Unique identifier of the event; a UUID is filled in when missing.",
    },
    Field {
        name: "Username",
        required: false,
        kind: Kind::Text {
            nullable: false,
            non_empty: false,
            max_chars: Some(200),
            printable: false,
        },
        doc: "Who caused the event; the key's or user's name is filled in when missing.",
    },
    Field {
        name: "When",
        required: false,
        kind: Kind::DateTime,
        doc: "When the event happened (RFC 3339); now is filled in when missing.",
    },
    Field {
        name: "PayloadType",
        required: true,
        kind: Kind::PayloadType,
        doc: "Which event this is.",
    },
    Field {
        name: "Payload",
        required: true,
        // The per-event fields are added by `EventSpec::payload`.
        kind: Kind::Object {
            nullable: false,
            fields: &[],
        },
        doc: "The event's data.",
    },
];

// The server fills FeedIdentifier and FeedUrl from the feed the event was posted to, so a
// sender may leave them out; when sent they must at least be strings.
const FEED_IDENTIFIER: Field = text("FeedIdentifier", false, "Identifier of the feed.");
const FEED_URL: Field = text("FeedUrl", false, "URL of the feed.");
const PACKAGE_TYPE: Field = text("PackageType", true, "Kind of package, e.g. NuGet, npm.");
const PACKAGE_IDENTIFIER: Field = text("PackageIdentifier", true, "The package's identifier.");
// Free text: may be a version constraint such as "(>= 2.0.5364.25176)" rather than a version.
const PACKAGE_VERSION: Field = text("PackageVersion", true, "Version, or version constraint.");
const DETAILS_URL: Field = nullable_text("PackageDetailsUrl", "Page describing the package.");
const DOWNLOAD_URL: Field = nullable_text("PackageDownloadUrl", "Where to download it.");
// Metadata comes from the package's own manifest and differs per package type (NuGet, npm,
// ...), so its content is not typed here; the renderer copes with any shape.
const PACKAGE_METADATA: Field = Field {
    name: "PackageMetadata",
    required: false,
    kind: Kind::Object {
        nullable: true,
        fields: &[],
    },
    doc: "Metadata from the package manifest (description, authors, dependencies, ...).",
};
const LISTED_ACTION: Field = one_of("Action", &["listed", "unlisted"], "Listed or unlisted.");
const PINNED_ACTION: Field = one_of("Action", &["pinned", "unpinned"], "Pinned or unpinned.");
const TARGET_NAME: Field = nullable_text("TargetPackageSourceName", "Feed it was pushed to.");
const TARGET_URL: Field = nullable_text("TargetPackageSourceUrl", "URL of the target feed.");
const BUILD_RESULT: Field = one_of("Result", &["success", "failed"], "Outcome of the build.");
const BUILD_NAME: Field = text("Name", true, "Name of the build source.");
const BRANCH: Field = nullable_text("Branch", "Branch that was built.");

const PACKAGE_FIELDS: [Field; 5] = [
    PACKAGE_TYPE,
    PACKAGE_IDENTIFIER,
    PACKAGE_VERSION,
    FEED_IDENTIFIER,
    FEED_URL,
];

/// An entry of build.finished's `Packages`: everything optional, typed when present.
const BUILT_PACKAGE: [Field; 4] = [
    text("PackageType", false, "Kind of package."),
    text("PackageIdentifier", false, "The package's identifier."),
    text("PackageVersion", false, "The package's version."),
    nullable_text("TargetFramework", "Target framework, if any."),
];

/// Indexed by `EventType as usize`; a test checks the order.
pub static EVENTS: [EventSpec; 9] = [
    EventSpec {
        event: EventType::Ping,
        name: "ping",
        payload_type: "PingWebHookEventPayloadV1",
        title: "Ping",
        description: "A communications test sending a simple message to the webhook endpoint",
        payload: &[FEED_IDENTIFIER, FEED_URL],
    },
    EventSpec {
        event: EventType::PackageAdded,
        name: "package.added",
        payload_type: "PackageAddedWebHookEventPayloadV1",
        title: "Package added",
        description: "A package has been added to a feed",
        payload: &[
            PACKAGE_TYPE,
            PACKAGE_IDENTIFIER,
            PACKAGE_VERSION,
            DETAILS_URL,
            DOWNLOAD_URL,
            PACKAGE_METADATA,
            FEED_IDENTIFIER,
            FEED_URL,
        ],
    },
    EventSpec {
        event: EventType::PackageDeleted,
        name: "package.deleted",
        payload_type: "PackageDeletedWebHookEventPayloadV1",
        title: "Package deleted",
        description: "A package has been deleted from a feed",
        payload: &PACKAGE_FIELDS,
    },
    EventSpec {
        event: EventType::PackageListed,
        name: "package.listed",
        payload_type: "PackageListedWebHookEventPayloadV1",
        title: "Package listed/unlisted",
        description: "A package has been listed or unlisted",
        payload: &[
            LISTED_ACTION,
            PACKAGE_TYPE,
            PACKAGE_IDENTIFIER,
            PACKAGE_VERSION,
            FEED_IDENTIFIER,
            FEED_URL,
        ],
    },
    EventSpec {
        event: EventType::PackagePinned,
        name: "package.pinned",
        payload_type: "PackagePinnedWebHookEventPayloadV1",
        title: "Package pinned/unpinned",
        description: "A package has been pinned or unpinned",
        payload: &[
            PINNED_ACTION,
            PACKAGE_TYPE,
            PACKAGE_IDENTIFIER,
            PACKAGE_VERSION,
            FEED_IDENTIFIER,
            FEED_URL,
        ],
    },
    EventSpec {
        event: EventType::PackagePushed,
        name: "package.pushed",
        payload_type: "PackagePushedWebHookEventPayloadV1",
        title: "Package pushed",
        description: "A package has been pushed to an external feed",
        payload: &[
            PACKAGE_TYPE,
            PACKAGE_IDENTIFIER,
            PACKAGE_VERSION,
            DETAILS_URL,
            DOWNLOAD_URL,
            PACKAGE_METADATA,
            TARGET_NAME,
            TARGET_URL,
            FEED_IDENTIFIER,
            FEED_URL,
        ],
    },
    EventSpec {
        event: EventType::BuildQueued,
        name: "build.queued",
        payload_type: "BuildQueuedWebHookEventPayloadV1",
        title: "Build queued",
        description: "A build has been queued",
        payload: &[FEED_IDENTIFIER, FEED_URL, BUILD_NAME, BRANCH],
    },
    EventSpec {
        event: EventType::BuildStarted,
        name: "build.started",
        payload_type: "BuildStartedWebHookEventPayloadV1",
        title: "Build started",
        description: "A build has started",
        payload: &[FEED_IDENTIFIER, FEED_URL, BUILD_NAME, BRANCH],
    },
    EventSpec {
        event: EventType::BuildFinished,
        name: "build.finished",
        payload_type: "BuildFinishedWebHookEventPayloadV1",
        title: "Build finished",
        description: "A build has finished, successfully or not",
        payload: &[
            BUILD_RESULT,
            FEED_IDENTIFIER,
            FEED_URL,
            BUILD_NAME,
            BRANCH,
            nullable_text("BuildLogUrl", "Where to read the build log."),
            Field {
                name: "Packages",
                required: false,
                kind: Kind::ArrayOf(&BUILT_PACKAGE),
                doc: "Packages the build added to the feed.",
            },
        ],
    },
];

impl EventType {
    /// Every event type, in the order of the spec (and of UI checkboxes).
    pub const ALL: [EventType; 9] = [
        EventType::Ping,
        EventType::PackageAdded,
        EventType::PackageDeleted,
        EventType::PackageListed,
        EventType::PackagePinned,
        EventType::PackagePushed,
        EventType::BuildQueued,
        EventType::BuildStarted,
        EventType::BuildFinished,
    ];

    /// This event's row of the catalog.
    pub fn spec(self) -> &'static EventSpec {
        &EVENTS[self as usize]
    }

    /// Short name used by hooks and the API, e.g. `package.added`.
    /// This event's bit in a hook's subscription mask (stored, so the order of `ALL` is fixed).
    pub fn bit(self) -> i64 {
        1 << (self as u32)
    }

    /// The subscription mask of a set of events.
    pub fn mask(events: &[EventType]) -> i64 {
        events.iter().fold(0, |m, e| m | e.bit())
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The envelope's `PayloadType`, e.g. `PackageAddedWebHookEventPayloadV1`.
    pub fn payload_type(self) -> &'static str {
        self.spec().payload_type
    }

    /// Label for a UI checkbox, e.g. "Package listed/unlisted".
    pub fn title(self) -> &'static str {
        self.spec().title
    }

    /// One line on what the event means, for the UI.
    pub fn description(self) -> &'static str {
        self.spec().description
    }

    pub fn is_build(self) -> bool {
        matches!(
            self,
            EventType::BuildQueued | EventType::BuildStarted | EventType::BuildFinished
        )
    }

    /// The type with this short name (exact, case-sensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        EVENTS.iter().find(|s| s.name == name).map(|s| s.event)
    }

    /// The type with this `PayloadType` (exact, case-sensitive, as MyGet sends it).
    pub fn from_payload_type(payload_type: &str) -> Option<Self> {
        EVENTS
            .iter()
            .find(|s| s.payload_type == payload_type)
            .map(|s| s.event)
    }

    /// The fields of this event's `Payload`.
    pub fn payload_fields(self) -> &'static [Field] {
        self.spec().payload
    }
}

/// The error of parsing an unknown event name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEvent(pub String);

impl fmt::Display for UnknownEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = EVENTS.iter().map(|s| s.name).collect();
        write!(
            f,
            "unknown event {:?}; expected one of: {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownEvent {}

impl FromStr for EventType {
    type Err = UnknownEvent;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventType::from_name(s).ok_or_else(|| UnknownEvent(s.to_string()))
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // An owned String: borrowing would fail on escaped strings and on serde_json::Value.
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
