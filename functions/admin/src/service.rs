//! The admin operations, independent of HTTP: each takes the [`Caller`] and checks
//! what it may reach before touching storage.

use crate::{AdminError, Caller};
use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use sva_sandbox::Sandbox;
use sva_tenants::secret::{random_hex, same_secret};
use sva_tenants::{
    ApiKeyInfo, CrmConnection, CrmSecrets, DryRun, HistoryEntry, ModuleInfo, ScenarioRouting,
    TenantSettings, TenantStore, module_version, validate_tenant_id,
};
use utoipa::ToSchema;

/// The operator key's minimum length.
pub const MIN_OPERATOR_KEY: usize = 32;

/// The admin function.
pub struct Admin {
    tenants: TenantStore,
    sandbox: Arc<Sandbox>,
    operator_key: String,
    allowed_hosts: Vec<String>,
    knowledge: Option<sva_retrieval::KnowledgeBase>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("operator_key", &"***")
            .field("allowed_hosts", &self.allowed_hosts)
            .finish_non_exhaustive()
    }
}

/// A new tenant, as the operator creates it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// `[a-z0-9-]{1,40}`, not starting with `-`.
    pub id: String,
    /// The company's name as callers should hear it.
    pub company: String,
    /// What it sells, as a short phrase.
    pub product: String,
    /// E.164 number hot leads are transferred to.
    #[serde(default)]
    pub manager_phone: Option<String>,
}

/// A created tenant and its VoxEngine signing secret (shown only here and on rotation).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedTenant {
    /// The tenant as stored.
    pub tenant: TenantView,
    /// The secret the tenant's VoxEngine application signs requests with.
    pub signing_secret: String,
}

/// A tenant's settings as the API shows them: no secret, only which ones are set.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantView {
    /// The settings.
    #[serde(flatten)]
    pub settings: TenantSettings,
    /// The names of the CRM secrets that are set (`webhook_code`, …).
    pub crm_secrets_set: Vec<String>,
}

/// One line of the tenant list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantSummary {
    /// The id.
    pub id: String,
    /// The company.
    pub company: String,
    /// Whether its calls are refused.
    pub disabled: bool,
    /// The active scenario version.
    pub active_version: Option<String>,
    /// The settings' revision.
    pub revision: u64,
}

/// A change of settings: only the fields present change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    /// The company's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// What it sells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// E.164 transfer number; `""` removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_phone: Option<String>,
    /// The Yandex voice (`ru_RU_alena`, `ru_RU_filipp`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// What the caller hears when a turn fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_phrase: Option<String>,
    /// Minutes east of UTC (Moscow: 180).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc_offset_minutes: Option<i32>,
    /// Days call records are kept (1..=3650).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// Scenario texts to set, by key; `""` removes a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub texts: Option<BTreeMap<String, String>>,
    /// Scenario settings: replaces them all.
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<serde_json::Map<String, serde_json::Value>>,
    /// The CRM connection; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub crm: Option<Option<CrmConnection>>,
    /// The tenant's own prices (item id → price in the item's currency) and currency
    /// rates over the operator's price table; replaces the previous ones.
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<sva_costs::Overrides>,
    /// CRM secrets to set (`""` clears one); never returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crm_secrets: Option<CrmSecrets>,
    /// How VoxEngine handles calls: only the fields present change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls: Option<CallsChange>,
}

/// A change of how VoxEngine handles calls: only the fields present change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallsChange {
    /// Record calls from their start (the first phrase is then the recording notice,
    /// the text `recording_notice`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<bool>,
    /// How long a manager's phone rings on a transfer, 5..=120 seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_timeout_s: Option<u32>,
}

/// `Some(value)` for a field that is present, `null` included.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A new API key.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// What the key is for.
    #[serde(default)]
    pub label: String,
}

/// An issued API key: the key itself exists only in this answer.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedKey {
    /// Its description.
    pub info: ApiKeyInfo,
    /// The key: send it as `Authorization: Bearer <key>`.
    pub key: String,
}

