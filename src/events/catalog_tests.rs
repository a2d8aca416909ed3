//! Tests of `catalog.rs`.

use super::*;

#[test]
fn table_is_indexed_by_variant() {
    for (i, t) in EventType::ALL.iter().enumerate() {
        assert_eq!(EVENTS[i].event, *t);
        assert_eq!(*t as usize, i);
    }
}

#[test]
fn names_round_trip() {
    for t in EventType::ALL {
        assert_eq!(EventType::from_name(t.name()), Some(t));
        assert_eq!(EventType::from_payload_type(t.payload_type()), Some(t));
        assert_eq!(t.to_string().parse::<EventType>(), Ok(t));
        let json = serde_json::to_string(&t).expect("serialize");
        assert_eq!(json, format!("\"{}\"", t.name()));
        assert_eq!(
            serde_json::from_str::<EventType>(&json).expect("deserialize"),
            t
        );
        assert!(t.payload_type().ends_with("WebHookEventPayloadV1"));
        assert!(!t.title().is_empty() && !t.description().is_empty());
    }
    assert_eq!(EventType::PackageListed.name(), "package.listed");
    assert_eq!(EventType::PackageListed.title(), "Package listed/unlisted");
    assert_eq!(
        EventType::BuildFinished.payload_type(),
        "BuildFinishedWebHookEventPayloadV1"
    );
}

#[test]
fn unknown_names_are_rejected() {
    assert_eq!(EventType::from_name("Ping"), None);
    assert_eq!(EventType::from_name("PingWebHookEventPayloadV1"), None);
    assert_eq!(EventType::from_payload_type("ping"), None);
    let err = "package.moved".parse::<EventType>().expect_err("unknown");
    assert!(err.to_string().contains("package.added, package.deleted"));
    assert!(serde_json::from_str::<EventType>("\"nope\"").is_err());
}

#[test]
fn build_events() {
    let builds: Vec<_> = EventType::ALL
        .into_iter()
        .filter(|t| t.is_build())
        .collect();
    assert_eq!(builds.len(), 3);
    assert!(builds.iter().all(|t| t.name().starts_with("build.")));
}

#[test]
fn field_names_are_unique_per_payload() {
    for t in EventType::ALL {
        let fields = t.payload_fields();
        for (i, f) in fields.iter().enumerate() {
            assert!(
                fields[i + 1..].iter().all(|g| g.name != f.name),
                "{t}: {}",
                f.name
            );
        }
    }
}
