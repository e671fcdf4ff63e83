//! The demo tenant: a fictional warehouse-automation company, «ТехноСклад», running the
//! default sales scenario. Seeding is idempotent: an existing signing secret and
//! settings are kept; the module is updated and activated when it changed.

use sva_tenants::{TenantSettings, TenantStore, TenantStoreError};

/// The demo tenant's id.
pub const DEMO_TENANT: &str = "demo";

/// What a person (or a test) needs to call the demo tenant.
#[derive(Clone, PartialEq, Eq)]
pub struct DemoTenant {
    /// The tenant id.
    pub id: String,
    /// The VoxEngine signing secret.
    pub secret: String,
    /// The active scenario version.
    pub version: String,
}

impl std::fmt::Debug for DemoTenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoTenant")
            .field("id", &self.id)
            .field("secret", &"***")
            .field("version", &self.version)
            .finish()
    }
}

/// The demo tenant's settings.
pub fn settings() -> TenantSettings {
    let mut settings =
        TenantSettings::new(DEMO_TENANT, "ТехноСклад", "системы автоматизации склада");
    settings.manager_phone = Some("+74951234567".into());
    settings
}

/// Creates the demo tenant if it is missing, stores `wasm` and makes it the active
/// version (keeping the previous one in the history).
pub async fn seed(tenants: &TenantStore, wasm: &[u8]) -> Result<DemoTenant, TenantStoreError> {
    let version = tenants.put_module(DEMO_TENANT, wasm).await?;
    let mut current = tenants
        .settings(DEMO_TENANT)
        .await?
        .unwrap_or_else(settings);
    if current.scenario.active.as_deref() != Some(version.as_str()) {
        if let Some(previous) = current.scenario.active.take() {
            current.scenario.history.push(previous);
        }
        current.scenario.active = Some(version.clone());
        tenants.put_settings(&current).await?;
    }
    let secret = match tenants.signing_secret(DEMO_TENANT).await? {
        Some(secret) if !secret.is_empty() => secret,
        _ => {
            let secret = random_hex(32);
            tenants.put_signing_secret(DEMO_TENANT, &secret).await?;
            secret
        }
    };
    Ok(DemoTenant {
        id: DEMO_TENANT.into(),
        secret,
        version,
    })
}

/// `bytes` random bytes from the OS, as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS generator only fails on a broken system; a stack must not start then.
    getrandom::fill(&mut buf).expect("the operating system's random generator failed");
    hex::encode(buf)
}
