//! The local stack: the product on one machine with no cloud account and no network.
//!
//! [`LocalStack::start`] opens the data directory as the object store, makes sure the
//! demo tenant exists with the default scenario active and a signing secret
//! ([`demo`]), and serves every function's routes on one port: the dialog function's
//! `POST /v1/turn` and `POST /v1/calls/{call_id}/end`, the admin API (`/v1/tenants…`,
//! `/openapi.json`, with the operator key kept in the data directory), a Bitrix24
//! sandbox portal (`/rest/…`, `/oauth/token/`, `/_sandbox/`) that is the demo tenant's
//! CRM, the CRM function's install and events paths (`/v1/crm/install/…`,
//! `/v1/crm/events/…`), and the kit's health endpoint; a worker drains the CRM outbox
//! into the portal.
//! `sva dev` runs it; the end-to-end tests and the load generator start it in-process on
//! a free port.

pub mod demo;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use sva_admin::Admin;
use sva_bitrix::{ClientConfig, RateLimit};
use sva_crm::{Connections, Customers, Outbox, OutboxConfig};
use sva_dialog::{Dialog, DialogOptions, IndexKnowledge, StoredDirectory};
use sva_kit::storage::{DynStore, LocalDir};
use sva_portal::{Portal, PortalConfig};
use sva_retrieval::{EdgeIndex, Embeddings, EmbeddingsConfig, Index, KnowledgeBase};
use sva_sandbox::{Sandbox, SandboxConfig};
use sva_tenants::TenantStore;

pub use demo::DemoTenant;

/// The key, in the data directory, of the service key that signs state tokens locally
/// (in the cloud it comes from the environment, `SVA_TOKEN_KEY`).
pub const TOKEN_KEY_OBJECT: &str = "service/token.key";

/// The key, in the data directory, of the local admin API's operator key (in the cloud
/// it comes from the environment, `SVA_OPERATOR_KEY`).
pub const OPERATOR_KEY_OBJECT: &str = "service/operator.key";

/// Hosts a tenant's CRM portal may be on locally (the CRM sandbox runs on loopback).
const LOCAL_CRM_HOSTS: [&str; 2] = ["127.0.0.1", "localhost"];

/// Why the local stack did not start.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The scenario module to seed the demo tenant with is missing.
    #[error("the default scenario module {path} is missing: run `make scenarios` first")]
    MissingScenario {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The data directory is not usable.
    #[error("the data directory is not usable: {0}")]
    Storage(String),
    /// The scenario sandbox did not start.
    #[error("the scenario sandbox did not start: {0}")]
    Sandbox(String),
    /// The embeddings configuration cannot work.
    #[error(transparent)]
    Embeddings(#[from] sva_retrieval::EmbedError),
    /// The port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// How to run the local stack.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// The data directory (the object store's root).
    pub data_dir: PathBuf,
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The default scenario module the demo tenant runs.
    pub scenario: PathBuf,
    /// The per-turn deadline.
    pub turn_deadline: Duration,
    /// How long the dialog function trusts a tenant's settings before reading them
    /// again (an activation reaches new calls within it).
    pub tenant_ttl: Duration,
    /// The Bitrix24 sandbox portal and the outbox worker.
    pub crm: CrmOptions,
    /// Yandex Cloud embeddings for the knowledge base's dense vectors; `None` (the
    /// default, which needs no network): BM25 alone.
    pub embeddings: Option<EmbeddingsConfig>,
    /// Language model providers by name, the default first, for the tenants that enable
    /// the model; none (the default, which needs no network): scenarios do without.
    pub llm: Vec<(String, sva_llm::ProviderConfig)>,
}

/// The CRM side of the local stack: a Bitrix24 sandbox portal served on the stack's own
/// port (`/rest/…`, `/oauth/token/`, `/_sandbox/`), the demo tenant's CRM, and the
/// worker that drains the outbox into it.
#[derive(Debug, Clone)]
pub struct CrmOptions {
    /// The portal's leaky bucket, and the client's: Bitrix24's 2/s, burst 50.
    pub rate: RateLimit,
    /// How often the worker sweeps the outbox; `None` runs no worker (a test sweeps).
    pub sweep_every: Option<Duration>,
    /// The client's timeout per request.
    pub timeout: Duration,
    /// The client's first pause after a failure it may retry.
    pub backoff: Duration,
    /// How long the portal's `hang` fault holds an answer.
    pub hang: Duration,
    /// The worker's attempts and back-off.
    pub outbox: OutboxConfig,
}

impl Default for CrmOptions {
    fn default() -> Self {
        CrmOptions {
            rate: RateLimit::default(),
            sweep_every: Some(Duration::from_secs(1)),
            timeout: Duration::from_secs(10),
            backoff: Duration::from_millis(500),
            hang: Duration::from_secs(30),
            outbox: OutboxConfig {
                backoff: Duration::from_secs(2),
                ..OutboxConfig::default()
            },
        }
    }
}

/// The directory, in the data directory, of the knowledge base's in-process index.
pub const KNOWLEDGE_INDEX_DIR: &str = ".kb-index";

/// The file, in the data directory, the sandbox portal keeps its records in.
pub const PORTAL_STATE_FILE: &str = "crm-sandbox.json";

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            data_dir: PathBuf::from(".sva/data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            scenario: PathBuf::from(DEFAULT_SCENARIO),
            turn_deadline: DialogOptions::default().turn_deadline,
            tenant_ttl: sva_dialog::DEFAULT_TENANT_TTL,
            crm: CrmOptions::default(),
            embeddings: None,
            llm: Vec::new(),
        }
    }
}