/// A new signing secret: shown only in this answer.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct RotatedSecret {
    /// The secret VoxEngine must sign with from now on.
    pub signing_secret: String,
    /// Until when the replaced secret is still accepted (RFC 3339, UTC): deploy the new
    /// one to the VoxEngine application before then. None when the old secrets were
    /// revoked at once.
    pub previous_valid_until: Option<String>,
}

/// One change in a tenant's settings history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryLine {
    /// The revision it made.
    pub revision: u64,
    /// When.
    pub at: String,
    /// Who: `operator`, `key:{id}`, `seed`.
    pub by: String,
    /// What.
    pub change: String,
}

/// An uploaded version and what it does now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionView {
    /// What validation found.
    #[serde(flatten)]
    pub info: ModuleInfo,
    /// `active`, `split` (the other side of an A/B split), `previous` (a rollback
    /// target) or `stored`.
    pub role: String,
    /// The share of new calls it gets, in percent.
    pub share_percent: u8,
}

/// The result of an upload.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Uploaded {
    /// Whether these bytes were new (`false`: the same module was uploaded before).
    pub created: bool,
    /// The version.
    pub version: VersionView,
}

/// A tenant's scenario versions and which serve calls.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScenariosView {
    /// Which versions new calls start on.
    pub routing: ScenarioRouting,
    /// Every uploaded version, oldest first.
    pub versions: Vec<VersionView>,
}

/// An A/B split.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitRequest {
    /// The version (or a unique prefix of at least 8 characters) that gets the share.
    pub version: String,
    /// Its share of new calls, 0..=100 (0 ends the split).
    pub percent: u32,
}

/// `Debug` for the answers that carry a secret: everything but the secret.
macro_rules! debug_without {
    ($ty:ty, $secret:ident, $($field:ident),*) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    .field(stringify!($secret), &"***")
                    .finish()
            }
        }
    };
}
debug_without!(CreatedTenant, signing_secret, tenant);
debug_without!(IssuedKey, key, info);
debug_without!(RotatedSecret, signing_secret, previous_valid_until);

impl Admin {
    /// The admin function over `tenants`, validating uploads in `sandbox`.
    /// `operator_key` must have at least [`MIN_OPERATOR_KEY`] characters.
    pub fn new(
        tenants: TenantStore,
        sandbox: Arc<Sandbox>,
        operator_key: impl Into<String>,
    ) -> Result<Admin, AdminError> {
        let operator_key = operator_key.into();
        if operator_key.len() < MIN_OPERATOR_KEY {
            return Err(AdminError::Invalid(format!(
                "the operator key must have at least {MIN_OPERATOR_KEY} characters"
            )));
        }
        Ok(Admin {
            tenants,
            sandbox,
            operator_key,
            allowed_hosts: Vec::new(),
            knowledge: None,
        })
    }

    /// Hosts a CRM portal may be on although they are not public (the local stack's
    /// CRM sandbox): `host` or `host:port`.
    pub fn with_allowed_hosts(mut self, hosts: Vec<String>) -> Admin {
        self.allowed_hosts = hosts;
        self
    }

    /// Serves the tenants' knowledge bases from `knowledge` (without it the knowledge
    /// endpoints answer `knowledge_base_not_configured`).
    pub fn with_knowledge(mut self, knowledge: sva_retrieval::KnowledgeBase) -> Admin {
        self.knowledge = Some(knowledge);
        self
    }

    pub(crate) fn knowledge_base(&self) -> Option<&sva_retrieval::KnowledgeBase> {
        self.knowledge.as_ref()
    }

    /// The largest module an upload may carry.
    pub fn max_module_bytes(&self) -> usize {
        self.sandbox.limits().max_module_bytes
    }

    /// Who presents `key`: the operator, a tenant's valid key, or nobody.
    pub async fn authenticate(&self, key: &str) -> Result<Caller, AdminError> {
        if same_secret(key, &self.operator_key) {
            return Ok(Caller::Operator);
        }
        match self.tenants.authenticate(key).await? {
            Some((tenant, key_id)) => Ok(Caller::Tenant { tenant, key_id }),
            None => Err(AdminError::Unauthorized),
        }
    }

