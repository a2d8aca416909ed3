//! Every page route against every role, walked from the server's own route list, so a new
//! route is covered the day it is added: who gets the page, who gets 404, who is sent to sign
//! in, and that no form is accepted without its CSRF token.
use actix_web::http::Method as M;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Browser, spawn_app};

struct Ids {
    hook: i64,
    delivery: i64,
    key: i64,
    token: i64,
    source: i64,
    replay: i64,
    /// An event of the feed (the ping's).
    event: String,
}

fn fill(path: &str, ids: &Ids) -> String {
    let id = if path.starts_with("/feeds/{feed}/hooks/{id}") {
        ids.hook
    } else if path.starts_with("/feeds/{feed}/deliveries/{id}") {
        ids.delivery
    } else if path.starts_with("/feeds/{feed}/keys/{id}") {
        ids.key
    } else if path.starts_with("/feeds/{feed}/sources/{id}") {
        ids.source
    } else if path.starts_with("/account/tokens/{id}") {
        ids.token
    } else {
        assert!(
            !path.contains("{id}"),
            "the matrix does not know the {{id}} of {path}: teach it"
        );
        0
    };
    path.replace("{feed}", "shared")
        .replace("{username}", "carl")
        .replace("{id}", &id.to_string())
        .replace("{replay}", &ids.replay.to_string())
        .replace("{identifier}", &ids.event)
}

async fn status(b: &Browser, method: &M, path: &str, csrf: bool) -> (u16, String) {
    let res = if *method == M::GET {
        b.get(path).await
    } else if csrf {
        b.post_form(path, &[]).await
    } else {
        b.post_form_without_csrf(path, &[]).await
    };
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (res.status().as_u16(), location)
}

