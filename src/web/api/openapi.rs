//! The OpenAPI 3.1 document of the whole API, built from the same catalog the server uses, so
//! event schemas cannot drift. A test checks that it names every registered route.
use serde_json::{Value, json};

use super::{openapi_inbound, openapi_replays, openapi_sources};
use crate::domain::hook_concurrency::{DEFAULT_MAX_IN_FLIGHT, MAX_IN_FLIGHT_LIMIT};
use crate::domain::hook_config::HookKind;
use crate::domain::hook_filter::{BuildResult, Prerelease};
use crate::events::{EventType, json_schema, template};
use crate::primitives::{DeliveryStatus, ErrorKind};

pub(super) fn problem(status: u16, what: &str) -> (String, Value) {
    (
        status.to_string(),
        json!({"description": what, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}),
    )
}

pub(super) fn ok(status: u16, what: &str, schema: Option<Value>) -> (String, Value) {
    let mut r = json!({"description": what});
    if let Some(s) = schema {
        r["content"] = json!({"application/json": {"schema": s}});
    }
    (status.to_string(), r)
}

fn answers(v: Vec<(String, Value)>) -> Value {
    Value::Object(v.into_iter().collect())
}

pub(super) fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

pub(super) fn list_of(name: &str) -> Value {
    json!({"type": "object", "required": ["items", "next_cursor"], "properties": {
        "items": {"type": "array", "items": r(name)},
        "next_cursor": {"type": ["string", "null"], "description": "pass as ?cursor= for the next page"}}})
}

/// An operation: summary, optional JSON request body schema, and its answers. Added to them:
/// for a JSON body, what its extractor answers (400 malformed, 413 too large, 415 not JSON);
/// for an authenticated route, 401, 404 and 503 (the store busy past its timeout).
pub(super) fn op(
    summary: &str,
    body: Option<Value>,
    mut responses: Vec<(String, Value)>,
    authed: bool,
) -> Value {
    if body.is_some() {
        responses.extend(json_body_problems());
    }
    if authed {
        responses.extend(auth_problems());
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

fn json_body_problems() -> Vec<(String, Value)> {
    vec![
        problem(400, "malformed JSON (with line and column)"),
        problem(413, "body over 1 MiB"),
        problem(415, "send Content-Type: application/json"),
    ]
}

fn auth_problems() -> Vec<(String, Value)> {
    vec![
        problem(401, "missing, unknown or revoked token"),
        problem(404, "unknown, or not visible to this caller"),
        problem(503, "busy; retry after Retry-After"),
    ]
}

/// A list: its query parameters, and what a bad query answers.
pub(super) fn listing(summary: &str, item: &str, filters: &str) -> Value {
    op(
        summary,
        None,
        vec![
            ok(200, "one page, newest first", Some(list_of(item))),
            problem(400, "a malformed query string, or a parameter given twice"),
            problem(422, &format!("a bad {filters}, each field named")),
        ],
        true,
    )
}

pub(super) fn param(name: &str, what: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": what, "schema": {"type": "string"}})
}

pub(super) fn list_params() -> Vec<Value> {
    vec![
        json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}),
        json!({"name": "cursor", "in": "query", "schema": {"type": "string"}}),
    ]
}

/// Joins the objects of several named parts into one.
fn merged<const N: usize>(parts: [Value; N]) -> Value {
    let mut all = serde_json::Map::new();
    for part in parts {
        if let Value::Object(m) = part {
            all.extend(m);
        }
    }
    Value::Object(all)
}

pub fn document(server_url: &str) -> Value {
    json!({
      "openapi": "3.1.0",
      "info": {"title": "feedhooks API", "version": env!("CARGO_PKG_VERSION"),
               "description": "Feeds, keys, events, hooks and deliveries of a feedhooks server. Errors are application/problem+json."},
      "servers": [{"url": format!("{}/api/v1", server_url.trim_end_matches('/'))}],
      "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
            "description": "a personal access token (fhp_...) acts as its user; a feed key (fhk_...) may only post events to its feed"}},
        "schemas": merged([feed_schemas(), event_schemas(), hook_schemas(), delivery_schemas(), openapi_sources::schemas(), openapi_inbound::schemas(), openapi_replays::schemas()])
      },
      "paths": merged([feed_paths(), event_paths(), hook_paths(), delivery_paths(), self_paths(), openapi_sources::paths(), openapi_inbound::paths(), openapi_replays::paths()])
    })
}

