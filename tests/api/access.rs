//! Who gets what, for every feed route of the UI and the API: anonymous, a signed-in stranger,
//! a co-owner, the owner and an administrator.
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Browser, TestApp, TestUser, spawn_app};

struct Cast {
    owner: TestUser,
    co: TestUser,
    stranger: TestUser,
    admin: TestUser,
    owner_token: String,
}

async fn cast(app: &TestApp) -> Cast {
    // The first user becomes owner; the admin is a separate account.
    let owner = app.create_user("olivia", false).await;
    let co = app.create_user("carl", false).await;
    let stranger = app.create_user("sam", false).await;
    let admin = app.create_user("ada", true).await;
    let owner_token = app.token_for(&owner).await;
    for feed in ["shared", "doomed-by-owner", "doomed-by-admin"] {
        app.create_feed(&owner_token, feed).await;
        let res = app
            .api(
                Method::PUT,
                &format!("/api/v1/feeds/{feed}/co-owners/carl"),
                Some(&owner_token),
                None,
            )
            .await;
        assert_eq!(res.status(), 204);
    }
    Cast {
        owner,
        co,
        stranger,
        admin,
        owner_token,
    }
}

/// The status of a GET page for a browser.
async fn page_status(b: &Browser, path: &str) -> u16 {
    b.get(path).await.status().as_u16()
}

#[tokio::test]
async fn feed_pages_follow_the_roles() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let anon = app.anonymous();
    let stranger = app.sign_in(&c.stranger).await;
    let co = app.sign_in(&c.co).await;
    let owner = app.sign_in(&c.owner).await;
    let admin = app.sign_in(&c.admin).await;

    for path in [
        "/feeds/shared",
        "/feeds/shared/settings",
        "/feeds/no-such-feed",
        "/feeds/no-such-feed/settings",
    ] {
        // Signed out: the login page, the same for feeds that exist and those that don't.
        let res = anon.get(path).await;
        assert_eq!(res.status(), 303, "{path}");
        assert!(
            res.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login?next="),
            "{path}"
        );
        assert_eq!(page_status(&stranger, path).await, 404, "stranger {path}");
    }
    for path in ["/feeds/shared", "/feeds/shared/settings"] {
        for (who, b) in [("co-owner", &co), ("owner", &owner), ("admin", &admin)] {
            assert_eq!(page_status(b, path).await, 200, "{who} {path}");
        }
    }
    // The feed list shows the feed to those with a role only.
    assert!(!stranger.get_text("/feeds").await.contains("/feeds/shared"));
    for b in [&co, &owner, &admin] {
        assert!(b.get_text("/feeds").await.contains("/feeds/shared"));
    }
    // The admin page is for administrators only.
    assert_eq!(page_status(&owner, "/admin/users").await, 404);
    assert_eq!(page_status(&admin, "/admin/users").await, 200);
}

#[tokio::test]
async fn feed_forms_follow_the_roles() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let anon = app.anonymous();
    let stranger = app.sign_in(&c.stranger).await;
    let co = app.sign_in(&c.co).await;
    let owner = app.sign_in(&c.owner).await;
    let admin = app.sign_in(&c.admin).await;

    // Keys: co-owners, owners and admins create them (the answer shows the key); strangers get 404.
    assert_eq!(
        anon.post_form("/feeds/shared/keys", &[("name", "x")])
            .await
            .status(),
        303
    );
    assert_eq!(
        stranger
            .post_form("/feeds/shared/keys", &[("name", "x")])
            .await
            .status(),
        404
    );
    for b in [&co, &owner, &admin] {
        let res = b.post_form("/feeds/shared/keys", &[("name", "ci")]).await;
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("fhk_"));
    }
    let keys = app
        .api(
            Method::GET,
            "/api/v1/feeds/shared/keys",
            Some(&c.owner_token),
            None,
        )
        .await;
    let keys: serde_json::Value = keys.json().await.unwrap();
    assert_eq!(keys["items"].as_array().unwrap().len(), 3);
    let key_id = keys["items"][0]["id"].as_i64().unwrap();
    let revoke = format!("/feeds/shared/keys/{key_id}/revoke");
    assert_eq!(stranger.post_form(&revoke, &[]).await.status(), 404);
    assert_eq!(co.post_form(&revoke, &[]).await.status(), 303);

    // Co-owners: only the owner or an admin changes them.
    let add = "/feeds/shared/co-owners";
    assert_eq!(
        stranger
            .post_form(add, &[("username", "sam")])
            .await
            .status(),
        404
    );
    assert_eq!(
        co.post_form(add, &[("username", "sam")]).await.status(),
        403
    );
    assert_eq!(
        owner.post_form(add, &[("username", "sam")]).await.status(),
        303
    );
    assert_eq!(
        page_status(&stranger, "/feeds/shared").await,
        200,
        "sam is a co-owner now"
    );
    let remove = "/feeds/shared/co-owners/sam/remove";
    assert_eq!(co.post_form(remove, &[]).await.status(), 403);
    assert_eq!(admin.post_form(remove, &[]).await.status(), 303);
    assert_eq!(
        page_status(&stranger, "/feeds/shared").await,
        404,
        "sam was removed"
    );

    // Deleting: not the co-owner; the owner and an admin may.
    assert_eq!(
        stranger
            .post_form(
                "/feeds/doomed-by-owner/delete",
                &[("confirm", "doomed-by-owner")]
            )
            .await
            .status(),
        404
    );
    assert_eq!(
        co.post_form(
            "/feeds/doomed-by-owner/delete",
            &[("confirm", "doomed-by-owner")]
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        owner
            .post_form(
                "/feeds/doomed-by-owner/delete",
                &[("confirm", "doomed-by-owner")]
            )
            .await
            .status(),
        303
    );
    assert_eq!(
        admin
            .post_form(
                "/feeds/doomed-by-admin/delete",
                &[("confirm", "doomed-by-admin")]
            )
            .await
            .status(),
        303
    );
    assert_eq!(page_status(&owner, "/feeds/doomed-by-owner").await, 404);
    assert_eq!(page_status(&owner, "/feeds/doomed-by-admin").await, 404);
}

