//! Starts the whole application on port 0 with a temporary data dir, so tests run side by side.
#![allow(dead_code)]
use std::net::SocketAddr;
use std::sync::Arc;

use feedhooks::app::AppState;
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
    let data_dir = tempfile::tempdir().expect("temporary data dir");
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut settings = Settings::new(listen, data_dir.path().join("data"));
    settings.allow_hosts = "loopback".parse().unwrap();
    adjust(&mut settings);
    let app = Application::build(settings).await.expect("application starts");
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
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    /// Stops the server as SIGTERM would and waits for it to finish.
    pub async fn shutdown(self) -> TempDir {
        self.stop.cancel();
        self.server.await.expect("server task").expect("server stopped cleanly");
        self.data_dir
    }
}
