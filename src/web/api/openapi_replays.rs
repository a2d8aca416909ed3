//! The Replays part of the OpenAPI document, with the rate bounds taken from the domain.
use serde_json::{Value, json};

use super::openapi::{ok, op, param, problem, r};
use crate::domain::replays::{DEFAULT_RATE, MAX_DELIVERIES, RATES};
use crate::primitives::DeliveryStatus;

pub(super) fn schemas() -> Value {
    json!({
        "ReplayInput": {"type": "object", "properties": {
            "status": {"type": "string", "enum": DeliveryStatus::listed_names()},
            "event": {"type": "string", "description": "an event name, e.g. package.added"},
            "since": {"type": "string", "format": "date-time"},
            "until": {"type": "string", "format": "date-time"},
            "package": {"type": "string", "maxLength": 200, "description": "package identifier glob: * and ?, case-insensitive"},
            "rate": {"type": "integer", "minimum": RATES.start(), "maximum": RATES.end(), "default": DEFAULT_RATE,
                     "description": "new deliveries per second"},
            "dry_run": {"type": "boolean", "default": false, "description": "only count what would be sent again"}}},
        "ReplayCount": {"type": "object", "required": ["matches"], "properties": {"matches": {"type": "integer"}}},
        "Replay": {"type": "object", "required": ["id", "state", "total", "sent", "rate", "created_at"], "properties": {
            "id": {"type": "integer"}, "hook": {"type": "integer"},
            "state": {"type": "string", "enum": ["running", "done", "cancelled"]},
            "total": {"type": "integer", "description": "deliveries selected when the replay was made"},
            "sent": {"type": "integer", "description": "new deliveries made so far"},
            "rate": {"type": "integer"},
            "selection": {"type": "object", "description": "the filters it was made with"},
            "created_at": {"type": "string", "format": "date-time"},
            "finished_at": {"type": ["string", "null"], "format": "date-time"}}}
    })
}

pub(super) fn paths() -> Value {
    let (feed, id) = (param("feed", "feed identifier"), param("id", "hook id"));
    let replay = param("replay", "replay id");
    json!({
      "/feeds/{feed}/hooks/{id}/replays": {
        "parameters": [feed, id],
        "post": op("Count (dry_run) or send again, at a rate, the hook's deliveries that the filters select", Some(r("ReplayInput")),
                   vec![ok(200, "dry run: how many would be sent again", Some(r("ReplayCount"))),
                        ok(202, "the replay, running", Some(r("Replay"))),
                        problem(422, &format!("a bad filter or rate, each field named; or more than {MAX_DELIVERIES} deliveries selected"))], true)
      },
      "/feeds/{feed}/hooks/{id}/replays/{replay}": {
        "parameters": [feed, id, replay],
        "get": op("A replay and its progress", None, vec![ok(200, "the replay", Some(r("Replay")))], true),
        "delete": op("Cancel a replay: it makes no more new deliveries", None, vec![ok(204, "cancelled", None)], true)
      }
    })
}
