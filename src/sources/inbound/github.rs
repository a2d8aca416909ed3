//! GitHub webhooks: `workflow_run` becomes build events, `package` / `registry_package`
//! published becomes `package.added`, `ping` is a connection test.
use serde_json::{Map, Value, json};

use super::envelope::{envelope, id, identifier, text, when};
use super::{Headers, InboundError, SourceRef, Translation};
use crate::events::EventType;

const EVENT_HEADER: &str = "X-GitHub-Event";

pub(super) fn translate(
    headers: &Headers,
    body: &Value,
    source: SourceRef<'_>,
) -> Result<Translation, InboundError> {
    let event = headers.event_name(EVENT_HEADER, "GitHub")?;
    match event {
        "ping" => Ok(Translation::Ping(match id(body, "/hook_id") {
            Some(hook) => format!("GitHub ping from webhook {hook}"),
            None => "GitHub ping".to_owned(),
        })),
        "workflow_run" => workflow_run(body, source),
        "package" | "registry_package" => package(event, body, source),
        other => Ok(Translation::Ignored(format!(
            "GitHub event \"{other}\" is not mapped; only Workflow runs and Packages are"
        ))),
    }
}

fn action(body: &Value) -> Result<&str, InboundError> {
    text(body, "/action").ok_or_else(|| InboundError::malformed("the body has no \"action\""))
}

/// The actor: who sent the event (`sender.login`), as GitHub names the one who caused it.
fn actor(body: &Value) -> Option<&str> {
    text(body, "/sender/login")
}

fn workflow_run(body: &Value, source: SourceRef<'_>) -> Result<Translation, InboundError> {
    let action = action(body)?;
    let event = match action {
        "requested" => EventType::BuildQueued,
        "in_progress" => EventType::BuildStarted,
        "completed" => EventType::BuildFinished,
        other => {
            return Ok(Translation::Ignored(format!(
                "workflow_run action \"{other}\" is not mapped"
            )));
        }
    };
    let run = body
        .get("workflow_run")
        .ok_or_else(|| InboundError::malformed("a workflow_run event without \"workflow_run\""))?;
    let run_id =
        id(run, "/id").ok_or_else(|| InboundError::malformed("the workflow run has no \"id\""))?;
    // A re-run keeps the run id and counts up run_attempt: each attempt is its own build.
    let attempt = id(run, "/run_attempt").unwrap_or_else(|| "1".to_owned());
    // Recorded runs often have an empty `workflow_run.name`; the workflow's own name is in
    // `workflow.name`.
    let name = text(body, "/workflow/name")
        .or_else(|| text(run, "/name"))
        .or_else(|| text(run, "/path"))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("workflow run {run_id}"));
    let mut payload = Map::new();
    if event == EventType::BuildFinished {
        let result = match text(run, "/conclusion") {
            Some("success") => "success",
            _ => "failed",
        };
        payload.insert("Result".into(), json!(result));
    }
    payload.insert("Name".into(), json!(name));
    payload.insert("Branch".into(), json!(text(run, "/head_branch")));
    if event == EventType::BuildFinished {
        payload.insert("BuildLogUrl".into(), json!(text(run, "/html_url")));
    }
    let identifier = identifier(
        source.id,
        &["github", "workflow_run", &run_id, &attempt, action],
    );
    let when = text(run, "/updated_at").and_then(when);
    Ok(Translation::Events(vec![envelope(
        event,
        identifier,
        actor(body),
        when,
        payload,
    )]))
}

fn package(event: &str, body: &Value, source: SourceRef<'_>) -> Result<Translation, InboundError> {
    let action = action(body)?;
    if action != "published" {
        return Ok(Translation::Ignored(format!(
            "{event} action \"{action}\" is not mapped; only published is"
        )));
    }
    let pkg = body
        .get(event)
        .ok_or_else(|| InboundError::malformed(format!("a {event} event without \"{event}\"")))?;
    let name = text(pkg, "/name")
        .ok_or_else(|| InboundError::malformed(format!("the {event} has no \"name\"")))?;
    let version = text(pkg, "/package_version/version").ok_or_else(|| {
        InboundError::malformed(format!("the {event} has no \"package_version.version\""))
    })?;
    // `package_type` is the ecosystem GitHub documents (npm, maven, rubygems, docker, nuget,
    // container); recorded payloads disagree with the older `ecosystem` field, so it wins.
    let ecosystem = text(pkg, "/package_type").or_else(|| text(pkg, "/ecosystem"));
    let mut metadata = Map::new();
    let description = text(pkg, "/package_version/summary").or_else(|| text(pkg, "/description"));
    metadata.insert("Description".into(), json!(description));
    let author = text(pkg, "/package_version/author/login")
        .or_else(|| text(pkg, "/package_version/release/author/login"));
    metadata.insert("Authors".into(), json!(author));
    metadata.insert(
        "ProjectUrl".into(),
        json!(text(body, "/repository/html_url")),
    );
    let mut payload = Map::new();
    payload.insert(
        "PackageType".into(),
        json!(ecosystem.map(package_type).unwrap_or("GitHub")),
    );
    payload.insert("PackageIdentifier".into(), json!(name));
    payload.insert("PackageVersion".into(), json!(version));
    let details = text(pkg, "/package_version/html_url").or_else(|| text(pkg, "/html_url"));
    payload.insert("PackageDetailsUrl".into(), json!(details));
    // GitHub only links package files through pre-signed URLs that expire within minutes.
    payload.insert("PackageDownloadUrl".into(), Value::Null);
    payload.insert("PackageMetadata".into(), Value::Object(metadata));
    let package_id = id(pkg, "/id").unwrap_or_else(|| name.to_owned());
    let version_id = id(pkg, "/package_version/id").unwrap_or_else(|| version.to_owned());
    let identifier = identifier(
        source.id,
        &["github", "package", &package_id, &version_id, action],
    );
    let when = text(pkg, "/package_version/created_at")
        .or_else(|| text(pkg, "/updated_at"))
        .and_then(when);
    Ok(Translation::Events(vec![envelope(
        EventType::PackageAdded,
        identifier,
        actor(body),
        when,
        payload,
    )]))
}

/// GitHub's ecosystem names as the feed world spells package types.
fn package_type(ecosystem: &str) -> &str {
    match ecosystem.to_ascii_lowercase().as_str() {
        "npm" => "npm",
        "nuget" => "NuGet",
        "maven" => "Maven",
        "rubygems" => "RubyGems",
        "docker" => "Docker",
        "container" => "Container",
        _ => ecosystem,
    }
}

#[cfg(test)]
#[path = "github_tests.rs"]
mod tests;
