//! The dialog function's HTTP surface: `POST /v1/turn` on the serverless kit.

use crate::protocol::TurnResponse;
use crate::{Dialog, Headers};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use std::sync::Arc;
use sva_kit::ApiError;

/// The routes of the dialog function; wrap with `sva_kit::serve::app` (or serve with
/// `sva_kit::serve`) for health, limits, request ids and the error shape.
pub fn router(dialog: Arc<Dialog>) -> Router {
    Router::new()
        .route("/v1/turn", post(turn))
        .with_state(dialog)
}

/// One turn. The body is taken as raw bytes: the signature covers them exactly.
async fn turn(
    State(dialog): State<Arc<Dialog>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TurnResponse>, ApiError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = Headers {
        tenant: header("x-sva-tenant"),
        timestamp: header("x-sva-timestamp"),
        signature: header("x-sva-signature"),
    };
    dialog.turn(signed, &body).await.map(Json).map_err(|e| {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
        ApiError::new(status, e.code(), e.to_string())
    })
}
