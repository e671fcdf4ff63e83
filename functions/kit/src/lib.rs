//! The serverless kit: what every function binary (dialog, admin, crm, the local
//! all-in-one `sva dev`) shares.
//!
//! * [`config`] — a typed configuration from the environment (`SVA_*`, `PORT`) and an
//!   optional JSON file (`SVA_CONFIG`), with defaults that work locally with no cloud
//!   account; secrets are redacted from `Debug`.
//! * [`mod@serve`] — one axum [`Router`](axum::Router) served either by the Lambda runtime
//!   loop (when `AWS_LAMBDA_RUNTIME_API` is set) or by an HTTP server on `$PORT`
//!   (Yandex Serverless Containers, local), with the standard layers: `/healthz`, body
//!   limit, request id, request tracing, errors in one JSON shape.
//! * [`error`] — [`ApiError`], the one error shape of every API:
//!   `{"error": {"code": "...", "message": "..."}}`; [`Json`] is the JSON extractor whose
//!   rejections use that shape.
//! * [`logging`] and [`mask`] — JSON or human-readable logs through `tracing`, with
//!   personal data (phone numbers, e-mail addresses) masked in every emitted line.
//! * [`outbound`] — outbound URLs (a tenant's CRM portal) checked against SSRF.
//! * [`storage`] — the [`ObjectStore`](storage::ObjectStore) trait over a local directory
//!   or S3 (Yandex Object Storage), with validated keys and tenant scoping.

pub mod config;
pub mod error;
mod json;
pub mod logging;
pub mod mask;
pub mod outbound;
pub mod serve;
pub mod storage;

pub use config::Config;
pub use error::ApiError;
pub use json::Json;
pub use serve::{serve, serve_on};

pub use sva_abi::clock::unix_now;
