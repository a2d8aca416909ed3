//! The OpenAPI 3.1 document of the whole API, built from the same catalog the server uses, so
//! event schemas cannot drift. A test checks that it names every registered route.
use serde_json::{Value, json};

use crate::domain::hook_config::HookKind;
use crate::events::{EventType, json_schema};
use crate::primitives::{DeliveryStatus, ErrorKind};

fn problem(status: u16, what: &str) -> (String, Value) {
    (
        status.to_string(),
        json!({"description": what, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}),
    )
}

fn ok(status: u16, what: &str, schema: Option<Value>) -> (String, Value) {
    let mut r = json!({"description": what});
    if let Some(s) = schema {
        r["content"] = json!({"application/json": {"schema": s}});
    }
    (status.to_string(), r)
}

fn answers(v: Vec<(String, Value)>) -> Value {
    Value::Object(v.into_iter().collect())
}

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn list_of(name: &str) -> Value {
    json!({"type": "object", "required": ["items", "next_cursor"], "properties": {
        "items": {"type": "array", "items": r(name)},
        "next_cursor": {"type": ["string", "null"], "description": "pass as ?cursor= for the next page"}}})
}

/// An operation: summary, optional JSON request body schema, and its answers (the usual
/// 401/404 added for authenticated feed routes).
fn op(
    summary: &str,
    body: Option<Value>,
    mut responses: Vec<(String, Value)>,
    authed: bool,
) -> Value {
    if authed {
        responses.push(problem(401, "missing, unknown or revoked token"));
        responses.push(problem(404, "unknown, or not visible to this caller"));
    }
    let mut o = json!({"summary": summary, "responses": answers(responses)});
    if authed {
        o["security"] = json!([{"bearer": []}]);
    }
    if let Some(b) = body {
        o["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": b}}});
    }
    o
}

fn param(name: &str, what: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": what, "schema": {"type": "string"}})
}

fn list_params() -> Vec<Value> {
    vec![
        json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}),
        json!({"name": "cursor", "in": "query", "schema": {"type": "string"}}),
    ]
}

