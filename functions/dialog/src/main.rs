//! The dialog function binary: configuration from the environment, the object store,
//! the scenario sandbox, and the `/v1/turn` + `/v1/calls/{id}/end` routes served by the
//! serverless kit (the Lambda runtime loop or an HTTP server on `$PORT`).
//!
//! Besides the kit's `SVA_*` variables (`docs/runbook.md`) it reads `SVA_TOKEN_KEY` (the
//! service key that signs state tokens; required), `SVA_TURN_DEADLINE_MS` (default
//! 1200), `SVA_ARTIFACT_DIR` (precompiled modules; default `/tmp/sva-artifacts`),
//! `SVA_WARM_TENANTS` (comma-separated tenants whose scenarios load at start),
//! `SVA_DEFAULT_SCENARIO` (a module file every tenant without an active version of its
//! own runs: the image ships the default scenario at
//! `/opt/sva/scenarios/sales_qualification.wasm`), and for
//! pricing calls `SVA_PRICE_TABLE` (a price table file replacing the shipped one),
//! `SVA_TTS_BILLING` (`v1` per character, or `v3` per request), `SVA_MEMORY_MB` and
//! `SVA_VCPU` (the container's size, as deployed). The caller is looked up in the
//! tenant's Bitrix24 at `call_started` with the CRM client's settings
//! (`SVA_CRM_ALLOWED_HOSTS`, `SVA_BITRIX_RATE`, `SVA_BITRIX_TOKEN_URL`). Product
//! questions are answered from the tenant's knowledge base on the Qdrant server at
//! `SVA_QDRANT_URL` (`SVA_QDRANT_API_KEY`, `SVA_QDRANT_PREFIX`); without it, the
//! scenario hears "no answer" and promises a manager's follow-up.

use anyhow::Context as _;
use std::sync::Arc;
use std::time::Duration;
use sva_dialog::{Dialog, DialogOptions, StoredDirectory};
use sva_sandbox::{Sandbox, SandboxConfig};
use sva_tenants::TenantStore;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = sva_kit::Config::from_env()?;
    sva_kit::logging::init(config.log_format)?;
    let token_key = std::env::var("SVA_TOKEN_KEY")
        .ok()
        .filter(|k| k.len() >= 32)
        .context("SVA_TOKEN_KEY must be set to at least 32 characters")?;
    let turn_deadline = match std::env::var("SVA_TURN_DEADLINE_MS") {
        Ok(ms) => Duration::from_millis(ms.parse().context("SVA_TURN_DEADLINE_MS")?),
        Err(_) => DialogOptions::default().turn_deadline,
    };
    let artifacts =
        std::env::var("SVA_ARTIFACT_DIR").unwrap_or_else(|_| "/tmp/sva-artifacts".into());
    let store = sva_kit::storage::open(&config.storage).await?;
    let sandbox = Arc::new(Sandbox::new(SandboxConfig::default())?);
    let mut directory =
        StoredDirectory::new(TenantStore::new(store.clone()), sandbox).with_artifacts(artifacts);
    if let Ok(path) = std::env::var("SVA_DEFAULT_SCENARIO") {
        let wasm = std::fs::read(&path).with_context(|| format!("SVA_DEFAULT_SCENARIO {path}"))?;
        directory = directory.with_default_scenario(wasm);
    }
    let directory = Arc::new(directory);
    for tenant in std::env::var("SVA_WARM_TENANTS")
        .unwrap_or_default()
        .split(',')
    {
        let tenant = tenant.trim();
        if !tenant.is_empty()
            && let Err(e) = directory.warm(tenant).await
        {
            tracing::warn!(tenant, "cannot warm the tenant's scenario: {e}");
        }
    }
    let options = DialogOptions {
        token_key: token_key.into_bytes(),
        turn_deadline,
        costing: costing()?,
        ..DialogOptions::default()
    };
    // Who is calling: the tenant's Bitrix24, asked once per call within the budget.
    let client = sva_crm::connect::client_config_from_env(|name| std::env::var(name).ok())?;
    let connections = Arc::new(sva_crm::Connections::new(
        TenantStore::new(store.clone()),
        client,
    ));
    let customers = Arc::new(sva_crm::Customers::new(
        connections,
        sva_crm::lookup::DEFAULT_TTL,
    ));
    let mut dialog = Dialog::over_storage(directory, store, options).with_customers(Arc::new(
        move |tenant: String, phone: String| {
            let customers = customers.clone();
            async move { customers.lookup(&tenant, &phone).await }
        },
    ));
    match sva_retrieval::server::ServerConfig::from_env() {
        Some(mut qdrant) => {
            // Embedding the question (a quarter of the deadline at most, see
            // `IndexKnowledge::with_embeddings`) and searching (half) must leave the turn
            // time to speak.
            qdrant.search_timeout = qdrant.search_timeout.min(turn_deadline / 2);
            let embeddings =
                sva_retrieval::Embeddings::optional(sva_retrieval::EmbeddingsConfig::from_env()?)?;
            qdrant.dense = embeddings.as_ref().map(|e| e.dimensions());
            let index = Arc::new(sva_retrieval::ServerIndex::new(qdrant)?);
            let knowledge =
                sva_dialog::IndexKnowledge::new(index).with_embeddings(embeddings, turn_deadline);
            dialog = dialog.with_knowledge(Arc::new(knowledge));
        }
        None => tracing::warn!("SVA_QDRANT_URL is not set: no knowledge base"),
    }
    // The language model: given to the calls of tenants that enable it.
    let configs = sva_llm::ProviderConfig::all_from_vars(|name| std::env::var(name).ok())?;
    if !configs.is_empty() {
        let mut providers = Vec::with_capacity(configs.len());
        for (name, config) in configs {
            tracing::info!(provider = %name, base = %config.base_url, lite = %config.lite, pro = %config.pro, "language model");
            providers.push((name, sva_llm::Provider::new(config)?));
        }
        dialog = dialog.with_models(Arc::new(sva_llm::Models::named(providers)));
    }
    let dialog = Arc::new(dialog);
    sva_kit::serve(sva_dialog::http::router(dialog), &config.serve_config()).await?;
    Ok(())
}

/// How calls are priced, from the environment.
fn costing() -> anyhow::Result<sva_dialog::Costing> {
    let mut costing = sva_dialog::Costing::default();
    if let Ok(path) = std::env::var("SVA_PRICE_TABLE") {
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("SVA_PRICE_TABLE {path}"))?;
        costing.prices = Arc::new(sva_costs::PriceTable::parse(&text).context("SVA_PRICE_TABLE")?);
    }
    costing.options.tts = match std::env::var("SVA_TTS_BILLING").as_deref() {
        Ok("v3") => sva_costs::TtsBilling::V3,
        Ok("v1") | Err(_) => sva_costs::TtsBilling::V1,
        Ok(other) => anyhow::bail!("SVA_TTS_BILLING must be v1 or v3, not {other:?}"),
    };
    if let Ok(mb) = std::env::var("SVA_MEMORY_MB") {
        costing.memory_mb = mb.parse().context("SVA_MEMORY_MB")?;
    }
    if let Ok(vcpu) = std::env::var("SVA_VCPU") {
        costing.vcpu = vcpu.parse().context("SVA_VCPU")?;
    }
    Ok(costing)
}
