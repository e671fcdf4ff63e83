//! The settings document and its history: every change claims its revision by creating
//! its history entry, so two writers never both win one, and the history is the audit
//! log.

use super::{TenantStore, TenantStoreError, now_utc, to_json};
use crate::{TenantSettings, history_key, settings_key, validate_tenant_id};
use serde::{Deserialize, Serialize};

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

/// How many times a settings change is retried when other writers keep winning.
const UPDATE_ATTEMPTS: usize = 16;

impl TenantStore {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::store;

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
}