pub fn document(server_url: &str) -> Value {
    let feed = param("feed", "feed identifier");
    let mut event_schemas = serde_json::Map::new();
    for t in EventType::ALL {
        event_schemas.insert(t.name().to_owned(), json_schema(t));
    }
    let envelope = json!({"oneOf": EventType::ALL.iter().map(|t| json!({"$ref": format!("#/components/schemas/events/{}", t.name())})).collect::<Vec<_>>()});

    json!({
      "openapi": "3.1.0",
      "info": {"title": "feedhooks API", "version": env!("CARGO_PKG_VERSION"),
               "description": "Feeds, keys, events, hooks and deliveries of a feedhooks server. Errors are application/problem+json."},
      "servers": [{"url": format!("{}/api/v1", server_url.trim_end_matches('/'))}],
      "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
            "description": "a personal access token (fhp_...) acts as its user; a feed key (fhk_...) may only post events to its feed"}},
        "schemas": {
          "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
              "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
              "errors": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                  "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}}},
          "Feed": {"type": "object", "required": ["identifier", "name", "url", "owner", "co_owners"], "properties": {
              "identifier": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$"}, "name": {"type": "string"},
              "url": {"type": "string", "format": "uri"}, "owner": {"type": "string"},
              "co_owners": {"type": "array", "items": {"type": "string"}}, "created_at": {"type": "string", "format": "date-time"}}},
          "NewFeed": {"type": "object", "required": ["identifier"], "properties": {"identifier": {"type": "string"}, "name": {"type": "string"}}},
          "NewKey": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
          "CreatedKey": {"type": "object", "required": ["id", "name", "key"], "properties": {
              "id": {"type": "integer"}, "name": {"type": "string"}, "key": {"type": "string", "description": "shown this once"}}},
          "Key": {"type": "object", "required": ["id", "name", "created_at"], "properties": {
              "id": {"type": "integer"}, "name": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
              "last_used_at": {"type": ["string", "null"], "format": "date-time"}}},
          "Accepted": {"type": "object", "required": ["identifier", "deliveries"], "properties": {
              "identifier": {"type": "string"}, "deliveries": {"type": "integer"}}},
          "Event": {"type": "object", "required": ["identifier", "payload_type", "username", "when", "received_at"], "properties": {
              "identifier": {"type": "string"}, "payload_type": {"type": "string"}, "event": {"type": "string"},
              "username": {"type": ["string", "null"]}, "when": {"type": ["string", "null"]},
              "received_at": {"type": "string", "format": "date-time"}}},
          "Envelope": envelope,
          "HookInput": {"type": "object", "properties": {
              "kind": {"type": "string", "enum": HookKind::ALL.map(HookKind::as_str)},
              "name": {"type": "string"}, "enabled": {"type": "boolean"},
              "events": {"type": "array", "items": {"type": "string", "enum": EventType::ALL.iter().map(|e| e.name()).collect::<Vec<_>>()}},
              "config": {"type": "object", "description": "settings of the kind; secrets are write-only and kept when left out"}}},
          "Hook": {"type": "object", "required": ["id", "kind", "name", "enabled", "events", "config", "disabled_reason", "created_at"], "properties": {
              "id": {"type": "integer"}, "kind": {"type": "string"}, "name": {"type": "string"}, "enabled": {"type": "boolean"},
              "events": {"type": "array", "items": {"type": "string"}},
              "config": {"type": "object", "description": "settings without secrets; secrets_set names the secrets that have a value"},
              "disabled_reason": {"type": ["string", "null"]}, "created_at": {"type": "string", "format": "date-time"},
              "secret": {"type": "string", "description": "a generated signing secret, in the answer that made it only"}}},
          "Delivery": {"type": "object", "required": ["id", "hook", "event", "status", "attempts", "next_attempt_at", "redelivery_of", "created_at"], "properties": {
              "id": {"type": "integer"}, "hook": {"type": "integer"},
              "event": {"type": "object", "properties": {"identifier": {"type": "string"}, "payload_type": {"type": "string"}}},
              "status": {"type": "string", "enum": DeliveryStatus::listed_names()}, "attempts": {"type": "integer"},
              "next_attempt_at": {"type": ["string", "null"], "format": "date-time"}, "redelivery_of": {"type": ["integer", "null"]},
              "created_at": {"type": "string", "format": "date-time"}}},
          "Attempt": {"type": "object", "required": ["number", "started_at", "duration_ms", "request", "response", "error"], "properties": {
              "number": {"type": "integer"}, "started_at": {"type": "string", "format": "date-time"}, "duration_ms": {"type": "integer"},
              "request": {"type": "object", "properties": {"url": {"type": "string"}, "method": {"type": "string"}, "headers": {"type": "object"}, "body": {"type": "string"}}},
              "response": {"type": ["object", "null"], "properties": {"status": {"type": "integer"}, "headers": {"type": "object"}, "body": {"type": "string"}, "body_size": {"type": "integer"}}},
              "error": {"type": ["object", "null"], "properties": {"kind": {"type": "string", "enum": ErrorKind::ALL.map(ErrorKind::as_str)}, "message": {"type": "string"}}}}},
          "DeliveryWithLog": {"allOf": [r("Delivery"), {"type": "object", "properties": {"attempt_log": {"type": "array", "items": r("Attempt")}}}]},
          "events": event_schemas
        }
      },
      "paths": {
        "/feeds": {
          "post": op("Create a feed; the caller owns it", Some(r("NewFeed")), vec![ok(201, "the feed", Some(r("Feed"))), problem(409, "identifier taken"), problem(422, "invalid identifier or name")], true),
          "get": op("Feeds the caller owns or co-owns (every feed for an administrator)", None, vec![ok(200, "feeds", Some(list_of("Feed")))], true)
        },
        "/feeds/{feed}": {
          "parameters": [feed],
          "get": op("A feed with its owner and co-owners", None, vec![ok(200, "the feed", Some(r("Feed")))], true),
          "delete": op("Delete a feed with everything in it (owner or administrator)", None, vec![ok(204, "deleted", None), problem(403, "not the owner")], true)
        },
        "/feeds/{feed}/co-owners/{username}": {
          "parameters": [feed, param("username", "a user")],
          "put": op("Make a user a co-owner (owner or administrator)", None, vec![ok(204, "added", None), problem(403, "not the owner"), problem(422, "no such user")], true),
          "delete": op("Remove a co-owner (owner or administrator)", None, vec![ok(204, "removed", None), problem(403, "not the owner")], true)
        },
        "/feeds/{feed}/keys": {
          "parameters": [feed],
          "post": op("Create a feed key for event ingest; the key is in this answer only", Some(r("NewKey")), vec![ok(201, "the key", Some(r("CreatedKey"))), problem(422, "invalid name")], true),
          "get": op("The feed's keys (never the secrets)", None, vec![ok(200, "keys", Some(list_of("Key")))], true)
        },
        "/feeds/{feed}/keys/{id}": {
          "parameters": [feed, param("id", "key id")],
          "delete": op("Revoke a feed key", None, vec![ok(204, "revoked", None)], true)
        },
        "/feeds/{feed}/events": {
          "parameters": [feed],
          "post": {
            "summary": "Post an event (feed key or a token of an owner, co-owner or administrator)",
            "security": [{"bearer": []}],
            "requestBody": {"required": true, "content": {
                "application/json": {"schema": r("Envelope")},
                "application/vnd.myget.webhooks.v1+json": {"schema": r("Envelope")}}},
            "responses": answers(vec![
                ok(202, "stored with its deliveries", Some(r("Accepted"))),
                ok(200, "the same body was accepted before; nothing new", Some(r("Accepted"))),
                problem(400, "malformed JSON (with line and column)"), problem(401, "missing or bad token"),
                problem(404, "unknown feed, or not this key's"), problem(409, "another body under a known Identifier"),
                problem(413, "body over 1 MiB"), problem(415, "wrong content type"),
                problem(422, "unknown PayloadType or a missing or mistyped field"), problem(503, "busy; retry after Retry-After")
            ])
          },
          "get": {"parameters": list_params(), "summary": "Stored events, newest first", "security": [{"bearer": []}],
                  "responses": answers(vec![ok(200, "events", Some(list_of("Event"))), problem(401, "missing or bad token"), problem(404, "not visible")])}
        },
        "/feeds/{feed}/hooks": {
          "parameters": [feed],
          "post": op("Create a hook", Some(r("HookInput")), vec![ok(201, "the hook", Some(r("Hook"))), problem(422, "invalid settings, each field named")], true),
          "get": op("The feed's hooks", None, vec![ok(200, "hooks", Some(list_of("Hook")))], true)
        },
        "/feeds/{feed}/hooks/{id}": {
          "parameters": [feed, param("id", "hook id")],
          "get": op("A hook", None, vec![ok(200, "the hook", Some(r("Hook")))], true),
          "patch": op("Change a hook; what is left out stays, secrets included", Some(r("HookInput")), vec![ok(200, "the hook", Some(r("Hook"))), problem(422, "invalid settings")], true),
          "delete": op("Delete a hook with its deliveries", None, vec![ok(204, "deleted", None)], true)
        },
        "/feeds/{feed}/hooks/{id}/ping": {
          "parameters": [feed, param("id", "hook id")],
          "post": op("Send a ping event to this hook", None, vec![ok(202, "queued", Some(json!({"type": "object", "properties": {"delivery": {"type": "integer"}}}))), problem(409, "the hook is disabled")], true)
        },
        "/feeds/{feed}/hooks/{id}/redeliver": {
          "parameters": [feed, param("id", "hook id")],
          "post": op("Redeliver every failed delivery since a time", Some(json!({"type": "object", "required": ["since"], "properties": {"status": {"const": DeliveryStatus::Failed.as_str()}, "since": {"type": "string", "format": "date-time"}}})),
                     vec![ok(202, "queued", Some(json!({"type": "object", "properties": {"deliveries": {"type": "integer"}}}))), problem(422, "bad status or time")], true)
        },
        "/feeds/{feed}/hooks/{id}/deliveries": {
          "parameters": [feed, param("id", "hook id"),
              json!({"name": "status", "in": "query", "schema": {"type": "string", "enum": DeliveryStatus::listed_names()}}),
              json!({"name": "event", "in": "query", "schema": {"type": "string"}}),
              json!({"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}}),
              json!({"name": "until", "in": "query", "schema": {"type": "string", "format": "date-time"}}),
              list_params()[0].clone(), list_params()[1].clone()],
          "get": op("The hook's deliveries, newest first", None, vec![ok(200, "deliveries", Some(list_of("Delivery"))), problem(422, "bad filter")], true)
        },
        "/feeds/{feed}/deliveries/{id}": {
          "parameters": [feed, param("id", "delivery id")],
          "get": op("A delivery with every attempt: request, response, error, duration", None, vec![ok(200, "the delivery", Some(r("DeliveryWithLog")))], true)
        },
        "/feeds/{feed}/deliveries/{id}/redeliver": {
          "parameters": [feed, param("id", "delivery id")],
          "post": op("Deliver the same event to the same hook again, as a new delivery", None, vec![ok(202, "queued", Some(json!({"type": "object", "properties": {"delivery": {"type": "integer"}}})))], true)
        },
        "/openapi.json": {
          "get": op("This document", None, vec![ok(200, "OpenAPI 3.1", Some(json!({"type": "object"})))], false)
        },
        "/schemas/{event}": {
          "parameters": [param("event", "event name, e.g. package.added")],
          "get": op("JSON Schema of an event's envelope", None, vec![ok(200, "the schema", Some(json!({"type": "object"}))), problem(404, "unknown event")], false)
        }
      }
    })
}
