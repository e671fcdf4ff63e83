//! Reading and writing tenants through object storage.

use crate::{TenantSettings, module_key, settings_key, signing_secret_key, validate_tenant_id};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use sva_kit::storage::{DynStore, StorageError};

/// Why a tenant operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TenantStoreError {
    /// The id is not a valid tenant id.
    #[error("{0}")]
    InvalidId(String),
    /// A stored document does not parse.
    #[error("the stored document {key} is damaged: {reason}")]
    Damaged {
        /// Its key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl TenantStoreError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            TenantStoreError::InvalidId(_) => "invalid_tenant_id",
            TenantStoreError::Damaged { .. } => "damaged_document",
            TenantStoreError::Storage(_) => "storage_error",
        }
    }
}

/// A scenario module's version: the lowercase hex sha256 of its bytes.
pub fn module_version(wasm: &[u8]) -> String {
    hex::encode(Sha256::digest(wasm))
}

/// Tenants in object storage.
#[derive(Debug, Clone)]
pub struct TenantStore {
    store: DynStore,
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

    /// The tenant's settings, if the tenant exists.
    pub async fn settings(&self, id: &str) -> Result<Option<TenantSettings>, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        let key = settings_key(id);
        let Some(body) = self.store.get(&key).await? else {
            return Ok(None);
        };
        let settings: TenantSettings =
            serde_json::from_slice(&body).map_err(|e| TenantStoreError::Damaged {
                key: key.clone(),
                reason: e.to_string(),
            })?;
        if settings.id != id {
            return Err(TenantStoreError::Damaged {
                key,
                reason: format!("it names tenant {:?}", settings.id),
            });
        }
        Ok(Some(settings))
    }

    /// Writes the tenant's settings.
    pub async fn put_settings(&self, settings: &TenantSettings) -> Result<(), TenantStoreError> {
        validate_tenant_id(&settings.id).map_err(TenantStoreError::InvalidId)?;
        let body = serde_json::to_vec_pretty(settings).unwrap_or_default();
        self.store
            .put(&settings_key(&settings.id), Bytes::from(body))
            .await?;
        Ok(())
    }

    /// The tenant's VoxEngine signing secret (its text is the HMAC key).
    pub async fn signing_secret(&self, id: &str) -> Result<Option<String>, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        let key = signing_secret_key(id);
        let Some(body) = self.store.get(&key).await? else {
            return Ok(None);
        };
        String::from_utf8(body.to_vec())
            .map(|s| Some(s.trim().to_owned()))
            .map_err(|_| TenantStoreError::Damaged {
                key,
                reason: "not UTF-8".into(),
            })
    }

    /// Replaces the tenant's signing secret.
    pub async fn put_signing_secret(&self, id: &str, secret: &str) -> Result<(), TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        self.store
            .put(&signing_secret_key(id), Bytes::from(secret.to_owned()))
            .await?;
        Ok(())
    }

    /// Stores a scenario module (create-only: the same bytes are the same version);
    /// returns its version.
    pub async fn put_module(&self, id: &str, wasm: &[u8]) -> Result<String, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        let version = module_version(wasm);
        self.store
            .put_if_absent(&module_key(id, &version), Bytes::copy_from_slice(wasm))
            .await?;
        Ok(version)
    }

    /// A stored scenario module; its bytes are checked against the version.
    pub async fn module(&self, id: &str, version: &str) -> Result<Option<Bytes>, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        if version.len() != 64 || !version.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let key = module_key(id, version);
        let Some(wasm) = self.store.get(&key).await? else {
            return Ok(None);
        };
        if module_version(&wasm) != version {
            return Err(TenantStoreError::Damaged {
                key,
                reason: "its content does not match its version hash".into(),
            });
        }
        Ok(Some(wasm))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use sva_kit::storage::LocalDir;

    #[tokio::test]
    async fn round_trips_and_checks() {
        let dir = tempfile::tempdir().unwrap();
        let tenants = TenantStore::new(Arc::new(LocalDir::new(dir.path())));
        assert!(tenants.settings("demo").await.unwrap().is_none());
        let settings = TenantSettings::new("demo", "ТехноСклад", "склады");
        tenants.put_settings(&settings).await.unwrap();
        assert_eq!(tenants.settings("demo").await.unwrap(), Some(settings));
        assert!(matches!(
            tenants.settings("../x").await,
            Err(TenantStoreError::InvalidId(_))
        ));

        tenants.put_signing_secret("demo", "s3cret").await.unwrap();
        assert_eq!(
            tenants.signing_secret("demo").await.unwrap().as_deref(),
            Some("s3cret")
        );
        // The settings document never carries the secret.
        let raw = std::fs::read_to_string(dir.path().join("tenants/demo/tenant.json")).unwrap();
        assert!(!raw.contains("s3cret"));

        let v = tenants.put_module("demo", b"\0asm module").await.unwrap();
        assert_eq!(v, module_version(b"\0asm module"));
        assert_eq!(
            tenants.put_module("demo", b"\0asm module").await.unwrap(),
            v
        );
        assert_eq!(
            tenants.module("demo", &v).await.unwrap().unwrap().as_ref(),
            b"\0asm module"
        );
        assert!(tenants.module("demo", "nothex").await.unwrap().is_none());
        // Another tenant does not see it.
        assert!(tenants.module("other", &v).await.unwrap().is_none());
        // A tampered module is refused.
        std::fs::write(
            dir.path().join(format!("tenants/demo/scenarios/{v}.wasm")),
            b"changed",
        )
        .unwrap();
        assert!(matches!(
            tenants.module("demo", &v).await,
            Err(TenantStoreError::Damaged { .. })
        ));
    }
}