    /// The tenant's settings if `caller` may act on it: 404 for a tenant it may not
    /// see, exactly as for one that does not exist; 403 for a tenant key of a disabled
    /// tenant.
    pub(crate) async fn visible(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<TenantSettings, AdminError> {
        let missing = || AdminError::NotFound("No such tenant.".into());
        if !caller.may_see(id) || validate_tenant_id(id).is_err() {
            return Err(missing());
        }
        let settings = self.tenants.settings(id).await?.ok_or_else(missing)?;
        if settings.disabled && *caller != Caller::Operator {
            return Err(AdminError::TenantDisabled(id.to_owned()));
        }
        Ok(settings)
    }

    async fn view(&self, settings: TenantSettings) -> Result<TenantView, AdminError> {
        let secrets = self.tenants.crm_secrets(&settings.id).await?;
        Ok(TenantView {
            crm_secrets_set: secrets.names().into_iter().map(String::from).collect(),
            settings,
        })
    }

    /// Creates a tenant with a fresh signing secret (operator only).
    pub async fn create_tenant(
        &self,
        caller: &Caller,
        new: NewTenant,
    ) -> Result<CreatedTenant, AdminError> {
        caller.operator_only()?;
        validate_tenant_id(&new.id).map_err(AdminError::Invalid)?;
        let mut settings = TenantSettings::new(&new.id, &new.company, &new.product);
        let change = SettingsChange {
            manager_phone: new.manager_phone,
            company: Some(new.company),
            product: Some(new.product),
            ..SettingsChange::default()
        };
        apply(&change, &mut settings, &self.allowed_hosts)?;
        // Claim the id first (create-only), then give it its secret: two creations of
        // one id can never hand out a secret that is not the stored one.
        let settings = match self.tenants.create(&settings, &caller.name()).await {
            Err(sva_tenants::TenantStoreError::TenantExists(id)) => {
                return Err(AdminError::TenantExists(id));
            }
            other => other?,
        };
        let secret = random_hex(32);
        self.tenants.put_signing_secret(&new.id, &secret).await?;
        tracing::info!(tenant = %settings.id, "tenant created");
        Ok(CreatedTenant {
            tenant: self.view(settings).await?,
            signing_secret: secret,
        })
    }

    /// Every tenant (operator only).
    pub async fn list_tenants(&self, caller: &Caller) -> Result<Vec<TenantSummary>, AdminError> {
        caller.operator_only()?;
        Ok(self
            .tenants
            .list()
            .await?
            .into_iter()
            .map(|s| TenantSummary {
                id: s.id,
                company: s.company,
                disabled: s.disabled,
                active_version: s.scenario.active,
                revision: s.revision,
            })
            .collect())
    }

    /// The tenant's settings.
    pub async fn tenant(&self, caller: &Caller, id: &str) -> Result<TenantView, AdminError> {
        let settings = self.visible(caller, id).await?;
        self.view(settings).await
    }

    /// Changes the tenant's settings.
    pub async fn change_settings(
        &self,
        caller: &Caller,
        id: &str,
        change: SettingsChange,
    ) -> Result<TenantView, AdminError> {
        self.visible(caller, id).await?;
        // Check everything before writing anything.
        apply(
            &change,
            &mut TenantSettings::new(id, "-", "-"),
            &self.allowed_hosts,
        )?;
        let what = format!("settings: {}", change.fields().join(", "));
        let now = sva_abi::clock::rfc3339(now_secs(), 0);
        // CRM secrets belong to one portal: when the portal or the way in changes, the
        // old ones are dropped so they can never be sent anywhere else.
        let mut portal_moved = false;
        // A secret change shows in the history although the settings may not change.
        let always = change.crm_secrets.is_some();
        let settings = self
            .tenants
            .update_with(id, &caller.name(), &what, always, |s| {
                let before = s.crm.clone();
                apply(&change, s, &self.allowed_hosts)?;
                portal_moved = match (&before, &s.crm) {
                    (Some(a), Some(b)) => a.portal != b.portal || a.auth != b.auth,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                if portal_moved || change.crm_secrets.is_some() {
                    s.secrets_changed_at.insert("crm".into(), now.clone());
                }
                Ok::<_, AdminError>(())
            })
            .await?;
        if portal_moved || change.crm_secrets.is_some() {
            let kept = match portal_moved {
                true => sva_tenants::CrmSecrets::default(),
                false => self.tenants.crm_secrets(id).await?,
            };
            let secrets = kept.merged(&change.crm_secrets.clone().unwrap_or_default());
            self.tenants.put_crm_secrets(id, &secrets).await?;
        }
        self.view(settings).await
    }

    /// Disables or enables a tenant (operator only): a disabled tenant's calls are
    /// refused and its keys answer 403.
    pub async fn set_disabled(
        &self,
        caller: &Caller,
        id: &str,
        disabled: bool,
    ) -> Result<TenantView, AdminError> {
        // Visibility first: a tenant key learns nothing about another tenant, not even
        // that the operation exists for it.
        self.visible(caller, id).await?;
        caller.operator_only()?;
        let what = if disabled { "disabled" } else { "enabled" };
        let settings = self
            .tenants
            .update_settings(id, &caller.name(), what, |s| {
                s.disabled = disabled;
                Ok::<_, AdminError>(())
            })
            .await?;
        tracing::info!(tenant = %id, "tenant {what}");
        self.view(settings).await
    }

    /// The tenant's settings history, oldest first.
    pub async fn history(&self, caller: &Caller, id: &str) -> Result<Vec<HistoryLine>, AdminError> {
        self.visible(caller, id).await?;
        Ok(self
            .tenants
            .history(id)
            .await?
            .into_iter()
            .map(
                |HistoryEntry {
                     revision,
                     at,
                     by,
                     change,
                     ..
                 }| HistoryLine {
                    revision,
                    at,
                    by,
                    change,
                },
            )
            .collect())
    }

    /// Replaces the tenant's VoxEngine signing secret; the new one is in the answer
    /// only. With `keep_previous` the old one is still accepted for an hour
    /// ([`SIGNING_GRACE_S`](sva_tenants::SIGNING_GRACE_S)), so calls in flight go on
    /// while the new one is deployed; without it (a leaked secret) every old one stops
    /// working at once.
    pub async fn rotate_signing_secret(
        &self,
        caller: &Caller,
        id: &str,
        keep_previous: bool,
    ) -> Result<RotatedSecret, AdminError> {
        self.visible(caller, id).await?;
        let now = now_secs();
        let what = match keep_previous {
            true => "rotate signing secret",
            false => "rotate signing secret, old ones revoked",
        };
        self.tenants
            .update_with(id, &caller.name(), what, true, |s| {
                let at = sva_abi::clock::rfc3339(now, 0);
                s.secrets_changed_at.insert("signing".into(), at);
                Ok::<_, AdminError>(())
            })
            .await?;
        let secret = random_hex(32);
        let until = self
            .tenants
            .rotate_signing_secret(id, &secret, now as u64, keep_previous)
            .await?;
        tracing::info!(tenant = %id, by = %caller.name(), keep_previous, "signing secret rotated");
        Ok(RotatedSecret {
            signing_secret: secret,
            previous_valid_until: until.map(|u| sva_abi::clock::rfc3339(u as i64, 0)),
        })
    }

    /// Issues an API key for the tenant (operator only).
    pub async fn issue_key(
        &self,
        caller: &Caller,
        id: &str,
        new: NewKey,
    ) -> Result<IssuedKey, AdminError> {
        self.visible(caller, id).await?;
        caller.operator_only()?;
        if new.label.chars().count() > 100 {
            return Err(AdminError::Invalid(
                "the label is longer than 100 characters".into(),
            ));
        }
        let (info, key) = self.tenants.issue_key(id, &new.label).await?;
        tracing::info!(tenant = %id, key = %info.id, "API key issued");
        Ok(IssuedKey { info, key })
    }

    /// The tenant's API keys, without their secrets.
    pub async fn keys(&self, caller: &Caller, id: &str) -> Result<Vec<ApiKeyInfo>, AdminError> {
        self.visible(caller, id).await?;
        Ok(self.tenants.keys(id).await?)
    }

    /// Revokes one of the tenant's API keys (operator only).
    pub async fn revoke_key(
        &self,
        caller: &Caller,
        id: &str,
        key_id: &str,
    ) -> Result<ApiKeyInfo, AdminError> {
        self.visible(caller, id).await?;
        caller.operator_only()?;
        let info = self
            .tenants
            .revoke_key(id, key_id)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("No API key {key_id}.")))?;
        tracing::info!(tenant = %id, key = %key_id, "API key revoked");
        Ok(info)
    }

