//! The Sources part of the OpenAPI document: paths and schemas, with the kind enum derived
//! from the one definition of source kinds.
use serde_json::{Value, json};

use super::openapi::{list_of, list_params, listing, ok, op, param, problem, r};
use crate::domain::source_config::SourceKind;

/// The sources' schemas, with the kinds taken from their one definition.
pub(super) fn schemas() -> Value {
    let kinds: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
    json!({
        "SourceInput": {"type": "object", "additionalProperties": false, "properties": {
            "kind": {"type": "string", "enum": kinds},
            "name": {"type": "string"}, "enabled": {"type": "boolean"},
            "config": {"type": "object", "description": "settings of the kind; secrets are write-only and kept when left out; inbound kinds take none"}}},
        "Source": {"type": "object", "required": ["id", "kind", "name", "enabled", "config", "state", "created_at"], "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string", "enum": kinds}, "name": {"type": "string"},
            "enabled": {"type": "boolean"},
            "config": {"type": "object", "description": "settings without secrets; secrets_set names the secrets that have a value"},
            "state": {"type": "object", "required": ["last_poll_at", "last_success_at", "last_error", "events_emitted", "cursor"], "properties": {
                "last_poll_at": {"type": ["string", "null"], "format": "date-time"},
                "last_success_at": {"type": ["string", "null"], "format": "date-time"},
                "last_error": {"type": ["string", "null"]},
                "failures": {"type": "integer", "description": "polls failed in a row"},
                "next_poll_at": {"type": ["string", "null"], "format": "date-time"},
                "events_emitted": {"type": "integer"},
                "cursor": {"type": ["string", "null"], "description": "where the next poll starts; null until the first poll"}}},
            "inbound_url": {"type": "string", "description": "inbound kinds: where the other system posts"},
            "secret": {"type": "string", "description": "inbound kinds: in the answer that made it only"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}}},
        "PollAnswer": {"type": "object", "required": ["events", "error"], "properties": {
            "events": {"type": "integer", "description": "events this poll emitted"},
            "error": {"type": ["string", "null"], "description": "why the poll failed, as the source's state shows it"}}}
    })
}

/// The sources' routes under a feed.
pub(super) fn paths() -> Value {
    let feed = param("feed", "feed identifier");
    let id = param("id", "source id");
    let mut events_params = vec![feed.clone(), id.clone()];
    events_params.extend(list_params());
    json!({
        "/feeds/{feed}/sources": {
            "parameters": [feed],
            "post": op("Create a source; inbound kinds answer their secret this once", Some(r("SourceInput")),
                       vec![ok(201, "the source", Some(r("Source"))), problem(422, "invalid settings, each field named")], true),
            "get": op("The feed's sources", None, vec![ok(200, "sources", Some(list_of("Source")))], true)
        },
        "/feeds/{feed}/sources/{id}": {
            "parameters": [feed, id],
            "get": op("A source with its state", None, vec![ok(200, "the source", Some(r("Source")))], true),
            "patch": op("Change a source; what is left out stays, secrets included; a new upstream address starts from a new baseline",
                        Some(r("SourceInput")), vec![ok(200, "the source", Some(r("Source"))), problem(422, "invalid settings")], true),
            "delete": op("Delete a source (the events it emitted stay)", None, vec![ok(204, "deleted", None)], true)
        },
        "/feeds/{feed}/sources/{id}/poll": {
            "parameters": [feed, id],
            "post": op("Poll now; answers when the poll is done", None,
                       vec![ok(200, "the poll ran", Some(r("PollAnswer"))), problem(409, "an inbound source is not polled")], true)
        },
        "/feeds/{feed}/sources/{id}/rotate-secret": {
            "parameters": [feed, id],
            "post": op("A new inbound secret; the previous one works 24 hours more", None,
                       vec![ok(200, "the new secret, shown this once", Some(json!({"type": "object", "required": ["secret"], "properties": {"secret": {"type": "string"}}}))),
                            problem(409, "a polling source has no secret of its own")], true)
        },
        "/feeds/{feed}/sources/{id}/events": {
            "parameters": events_params,
            "get": listing("Events the source emitted, newest first", "Event", "limit or cursor")
        }
    })
}
