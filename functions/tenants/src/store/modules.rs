//! Scenario modules: the bytes (named by their hash), what validation found, and the
//! artifacts precompiled for each engine.

use super::{TenantStore, TenantStoreError, to_json};
use crate::{ModuleInfo, artifact_key, module_info_key, module_key, validate_tenant_id};
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// A scenario module's version: the lowercase hex sha256 of its bytes.
pub fn module_version(wasm: &[u8]) -> String {
    hex::encode(Sha256::digest(wasm))
}

impl TenantStore {
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
        if !is_version(version) {
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

    /// Records what validation found about a stored module, unless it is already
    /// recorded (a version's description never changes): `true` if this wrote it.
    pub async fn put_module_info_if_absent(
        &self,
        id: &str,
        info: &ModuleInfo,
    ) -> Result<bool, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        Ok(self
            .store
            .put_if_absent(&module_info_key(id, &info.version), to_json(info))
            .await?)
    }

    /// What validation found about a module, if it was uploaded through validation.
    pub async fn module_info(
        &self,
        id: &str,
        version: &str,
    ) -> Result<Option<ModuleInfo>, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        if !is_version(version) {
            return Ok(None);
        }
        self.read_json(&module_info_key(id, version)).await
    }

    /// Every stored module's description, oldest upload first.
    pub async fn modules(&self, id: &str) -> Result<Vec<ModuleInfo>, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        let mut modules: Vec<ModuleInfo> = Vec::new();
        for key in self.store.list(&format!("tenants/{id}/scenarios/")).await? {
            let is_info = key
                .rsplit('/')
                .next()
                .and_then(|name| name.strip_suffix(".json"))
                .is_some_and(is_version);
            if is_info && let Some(info) = self.read_json(&key).await? {
                modules.push(info);
            }
        }
        modules.sort_by(|a, b| a.uploaded_at.cmp(&b.uploaded_at));
        Ok(modules)
    }

    /// Stores a module's artifact precompiled by the engine with compatibility hash
    /// `engine`.
    pub async fn put_artifact(
        &self,
        id: &str,
        version: &str,
        engine: &str,
        artifact: Bytes,
    ) -> Result<(), TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        self.store
            .put(&artifact_key(id, version, engine), artifact)
            .await?;
        Ok(())
    }

    /// A module's artifact precompiled by the engine `engine`, if one was stored.
    pub async fn artifact(
        &self,
        id: &str,
        version: &str,
        engine: &str,
    ) -> Result<Option<Bytes>, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        if !is_version(version) {
            return Ok(None);
        }
        Ok(self.store.get(&artifact_key(id, version, engine)).await?)
    }
}

/// Whether `s` looks like a module version (64 hex digits).
fn is_version(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TenantSettings;
    use crate::store::testing::store;
    #[tokio::test]
    async fn round_trips_and_checks() {
        let (dir, tenants) = store();
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