    /// Validates, dry-runs, precompiles and stores a scenario module. The same bytes
    /// uploaded again are the same version (`created: false`).
    pub async fn upload(
        &self,
        caller: &Caller,
        id: &str,
        wasm: Bytes,
    ) -> Result<Uploaded, AdminError> {
        let settings = self.visible(caller, id).await?;
        let version = module_version(&wasm);
        if let Some(info) = self.tenants.module_info(id, &version).await? {
            return Ok(Uploaded {
                created: false,
                version: version_view(info, &settings.scenario),
            });
        }
        let sandbox = self.sandbox.clone();
        let bytes = wasm.clone();
        // Compiling and the dry run are CPU work: off the async workers.
        let (report, artifact) =
            tokio::task::spawn_blocking(move || sandbox.validate_for_upload(&bytes))
                .await
                .map_err(|e| {
                    AdminError::Sandbox(sva_sandbox::SandboxError::Engine(e.to_string()))
                })??;
        // Module, then artifact, then the description: the description says it is
        // complete, and an upload that stopped before it is completed by the next one.
        self.tenants.put_module(id, &wasm).await?;
        let engine = self.sandbox.compatibility_hash().to_owned();
        self.tenants
            .put_artifact(id, &version, &engine, Bytes::from(artifact))
            .await?;
        let info = ModuleInfo {
            version: version.clone(),
            size: wasm.len() as u64,
            uploaded_at: sva_abi::clock::rfc3339(now_secs(), 0),
            uploaded_by: caller.name(),
            manifest: report.manifest,
            dry_run: DryRun {
                fuel: report.fuel,
                actions: report
                    .dry_run
                    .actions
                    .iter()
                    .map(|a| {
                        serde_json::to_value(a)
                            .ok()
                            .and_then(|v| v.get("type")?.as_str().map(String::from))
                            .unwrap_or_default()
                    })
                    .collect(),
                said: report
                    .dry_run
                    .actions
                    .iter()
                    .filter_map(|a| match a {
                        sva_abi::Action::Say(say) => Some(say.text.clone()),
                        _ => None,
                    })
                    .collect(),
            },
            artifacts: vec![engine],
        };
        let created = self.tenants.put_module_info_if_absent(id, &info).await?;
        let info = match created {
            true => info,
            // A concurrent upload of the same bytes finished first: report its record.
            false => self
                .tenants
                .module_info(id, &version)
                .await?
                .unwrap_or(info),
        };
        tracing::info!(tenant = %id, version = %version, created, "scenario module uploaded");
        Ok(Uploaded {
            created,
            version: version_view(info, &settings.scenario),
        })
    }

