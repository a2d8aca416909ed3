//! The real binary: start-up failures end at once with one clear line; signals stop it cleanly.
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_feedhooks");

/// Runs the binary to completion (bounded by a deadline) and returns (exit code, stderr).
fn run_to_end(args: &[&str], data_dir: &std::path::Path) -> (i32, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("FEEDHOOKS_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            return (status.code().unwrap_or(-1), err);
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("feedhooks {args:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_one_clear_line(stderr: &str, needle: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        !stderr.contains("panicked"),
        "panic instead of a message: {stderr}"
    );
    assert!(
        lines.iter().any(|l| l.contains(needle)),
        "no line naming {needle:?}: {stderr}"
    );
}

#[test]
fn a_bad_flag_value_names_the_flag_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["--listen", "nonsense"], "--listen"),
        (vec!["--retry-schedule", "10s,soon"], "--retry-schedule"),
        (vec!["--delivery-timeout", "forever"], "--delivery-timeout"),
        (vec!["--allow-hosts", "10.0.0.0/99"], "--allow-hosts"),
        (vec!["--base-url", "ftp://x"], "--base-url"),
        (vec!["--retention-days", "0"], "--retention-days"),
    ] {
        let (code, err) = run_to_end(&args, dir.path());
        assert_ne!(code, 0, "{args:?}");
        assert_one_clear_line(&err, needle);
    }
}

#[test]
fn an_unwritable_data_dir_ends_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "not a directory").unwrap();
    let (code, err) = run_to_end(&["--listen", "127.0.0.1:0"], &file.join("data"));
    assert_eq!(code, 1);
    assert_one_clear_line(&err, "cannot create the data directory");
}

#[test]
fn a_port_in_use_ends_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, err) = run_to_end(&["serve", "--listen", &addr], dir.path());
    assert_eq!(code, 1);
    assert_one_clear_line(&err, &format!("cannot listen on {addr}"));
}

#[test]
fn help_documents_every_setting() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--listen",
        "--data-dir",
        "--base-url",
        "--allow-hosts",
        "--retry-schedule",
        "--delivery-timeout",
        "--retention-days",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
        let env = format!(
            "FEEDHOOKS_{}",
            flag.trim_start_matches("--")
                .replace('-', "_")
                .to_uppercase()
        );
        assert!(help.contains(&env), "{env} missing from --help");
    }
}

/// A server process with its log collected line by line.
pub struct Server {
    pub child: std::process::Child,
    pub url: String,
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The whole process group: a wrapper such as strace leaves its tracee running when it
        // is killed alone.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a free port and returns it once it logs that it listens.
pub fn start_server(data_dir: &std::path::Path, extra: &[&str]) -> Server {
    start_server_under(&[], data_dir, extra)
}

/// [`start_server`] run by another program (`wrapper`, such as strace with its arguments).
pub fn start_server_under(wrapper: &[&str], data_dir: &std::path::Path, extra: &[&str]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut command = match wrapper {
        [] => Command::new(BIN),
        [program, args @ ..] => {
            let mut c = Command::new(program);
            c.args(args).arg(BIN);
            c
        }
    };
    let mut child = command
        .process_group(0)
        .args(["serve", "--listen", &listen])
        .args(extra)
        .env("FEEDHOOKS_DATA_DIR", data_dir)
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("feedhooks is listening") {
                let _ = tx.send(());
            }
            sink.lock().unwrap().push(line);
        }
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("server logs that it listens");
    Server {
        child,
        url: format!("http://{listen}"),
        log,
    }
}

/// A data dir with the user olivia made by the CLI, as an operator would; returns the dir
/// (kept alive by the caller), the data path and olivia's personal token.
pub fn data_dir_with_a_user() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Admin commands need the data dir to exist (only `serve` makes one).
    std::fs::create_dir(&data).unwrap();
    let (code, _, err) = run_command(
        &data,
        &["user", "add", "olivia", "--password-stdin"],
        "a long enough password\n",
    );
    assert_eq!(code, 0, "{err}");
    let (_, token, _) = run_command(&data, &["token", "create", "--user", "olivia"], "");
    (dir, data, token.trim().to_owned())
}

