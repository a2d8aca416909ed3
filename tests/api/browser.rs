//! The owners' UI in a real headless Chromium (Debian's `chromium` and `chromium-driver`),
//! driven through chromedriver's W3C WebDriver HTTP API: what an owner does, click by click.
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::start_server;
use crate::helpers::spec_example;
use crate::ui::Receiver;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process (in its own process group, with the Chromium it starts) and one
/// browser session.
pub struct Driver {
    child: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

fn installed(path: &str) -> bool {
    std::path::Path::new(path).exists()
}

impl Driver {
    pub async fn start(width: u32, height: u32) -> Driver {
        let chromium = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"]
            .into_iter()
            .find(|p| installed(p));
        assert!(
            chromium.is_some() && installed("/usr/bin/chromedriver"),
            "chromium and chromedriver are missing: run .ci/install-test-tools"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts; run .ci/install-test-tools");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http.get(format!("{base}/status")).send().await;
            if let Ok(r) = ready {
                let v: Value = r.json().await.unwrap_or_default();
                if v["value"]["ready"] == true {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not get ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--hide-scrollbars".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args}
        }}});
        let res: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .unwrap();
        let session = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {res}"))
            .to_owned();
        let driver = Driver {
            child,
            base,
            session,
            http,
            _profile: profile,
        };
        driver.emulate(width, height).await;
        driver
    }

