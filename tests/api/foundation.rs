use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_ok_as_json() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_reports_the_migrated_database() {
    let app = spawn_app().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(
        body["schema_version"],
        feedhooks::db::schema_version_expected()
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/healthz", "/no/such/page", "/static/style.css"] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test]
async fn the_stylesheet_is_served_from_the_binary() {
    let app = spawn_app().await;
    let res = app.get("/static/style.css").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

#[tokio::test]
async fn a_second_start_on_the_same_data_dir_keeps_the_key_and_database() {
    let app = spawn_app().await;
    let data = app.state.settings.data_dir.clone();
    let key_before = std::fs::read(data.join("secret.key")).unwrap();
    app.state
        .db
        .run(|c| {
            c.execute(
                "INSERT INTO settings (name, value) VALUES ('probe', 'kept')",
                [],
            )
            .map_err(feedhooks::db::DbError::from)
        })
        .await
        .unwrap();
    let dir = app.shutdown().await;

    let settings = feedhooks::Settings::new("127.0.0.1:0".parse().unwrap(), data.clone());
    let again = feedhooks::Application::build(settings).await.unwrap();
    assert_eq!(std::fs::read(data.join("secret.key")).unwrap(), key_before);
    let value: String = again
        .state()
        .db
        .run(|c| {
            c.query_row("SELECT value FROM settings WHERE name = 'probe'", [], |r| {
                r.get(0)
            })
            .map_err(feedhooks::db::DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(value, "kept");
    drop(dir);
}

#[tokio::test]
async fn only_html_pages_set_the_csrf_cookie() {
    let app = spawn_app().await;
    for path in [
        "/static/style.css",
        "/favicon.ico",
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/openapi.json",
        "/api/v1/feeds",
        "/api/v1/nowhere",
        "/static/nothing.css",
    ] {
        let res = reqwest::get(app.url(path)).await.unwrap();
        assert!(
            res.headers().get("set-cookie").is_none(),
            "{path} ({}) sets a cookie",
            res.status()
        );
    }
    let res = reqwest::get(app.url("/login")).await.unwrap();
    let cookie = res
        .headers()
        .get("set-cookie")
        .expect("the login page seeds");
    assert!(cookie.to_str().unwrap().starts_with("fh_csrf="));
}

#[tokio::test]
async fn the_favicon_is_served_from_the_binary() {
    let app = spawn_app().await;
    let res = reqwest::get(app.url("/favicon.ico")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/x-icon");
    let body = res.bytes().await.unwrap();
    assert_eq!(&body[..4], &[0, 0, 1, 0], "an ICO header");
}
