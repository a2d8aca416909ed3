//! The hook form's filter fieldset: globs one per line, the prerelease choice and the build
//! results, from a stored filter or from what was posted (`filter.*` fields), into the JSON
//! the domain reads.
use serde_json::{Value, json};

use crate::domain::hook_filter::{BuildResult, HookFilter, Prerelease};
use crate::primitives::FieldError;

pub struct ChoiceView {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// One glob list of the fieldset.
pub struct GlobsView {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub value: String,
    pub error: Option<String>,
}

pub struct FilterForm {
    pub globs: Vec<GlobsView>,
    pub prerelease: Vec<ChoiceView>,
    pub results: Vec<ChoiceView>,
    /// Errors of the prerelease and results parts, and of the filter as a whole.
    pub error: Option<String>,
    /// Whether any rule is set: the fieldset opens when one is.
    pub active: bool,
}

/// The glob lists: (name, label, help).
const GLOBS: [(&str, &str, &str); 4] = [
    (
        "packages",
        "Packages",
        "Package identifiers to deliver, one glob per line (MyCompany.*); blank for every package. Case does not matter.",
    ),
    (
        "exclude_packages",
        "Except packages",
        "Package identifiers never to deliver, one glob per line (*.Tests).",
    ),
    (
        "builds",
        "Builds",
        "Build names to deliver, one glob per line; blank for every build.",
    ),
    (
        "branches",
        "Branches",
        "Branches of builds to deliver, one glob per line (main, release/*).",
    ),
];

fn prerelease_label(p: Prerelease) -> &'static str {
    match p {
        Prerelease::Include => "stable versions and prereleases",
        Prerelease::Exclude => "stable versions only",
        Prerelease::Only => "prereleases only (a version with a - label: 1.0.0-beta)",
    }
}

fn globs_of<'a>(f: &'a HookFilter, name: &str) -> &'a [String] {
    match name {
        "packages" => &f.packages,
        "exclude_packages" => &f.exclude_packages,
        "builds" => &f.builds,
        _ => &f.branches,
    }
}

impl FilterForm {
    pub fn new(f: &HookFilter) -> Self {
        FilterForm {
            globs: GLOBS
                .iter()
                .map(|&(name, label, help)| GlobsView {
                    name,
                    label,
                    help,
                    value: globs_of(f, name).join("\n"),
                    error: None,
                })
                .collect(),
            prerelease: Prerelease::ALL
                .iter()
                .map(|&p| ChoiceView {
                    value: p.as_str(),
                    label: prerelease_label(p),
                    checked: p == f.prerelease,
                })
                .collect(),
            results: BuildResult::ALL
                .iter()
                .map(|&r| ChoiceView {
                    value: r.as_str(),
                    label: r.as_str(),
                    checked: f.results.contains(&r),
                })
                .collect(),
            error: None,
            active: !f.passes_everything(),
        }
    }

    /// The fieldset as posted, and the filter's JSON for the domain.
    pub fn posted(pairs: &[(String, String)]) -> (Self, Value) {
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let lines = |name: &str| -> Vec<String> {
            get(&format!("filter.{name}"))
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let prerelease = get("filter.prerelease").unwrap_or("include");
        let results: Vec<&str> = pairs
            .iter()
            .filter(|(n, _)| n == "filter.results")
            .map(|(_, v)| v.as_str())
            .collect();
        let mut json = json!({"prerelease": prerelease, "results": results});
        for (name, ..) in GLOBS {
            json[name] = json!(lines(name));
        }
        let mut form = FilterForm::new(&HookFilter::default());
        for g in &mut form.globs {
            g.value = lines(g.name).join("\n");
        }
        for p in &mut form.prerelease {
            p.checked = p.value == prerelease;
        }
        for r in &mut form.results {
            r.checked = results.contains(&r.value);
        }
        form.active = HookFilter::from_json(Some(&json)).map_or(true, |f| !f.passes_everything());
        (form, json)
    }

    /// Puts a `filter.*` error beside its part; false when the error is not the filter's.
    pub fn take_error(&mut self, e: &FieldError) -> bool {
        let Some(part) = e
            .field
            .strip_prefix("filter.")
            .or((e.field == "filter").then_some(""))
        else {
            return false;
        };
        let slot = match self.globs.iter_mut().find(|g| g.name == part) {
            Some(g) => &mut g.error,
            None => &mut self.error,
        };
        *slot = Some(match slot.take() {
            Some(prev) => format!("{prev}; {}", e.message),
            None => e.message.clone(),
        });
        self.active = true;
        true
    }
}
