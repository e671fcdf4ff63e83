//! Replays: an uploaded scenario version tried on the tenant's recorded calls before it
//! is activated — the caller's side of each call re-run against the version, with the
//! tenant's current settings, and what changed (`sva_script::replay`).

use crate::admin::now_secs;
use crate::openapi::ErrorBody;
use crate::{Admin, AdminError, Caller};
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use sva_kit::Json;
use sva_sandbox::ModuleKey;
use sva_script::{CallReplay, CoverageSummary, Recording};
use sva_tenants::TenantSettings;
use sva_turn::wasm::WasmScenario;
use sva_wire::CallRecord;
use utoipa::ToSchema;

/// The most calls one replay request runs.
pub const MAX_REPLAY_CALLS: usize = 500;

/// Why a replay request is refused (422, with the code and a sentence).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayRefused {
    /// `from` or `to` is not a day, `from` is after `to`, or the period is too long.
    #[error(
        "The period must be given as YYYY-MM-DD days, `from` not after `to`, at most {max_days} days."
    )]
    BadPeriod {
        /// The longest period, in days.
        max_days: usize,
    },
    /// `limit` is 0 or above [`MAX_REPLAY_CALLS`].
    #[error("`limit` must be from 1 to {max}, not {limit}.")]
    BadLimit {
        /// What was asked for.
        limit: usize,
        /// The most one request replays.
        max: usize,
    },
}

impl ReplayRefused {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ReplayRefused::BadPeriod { .. } => "bad_period",
            ReplayRefused::BadLimit { .. } => "bad_limit",
        }
    }
}

/// Which recorded calls to replay.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// The first day of calls, `YYYY-MM-DD` (default: six days before `to`).
    #[serde(default)]
    pub from: Option<String>,
    /// The last day, `YYYY-MM-DD` (default: today in the tenant's time zone).
    #[serde(default)]
    pub to: Option<String>,
    /// At most this many calls, oldest first (default 100, at most 500).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// What replaying a version on recorded calls showed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplayReport {
    /// The version replayed.
    pub version: String,
    /// The days the calls were taken from.
    pub from: String,
    /// See `from`.
    pub to: String,
    /// Calls replayed.
    pub replayed: usize,
    /// Calls whose answers, outcome or slots changed.
    pub changed: usize,
    /// How many calls went from one outcome to another (`qualified → transferred`).
    pub outcome_changes: BTreeMap<String, usize>,
    /// Each call: where it first differs, the outcome, score and slots before and after.
    #[schema(value_type = Vec<Object>)]
    pub calls: Vec<CallReplay>,
    /// Records that could not be replayed, with why.
    pub not_replayed: Vec<String>,
    /// Which nodes and edges of the version's graph the replays reached.
    #[schema(value_type = Object)]
    pub coverage: CoverageSummary,
}

impl Admin {
    /// Replays the tenant's recorded calls of a period against an uploaded version.
    pub async fn replay(
        &self,
        caller: &Caller,
        id: &str,
        version: &str,
        request: ReplayRequest,
    ) -> Result<ReplayReport, AdminError> {
        let settings = self.visible(caller, id).await?;
        let info = self.resolve(id, version).await?;
        let limit = request.limit.unwrap_or(100);
        if !(1..=MAX_REPLAY_CALLS).contains(&limit) {
            return Err(ReplayRefused::BadLimit {
                limit,
                max: MAX_REPLAY_CALLS,
            }
            .into());
        }
        let (from, to) = period(&request, settings.utc_offset_minutes)?;
        let wasm = self
            .tenants
            .module(id, &info.version)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("No scenario version {version}.")))?;
        let records = self.recorded_calls(id, &from, &to, limit).await?;
        let sandbox = self.sandbox.clone();
        let tenant = id.to_owned();
        // Stepping the module is CPU work: off the async workers.
        let (calls, not_replayed, coverage) = tokio::task::spawn_blocking(move || {
            replay_all(sandbox, &tenant, &wasm, &settings, &records)
        })
        .await
        .map_err(|e| AdminError::Sandbox(sva_sandbox::SandboxError::Engine(e.to_string())))??;
        let mut outcome_changes = BTreeMap::new();
        for call in calls.iter().filter(|c| c.outcome.0 != c.outcome.1) {
            let change = [call.outcome.0.as_str(), " → ", call.outcome.1.as_str()].concat();
            *outcome_changes.entry(change).or_default() += 1;
        }
        tracing::info!(tenant = %id, version = %info.version, calls = calls.len(), "recorded calls replayed");
        Ok(ReplayReport {
            version: info.version,
            from,
            to,
            replayed: calls.len(),
            changed: calls.iter().filter(|c| c.changed()).count(),
            outcome_changes,
            calls,
            not_replayed,
            coverage,
        })
    }

    /// Up to `limit` call records of `tenant` from the days `from..=to`, oldest first.
    async fn recorded_calls(
        &self,
        tenant: &str,
        from: &str,
        to: &str,
        limit: usize,
    ) -> Result<Vec<CallRecord>, AdminError> {
        let store = self.tenants.store();
        let mut records = Vec::new();
        for day in sva_costs::scan::days(from, to) {
            let keys = store
                .list(&sva_wire::key::calls_prefix(tenant, &day))
                .await
                .map_err(sva_tenants::TenantStoreError::from)?;
            for key in keys {
                if records.len() >= limit {
                    return Ok(records);
                }
                let body = store
                    .get(&key)
                    .await
                    .map_err(sva_tenants::TenantStoreError::from)?;
                if let Some(record) = body.and_then(|b| CallRecord::from_json(&b).ok()) {
                    records.push(record);
                }
            }
        }
        Ok(records)
    }
}