/// Problems, feeds and their keys.
fn feed_schemas() -> Value {
    json!({
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
          "last_used_at": {"type": ["string", "null"], "format": "date-time"}}}
    })
}

/// The event envelopes of the catalog, and what ingest answers.
fn event_schemas() -> Value {
    let mut by_name = serde_json::Map::new();
    for t in EventType::ALL {
        by_name.insert(t.name().to_owned(), json_schema(t));
    }
    let envelope = json!({"oneOf": EventType::ALL.iter().map(|t| json!({"$ref": format!("#/components/schemas/events/{}", t.name())})).collect::<Vec<_>>()});
    json!({
      "Accepted": {"type": "object", "required": ["identifier", "deliveries"], "properties": {
          "identifier": {"type": "string"}, "deliveries": {"type": "integer"}}},
      "Event": {"type": "object", "required": ["identifier", "payload_type", "username", "when", "received_at"], "properties": {
          "identifier": {"type": "string"}, "payload_type": {"type": "string"}, "event": {"type": "string"},
          "username": {"type": ["string", "null"]}, "when": {"type": ["string", "null"]},
          "received_at": {"type": "string", "format": "date-time"}}},
      "Envelope": envelope,
      "EventDetail": {"allOf": [r("Event"), {"type": "object", "required": ["envelope", "deliveries", "filtered"], "properties": {
          "source": {"type": ["integer", "null"], "description": "the source that emitted it"},
          "envelope": {"type": "object"},
          "deliveries": {"type": "array", "items": {"type": "object", "required": ["id", "hook", "hook_name", "status"], "properties": {
              "id": {"type": "integer"}, "hook": {"type": "integer"}, "hook_name": {"type": "string"},
              "status": {"type": "string", "enum": DeliveryStatus::listed_names()}}}},
          "filtered": {"type": "array", "description": "hooks of its type that did not take it, and the rule of their filter that said no",
              "items": {"type": "object", "required": ["hook", "hook_name", "reason"], "properties": {
              "hook": {"type": "integer"}, "hook_name": {"type": "string"}, "reason": {"type": "string"}}}}}}]},
      "events": by_name
    })
}

fn hook_schemas() -> Value {
    json!({
      "HookInput": {"type": "object", "properties": {
          "kind": {"type": "string", "enum": HookKind::ALL.map(HookKind::as_str)},
          "name": {"type": "string"}, "enabled": {"type": "boolean"},
          "events": {"type": "array", "items": {"type": "string", "enum": EventType::ALL.iter().map(|e| e.name()).collect::<Vec<_>>()}},
          "config": {"type": "object", "description": "settings of the kind; secrets are write-only and kept when left out"},
          "filter": {"oneOf": [r("Filter"), {"type": "null"}], "description": "replaces the filter whole; null removes it; left out, it stays"},
          "templates": {"oneOf": [r("Templates"), {"type": "null"}], "description": "people-channel kinds only; replaces the templates whole; null removes them; left out, they stay"},
          "max_in_flight": max_in_flight_schema(),
          "ordered": ordered_schema(),
          "digest": {"oneOf": [r("Digest"), {"type": "null"}], "description": "people-channel kinds only, not with ordered; replaces the setting whole; null turns digests off; left out, it stays"},
          "alert_hook": {"type": ["integer", "null"], "description": "another hook of the feed, told when this one is disabled or recovers; null removes it; left out, it stays"}}},
      "Digest": digest_schema(),
      "Filter": filter_schema(),
      "Templates": templates_schema(),
      "PreviewRequest": {"type": "object", "required": ["event"], "additionalProperties": false, "properties": {
          "hook": r("HookInput"),
          "hook_id": {"type": "integer", "description": "a saved hook; with hook, its fields are edits over it"},
          "event": {"description": "one of the feed's logged events by identifier, or an envelope", "oneOf": [{"type": "string"}, {"type": "object"}]}}},
      "Preview": preview_schema(),
      "Hook": {"type": "object", "required": ["id", "kind", "name", "enabled", "events", "config", "max_in_flight", "ordered", "broken", "disabled_reason", "created_at"], "properties": {
          "id": {"type": "integer"}, "kind": {"type": "string"}, "name": {"type": "string"}, "enabled": {"type": "boolean"},
          "events": {"type": "array", "items": {"type": "string"}},
          "config": {"type": "object", "description": "settings without secrets; secrets_set names the secrets that have a value"},
          "filter": r("Filter"),
          "templates": r("Templates"),
          "max_in_flight": max_in_flight_schema(), "ordered": ordered_schema(),
          "digest": {"oneOf": [r("Digest"), {"type": "null"}]},
          "broken": {"type": ["string", "null"], "description": "why the hook cannot send: its stored secrets do not open with this server's key file; a PATCH that gives them again mends it"},
          "alert_hook": {"type": ["integer", "null"], "description": "another hook of the feed, told when this one is disabled or recovers"},
          "disabled_reason": {"type": ["string", "null"]}, "created_at": {"type": "string", "format": "date-time"},
          "secret": {"type": "string", "description": "a generated signing secret, in the answer that made it only"}}}
    })
}

