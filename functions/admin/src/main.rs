//! The admin function binary: configuration from the environment, the object store,
//! a sandbox for validating uploads, and the admin routes served by the serverless kit.
//!
//! Besides the kit's `SVA_*` variables (`docs/runbook.md`) it reads `SVA_OPERATOR_KEY`
//! (required, at least 32 characters) and `SVA_CRM_ALLOWED_HOSTS` (comma-separated
//! `host[:port]` a CRM portal may be on although not public; empty by default) and the
//! Bitrix24 client's variables (`sva_crm::connect::client_config_from_env`), with which a
//! tenant's CRM settings are checked against its portal when saved and campaigns are built
//! from the leads or deals in a stage of it. The
//! tenants' knowledge bases are indexed on the Qdrant server at `SVA_QDRANT_URL`
//! (`SVA_QDRANT_API_KEY`, `SVA_QDRANT_PREFIX`); without it the knowledge endpoints
//! answer `knowledge_base_not_configured`.

use anyhow::Context as _;
use std::sync::Arc;
use sva_admin::Admin;
use sva_sandbox::{Sandbox, SandboxConfig};
use sva_tenants::TenantStore;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = sva_kit::Config::from_env()?;
    sva_kit::logging::init(config.log_format)?;
    let operator_key = std::env::var("SVA_OPERATOR_KEY")
        .context("SVA_OPERATOR_KEY must be set (at least 32 characters)")?;
    let allowed_hosts = std::env::var("SVA_CRM_ALLOWED_HOSTS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(String::from)
        .collect();
    let store = sva_kit::storage::open(&config.storage).await?;
    let sandbox = Arc::new(Sandbox::new(SandboxConfig::default())?);
    let client = sva_crm::connect::client_config_from_env(|name| std::env::var(name).ok())?;
    let connections = Arc::new(sva_crm::Connections::new(
        TenantStore::new(store.clone()),
        client,
    ));
    let mut admin = Admin::new(TenantStore::new(store.clone()), sandbox, operator_key)?
        .with_allowed_hosts(allowed_hosts)
        .with_crm_check(Arc::new(sva_crm::PortalCheck::new(connections.clone())))
        .with_crm_selection(Arc::new(sva_crm::PortalSelection::new(connections)));
    if let Some(mut qdrant) = sva_retrieval::server::ServerConfig::from_env() {
        let embeddings =
            sva_retrieval::Embeddings::optional(sva_retrieval::EmbeddingsConfig::from_env()?)?;
        qdrant.dense = embeddings.as_ref().map(|e| e.dimensions());
        let index = Arc::new(sva_retrieval::ServerIndex::new(qdrant)?);
        admin = admin.with_knowledge(
            sva_retrieval::KnowledgeBase::new(store, index).with_embeddings(embeddings),
        );
    }
    // Campaigns become Voximplant call lists when the service account and the outbound
    // rule are configured; without them campaigns are built and kept only.
    match sva_voximplant::Outbound::from_env(|name| std::env::var(name).ok())? {
        Some(outbound) => {
            admin = admin.with_dialler(Arc::new(sva_voximplant::CallListDialler::new(
                outbound.client,
                outbound.rule_id,
            )));
        }
        None => tracing::warn!(
            "SVA_VOXIMPLANT_KEY is not set: campaigns are built and kept, nothing is called"
        ),
    }
    sva_kit::serve(sva_admin::router(Arc::new(admin)), &config.serve_config()).await?;
    Ok(())
}