/// Where `make scenarios` puts the default scenario module.
pub const DEFAULT_SCENARIO: &str = "target/scenarios/sales_qualification.wasm";

/// The running stack.
pub struct LocalStack {
    addr: SocketAddr,
    demo: DemoTenant,
    store: DynStore,
    operator_key: String,
    portal: Portal,
    outbox: Arc<Outbox>,
    server: tokio::task::JoinHandle<()>,
    worker: Option<tokio::task::JoinHandle<()>>,
    /// Voximplant's Management API stand-in the campaigns' call lists go to.
    voximplant: sva_voximplant::standin::StandIn,
}

impl std::fmt::Debug for LocalStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStack")
            .field("addr", &self.addr)
            .field("demo", &self.demo)
            .field("operator_key", &"***")
            .finish_non_exhaustive()
    }
}

impl LocalStack {
    /// Seeds the data directory and starts serving.
    pub async fn start(options: LocalOptions) -> Result<LocalStack, LocalError> {
        std::fs::create_dir_all(&options.data_dir)
            .map_err(|e| LocalError::Storage(format!("{}: {e}", options.data_dir.display())))?;
        let store: DynStore = Arc::new(LocalDir::new(&options.data_dir));
        LocalStack::start_on(store, options).await
    }

    /// Like [`LocalStack::start`], with objects in `store` (an S3 bucket, say) instead
    /// of the data directory, which then only holds precompiled artifacts.
    pub async fn start_on(
        store: DynStore,
        options: LocalOptions,
    ) -> Result<LocalStack, LocalError> {
        let wasm = std::fs::read(&options.scenario).map_err(|_| LocalError::MissingScenario {
            path: options.scenario.clone(),
        })?;
        let tenants = TenantStore::new(store.clone());
        let token_key = service_key(&store, TOKEN_KEY_OBJECT).await?;
        let operator_key =
            String::from_utf8_lossy(&service_key(&store, OPERATOR_KEY_OBJECT).await?).into_owned();
        let sandbox = Arc::new(
            Sandbox::new(SandboxConfig::default())
                .map_err(|e| LocalError::Sandbox(e.to_string()))?,
        );
        // Qdrant's in-process engine, a shard per tenant, beside the data.
        // With embeddings, dense vectors beside BM25 (in shards of their own).
        let embeddings = Embeddings::optional(options.embeddings.clone())?;
        let mut edge = EdgeIndex::open(options.data_dir.join(KNOWLEDGE_INDEX_DIR));
        if let Some(embeddings) = &embeddings {
            edge = edge.with_dense(embeddings.dimensions());
        }
        let index: Arc<dyn Index> = Arc::new(edge);
        let knowledge =
            KnowledgeBase::new(store.clone(), index.clone()).with_embeddings(embeddings.clone());
        let admin = Admin::new(tenants.clone(), sandbox.clone(), operator_key.clone())
            .map_err(|e| LocalError::Storage(e.to_string()))?
            .with_allowed_hosts(LOCAL_CRM_HOSTS.map(String::from).to_vec())
            .with_knowledge(knowledge.clone());
        let demo = demo::seed(&admin, &store, &wasm)
            .await
            .map_err(|e| LocalError::Storage(e.to_string()))?;
        // Without its knowledge base the demo still takes calls (questions get "уточню у
        // менеджера"); say why and go on.
        if let Err(e) = demo::seed_knowledge(&knowledge).await {
            tracing::warn!(code = e.code(), "the demo knowledge base is not ready: {e}");
        }
        let options_dialog = DialogOptions {
            token_key,
            turn_deadline: options.turn_deadline,
            ..DialogOptions::default()
        };
        let directory = Arc::new(
            StoredDirectory::new(tenants, sandbox)
                .with_ttl(options.tenant_ttl)
                .with_artifacts(options.data_dir.join(".artifacts")),
        );
        // Compile (or map) the demo scenario now, not on the first caller's turn.
        directory
            .warm(&demo.id)
            .await
            .map_err(LocalError::Sandbox)?;
        let portal = Portal::new(PortalConfig {
            rate: sva_portal::RateLimit {
                per_second: options.crm.rate.per_second,
                burst: options.crm.rate.burst,
            },
            hang: options.crm.hang,
            state_file: Some(options.data_dir.join(PORTAL_STATE_FILE)),
            ..PortalConfig::default()
        })
        .map_err(|e| LocalError::Storage(format!("the CRM sandbox: {e}")))?;
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|source| LocalError::Bind {
                addr: options.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| LocalError::Bind {
            addr: options.listen,
            source,
        })?;
        // The demo tenant's CRM is the sandbox on this very port.
        let url = format!("http://{addr}");
        let tenants = TenantStore::new(store.clone());
        demo::connect_sandbox(&tenants, &url, &portal)
            .await
            .map_err(|e| LocalError::Storage(e.to_string()))?;
        let client = ClientConfig {
            rate: options.crm.rate,
            timeout: options.crm.timeout,
            backoff: options.crm.backoff,
            rate_limit_backoff: options.crm.backoff.max(Duration::from_millis(1)),
            operation_limit_wait: options.crm.backoff,
            token_url: format!("{url}/oauth/token/"),
            allowed_hosts: LOCAL_CRM_HOSTS.map(String::from).to_vec(),
            ..ClientConfig::default()
        };
        let connections = Arc::new(Connections::new(tenants, client));
        // Campaigns become call lists in Voximplant's stand-in (its own loopback port),
        // as they would in the account: the VoxEngine script's Node tests place the calls.
        let (voximplant, dialler) = local_dialler()
            .await
            .map_err(|e| LocalError::Storage(format!("the Voximplant stand-in: {e}")))?;
        let admin = admin
            .with_dialler(dialler)
            .with_crm_check(Arc::new(sva_crm::PortalCheck::new(connections.clone())))
            .with_crm_selection(Arc::new(sva_crm::PortalSelection::new(connections.clone())));
        let installer = Arc::new(sva_crm::install::Installer::new(
            connections.clone(),
            Some(url.clone()),
        ));
        let customers = Arc::new(Customers::new(
            connections.clone(),
            sva_crm::lookup::DEFAULT_TTL,
        ));
        let mut dialog = Dialog::over_storage(directory, store.clone(), options_dialog)
            .with_customers(Arc::new(move |tenant: String, phone: String| {
                let customers = customers.clone();
                async move { customers.lookup(&tenant, &phone).await }
            }))
            .with_knowledge(Arc::new(
                IndexKnowledge::new(index).with_embeddings(embeddings, options.turn_deadline),
            ));
        if !options.llm.is_empty() {
            let mut providers = Vec::with_capacity(options.llm.len());
            for (name, config) in options.llm.clone() {
                let provider = sva_llm::Provider::new(config)
                    .map_err(|e| LocalError::Storage(format!("the language model {name}: {e}")))?;
                providers.push((name, provider));
            }
            dialog = dialog.with_models(Arc::new(sva_llm::Models::named(providers)));
        }
        let routes = sva_dialog::http::router(Arc::new(dialog))
            .merge(sva_admin::router(Arc::new(admin)))
            .merge(sva_crm::install::router(installer))
            .merge(portal.router());
        let router = sva_kit::serve::app(routes, &Default::default());
        let server = tokio::spawn(async move {
            if let Err(e) = sva_kit::serve_on(listener, router).await {
                tracing::error!("the local stack stopped: {e}");
            }
        });
        let outbox = Arc::new(Outbox::new(
            store.clone(),
            connections,
            options.crm.outbox.clone(),
        ));
        let worker = options
            .crm
            .sweep_every
            .map(|every| sva_crm::spawn_worker(outbox.clone(), every));
        Ok(LocalStack {
            addr,
            demo,
            store,
            operator_key,
            portal,
            outbox,
            server,
            worker,
            voximplant,
        })
    }