fn max_in_flight_schema() -> Value {
    json!({"type": "integer", "minimum": 1, "maximum": MAX_IN_FLIGHT_LIMIT, "default": DEFAULT_MAX_IN_FLIGHT,
           "description": "attempts to this hook in flight at once; an ordered hook has one whatever this says"})
}

/// A hook's digest: one message per window, and quiet hours held until they end.
fn digest_schema() -> Value {
    let hhmm = json!({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"});
    json!({"type": "object", "additionalProperties": false, "properties": {
        "window": {"type": ["string", "null"], "description": "1m to 24h, such as 15m: the events of the window go as one message"},
        "quiet_hours": {"oneOf": [{"type": "null"}, {"type": "object", "required": ["from", "to", "tz"], "additionalProperties": false, "properties": {
            "from": hhmm, "to": hhmm, "tz": {"type": "string", "description": "IANA time zone name, such as Europe/Brussels"}}}],
            "description": "local times from (included) to (excluded); events are held and sent as one digest when they end"}}})
}

fn ordered_schema() -> Value {
    json!({"type": "boolean", "default": false,
           "description": "one delivery at a time, in the order the events were accepted; a retrying delivery holds the later ones, one that fails for good lets the next go"})
}

/// A hook's templates: per event name, the parts it words (MiniJinja; the envelope is the
/// context).
fn templates_schema() -> Value {
    let part = |what: &str| json!({"type": ["string", "null"], "maxLength": template::MAX_SOURCE, "description": what});
    let message = json!({"type": "object", "additionalProperties": false, "properties": {
        "subject": part("e-mail subject"),
        "text": part("the message of chat and SMS kinds; e-mail's plain-text part"),
        "html": part("e-mail's HTML part; values are HTML-escaped")}});
    let mut by_event = serde_json::Map::new();
    for e in EventType::ALL {
        by_event.insert(e.name().to_owned(), message.clone());
    }
    json!({"type": "object", "additionalProperties": false, "properties": by_event})
}

/// What the preview answers: the HTTP request, or the e-mail, or why none can be built.
fn preview_schema() -> Value {
    let headers = json!({"type": "object", "additionalProperties": {"type": "string"}});
    json!({"type": "object", "required": ["passes_filter", "filter_reason"], "properties": {
        "passes_filter": {"type": "boolean"},
        "filter_reason": {"type": ["string", "null"], "description": "why the hook would not take the event"},
        "request": {"type": "object", "required": ["method", "url", "headers", "body"], "properties": {
            "method": {"type": "string"}, "url": {"type": "string"}, "headers": headers,
            "body": {"type": "string", "description": "the exact bytes that would be sent"}}},
        "email": {"type": "object", "required": ["from", "to", "subject", "headers", "text", "html"], "properties": {
            "from": {"type": "string"}, "to": {"type": "array", "items": {"type": "string"}},
            "subject": {"type": "string"}, "headers": headers,
            "text": {"type": ["string", "null"]}, "html": {"type": ["string", "null"]}}},
        "error": {"type": "object", "description": "why the sender could not build the message (a template that fails)",
            "properties": {"kind": {"type": "string", "enum": ["config"]}, "message": {"type": "string"}}}}})
}

/// A hook's filter; every part optional, globs with `*` and `?`, case-insensitive.
fn filter_schema() -> Value {
    let globs = |what: &str| {
        json!({"type": "array", "maxItems": 100, "description": what,
        "items": {"type": "string", "minLength": 1, "maxLength": 200}})
    };
    json!({"type": "object", "additionalProperties": false, "properties": {
        "packages": globs("package identifiers to deliver; empty: all"),
        "exclude_packages": globs("package identifiers never to deliver"),
        "prerelease": {"type": "string", "enum": Prerelease::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>()},
        "builds": globs("build names to deliver; empty: all"),
        "branches": globs("build branches to deliver; empty: all"),
        "results": {"type": "array", "items": {"type": "string", "enum": BuildResult::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>()},
                    "description": "build.finished results to deliver; empty: all"}}})
}

fn delivery_schemas() -> Value {
    json!({
      "Delivery": {"type": "object", "required": ["id", "hook", "event", "status", "attempts", "next_attempt_at", "redelivery_of", "created_at"], "properties": {
          "id": {"type": "integer"}, "hook": {"type": "integer"},
          "event": {"type": "object", "properties": {"identifier": {"type": "string"}, "payload_type": {"type": "string"}}},
          "status": {"type": "string", "enum": DeliveryStatus::listed_names()}, "attempts": {"type": "integer"},
          "next_attempt_at": {"type": ["string", "null"], "format": "date-time"}, "redelivery_of": {"type": ["integer", "null"]},
          "digest": {"type": ["integer", "null"], "description": "The digest delivery that carried it."},
          "held_for_digest": {"type": "boolean", "description": "Held until the hook's digest window or quiet hours end."},
          "created_at": {"type": "string", "format": "date-time"}}},
      "Attempt": {"type": "object", "required": ["number", "started_at", "duration_ms", "request", "response", "error"], "properties": {
          "number": {"type": "integer"}, "started_at": {"type": "string", "format": "date-time"}, "duration_ms": {"type": "integer"},
          "request": {"type": "object", "properties": {"url": {"type": "string"}, "method": {"type": "string"}, "headers": {"type": "object"}, "body": {"type": "string"}}},
          "response": {"type": ["object", "null"], "properties": {"status": {"type": "integer"}, "headers": {"type": "object"}, "body": {"type": "string"}, "body_size": {"type": "integer"}}},
          "error": {"type": ["object", "null"], "properties": {"kind": {"type": "string", "enum": ErrorKind::ALL.map(ErrorKind::as_str)}, "message": {"type": "string"}}}}},
      "DeliveryWithLog": {"allOf": [r("Delivery"), {"type": "object", "properties": {"attempt_log": {"type": "array", "items": r("Attempt")}}}]}
    })
}

fn feed_paths() -> Value {
    let feed = param("feed", "feed identifier");
    json!({
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
      }
    })
}

fn event_paths() -> Value {
    let mut list = listing("Stored events, newest first", "Event", "limit or cursor");
    list["parameters"] = json!(list_params());
    json!({
      "/feeds/{feed}/events": {
        "parameters": [param("feed", "feed identifier")],
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
        "get": list
      },
      "/feeds/{feed}/events/{identifier}": {
        "parameters": [param("feed", "feed identifier"), param("identifier", "the event's Identifier")],
        "get": op("An event with its envelope, its deliveries and the hooks whose filter turned it away", None,
                  vec![ok(200, "the event", Some(r("EventDetail")))], true)
      }
    })
}

fn hook_paths() -> Value {
    let (feed, id) = (param("feed", "feed identifier"), param("id", "hook id"));
    let queued =
        |field: &str| Some(json!({"type": "object", "properties": {field: {"type": "integer"}}}));
    let redeliver_body = json!({"type": "object", "required": ["since"], "properties": {
        "status": {"const": "failed"}, "since": {"type": "string", "format": "date-time"}}});
    let mut deliveries = listing(
        "The hook's deliveries, newest first",
        "Delivery",
        "filter, limit or cursor",
    );
    deliveries["parameters"] = json!([
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": DeliveryStatus::listed_names()}},
        {"name": "event", "in": "query", "schema": {"type": "string"}},
        {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
        {"name": "until", "in": "query", "schema": {"type": "string", "format": "date-time"}},
        list_params()[0], list_params()[1]]);
    json!({
      "/feeds/{feed}/hooks": {
        "parameters": [feed],
        "post": op("Create a hook", Some(r("HookInput")), vec![ok(201, "the hook", Some(r("Hook"))), problem(422, "invalid settings, each field named")], true),
        "get": op("The feed's hooks", None, vec![ok(200, "hooks", Some(list_of("Hook")))], true)
      },
      "/feeds/{feed}/hooks/preview": {
        "parameters": [feed],
        "post": op("What a hook (saved, unsaved, or saved with unsaved edits) would send for an event; nothing is sent, secrets show as [redacted]", Some(r("PreviewRequest")), vec![ok(200, "the preview", Some(r("Preview"))), problem(404, "no such hook or logged event"), problem(422, "invalid settings or envelope")], true)
      },
      "/feeds/{feed}/hooks/{id}": {
        "parameters": [feed, id],
        "get": op("A hook", None, vec![ok(200, "the hook", Some(r("Hook")))], true),
        "patch": op("Change a hook; what is left out stays, secrets included", Some(r("HookInput")), vec![ok(200, "the hook", Some(r("Hook"))), problem(422, "invalid settings")], true),
        "delete": op("Delete a hook with its deliveries", None, vec![ok(204, "deleted", None)], true)
      },
      "/feeds/{feed}/hooks/{id}/ping": {
        "parameters": [feed, id],
        "post": op("Send a ping event to this hook", None, vec![ok(202, "queued", queued("delivery")), problem(409, "the hook is disabled")], true)
      },
      "/feeds/{feed}/hooks/{id}/redeliver": {
        "parameters": [feed, id],
        "post": op("Redeliver every failed delivery since a time", Some(redeliver_body),
                   vec![ok(202, "queued", queued("deliveries")), problem(422, "bad status or time")], true)
      },
      "/feeds/{feed}/hooks/{id}/deliveries": {
        "parameters": [feed, id],
        "get": deliveries
      }
    })
}

fn delivery_paths() -> Value {
    let (feed, id) = (param("feed", "feed identifier"), param("id", "delivery id"));
    json!({
      "/feeds/{feed}/deliveries/{id}": {
        "parameters": [feed, id],
        "get": op("A delivery with every attempt: request, response, error, duration", None, vec![ok(200, "the delivery", Some(r("DeliveryWithLog")))], true)
      },
      "/feeds/{feed}/deliveries/{id}/redeliver": {
        "parameters": [feed, id],
        "post": op("Deliver the same event to the same hook again, as a new delivery", None, vec![ok(202, "queued", Some(json!({"type": "object", "properties": {"delivery": {"type": "integer"}}})))], true)
      }
    })
}

fn schema_answer() -> (String, Value) {
    let content = json!({"application/schema+json": {"schema": {"type": "object"}}});
    (
        "200".into(),
        json!({"description": "the schema", "content": content}),
    )
}

/// The document itself and the event schemas: public, no token.
fn self_paths() -> Value {
    json!({
      "/openapi.json": {
        "get": op("This document", None, vec![ok(200, "OpenAPI 3.1", Some(json!({"type": "object"})))], false)
      },
      "/schemas/{event}": {
        "parameters": [param("event", "event name, e.g. package.added")],
        "get": op("JSON Schema of an event's envelope", None, vec![schema_answer(), problem(404, "unknown event")], false)
      }
    })
}