    /// Every uploaded version and the routing.
    pub async fn scenarios(&self, caller: &Caller, id: &str) -> Result<ScenariosView, AdminError> {
        let settings = self.visible(caller, id).await?;
        let versions = self
            .tenants
            .modules(id)
            .await?
            .into_iter()
            .map(|info| version_view(info, &settings.scenario))
            .collect();
        Ok(ScenariosView {
            routing: settings.scenario,
            versions,
        })
    }

    /// One version (a unique prefix of at least 8 characters will do).
    pub async fn version(
        &self,
        caller: &Caller,
        id: &str,
        version: &str,
    ) -> Result<VersionView, AdminError> {
        let settings = self.visible(caller, id).await?;
        let info = self.resolve(id, version).await?;
        Ok(version_view(info, &settings.scenario))
    }

    /// The uploaded version `prefix` names.
    async fn resolve(&self, id: &str, prefix: &str) -> Result<ModuleInfo, AdminError> {
        let prefix = prefix.to_ascii_lowercase();
        let unknown = || AdminError::NotFound(format!("No scenario version {prefix}."));
        if !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(unknown());
        }
        if prefix.len() < 8 {
            return Err(AdminError::Invalid(format!(
                "give at least 8 hex digits of the version, not {prefix:?}"
            )));
        }
        if prefix.len() == 64 {
            return self
                .tenants
                .module_info(id, &prefix)
                .await?
                .ok_or_else(unknown);
        }
        let mut found = self
            .tenants
            .modules(id)
            .await?
            .into_iter()
            .filter(|m| m.version.starts_with(&prefix));
        match (found.next(), found.next()) {
            (Some(one), None) => Ok(one),
            (None, _) => Err(unknown()),
            (Some(_), Some(_)) => Err(AdminError::AmbiguousVersion(prefix)),
        }
    }

    /// Makes a version the active one for new calls; calls in flight keep theirs.
    pub async fn activate(
        &self,
        caller: &Caller,
        id: &str,
        version: &str,
    ) -> Result<ScenarioRouting, AdminError> {
        self.visible(caller, id).await?;
        let info = self.resolve(id, version).await?;
        let what = format!("activate {}", &info.version[..12]);
        let settings = self
            .tenants
            .update_settings(id, &caller.name(), &what, |s| {
                s.scenario.activate(&info.version);
                Ok::<_, AdminError>(())
            })
            .await?;
        tracing::info!(tenant = %id, version = %info.version, "scenario version activated");
        Ok(settings.scenario)
    }

    /// Returns to the version active before the current one.
    pub async fn roll_back(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<ScenarioRouting, AdminError> {
        self.visible(caller, id).await?;
        let settings = self
            .tenants
            .update_settings(id, &caller.name(), "roll back", |s| {
                s.scenario.roll_back().map_err(AdminError::from)
            })
            .await?;
        tracing::info!(tenant = %id, active = ?settings.scenario.active, "scenario rolled back");
        Ok(settings.scenario)
    }

    /// Sends a share of new calls to another version (0 % ends the split).
    pub async fn split(
        &self,
        caller: &Caller,
        id: &str,
        request: SplitRequest,
    ) -> Result<ScenarioRouting, AdminError> {
        self.visible(caller, id).await?;
        if request.percent > 100 {
            return Err(sva_tenants::RoutingError::BadPercent(request.percent).into());
        }
        let version = match request.percent {
            0 => String::new(),
            _ => self.resolve(id, &request.version).await?.version,
        };
        let what = format!(
            "split {}% to {}",
            request.percent,
            version.get(..12).unwrap_or("-")
        );
        let settings = self
            .tenants
            .update_settings(id, &caller.name(), &what, |s| {
                s.scenario
                    .set_split(&version, request.percent)
                    .map_err(AdminError::from)
            })
            .await?;
        Ok(settings.scenario)
    }
}

