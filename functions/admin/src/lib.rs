//! The admin function: tenants, their API keys and settings, and their scenario
//! modules — upload (validated, dry-run, precompiled), versions, activation, rollback
//! and A/B splits.
//!
//! * [`Admin`] — the operations, each checking its [`Caller`] first: the operator
//!   reaches every tenant; a tenant key reaches its own tenant only, and anything else
//!   answers 404 exactly like a tenant that does not exist.
//! * [`http::router`] — the REST routes, with the OpenAPI document at `GET /openapi.json`
//!   ([`openapi`], kept in `docs/admin-api.openapi.json`).
//! * [`client::AdminClient`] — the same API from Rust, for `sva tenant` / `sva scenario`
//!   and the tests.
//!
//! Everything goes through `sva-tenants` and the object store, so the admin function
//! works on a local directory and on S3 alike. The binary `sva-admin` is thin wiring.

mod auth;
pub mod client;
mod error;
pub mod http;
mod knowledge;
pub mod openapi;
mod service;

pub use auth::Caller;
pub use error::AdminError;
pub use knowledge::{GapView, HitView, SourceView};
pub use service::{
    Admin, CallsChange, CreatedTenant, HistoryLine, IssuedKey, MIN_OPERATOR_KEY, NewKey, NewTenant,
    RotatedSecret, ScenariosView, SettingsChange, SplitRequest, TenantSummary, TenantView,
    Uploaded, VersionView,
};
