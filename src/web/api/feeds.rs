//! Feeds, co-owners and feed keys.
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::problem::Problem;
use crate::db::feeds::FeedRow;
use crate::domain::feeds;
use crate::domain::time::rfc3339;
use crate::web::auth::{ApiFeed, ApiUser};
use crate::web::state::AppState;

#[derive(Serialize)]
pub struct FeedJson {
    identifier: String,
    name: String,
    url: String,
    owner: String,
    co_owners: Vec<String>,
    created_at: String,
}

fn feed_json(state: &AppState, f: FeedRow, co_owners: Vec<String>) -> FeedJson {
    FeedJson {
        url: state.url(&format!("/feeds/{}", f.identifier)),
        identifier: f.identifier,
        name: f.name,
        owner: f.owner,
        co_owners,
        created_at: rfc3339(f.created_at),
    }
}

#[derive(Deserialize)]
pub struct CreateFeed {
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    name: String,
}

pub async fn create(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    body: web::Json<CreateFeed>,
) -> Result<HttpResponse, Problem> {
    let feed = feeds::create_feed(&state.db, &user, &body.identifier, &body.name).await?;
    Ok(HttpResponse::Created().json(feed_json(&state, feed, vec![])))
}

pub async fn list(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
) -> Result<HttpResponse, Problem> {
    let items: Vec<FeedJson> = feeds::list_feeds(&state.db, &user)
        .await?
        .into_iter()
        .map(|f| feed_json(&state, f, vec![]))
        .collect();
    // Everyone sees few feeds; one page holds them all.
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": null})))
}

pub async fn get(state: web::Data<AppState>, f: ApiFeed) -> Result<HttpResponse, Problem> {
    let co = feeds::co_owners(&state.db, &f.access).await?;
    Ok(HttpResponse::Ok().json(feed_json(&state, f.access.feed, co)))
}

pub async fn delete(state: web::Data<AppState>, f: ApiFeed) -> Result<HttpResponse, Problem> {
    feeds::delete_feed(&state.db, &f.access).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn add_co_owner(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    feeds::add_co_owner(&state.db, &f.access, &path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn remove_co_owner(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    feeds::remove_co_owner(&state.db, &f.access, &path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct CreateKey {
    #[serde(default)]
    name: String,
}

pub async fn create_key(
    state: web::Data<AppState>,
    f: ApiFeed,
    body: web::Json<CreateKey>,
) -> Result<HttpResponse, Problem> {
    let (id, key) = feeds::create_key(&state.db, &f.access, &body.name).await?;
    Ok(HttpResponse::Created().json(json!({"id": id, "name": body.name.trim(), "key": key})))
}

pub async fn list_keys(state: web::Data<AppState>, f: ApiFeed) -> Result<HttpResponse, Problem> {
    let items: Vec<_> = feeds::list_keys(&state.db, &f.access)
        .await?
        .into_iter()
        .map(|k| {
            json!({"id": k.id, "name": k.name, "created_at": rfc3339(k.created_at),
                   "last_used_at": k.last_used_at.map(rfc3339)})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": null})))
}

pub async fn revoke_key(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, Problem> {
    feeds::revoke_key(&state.db, &f.access, path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}
