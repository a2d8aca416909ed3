//! npm registries (the public one, Verdaccio, any CouchDB-style registry): each watched
//! package's document (`GET {registry}/{name}`) against what was seen. A new version is
//! `package.added`, a version gone (unpublished) `package.deleted`, and a version that becomes
//! deprecated, or stops being so, `package.listed` unlisted / listed: deprecation is how npm
//! tells people to stop installing a version without breaking those who pinned it, which is
//! what unlisting does on NuGet.
use std::collections::{BTreeSet, HashMap};

use futures_util::{StreamExt, stream};
use serde_json::Value;

use super::change::{Change, ChangeKind, Dependency, Metadata, PackageType};
use super::fetch::{Auth, FetchError, Fetched, PER_SOURCE_REQUESTS, Validators};
use super::glob;
use super::poll::{Observed, PollCtx, PollError, Step, diff};
use crate::db::sources::{SeenVersion, VersionState, seen_versions};
use crate::domain::DomainError;
use crate::domain::source_config::NpmConfig;

/// Most packages one search for a scope pages through.
const MAX_SCOPE_PACKAGES: usize = 5000;
const SEARCH_PAGE: usize = 250;

pub fn auth(cfg: &NpmConfig) -> Auth {
    match &cfg.token {
        Some(t) => Auth::none().bearer(t.expose()),
        None => Auth::none(),
    }
}

/// A package name as a path segment: `@scope/name` is `@scope%2fname`.
fn document_url(registry: &str, name: &str) -> String {
    format!("{registry}/{}", name.replacen('/', "%2f", 1))
}

/// One poll. `validators` remembers documents' ETags between polls (in memory).
pub async fn poll(
    ctx: &mut PollCtx,
    cfg: &NpmConfig,
    validators: &mut HashMap<String, Validators>,
    next_poll_at: i64,
) -> Result<(), PollError> {
    let source_id = ctx.source.id;
    let seen: Vec<SeenVersion> = ctx
        .db
        .run(move |c| seen_versions(c, source_id))
        .await
        .map_err(DomainError::from)?;
    let names = watched_packages(ctx, cfg, &seen).await?;
    let mut by_package: HashMap<String, Vec<SeenVersion>> = HashMap::new();
    for s in seen {
        by_package.entry(s.package.clone()).or_default().push(s);
    }
    let session = ctx.session.clone();
    let fetches = stream::iter(names.into_iter().map(|name| {
        let url = document_url(&cfg.registry, &name);
        let previous = validators.get(&url).cloned();
        let session = session.clone();
        async move {
            let got = session.conditional(&url, previous.as_ref()).await;
            (name, url, got)
        }
    }))
    .buffer_unordered(PER_SOURCE_REQUESTS)
    .collect::<Vec<_>>()
    .await;

    let mut step = Step::default();
    let mut versions = 0usize;
    let mut packages = 0usize;
    for (name, url, got) in fetches {
        let seen = by_package.remove(&name).unwrap_or_default();
        let document = match got {
            Ok(Fetched::NotModified) => {
                packages += 1;
                versions += seen
                    .iter()
                    .filter(|s| s.state != VersionState::Gone)
                    .count();
                continue;
            }
            Ok(Fetched::Fresh(doc, v)) => {
                validators.insert(url.clone(), v);
                Some(doc)
            }
            // An unpublished package: every version it had is gone.
            Err(FetchError::Status { status: 404, .. }) => {
                validators.remove(&url);
                None
            }
            Err(e) => return Err(e.into()),
        };
        let observed = match &document {
            Some(doc) => observe(&url, doc)?,
            None => vec![],
        };
        if document.is_some() {
            packages += 1;
        }
        versions += observed.len();
        let (mut found, rows) = diff(&name, &observed, &seen, ctx.baseline);
        let empty = Value::Null;
        let doc = document.as_ref().unwrap_or(&empty);
        // New versions in the order they were published, then listing changes, then deletions
        // (the registry keeps no time for those; a deleted version changes no more).
        found.sort_by_cached_key(|f| {
            let rank = match f.kind {
                ChangeKind::Added => 0,
                ChangeKind::Listed(_) => 1,
                ChangeKind::Deleted => 2,
            };
            (
                rank,
                doc["time"][&f.version].as_str().unwrap_or("").to_owned(),
            )
        });
        for f in found {
            step.changes
                .push(change(ctx, cfg, &name, doc, f.kind, &f.version, f.discriminator).await);
        }
        step.seen.extend(rows);
    }
    step.cursor = Some(format!("{versions} versions of {packages} packages"));
    ctx.commit(step, true, next_poll_at).await
}

/// The packages to fetch: named ones, those a scope's search finds, and those seen before
/// under a glob (so that an unpublished package is noticed although search no longer finds it).
async fn watched_packages(
    ctx: &PollCtx,
    cfg: &NpmConfig,
    seen: &[SeenVersion],
) -> Result<BTreeSet<String>, PollError> {
    let mut names = BTreeSet::new();
    for pattern in &cfg.packages {
        if !pattern.contains(['*', '?']) {
            names.insert(pattern.clone());
            continue;
        }
        // The text before the first wildcard narrows the search (`@acme/`).
        let prefix: String = pattern
            .chars()
            .take_while(|c| *c != '*' && *c != '?')
            .collect();
        let text = prefix.trim_end_matches('/');
        let mut from = 0;
        loop {
            let url = format!(
                "{}/-/v1/search?text={}&size={SEARCH_PAGE}&from={from}",
                cfg.registry,
                url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
            );
            let page = ctx.session.json(&url).await?;
            let objects = page["objects"]
                .as_array()
                .ok_or_else(|| PollError::shape(&url, "no objects list in the search answer"))?;
            for o in objects {
                if let Some(n) = o["package"]["name"]
                    .as_str()
                    .filter(|n| glob::matches(pattern, n))
                {
                    names.insert(n.to_owned());
                }
            }
            from += objects.len();
            if objects.len() < SEARCH_PAGE || from >= MAX_SCOPE_PACKAGES {
                break;
            }
        }
        for s in seen {
            if s.state != VersionState::Gone && glob::matches(pattern, &s.package) {
                names.insert(s.package.clone());
            }
        }
    }
    Ok(names)
}

