//! NuGet V3 feeds, starting from the service index: the catalog where the feed has one
//! (nuget.org, Sleet and others), else its search and registration resources diffed against
//! what was seen (BaGetter and most private servers).
mod catalog;
pub mod metadata;
mod registration;
pub mod version;

use serde_json::Value;

use super::fetch::{Auth, Fetched};
use super::poll::{Memory, PollCtx, PollError};
use crate::domain::source_config::NugetConfig;

pub fn auth(cfg: &NugetConfig) -> Auth {
    let mut auth = Auth::none();
    if let Some(key) = &cfg.api_key {
        auth = auth.header("x-nuget-apikey", key.expose());
    }
    if let (Some(user), Some(password)) = (&cfg.username, &cfg.password) {
        auth = auth.basic(user, password.expose());
    }
    auth
}

/// The resources of a service index this source uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub catalog: Option<String>,
    pub registrations: Option<String>,
    pub search: Option<String>,
    pub package_base: Option<String>,
    /// `https://www.nuget.org/packages/{id}/{version}`
    pub details_template: Option<String>,
}

/// Resource types in order of preference (SemVer 2 registrations first: they list every
/// version; the gzip-encoded hives are read like the others).
const REGISTRATIONS: &[&str] = &[
    "RegistrationsBaseUrl/3.6.0",
    "RegistrationsBaseUrl/Versioned",
    "RegistrationsBaseUrl/3.4.0",
    "RegistrationsBaseUrl/3.0.0-rc",
    "RegistrationsBaseUrl/3.0.0-beta",
    "RegistrationsBaseUrl",
];
const SEARCH: &[&str] = &[
    "SearchQueryService/3.5.0",
    "SearchQueryService/3.0.0-rc",
    "SearchQueryService/3.0.0-beta",
    "SearchQueryService",
];

impl Resources {
    pub fn parse(url: &str, index: &Value) -> Result<Resources, PollError> {
        let list = index["resources"]
            .as_array()
            .ok_or_else(|| PollError::shape(url, "a service index has a resources list"))?;
        let find = |types: &[&str]| {
            types.iter().find_map(|t| {
                list.iter().find_map(|r| {
                    let matches = match &r["@type"] {
                        Value::String(s) => s == t,
                        Value::Array(a) => a.iter().any(|x| x.as_str() == Some(t)),
                        _ => false,
                    };
                    matches
                        .then(|| r["@id"].as_str().map(str::to_owned))
                        .flatten()
                })
            })
        };
        let with_slash = |s: String| {
            if s.ends_with('/') { s } else { s + "/" }
        };
        let r = Resources {
            catalog: find(&["Catalog/3.0.0"]),
            registrations: find(REGISTRATIONS).map(with_slash),
            search: find(SEARCH),
            package_base: find(&["PackageBaseAddress/3.0.0"]).map(with_slash),
            details_template: find(&["PackageDetailsUriTemplate/5.1.0"]),
        };
        if r.catalog.is_none() && (r.search.is_none() || r.registrations.is_none()) {
            return Err(PollError::shape(
                url,
                "the feed offers neither a Catalog/3.0.0 resource nor both SearchQueryService and RegistrationsBaseUrl",
            ));
        }
        Ok(r)
    }

    /// The page describing a version: the feed's template, else its registration leaf.
    pub fn details_url(&self, id: &str, version: &str) -> Option<String> {
        match &self.details_template {
            Some(t) => Some(t.replace("{id}", id).replace("{version}", version)),
            None => self.registrations.as_ref().map(|base| {
                format!(
                    "{base}{}/{}.json",
                    id.to_lowercase(),
                    version::normalize(version)
                )
            }),
        }
    }

    /// The .nupkg in the flat container.
    pub fn download_url(&self, id: &str, version: &str) -> Option<String> {
        self.package_base.as_ref().map(|base| {
            let (id, v) = (id.to_lowercase(), version::normalize(version));
            format!("{base}{id}/{v}/{id}.{v}.nupkg")
        })
    }

    /// The package's manifest, which PackageBaseAddress serves beside the .nupkg.
    pub fn nuspec_url(&self, id: &str, version: &str) -> Option<String> {
        self.package_base.as_ref().map(|base| {
            let (id, v) = (id.to_lowercase(), version::normalize(version));
            format!("{base}{id}/{v}/{id}.nuspec")
        })
    }
}

pub async fn poll(
    ctx: &mut PollCtx,
    cfg: &NugetConfig,
    memory: &mut Memory,
    next_poll_at: i64,
) -> Result<(), PollError> {
    let url = cfg.service_index.clone();
    let previous = memory.validators.get(&url).cloned();
    // The parsed resources are kept with the index's validators: a 304 reuses them.
    let resources = match ctx.session.conditional(&url, previous.as_ref()).await? {
        Fetched::Fresh(index, v) => {
            let r = Resources::parse(&url, &index)?;
            memory.validators.insert(url.clone(), v);
            memory.nuget = Some(r.clone());
            r
        }
        Fetched::NotModified => match memory.nuget.clone() {
            Some(r) => r,
            None => Resources::parse(&url, &ctx.session.json(&url).await?)?,
        },
    };
    match &resources.catalog {
        Some(catalog) => {
            catalog::poll(
                ctx,
                cfg,
                &resources,
                catalog,
                &mut memory.validators,
                next_poll_at,
            )
            .await
        }
        None => registration::poll(ctx, cfg, &resources, next_poll_at).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_service_index_names_search_and_registrations() {
        let index: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/nuget/recorded/service-index.json"
        ))
        .unwrap();
        let r = Resources::parse("https://api.nuget.org/v3/index.json", &index).unwrap();
        assert_eq!(r.catalog, None);
        assert_eq!(
            r.search.as_deref(),
            Some("https://api-v2v3search-0.nuget.org/query")
        );
        assert_eq!(
            r.registrations.as_deref(),
            Some("https://api.nuget.org/v3/registration2/")
        );
        assert_eq!(
            r.download_url("NuGet.Versioning", "4.4.0-Beta+meta")
                .as_deref(),
            Some(
                "https://api.nuget.org/v3-flatcontainer/nuget.versioning/4.4.0-beta/nuget.versioning.4.4.0-beta.nupkg"
            )
        );
        assert!(Resources::parse("u", &serde_json::json!({"resources": []})).is_err());
    }
}
