//! Sign-in security: CSRF, session rotation and ending, throttling, the one-time setup link.
use reqwest::Method;

use crate::helpers::{csrf_of, spawn_app};

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let b = app.sign_in(&u).await;
    let other = app.sign_in(&app.create_user("sam", false).await).await;
    let foreign_token = other.csrf().await;

    let res = b
        .post_form_without_csrf("/feeds", &[("identifier", "no-token")])
        .await;
    assert_eq!(res.status(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("not sent from a feedhooks page")
    );
    let res = b
        .post_form_without_csrf("/feeds", &[("csrf", "forged"), ("identifier", "forged")])
        .await;
    assert_eq!(res.status(), 403);
    // A token that is valid for another browser is not valid for this one.
    let res = b
        .post_form_without_csrf(
            "/feeds",
            &[("csrf", &foreign_token), ("identifier", "foreign")],
        )
        .await;
    assert_eq!(res.status(), 403);
    // Sign-out without a token does not sign out.
    assert_eq!(b.post_form_without_csrf("/logout", &[]).await.status(), 403);

    let t = app.token_for(&u).await;
    let feeds: serde_json::Value = app
        .api(Method::GET, "/api/v1/feeds", Some(&t), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        feeds["items"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );
    assert_eq!(b.get("/feeds").await.status(), 200, "still signed in");

    // With the token, the same form works.
    assert_eq!(
        b.post_form("/feeds", &[("identifier", "with-token")])
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn sign_in_issues_a_new_session_id_and_ends_the_old_one() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let b = app.anonymous();
    // A session id planted before sign-in (fixation) is never adopted.
    b.set_cookie("fh_session", "planted-by-attacker");
    b.post_form(
        "/login",
        &[("username", "olivia"), ("password", &u.password)],
    )
    .await;
    let first = b.cookie("fh_session").expect("session cookie");
    assert_ne!(first, "planted-by-attacker");

    // Signing in again rotates the id; the old one no longer works.
    b.post_form(
        "/login?next=/feeds",
        &[("username", "olivia"), ("password", &u.password)],
    )
    .await;
    let res = b
        .client
        .post(format!("{}/login", b.base))
        .form(&[
            ("csrf", b.csrf().await.as_str()),
            ("username", "olivia"),
            ("password", u.password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let second = b.cookie("fh_session").unwrap();
    assert_ne!(first, second);
    let replay = app.anonymous();
    replay.set_cookie("fh_session", &first);
    assert_eq!(
        replay.get("/feeds").await.status(),
        303,
        "the old session id is dead"
    );
}

/// The `Set-Cookie` of the session a sign-in starts.
async fn session_cookie_at_sign_in(
    app: &crate::helpers::TestApp,
    u: &crate::helpers::TestUser,
) -> String {
    let b = app.anonymous();
    let token = b.csrf().await;
    let form = [
        ("csrf", token.as_str()),
        ("username", u.name.as_str()),
        ("password", u.password.as_str()),
    ];
    let res = b
        .client
        .post(format!("{}/login", b.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("fh_session="))
        .expect("a session cookie")
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let set = session_cookie_at_sign_in(&app, &u).await;
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(
        !set.contains("Secure"),
        "plain http base URL: no Secure flag"
    );

    let https = crate::helpers::spawn_app_with(|s| {
        s.base_url = Some("https://hooks.example.com".parse().unwrap())
    })
    .await;
    let u = https.create_user("olivia", false).await;
    let set = session_cookie_at_sign_in(&https, &u).await;
    assert!(
        set.contains("Secure"),
        "https base URL makes cookies Secure: {set}"
    );
}

#[tokio::test]
async fn sign_out_and_password_change_end_sessions_on_the_server() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let b = app.sign_in(&u).await;
    let id = b.cookie("fh_session").unwrap();
    assert_eq!(b.post_form("/logout", &[]).await.status(), 303);
    let replay = app.anonymous();
    replay.set_cookie("fh_session", &id);
    assert_eq!(
        replay.get("/feeds").await.status(),
        303,
        "a signed-out session id is dead"
    );

    let laptop = app.sign_in(&u).await;
    let phone = app.sign_in(&u).await;
    let res = laptop
        .post_form(
            "/account/password",
            &[
                ("current_password", &u.password),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        phone.get("/feeds").await.status(),
        303,
        "other sessions end with a password change"
    );
    assert_eq!(laptop.get("/feeds").await.status(), 303, "this one too");
    let again = app.anonymous();
    let res = again
        .post_form(
            "/login",
            &[("username", "olivia"), ("password", "a brand new password")],
        )
        .await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_slowed_then_refused() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let b = app.anonymous();
    let mut statuses = vec![];
    for _ in 0..8 {
        statuses.push(
            b.post_form(
                "/login",
                &[("username", "olivia"), ("password", "wrong password!")],
            )
            .await
            .status()
            .as_u16(),
        );
    }
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let res = b
        .post_form(
            "/login",
            &[("username", "olivia"), ("password", &u.password)],
        )
        .await;
    assert_eq!(
        res.status(),
        429,
        "even the right password is refused during the cool-down"
    );
    assert!(res.headers().contains_key("retry-after"));
    // Failures against unknown accounts from one address count too.
    let res = b
        .post_form("/login", &[("username", "nobody"), ("password", "x")])
        .await;
    assert_eq!(res.status(), 429, "the client address is locked as well");
}

#[tokio::test]
async fn the_setup_link_creates_the_first_admin_once() {
    let app = spawn_app().await;
    let token = feedhooks::domain::accounts::issue_setup_token(&app.state.db)
        .await
        .unwrap()
        .expect("no users yet");
    let b = app.anonymous();
    assert_eq!(b.get("/setup?token=wrong").await.status(), 404);
    let html = b.get_text(&format!("/setup?token={token}")).await;
    let csrf = csrf_of(&html);
    let form = [
        ("csrf", csrf.as_str()),
        ("token", token.as_str()),
        ("username", "root"),
        ("password", "the first password"),
    ];
    let res = b
        .client
        .post(format!("{}/setup", b.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        b.get("/admin/users").await.status(),
        200,
        "signed in as the new administrator"
    );
    // Spent: the link and a replayed form both answer 404.
    assert_eq!(b.get(&format!("/setup?token={token}")).await.status(), 404);
    let form = [
        ("csrf", csrf.as_str()),
        ("token", token.as_str()),
        ("username", "second"),
        ("password", "the first password"),
    ];
    let res = b
        .client
        .post(format!("{}/setup", b.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(
        feedhooks::domain::accounts::issue_setup_token(&app.state.db)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn login_redirects_only_inside_the_site() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let b = app.anonymous();
    let res = b
        .post_form(
            "/login",
            &[
                ("username", "olivia"),
                ("password", &u.password),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(res.headers()["location"], "/feeds");
    let res = app
        .anonymous()
        .post_form(
            "/login",
            &[
                ("username", "olivia"),
                ("password", &u.password),
                ("next", "/feeds/x/settings"),
            ],
        )
        .await;
    assert_eq!(res.headers()["location"], "/feeds/x/settings");
}
