//! Reading and writing tenants through object storage.

use crate::keys::{ApiKeyInfo, ApiKeyRecord, format_key, parse_key};
use crate::secret::{random_hex, same_secret, sha256_hex};
use crate::{
    CrmSecrets, ModuleInfo, TenantSettings, api_key_key, artifact_key, crm_secrets_key,
    history_key, module_info_key, module_key, previous_signing_secret_key, settings_key,
    signing_secret_key, validate_tenant_id,
};
use bytes::Bytes;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
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
            TenantStoreError::Storage(_) => "storage_error",
        }
    }
}

/// One change of a tenant's settings, kept at `tenants/{tenant}/history/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The revision this change made.
    pub revision: u64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who: `operator`, `key:{id}`, `seed`.
    pub by: String,
    /// What, in a few words (`activate 3f2a…`, `settings: voice`).
    pub change: String,
    /// The settings after the change.
    pub settings: TenantSettings,
}

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

/// How many times a settings change is retried when other writers keep winning.
const UPDATE_ATTEMPTS: usize = 16;

/// The current time as RFC 3339 UTC.
pub(crate) fn now_utc() -> String {
    sva_abi::clock::rfc3339(sva_kit::unix_now() as i64, 0)
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

    /// Reads a JSON document.
    async fn read_json<T: DeserializeOwned>(
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

    /// The tenant's settings, if the tenant exists.
    ///
    /// The history is the truth and `tenant.json` its latest landed copy: a writer may
    /// have stopped, or been overtaken, before landing its revision, so the newer
    /// history entries, if any, are applied on read. A creation that stopped before its
    /// settings document is found the same way.
    pub async fn settings(&self, id: &str) -> Result<Option<TenantSettings>, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        let key = settings_key(id);
        let landed = match self.read_json::<TenantSettings>(&key).await? {
            Some(settings) => settings,
            None => match self.read_json::<HistoryEntry>(&history_key(id, 1)).await? {
                Some(created) => created.settings,
                None => return Ok(None),
            },
        };
        if landed.id != id {
            return Err(TenantStoreError::Damaged {
                key,
                reason: format!("it names tenant {:?}", landed.id),
            });
        }
        let mut settings = landed;
        while let Some(next) = self
            .read_json::<HistoryEntry>(&history_key(id, settings.revision + 1))
            .await?
            .filter(|e| e.settings.id == id && e.settings.revision == settings.revision + 1)
        {
            settings = next.settings;
        }
        Ok(Some(settings))
    }

    /// Every tenant's settings, by id.
    ///
    /// Lists the whole `tenants/` prefix: fine for thousands of tenants, an index is
    /// due beyond that.
    pub async fn list(&self) -> Result<Vec<TenantSettings>, TenantStoreError> {
        let mut tenants = Vec::new();
        for key in self.store.list("tenants/").await? {
            let Some(id) = key
                .strip_prefix("tenants/")
                .and_then(|k| k.strip_suffix("/tenant.json"))
                .filter(|id| !id.contains('/'))
            else {
                continue;
            };
            if let Some(settings) = self.settings(id).await? {
                tenants.push(settings);
            }
        }
        Ok(tenants)
    }

    /// Writes the tenant's settings as they are, outside the history (newer history
    /// entries still win on read): for tests and migrations. Changes go through
    /// [`TenantStore::update_settings`].
    pub async fn put_settings(&self, settings: &TenantSettings) -> Result<(), TenantStoreError> {
        validate_tenant_id(&settings.id).map_err(TenantStoreError::InvalidId)?;
        self.store
            .put(&settings_key(&settings.id), to_json(settings))
            .await?;
        Ok(())
    }

    /// Creates a tenant (revision 1), failing with
    /// [`TenantStoreError::TenantExists`] if the id is taken.
    pub async fn create(
        &self,
        settings: &TenantSettings,
        by: &str,
    ) -> Result<TenantSettings, TenantStoreError> {
        validate_tenant_id(&settings.id).map_err(TenantStoreError::InvalidId)?;
        let mut settings = settings.clone();
        settings.revision = 1;
        let entry = HistoryEntry {
            revision: 1,
            at: now_utc(),
            by: by.to_owned(),
            change: "created".into(),
            settings: settings.clone(),
        };
        if !self
            .store
            .put_if_absent(&history_key(&settings.id, 1), to_json(&entry))
            .await?
        {
            return Err(TenantStoreError::TenantExists(settings.id));
        }
        self.store
            .put(&settings_key(&settings.id), to_json(&settings))
            .await?;
        Ok(settings)
    }

    /// Changes the tenant's settings with `change` and records who did what.
    ///
    /// Revisions are claimed by creating their history entry (create-only), so two
    /// writers — two admin instances — never both win one: the loser reads the new
    /// settings and applies its change again on top. A writer that stops (or lands late)
    /// after its history entry cannot hide it: [`TenantStore::settings`] applies newer
    /// entries on read. Errors of `change` are returned as they are and nothing is
    /// written.
    pub async fn update_settings<E>(
        &self,
        id: &str,
        by: &str,
        what: &str,
        change: impl FnMut(&mut TenantSettings) -> Result<(), E>,
    ) -> Result<TenantSettings, E>
    where
        E: From<TenantStoreError>,
    {
        self.update_with(id, by, what, false, change).await
    }

    /// Like [`TenantStore::update_settings`]; with `always` it makes a revision even
    /// when the settings do not change: for events the history must show, such as a
    /// secret changed (the secret itself is never in the settings).
    pub async fn update_with<E>(
        &self,
        id: &str,
        by: &str,
        what: &str,
        always: bool,
        mut change: impl FnMut(&mut TenantSettings) -> Result<(), E>,
    ) -> Result<TenantSettings, E>
    where
        E: From<TenantStoreError>,
    {
        for _ in 0..UPDATE_ATTEMPTS {
            let current = self
                .settings(id)
                .await?
                .ok_or_else(|| TenantStoreError::UnknownTenant(id.to_owned()))?;
            let mut next = current.clone();
            change(&mut next)?;
            next.id = current.id.clone();
            next.revision = current.revision + 1;
            let unchanged = TenantSettings {
                revision: current.revision,
                ..next.clone()
            };
            if unchanged == current && !always {
                return Ok(current);
            }
            let entry = HistoryEntry {
                revision: next.revision,
                at: now_utc(),
                by: by.to_owned(),
                change: what.to_owned(),
                settings: next.clone(),
            };
            let key = history_key(id, next.revision);
            if self
                .store
                .put_if_absent(&key, to_json(&entry))
                .await
                .map_err(TenantStoreError::from)?
            {
                self.store
                    .put(&settings_key(id), to_json(&next))
                    .await
                    .map_err(TenantStoreError::from)?;
                return Ok(next);
            }
            // Someone else claimed this revision first: read again (their change
            // included) and apply ours on top.
        }
        Err(TenantStoreError::Contended(id.to_owned()).into())
    }

    /// The tenant's settings history, oldest first.
    pub async fn history(&self, id: &str) -> Result<Vec<HistoryEntry>, TenantStoreError> {
        validate_tenant_id(id).map_err(TenantStoreError::InvalidId)?;
        let mut entries = Vec::new();
        for key in self.store.list(&format!("tenants/{id}/history/")).await? {
            if let Some(entry) = self.read_json(&key).await? {
                entries.push(entry);
            }
        }
        Ok(entries)
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
}

impl TenantStore {
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

/// A document as stored: pretty JSON.
fn to_json<T: Serialize>(value: &T) -> Bytes {
    // Our documents are plain data: serialising them cannot fail.
    Bytes::from(serde_json::to_vec_pretty(value).unwrap_or_default())
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

    fn store() -> (tempfile::TempDir, TenantStore) {
        let dir = tempfile::tempdir().unwrap();
        let tenants = TenantStore::new(Arc::new(LocalDir::new(dir.path())));
        (dir, tenants)
    }

    #[tokio::test]
    async fn concurrent_changes_are_all_kept_and_recorded() {
        let (_dir, tenants) = store();
        let created = tenants
            .create(&TenantSettings::new("acme", "Акме", "станки"), "operator")
            .await
            .unwrap();
        assert_eq!(created.revision, 1);
        assert!(matches!(
            tenants.create(&created, "operator").await,
            Err(TenantStoreError::TenantExists(_))
        ));
        let writers = (0..8).map(|i| {
            let tenants = tenants.clone();
            tokio::spawn(async move {
                tenants
                    .update_settings("acme", "test", &format!("text {i}"), |s| {
                        s.texts.insert(format!("t{i}"), format!("текст {i}"));
                        Ok::<_, TenantStoreError>(())
                    })
                    .await
                    .unwrap()
            })
        });
        for writer in writers.collect::<Vec<_>>() {
            writer.await.unwrap();
        }
        let settings = tenants.settings("acme").await.unwrap().unwrap();
        assert_eq!(
            settings.texts.len(),
            8,
            "every change kept: {:?}",
            settings.texts
        );
        assert_eq!(settings.revision, 9);
        let history = tenants.history("acme").await.unwrap();
        assert_eq!(history.len(), 9);
        assert_eq!(history[0].change, "created");
        // A change that changes nothing makes no revision.
        let same = tenants
            .update_settings("acme", "test", "nothing", |_| Ok::<_, TenantStoreError>(()))
            .await
            .unwrap();
        assert_eq!(same.revision, 9);
        // A refused change writes nothing.
        let refused: Result<_, TenantStoreError> = tenants
            .update_settings("acme", "test", "refused", |_| {
                Err(TenantStoreError::Contended("x".into()))
            })
            .await;
        assert!(refused.is_err());
        assert_eq!(tenants.history("acme").await.unwrap().len(), 9);
        assert!(matches!(
            tenants
                .update_settings("nobody", "t", "x", |_| Ok::<_, TenantStoreError>(()))
                .await,
            Err(TenantStoreError::UnknownTenant(_))
        ));
    }

    #[tokio::test]
    async fn a_writer_that_stopped_midway_is_completed_by_the_next() {
        let (_dir, tenants) = store();
        let created = tenants
            .create(&TenantSettings::new("acme", "Акме", "станки"), "operator")
            .await
            .unwrap();
        // Revision 2 claimed, its settings write never made.
        let mut stopped = created.clone();
        stopped.revision = 2;
        stopped.voice = "ru_RU_ermil".into();
        let entry = HistoryEntry {
            revision: 2,
            at: now_utc(),
            by: "crashed".into(),
            change: "voice".into(),
            settings: stopped,
        };
        tenants
            .store()
            .put(&history_key("acme", 2), to_json(&entry))
            .await
            .unwrap();
        let next = tenants
            .update_settings("acme", "test", "company", |s| {
                s.company = "Акме+".into();
                Ok::<_, TenantStoreError>(())
            })
            .await
            .unwrap();
        assert_eq!(next.revision, 3);
        assert_eq!(next.voice, "ru_RU_ermil");
        assert_eq!(next.company, "Акме+");
    }

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

    #[tokio::test]
    async fn a_late_or_missing_landing_does_not_hide_a_revision() {
        let (_dir, tenants) = store();
        let created = tenants
            .create(&TenantSettings::new("acme", "Акме", "станки"), "operator")
            .await
            .unwrap();
        let second = tenants
            .update_settings("acme", "b", "voice", |s| {
                s.voice = "ru_RU_ermil".into();
                Ok::<_, TenantStoreError>(())
            })
            .await
            .unwrap();
        assert_eq!(second.revision, 2);
        // A slow writer lands revision 1 over revision 2.
        tenants.put_settings(&created).await.unwrap();
        let read = tenants.settings("acme").await.unwrap().unwrap();
        assert_eq!((read.revision, read.voice.as_str()), (2, "ru_RU_ermil"));

        // A creation that stopped after its history entry: the tenant exists.
        let entry = HistoryEntry {
            revision: 1,
            at: now_utc(),
            by: "operator".into(),
            change: "created".into(),
            settings: TenantSettings {
                revision: 1,
                ..TenantSettings::new("beta", "Бета", "станки")
            },
        };
        tenants
            .store()
            .put(&history_key("beta", 1), to_json(&entry))
            .await
            .unwrap();
        assert_eq!(
            tenants.settings("beta").await.unwrap().map(|s| s.company),
            Some("Бета".to_owned())
        );
        assert!(matches!(
            tenants.create(&entry.settings, "operator").await,
            Err(TenantStoreError::TenantExists(_))
        ));
    }

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
