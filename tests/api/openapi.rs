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
