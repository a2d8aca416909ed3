//! A NuGet V3 feed on 127.0.0.1 for the tests, in two shapes: with a catalog (as nuget.org and
//! Sleet serve) and without one (registration + search only, as BaGetter serves). Its documents
//! keep the field names and shapes of the recorded responses in tests/fixtures/nuget/recorded.
//! The feed can be told to fail: answer 500, hang, truncate or answer garbage.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

#[derive(Clone, Debug)]
pub struct Version {
    /// As the package spells it, SemVer 2 build metadata included.
    pub version: String,
    pub listed: bool,
    pub deleted: bool,
    pub published: String,
}

#[derive(Clone, Debug)]
pub struct Package {
    pub id: String,
    pub versions: Vec<Version>,
}

#[derive(Clone, Debug)]
struct CatalogItem {
    at: String,
    delete: bool,
    id: String,
    version: String,
    listed: bool,
    published: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    Status500,
    Hang,
    Truncate,
    Garbage,
}

struct State {
    catalog: bool,
    packages: Vec<Package>,
    items: Vec<CatalogItem>,
    clock: u32,
    fault: Fault,
    /// Only requests whose path contains this fail (all when empty).
    fault_path: String,
    /// Registration pages hold this many versions; more than that and the index links pages.
    page_size: usize,
    /// Catalog pages hold this many items.
    catalog_page: usize,
    pub requests: u64,
}

#[derive(Clone)]
pub struct NugetFeed {
    pub url: String,
    state: Arc<Mutex<State>>,
}

fn lower_norm(v: &str) -> String {
    feedhooks::sources::nuget::version::normalize(v)
}

