//! Scenario modules: upload (validated against ABI v1 and the limits, dry-run on
//! `call_started`, precompiled for the engine, stored by content hash), the versions and
//! their roles, activation for new calls, rollback, and A/B splits.

use crate::admin::now_secs;
use crate::openapi::{ErrorBody, WasmModule};
use crate::{Admin, AdminError, Caller};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use sva_kit::{ApiError, Json};
use sva_tenants::{DryRun, ModuleInfo, ScenarioRouting, module_version};
use utoipa::ToSchema;

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

impl Admin {
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
    pub(crate) async fn resolve(&self, id: &str, prefix: &str) -> Result<ModuleInfo, AdminError> {
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

type Answer<T> = Result<Json<T>, AdminError>;

/// Uploads a scenario module (`.wasm`): validated against ABI v1 and the limits,
/// dry-run on a `call_started` step, precompiled and stored. The version is the
/// content hash: the same bytes again are the same version (200 instead of 201).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/scenarios", tag = "scenarios",
    params(("tenant" = String, Path, description = "The tenant id")),
    request_body(content = WasmModule, content_type = "application/wasm"),
    responses(
        (status = 201, description = "A new version", body = Uploaded),
        (status = 200, description = "These bytes were uploaded before", body = Uploaded),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
        (status = 413, description = "Larger than the module size limit", body = ErrorBody),
        (status = 415, description = "Not application/wasm", body = ErrorBody),
        (status = 422, description = "Refused: the code says why (missing_export, forbidden_import, out_of_fuel, trap, …)", body = ErrorBody),
    ))]
pub async fn upload(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Uploaded>), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !matches!(
        content_type,
        "application/wasm" | "application/octet-stream"
    ) {
        return Err(ApiError::unsupported_media_type(
            "Send the module's bytes with `Content-Type: application/wasm`.",
        ));
    }
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::payload_too_large(Some(admin.max_module_bytes()))
        }
        _ => ApiError::bad_request(format!(
            "Could not read the module: {}",
            rejection.body_text()
        )),
    })?;
    let uploaded = admin.upload(&caller, &tenant, body).await?;
    let status = if uploaded.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(uploaded)))
}

/// Every uploaded version, its role and share of new calls.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/scenarios", tag = "scenarios",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "Versions and routing", body = ScenariosView),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
    ))]
pub async fn scenarios(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<ScenariosView> {
    admin.scenarios(&caller, &tenant).await.map(Json)
}

/// One version (a unique prefix of 8 or more hex digits will do).
#[utoipa::path(get, path = "/v1/tenants/{tenant}/scenarios/{version}", tag = "scenarios",
    params(
        ("tenant" = String, Path, description = "The tenant id"),
        ("version" = String, Path, description = "The version or a unique prefix of it"),
    ),
    responses(
        (status = 200, description = "The version", body = VersionView),
        (status = 404, description = "No such tenant or version", body = ErrorBody),
        (status = 409, description = "The prefix matches several versions", body = ErrorBody),
    ))]
pub async fn version(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path((tenant, version)): Path<(String, String)>,
) -> Answer<VersionView> {
    admin.version(&caller, &tenant, &version).await.map(Json)
}

/// Makes a version the active one for new calls; calls in flight keep theirs.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/scenarios/{version}/activate", tag = "scenarios",
    params(
        ("tenant" = String, Path, description = "The tenant id"),
        ("version" = String, Path, description = "The version or a unique prefix of it"),
    ),
    responses(
        (status = 200, description = "The routing now", body = ScenarioRouting),
        (status = 404, description = "No such tenant or version", body = ErrorBody),
    ))]
pub async fn activate(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path((tenant, version)): Path<(String, String)>,
) -> Answer<ScenarioRouting> {
    admin.activate(&caller, &tenant, &version).await.map(Json)
}

/// Returns to the version active before the current one; a split ends.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/scenarios/rollback", tag = "scenarios",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The routing now", body = ScenarioRouting),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
        (status = 409, description = "Nothing to roll back to", body = ErrorBody),
    ))]
pub async fn roll_back(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<ScenarioRouting> {
    admin.roll_back(&caller, &tenant).await.map(Json)
}

/// Sends a share of new calls to another version (each call keeps its variant for
/// its whole life; the variant is in the call record).
#[utoipa::path(put, path = "/v1/tenants/{tenant}/scenarios/split", tag = "scenarios",
    params(("tenant" = String, Path, description = "The tenant id")),
    request_body = SplitRequest,
    responses(
        (status = 200, description = "The routing now", body = ScenarioRouting),
        (status = 404, description = "No such tenant or version", body = ErrorBody),
        (status = 409, description = "No active version, or the split names it", body = ErrorBody),
        (status = 422, description = "The share is not 0..=100", body = ErrorBody),
    ))]
pub async fn split(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Json(request): Json<SplitRequest>,
) -> Answer<ScenarioRouting> {
    admin.split(&caller, &tenant, request).await.map(Json)
}

/// Ends the split: every new call goes to the active version.
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/scenarios/split", tag = "scenarios",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The routing now", body = ScenarioRouting),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
    ))]
pub async fn end_split(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<ScenarioRouting> {
    let request = SplitRequest {
        version: String::new(),
        percent: 0,
    };
    admin.split(&caller, &tenant, request).await.map(Json)
}
