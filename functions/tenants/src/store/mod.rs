//! Reading and writing tenants through object storage, one file per kind of data: the
//! settings and their history ([`settings`](mod@settings)), the secrets ([`secrets`]),
//! the API keys ([`keys`]), the scenario modules ([`modules`]) and the do-not-call list
//! ([`do_not_call`](mod@do_not_call)). The layout is the
//! crate's (`tenants/{tenant}/…`, see the crate documentation).

mod do_not_call;
mod keys;
mod modules;
mod secrets;
mod settings;

pub use modules::module_version;
pub use secrets::{PreviousSecret, SIGNING_GRACE_S};
pub use settings::HistoryEntry;

use bytes::Bytes;
use serde::{Serialize, de::DeserializeOwned};
use sva_kit::storage::{DynStore, StorageError};

/// Why a tenant operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TenantStoreError {
    /// The id is not a valid tenant id.
    #[error("{0}")]
    InvalidId(String),
    /// No tenant has this id.
    #[error("there is no tenant {0:?}")]
    UnknownTenant(String),
    /// A tenant with this id already exists.
    #[error("a tenant {0:?} already exists")]
    TenantExists(String),
    /// Other writers kept changing the settings; nothing was written.
    #[error("the settings of {0:?} are being changed by someone else; try again")]
    Contended(String),
    /// A stored document does not parse.
    #[error("the stored document {key} is damaged: {reason}")]
    Damaged {
        /// Its key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A number is not in E.164 form (the message masks it).
    #[error("{0}")]
    InvalidNumber(String),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl TenantStoreError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            TenantStoreError::InvalidId(_) => "invalid_tenant_id",
            TenantStoreError::UnknownTenant(_) => "unknown_tenant",
            TenantStoreError::TenantExists(_) => "tenant_exists",
            TenantStoreError::Contended(_) => "contended",
            TenantStoreError::Damaged { .. } => "damaged_document",
            TenantStoreError::InvalidNumber(_) => "invalid_number",
            TenantStoreError::Storage(_) => "storage_error",
        }
    }
}

/// The current time as RFC 3339 UTC.
pub(crate) fn now_utc() -> String {
    sva_abi::clock::rfc3339(sva_kit::unix_now() as i64, 0)
}

/// Tenants in object storage.
#[derive(Debug, Clone)]
pub struct TenantStore {
    pub(super) store: DynStore,
}

impl TenantStore {
    /// Tenants kept in `store`.
    pub fn new(store: DynStore) -> TenantStore {
        TenantStore { store }
    }

    /// The underlying store.
    pub fn store(&self) -> &DynStore {
        &self.store
    }

    /// Reads a JSON document.
    pub(super) async fn read_json<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, TenantStoreError> {
        let Some(body) = self.store.get(key).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| TenantStoreError::Damaged {
                key: key.to_owned(),
                reason: e.to_string(),
            })
    }
}

/// A document as stored: pretty JSON.
fn to_json<T: Serialize>(value: &T) -> Bytes {
    // Our documents are plain data: serialising them cannot fail.
    Bytes::from(serde_json::to_vec_pretty(value).unwrap_or_default())
}

#[cfg(test)]
pub(super) mod testing {
    use super::TenantStore;
    use std::sync::Arc;
    use sva_kit::storage::LocalDir;

    /// A store in a fresh temporary directory.
    pub(crate) fn store() -> (tempfile::TempDir, TenantStore) {
        let dir = tempfile::tempdir().unwrap();
        let tenants = TenantStore::new(Arc::new(LocalDir::new(dir.path())));
        (dir, tenants)
    }
}
