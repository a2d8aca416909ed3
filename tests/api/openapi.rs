//! The OpenAPI document describes the whole API as it stands.
use serde_json::Value;

use crate::helpers::{python, spawn_app};

#[tokio::test]
async fn the_openapi_document_names_every_registered_route_and_no_other() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    let mut routes = feedhooks::web::api::RouteList::default();
    feedhooks::web::api::register(&mut routes);
    for (method, path) in &routes.0 {
        let m = method.as_str().to_ascii_lowercase();
        assert!(
            doc["paths"][path][&m].is_object(),
            "{method} {path} is not in openapi.json"
        );
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in item
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "parameters")
        {
            let registered = routes
                .0
                .iter()
                .any(|(rm, rp)| rp == path && rm.as_str().eq_ignore_ascii_case(m));
            assert!(
                registered,
                "openapi.json names {m} {path}, which the server does not serve"
            );
        }
    }
}

#[tokio::test]
async fn the_openapi_document_is_valid_openapi() {
    let app = spawn_app().await;
    let text = app.get("/api/v1/openapi.json").await.text().await.unwrap();
    let (ok, out) = python(
        "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(sys.stdin))\nprint('valid')",
        &text,
    );
    assert!(ok && out.contains("valid"), "{out}");
}

#[tokio::test]
async fn a_query_the_handler_cannot_read_answers_problem_json_or_a_page() {
    let app = spawn_app().await;
    let admin = app.create_user("root", true).await;
    let token = app.token_for(&admin).await;
    app.create_feed(&token, "f").await;
    let res = app
        .client
        .get(app.url("/api/v1/feeds/f/hooks/1/deliveries?until=x&until=y"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p: Value = res.json().await.unwrap();
    assert!(
        p["detail"].as_str().unwrap().contains("duplicate field"),
        "{p}"
    );

    let b = app.sign_in(&admin).await;
    let res = b.get("/login?next=a&next=b").await;
    assert_eq!(res.status(), 400);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}
