//! What the dialog function needs to know about tenants, and where it gets it.

use async_trait::async_trait;
use std::sync::Arc;
use sva_abi::TenantContext;
pub use sva_tenants::ScenarioRouting;
use sva_turn::Stepper;

/// A tenant as the dialog function sees it.
#[derive(Clone, PartialEq)]
pub struct Tenant {
    /// The tenant's settings that scenarios read (company, product, texts, manager).
    pub context: TenantContext,
    /// The secret VoxEngine signs this tenant's requests with.
    pub signing_secret: Vec<u8>,
    /// The secrets it replaced and until when (Unix seconds) each is still accepted.
    pub previous_secrets: Vec<(Vec<u8>, u64)>,
    /// A disabled tenant's calls are refused.
    pub disabled: bool,
    /// What the caller hears when the scenario fails a turn.
    pub fallback_phrase: String,
    /// The Yandex voice for `say`, e.g. `ru_RU_alena`.
    pub voice: String,
    /// The tenant's time zone as minutes east of UTC (Moscow: 180).
    pub utc_offset_minutes: i32,
    /// The scenario version (or A/B split) new calls start on.
    pub routing: ScenarioRouting,
    /// The tenant's own prices over the operator's table.
    pub prices: sva_costs::Overrides,
    /// How VoxEngine handles the tenant's calls (recording, transfer ring time).
    pub calls: sva_tenants::CallSettings,
    /// What callers of a recorded call hear first.
    pub recording_notice: String,
    /// Whether and how its scenarios may ask the language model.
    pub llm: sva_tenants::ModelSettings,
}

impl Tenant {
    /// The dialog function's view of a stored tenant: its settings and signing secret.
    pub fn from_settings(settings: sva_tenants::TenantSettings, signing_secret: &str) -> Tenant {
        let recording_notice = settings.recording_notice().to_owned();
        Tenant {
            context: settings.context(),
            signing_secret: signing_secret.as_bytes().to_vec(),
            previous_secrets: Vec::new(),
            disabled: settings.disabled,
            fallback_phrase: settings.fallback_phrase,
            voice: settings.voice,
            utc_offset_minutes: settings.utc_offset_minutes,
            routing: settings.scenario,
            recording_notice,
            calls: settings.calls,
            llm: settings.llm,
            prices: settings.prices,
        }
    }
}

impl std::fmt::Debug for Tenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenant")
            .field("context", &self.context)
            .field("signing_secret", &"***")
            .field("disabled", &self.disabled)
            .field("routing", &self.routing)
            .finish_non_exhaustive()
    }
}

/// A scenario module ready to step.
pub type ScenarioHandle = Arc<dyn Stepper + Send + Sync>;

/// Where tenants and their scenario modules come from (object storage in the cloud and
/// the local stack, memory in tests). Implementations cache: both calls are on the
/// per-turn path.
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    /// The tenant, if it exists; `Err` when it cannot be known now (storage down).
    async fn tenant(&self, id: &str) -> Result<Option<Arc<Tenant>>, String>;

    /// The tenant's scenario module of `version`.
    async fn scenario(&self, tenant: &Tenant, version: &str) -> Result<ScenarioHandle, String>;
}

/// Tenants and modules held in memory: the local stack's directory, and tests'.
#[derive(Default)]
pub struct MemoryDirectory {
    tenants: std::sync::RwLock<std::collections::HashMap<String, Arc<Tenant>>>,
    scenarios: std::sync::RwLock<std::collections::HashMap<(String, String), ScenarioHandle>>,
}

impl MemoryDirectory {
    /// Adds or replaces a tenant.
    pub fn put_tenant(&self, tenant: Tenant) {
        let mut tenants = self.tenants.write().unwrap_or_else(|p| p.into_inner());
        tenants.insert(tenant.context.id.clone(), Arc::new(tenant));
    }

    /// Adds a scenario module for `tenant` under `version`.
    pub fn put_scenario(&self, tenant: &str, version: &str, scenario: ScenarioHandle) {
        let mut scenarios = self.scenarios.write().unwrap_or_else(|p| p.into_inner());
        scenarios.insert((tenant.to_owned(), version.to_owned()), scenario);
    }
}

#[async_trait]
impl TenantDirectory for MemoryDirectory {
    async fn tenant(&self, id: &str) -> Result<Option<Arc<Tenant>>, String> {
        Ok(self
            .tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned())
    }

    async fn scenario(&self, tenant: &Tenant, version: &str) -> Result<ScenarioHandle, String> {
        self.scenarios
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(tenant.context.id.clone(), version.to_owned()))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "no scenario version {version} for tenant {}",
                    tenant.context.id
                )
            })
    }
}