impl NugetFeed {
    pub async fn start(catalog: bool) -> NugetFeed {
        let state = Arc::new(Mutex::new(State {
            catalog,
            packages: vec![],
            items: vec![],
            clock: 0,
            fault: Fault::None,
            fault_path: String::new(),
            page_size: 64,
            catalog_page: 3,
            requests: 0,
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}");
        let feed = NugetFeed {
            url: url.clone(),
            state,
        };
        let served = feed.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(served.clone()))
                .default_service(web::to(serve))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        feed
    }

    pub fn service_index(&self) -> String {
        format!("{}/v3/index.json", self.url)
    }

    pub fn set_fault(&self, fault: Fault, path: &str) {
        let mut s = self.state.lock().unwrap();
        s.fault = fault;
        s.fault_path = path.to_owned();
    }

    pub fn set_page_size(&self, n: usize) {
        self.state.lock().unwrap().page_size = n;
    }

    pub fn requests(&self) -> u64 {
        self.state.lock().unwrap().requests
    }

    /// A commit timestamp after every earlier one, with a varying number of fractional digits
    /// (as nuget.org's are).
    fn tick(s: &mut State) -> String {
        s.clock += 1;
        let fractions = ["", ".5", ".25", ".125", ".0625", ".8589193", ".788239"];
        let at =
            time::macros::datetime!(2026-01-01 00:00 UTC) + Duration::from_secs(s.clock.into());
        let (h, m, sec) = at.to_hms();
        format!(
            "{}T{h:02}:{m:02}:{sec:02}{}Z",
            at.date(),
            fractions[s.clock as usize % fractions.len()]
        )
    }

    /// Catalog pages of `n` items (nuget.org's hold about 550). For benches/sources.
    #[allow(dead_code)]
    pub fn set_catalog_page(&self, n: usize) {
        self.state.lock().unwrap().catalog_page = n;
    }

    /// `packages` packages (`Bench.Package00001`, ...) of `versions` versions each, pushed in
    /// one go: a large feed for benches/sources without a search per push.
    #[allow(dead_code)]
    pub fn fill(&self, packages: usize, versions: usize) {
        let mut s = self.state.lock().unwrap();
        for p in 0..packages {
            let id = format!("Bench.Package{p:05}");
            let mut package = Package {
                id: id.clone(),
                versions: vec![],
            };
            for v in 0..versions {
                let published = Self::tick(&mut s);
                let v = Version {
                    version: format!("1.{v}.0"),
                    listed: true,
                    deleted: false,
                    published,
                };
                Self::record(&mut s, &id, &v, false);
                package.versions.push(v);
            }
            s.packages.push(package);
        }
    }

    fn record(s: &mut State, id: &str, v: &Version, delete: bool) {
        if s.catalog {
            let at = Self::tick(s);
            s.items.push(CatalogItem {
                at,
                delete,
                id: id.to_owned(),
                version: v.version.clone(),
                listed: v.listed,
                published: v.published.clone(),
            });
        }
    }

    pub fn push(&self, id: &str, version: &str) {
        let mut s = self.state.lock().unwrap();
        // Now, as a feed stamps a push (after the source was made, unlike a baseline's).
        let published = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let v = Version {
            version: version.to_owned(),
            listed: true,
            deleted: false,
            published,
        };
        Self::record(&mut s, id, &v, false);
        match s
            .packages
            .iter_mut()
            .find(|p| p.id.eq_ignore_ascii_case(id))
        {
            Some(p) => p.versions.push(v),
            None => s.packages.push(Package {
                id: id.to_owned(),
                versions: vec![v],
            }),
        }
    }

    fn change(&self, id: &str, version: &str, f: impl FnOnce(&mut Version)) -> (bool, Version) {
        let mut s = self.state.lock().unwrap();
        let p = s
            .packages
            .iter_mut()
            .find(|p| p.id.eq_ignore_ascii_case(id))
            .unwrap();
        let v = p
            .versions
            .iter_mut()
            .find(|v| lower_norm(&v.version) == lower_norm(version))
            .unwrap();
        f(v);
        let v = v.clone();
        (v.deleted, v)
    }

    pub fn set_listed(&self, id: &str, version: &str, listed: bool) {
        let (_, v) = self.change(id, version, |v| v.listed = listed);
        Self::record(&mut self.state.lock().unwrap(), id, &v, false);
    }

    pub fn delete(&self, id: &str, version: &str) {
        let (_, v) = self.change(id, version, |v| v.deleted = true);
        Self::record(&mut self.state.lock().unwrap(), id, &v, true);
    }

    fn document(&self, path: &str, query: &str) -> Option<Value> {
        let s = self.state.lock().unwrap();
        let base = &self.url;
        if path == "/v3/index.json" {
            let mut resources = vec![
                json!({"@id": format!("{base}/v3/flat/"), "@type": "PackageBaseAddress/3.0.0"}),
                json!({"@id": format!("{base}/v3/query"), "@type": "SearchQueryService/3.5.0"}),
                json!({"@id": format!("{base}/v3/registration/"), "@type": "RegistrationsBaseUrl/3.6.0"}),
            ];
            if s.catalog {
                resources.push(json!({"@id": format!("{base}/v3/catalog0/index.json"), "@type": "Catalog/3.0.0"}));
            }
            return Some(json!({"version": "3.0.0", "resources": resources}));
        }
        if path == "/v3/query" {
            let q: std::collections::HashMap<String, String> =
                serde_urlencoded::from_str(query).unwrap_or_default();
            let skip: usize = q.get("skip").and_then(|v| v.parse().ok()).unwrap_or(0);
            let take: usize = q.get("take").and_then(|v| v.parse().ok()).unwrap_or(20);
            let visible: Vec<&Package> = s
                .packages
                .iter()
                .filter(|p| p.versions.iter().any(|v| v.listed && !v.deleted))
                .collect();
            let data: Vec<Value> = visible
                .iter()
                .skip(skip)
                .take(take)
                .map(|p| {
                    let listed: Vec<&Version> =
                        p.versions.iter().filter(|v| v.listed && !v.deleted).collect();
                    let lower = p.id.to_lowercase();
                    json!({
                        "registration": format!("{base}/v3/registration/{lower}/index.json"),
                        "id": p.id,
                        "version": lower_norm(&listed.last().unwrap().version),
                        "description": "", "authors": ["Contoso"], "totalDownloads": 1,
                        "versions": listed.iter().map(|v| json!({
                            "version": lower_norm(&v.version), "downloads": 1,
                            "@id": format!("{base}/v3/registration/{lower}/{}.json", lower_norm(&v.version))
                        })).collect::<Vec<_>>()
                    })
                })
                .collect();
            return Some(json!({"totalHits": visible.len(), "data": data}));
        }
        if let Some(rest) = path.strip_prefix("/v3/registration/") {
            let (lower, file) = rest.split_once('/')?;
            let p = s.packages.iter().find(|p| p.id.to_lowercase() == lower)?;
            let versions: Vec<&Version> = p.versions.iter().filter(|v| !v.deleted).collect();
            if versions.is_empty() {
                return None;
            }
            let chunks: Vec<&[&Version]> = versions.chunks(s.page_size).collect();
            let page_url = |c: &[&Version]| {
                format!(
                    "{base}/v3/registration/{lower}/page/{}/{}.json",
                    lower_norm(&c[0].version),
                    lower_norm(&c[c.len() - 1].version)
                )
            };
            let leaves =
                |c: &[&Version]| -> Vec<Value> { c.iter().map(|v| self.leaf(&p.id, v)).collect() };
            if file == "index.json" {
                let inline = chunks.len() == 1;
                let items: Vec<Value> = chunks
                    .iter()
                    .map(|c| {
                        let mut page = json!({
                            "@id": page_url(c), "count": c.len(),
                            "lower": lower_norm(&c[0].version), "upper": lower_norm(&c[c.len() - 1].version)
                        });
                        if inline {
                            page["items"] = json!(leaves(c));
                        }
                        page
                    })
                    .collect();
                return Some(json!({"count": items.len(), "items": items}));
            }
            let page = chunks
                .iter()
                .find(|c| page_url(c) == format!("{base}{path}"))?;
            return Some(
                json!({"count": page.len(), "parent": format!("{base}/v3/registration/{lower}/index.json"), "items": leaves(page)}),
            );
        }
        if path == "/v3/catalog0/index.json" && s.catalog {
            let pages: Vec<Value> = s
                .items
                .chunks(s.catalog_page)
                .enumerate()
                .map(|(n, c)| json!({
                    "@id": format!("{base}/v3/catalog0/page{n}.json"), "@type": "CatalogPage",
                    "commitId": format!("c{n}"), "commitTimeStamp": c[c.len() - 1].at, "count": c.len()
                }))
                .collect();
            let latest = s
                .items
                .last()
                .map_or("2026-01-01T00:00:00Z".to_owned(), |i| i.at.clone());
            return Some(json!({
                "@id": format!("{base}/v3/catalog0/index.json"),
                "@type": ["CatalogRoot", "AppendOnlyCatalog", "Permalink"],
                "commitId": "root", "commitTimeStamp": latest, "count": pages.len(), "items": pages
            }));
        }
        if let Some(n) = path
            .strip_prefix("/v3/catalog0/page")
            .and_then(|r| r.strip_suffix(".json"))
            .and_then(|n| n.parse::<usize>().ok())
        {
            let chunk = s.items.chunks(s.catalog_page).nth(n)?;
            let mut items: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(k, i)| json!({
                    "@id": format!("{base}/v3/catalog0/data/{}.json", n * s.catalog_page + k),
                    "@type": if i.delete { "nuget:PackageDelete" } else { "nuget:PackageDetails" },
                    "commitId": format!("c{n}"), "commitTimeStamp": i.at,
                    "nuget:id": i.id, "nuget:version": i.version
                }))
                .collect();
            // As recorded pages do, list them in no particular order.
            items.reverse();
            return Some(
                json!({"commitId": format!("c{n}"), "commitTimeStamp": chunk[chunk.len() - 1].at,
                               "count": items.len(), "parent": format!("{base}/v3/catalog0/index.json"), "items": items}),
            );
        }
        if let Some(n) = path
            .strip_prefix("/v3/catalog0/data/")
            .and_then(|r| r.strip_suffix(".json"))
            .and_then(|n| n.parse::<usize>().ok())
        {
            let i = s.items.get(n)?;
            let v = Version {
                version: i.version.clone(),
                listed: i.listed,
                deleted: i.delete,
                published: i.published.clone(),
            };
            let mut leaf = self.entry(&i.id, &v);
            leaf["@type"] = json!(["PackageDetails", "catalog:Permalink"]);
            leaf["catalog:commitTimeStamp"] = json!(i.at);
            leaf["created"] = json!(i.published);
            leaf["packageSize"] = json!(4242);
            leaf["releaseNotes"] = json!(format!("Notes of {}", i.version));
            if !i.listed {
                leaf["published"] = json!("1900-01-01T00:00:00Z");
            }
            return Some(leaf);
        }
        None
    }

