//! Starts the whole application on port 0 with a temporary data dir, so tests run side by side.
#![allow(dead_code)]
use std::net::SocketAddr;
use std::sync::Arc;

use feedhooks::web::state::AppState;
use feedhooks::{Application, Settings};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub data_dir: TempDir,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    pub stop: CancellationToken,
    pub server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// A server with default settings, but loopback deliveries allowed (receivers run on 127.0.0.1).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_in(tempfile::tempdir().expect("temporary data dir"), adjust).await
}

/// A server on an existing data dir (one that `shutdown` returned): a restart.
pub async fn spawn_app_in(data_dir: TempDir, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut settings = Settings::new(listen, data_dir.path().join("data"));
    settings.allow_hosts = "loopback".parse().unwrap();
    adjust(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("application starts");
    let port = app.port();
    let state = app.state();
    let stop = app.stop_token();
    let server = tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        data_dir,
        client: client(),
        state,
        stop,
        server,
    }
}

/// A client like a browser's: keeps cookies, does not follow redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Stops the server as SIGTERM would and waits for it to finish.
    pub async fn shutdown(self) -> TempDir {
        self.stop.cancel();
        self.server
            .await
            .expect("server task")
            .expect("server stopped cleanly");
        self.data_dir
    }
}

pub struct TestUser {
    pub name: String,
    pub password: String,
}

/// The value of the first hidden `csrf` field of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("page has a CSRF field")
        + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

impl TestApp {
    /// A user made through the domain layer (the same code the admin page and CLI call).
    pub async fn create_user(&self, name: &str, admin: bool) -> TestUser {
        let password = format!("{name}-secret-password");
        feedhooks::domain::accounts::create_user(
            &self.state.db,
            feedhooks::domain::accounts::NewUser {
                username: name.into(),
                email: None,
                password: password.clone().into(),
                is_admin: admin,
            },
        )
        .await
        .expect("user created");
        TestUser {
            name: name.into(),
            password,
        }
    }

    /// A personal access token for the user.
    pub async fn token_for(&self, user: &TestUser) -> String {
        let u = self
            .state
            .db
            .run({
                let n = user.name.clone();
                move |c| feedhooks::db::users::find_user_by_name(c, &n)
            })
            .await
            .unwrap()
            .unwrap();
        feedhooks::domain::accounts::create_api_token(&self.state.db, u.id, "test")
            .await
            .unwrap()
            .1
    }

    /// A browser session signed in through the login form.
    pub async fn sign_in(&self, user: &TestUser) -> Browser {
        let b = self.anonymous();
        let res = b
            .post_form(
                "/login",
                &[("username", &user.name), ("password", &user.password)],
            )
            .await;
        assert_eq!(res.status(), 303, "sign-in of {} failed", user.name);
        b
    }

    pub fn anonymous(&self) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            client,
            base: self.address.clone(),
            jar,
        }
    }

    /// Creates a feed owned by `owner` through the API.
    pub async fn create_feed(&self, token: &str, identifier: &str) {
        let res = self
            .client
            .post(self.url("/api/v1/feeds"))
            .bearer_auth(token)
            .json(&serde_json::json!({"identifier": identifier, "name": identifier}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }

    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    /// A GET with the token, answered 200: its JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> serde_json::Value {
        let res = self
            .api(reqwest::Method::GET, path, Some(token), None)
            .await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.expect("a JSON answer")
    }
}

/// A browser-like client: cookies kept, redirects not followed, forms sent with the CSRF token
/// of the page they came from.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    /// The value of one of this browser's cookies.
    pub fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url: reqwest::Url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        let url: reqwest::Url = self.base.parse().unwrap();
        self.jar
            .add_cookie_str(&format!("{name}={value}; Path=/"), &url);
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_text(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.text().await.unwrap()
    }

    /// A CSRF token valid for this browser (taken from the login page, which anyone may see).
    pub async fn csrf(&self) -> String {
        let html = self.get("/login?next=/feeds").await.text().await.unwrap();
        if html.contains("name=\"csrf\"") {
            csrf_of(&html)
        } else {
            // Signed in: /login redirects; the account page has forms.
            csrf_of(&self.get_text("/account").await)
        }
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", &token)];
        all.extend_from_slice(fields);
        self.client
            .post(format!("{}{}", self.base, path))
            .form(&all)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_form_without_csrf(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{}", self.base, path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }
}

/// The nine example envelopes of the spec, by event name.
pub fn spec_example(event: &str) -> serde_json::Value {
    let path = format!(
        "{}/tests/fixtures/spec-examples/{event}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub const EVENT_NAMES: [&str; 9] = [
    "ping",
    "package.added",
    "package.deleted",
    "package.listed",
    "package.pinned",
    "package.pushed",
    "build.queued",
    "build.started",
    "build.finished",
];

impl TestApp {
    /// Counts rows of a table: what tests check "nothing was stored" with.
    pub async fn count(&self, table: &'static str) -> i64 {
        self.state
            .db
            .run(move |c| {
                c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                    .map_err(feedhooks::db::DbError::from)
            })
            .await
            .unwrap()
    }

    /// The stored envelope of an event.
    pub async fn stored_event(&self, feed: &str, identifier: &str) -> serde_json::Value {
        let (feed, identifier) = (feed.to_owned(), identifier.to_owned());
        let body = self
            .state
            .db
            .run(move |c| {
                let f = feedhooks::db::feeds::find_feed(c, &feed)?.unwrap();
                feedhooks::db::events::event_envelope(c, f.id, &identifier)
            })
            .await
            .unwrap()
            .expect("event stored");
        serde_json::from_str(&body).unwrap()
    }

    /// Posts raw bytes as an event.
    pub async fn post_event_raw(
        &self,
        feed: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/feeds/{feed}/events")))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_event(
        &self,
        feed: &str,
        token: &str,
        envelope: &serde_json::Value,
    ) -> reqwest::Response {
        self.post_event_raw(
            feed,
            token,
            "application/vnd.myget.webhooks.v1+json",
            serde_json::to_vec(envelope).unwrap(),
        )
        .await
    }

    /// A feed key for a feed, through the API with an owner's token.
    pub async fn feed_key(&self, token: &str, feed: &str) -> String {
        let res = self
            .api(
                reqwest::Method::POST,
                &format!("/api/v1/feeds/{feed}/keys"),
                Some(token),
                Some(serde_json::json!({"name": "ci"})),
            )
            .await;
        assert_eq!(res.status(), 201);
        res.json::<serde_json::Value>().await.unwrap()["key"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Runs a Python snippet (for independent verifiers installed by .ci/install-test-tools) with
/// `input` on stdin; panics with a hint when the tool is missing, so CI never skips silently.
pub fn python(script: &str, input: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !text.contains("ModuleNotFoundError"),
        "a test tool is missing; run .ci/install-test-tools: {text}"
    );
    (out.status.success(), text)
}
