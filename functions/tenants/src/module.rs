//! What is stored beside a scenario module: `tenants/{tenant}/scenarios/{version}.json`.

use serde::{Deserialize, Serialize};

/// An uploaded module's description, written when it was validated and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModuleInfo {
    /// The version: the SHA-256 of the module's bytes.
    pub version: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was stored (RFC 3339, UTC).
    pub uploaded_at: String,
    /// Who stored it: `operator`, `key:{id}`, or `seed` for the local stack's default.
    pub uploaded_by: String,
    /// Its manifest, if it exports one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub manifest: Option<sva_abi::Manifest>,
    /// What the dry-run `call_started` step did.
    pub dry_run: DryRun,
    /// The engine compatibility hashes its precompiled artifacts were stored for.
    #[serde(default)]
    pub artifacts: Vec<String>,
}

/// The result of the dry-run `call_started` step an upload must pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DryRun {
    /// Fuel (wasm instructions) it used.
    pub fuel: u64,
    /// The kinds of actions it returned, in order.
    pub actions: Vec<String>,
    /// What it said, if it said something.
    #[serde(default)]
    pub said: Vec<String>,
}