    /// Voximplant's Management API stand-in behind the campaigns (its call lists).
    pub fn voximplant(&self) -> &sva_voximplant::standin::StandIn {
        &self.voximplant
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://{addr}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The demo tenant (its id and signing secret).
    pub fn demo(&self) -> &DemoTenant {
        &self.demo
    }

    /// The local admin API's operator key.
    pub fn operator_key(&self) -> &str {
        &self.operator_key
    }

    /// The object store (the data directory).
    pub fn store(&self) -> &DynStore {
        &self.store
    }

    /// The Bitrix24 sandbox portal (served at [`LocalStack::url`]).
    pub fn portal(&self) -> &Portal {
        &self.portal
    }

    /// The CRM outbox worker (swept every [`CrmOptions::sweep_every`]).
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// Serves until the process is asked to stop (Ctrl-C, SIGTERM).
    pub async fn run_until_stopped(mut self) {
        tokio::select! {
            _ = sva_kit::serve::shutdown_signal() => {}
            _ = &mut self.server => {}
        }
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        self.server.abort();
        if let Some(worker) = &self.worker {
            worker.abort();
        }
    }
}

/// A service key of the local stack (token signing, operator): 32 random bytes as hex,
/// created once and kept in the data directory under `object`.
async fn service_key(store: &DynStore, object: &str) -> Result<Vec<u8>, LocalError> {
    let storage = |e: sva_kit::storage::StorageError| LocalError::Storage(e.to_string());
    if let Some(key) = store.get(object).await.map_err(storage)? {
        return Ok(key.to_vec());
    }
    let fresh = bytes::Bytes::from(sva_tenants::secret::random_hex(32).into_bytes());
    if store
        .put_if_absent(object, fresh.clone())
        .await
        .map_err(storage)?
    {
        return Ok(fresh.to_vec());
    }
    // Another process created it first: use theirs.
    Ok(store
        .get(object)
        .await
        .map_err(storage)?
        .unwrap_or_default()
        .to_vec())
}

/// Voximplant's stand-in with the application, scenario and outbound rule a deploy makes,
/// and the campaigns' dialler over it.
async fn local_dialler() -> Result<
    (
        sva_voximplant::standin::StandIn,
        Arc<dyn sva_campaign::Dialler>,
    ),
    String,
> {
    let standin = sva_voximplant::standin::StandIn::start()
        .await
        .map_err(|e| e.to_string())?;
    let (client, rule) = standin
        .outbound_rule("sva-local", "// the local stack")
        .await
        .map_err(|e| e.to_string())?;
    let dialler = Arc::new(sva_voximplant::CallListDialler::new(client, rule));
    Ok((standin, dialler))
}