#[tokio::test]
async fn every_page_route_answers_each_role_as_the_rules_say() {
    let app = spawn_app().await;
    let owner = app.create_user("olivia", false).await;
    let co = app.create_user("carl", false).await;
    let stranger = app.create_user("sam", false).await;
    let admin = app.create_user("ada", true).await;
    let t = app.token_for(&owner).await;
    app.create_feed(&t, "shared").await;
    app.api(
        Method::PUT,
        "/api/v1/feeds/shared/co-owners/carl",
        Some(&t),
        None,
    )
    .await;
    let hook: Value = app
        .api(Method::POST, "/api/v1/feeds/shared/hooks", Some(&t), Some(json!({"kind": "http", "events": ["ping"], "config": {"url": "http://127.0.0.1:9/"}})))
        .await
        .json()
        .await
        .unwrap();
    let hook = hook["id"].as_i64().unwrap();
    let ping: Value = app
        .api(
            Method::POST,
            &format!("/api/v1/feeds/shared/hooks/{hook}/ping"),
            Some(&t),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let key: Value = app
        .api(
            Method::POST,
            "/api/v1/feeds/shared/keys",
            Some(&t),
            Some(json!({"name": "ci"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let source: Value = app
        .api(
            Method::POST,
            "/api/v1/feeds/shared/sources",
            Some(&t),
            Some(json!({"kind": "npm", "enabled": false, "config": {"registry": "http://127.0.0.1:9", "packages": ["x"]}})),
        )
        .await
        .json()
        .await
        .unwrap();
    let replay: Value = app
        .api(
            Method::POST,
            &format!("/api/v1/feeds/shared/hooks/{hook}/replays"),
            Some(&t),
            Some(json!({"rate": 1, "dry_run": false})),
        )
        .await
        .json()
        .await
        .unwrap();
    let tokens: Value = app
        .api(Method::GET, "/api/v1/feeds", Some(&t), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["items"].as_array().unwrap().len(), 1);
    let events: Value = app
        .api(Method::GET, "/api/v1/feeds/shared/events", Some(&t), None)
        .await
        .json()
        .await
        .unwrap();
    let ids = Ids {
        event: events["items"][0]["identifier"]
            .as_str()
            .unwrap()
            .to_owned(),
        hook,
        delivery: ping["delivery"].as_i64().unwrap(),
        key: key["id"].as_i64().unwrap(),
        token: 1,
        source: source["id"].as_i64().unwrap(),
        replay: replay["id"].as_i64().unwrap(),
    };

    let anon = app.anonymous();
    let b_stranger = app.sign_in(&stranger).await;
    let b_co = app.sign_in(&co).await;
    let b_owner = app.sign_in(&owner).await;
    let b_admin = app.sign_in(&admin).await;

    let mut routes = feedhooks::web::routes::RouteList::default();
    feedhooks::web::page_routes(&mut routes);
    assert!(
        routes.0.len() >= 30,
        "the route list is walked, not hand-copied"
    );
    for (method, template) in &routes.0 {
        let path = fill(template, &ids);
        let what = format!("{method} {template}");
        // Every form is refused without its token and changes nothing: 403 for anyone signed
        // in; a signed-out sender is refused too (or first sent to sign in).
        if *method == M::POST {
            assert_eq!(
                status(&b_admin, method, &path, false).await.0,
                403,
                "{what} without a CSRF token"
            );
            let code = status(&b_owner, method, &path, false).await.0;
            // On an administrators' route the owner may be refused as a non-admin first.
            let refused: &[u16] = if template.starts_with("/admin") {
                &[403, 404]
            } else {
                &[403]
            };
            assert!(
                refused.contains(&code),
                "{what} without a CSRF token: {code}"
            );
            let code = status(&anon, method, &path, false).await.0;
            assert!(
                [303, 403, 404].contains(&code),
                "{what} without a CSRF token, signed out: {code}"
            );
        }
        if template.starts_with("/feeds/{feed}") {
            let (code, to) = status(&anon, method, &path, true).await;
            assert_eq!(
                (code, to.starts_with("/login?next=")),
                (303, true),
                "{what}: anonymous is sent to sign in"
            );
            assert_eq!(
                status(&b_stranger, method, &path, true).await.0,
                404,
                "{what}: a stranger gets 404"
            );
            if *method == M::GET {
                for (who, b) in [
                    ("co-owner", &b_co),
                    ("owner", &b_owner),
                    ("admin", &b_admin),
                ] {
                    assert_eq!(status(b, method, &path, true).await.0, 200, "{what}: {who}");
                }
            }
        } else if template.starts_with("/admin") {
            assert_eq!(
                status(&anon, method, &path, true).await.0,
                303,
                "{what}: anonymous"
            );
            assert_eq!(
                status(&b_stranger, method, &path, true).await.0,
                404,
                "{what}: not an administrator"
            );
            if *method == M::GET {
                assert_eq!(
                    status(&b_admin, method, &path, true).await.0,
                    200,
                    "{what}: admin"
                );
            }
        } else if template.starts_with("/account") || *template == "/feeds" {
            if *method == M::GET {
                assert_eq!(
                    status(&anon, method, &path, true).await.0,
                    303,
                    "{what}: anonymous"
                );
                assert_eq!(
                    status(&b_stranger, method, &path, true).await.0,
                    200,
                    "{what}: signed in"
                );
            }
        } else if template.starts_with("/setup") {
            for b in [&anon, &b_admin] {
                assert_eq!(
                    status(b, method, &path, true).await.0,
                    404,
                    "{what}: there are users already"
                );
            }
        }
    }
    // Nothing the refused forms named was changed.
    let feed: Value = app
        .api(Method::GET, "/api/v1/feeds/shared", Some(&t), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(feed["co_owners"], json!(["carl"]));
    let hooks: Value = app
        .api(Method::GET, "/api/v1/feeds/shared/hooks", Some(&t), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(hooks["items"][0]["enabled"], true);
    let keys: Value = app
        .api(Method::GET, "/api/v1/feeds/shared/keys", Some(&t), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(keys["items"].as_array().unwrap().len(), 1);
    let replay: Value = app
        .api(
            Method::GET,
            &format!("/api/v1/feeds/shared/hooks/{hook}/replays/{}", ids.replay),
            Some(&t),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(replay["state"], "cancelled");
    assert_eq!(app.count("users").await, 4);
    assert_eq!(
        b_owner.get("/feeds").await.status(),
        200,
        "and nobody was signed out"
    );
}
