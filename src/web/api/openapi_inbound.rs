//! The inbound part of the OpenAPI document: the URL other systems post their own webhooks to,
//! and a source's request log.
use serde_json::{Value, json};

use super::openapi::{list_params, listing, ok, op, param, problem, r};
use crate::sources::inbound::KINDS;

/// The inbound schemas: the answer to another system, and a line of the request log.
pub(super) fn schemas() -> Value {
    json!({
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
    })
}

/// The inbound URL and a source's request log.
pub(super) fn paths() -> Value {
    let schemes: Vec<String> = KINDS
        .iter()
        .map(|k| format!("{}: {}", k.name, k.auth.describe()))
        .collect();
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
            problem(
                401,
                "a missing or wrong signature, token or secret; nothing is stored",
            ),
            problem(404, "no such inbound source"),
            problem(422, "generic kind: an envelope that fails validation"),
        ],
        false,
    );
    // Each kind authenticates by its own scheme, not by a bearer token of this server.
    receive["security"] = json!([]);
    let feed = param("feed", "feed identifier");
    let id = param("id", "source id");
    let mut requests_params = vec![feed, id.clone()];
    requests_params.extend(list_params());
    json!({
        "/inbound/{id}": {"parameters": [id], "post": receive},
        "/feeds/{feed}/sources/{id}/requests": {
            "parameters": requests_params,
            "get": listing("What an inbound source received, newest first", "InboundRequest", "limit or cursor")
        }
    })
}
