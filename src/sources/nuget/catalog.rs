//! Following a NuGet catalog from the cursor (a commit timestamp): PackageDetails items give
//! `package.added`, or `package.listed` when only the listing changed; PackageDelete items give
//! `package.deleted`. Each catalog page is committed with its events, so a long catch-up keeps
//! its progress, and the cursor is never ahead of what it produced.
use std::collections::HashMap;

use futures_util::{StreamExt, stream};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::Resources;
use super::metadata::{from_entry, is_listed};
use super::version::normalize;
use crate::db::sources::{SeenVersion, VersionState, seen_versions_of};
use crate::domain::DomainError;
use crate::domain::source_config::NugetConfig;
use crate::sources::change::{Change, ChangeKind, PackageType};
use crate::sources::fetch::{FetchError, Fetched, PER_SOURCE_REQUESTS, Validators};
use crate::sources::glob;
use crate::sources::poll::{PollCtx, PollError, Step};

/// A catalog timestamp as nanoseconds since the epoch: the texts have from 0 to 7 fractional
/// digits, so they do not compare as strings.
fn instant(url: &str, text: &str) -> Result<i128, PollError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp_nanos)
        .map_err(|e| PollError::shape(url, format!("{text:?} is not a commit timestamp ({e})")))
}

#[derive(Debug)]
struct Item {
    at: i128,
    at_text: String,
    delete: bool,
    id: String,
    version: String,
    leaf: String,
}

fn items_of(
    url: &str,
    page: &Value,
    after: Option<i128>,
    cfg: &NugetConfig,
) -> Result<Vec<Item>, PollError> {
    let list = page["items"]
        .as_array()
        .ok_or_else(|| PollError::shape(url, "a catalog page has an items list"))?;
    let mut items = vec![];
    for i in list {
        let text = |k: &str| i[k].as_str().map(str::to_owned);
        let (Some(at_text), Some(kind), Some(id), Some(version)) = (
            text("commitTimeStamp"),
            text("@type"),
            text("nuget:id"),
            text("nuget:version"),
        ) else {
            return Err(PollError::shape(
                url,
                "a catalog item has @type, commitTimeStamp, nuget:id and nuget:version",
            ));
        };
        let at = instant(url, &at_text)?;
        if after.is_some_and(|a| at <= a) || !glob::any_matches(&cfg.packages, &id) {
            continue;
        }
        items.push(Item {
            at,
            at_text,
            delete: kind.ends_with("PackageDelete"),
            id,
            version,
            leaf: text("@id").unwrap_or_default(),
        });
    }
    // Pages list their items in no particular order.
    items.sort_by_key(|i| i.at);
    Ok(items)
}

pub async fn poll(
    ctx: &mut PollCtx,
    cfg: &NugetConfig,
    resources: &Resources,
    catalog: &str,
    validators: &mut HashMap<String, Validators>,
    next_poll_at: i64,
) -> Result<(), PollError> {
    let cursor = ctx.source.state.cursor.clone();
    let after = cursor.as_deref().map(|c| instant(catalog, c)).transpose()?;
    let previous = validators
        .get(catalog)
        .cloned()
        .filter(|_| cursor.is_some());
    let (index, index_validators) =
        match ctx.session.conditional(catalog, previous.as_ref()).await? {
            Fetched::NotModified => {
                let step = Step {
                    cursor,
                    ..Step::default()
                };
                return ctx.commit(step, true, next_poll_at).await;
            }
            Fetched::Fresh(v, val) => (v, val),
        };
    let latest = index["commitTimeStamp"]
        .as_str()
        .ok_or_else(|| PollError::shape(catalog, "the catalog index has a commitTimeStamp"))?
        .to_owned();
    if ctx.baseline {
        // Where the catalog stands now is the baseline: what comes after it is news.
        let step = Step {
            cursor: Some(latest),
            ..Step::default()
        };
        ctx.commit(step, true, next_poll_at).await?;
        validators.insert(catalog.to_owned(), index_validators);
        return Ok(());
    }
    let mut pages = vec![];
    for p in index["items"].as_array().into_iter().flatten() {
        let (Some(url), Some(at)) = (p["@id"].as_str(), p["commitTimeStamp"].as_str()) else {
            return Err(PollError::shape(
                catalog,
                "a catalog page entry has @id and commitTimeStamp",
            ));
        };
        let at = instant(catalog, at)?;
        if after.is_none_or(|a| at > a) {
            pages.push((at, url.to_owned()));
        }
    }
    pages.sort();
    let mut cursor = cursor;
    let count = pages.len();
    for (n, (_, url)) in pages.into_iter().enumerate() {
        let page = ctx.session.json(&url).await?;
        let page_at = page["commitTimeStamp"]
            .as_str()
            .ok_or_else(|| PollError::shape(&url, "a catalog page has a commitTimeStamp"))?
            .to_owned();
        let items = items_of(&url, &page, after, cfg)?;
        let step = page_step(ctx, resources, cfg, items).await?;
        cursor = Some(page_at);
        ctx.commit(
            Step {
                cursor: cursor.clone(),
                ..step
            },
            n + 1 == count,
            next_poll_at,
        )
        .await?;
    }
    if count == 0 {
        ctx.commit(
            Step {
                cursor,
                ..Step::default()
            },
            true,
            next_poll_at,
        )
        .await?;
    }
    validators.insert(catalog.to_owned(), index_validators);
    Ok(())
}

