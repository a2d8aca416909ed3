//! The real release binary as a child process: start, stop, memory, and the admin CLI.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_feedhooks");
const PASSWORD: &str = "a long enough benchmark password";
pub const USER: &str = "bench";

/// A running `feedhooks serve`; its log (default level, as deployed) goes to a file, not a pipe
/// the benchmark would have to drain.
pub struct Server {
    child: Option<Child>,
    pub url: String,
    pub log: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts the server on a free 127.0.0.1 port and returns once it logs that it listens.
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let log = data.with_extension(format!("{port}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(BIN)
            .args(["serve", "--listen", &listen, "--allow-hosts", "loopback"])
            .arg("--data-dir")
            .arg(data)
            .args(extra)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("the feedhooks binary starts");
        let mut server = Server {
            child: Some(child),
            url: format!("http://{listen}"),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if server.log_text().contains("feedhooks is listening") {
                return server;
            }
            if let Some(status) = server.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "feedhooks exited ({status}) before listening:\n{}",
                    server.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "feedhooks did not start within 60 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Warnings and errors the server logged: printed with each phase, so a figure from a run
    /// that went wrong inside the server does not pass unnoticed.
    pub fn problems(&self) -> Vec<String> {
        self.log_text()
            .lines()
            .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
            .map(str::to_owned)
            .collect()
    }

    /// (VmHWM, VmRSS) in MiB, from /proc/PID/status.
    pub fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let field = |name: &str| -> f64 {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or_else(|| panic!("{name} missing from /proc status"))
                / 1024.0
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    /// SIGTERM, then waits (bounded) for a clean exit.
    pub fn stop(mut self) {
        let mut child = self.child.take().unwrap();
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "feedhooks stopped with {status}");
                return;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("feedhooks did not stop within 60 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs an admin subcommand on the data dir; returns stdout, panicking on failure.
fn run_command(data: &Path, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "feedhooks {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Creates the benchmark user in a new data dir; returns (personal token, password).
pub fn prepare_user(data: &Path) -> (String, &'static str) {
    // Admin commands need the data dir to exist (only `serve` makes one).
    std::fs::create_dir_all(data).expect("data dir");
    run_command(
        data,
        &["user", "add", USER, "--admin", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    let token = run_command(data, &["token", "create", "--user", USER], "");
    (token.trim().to_owned(), PASSWORD)
}

/// The JSON API with a personal token. Each phase makes its own (a fresh connection pool).
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Api {
        Api {
            client: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                // Under the server's 5 s keep-alive, so a pooled connection is never one the
                // server is closing.
                .pool_idle_timeout(Duration::from_secs(3))
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            base: base.to_owned(),
            token: token.to_owned(),
        }
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn create_feed(&self, identifier: &str) {
        let (status, body) = self
            .post("/feeds", &serde_json::json!({"identifier": identifier}))
            .await;
        assert_eq!(status, 201, "create feed {identifier}: {body}");
    }

    /// An `http` hook for ping events; returns its id.
    pub async fn create_hook(&self, feed: &str, url: &str) -> i64 {
        let (status, body) = self
            .post(
                &format!("/feeds/{feed}/hooks"),
                &serde_json::json!({"kind": "http", "events": ["ping"], "config": {"url": url}}),
            )
            .await;
        assert_eq!(status, 201, "create hook on {feed}: {body}");
        body["id"].as_i64().unwrap()
    }

    /// The worker's claim and commit counters from `GET /metrics`.
    pub async fn batching(&self) -> [f64; 4] {
        let text = self.metrics().await;
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("feedhooks_{name}_total ")))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0)
        };
        [
            value("claims"),
            value("claimed_deliveries"),
            value("result_commits"),
            value("results"),
        ]
    }

    /// The raw text of `GET /metrics`.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// A ping envelope with this identifier, as a feed system would send it.
pub fn ping_envelope(identifier: &str) -> Vec<u8> {
    format!(
        r#"{{"Identifier":"{identifier}","PayloadType":"PingWebHookEventPayloadV1","Payload":{{}}}}"#
    )
    .into_bytes()
}

pub const EVENT_CONTENT_TYPE: &str = "application/vnd.myget.webhooks.v1+json";

/// Posts one ping event; returns the status.
pub async fn post_event(
    client: &reqwest::Client,
    base: &str,
    feed: &str,
    token: &str,
    identifier: &str,
) -> u16 {
    post_envelope(client, base, feed, token, ping_envelope(identifier)).await
}

/// Posts one envelope; returns the status.
pub async fn post_envelope(
    client: &reqwest::Client,
    base: &str,
    feed: &str,
    token: &str,
    envelope: Vec<u8>,
) -> u16 {
    match client
        .post(format!("{base}/api/v1/feeds/{feed}/events"))
        .bearer_auth(token)
        .header("content-type", EVENT_CONTENT_TYPE)
        .body(envelope)
        .send()
        .await
    {
        Ok(res) => {
            let status = res.status().as_u16();
            // Read the answer so the connection goes back to the pool.
            let _ = res.bytes().await;
            status
        }
        Err(_) => 0,
    }
}

/// The server's CPU time (user + system, seconds) and bytes written to storage, from /proc:
/// printed per phase, so a figure comes with what it cost.
pub fn usage(pid: i32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at state (field 3).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let cpu = (ticks(11) + ticks(12)) / hz; // utime, stime
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    let written = io
        .lines()
        .find(|l| l.starts_with("write_bytes:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (cpu, written)
}

/// `perf record` on the server for one phase, when BENCH_PERF names a directory: each phase
/// leaves `<dir>/<phase>.data` for `perf report -i`. Off by default (it slows the server).
/// BENCH_PERF_EVENTS=a,b records every such event instead of sampling CPU time;
/// BENCH_PERF_HZ sets the sampling rate (default 199: short phases want more).
pub struct Profile(Option<Child>);

impl Profile {
    pub fn start(pid: i32, phase: &str) -> Profile {
        let Some(dir) = std::env::var_os("BENCH_PERF") else {
            return Profile(None);
        };
        std::fs::create_dir_all(&dir).unwrap();
        let out = Path::new(&dir).join(format!("{phase}.data"));
        // BENCH_PERF_EVENTS records those events (e.g. tracepoints: where threads sleep)
        // instead of sampling CPU time.
        let events = match std::env::var("BENCH_PERF_EVENTS") {
            Ok(e) => vec!["-e".to_owned(), e, "-c".into(), "1".into()],
            Err(_) => {
                let hz = std::env::var("BENCH_PERF_HZ").unwrap_or_else(|_| "199".into());
                vec!["-e".into(), "cpu-clock".into(), "-F".into(), hz]
            }
        };
        let child = Command::new("perf")
            .arg("record")
            .args(events)
            .args(["--call-graph", "dwarf,16384", "-p"])
            .arg(pid.to_string())
            .arg("-o")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("perf is installed (BENCH_PERF is set)");
        std::thread::sleep(Duration::from_millis(300));
        Profile(Some(child))
    }

    pub fn stop(self) {
        if let Some(mut child) = self.0 {
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
            let _ = child.wait();
        }
    }
}