    /// Headless Chromium keeps its window at least 500 px wide, so a phone's width is set by
    /// DevTools' device-metrics override (through chromedriver), which lasts across pages.
    async fn emulate(&self, width: u32, height: u32) {
        self.cmd(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(
                json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}}),
            ),
        )
        .await;
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        if v["value"].get("error").is_some() {
            panic!("WebDriver {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    pub async fn go(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub async fn url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn source(&self) -> String {
        self.cmd(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The element matching a CSS selector, waiting a little for it to appear.
    pub async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = format!("{}/session/{}/element", self.base, self.session);
            let v: Value = self
                .http
                .post(url)
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(id) = v["value"][ELEMENT].as_str() {
                return id.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no element {css} on {}: {v}\n{}",
                self.url().await,
                self.source().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/clear"),
            Some(json!({})),
        )
        .await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Clicks something that loads a new page (a link, a form's button) and waits for it.
    pub async fn follow(&self, css: &str) {
        self.exec("window.__before_click = true;").await;
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let loaded = self
                .exec("return !window.__before_click && document.readyState === 'complete';")
                .await;
            if loaded == true {
                return;
            }
            assert!(Instant::now() < deadline, "clicking {css} loaded no page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{el}/text"), None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Runs a script in the page (WebDriver's, not the page's: the CSP does not apply).
    pub async fn exec(&self, script: &str) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Runs an asynchronous script: it ends by calling its last argument with the result.
    pub async fn exec_async(&self, script: &str) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Reloads `url` until its page contains `needle`.
    pub async fn wait_for(&self, url: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.go(url).await;
            let html = self.source().await;
            if html.contains(needle) {
                return html;
            }
            assert!(
                Instant::now() < deadline,
                "{url} never showed {needle}:\n{html}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the address ends with `suffix` (a form post lands there after its 303).
    pub async fn wait_url(&self, suffix: &str) -> String {
        self.wait_url_where(suffix, |u| u.ends_with(suffix)).await
    }

    pub async fn wait_url_where(&self, suffix: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.url().await;
            if ok(&url) {
                return url;
            }
            if Instant::now() > deadline {
                panic!("still at {url}, not at …{suffix}:\n{}", self.source().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.cmd(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
        self.emulate(width, height).await;
    }

    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap()
    }

    /// Whether the page fits the window's width (nothing scrolls sideways but its own boxes).
    pub async fn fits_width(&self) -> bool {
        self.exec("return document.documentElement.scrollWidth <= window.innerWidth;")
            .await
            == true
    }

    pub async fn quit(self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}

impl Drop for Driver {
    /// Ends chromedriver and the Chromium it started: the whole process group we gave it.
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        // SAFETY: kill(2) on our own child's process group; no memory is involved.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// The setup link the server logs when no user exists yet.
fn setup_link(log: &str) -> String {
    let at = log.find("/setup?token=").expect("setup link logged");
    let start = log[..at].rfind("http://").unwrap();
    let token: String = log[at + 13..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("{}/setup?token={token}", &log[start..at])
}

#[tokio::test]
async fn an_owner_sets_up_hooks_and_follows_deliveries_in_chromium() {
    let rx = Receiver::start(200, "thanks from the receiver").await;
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), &["--allow-hosts", "loopback"]);
    let b = Driver::start(1280, 1000).await;
    let site = server.url.clone();

    // The first administrator, through the one-time link the server logged.
    b.go(&setup_link(&server.log_text())).await;
    b.type_into("#username", "admin").await;
    b.type_into("#password", "correct horse battery").await;
    b.follow("main button[type=submit]").await;
    b.wait_url("/feeds").await;

    // A feed, a key, and an HTTP hook to the receiver.
    b.type_into("#identifier", "demo").await;
    b.follow("form[action='/feeds'] button").await;
    b.wait_url("/feeds/demo").await;
    b.follow("a[href='/feeds/demo/settings']").await;
    b.type_into("#key-name", "ci").await;
    b.follow("form[action='/feeds/demo/keys'] button").await;
    let key = b.text(".secret-value").await;
    b.go(&format!("{site}/feeds/demo")).await;
    b.follow("a[href='/feeds/demo/hooks/new']").await;
    b.click("input[value=http]").await;
    b.follow("main button[type=submit]").await;
    b.type_into("#f-name", "Receiver").await;
    b.type_into("#f-url", &rx.url).await;
    b.click("input[name=events][value='package.added']").await;
    b.follow("form.hook-form button[type=submit]").await;
    let hook_page = b
        .wait_url_where("/feeds/demo/hooks/{id}", |u| {
            u.rsplit('/')
                .next()
                .is_some_and(|id| id.parse::<i64>().is_ok())
        })
        .await;
    assert!(b.source().await.contains("Hook “Receiver” created."));

    // An event through the API: the delivery shows with the receiver's answer.
    let res = reqwest::Client::new()
        .post(format!("{site}/api/v1/feeds/demo/events"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .json(&spec_example("package.added"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    b.wait_for(&hook_page, "badge succeeded").await;
    b.follow("table.deliveries a").await;
    let html = b.source().await;
    assert!(html.contains("thanks from the receiver") && html.contains("HTTP 200"));

    // Redeliver it, and see the second delivery.
    b.follow("form[action$='/redeliver'] button").await;
    assert!(b.source().await.contains("queued as delivery #2"));
    let second = b.url().await;
    b.wait_for(&second, "thanks from the receiver").await;
    let html = b.wait_for(&hook_page, "redelivery of #1").await;
    assert_eq!(html.matches("badge succeeded\">succeeded").count(), 2 + 1);
    assert_eq!(rx.bodies.lock().unwrap().len(), 2);

    // Make it fail: a receiver that refuses connections; the error is on the delivery page.
    b.go(&format!("{hook_page}/edit")).await;
    b.type_into("#f-url", "http://127.0.0.1:9/gone").await;
    b.follow("form.hook-form button[type=submit]").await;
    assert!(b.source().await.contains("Settings saved."));
    b.follow("form[action$='/ping'] button").await;
    assert!(b.source().await.contains("Ping sent as delivery #3"));
    let html = b
        .wait_for(&format!("{site}/feeds/demo/deliveries/3"), "Attempt 1")
        .await;
    assert!(html.contains("Error: <code>connect</code>"), "{html}");
    assert!(html.contains("Is the receiver running"));

    // A form without its CSRF token is refused, and nothing happens.
    b.go(&hook_page).await;
    b.exec("document.querySelector(\"form[action$='/ping'] input[name=csrf]\").remove();")
        .await;
    b.follow("form[action$='/ping'] button").await;
    let html = b.source().await;
    assert!(
        html.contains("This form was not sent from a feedhooks page"),
        "{html}"
    );
    let html = b.wait_for(&hook_page, "#3").await;
    assert!(!html.contains("#4<"), "no fourth delivery");

    // Every page fits a 360 px wide phone, long bodies wrap or scroll in their own boxes.
    b.resize(360, 800).await;
    for path in [
        "/feeds".to_owned(),
        "/feeds/demo".into(),
        hook_page.trim_start_matches(&site).to_owned(),
        format!("{}/edit", hook_page.trim_start_matches(&site)),
        "/feeds/demo/hooks/new?kind=email".into(),
        "/feeds/demo/deliveries/1".into(),
        "/feeds/demo/deliveries/3".into(),
    ] {
        b.go(&format!("{site}{path}")).await;
        assert!(b.fits_width().await, "{path} is wider than 360 px");
        let unlabelled = b
            .exec(
                "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                    .filter(e => e.labels.length === 0).map(e => e.name);",
            )
            .await;
        assert_eq!(unlabelled, json!([]), "{path}: inputs without a label");
    }
    b.quit().await;
}

/// Signs in through the login form.
pub async fn sign_in(b: &Driver, site: &str, user: &crate::helpers::TestUser) {
    b.go(&format!("{site}/login")).await;
    b.type_into("#username", &user.name).await;
    b.type_into("#password", &user.password).await;
    b.follow("main button[type=submit]").await;
    b.wait_url("/feeds").await;
}

/// The README's screenshots, from a hook with a week of traffic (a bad afternoon included)
/// and a delivery that failed once and then went through. Written to docs/ when
/// FEEDHOOKS_SCREENSHOTS names a directory; otherwise only checked to be pictures.
#[tokio::test]
async fn screenshots_of_the_hook_and_delivery_pages() {
    use reqwest::Method;
    let rx = Receiver::start(503, r#"{"error":"maintenance","retry_in":"a moment"}"#).await;
    let app = crate::helpers::spawn_app_with(|s| {
        s.retry_schedule = vec![Duration::from_millis(300)];
    })
    .await;
    let owner = app.create_user("olivia", false).await;
    let token = app.token_for(&owner).await;
    app.create_feed(&token, "acme-packages").await;
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/acme-packages/hooks",
            Some(&token),
            Some(json!({"kind": "http", "name": "Build trigger",
                "events": ["package.added", "package.pushed", "build.finished"],
                "config": {"url": rx.url, "secret": "generate",
                    "headers": {"X-Team": "platform"}}})),
        )
        .await;
    let hook = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    const HOUR: i64 = 3_600_000;
    let now = feedhooks::domain::time::now_ms();
    let start = (now / HOUR - 167) * HOUR;
    let events = ["package.added", "package.pushed", "build.finished"];
    let mut rows = vec![];
    for h in 0..167i64 {
        let hour_of_day = (start / HOUR + h) % 24;
        let busy = if (8..19).contains(&hour_of_day) { 5 } else { 1 };
        let n = busy + (h * 7) % 4;
        // Two hours on the third day the receiver was down.
        let down = (60..62).contains(&h);
        for i in 0..n {
            let status = if down || (h * 13 + i) % 97 == 0 {
                "failed"
            } else {
                "succeeded"
            };
            rows.push((
                status,
                events[((h + i) % 3) as usize],
                start + h * HOUR + i * 60_000,
            ));
        }
    }
    crate::ui::seed(&app, hook, rows).await;

    let key = app.feed_key(&token, "acme-packages").await;
    let res = app
        .post_event("acme-packages", &key, &spec_example("package.added"))
        .await;
    assert_eq!(res.status(), 202);
    let delivery = app.count("deliveries").await;
    let path = format!("/api/v1/feeds/acme-packages/deliveries/{delivery}");
    crate::ui::wait_for_attempts(&app, &token, &path, 1).await;
    *rx.reply.lock().unwrap() = (200, r#"{"queued":true,"build":4711}"#.into());
    crate::ui::wait_for_attempts(&app, &token, &path, 2).await;

    let b = Driver::start(1280, 1400).await;
    sign_in(&b, &app.address, &owner).await;
    let mut shots = vec![];
    for (page, file, width, height) in [
        (
            format!("/feeds/acme-packages/hooks/{hook}"),
            "hook-page.png",
            1280,
            1400,
        ),
        (
            format!("/feeds/acme-packages/deliveries/{delivery}"),
            "delivery-page.png",
            1280,
            1900,
        ),
        (
            "/feeds/acme-packages".to_owned(),
            "feed-page.png",
            1280,
            700,
        ),
        (
            format!("/feeds/acme-packages/hooks/{hook}/edit"),
            "hook-form.png",
            1280,
            1800,
        ),
        (
            format!("/feeds/acme-packages/hooks/{hook}"),
            "hook-page-phone.png",
            360,
            1600,
        ),
        (
            format!("/feeds/acme-packages/deliveries/{delivery}"),
            "delivery-page-phone.png",
            360,
            1600,
        ),
    ] {
        b.resize(width, height).await;
        b.go(&format!("{}{page}", app.address)).await;
        let png = b.screenshot().await;
        assert!(png.starts_with(b"\x89PNG"), "{page}");
        shots.push((file, png));
    }
    b.quit().await;
    // The README's pictures: FEEDHOOKS_SCREENSHOTS=docs cargo test --test api screenshots
    if let Ok(dir) = std::env::var("FEEDHOOKS_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        for (file, png) in shots {
            std::fs::write(std::path::Path::new(&dir).join(file), png).unwrap();
        }
    }
}