/// The cast's API tokens, on a fresh server: (app, cast, stranger, co-owner, admin, owner).
async fn api_cast() -> (TestApp, Cast, String, String, String, String) {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let stranger = app.token_for(&c.stranger).await;
    let co = app.token_for(&c.co).await;
    let admin = app.token_for(&c.admin).await;
    let owner = c.owner_token.clone();
    (app, c, stranger, co, admin, owner)
}

/// The status of an API request with token `t`.
async fn status(
    app: &TestApp,
    m: Method,
    path: &str,
    t: Option<String>,
    body: Option<serde_json::Value>,
) -> u16 {
    app.api(m, path, t.as_deref(), body).await.status().as_u16()
}

#[tokio::test]
async fn feed_api_reads_follow_the_roles() {
    let (app, _, stranger, co, admin, owner) = api_cast().await;
    // Reading a feed.
    assert_eq!(
        status(&app, Method::GET, "/api/v1/feeds/shared", None, None).await,
        401
    );
    assert_eq!(
        status(
            &app,
            Method::GET,
            "/api/v1/feeds/shared",
            Some("fhp_bogus".into()),
            None
        )
        .await,
        401
    );
    assert_eq!(
        status(
            &app,
            Method::GET,
            "/api/v1/feeds/shared",
            Some(stranger.clone()),
            None
        )
        .await,
        404
    );
    assert_eq!(
        status(
            &app,
            Method::GET,
            "/api/v1/feeds/no-such",
            Some(stranger.clone()),
            None
        )
        .await,
        404
    );
    for t in [&co, &owner, &admin] {
        assert_eq!(
            status(
                &app,
                Method::GET,
                "/api/v1/feeds/shared",
                Some(t.clone()),
                None
            )
            .await,
            200
        );
    }
    let feed: serde_json::Value = app
        .api(Method::GET, "/api/v1/feeds/shared", Some(&co), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(feed["owner"], "olivia");
    assert_eq!(feed["co_owners"], json!(["carl"]));
    assert!(feed["url"].as_str().unwrap().ends_with("/feeds/shared"));
}

#[tokio::test]
async fn feed_api_keys_follow_the_roles() {
    let (app, _, stranger, co, _, _) = api_cast().await;
    // Keys.
    let key_body = Some(json!({"name": "ci"}));
    assert_eq!(
        status(
            &app,
            Method::POST,
            "/api/v1/feeds/shared/keys",
            Some(stranger.clone()),
            key_body.clone()
        )
        .await,
        404
    );
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/shared/keys",
            Some(&co),
            key_body.clone(),
        )
        .await;
    assert_eq!(res.status(), 201);
    let key: serde_json::Value = res.json().await.unwrap();
    let key_secret = key["key"].as_str().unwrap().to_owned();
    assert!(key_secret.starts_with("fhk_") && key_secret.len() >= 40);
    // A feed key is not a user: it may not read or manage the feed.
    assert_eq!(
        status(
            &app,
            Method::GET,
            "/api/v1/feeds/shared",
            Some(key_secret.clone()),
            None
        )
        .await,
        403
    );
    let del_key: &'static str =
        Box::leak(format!("/api/v1/feeds/shared/keys/{}", key["id"]).into_boxed_str());
    assert_eq!(
        status(&app, Method::DELETE, del_key, Some(stranger.clone()), None).await,
        404
    );
    assert_eq!(
        status(&app, Method::DELETE, del_key, Some(co.clone()), None).await,
        204
    );
    assert_eq!(
        status(&app, Method::DELETE, del_key, Some(co.clone()), None).await,
        404
    );
}