/// The versions of a package document, each listed unless deprecated.
fn observe(url: &str, doc: &Value) -> Result<Vec<Observed>, PollError> {
    let versions = doc["versions"]
        .as_object()
        .ok_or_else(|| PollError::shape(url, "the package document has no versions object"))?;
    Ok(versions
        .iter()
        .map(|(v, manifest)| Observed {
            version: v.clone(),
            listed: !is_deprecated(manifest),
        })
        .collect())
}

/// npm marks a deprecated version with a non-empty `deprecated` message; "" undeprecates.
fn is_deprecated(manifest: &Value) -> bool {
    match &manifest["deprecated"] {
        Value::String(s) => !s.is_empty(),
        Value::Bool(b) => *b,
        _ => false,
    }
}

async fn change(
    ctx: &PollCtx,
    cfg: &NpmConfig,
    name: &str,
    doc: &Value,
    kind: ChangeKind,
    version: &str,
    discriminator: String,
) -> Change {
    let manifest = &doc["versions"][version];
    let modified = doc["time"]["modified"].as_str().map(str::to_owned);
    let mut c = Change {
        kind,
        package_type: PackageType::Npm,
        package: name.to_owned(),
        version: version.to_owned(),
        details_url: None,
        download_url: None,
        metadata: None,
        username: None,
        when: modified,
        discriminator,
    };
    if kind == ChangeKind::Added {
        let tarball = manifest["dist"]["tarball"].as_str().map(str::to_owned);
        let size = match &tarball {
            Some(t) => ctx.session.size(t).await,
            None => None,
        };
        c.details_url = Some(document_url(&cfg.registry, name) + "/" + version);
        c.download_url = tarball;
        c.metadata = Some(metadata(manifest, size).to_json());
        c.username = manifest["_npmUser"]["name"].as_str().map(str::to_owned);
        c.when = doc["time"][version].as_str().map(str::to_owned).or(c.when);
    }
    c
}

/// A person field: `"Name <mail> (url)"` or `{"name": ...}`.
fn person(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.split(['<', '(']).next().unwrap_or(s).trim().to_owned()),
        Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

fn metadata(m: &Value, size: Option<u64>) -> Metadata {
    let authors = person(&m["author"]).or_else(|| {
        let names: Vec<String> = m["maintainers"]
            .as_array()
            .map(|a| a.iter().filter_map(person).collect())
            .unwrap_or_default();
        (!names.is_empty()).then(|| names.join(", "))
    });
    let repository = match &m["repository"] {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("url").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    let license = match &m["license"] {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    let tags = m["keywords"].as_array().map(|k| {
        k.iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    });
    let dependencies = m["dependencies"]
        .as_object()
        .map(|d| {
            d.iter()
                .map(|(name, range)| Dependency {
                    package: name.clone(),
                    range: range.as_str().unwrap_or("*").to_owned(),
                    target_framework: None,
                })
                .collect()
        })
        .unwrap_or_default();
    Metadata {
        icon_url: None,
        size: size.or_else(|| m["dist"]["unpackedSize"].as_u64()),
        authors,
        description: m["description"].as_str().map(str::to_owned),
        license_url: None,
        license_names: license,
        project_url: m["homepage"].as_str().map(str::to_owned).or(repository),
        tags: tags.filter(|t| !t.is_empty()),
        min_client_version: m["engines"]["npm"].as_str().map(str::to_owned),
        release_notes: None,
        dependencies,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deprecation_and_people_read_as_npm_writes_them() {
        assert!(is_deprecated(&json!({"deprecated": "use v2"})));
        assert!(!is_deprecated(&json!({"deprecated": ""})));
        assert!(!is_deprecated(&json!({})));
        assert_eq!(
            person(&json!("Ann Example <ann@example.com> (https://x)")).as_deref(),
            Some("Ann Example")
        );
        assert_eq!(person(&json!({"name": "Bob"})).as_deref(), Some("Bob"));
        assert_eq!(
            document_url("http://r", "@acme/widgets"),
            "http://r/@acme%2fwidgets"
        );
    }

    #[test]
    fn metadata_comes_from_the_version_manifest() {
        let m = json!({
            "description": "d", "license": "MIT", "homepage": "https://h",
            "keywords": ["a", "b"], "author": {"name": "Ann"},
            "dependencies": {"left-pad": "^1.3.0"}, "dist": {"unpackedSize": 99}
        });
        let j = metadata(&m, None).to_json();
        assert_eq!(j["Authors"], "Ann");
        assert_eq!(j["LicenseNames"], "MIT");
        assert_eq!(j["Tags"], "a b");
        assert_eq!(j["Size"], 99);
        assert_eq!(j["Dependencies"][0]["PackageIdentifier"], "left-pad");
        assert_eq!(j["Dependencies"][0]["PackageVersion"], "^1.3.0");
    }
}
