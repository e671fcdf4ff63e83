//! Tenants as stored in object storage, the one layout every function shares:
//!
//! ```text
//! tenants/{tenant}/tenant.json                 TenantSettings (no secrets)
//! tenants/{tenant}/secrets/signing.key         the VoxEngine signing secret
//! tenants/{tenant}/scenarios/{version}.wasm    scenario modules; version = sha256 of the bytes
//! ```
//!
//! The signing secret lives apart from the settings so that reading or returning the
//! settings can never leak it. [`TenantStore`] reads and writes these objects through any
//! [`ObjectStore`](sva_kit::storage::ObjectStore).

mod settings;
mod store;

pub use settings::{ScenarioRouting, Split, TenantSettings, validate_tenant_id};
pub use store::{TenantStore, TenantStoreError, module_version};

/// The settings document's key.
pub fn settings_key(tenant: &str) -> String {
    format!("tenants/{tenant}/tenant.json")
}

/// The signing secret's key.
pub fn signing_secret_key(tenant: &str) -> String {
    format!("tenants/{tenant}/secrets/signing.key")
}

/// A scenario module's key.
pub fn module_key(tenant: &str, version: &str) -> String {
    format!("tenants/{tenant}/scenarios/{version}.wasm")
}
