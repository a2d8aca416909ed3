//! A NuGet feed without a catalog (BaGetter and most private servers): the search resource
//! lists every package with its listed versions, a few requests for thousands of packages;
//! only a package whose versions differ from what was seen has its registration read, which
//! tells added, deleted, unlisted and relisted versions apart.
use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::Resources;
use super::metadata::{from_entry, is_listed, release_notes_of_nuspec};
use super::version::normalize;
use crate::db::sources::{SeenVersion, VersionState, seen_versions_of};
use crate::domain::DomainError;
use crate::domain::source_config::NugetConfig;
use crate::sources::change::{Change, ChangeKind, PackageType};
use crate::sources::fetch::FetchError;
use crate::sources::glob;
use crate::sources::poll::{Observed, PollCtx, PollError, Step, diff};

/// Packages asked of search at once (the protocol's largest `take`).
const TAKE: usize = 1000;
/// Most packages read from one feed: beyond this the feed wants its catalog.
const MAX_PACKAGES: usize = 100_000;
/// Resources::parse already refuses such an index; this keeps the poll from depending on it.
const NO_SEARCH: &str =
    "the service index names no SearchQueryService and RegistrationsBaseUrl to read packages from";

pub async fn poll(
    ctx: &mut PollCtx,
    cfg: &NugetConfig,
    resources: &Resources,
    next_poll_at: i64,
) -> Result<(), PollError> {
    let search = resources
        .search
        .clone()
        .ok_or_else(|| PollError::Shape(NO_SEARCH.into()))?;
    let mut in_search: HashSet<String> = HashSet::new();
    let (mut packages, mut versions) = (0usize, 0usize);
    let mut skip = 0;
    loop {
        let url = format!("{search}?q=&skip={skip}&take={TAKE}&prerelease=true&semVerLevel=2.0.0");
        let page = ctx.session.json(&url).await?;
        let data = page["data"]
            .as_array()
            .ok_or_else(|| PollError::shape(&url, "a search answer has a data list"))?;
        let mut listed: Vec<(String, BTreeSet<String>)> = vec![];
        for p in data {
            let id = p["id"]
                .as_str()
                .ok_or_else(|| PollError::shape(&url, "a search result has an id"))?;
            if !glob::any_matches(&cfg.packages, id) || !in_search.insert(id.to_lowercase()) {
                continue;
            }
            let mut set: BTreeSet<String> = p["versions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v["version"].as_str())
                .map(normalize)
                .collect();
            if set.is_empty()
                && let Some(v) = p["version"].as_str()
            {
                set.insert(normalize(v));
            }
            packages += 1;
            versions += set.len();
            listed.push((id.to_owned(), set));
        }
        let step = search_page_step(ctx, cfg, resources, listed).await?;
        ctx.commit(step, false, next_poll_at).await?;
        skip += data.len();
        let total = page["totalHits"]
            .as_u64()
            .map_or(usize::MAX, |t| t as usize);
        if data.len() < TAKE || skip >= total || skip >= MAX_PACKAGES {
            break;
        }
    }
    // Packages seen listed before that search no longer finds: deleted, or all unlisted.
    let source_id = ctx.source.id;
    let all_seen = ctx
        .db
        .run(move |c| crate::db::sources::seen_versions(c, source_id))
        .await
        .map_err(DomainError::from)?;
    let mut missing: HashMap<String, Vec<SeenVersion>> = HashMap::new();
    for s in all_seen {
        if !in_search.contains(&s.package.to_lowercase()) {
            missing.entry(s.package.to_lowercase()).or_default().push(s);
        }
    }
    let mut step = Step::default();
    for (_, seen) in missing {
        if !seen.iter().any(|s| s.state == VersionState::Listed) {
            continue;
        }
        let id = seen[0].package.clone();
        let (changes, rows) = read_registration(ctx, cfg, resources, &id, &seen).await?;
        step.changes.extend(changes);
        step.seen.extend(rows);
    }
    step.cursor = Some(format!("{versions} listed versions of {packages} packages"));
    ctx.commit(step, true, next_poll_at).await
}

/// One search page: packages whose listed versions are those seen are left alone.
async fn search_page_step(
    ctx: &PollCtx,
    cfg: &NugetConfig,
    resources: &Resources,
    listed: Vec<(String, BTreeSet<String>)>,
) -> Result<Step, PollError> {
    let ids: Vec<String> = listed.iter().map(|(id, _)| id.clone()).collect();
    let source_id = ctx.source.id;
    let seen = ctx
        .db
        .run(move |c| seen_versions_of(c, source_id, &ids))
        .await
        .map_err(DomainError::from)?;
    let mut by_package: HashMap<String, Vec<SeenVersion>> = HashMap::new();
    for s in seen {
        by_package
            .entry(s.package.to_lowercase())
            .or_default()
            .push(s);
    }
    let mut step = Step::default();
    for (id, set) in listed {
        let seen = by_package.remove(&id.to_lowercase()).unwrap_or_default();
        let seen_listed: BTreeSet<String> = seen
            .iter()
            .filter(|s| s.state == VersionState::Listed)
            .map(|s| normalize(&s.version))
            .collect();
        if set == seen_listed {
            continue;
        }
        if ctx.baseline {
            // What search lists is the baseline; unlisted versions are learnt when they change.
            let known: HashSet<String> = seen.iter().map(|s| normalize(&s.version)).collect();
            step.seen.extend(
                set.iter()
                    .filter(|v| !known.contains(*v))
                    .map(|v| SeenVersion {
                        package: id.clone(),
                        version: v.clone(),
                        state: VersionState::Listed,
                        changes: 0,
                    }),
            );
            continue;
        }
        let (changes, rows) = read_registration(ctx, cfg, resources, &id, &seen).await?;
        step.changes.extend(changes);
        step.seen.extend(rows);
    }
    Ok(step)
}

/// Reads a package's registration (every version, listed or not) and diffs it with `seen`.
async fn read_registration(
    ctx: &PollCtx,
    cfg: &NugetConfig,
    resources: &Resources,
    id: &str,
    seen: &[SeenVersion],
) -> Result<(Vec<Change>, Vec<SeenVersion>), PollError> {
    let base = resources
        .registrations
        .as_deref()
        .ok_or_else(|| PollError::Shape(NO_SEARCH.into()))?;
    let url = format!("{base}{}/index.json", id.to_lowercase());
    let entries = match ctx.session.json(&url).await {
        Ok(index) => registration_entries(ctx, &url, &index).await?,
        // The package is gone, every version of it.
        Err(FetchError::Status { status: 404, .. }) => vec![],
        Err(e) => return Err(e.into()),
    };
    let mut by_version: HashMap<String, &Value> = HashMap::new();
    let mut observed = vec![];
    for (leaf, entry) in &entries {
        let Some(version) = entry["version"].as_str() else {
            return Err(PollError::shape(&url, "a registration entry has a version"));
        };
        // Matched with what was seen in its normalized form; the spelling is the feed's.
        let spelled = seen
            .iter()
            .find(|s| normalize(&s.version) == normalize(version))
            .map_or(version, |s| s.version.as_str());
        by_version.insert(normalize(version), leaf);
        by_version.insert(format!("entry:{}", normalize(version)), entry);
        observed.push(Observed {
            version: spelled.to_owned(),
            listed: is_listed(entry),
        });
    }
    let package = entries
        .first()
        .and_then(|(_, e)| e["id"].as_str())
        .unwrap_or(id)
        .to_owned();
    let (found, rows) = diff(&package, &observed, seen, false);
    let mut changes = vec![];
    for f in found {
        let norm = normalize(&f.version);
        let entry = by_version.get(&format!("entry:{norm}")).copied();
        let leaf = by_version.get(&norm).copied();
        let mut kind = f.kind;
        // A version published before the source was, newly visible: a relisting, not news
        // of a package added (its earlier listing was unknown, search hides unlisted ones).
        if kind == ChangeKind::Added
            && !cfg.backfill
            && seen.iter().all(|s| normalize(&s.version) != norm)
            && entry.is_some_and(|e| published_before(e, ctx.source.created_at))
        {
            kind = ChangeKind::Listed(true);
        }
        let mut change = Change {
            kind,
            package_type: PackageType::NuGet,
            package: package.clone(),
            version: entry
                .and_then(|e| e["version"].as_str())
                .unwrap_or(&f.version)
                .to_owned(),
            details_url: None,
            download_url: None,
            metadata: None,
            username: None,
            when: None,
            discriminator: f.discriminator,
        };
        if kind == ChangeKind::Added
            && let Some(entry) = entry
        {
            let content = leaf
                .and_then(|l| l["packageContent"].as_str())
                .or(entry["packageContent"].as_str())
                .map(str::to_owned)
                .or_else(|| resources.download_url(&package, &change.version));
            let size = match (&content, entry["packageSize"].as_u64()) {
                (_, Some(s)) => Some(s),
                (Some(url), None) => ctx.session.size(url).await,
                (None, None) => None,
            };
            change.details_url = resources.details_url(&package, &change.version);
            change.download_url = content;
            let mut metadata = from_entry(entry, size);
            if metadata.release_notes.is_none() {
                metadata.release_notes =
                    release_notes(ctx, resources, &package, &change.version).await;
            }
            change.metadata = Some(metadata.to_json());
            change.when = entry["published"]
                .as_str()
                .filter(|p| !p.starts_with("1900-"))
                .map(str::to_owned);
        }
        changes.push(change);
    }
    Ok((changes, rows))
}

/// A version's release notes from its .nuspec. They are a nicety of the payload: a feed that
/// does not serve the manifest leaves them out, and the poll goes on.
async fn release_notes(
    ctx: &PollCtx,
    resources: &Resources,
    package: &str,
    version: &str,
) -> Option<String> {
    let url = resources.nuspec_url(package, version)?;
    match ctx.session.bytes(&url, "application/xml").await {
        Ok(xml) => release_notes_of_nuspec(&xml),
        Err(e) => {
            tracing::debug!(source = ctx.source.id, error = %e, "no .nuspec for release notes");
            None
        }
    }
}

/// Every (leaf, catalogEntry) of a registration index, fetching the pages it only links.
async fn registration_entries(
    ctx: &PollCtx,
    url: &str,
    index: &Value,
) -> Result<Vec<(Value, Value)>, PollError> {
    let pages = index["items"]
        .as_array()
        .ok_or_else(|| PollError::shape(url, "a registration index has an items list of pages"))?;
    let mut out = vec![];
    for page in pages {
        let fetched;
        let page = match &page["items"] {
            Value::Array(_) => page,
            _ => {
                let page_url = page["@id"]
                    .as_str()
                    .ok_or_else(|| PollError::shape(url, "a registration page has an @id"))?;
                fetched = ctx.session.json(page_url).await?;
                &fetched
            }
        };
        for leaf in page["items"].as_array().into_iter().flatten() {
            let entry = leaf["catalogEntry"].clone();
            if !entry.is_object() {
                return Err(PollError::shape(
                    url,
                    "a registration leaf has a catalogEntry object",
                ));
            }
            out.push((leaf.clone(), entry));
        }
    }
    Ok(out)
}

fn published_before(entry: &Value, source_created_ms: i64) -> bool {
    entry["published"]
        .as_str()
        .and_then(|p| OffsetDateTime::parse(p, &Rfc3339).ok())
        .is_some_and(|p| {
            p.year() > 1900 && p.unix_timestamp_nanos() < i128::from(source_created_ms) * 1_000_000
        })
}
