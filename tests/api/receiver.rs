//! A webhook receiver on 127.0.0.1 for tests: records every request and answers as scripted,
//! including the misbehaviour real receivers show (hanging, resetting, redirecting, huge bodies).
#![allow(dead_code)]
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub enum Reply {
    Status(u16),
    /// Status, extra headers, body.
    Full(u16, Vec<(&'static str, String)>, String),
    /// Reads the request and never answers.
    Hang,
    /// Closes the connection without an answer (RST).
    Reset,
    Redirect(String),
    /// A 200 with a body of this many bytes.
    Huge(usize),
    /// Not HTTP at all.
    Garbage,
    /// These bytes as the whole answer.
    Raw(Vec<u8>),
    /// Waits, then answers with the status.
    Slow(Duration, u16),
    /// The status line at one byte a second, never finishing.
    Drip,
    /// Headers promising a body, half of it, then a reset.
    ResetMidBody,
    /// A chunked 200 whose body never ends.
    Endless,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    requests: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
    script: Arc<Mutex<VecDeque<Reply>>>,
    default: Arc<Mutex<Reply>>,
    /// Requests read and not yet answered, and the most there ever were at once.
    open: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

/// Counts a request as open from its arrival until its answer starts (or the connection ends).
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Receiver {
    /// Answers `default` to every request not covered by a script.
    pub async fn start(default: Reply) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://127.0.0.1:{}/hook",
            listener.local_addr().unwrap().port()
        );
        let r = Receiver {
            url,
            requests: Arc::default(),
            arrived: Arc::new(Notify::new()),
            script: Arc::default(),
            default: Arc::new(Mutex::new(default)),
            open: Arc::default(),
            peak: Arc::default(),
        };
        let me = r.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let me = me.clone();
                tokio::spawn(async move { me.serve(stream).await });
            }
        });
        r
    }

    /// The next requests get these replies, in order.
    pub fn script(&self, replies: Vec<Reply>) {
        self.script.lock().unwrap().extend(replies);
    }

    pub fn set_default(&self, reply: Reply) {
        *self.default.lock().unwrap() = reply;
    }

    /// The most requests this receiver had open at the same time: with replies that take a
    /// while (`Slow`), the concurrency the server used towards it.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived (at most `limit`), and returns them.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let deadline = Instant::now() + limit;
        loop {
            let notified = self.arrived.notified();
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "expected {n} requests within {limit:?}, got {}",
                got.len()
            );
            let _ = tokio::time::timeout(left, notified).await;
        }
    }

    async fn serve(&self, mut stream: TcpStream) {
        // Keep-alive: answer requests on this connection until it closes.
        let mut buf = Vec::new();
        loop {
            let Some(req) = read_request(&mut stream, &mut buf).await else {
                return;
            };
            let reply = self
                .script
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| self.default.lock().unwrap().clone());
            let open = Open(self.open.clone());
            let now = self.open.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            self.requests.lock().unwrap().push(req);
            self.arrived.notify_waiters();
            let answer = match reply {
                Reply::Status(s) => response(s, &[], ""),
                Reply::Raw(bytes) => bytes,
                Reply::Slow(wait, s) => {
                    tokio::time::sleep(wait).await;
                    response(s, &[], "")
                }
                Reply::Full(s, h, b) => response(s, &h, &b),
                Reply::Redirect(to) => response(302, &[("Location", to)], ""),
                Reply::Hang => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return;
                }
                Reply::Reset => {
                    reset(&stream);
                    return;
                }
                Reply::Garbage => b"SMTP? no: \x00\x01 garbage\r\n\r\n".to_vec(),
                Reply::Drip => {
                    for b in b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n"
                        .iter()
                        .cycle()
                        .take(3600)
                    {
                        if stream.write_all(&[*b]).await.is_err() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    return;
                }
                Reply::ResetMidBody => {
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n")
                        .await;
                    let _ = stream.write_all(&[b'x'; 500]).await;
                    reset(&stream);
                    return;
                }
                Reply::Endless => {
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                        .await;
                    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "y".repeat(64 * 1024));
                    // Bounded: 64 MiB at most, far past what the worker reads.
                    for _ in 0..1024 {
                        if stream.write_all(chunk.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                    return;
                }
                Reply::Huge(n) => {
                    let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {n}\r\n\r\n");
                    if stream.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    let chunk = vec![b'x'; 64 * 1024];
                    let mut left = n;
                    while left > 0 {
                        let k = left.min(chunk.len());
                        if stream.write_all(&chunk[..k]).await.is_err() {
                            return;
                        }
                        left -= k;
                    }
                    continue;
                }
            };
            // Closed before the answer goes out: the server may start the next request as soon
            // as it reads this one's answer.
            drop(open);
            if stream.write_all(&answer).await.is_err() {
                return;
            }
        }
    }
}

fn response(status: u16, headers: &[(&str, String)], body: &str) -> Vec<u8> {
    let mut s = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.push_str(body);
    s.into_bytes()
}

async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Received> {
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buf.len() < body_start + len {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[body_start..body_start + len].to_vec();
    buf.drain(..body_start + len);
    Some(Received {
        method,
        path,
        headers,
        body,
        at: Instant::now(),
    })
}

/// Closes with RST instead of FIN: a zero linger is exactly the misbehaviour under test (the
/// deprecation warns that it blocks on drop, which a zero linger does not).
#[allow(deprecated)]
fn reset(stream: &TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
}