#[tokio::test]
async fn feed_api_co_owners_follow_the_roles() {
    let (app, _, stranger, co, admin, owner) = api_cast().await;
    // Co-owners.
    assert_eq!(
        status(
            &app,
            Method::PUT,
            "/api/v1/feeds/shared/co-owners/sam",
            Some(stranger.clone()),
            None
        )
        .await,
        404
    );
    assert_eq!(
        status(
            &app,
            Method::PUT,
            "/api/v1/feeds/shared/co-owners/sam",
            Some(co.clone()),
            None
        )
        .await,
        403
    );
    assert_eq!(
        status(
            &app,
            Method::PUT,
            "/api/v1/feeds/shared/co-owners/sam",
            Some(admin.clone()),
            None
        )
        .await,
        204
    );
    assert_eq!(
        status(
            &app,
            Method::GET,
            "/api/v1/feeds/shared",
            Some(stranger.clone()),
            None
        )
        .await,
        200
    );
    assert_eq!(
        status(
            &app,
            Method::DELETE,
            "/api/v1/feeds/shared/co-owners/sam",
            Some(owner.clone()),
            None
        )
        .await,
        204
    );
    assert_eq!(
        status(
            &app,
            Method::GET,
            "/api/v1/feeds/shared",
            Some(stranger.clone()),
            None
        )
        .await,
        404
    );
}

#[tokio::test]
async fn feed_api_deletes_follow_the_roles() {
    let (app, _, stranger, co, admin, owner) = api_cast().await;
    // Deleting.
    assert_eq!(
        status(
            &app,
            Method::DELETE,
            "/api/v1/feeds/doomed-by-owner",
            Some(co.clone()),
            None
        )
        .await,
        403
    );
    assert_eq!(
        status(
            &app,
            Method::DELETE,
            "/api/v1/feeds/doomed-by-owner",
            Some(stranger.clone()),
            None
        )
        .await,
        404
    );
    assert_eq!(
        status(
            &app,
            Method::DELETE,
            "/api/v1/feeds/doomed-by-owner",
            Some(owner.clone()),
            None
        )
        .await,
        204
    );
    assert_eq!(
        status(
            &app,
            Method::DELETE,
            "/api/v1/feeds/doomed-by-admin",
            Some(admin.clone()),
            None
        )
        .await,
        204
    );
}

#[tokio::test]
async fn feed_api_lists_follow_the_roles() {
    let (app, c, stranger, co, admin, _) = api_cast().await;
    // Listing: each sees their own; the admin sees all.
    let list = |t: String| {
        let app = &app;
        async move {
            let v: serde_json::Value = app
                .api(Method::GET, "/api/v1/feeds", Some(&t), None)
                .await
                .json()
                .await
                .unwrap();
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["identifier"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(stranger).await, Vec::<String>::new());
    assert_eq!(
        list(co).await,
        vec!["doomed-by-admin", "doomed-by-owner", "shared"]
    );
    app.create_feed(&app.token_for(&c.stranger).await, "sams-own")
        .await;
    assert_eq!(
        list(admin).await,
        vec!["doomed-by-admin", "doomed-by-owner", "sams-own", "shared"]
    );
}

#[tokio::test]
async fn feed_api_errors_are_problem_json() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds",
            Some(&t),
            Some(json!({"identifier": "Bad Name!"})),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p: serde_json::Value = res.json().await.unwrap();
    assert_eq!(p["status"], 422);
    assert_eq!(p["errors"][0]["field"], "identifier");
    app.create_feed(&t, "taken").await;
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds",
            Some(&t),
            Some(json!({"identifier": "taken"})),
        )
        .await;
    assert_eq!(res.status(), 409);
    let res = app
        .client
        .post(app.url("/api/v1/feeds"))
        .bearer_auth(&t)
        .body("{\"identifier\": ")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .client
        .post(app.url("/api/v1/feeds"))
        .bearer_auth(&t)
        .body("identifier=x")
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let res = app
        .api(Method::GET, "/api/v1/no-such-route", Some(&t), None)
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}