/// Runs a subcommand with `stdin` as standard input; returns (exit code, stdout, stderr).
pub fn run_command(
    data_dir: &std::path::Path,
    args: &[&str],
    stdin: &str,
) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .env("FEEDHOOKS_DATA_DIR", data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses its arguments may exit before reading its input: a broken pipe
    // then is its answer, not the test's failure.
    match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn sigterm_stops_the_server_with_exit_code_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start_server(dir.path(), &[]);
    let body = reqwest::blocking::get(format!("{}/healthz", server.url)).unwrap();
    let child = &mut server.child;
    assert_eq!(body.status(), 200);
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn the_binary_alone_in_an_empty_directory_serves_the_ui() {
    let dir = tempfile::tempdir().unwrap();
    let lone = dir.path().join("feedhooks");
    std::fs::copy(BIN, &lone).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(&lone)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let login = loop {
        if let Ok(r) = reqwest::blocking::get(format!("{url}/login")) {
            break r;
        }
        assert!(Instant::now() < deadline, "server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(login.status(), 200);
    assert!(
        login
            .text()
            .unwrap()
            .contains("<form method=\"post\" action=\"/login\">")
    );
    let css = reqwest::blocking::get(format!("{url}/static/style.css")).unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.text().unwrap().contains("--accent"));
    assert!(
        dir.path().join("feedhooks-data/feedhooks.db").exists(),
        "default data dir under the working directory"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn the_binary_links_only_the_c_runtime() {
    let out = Command::new("ldd")
        .arg(BIN)
        .output()
        .expect("ldd is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines() {
        let lib = line.split_whitespace().next().unwrap_or("");
        let allowed = [
            "linux-vdso",
            "libc.so",
            "libm.so",
            "libgcc_s",
            "ld-linux",
            "libpthread",
            "libdl.so",
            "librt.so",
        ];
        assert!(
            allowed.iter().any(|a| lib.contains(a)),
            "unexpected library: {line}"
        );
        assert!(
            !line.contains("ssl") && !line.contains("crypto") && !line.contains("sqlite"),
            "{line}"
        );
    }
}

#[test]
fn commands_other_than_serve_refuse_a_data_dir_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("feedhooks-data");
    for args in [
        &["user", "add", "alice", "--password-stdin"][..],
        &["user", "passwd", "alice", "--password-stdin"],
        &["token", "create", "--user", "alice"],
        &["backup", "/tmp/never-written.backup"],
    ] {
        let (code, _, err) = run_command(&missing, args, "a long enough password\n");
        assert_ne!(code, 0, "{args:?}");
        assert_one_clear_line(&err, &format!("{} does not exist", missing.display()));
        assert!(!missing.exists(), "{args:?} made a stray data dir");
    }
}

#[test]
fn each_subcommand_help_shows_only_the_flags_it_uses() {
    let help = |args: &[&str]| {
        let out = Command::new(BIN).args(args).arg("--help").output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let server_flags = [
        "--listen",
        "--base-url",
        "--allow-hosts",
        "--retry-schedule",
        "--trusted-proxies",
    ];
    for args in [
        &["user", "add"][..],
        &["user", "passwd"],
        &["token", "create"],
        &["backup"],
        &["restore"],
    ] {
        let text = help(args);
        assert!(text.contains("--data-dir"), "{args:?}: {text}");
        for flag in server_flags {
            assert!(!text.contains(flag), "{args:?} --help shows {flag}: {text}");
        }
    }
    let serve = help(&["serve"]);
    for flag in server_flags {
        assert!(serve.contains(flag), "serve --help lacks {flag}");
    }
    // A server flag before another subcommand is an error, not a flag silently ignored.
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:1", "token", "create", "--user", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--listen is a setting of the server"), "{err}");
    // --data-dir, used by every command, goes before or after the subcommand.
    let out = Command::new(BIN)
        .args([
            "--data-dir",
            "/nonexistent/fh",
            "token",
            "create",
            "--user",
            "x",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/fh does not exist"), "{err}");
}

#[test]
fn the_systemd_unit_in_contrib_is_valid_and_hardened() {
    let unit = include_str!("../../contrib/feedhooks.service");
    for option in [
        "DynamicUser=yes",
        "StateDirectory=feedhooks",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
        "SystemCallFilter=@system-service",
        "MemoryDenyWriteExecute=yes",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    ] {
        assert!(unit.contains(option), "the unit lacks {option:?}");
    }
    // systemd's own parser: an unknown or misspelt option is reported, so none may be.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feedhooks.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/feedhooks", BIN)).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze is installed (.ci/install-test-tools)");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.trim().is_empty(), "{text}");
}
