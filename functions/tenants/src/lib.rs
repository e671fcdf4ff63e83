//! Tenants as stored in object storage, the one layout every function shares:
//!
//! ```text
//! tenants/{tenant}/tenant.json                       TenantSettings (no secrets)
//! tenants/{tenant}/history/{revision:010}.json       every settings change, who and when
//! tenants/{tenant}/secrets/signing.key               the VoxEngine signing secret
//! tenants/{tenant}/secrets/signing.previous.json     the ones it replaced, until when
//! tenants/{tenant}/secrets/crm.json                  the CRM secrets (write-only)
//! tenants/{tenant}/crm-status.json                   what the CRM portal showed (no secrets)
//! tenants/{tenant}/keys/{key_id}.json                API keys, hashed
//! tenants/{tenant}/scenarios/{version}.wasm          modules; version = sha256 of the bytes
//! tenants/{tenant}/scenarios/{version}.json          what validation found (ModuleInfo)
//! tenants/{tenant}/scenarios/{version}.{engine}.cwasm  precompiled for one engine
//! tenants/{tenant}/do-not-call/{digits}.json         the do-not-call list, a number each
//! ```
//!
//! Secrets live apart from the settings so that reading or returning the settings can
//! never leak one. [`TenantStore`] reads and writes these objects through any
//! [`ObjectStore`](sva_kit::storage::ObjectStore); settings changes are serialised by
//! their history entries (create-only writes), so two admin instances never lose each
//! other's change.

mod change;
pub mod crm;
pub mod dialog;
pub mod do_not_call;
pub mod keys;
mod model;
mod module;
pub mod secret;
mod settings;
mod store;

pub use change::{
    CallsChange, MAX_SETTINGS_BYTES, MAX_SETTINGS_DEPTH, SettingsChange, SettingsError,
};
pub use crm::{
    CrmAuth, CrmCheck, CrmCheckError, CrmConnection, CrmInstall, CrmProblem, CrmSecrets, CrmStatus,
    OutcomeKind, OutcomeStatus, Utm,
};
pub use dialog::{
    Department, DialogChange, DialogSettings, OpenHours, TemperatureChange, TemperatureRules,
    Weekday,
};
pub use do_not_call::{DoNotCallEntry, DoNotCallSource, NewDoNotCall};
pub use keys::{ApiKeyInfo, ApiKeyRecord};
pub use model::{ModelChange, ModelSettings};
pub use module::{DryRun, ModuleInfo};
pub use settings::{
    CallSettings, DEFAULT_RECORDING_NOTICE, HISTORY_DEPTH, RECORDING_NOTICE_TEXT, RoutingError,
    ScenarioRouting, Split, TRANSFER_TIMEOUT_S, TenantSettings, validate_tenant_id,
};
pub use store::{
    HistoryEntry, PreviousSecret, SIGNING_GRACE_S, TenantStore, TenantStoreError, module_version,
};

/// The settings document's key.
pub fn settings_key(tenant: &str) -> String {
    format!("tenants/{tenant}/tenant.json")
}

/// The key of the settings' history entry for `revision`.
pub fn history_key(tenant: &str, revision: u64) -> String {
    format!("tenants/{tenant}/history/{revision:010}.json")
}

/// The signing secret's key.
pub fn signing_secret_key(tenant: &str) -> String {
    format!("tenants/{tenant}/secrets/signing.key")
}

/// The key of the replaced signing secrets, still accepted for a grace period.
pub fn previous_signing_secret_key(tenant: &str) -> String {
    format!("tenants/{tenant}/secrets/signing.previous.json")
}

/// The CRM secrets' key.
pub fn crm_secrets_key(tenant: &str) -> String {
    format!("tenants/{tenant}/secrets/crm.json")
}

/// The CRM connection status's key.
pub fn crm_status_key(tenant: &str) -> String {
    format!("tenants/{tenant}/crm-status.json")
}

/// An API key record's key.
pub fn api_key_key(tenant: &str, key_id: &str) -> String {
    format!("tenants/{tenant}/keys/{key_id}.json")
}

/// A scenario module's key.
pub fn module_key(tenant: &str, version: &str) -> String {
    format!("tenants/{tenant}/scenarios/{version}.wasm")
}

/// The key of what validation found about a module.
pub fn module_info_key(tenant: &str, version: &str) -> String {
    format!("tenants/{tenant}/scenarios/{version}.json")
}

/// The key of a module's artifact precompiled by the engine with compatibility hash
/// `engine`.
pub fn artifact_key(tenant: &str, version: &str, engine: &str) -> String {
    format!("tenants/{tenant}/scenarios/{version}.{engine}.cwasm")
}
