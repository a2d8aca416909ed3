//! Liveness and readiness probes for process supervisors and load balancers.
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::db::{DbError, schema_version, schema_version_expected};
use crate::web::state::AppState;

/// The process is alive and serving requests.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

/// The database answers and carries every migration this binary knows.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let expected = schema_version_expected();
    match state.db.run(|c| schema_version(c)).await {
        Ok(v) if v == expected => {
            HttpResponse::Ok().json(json!({"status": "ready", "database": "ok", "schema_version": v}))
        }
        Ok(v) => HttpResponse::ServiceUnavailable().json(json!({
            "status": "not ready", "database": "ok", "schema_version": v, "expected_schema_version": expected
        })),
        Err(e @ DbError::Pool(_)) | Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "not ready", "database": "unreachable"}))
        }
    }
}

/// Prometheus metrics: attempts by outcome, attempt durations, the queue's depth and age.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let now = crate::domain::time::now_ms();
    match state
        .db
        .run(move |c| crate::db::deliveries::queue_stats(c, now))
        .await
    {
        Ok((pending, oldest)) => {
            let age = oldest
                .map(|t| std::time::Duration::from_millis((now - t).max(0) as u64))
                .unwrap_or_default();
            HttpResponse::Ok()
                .content_type("text/plain; version=0.0.4")
                .body(state.metrics.render(pending, age))
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the database did not answer");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}
