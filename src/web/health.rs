//! Liveness and readiness probes for process supervisors and load balancers.
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::app::AppState;
use crate::db::{DbError, schema_version, schema_version_expected};

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
