//! A hook's filter: which events of the types it takes it delivers. Pure: read from the hook's
//! JSON, checked against an envelope in the ingest transaction, and able to say which rule
//! turned an event away (the event's page shows it).
//!
//! Package rules apply to the package events (their `PackageIdentifier` and `PackageVersion`),
//! build rules to the build events (`Name`, `Branch`, and `Result` for `build.finished`); an
//! event a rule does not speak of passes it, and a ping always passes, since it is how an owner
//! tries a hook.
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::events::EventType;
use crate::primitives::FieldError;
use crate::sources::glob;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prerelease {
    #[default]
    Include,
    Exclude,
    Only,
}

impl Prerelease {
    pub const ALL: [Prerelease; 3] = [Prerelease::Include, Prerelease::Exclude, Prerelease::Only];

    pub fn as_str(self) -> &'static str {
        match self {
            Prerelease::Include => "include",
            Prerelease::Exclude => "exclude",
            Prerelease::Only => "only",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BuildResult {
    Success,
    Failed,
}

impl BuildResult {
    pub const ALL: [BuildResult; 2] = [BuildResult::Success, BuildResult::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            BuildResult::Success => "success",
            BuildResult::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Every part optional; the default lets everything through.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HookFilter {
    pub packages: Vec<String>,
    pub exclude_packages: Vec<String>,
    pub prerelease: Prerelease,
    pub builds: Vec<String>,
    pub branches: Vec<String>,
    pub results: Vec<BuildResult>,
}

/// Longest glob list, and longest glob: a filter is read on every event.
const MAX_GLOBS: usize = 100;
const MAX_GLOB: usize = 200;

impl HookFilter {
    pub fn passes_everything(&self) -> bool {
        *self == HookFilter::default()
    }

    /// The filter of a hook's JSON (`null` or absent: none), each wrong part named
    /// `filter.<part>`.
    pub fn from_json(v: Option<&Value>) -> Result<HookFilter, Vec<FieldError>> {
        let mut f = HookFilter::default();
        let mut errors = vec![];
        let obj = match v {
            None | Some(Value::Null) => return Ok(f),
            Some(Value::Object(o)) => o,
            Some(_) => return Err(vec![FieldError::new("filter", "must be an object")]),
        };
        for (key, value) in obj {
            let field = format!("filter.{key}");
            match key.as_str() {
                "packages" => f.packages = globs(&field, value, &mut errors),
                "exclude_packages" => f.exclude_packages = globs(&field, value, &mut errors),
                "builds" => f.builds = globs(&field, value, &mut errors),
                "branches" => f.branches = globs(&field, value, &mut errors),
                "prerelease" => match value.as_str().and_then(Prerelease::parse) {
                    Some(p) => f.prerelease = p,
                    None => errors.push(FieldError::new(
                        field,
                        "must be \"include\", \"exclude\" or \"only\"",
                    )),
                },
                "results" => {
                    let list = value.as_array().map(|a| {
                        a.iter()
                            .map(|r| r.as_str().and_then(BuildResult::parse))
                            .collect::<Option<Vec<_>>>()
                    });
                    match list {
                        Some(Some(mut results)) => {
                            results.sort_by_key(|r| r.as_str());
                            results.dedup();
                            f.results = results;
                        }
                        _ => errors.push(FieldError::new(
                            field,
                            "must be a list of \"success\" and \"failed\"",
                        )),
                    }
                }
                _ => errors.push(FieldError::new(
                    field,
                    "is not a part of a filter (packages, exclude_packages, prerelease, builds, branches, results)",
                )),
            }
        }
        if errors.is_empty() {
            Ok(f)
        } else {
            Err(errors)
        }
    }

    /// As the hook's JSON shows it: every part, defaults included.
    pub fn to_json(&self) -> Value {
        json!({
            "packages": self.packages, "exclude_packages": self.exclude_packages,
            "prerelease": self.prerelease.as_str(), "builds": self.builds,
            "branches": self.branches,
            "results": self.results.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        })
    }

    /// `Ok` when the event goes to the hook, else the rule that turned it away, in words.
    pub fn check(&self, event: EventType, payload: &Value) -> Result<(), String> {
        let text = |k: &str| payload[k].as_str().unwrap_or("");
        match event {
            EventType::Ping => Ok(()),
            EventType::BuildQueued | EventType::BuildStarted | EventType::BuildFinished => {
                let name = text("Name");
                if !glob::any_matches(&self.builds, name) {
                    return Err(format!(
                        "build {name:?} matches none of builds {}",
                        list(&self.builds)
                    ));
                }
                let branch = text("Branch");
                if !glob::any_matches(&self.branches, branch) {
                    return Err(format!(
                        "branch {branch:?} matches none of branches {}",
                        list(&self.branches)
                    ));
                }
                if event == EventType::BuildFinished && !self.results.is_empty() {
                    let result = text("Result");
                    if !self
                        .results
                        .iter()
                        .any(|r| r.as_str().eq_ignore_ascii_case(result))
                    {
                        let wanted: Vec<&str> = self.results.iter().map(|r| r.as_str()).collect();
                        return Err(format!(
                            "result {result:?} is not one of results {wanted:?}"
                        ));
                    }
                }
                Ok(())
            }
            _ => {
                let id = text("PackageIdentifier");
                if !glob::any_matches(&self.packages, id) {
                    return Err(format!(
                        "package {id:?} matches none of packages {}",
                        list(&self.packages)
                    ));
                }
                if let Some(p) = self.exclude_packages.iter().find(|p| glob::matches(p, id)) {
                    return Err(format!("package {id:?} matches exclude_packages {p:?}"));
                }
                let version = text("PackageVersion");
                match (self.prerelease, is_prerelease(version)) {
                    (Prerelease::Exclude, true) => Err(format!(
                        "version {version:?} is a prerelease (prerelease: exclude)"
                    )),
                    (Prerelease::Only, false) => Err(format!(
                        "version {version:?} is not a prerelease (prerelease: only)"
                    )),
                    _ => Ok(()),
                }
            }
        }
    }
}

/// The [`crate::db::events::Judge`] of ingest: a hook's stored filter against an event. A stored
/// filter was checked when it was saved; one that no longer reads lets events through, since
/// an event withheld by a broken filter would be lost to that hook without a word.
pub fn judge(filter: &str, event_type: &str, payload: &Value) -> Result<(), String> {
    // Ingest judges every event with the same few filters: each is parsed once per thread (the
    // event writer's), not once per event. Bounded: a server with more filters than this
    // parses again after a clear.
    const CACHED: usize = 4096;
    thread_local! {
        static PARSED: std::cell::RefCell<std::collections::HashMap<String, Option<std::rc::Rc<HookFilter>>>> =
            Default::default();
    }
    let parsed = PARSED.with_borrow_mut(|cache| {
        if let Some(f) = cache.get(filter) {
            return f.clone();
        }
        if cache.len() >= CACHED {
            cache.clear();
        }
        let f = serde_json::from_str::<HookFilter>(filter)
            .ok()
            .map(std::rc::Rc::new);
        cache.insert(filter.to_owned(), f.clone());
        f
    });
    let (Some(filter), Some(event)) = (parsed, EventType::from_name(event_type)) else {
        tracing::warn!(
            filter,
            event_type,
            "a stored hook filter does not read; letting the event through"
        );
        return Ok(());
    };
    filter.check(event, payload)
}

/// SemVer 2 and NuGet agree: a version is a prerelease when a `-` label follows its numbers,
/// before any `+` build metadata (`1.0.0-beta.1`, `2.0.0-rc+build.5`; not `1.0.0+build-5`).
pub fn is_prerelease(version: &str) -> bool {
    let core = version.split('+').next().unwrap_or("");
    core.contains('-')
}

fn globs(field: &str, value: &Value, errors: &mut Vec<FieldError>) -> Vec<String> {
    let Some(items) = value.as_array() else {
        errors.push(FieldError::new(field, "must be a list of globs"));
        return vec![];
    };
    if items.len() > MAX_GLOBS {
        errors.push(FieldError::new(field, format!("at most {MAX_GLOBS} globs")));
        return vec![];
    }
    let mut out = vec![];
    for item in items {
        match item.as_str().map(str::trim) {
            Some(g) if !g.is_empty() && g.len() <= MAX_GLOB => out.push(g.to_owned()),
            Some("") => {}
            _ => {
                errors.push(FieldError::new(
                    field,
                    format!("each glob is text of 1 to {MAX_GLOB} characters"),
                ));
                return vec![];
            }
        }
    }
    out
}

fn list(globs: &[String]) -> String {
    format!("[{}]", globs.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventType::*;

    fn filter(v: Value) -> HookFilter {
        HookFilter::from_json(Some(&v)).unwrap()
    }

    fn package(id: &str, version: &str) -> Value {
        json!({"PackageIdentifier": id, "PackageVersion": version})
    }

    fn build(name: &str, branch: &str, result: &str) -> Value {
        json!({"Name": name, "Branch": branch, "Result": result})
    }

    #[test]
    fn prerelease_follows_semver_2_and_nuget() {
        for (v, pre) in [
            ("1.0.0", false),
            ("1.0.0-beta", true),
            ("1.0.0-CI00002", true),
            ("2.0.0-RC.1+build.5", true),
            ("1.0.0+build-5", false),
            ("1.0.0.4", false),
            ("1.0.0-alpha.1", true),
            ("0.0.0-20260101", true),
        ] {
            assert_eq!(is_prerelease(v), pre, "{v}");
        }
    }

    #[test]
    fn the_table_of_rules() {
        let stable_mycompany =
            filter(json!({"packages": ["MyCompany.*"], "prerelease": "exclude"}));
        let only_pre = filter(json!({"prerelease": "only", "exclude_packages": ["*.Tests"]}));
        let failed_main =
            filter(json!({"branches": ["main"], "results": ["failed"], "builds": ["ci-*"]}));
        #[rustfmt::skip]
        let table: Vec<(&HookFilter, EventType, Value, bool)> = vec![
            (&stable_mycompany, PackageAdded, package("MyCompany.Core", "1.2.0"), true),
            (&stable_mycompany, PackageAdded, package("mycompany.core", "1.2.0"), true),
            (&stable_mycompany, PackageAdded, package("MyCompany.Core", "1.2.0-beta"), false),
            (&stable_mycompany, PackageDeleted, package("Other.Core", "1.2.0"), false),
            (&stable_mycompany, PackageListed, package("MyCompany.Web", "2.0.0+build.1"), true),
            (&stable_mycompany, PackagePushed, package("@mycompany/web", "2.0.0"), false),
            (&stable_mycompany, BuildFinished, build("x", "y", "failed"), true),
            (&stable_mycompany, Ping, json!({}), true),
            (&only_pre, PackageAdded, package("left-pad", "1.3.0"), false),
            (&only_pre, PackageAdded, package("left-pad", "1.3.0-next.0"), true),
            (&only_pre, PackageAdded, package("Foo.tests", "1.3.0-next.0"), false),
            (&failed_main, BuildFinished, build("ci-nightly", "main", "failed"), true),
            (&failed_main, BuildFinished, build("CI-Nightly", "main", "FAILED"), true),
            (&failed_main, BuildFinished, build("ci-nightly", "main", "success"), false),
            (&failed_main, BuildFinished, build("ci-nightly", "dev", "failed"), false),
            (&failed_main, BuildFinished, build("release", "main", "failed"), false),
            (&failed_main, BuildStarted, build("ci-nightly", "main", ""), true),
            (&failed_main, BuildQueued, build("ci-nightly", "feature/x", ""), false),
            (&failed_main, PackageAdded, package("Anything", "1.0.0-pre"), true),
        ];
        for (f, event, payload, pass) in table {
            let got = f.check(event, &payload);
            assert_eq!(got.is_ok(), pass, "{f:?} {event:?} {payload}: {got:?}");
        }
    }

    #[test]
    fn a_rejection_names_its_rule() {
        let f = filter(
            json!({"packages": ["MyCompany.*"], "exclude_packages": ["*.Internal"], "prerelease": "exclude"}),
        );
        let why = |id, v| f.check(PackageAdded, &package(id, v)).unwrap_err();
        assert_eq!(
            why("Other", "1.0.0"),
            r#"package "Other" matches none of packages [MyCompany.*]"#
        );
        assert_eq!(
            why("MyCompany.Internal", "1.0.0"),
            r#"package "MyCompany.Internal" matches exclude_packages "*.Internal""#
        );
        assert_eq!(
            why("MyCompany.Core", "1.0.0-rc.1"),
            r#"version "1.0.0-rc.1" is a prerelease (prerelease: exclude)"#
        );
    }

    #[test]
    fn bad_filters_name_the_part() {
        let err = |v: Value| {
            HookFilter::from_json(Some(&v))
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            err(json!({"prerelease": "sometimes"})),
            ["filter.prerelease"]
        );
        assert_eq!(err(json!({"results": ["green"]})), ["filter.results"]);
        assert_eq!(err(json!({"packages": "MyCompany.*"})), ["filter.packages"]);
        assert_eq!(err(json!({"packages": [1]})), ["filter.packages"]);
        assert_eq!(err(json!({"colour": []})), ["filter.colour"]);
        assert_eq!(err(json!([])), ["filter"]);
        assert!(HookFilter::from_json(None).unwrap().passes_everything());
        assert!(
            HookFilter::from_json(Some(&Value::Null))
                .unwrap()
                .passes_everything()
        );
        let f = filter(json!({"packages": [" A.* ", ""], "results": ["failed", "failed"]}));
        assert_eq!(f.packages, ["A.*"]);
        assert_eq!(f.results, [BuildResult::Failed]);
        assert_eq!(filter(f.to_json()), f, "its JSON reads back as itself");
    }
}
