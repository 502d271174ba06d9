//! `GET /metrics`: the server's metrics in the Prometheus (OpenMetrics) text format.

use actix_web::{web, HttpResponse};

use super::error::ApiError;
use crate::metrics::CONTENT_TYPE;
use crate::session::Services;
use crate::supervisor::messages::GetStats;

pub async fn metrics(services: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    // The gauge follows every registration; reading the registry here also corrects it should
    // a hook ever be missed.
    if let Ok(stats) = services.supervisor.send(GetStats).await {
        services.metrics.set_sessions_active(stats.active_sessions);
    }
    let text = services
        .metrics
        .render()
        .map_err(|e| ApiError::Internal(format!("cannot encode metrics: {e}")))?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(text))
}