impl Admin {
    /// The tenant's report over `from..=to` (`YYYY-MM-DD`), streamed over its call
    /// records. At most [`MAX_REPORT_DAYS`] days per request.
    pub async fn report(
        &self,
        caller: &Caller,
        id: &str,
        from: &str,
        to: &str,
    ) -> Result<sva_costs::report::Report, AdminError> {
        self.visible(caller, id).await?;
        let days = sva_costs::scan::days(from, to);
        if days.is_empty() || days.len() > MAX_REPORT_DAYS {
            return Err(AdminError::Invalid(format!(
                "`from` and `to` must be YYYY-MM-DD days, `from` not after `to`, at most {MAX_REPORT_DAYS} days apart"
            )));
        }
        let scope = sva_costs::scan::Scope {
            tenants: vec![id.to_owned()],
            from: from.to_owned(),
            to: to.to_owned(),
        };
        let mut report = sva_costs::report::Report::new();
        sva_costs::scan::scan(self.tenants.store(), &scope, &mut report, |_, _| {})
            .await
            .map_err(sva_tenants::TenantStoreError::from)?;
        Ok(report)
    }
}

/// The longest period one report request may cover.
pub const MAX_REPORT_DAYS: usize = 366;

fn now_secs() -> i64 {
    sva_kit::unix_now() as i64
}

