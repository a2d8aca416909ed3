//! What every polling kind shares: the error of a poll, the step it commits (events, what was
//! seen, the cursor: in one transaction), and the diff of a package's versions against what
//! the source saw last.
use std::collections::HashMap;

use crate::domain::wake::Wake;

use super::change::{Change, ChangeKind};
use super::fetch::{FetchError, Session, Validators};
use crate::db::Db;
use crate::db::events::Stored;
use crate::db::feeds::FeedRow;
use crate::db::sources::{PollCommit, SeenVersion, VersionState, commit_poll};
use crate::domain::DomainError;
use crate::domain::hook_filter;
use crate::domain::ingest::{Origin, prepare_envelope};
use crate::domain::sources::Source;
use crate::domain::time::now_ms;

/// What a source's polls remember between polls, in memory only: documents' validators for
/// conditional requests, and what they stood for. Held while the source is polled, so polls
/// of one source never overlap.
#[derive(Default)]
pub struct Memory {
    pub validators: HashMap<String, Validators>,
    /// The resources of a NuGet service index, valid while it answers 304.
    pub nuget: Option<super::nuget::Resources>,
}

/// Why a poll made no (further) progress; the text is the source's last error.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The upstream answered JSON, but not of the protocol's shape.
    #[error("{0}")]
    Shape(String),
    #[error("storing the events failed: {0}")]
    Store(#[from] DomainError),
    #[error("the source was deleted during the poll")]
    Deleted,
}

impl PollError {
    pub fn shape(url: &str, what: impl std::fmt::Display) -> Self {
        PollError::Shape(format!("{url} is not what the protocol describes: {what}"))
    }
}

/// One step of a poll, committed at once.
#[derive(Default)]
pub struct Step {
    pub changes: Vec<Change>,
    pub seen: Vec<SeenVersion>,
    pub cursor: Option<String>,
}

/// Everything a kind needs during one poll.
pub struct PollCtx {
    pub source: Source,
    pub feed: FeedRow,
    pub feed_url: String,
    pub session: Session,
    pub db: Db,
    pub wake: Wake,
    /// The first poll of a source created without `backfill`: record what is there, emit nothing.
    pub baseline: bool,
    /// Events created so far by this poll.
    pub events: usize,
}

impl PollCtx {
    /// Commits a step: its events through the ingest path, what was seen, and the cursor.
    /// `finished` marks the last step (the source's poll state is updated with it).
    pub async fn commit(
        &mut self,
        step: Step,
        finished: bool,
        next_poll_at: i64,
    ) -> Result<(), PollError> {
        let origin = Origin {
            feed: &self.feed,
            feed_url: &self.feed_url,
            username: &self.source.name,
            source_id: Some(self.source.id),
        };
        let mut events = Vec::with_capacity(step.changes.len());
        for change in &step.changes {
            events.push(prepare_envelope(change.envelope(self.source.id), &origin)?);
        }
        let commit = PollCommit {
            events,
            seen: step.seen,
            cursor: step.cursor,
            now: now_ms(),
            next_poll_at,
            finished,
        };
        let id = self.source.id;
        let stored = self
            .db
            .write_accepted(move |c| commit_poll(c, id, &commit, hook_filter::judge))
            .await
            .map_err(DomainError::from)?
            .ok_or(PollError::Deleted)?;
        // A duplicate (or, with a different `When`, a conflict) is an event made before a
        // crash or by an earlier poll: it was delivered then, and is not made again.
        let mut woke = false;
        for s in stored {
            if let Stored::Created { deliveries, .. } = s {
                self.events += 1;
                if deliveries > 0 && !woke {
                    self.wake.ring();
                    woke = true;
                }
            }
        }
        Ok(())
    }
}

/// A version as the upstream shows it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub version: String,
    pub listed: bool,
}

/// One change found by [`diff`]: what happened to which version, and its discriminator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: ChangeKind,
    pub version: String,
    pub discriminator: String,
}