    /// The manifest PackageBaseAddress serves at `{base}{id}/{version}/{id}.nuspec`, in the form
    /// of NuGet's .nuspec reference; its release notes match the catalog leaf's.
    fn nuspec(&self, path: &str) -> Option<String> {
        let mut parts = path.strip_prefix("/v3/flat/")?.split('/');
        let (lower, norm) = (parts.next()?, parts.next()?);
        let s = self.state.lock().unwrap();
        let p = s.packages.iter().find(|p| p.id.to_lowercase() == lower)?;
        let v = p
            .versions
            .iter()
            .find(|v| !v.deleted && lower_norm(&v.version) == norm)?;
        Some(format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata minClientVersion="2.12">
    <id>{id}</id>
    <version>{version}</version>
    <authors>Contoso Ltd, Ann Example</authors>
    <description>{id} does useful things.</description>
    <releaseNotes>Notes of {version}</releaseNotes>
  </metadata>
</package>"#,
            id = p.id,
            version = v.version
        ))
    }

    /// A catalog entry, shaped like the recorded ones.
    fn entry(&self, id: &str, v: &Version) -> Value {
        let (lower, norm) = (id.to_lowercase(), lower_norm(&v.version));
        json!({
            "@id": format!("{}/v3/catalog0/data/{lower}.{norm}.json", self.url),
            "@type": "PackageDetails",
            "authors": "Contoso Ltd, Ann Example",
            "dependencyGroups": [
                {"targetFramework": "net8.0", "dependencies": [{"id": "Newtonsoft.Json", "range": "[13.0.1, )"}]},
                {"targetFramework": ".NETStandard2.0"}
            ],
            "description": format!("{id} does useful things."),
            "iconUrl": "",
            "id": id,
            "licenseExpression": "MIT",
            "licenseUrl": format!("https://licenses.nuget.org/MIT"),
            "listed": v.listed,
            "minClientVersion": "2.12",
            "packageContent": format!("{}/v3/flat/{lower}/{norm}/{lower}.{norm}.nupkg", self.url),
            "projectUrl": "https://example.com/project",
            "published": if v.listed { v.published.clone() } else { "1900-01-01T00:00:00+00:00".into() },
            "requireLicenseAcceptance": false,
            "tags": ["tools", "contoso"],
            "version": v.version
        })
    }

    fn leaf(&self, id: &str, v: &Version) -> Value {
        let (lower, norm) = (id.to_lowercase(), lower_norm(&v.version));
        json!({
            "@id": format!("{}/v3/registration/{lower}/{norm}.json", self.url),
            "@type": "Package",
            "catalogEntry": self.entry(id, v),
            "packageContent": format!("{}/v3/flat/{lower}/{norm}/{lower}.{norm}.nupkg", self.url),
            "registration": format!("{}/v3/registration/{lower}/index.json", self.url)
        })
    }
}

