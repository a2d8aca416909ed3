//! The receivers on 127.0.0.1: a fast one (actix-web, in process) that answers 200 to every
//! request and records what arrived; one that answers the same in two writes, status line and
//! headers then body, as Python's http.server and many small apps do; and one that accepts
//! connections and never answers.
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request as it arrived.
pub struct Hit {
    pub path: String,
    /// The `X-MyGet-EventIdentifier` header.
    pub ident: String,
    pub at: Instant,
}

/// How many distinct (hook path, event) pairs the hits hold: equal to their number when no
/// delivery arrived twice.
pub fn distinct(hits: &[Hit]) -> usize {
    hits.iter()
        .map(|h| (h.path.as_str(), h.ident.as_str()))
        .collect::<std::collections::HashSet<_>>()
        .len()
}

#[derive(Default)]
struct State {
    hits: Mutex<Vec<Hit>>,
    count: AtomicU64,
}

pub struct Receiver {
    pub base: String,
    state: Arc<State>,
}

async fn record(req: HttpRequest, body: web::Bytes, st: web::Data<Arc<State>>) -> HttpResponse {
    let at = Instant::now();
    let ident = req
        .headers()
        .get("x-myget-eventidentifier")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if body.is_empty() {
        return HttpResponse::BadRequest().finish();
    }
    st.hits.lock().unwrap().push(Hit {
        path: req.path().to_owned(),
        ident,
        at,
    });
    st.count.fetch_add(1, Relaxed);
    HttpResponse::Ok().finish()
}

impl Receiver {
    /// Two actix workers (one per core), long keep-alive so pooled client connections stay
    /// usable between phases.
    pub async fn start() -> Receiver {
        let state = Arc::new(State::default());
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(record))
        })
        .workers(2)
        .backlog(4096)
        .keep_alive(Duration::from_secs(300))
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Receiver {
            base: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    /// The receiver that answers in two writes, with Nagle's algorithm on (the socket default):
    /// the body waits for the client's ACK of the headers, which a client that delays its ACKs
    /// sends up to 40 ms late. Records what arrived as [`Receiver::start`] does.
    pub async fn start_split() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let st = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(split_connection(socket, st.clone()));
            }
        });
        Receiver {
            base: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    pub fn count(&self) -> u64 {
        self.state.count.load(Relaxed)
    }

    /// Everything recorded since the last call (and resets the count).
    pub fn take(&self) -> Vec<Hit> {
        let mut hits = self.state.hits.lock().unwrap();
        self.state.count.store(0, Relaxed);
        std::mem::take(&mut *hits)
    }

    /// Waits (bounded) until `n` requests arrived since the last `take`; returns whether they did.
    pub async fn wait_for(&self, n: u64, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.count() < n {
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        true
    }
}

/// One keep-alive connection of the split receiver: read a request (headers, then as many body
/// bytes as Content-Length says), record it, answer in two writes.
async fn split_connection(mut socket: tokio::net::TcpStream, st: Arc<State>) {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let header = |name: &str| {
            head.lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_owned())
        };
        let length: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let at = Instant::now();
        let path = head.split(' ').nth(1).unwrap_or("").to_owned();
        st.hits.lock().unwrap().push(Hit {
            path,
            ident: header("x-myget-eventidentifier").unwrap_or_default(),
            at,
        });
        st.count.fetch_add(1, Relaxed);
        buf.drain(..head_end + length);
        let status = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\n";
        if socket.write_all(status).await.is_err() || socket.write_all(b"ok").await.is_err() {
            return;
        }
    }
}

/// Accepts connections, reads what comes, and never answers: a receiver that hangs.
pub struct Hang {
    pub base: String,
    pub accepted: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Hang {
    pub async fn start() -> Hang {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicU64::new(0));
        let count = accepted.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, Relaxed);
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    // Until the client gives up (its timeout) and closes.
                    while let Ok(n) = socket.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                    }
                });
            }
        });
        Hang {
            base: format!("http://127.0.0.1:{port}"),
            accepted,
            task,
        }
    }
}

impl Drop for Hang {
    fn drop(&mut self) {
        self.task.abort();
    }
}