/// Compares the versions of one package as observed now with what was seen (matched without
/// regard to case, as NuGet versions are). Returns the changes and the new rows to store.
/// On a baseline nothing is reported, only recorded.
pub fn diff(
    package: &str,
    observed: &[Observed],
    seen: &[SeenVersion],
    baseline: bool,
) -> (Vec<Found>, Vec<SeenVersion>) {
    let before: HashMap<String, &SeenVersion> =
        seen.iter().map(|s| (s.version.to_lowercase(), s)).collect();
    let mut found = vec![];
    let mut rows = vec![];
    let mut now_present = std::collections::HashSet::new();
    let mut record = |kind: Option<ChangeKind>, version: &str, state, changes: i64| {
        if let Some(kind) = kind.filter(|_| !baseline) {
            found.push(Found {
                kind,
                version: version.to_owned(),
                discriminator: changes.to_string(),
            });
        }
        rows.push(SeenVersion {
            package: package.to_owned(),
            version: version.to_owned(),
            state,
            changes,
        });
    };
    for o in observed {
        now_present.insert(o.version.to_lowercase());
        let state = if o.listed {
            VersionState::Listed
        } else {
            VersionState::Unlisted
        };
        match before.get(&o.version.to_lowercase()) {
            None => record(Some(ChangeKind::Added), &o.version, state, 0),
            Some(s) if s.state == VersionState::Gone => {
                record(Some(ChangeKind::Added), &o.version, state, s.changes + 1)
            }
            Some(s) if s.state != state => record(
                Some(ChangeKind::Listed(o.listed)),
                &o.version,
                state,
                s.changes + 1,
            ),
            Some(_) => {}
        }
    }
    for s in seen {
        if s.state != VersionState::Gone && !now_present.contains(&s.version.to_lowercase()) {
            record(
                Some(ChangeKind::Deleted),
                &s.version,
                VersionState::Gone,
                s.changes + 1,
            );
        }
    }
    (found, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(version: &str, state: VersionState, changes: i64) -> SeenVersion {
        SeenVersion {
            package: "P".into(),
            version: version.into(),
            state,
            changes,
        }
    }

    fn obs(version: &str, listed: bool) -> Observed {
        Observed {
            version: version.into(),
            listed,
        }
    }

    #[test]
    fn diff_finds_each_kind_of_change_once() {
        let before = vec![
            seen("1.0.0", VersionState::Listed, 0),
            seen("1.1.0", VersionState::Listed, 2),
            seen("2.0.0-Beta", VersionState::Unlisted, 1),
            seen("0.9.0", VersionState::Gone, 1),
        ];
        let now = vec![
            obs("1.0.0", true),
            obs("2.0.0-beta", true),
            obs("3.0.0", true),
            obs("0.9.0", false),
        ];
        let (found, rows) = diff("P", &now, &before, false);
        let kinds: Vec<(ChangeKind, &str, &str)> = found
            .iter()
            .map(|f| (f.kind, f.version.as_str(), f.discriminator.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (ChangeKind::Listed(true), "2.0.0-beta", "2"),
                (ChangeKind::Added, "3.0.0", "0"),
                (ChangeKind::Added, "0.9.0", "2"),
                (ChangeKind::Deleted, "1.1.0", "3"),
            ]
        );
        assert_eq!(rows.len(), 4);
        // Nothing changed: nothing found, nothing to write.
        let (found, rows) = diff(
            "P",
            &[obs("1.0.0", true)],
            &[seen("1.0.0", VersionState::Listed, 0)],
            false,
        );
        assert!(found.is_empty() && rows.is_empty());
    }

    #[test]
    fn a_baseline_records_without_reporting() {
        let (found, rows) = diff("P", &[obs("1.0.0", true), obs("2.0.0", false)], &[], true);
        assert!(found.is_empty());
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].state, VersionState::Unlisted);
    }
}
