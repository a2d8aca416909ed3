//! GitLab webhooks: the Pipeline Hook's status changes become build events.
use serde_json::{Map, Value, json};

use super::envelope::{envelope, id, identifier, text, when};
use super::{Headers, InboundError, SourceRef, Translation};
use crate::events::EventType;

const EVENT_HEADER: &str = "X-Gitlab-Event";

pub(super) fn translate(
    headers: &Headers,
    body: &Value,
    source: SourceRef<'_>,
) -> Result<Translation, InboundError> {
    let event = headers.event_name(EVENT_HEADER, "GitLab")?;
    if event != "Pipeline Hook" || text(body, "/object_kind") != Some("pipeline") {
        return Ok(Translation::Ignored(format!(
            "GitLab event \"{event}\" is not mapped; only Pipeline events are"
        )));
    }
    let attrs = body
        .get("object_attributes")
        .ok_or_else(|| InboundError::malformed("a pipeline event without \"object_attributes\""))?;
    let pipeline =
        id(attrs, "/id").ok_or_else(|| InboundError::malformed("the pipeline has no \"id\""))?;
    let status = text(attrs, "/status")
        .ok_or_else(|| InboundError::malformed("the pipeline has no \"status\""))?;
    let (event, result) = match status {
        "created" | "pending" => (EventType::BuildQueued, None),
        "running" => (EventType::BuildStarted, None),
        "success" => (EventType::BuildFinished, Some("success")),
        "failed" | "canceled" => (EventType::BuildFinished, Some("failed")),
        other => {
            return Ok(Translation::Ignored(format!(
                "pipeline status \"{other}\" is not mapped"
            )));
        }
    };
    // The project, not the pipeline's title ("Pipeline for branch: master"), names the build:
    // it stays the same from run to run, so hook filters on build names can match it.
    let name = text(body, "/project/path_with_namespace")
        .or_else(|| text(attrs, "/name"))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("pipeline {pipeline}"));
    let mut payload = Map::new();
    if let Some(result) = result {
        payload.insert("Result".into(), json!(result));
    }
    payload.insert("Name".into(), json!(name));
    payload.insert("Branch".into(), json!(text(attrs, "/ref")));
    if result.is_some() {
        let url = text(attrs, "/url").map(str::to_owned).or_else(|| {
            text(body, "/project/web_url").map(|web| format!("{web}/-/pipelines/{pipeline}"))
        });
        payload.insert("BuildLogUrl".into(), json!(url));
    }
    let moment = moment(event, attrs, body);
    let project = id(body, "/project/id").unwrap_or_default();
    // created and pending are one queued build; a retried pipeline keeps its id but starts
    // and finishes again at other times, so the moment tells those runs apart, while a
    // redelivery (same body) gives the same identifier.
    let phase = event.name();
    let identifier = identifier(
        source.id,
        &[
            "gitlab",
            "pipeline",
            &project,
            &pipeline,
            phase,
            moment.as_deref().unwrap_or(""),
        ],
    );
    Ok(Translation::Events(vec![envelope(
        event,
        identifier,
        text(body, "/user/username"),
        moment.as_deref().and_then(when),
        payload,
    )]))
}

/// When this status was reached, as GitLab spells it: created for a queued pipeline, the
/// latest job start for a running one (the pipeline itself carries no start time), finished
/// for a finished one.
fn moment(event: EventType, attrs: &Value, body: &Value) -> Option<String> {
    match event {
        EventType::BuildQueued => text(attrs, "/created_at").map(str::to_owned),
        EventType::BuildStarted => body
            .get("builds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|b| text(b, "/started_at"))
            .filter_map(|s| when(s).map(|w| (w, s)))
            .max()
            .map(|(_, s)| s.to_owned()),
        _ => text(attrs, "/finished_at").map(str::to_owned),
    }
}

#[cfg(test)]
#[path = "gitlab_tests.rs"]
mod tests;
