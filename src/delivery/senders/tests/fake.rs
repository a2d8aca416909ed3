//! A scripted HTTP/1.1 receiver on 127.0.0.1, and the events and context the tests send with.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::delivery::allow::AllowList;
use crate::delivery::attempt::Attempt;
use crate::delivery::senders::{OutgoingEvent, SendContext};
use crate::domain::hook_templates::MessageTemplate;
use crate::events::EventType;
use crate::events::template::Extras;

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Captured {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }
}

/// What the receiver does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Status, extra headers, body.
    Answer(u16, Vec<(&'static str, String)>, String),
    /// Reads the request and never answers.
    Hang,
    /// Answers 200 with a body of this many bytes.
    Huge(usize),
}

pub fn answer(status: u16, body: &str) -> Reply {
    Reply::Answer(status, Vec::new(), body.to_owned())
}

pub struct Fake {
    pub port: u16,
    requests: Arc<Mutex<Vec<Captured>>>,
}

impl Fake {
    /// Serves the replies in order, one per connection; the last one repeats.
    pub async fn start(replies: Vec<Reply>) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        tokio::spawn(async move {
            let mut n = 0;
            while let Ok((stream, _)) = listener.accept().await {
                let reply = replies[n.min(replies.len() - 1)].clone();
                n += 1;
                let seen = Arc::clone(&seen);
                tokio::spawn(async move { handle(stream, reply, seen).await });
            }
        });
        Fake { port, requests }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<Captured> {
        self.requests.lock().unwrap().clone()
    }

    pub fn only_request(&self) -> Captured {
        let all = self.requests();
        assert_eq!(all.len(), 1, "{all:?}");
        all.into_iter().next().unwrap()
    }
}

async fn handle(mut stream: TcpStream, reply: Reply, seen: Arc<Mutex<Vec<Captured>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let path = first.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = buf[head_end..].to_vec();
    seen.lock().unwrap().push(Captured {
        method,
        path,
        headers,
        body,
    });
    match reply {
        Reply::Answer(status, headers, body) => {
            let mut out = format!("HTTP/1.1 {status} Whatever\r\n");
            for (n, v) in headers {
                out.push_str(&format!("{n}: {v}\r\n"));
            }
            out.push_str(&format!(
                "content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            ));
            let _ = stream.write_all(out.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Reply::Hang => tokio::time::sleep(Duration::from_secs(60)).await,
        Reply::Huge(size) => {
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n");
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let block = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < size {
                if stream.write_all(&block).await.is_err() {
                    return;
                }
                sent += block.len();
            }
        }
    }
}

/// A context that may reach loopback, as the tests' receivers live there.
pub fn context(timeout: Duration) -> SendContext {
    context_with(timeout, "loopback", Vec::new())
}

pub fn context_with(timeout: Duration, allow: &str, roots: Vec<Vec<u8>>) -> SendContext {
    let allow: AllowList = allow.parse().unwrap();
    SendContext::try_new(Arc::new(allow), timeout, roots).unwrap()
}

/// A stored event: its envelope as stored and parsed.
pub struct Event {
    pub event: EventType,
    pub envelope: String,
    pub parsed: Value,
}

impl Event {
    pub fn from_value(envelope: &Value) -> Event {
        Event::from_json(&envelope.to_string())
    }

    pub fn from_json(envelope: &str) -> Event {
        let parsed: Value = serde_json::from_str(envelope).unwrap();
        let event = parsed["PayloadType"]
            .as_str()
            .and_then(EventType::from_payload_type)
            .unwrap();
        Event {
            event,
            envelope: envelope.to_owned(),
            parsed,
        }
    }

    pub fn out(&self) -> OutgoingEvent<'_> {
        self.worded(None)
    }

    /// The event as a hook with these templates sends it.
    pub fn worded<'a>(&'a self, template: Option<&'a MessageTemplate>) -> OutgoingEvent<'a> {
        OutgoingEvent {
            event: self.event,
            identifier: self.parsed["Identifier"].as_str().unwrap_or("test-event"),
            envelope: &self.envelope,
            parsed: &self.parsed,
            template,
            extras: Extras {
                feed_name: "Contoso feed",
                delivery_url: Some("http://127.0.0.1:8080/feeds/contoso/deliveries/1"),
            },
        }
    }
}

macro_rules! example {
    ($name:literal) => {
        crate::delivery::senders::tests::fake::Event::from_json(include_str!(concat!(
            "../../../../tests/fixtures/spec-examples/",
            $name,
            ".json"
        )))
    };
}
pub(crate) use example;

/// A package.added event whose values try to inject markup.
pub fn hostile() -> Event {
    Event::from_json(
        r#"{"Identifier":"evil-1","Username":"<b>mallory</b>","When":"2024-01-01T00:00:00Z",
        "PayloadType":"PackageAddedWebHookEventPayloadV1",
        "Payload":{"PackageType":"NuGet","PackageIdentifier":"Evil<script>alert(1)</script>",
        "PackageVersion":"1.0 & <i>more</i>","PackageDetailsUrl":"https://example.com/p?a=1&b=2",
        "PackageMetadata":{"Description":"<script>alert('x')</script> *bold* [link](javascript:x)"},
        "FeedIdentifier":"feed","FeedUrl":"https://example.com/F/feed/"}}"#,
    )
}

/// Everything an attempt holds, as one string, to search for leaked secrets.
pub fn dump(a: &Attempt) -> String {
    format!(
        "{a:?}\n{}\n{}",
        serde_json::to_string(&a.request).unwrap(),
        serde_json::to_string(&a.response).unwrap()
    )
}

pub fn assert_no_secret(a: &Attempt, secrets: &[&str]) {
    let all = dump(a);
    for s in secrets {
        assert!(
            !all.contains(s),
            "secret {s:?} leaked into the attempt:\n{all}"
        );
    }
}
