//! The production [`TenantDirectory`]: tenants and scenario modules from object storage
//! (`sva-tenants` layout), cached for a short time so an activation reaches new calls
//! without a restart, and modules compiled once per process through the sandbox cache.

use crate::{ScenarioHandle, Tenant, TenantDirectory};
use async_trait::async_trait;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use sva_sandbox::{ModuleKey, Sandbox};
use sva_tenants::TenantStore;
use sva_turn::wasm::WasmScenario;

/// Tenants whose settings one process keeps (least recently used ones are dropped).
const TENANT_CACHE_CAPACITY: NonZeroUsize = NonZeroUsize::new(4096).unwrap();

/// How long a tenant's settings are trusted before they are read again.
pub const DEFAULT_TENANT_TTL: Duration = Duration::from_secs(2);

/// Tenants and modules from object storage.
pub struct StoredDirectory {
    tenants: TenantStore,
    sandbox: Arc<Sandbox>,
    ttl: Duration,
    artifacts: Option<PathBuf>,
    cache: Mutex<LruCache<String, Cached>>,
    default: Option<DefaultScenario>,
}

/// The module a tenant runs until it activates one of its own (the deployment's
/// default scenario, shipped in the dialog function's image).
struct DefaultScenario {
    /// Its version: the sha256 of its bytes, as if it had been uploaded.
    version: String,
    wasm: bytes::Bytes,
}

/// A tenant as read at an instant (`None`: it did not exist then).
type Cached = (Instant, Option<Arc<Tenant>>);

impl StoredDirectory {
    /// A directory over `tenants`, stepping modules in `sandbox`.
    pub fn new(tenants: TenantStore, sandbox: Arc<Sandbox>) -> StoredDirectory {
        StoredDirectory {
            tenants,
            sandbox,
            ttl: DEFAULT_TENANT_TTL,
            artifacts: None,
            cache: Mutex::new(LruCache::new(TENANT_CACHE_CAPACITY)),
            default: None,
        }
    }

    /// Serves `wasm` to every tenant that has no active version of its own, so a new
    /// tenant takes calls at once. Its version is its content hash, as an upload of the
    /// same bytes would have; it is validated when first stepped, like any module.
    pub fn with_default_scenario(mut self, wasm: Vec<u8>) -> StoredDirectory {
        self.default = Some(DefaultScenario {
            version: sva_tenants::module_version(&wasm),
            wasm: bytes::Bytes::from(wasm),
        });
        self
    }

    /// How long settings are cached (an activation reaches new calls within it).
    pub fn with_ttl(mut self, ttl: Duration) -> StoredDirectory {
        self.ttl = ttl;
        self
    }

    /// Keeps precompiled artifacts in `dir` (a local disk: `/tmp` in a serverless
    /// function), so a cold process maps a module instead of compiling it.
    pub fn with_artifacts(mut self, dir: impl Into<PathBuf>) -> StoredDirectory {
        self.artifacts = Some(dir.into());
        self
    }

    /// Loads the tenant's active (and A/B) scenario versions ahead of its first call, so
    /// that no caller waits for a module to compile.
    pub async fn warm(&self, id: &str) -> Result<(), String> {
        let tenant = self
            .tenant(id)
            .await?
            .ok_or_else(|| format!("unknown tenant {id}"))?;
        let routing = &tenant.routing;
        let versions = routing
            .active
            .iter()
            .chain(routing.split.as_ref().map(|s| &s.version));
        for version in versions {
            self.scenario(&tenant, version).await?;
        }
        Ok(())
    }

    async fn read_tenant(&self, id: &str) -> Result<Option<Arc<Tenant>>, String> {
        let started = Instant::now();
        let now = sva_kit::unix_now();
        // Three independent reads, at once: a cold process waits for one round trip.
        let (settings, secret, previous) = tokio::join!(
            self.tenants.settings(id),
            self.tenants.signing_secret(id),
            self.tenants.previous_signing_secrets(id, now),
        );
        let Some(settings) = settings.map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        // A tenant without a signing secret cannot be called: treat it as unknown.
        let Some(secret) = secret.map_err(|e| e.to_string())?.filter(|s| !s.is_empty()) else {
            tracing::warn!(tenant = %id, "tenant has no signing secret; its calls are refused");
            return Ok(None);
        };
        let previous = previous.map_err(|e| e.to_string())?;
        let mut tenant = Tenant::from_settings(settings, &secret);
        if tenant.routing.active.is_none()
            && let Some(default) = &self.default
        {
            tenant.routing = sva_tenants::ScenarioRouting::only(&default.version);
        }
        tenant.previous_secrets = previous
            .into_iter()
            .map(|p| (p.secret.into_bytes(), p.valid_until))
            .collect();
        tracing::debug!(tenant = %id, read_ms = started.elapsed().as_secs_f64() * 1e3, "tenant read");
        Ok(Some(Arc::new(tenant)))
    }
}

