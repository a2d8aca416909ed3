//! The inbound part of the OpenAPI document: the URL other systems post their own webhooks to,
//! and a source's request log.
use serde_json::{Value, json};

use super::openapi::{list_params, ok, op, param, problem, r};
use super::openapi_sources::extend;
use crate::sources::inbound::KINDS;

/// Adds the inbound paths and schemas to the document.
pub fn add_to(doc: &mut Value) {
    let schemes: Vec<String> = KINDS
        .iter()
        .map(|k| format!("{}: {}", k.name, k.auth.describe()))
        .collect();
    let schemas = json!({
        "InboundAnswer": {"type": "object", "required": ["events"], "properties": {
            "events": {"type": "integer", "description": "new events the request became (0 for a ping, an unmapped event or a redelivery)"}}},
        "InboundRequest": {"type": "object", "required": ["id", "received_at", "outcome", "events", "headers", "body", "body_size"], "properties": {
            "id": {"type": "integer"},
            "received_at": {"type": "string", "format": "date-time"},
            "outcome": {"type": "string", "enum": ["accepted", "repeated", "ping", "ignored", "disabled", "unsupported", "malformed", "invalid"]},
            "detail": {"type": ["string", "null"], "description": "why, in plain words"},
            "events": {"type": "integer", "description": "new events it made"},
            "identifiers": {"type": "array", "items": {"type": "string"}, "description": "Identifiers of the events it became"},
            "previous_secret": {"type": "boolean", "description": "signed with the secret being rotated out"},
            "headers": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}, "description": "[name, value] pairs; credentials and signatures are [redacted]"},
            "body": {"type": "string", "description": "the first 64 KiB of the body"},
            "body_size": {"type": "integer"}}}
    });
    let mut receive = op(
        "Another system's own webhook, authenticated by the source kind's scheme",
        Some(json!({"type": "object", "description": schemes.join("; ")})),
        vec![
            ok(
                200,
                "a connection test (GitHub's ping): listed, no event",
                Some(r("InboundAnswer")),
            ),
            ok(
                202,
                "stored with its deliveries, or listed as ignored or repeated",
                Some(r("InboundAnswer")),
            ),
            problem(400, "a body the kind can not read"),
            problem(
                401,
                "a missing or wrong signature, token or secret; nothing is stored",
            ),
            problem(404, "no such inbound source"),
            problem(413, "a body over 1 MiB"),
            problem(415, "a body that is not JSON"),
            problem(422, "generic kind: an envelope that fails validation"),
        ],
        false,
    );
    receive["security"] = json!([]);
    let feed = param("feed", "feed identifier");
    let id = param("id", "source id");
    let mut requests_params = vec![feed, id.clone()];
    requests_params.extend(list_params());
    let paths = json!({
        "/inbound/{id}": {"parameters": [id], "post": receive},
        "/feeds/{feed}/sources/{id}/requests": {
            "parameters": requests_params,
            "get": op("What an inbound source received, newest first", None,
                      vec![ok(200, "requests", Some(json!({"type": "object", "required": ["items", "next_cursor"], "properties": {
                          "items": {"type": "array", "items": r("InboundRequest")},
                          "next_cursor": {"type": ["string", "null"]}}})))], true)
        }
    });
    extend(&mut doc["components"]["schemas"], schemas);
    extend(&mut doc["paths"], paths);
}