/// The period asked for, checked: at most [`crate::MAX_REPORT_DAYS`] days.
fn period(request: &ReplayRequest, offset_minutes: i32) -> Result<(String, String), AdminError> {
    let today = sva_abi::clock::rfc3339(now_secs(), offset_minutes)[..10].to_owned();
    let to = request.to.clone().unwrap_or(today);
    let from = match &request.from {
        Some(from) => from.clone(),
        None => {
            let last = sva_costs::report::day_number(&to).unwrap_or(0);
            let (y, m, d) = sva_abi::clock::civil_from_days(last - 6);
            format!("{y:04}-{m:02}-{d:02}")
        }
    };
    let days = sva_costs::scan::days(&from, &to);
    if days.is_empty() || days.len() > crate::MAX_REPORT_DAYS {
        return Err(ReplayRefused::BadPeriod {
            max_days: crate::MAX_REPORT_DAYS,
        }
        .into());
    }
    Ok((from, to))
}

type Replayed = (Vec<CallReplay>, Vec<String>, CoverageSummary);

/// Loads the version and replays every record against it.
fn replay_all(
    sandbox: Arc<sva_sandbox::Sandbox>,
    tenant: &str,
    wasm: &[u8],
    settings: &TenantSettings,
    records: &[CallRecord],
) -> Result<Replayed, AdminError> {
    let module = sandbox.load_bytes(ModuleKey::for_module(tenant, wasm), wasm)?;
    let scenario = WasmScenario::new(sandbox, module);
    let graph = scenario.manifest().ok().flatten().and_then(|m| m.graph);
    let recording = Recording::new(&scenario, graph);
    let context = settings.context();
    let mut calls = Vec::new();
    let mut not_replayed = Vec::new();
    for record in records {
        match sva_script::replay(record, &context, settings.utc_offset_minutes, &recording) {
            Ok(call) => calls.push(call),
            Err(e) => not_replayed.push(format!("{}: {e} [{}]", record.call.id, e.code())),
        }
    }
    Ok((calls, not_replayed, recording.coverage().summary()))
}

/// Replays the tenant's recorded calls against an uploaded version before it is
/// activated: per call, the first turn answered otherwise, and how the outcome, score
/// and slots change; with the coverage of the version's graph.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/scenarios/{version}/replay", tag = "scenarios",
    params(
        ("tenant" = String, Path, description = "The tenant id"),
        ("version" = String, Path, description = "The version or a unique prefix of it"),
    ),
    request_body = ReplayRequest,
    responses(
        (status = 200, description = "What the version does with the recorded calls", body = ReplayReport),
        (status = 404, description = "No such tenant or version", body = ErrorBody),
        (status = 409, description = "The prefix matches several versions", body = ErrorBody),
        (status = 422, description = "The period (`bad_period`) or the limit (`bad_limit`) is not acceptable", body = ErrorBody),
        (status = 503, description = "The sandbox or storage is unavailable", body = ErrorBody),
    ))]
pub async fn replay(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path((tenant, version)): Path<(String, String)>,
    Json(request): Json<ReplayRequest>,
) -> Result<Json<ReplayReport>, AdminError> {
    admin
        .replay(&caller, &tenant, &version, request)
        .await
        .map(Json)
}