/// The changes of one page's items, judged against what was seen of their packages.
async fn page_step(
    ctx: &PollCtx,
    resources: &Resources,
    cfg: &NugetConfig,
    items: Vec<Item>,
) -> Result<Step, PollError> {
    let leaves = fetch_leaves(ctx, &items).await;
    let mut ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
    ids.sort();
    ids.dedup();
    let source_id = ctx.source.id;
    let seen = ctx
        .db
        .run(move |c| seen_versions_of(c, source_id, &ids))
        .await
        .map_err(DomainError::from)?;
    let key = |id: &str, v: &str| (id.to_lowercase(), normalize(v));
    let mut state: HashMap<(String, String), SeenVersion> = seen
        .into_iter()
        .map(|s| (key(&s.package, &s.version), s))
        .collect();
    let mut changed: HashMap<(String, String), SeenVersion> = HashMap::new();
    let mut changes = vec![];
    for (item, leaf) in items.into_iter().zip(leaves) {
        let k = key(&item.id, &item.version);
        let prior = state.get(&k).cloned();
        let changes_so_far = prior.as_ref().map_or(-1, |p| p.changes);
        let (kind, new_state, entry) = match leaf {
            None => {
                if prior
                    .as_ref()
                    .is_some_and(|p| p.state == VersionState::Gone)
                {
                    continue;
                }
                (Some(ChangeKind::Deleted), VersionState::Gone, None)
            }
            Some(leaf) => {
                let leaf = leaf?;
                let listed = is_listed(&leaf);
                let new_state = if listed {
                    VersionState::Listed
                } else {
                    VersionState::Unlisted
                };
                let kind = match &prior {
                    Some(p) if p.state == VersionState::Gone => Some(ChangeKind::Added),
                    Some(p) if p.state != new_state => Some(ChangeKind::Listed(listed)),
                    // Seen as it is: an edit of the metadata, which no event describes.
                    Some(_) => None,
                    // A version created before the source was: this is an edit of it. Only a
                    // change of listing is news; its earlier listing is unknown, so an unlisted
                    // edit is taken as an unlisting.
                    None if !cfg.backfill && created_before(&leaf, ctx.source.created_at) => {
                        (!listed).then_some(ChangeKind::Listed(false))
                    }
                    None => Some(ChangeKind::Added),
                };
                (kind, new_state, Some(leaf))
            }
        };
        let row = SeenVersion {
            package: item.id.clone(),
            version: item.version.clone(),
            state: new_state,
            changes: changes_so_far + 1,
        };
        state.insert(k.clone(), row.clone());
        changed.insert(k, row);
        if let Some(kind) = kind {
            changes.push(change_of(kind, &item, entry.as_ref(), resources));
        }
    }
    Ok(Step {
        changes,
        seen: changed.into_values().collect(),
        cursor: None,
    })
}

/// The catalog leaves of a page's items, a few at a time; a delete item has none.
async fn fetch_leaves(ctx: &PollCtx, items: &[Item]) -> Vec<Option<Result<Value, FetchError>>> {
    // Owned futures (no closure over borrowed items): the poll runs in a spawned task.
    let fetches: Vec<_> = items
        .iter()
        .map(|i| {
            let session = ctx.session.clone();
            let (delete, url) = (i.delete, i.leaf.clone());
            async move {
                if delete {
                    None
                } else {
                    Some(session.json(&url).await)
                }
            }
        })
        .collect();
    stream::iter(fetches)
        .buffered(PER_SOURCE_REQUESTS)
        .collect()
        .await
}

/// The change an item made, spelled as the leaf spells it; an added version carries its
/// metadata and links.
fn change_of(kind: ChangeKind, item: &Item, leaf: Option<&Value>, resources: &Resources) -> Change {
    let text = |k: &str, or: &str| leaf.and_then(|l| l[k].as_str()).unwrap_or(or).to_owned();
    let mut change = Change {
        kind,
        package_type: PackageType::NuGet,
        package: text("id", &item.id),
        version: text("version", &item.version),
        details_url: None,
        download_url: None,
        metadata: None,
        username: None,
        when: Some(item.at_text.clone()),
        discriminator: item.at_text.clone(),
    };
    // Only a version read from its leaf is added, so an added change always has one.
    if let (ChangeKind::Added, Some(entry)) = (kind, leaf) {
        change.details_url = resources.details_url(&change.package, &change.version);
        change.download_url = resources.download_url(&change.package, &change.version);
        change.metadata = Some(from_entry(entry, None).to_json());
    }
    change
}

fn created_before(leaf: &Value, source_created_ms: i64) -> bool {
    leaf["created"]
        .as_str()
        .and_then(|c| OffsetDateTime::parse(c, &Rfc3339).ok())
        .is_some_and(|c| c.unix_timestamp_nanos() < i128::from(source_created_ms) * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(packages: &[&str]) -> NugetConfig {
        NugetConfig {
            service_index: "https://feed/v3/index.json".into(),
            api_key: None,
            username: None,
            password: None,
            packages: packages.iter().map(|s| s.to_string()).collect(),
            interval: std::time::Duration::from_secs(60),
            backfill: false,
        }
    }

    #[test]
    fn a_recorded_catalog_page_reads_in_commit_order_after_the_cursor() {
        let page: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/nuget/recorded/catalog-page.json"
        ))
        .unwrap();
        let all = items_of("p", &page, None, &cfg(&[])).unwrap();
        let order: Vec<&str> = all.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(order[3..], ["Util.Biz", "Util.Biz.Payments"]);
        assert!(all.windows(2).all(|w| w[0].at <= w[1].at));
        // 23:28:02.788239 (6 digits) is after 22:31:22.5169519 (7 digits).
        let after = instant("p", "2017-10-31T22:31:22.5169519Z").unwrap();
        let later = items_of("p", &page, Some(after), &cfg(&[])).unwrap();
        assert_eq!(later.len(), 2);
        let only = items_of("p", &page, None, &cfg(&["sourcecode.clay.*"])).unwrap();
        assert_eq!(only.len(), 2, "globs ignore case: {only:?}");
    }
}