/// A version's role in the routing.
fn version_view(info: ModuleInfo, routing: &ScenarioRouting) -> VersionView {
    let split = routing.split.as_ref();
    let split_share = split.map_or(0, |s| s.percent);
    let (role, share_percent) = if routing.active.as_deref() == Some(info.version.as_str()) {
        ("active", 100 - split_share)
    } else if split.is_some_and(|s| s.version == info.version) {
        ("split", split_share)
    } else if routing.history.contains(&info.version) {
        ("previous", 0)
    } else {
        ("stored", 0)
    };
    VersionView {
        info,
        role: role.into(),
        share_percent,
    }
}

impl SettingsChange {
    /// The names of the fields this change sets.
    pub fn fields(&self) -> Vec<&'static str> {
        let set = [
            ("company", self.company.is_some()),
            ("product", self.product.is_some()),
            ("manager_phone", self.manager_phone.is_some()),
            ("voice", self.voice.is_some()),
            ("fallback_phrase", self.fallback_phrase.is_some()),
            ("utc_offset_minutes", self.utc_offset_minutes.is_some()),
            ("retention_days", self.retention_days.is_some()),
            ("texts", self.texts.is_some()),
            ("settings", self.settings.is_some()),
            ("crm", self.crm.is_some()),
            ("crm_secrets", self.crm_secrets.is_some()),
            ("prices", self.prices.is_some()),
            ("calls", self.calls.is_some()),
        ];
        set.into_iter()
            .filter(|(_, s)| *s)
            .map(|(n, _)| n)
            .collect()
    }
}

