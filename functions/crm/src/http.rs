//! The CRM function's routes: `POST /v1/crm/outbox`, where Yandex Cloud triggers
//! deliver their messages — an Object Storage trigger names the outbox entry just
//! written (`details.object_id`), a timer trigger asks for a sweep of everything due —
//! and the routes portals call: the application's install path and its events
//! ([`crate::install`]), and the robot's handler ([`crate::robot`]).

use crate::install::{self, Installer};
use crate::outbox::{Outbox, Processed, Sweep};
use crate::robot::{self, Robots};
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use sva_kit::Json;
use sva_kit::error::ApiError;

/// The path triggers call.
pub const OUTBOX_PATH: &str = "/v1/crm/outbox";

/// A trigger's delivery: a batch of messages.
#[derive(Debug, Deserialize)]
pub struct TriggerBatch {
    /// The messages.
    pub messages: Vec<TriggerMessage>,
}

/// One trigger message.
#[derive(Debug, Deserialize)]
pub struct TriggerMessage {
    /// `event_type` and the like.
    #[serde(default)]
    pub event_metadata: Value,
    /// For Object Storage: `bucket_id` and `object_id`.
    #[serde(default)]
    pub details: Value,
}

/// The routes.
pub fn router(outbox: Arc<Outbox>, installer: Arc<Installer>, robots: Arc<Robots>) -> Router {
    Router::new()
        .route(OUTBOX_PATH, post(deliver))
        .with_state(outbox)
        .merge(install::router(installer))
        .merge(robot::router(robots))
}

async fn deliver(
    State(outbox): State<Arc<Outbox>>,
    Json(batch): Json<TriggerBatch>,
) -> Result<Json<Value>, ApiError> {
    let mut processed = Vec::new();
    let mut sweep: Option<Sweep> = None;
    for message in batch.messages {
        if let Some(key) = message.details.get("object_id").and_then(Value::as_str) {
            if !key.starts_with(sva_wire::key::OUTBOX_PREFIX) {
                continue; // the trigger's prefix filter should not let others through
            }
            let outcome = outbox.process(key).await.map_err(ApiError::internal)?;
            processed.push(json!({ "key": key, "outcome": describe(&outcome) }));
        } else if sweep.is_none() {
            // A timer (or any message without an object) sweeps once per delivery.
            sweep = Some(outbox.sweep().await.map_err(ApiError::internal)?);
        }
    }
    Ok(Json(json!({
        "processed": processed,
        "sweep": sweep.map(|s| json!({
            "done": s.done, "retry": s.retry, "dead": s.dead, "skipped": s.skipped, "failed": s.failed,
        })),
    })))
}

fn describe(outcome: &Processed) -> Value {
    match outcome {
        Processed::Done(key) => json!({ "done": key }),
        Processed::Retry { at, error } => json!({ "retry_at": at, "code": error.code }),
        Processed::Dead { key, error } => json!({ "dead": key, "code": error.code }),
        Processed::Skipped(why) => json!({ "skipped": why }),
    }
}
