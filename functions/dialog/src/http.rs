//! The dialog function's HTTP surface on the serverless kit: `POST /v1/turn`,
//! `POST /v1/calls/{call_id}/end` and `POST /v1/outbound/dial`.

use crate::{Dialog, Headers};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use std::sync::Arc;
use sva_kit::ApiError;
use sva_wire::outbound::DialAnswer;
use sva_wire::turn::{CallEnded, TurnResponse};

/// The routes of the dialog function; wrap with `sva_kit::serve::app` (or serve with
/// `sva_kit::serve`) for health, limits, request ids and the error shape.
pub fn router(dialog: Arc<Dialog>) -> Router {
    Router::new()
        .route("/v1/turn", post(turn))
        .route("/v1/calls/{call_id}/end", post(end_call))
        .route("/v1/outbound/dial", post(dial))
        .with_state(dialog)
}

/// The signature headers of a request.
fn signed(headers: &HeaderMap) -> Headers<'_> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    Headers {
        tenant: header("x-sva-tenant"),
        timestamp: header("x-sva-timestamp"),
        signature: header("x-sva-signature"),
    }
}

fn refusal(e: crate::DialogError) -> ApiError {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    ApiError::new(status, e.code(), e.to_string())
}

/// The end of a call: the record and the CRM outbox entry.
async fn end_call(
    State(dialog): State<Arc<Dialog>>,
    Path(call_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CallEnded>, ApiError> {
    dialog
        .end_call(signed(&headers), &call_id, &body)
        .await
        .map(Json)
        .map_err(refusal)
}

/// One turn. The body is taken as raw bytes: the signature covers them exactly.
async fn turn(
    State(dialog): State<Arc<Dialog>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TurnResponse>, ApiError> {
    dialog
        .turn(signed(&headers), &body)
        .await
        .map(Json)
        .map_err(refusal)
}

/// The pre-dial check of an outbound call.
async fn dial(
    State(dialog): State<Arc<Dialog>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<DialAnswer>, ApiError> {
    dialog
        .dial(signed(&headers), &body)
        .await
        .map(Json)
        .map_err(refusal)
}