/// Checks `change` and applies it to `settings`.
fn apply(
    change: &SettingsChange,
    settings: &mut TenantSettings,
    allowed_hosts: &[String],
) -> Result<(), AdminError> {
    let invalid = |m: String| Err(AdminError::Invalid(m));
    let text = |name: &str, value: &str, max: usize| -> Result<String, AdminError> {
        let value = value.trim();
        if value.is_empty() || value.chars().count() > max {
            return Err(AdminError::Invalid(format!(
                "`{name}` must be 1..={max} characters"
            )));
        }
        Ok(value.to_owned())
    };
    if let Some(v) = &change.company {
        settings.company = text("company", v, 200)?;
    }
    if let Some(v) = &change.product {
        settings.product = text("product", v, 200)?;
    }
    if let Some(v) = &change.fallback_phrase {
        settings.fallback_phrase = text("fallback_phrase", v, 500)?;
    }
    if let Some(phone) = &change.manager_phone {
        settings.manager_phone = match phone.trim() {
            "" => None,
            p if is_e164(p) => Some(p.to_owned()),
            p => {
                return invalid(format!(
                    "`manager_phone` must be E.164 (+74951234567), not {p:?}"
                ));
            }
        };
    }
    if let Some(voice) = &change.voice {
        let ok = voice
            .strip_prefix("ru_RU_")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase()));
        if !ok {
            return invalid(format!(
                "`voice` must be a Russian Yandex voice such as ru_RU_alena, not {voice:?}"
            ));
        }
        settings.voice = voice.clone();
    }
    if let Some(minutes) = change.utc_offset_minutes {
        if !(-720..=840).contains(&minutes) {
            return invalid(format!(
                "`utc_offset_minutes` must be -720..=840, not {minutes}"
            ));
        }
        settings.utc_offset_minutes = minutes;
    }
    if let Some(days) = change.retention_days {
        if !(1..=3650).contains(&days) {
            return invalid(format!("`retention_days` must be 1..=3650, not {days}"));
        }
        settings.retention_days = days;
    }
    if let Some(texts) = &change.texts {
        for (key, value) in texts {
            let key_ok = !key.is_empty()
                && key.len() <= 64
                && key.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.'
                });
            if !key_ok {
                return invalid(format!(
                    "text key {key:?} must be 1..=64 of a-z, 0-9, '_', '.'"
                ));
            }
            if value.is_empty() {
                settings.texts.remove(key);
            } else {
                settings.texts.insert(key.clone(), text(key, value, 1000)?);
            }
        }
    }
    if let Some(map) = &change.settings {
        if serde_json::to_vec(map).map_or(0, |v| v.len()) > 16 * 1024 {
            return invalid("`settings` is larger than 16 KiB".into());
        }
        // The settings travel inside every step's input: deep nesting would break
        // documents that wrap them (the history entry, the step input).
        if map.values().any(|v| depth(v) > MAX_SETTINGS_DEPTH) {
            return invalid(format!(
                "`settings` nests deeper than {MAX_SETTINGS_DEPTH} levels"
            ));
        }
        settings.settings = map.clone();
    }
    if let Some(prices) = &change.prices {
        sva_costs::PriceTable::default_table()
            .with_overrides(prices)
            .map_err(|e| AdminError::Invalid(format!("`prices`: {e}")))?;
        settings.prices = prices.clone();
    }
    if let Some(calls) = &change.calls {
        if let Some(seconds) = calls.transfer_timeout_s {
            if !sva_tenants::TRANSFER_TIMEOUT_S.contains(&seconds) {
                return invalid(format!(
                    "`calls.transfer_timeout_s` must be {}..={} seconds, not {seconds}",
                    sva_tenants::TRANSFER_TIMEOUT_S.start(),
                    sva_tenants::TRANSFER_TIMEOUT_S.end(),
                ));
            }
            settings.calls.transfer_timeout_s = seconds;
        }
        if let Some(record) = calls.record {
            settings.calls.record = record;
        }
    }
    if let Some(crm) = &change.crm {
        if let Some(crm) = crm {
            let url = sva_kit::outbound::check_url(&crm.portal, allowed_hosts)?;
            if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
                return invalid(format!(
                    "`crm.portal` must be the portal's address only (https://acme.bitrix24.ru), not {:?}",
                    crm.portal
                ));
            }
            match crm.auth {
                sva_tenants::CrmAuth::Webhook if crm.webhook_user_id.is_none() => {
                    return invalid("a webhook connection needs `webhook_user_id`".into());
                }
                sva_tenants::CrmAuth::Oauth if crm.client_id.is_none() => {
                    return invalid("an OAuth connection needs `client_id`".into());
                }
                _ => {}
            }
            for (slot, field) in &crm.fields {
                if !field.starts_with("UF_CRM_") {
                    return invalid(format!(
                        "`crm.fields.{slot}` must name a custom field (UF_CRM_…), not {field:?}"
                    ));
                }
            }
        }
        settings.crm = crm.clone().map(|mut crm| {
            // Stored as the origin the check parsed, not as typed.
            if let Ok(url) = url::Url::parse(&crm.portal) {
                crm.portal = url.origin().ascii_serialization();
            }
            crm
        });
    }
    Ok(())
}

/// How deep scenario settings may nest.
const MAX_SETTINGS_DEPTH: usize = 8;

/// How deep a JSON value nests (a scalar: 0).
fn depth(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        serde_json::Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// `+` and 10..=15 digits.
fn is_e164(phone: &str) -> bool {
    phone
        .strip_prefix('+')
        .is_some_and(|d| (10..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}
