//! The CRM function binary: the outbox worker behind `POST /v1/crm/outbox`, which
//! Yandex Cloud's Object Storage trigger (an entry written) and timer trigger (retries)
//! call. Configuration is the kit's `SVA_*` variables, the Bitrix24 client's
//! (`sva_crm::connect::client_config_from_env`: `SVA_CRM_ALLOWED_HOSTS`,
//! `SVA_BITRIX_RATE`, `SVA_BITRIX_TOKEN_URL`), `SVA_CRM_MAX_ATTEMPTS`, the attempts
//! before a dead letter (8), and `SVA_CRM_PUBLIC_URL`, the function's address as
//! portals reach it (the install binds `ONAPPUNINSTALL` to its events path and registers
//! the robot «Позвонить клиенту» with its handler there). With `SVA_VOXIMPLANT_KEY` and
//! `SVA_VOXIMPLANT_OUTBOUND_RULE_ID` (and optionally `SVA_VOXIMPLANT_API_URL`) the robot
//! starts its calls with Voximplant's StartScenarios (`sva_voximplant::Outbound`).

use anyhow::Context as _;
use std::sync::Arc;
use sva_crm::{Connections, Outbox, OutboxConfig};
use sva_tenants::TenantStore;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = sva_kit::Config::from_env()?;
    sva_kit::logging::init(config.log_format)?;
    let client = sva_crm::connect::client_config_from_env(|name| std::env::var(name).ok())?;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let mut outbox_config = OutboxConfig::default();
    if let Some(n) = env("SVA_CRM_MAX_ATTEMPTS") {
        outbox_config.max_attempts = n.parse().context("SVA_CRM_MAX_ATTEMPTS must be a number")?;
    }
    let store = sva_kit::storage::open(&config.storage).await?;
    let connections = Arc::new(Connections::new(TenantStore::new(store.clone()), client));
    let installer = Arc::new(sva_crm::install::Installer::new(
        connections.clone(),
        env("SVA_CRM_PUBLIC_URL"),
    ));
    // The robot's calls: StartScenarios on the outbound rule when the Voximplant
    // service account and the rule are configured; without them every robot run is
    // answered at once that calls are not set up.
    let starter = sva_voximplant::Outbound::from_env(|name| std::env::var(name).ok())
        .context("the Voximplant outbound configuration")?
        .map(|o| {
            tracing::info!(rule = o.rule_id, "robot calls start through Voximplant");
            Arc::new(sva_crm::voximplant::VoximplantStarter::from_outbound(o))
                as Arc<dyn sva_crm::robot::CallStarter>
        });
    let robots = Arc::new(sva_crm::robot::Robots::new(
        connections.clone(),
        store.clone(),
        starter,
    ));
    let outbox = Arc::new(Outbox::new(store, connections, outbox_config));
    sva_kit::serve(
        sva_crm::http::router(outbox, installer, robots),
        &config.serve_config(),
    )
    .await?;
    Ok(())
}
