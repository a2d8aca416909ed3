//! A real npm registry for the tests: Verdaccio (installed by `.ci/install-test-tools` into
//! `.test-tools/verdaccio`) on 127.0.0.1 with a temporary storage dir, driven by the real
//! `npm` CLI.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

pub struct Verdaccio {
    child: Child,
    pub url: String,
    dir: TempDir,
    npmrc: PathBuf,
}

impl Drop for Verdaccio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> PathBuf {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".test-tools/verdaccio/node_modules/.bin/verdaccio");
    assert!(
        bin.exists(),
        "{} is missing: run .ci/install-test-tools",
        bin.display()
    );
    bin
}

impl Verdaccio {
    /// Starts Verdaccio with an empty storage, makes a user and an `.npmrc` holding its token.
    /// `notify` is an optional Verdaccio `notify` block (YAML), for the inbound tests.
    pub async fn start(notify: Option<&str>) -> Verdaccio {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = format!(
            "storage: ./storage\n\
             auth:\n  htpasswd:\n    file: ./htpasswd\n    max_users: 100\n\
             packages:\n  '@*/*':\n    access: $all\n    publish: $authenticated\n    unpublish: $authenticated\n\
             \x20 '**':\n    access: $all\n    publish: $authenticated\n    unpublish: $authenticated\n\
             log: {{ type: stdout, format: pretty, level: warn }}\n{}",
            notify.unwrap_or("")
        );
        std::fs::write(dir.path().join("config.yaml"), config).unwrap();
        let child = Command::new(binary())
            .args(["--config", "config.yaml", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("verdaccio starts");
        let url = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{url}/-/ping")).send().await
                && r.status() == 200
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "verdaccio did not start within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // The request `npm adduser` makes; it answers the new user's token.
        let created: Value = client
            .put(format!("{url}/-/user/org.couchdb.user:publisher"))
            .json(&json!({"name": "publisher", "password": "a long enough password"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = created["token"].as_str().expect("a token").to_owned();
        let npmrc = dir.path().join("npmrc");
        std::fs::write(
            &npmrc,
            format!("registry={url}/\n//127.0.0.1:{port}/:_authToken={token}\n"),
        )
        .unwrap();
        Verdaccio {
            child,
            url,
            dir,
            npmrc,
        }
    }

    /// Runs the real npm CLI against this registry, in `cwd`; panics with its output on failure.
    pub fn npm(&self, cwd: &Path, args: &[&str]) -> String {
        let out = Command::new("npm")
            .args(args)
            .arg("--registry")
            .arg(format!("{}/", self.url))
            .arg("--userconfig")
            .arg(&self.npmrc)
            .current_dir(cwd)
            .env("npm_config_cache", self.dir.path().join("npm-cache"))
            .env("npm_config_update_notifier", "false")
            .env("npm_config_audit", "false")
            .env("npm_config_fund", "false")
            .output()
            .expect("npm runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "npm {args:?} failed:\n{text}");
        text
    }

    /// Publishes `name@version` from a fresh package directory with the given extra manifest
    /// fields.
    pub fn publish(&self, name: &str, version: &str, extra: Value) {
        let pkg = self
            .dir
            .path()
            .join(format!("pkg-{}-{version}", name.replace('/', "_")));
        std::fs::create_dir_all(&pkg).unwrap();
        let mut manifest = json!({"name": name, "version": version});
        if let (Some(m), Value::Object(e)) = (manifest.as_object_mut(), extra) {
            m.extend(e);
        }
        std::fs::write(pkg.join("package.json"), manifest.to_string()).unwrap();
        std::fs::write(
            pkg.join("index.js"),
            format!("module.exports = {version:?};\n"),
        )
        .unwrap();
        self.npm(&pkg, &["publish"]);
    }

    pub fn deprecate(&self, spec: &str, message: &str) {
        self.npm(self.dir.path(), &["deprecate", spec, message]);
    }

    pub fn unpublish(&self, spec: &str) {
        self.npm(self.dir.path(), &["unpublish", spec, "--force"]);
    }
}
