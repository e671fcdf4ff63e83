//! The secrets, apart from the settings so that reading or returning the settings can
//! never leak one: the VoxEngine signing secret, the ones it replaced while they are in
//! their grace period, and the CRM secrets.

use super::{TenantStore, TenantStoreError, to_json};
use crate::{
    CrmSecrets, CrmStatus, crm_secrets_key, crm_status_key, previous_signing_secret_key,
    signing_secret_key, validate_tenant_id,
};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// How long a replaced signing secret is still accepted: calls in flight and the
/// VoxEngine application keep working while the new secret is deployed.
pub const SIGNING_GRACE_S: u64 = 3600;

/// At most this many replaced signing secrets are kept in their grace period.
const MAX_PREVIOUS_SECRETS: usize = 4;

/// A replaced signing secret and until when (Unix seconds) it is accepted.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviousSecret {
    /// The secret.
    pub secret: String,
    /// Accepted until this Unix second.
    pub valid_until: u64,
}

impl std::fmt::Debug for PreviousSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreviousSecret")
            .field("secret", &"***")
            .field("valid_until", &self.valid_until)
            .finish()
    }
}

impl TenantStore {
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

    /// Replaces the signing secret with `secret`. With `keep_previous`, the current one
    /// stays accepted for [`SIGNING_GRACE_S`] more seconds after `now` (and secrets
    /// replaced earlier keep what is left of their grace: rotating twice in a row does
    /// not cut off the one VoxEngine still uses). Without it, every older secret stops
    /// working at once — for a leaked secret. Returns until when the current one is
    /// accepted, if it is.
    pub async fn rotate_signing_secret(
        &self,
        id: &str,
        secret: &str,
        now: u64,
        keep_previous: bool,
    ) -> Result<Option<u64>, TenantStoreError> {
        let mut previous = Vec::new();
        let mut until = None;
        if keep_previous {
            previous = self.previous_signing_secrets(id, now).await?;
            if let Some(current) = self.signing_secret(id).await?.filter(|s| !s.is_empty()) {
                let valid_until = now + SIGNING_GRACE_S;
                previous.retain(|p| p.secret != current);
                previous.push(PreviousSecret {
                    secret: current,
                    valid_until,
                });
                until = Some(valid_until);
            }
            let excess = previous.len().saturating_sub(MAX_PREVIOUS_SECRETS);
            previous.drain(..excess);
        }
        self.store
            .put(&previous_signing_secret_key(id), to_json(&previous))
            .await?;
        self.put_signing_secret(id, secret).await?;
        Ok(until)
    }

    /// The replaced signing secrets still in their grace period at `now`, oldest first.
    pub async fn previous_signing_secrets(
        &self,
        id: &str,
        now: u64,
    ) -> Result<Vec<PreviousSecret>, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        let previous: Option<Vec<PreviousSecret>> =
            self.read_json(&previous_signing_secret_key(id)).await?;
        let mut previous = previous.unwrap_or_default();
        previous.retain(|p| p.valid_until > now);
        Ok(previous)
    }

    /// The tenant's CRM secrets (empty when none were set).
    pub async fn crm_secrets(&self, id: &str) -> Result<CrmSecrets, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        Ok(self
            .read_json(&crm_secrets_key(id))
            .await?
            .unwrap_or_default())
    }

    /// Replaces the tenant's CRM secrets.
    pub async fn put_crm_secrets(
        &self,
        id: &str,
        secrets: &CrmSecrets,
    ) -> Result<(), TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        self.store
            .put(&crm_secrets_key(id), to_json(secrets))
            .await?;
        Ok(())
    }
}

impl TenantStore {
    /// What the tenant's CRM portal showed (empty when nothing yet). Not a secret; kept
    /// beside them because it is written by the same hands.
    pub async fn crm_status(&self, id: &str) -> Result<CrmStatus, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        Ok(self
            .read_json(&crm_status_key(id))
            .await?
            .unwrap_or_default())
    }

    /// Replaces what the tenant's CRM portal showed.
    pub async fn put_crm_status(
        &self,
        id: &str,
        status: &CrmStatus,
    ) -> Result<(), TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        self.store.put(&crm_status_key(id), to_json(status)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::store;

    #[tokio::test]
    async fn rotating_twice_keeps_the_secret_in_use() {
        let (_dir, tenants) = store();
        tenants.put_signing_secret("acme", "s0").await.unwrap();
        let until = tenants
            .rotate_signing_secret("acme", "s1", 1000, true)
            .await
            .unwrap();
        assert_eq!(until, Some(1000 + SIGNING_GRACE_S));
        tenants
            .rotate_signing_secret("acme", "s2", 1010, true)
            .await
            .unwrap();
        let kept: Vec<String> = tenants
            .previous_signing_secrets("acme", 1020)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.secret)
            .collect();
        assert_eq!(kept, ["s0", "s1"]);
        assert!(
            tenants
                .previous_signing_secrets("acme", 1000 + SIGNING_GRACE_S)
                .await
                .unwrap()
                .iter()
                .all(|p| p.secret == "s1")
        );
        // A leaked secret: every older one stops at once.
        let until = tenants
            .rotate_signing_secret("acme", "s3", 1030, false)
            .await
            .unwrap();
        assert_eq!(until, None);
        assert!(
            tenants
                .previous_signing_secrets("acme", 1030)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            tenants.signing_secret("acme").await.unwrap().as_deref(),
            Some("s3")
        );
    }
}