#[async_trait]
impl TenantDirectory for StoredDirectory {
    async fn tenant(&self, id: &str) -> Result<Option<Arc<Tenant>>, String> {
        if sva_tenants::validate_tenant_id(id).is_err() {
            return Ok(None);
        }
        {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((read, tenant)) = cache.get(id)
                && read.elapsed() < self.ttl
            {
                return Ok(tenant.clone());
            }
        }
        let tenant = self.read_tenant(id).await?;
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .put(id.to_owned(), (Instant::now(), tenant.clone()));
        Ok(tenant)
    }

    async fn scenario(&self, tenant: &Tenant, version: &str) -> Result<ScenarioHandle, String> {
        let started = Instant::now();
        let id = tenant.context.id.as_str();
        let key = ModuleKey {
            tenant: id.to_owned(),
            version: version.to_owned(),
        };
        if let Some(loaded) = self.sandbox.cached(&key) {
            return Ok(Arc::new(WasmScenario::new(self.sandbox.clone(), loaded)));
        }
        let shipped = self.default.as_ref().filter(|d| d.version == version);
        // The module and the artifact the admin function precompiled at upload for this
        // engine, at once: mapping the artifact is what keeps a cold start from compiling.
        let module = async {
            match shipped {
                Some(default) => Ok(Some(default.wasm.clone())),
                None => self.tenants.module(id, version).await,
            }
        };
        let artifact = async {
            match (&self.artifacts, shipped) {
                (Some(_), None) => self
                    .tenants
                    .artifact(id, version, self.sandbox.compatibility_hash())
                    .await
                    .unwrap_or_else(|e| {
                        tracing::warn!(tenant = %id, "cannot read the precompiled artifact: {e}");
                        None
                    }),
                _ => None,
            }
        };
        let (wasm, stored_artifact) = tokio::join!(module, artifact);
        let wasm = wasm
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("tenant {id} has no scenario version {version}"))?;
        let read = started.elapsed();
        let sandbox = self.sandbox.clone();
        let artifacts = self.artifacts.clone();
        // Compiling is CPU work: off the async workers.
        let loaded = tokio::task::spawn_blocking(move || match artifacts {
            Some(dir) => load_through_artifact(&sandbox, key, &dir, &wasm, stored_artifact),
            None => sandbox.load_bytes(key, &wasm).map_err(|e| e.to_string()),
        })
        .await
        .map_err(|e| e.to_string())??;
        tracing::debug!(
            tenant = %id,
            version,
            read_ms = read.as_secs_f64() * 1e3,
            loaded_ms = started.elapsed().as_secs_f64() * 1e3,
            "scenario module loaded"
        );
        Ok(Arc::new(WasmScenario::new(self.sandbox.clone(), loaded)))
    }
}

/// Loads a module through its artifact in `dir`: the stored one if given, else one
/// compiled here; an artifact that does not load is replaced by compiling.
fn load_through_artifact(
    sandbox: &Sandbox,
    key: ModuleKey,
    dir: &std::path::Path,
    wasm: &[u8],
    stored: Option<bytes::Bytes>,
) -> Result<Arc<sva_sandbox::Scenario>, String> {
    let path = dir.join(&key.tenant).join(format!("{}.wasm", key.version));
    if !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap_or(dir))
            .and_then(|()| write_atomically(&path, wasm))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let artifact = sandbox.artifact_path(&key, &path);
    if let Some(stored) = stored
        && !artifact.exists()
        && let Err(e) = write_atomically(&artifact, &stored)
    {
        tracing::warn!("cannot write {}: {e}", artifact.display());
    }
    match sandbox.load_file(key.clone(), &path) {
        Err(sva_sandbox::SandboxError::Artifact(why)) => {
            tracing::warn!(tenant = %key.tenant, "artifact refused, compiling instead: {why}");
            let _ = std::fs::remove_file(&artifact);
            sandbox.load_file(key, &path).map_err(|e| e.to_string())
        }
        other => other.map_err(|e| e.to_string()),
    }
}

fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}

impl crate::Dialog {
    /// The dialog function over object storage: tenants and modules from `directory`,
    /// call records and outbox entries written to `store`.
    pub fn over_storage(
        directory: Arc<StoredDirectory>,
        store: sva_kit::storage::DynStore,
        options: crate::DialogOptions,
    ) -> crate::Dialog {
        crate::Dialog::new(directory, options).with_storage(store)
    }
}