async fn serve(req: HttpRequest, feed: web::Data<NugetFeed>) -> HttpResponse {
    let path = req.path().to_owned();
    let fault = {
        let mut s = feed.state.lock().unwrap();
        s.requests += 1;
        if s.fault_path.is_empty() || path.contains(&s.fault_path) {
            s.fault
        } else {
            Fault::None
        }
    };
    match fault {
        Fault::Status500 => return HttpResponse::InternalServerError().body("oops"),
        Fault::Hang => {
            tokio::time::sleep(Duration::from_secs(120)).await;
            return HttpResponse::Ok().finish();
        }
        Fault::Garbage => {
            return HttpResponse::Ok()
                .content_type("application/json")
                .body("<html><body>Service Unavailable</body></html>");
        }
        _ => {}
    }
    if path.ends_with(".nuspec") {
        return match feed.nuspec(&path) {
            Some(xml) => HttpResponse::Ok().content_type("application/xml").body(xml),
            None => HttpResponse::NotFound().finish(),
        };
    }
    if path.ends_with(".nupkg") {
        return HttpResponse::Ok()
            .content_type("application/octet-stream")
            .body(vec![b'P'; 4242]);
    }
    match feed.document(&path, req.query_string()) {
        Some(doc) => {
            let body = doc.to_string();
            let body = if fault == Fault::Truncate {
                body[..body.len() / 2].to_owned()
            } else {
                body
            };
            HttpResponse::Ok()
                .content_type("application/json")
                .body(body)
        }
        None => HttpResponse::NotFound().finish(),
    }
}
