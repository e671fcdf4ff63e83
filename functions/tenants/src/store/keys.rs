//! Tenants' API keys: stored as the hash of their secret, revocable, found by the id
//! the key carries.

use super::{TenantStore, TenantStoreError, now_utc, to_json};
use crate::keys::{ApiKeyInfo, ApiKeyRecord, format_key, parse_key};
use crate::secret::{random_hex, same_secret, sha256_hex};
use crate::{api_key_key, validate_tenant_id};

impl TenantStore {
    /// Issues an API key for the tenant: its description, and the key's text, which
    /// exists only in this answer (the store keeps its hash).
    pub async fn issue_key(
        &self,
        id: &str,
        label: &str,
    ) -> Result<(ApiKeyInfo, String), TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        let key_id = random_hex(8);
        let secret = random_hex(32);
        let record = ApiKeyRecord {
            id: key_id.clone(),
            label: label.to_owned(),
            hash: sha256_hex(&secret),
            created_at: now_utc(),
            revoked_at: None,
        };
        self.store
            .put_if_absent(&api_key_key(id, &key_id), to_json(&record))
            .await?;
        Ok((ApiKeyInfo::from(&record), format_key(id, &key_id, &secret)))
    }

    /// The tenant's API keys, revoked ones included.
    pub async fn keys(&self, id: &str) -> Result<Vec<ApiKeyInfo>, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        let mut keys = Vec::new();
        for key in self.store.list(&format!("tenants/{id}/keys/")).await? {
            if let Some(record) = self.read_json::<ApiKeyRecord>(&key).await? {
                keys.push(ApiKeyInfo::from(&record));
            }
        }
        Ok(keys)
    }

    /// Revokes a key; `None` if the tenant has no such key. Revoking twice keeps the
    /// first revocation time.
    pub async fn revoke_key(
        &self,
        id: &str,
        key_id: &str,
    ) -> Result<Option<ApiKeyInfo>, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        if key_id.len() != 16 || !key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let key = api_key_key(id, key_id);
        let Some(mut record) = self.read_json::<ApiKeyRecord>(&key).await? else {
            return Ok(None);
        };
        if record.revoked_at.is_none() {
            record.revoked_at = Some(now_utc());
            self.store.put(&key, to_json(&record)).await?;
        }
        Ok(Some(ApiKeyInfo::from(&record)))
    }

    /// The tenant and key id of a valid, unrevoked API key; `None` for anything else.
    pub async fn authenticate(
        &self,
        presented: &str,
    ) -> Result<Option<(String, String)>, TenantStoreError> {
        let Some(parts) = parse_key(presented) else {
            return Ok(None);
        };
        let record = self
            .read_json::<ApiKeyRecord>(&api_key_key(parts.tenant, parts.id))
            .await?;
        Ok(record
            .filter(|r| r.revoked_at.is_none() && same_secret(&r.hash, &sha256_hex(parts.secret)))
            .map(|_| (parts.tenant.to_owned(), parts.id.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing::store;

    #[tokio::test]
    async fn api_keys_are_stored_hashed_and_revocable() {
        let (dir, tenants) = store();
        let (info, key) = tenants.issue_key("acme", "crm integrator").await.unwrap();
        assert_eq!(
            tenants.authenticate(&key).await.unwrap(),
            Some(("acme".into(), info.id.clone()))
        );
        let secret = key.rsplit('_').next().unwrap();
        let stored = std::fs::read_to_string(
            dir.path()
                .join(format!("tenants/acme/keys/{}.json", info.id)),
        )
        .unwrap();
        assert!(!stored.contains(secret));
        // The same key id under another tenant, or a changed secret, is nobody.
        let other = key.replacen("sva_acme_", "sva_other_", 1);
        assert_eq!(tenants.authenticate(&other).await.unwrap(), None);
        let mut wrong = key.clone();
        wrong.replace_range(key.len() - 1.., if key.ends_with('0') { "1" } else { "0" });
        assert_eq!(tenants.authenticate(&wrong).await.unwrap(), None);
        assert_eq!(tenants.authenticate("sva_nonsense").await.unwrap(), None);
        let revoked = tenants.revoke_key("acme", &info.id).await.unwrap().unwrap();
        assert!(revoked.revoked_at.is_some());
        assert_eq!(tenants.authenticate(&key).await.unwrap(), None);
        assert_eq!(tenants.keys("acme").await.unwrap(), vec![revoked]);
        assert!(
            tenants
                .revoke_key("other", &info.id)
                .await
                .unwrap()
                .is_none()
        );
    }
}
