//! The admin function's HTTP surface: plain handlers over [`Admin`], each documented
//! for the OpenAPI document ([`crate::openapi`]).

use crate::service::{
    CreatedTenant, HistoryLine, IssuedKey, NewKey, NewTenant, RotatedSecret, ScenariosView,
    SettingsChange, SplitRequest, TenantSummary, TenantView, Uploaded, VersionView,
};
use crate::{Admin, AdminError, Caller, GapView, HitView, SourceView};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use std::sync::Arc;
use sva_kit::{ApiError, Json};
use sva_tenants::{ApiKeyInfo, ScenarioRouting};

/// The admin routes; wrap with `sva_kit::serve::app` (or serve with `sva_kit::serve`)
/// for health, limits, request ids and the error shape.
pub fn router(admin: Arc<Admin>) -> Router {
    // An upload may be as large as the largest module, plus room for nothing else.
    let upload_limit = DefaultBodyLimit::max(admin.max_module_bytes());
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/v1/tenants", post(create_tenant).get(list_tenants))
        .route("/v1/tenants/{tenant}", get(tenant).patch(change_settings))
        .route("/v1/tenants/{tenant}/disable", post(disable))
        .route("/v1/tenants/{tenant}/enable", post(enable))
        .route("/v1/tenants/{tenant}/history", get(history))
        .route("/v1/tenants/{tenant}/signing-secret", post(rotate_secret))
        .route("/v1/tenants/{tenant}/keys", get(keys).post(issue_key))
        .route("/v1/tenants/{tenant}/keys/{key_id}", delete(revoke_key))
        .route(
            "/v1/tenants/{tenant}/scenarios",
            get(scenarios).post(upload).layer(upload_limit),
        )
        .route("/v1/tenants/{tenant}/scenarios/rollback", post(roll_back))
        .route(
            "/v1/tenants/{tenant}/scenarios/split",
            put(split).delete(end_split),
        )
        .route("/v1/tenants/{tenant}/scenarios/{version}", get(version))
        .route(
            "/v1/tenants/{tenant}/scenarios/{version}/activate",
            post(activate),
        )
        .route("/v1/tenants/{tenant}/report", get(report))
        .route("/v1/tenants/{tenant}/kb/sources", get(sources))
        .route(
            "/v1/tenants/{tenant}/kb/sources/{name}",
            put(put_source)
                .delete(delete_source)
                .layer(DefaultBodyLimit::max(
                    sva_retrieval::source::MAX_SOURCE_BYTES,
                )),
        )
        .route("/v1/tenants/{tenant}/kb/search", get(search_knowledge))
        .route("/v1/tenants/{tenant}/kb/gaps", get(knowledge_gaps))
        .route("/v1/tenants/{tenant}/kb/reindex", post(reindex_knowledge))
        .with_state(admin)
}

type Answer<T> = Result<Json<T>, AdminError>;

/// The OpenAPI document of this API.
async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document(),
    )
}

/// Creates a tenant; the answer carries its signing secret, shown only here.
#[utoipa::path(post, path = "/v1/tenants", tag = "tenants",
    request_body = NewTenant,
    responses(
        (status = 201, description = "Created", body = CreatedTenant),
        (status = 403, description = "Not the operator", body = crate::openapi::ErrorBody),
        (status = 409, description = "The id is taken", body = crate::openapi::ErrorBody),
        (status = 422, description = "A value is not acceptable", body = crate::openapi::ErrorBody),
    ))]
pub async fn create_tenant(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Json(new): Json<NewTenant>,
) -> Result<(StatusCode, Json<CreatedTenant>), AdminError> {
    let created = admin.create_tenant(&caller, new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Lists every tenant (operator only).
#[utoipa::path(get, path = "/v1/tenants", tag = "tenants",
    responses(
        (status = 200, description = "The tenants", body = Vec<TenantSummary>),
        (status = 403, description = "Not the operator", body = crate::openapi::ErrorBody),
    ))]
pub async fn list_tenants(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
) -> Answer<Vec<TenantSummary>> {
    admin.list_tenants(&caller).await.map(Json)
}

/// The tenant's settings (no secrets).
#[utoipa::path(get, path = "/v1/tenants/{tenant}", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The settings", body = TenantView),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
    ))]
pub async fn tenant(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<TenantView> {
    admin.tenant(&caller, &tenant).await.map(Json)
}

/// Changes the tenant's settings: only the fields present change.
#[utoipa::path(patch, path = "/v1/tenants/{tenant}", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant id")),
    request_body = SettingsChange,
    responses(
        (status = 200, description = "The settings after the change", body = TenantView),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
        (status = 422, description = "A value is not acceptable", body = crate::openapi::ErrorBody),
    ))]
pub async fn change_settings(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Json(change): Json<SettingsChange>,
) -> Answer<TenantView> {
    admin
        .change_settings(&caller, &tenant, change)
        .await
        .map(Json)
}

/// Disables a tenant: its calls are refused, its keys answer 403 (operator only).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/disable", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The settings", body = TenantView),
        (status = 403, description = "Not the operator", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
    ))]
pub async fn disable(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<TenantView> {
    admin.set_disabled(&caller, &tenant, true).await.map(Json)
}

/// Enables a disabled tenant (operator only).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/enable", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The settings", body = TenantView),
        (status = 403, description = "Not the operator", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
    ))]
pub async fn enable(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<TenantView> {
    admin.set_disabled(&caller, &tenant, false).await.map(Json)
}

/// Every change of the tenant's settings: who, when, what.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/history", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The changes, oldest first", body = Vec<HistoryLine>),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
    ))]
pub async fn history(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<Vec<HistoryLine>> {
    admin.history(&caller, &tenant).await.map(Json)
}

/// How to rotate a signing secret.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RotateParams {
    /// Keep the old secret valid for an hour (default `true`); `false` for a leaked
    /// secret: every old one stops working at once.
    #[serde(default = "yes")]
    pub keep_previous: bool,
}

fn yes() -> bool {
    true
}

/// Replaces the VoxEngine signing secret; the new one is shown only in this answer.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/signing-secret", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant id"), RotateParams),
    responses(
        (status = 200, description = "The new secret", body = RotatedSecret),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
    ))]
pub async fn rotate_secret(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(params): Query<RotateParams>,
) -> Answer<RotatedSecret> {
    admin
        .rotate_signing_secret(&caller, &tenant, params.keep_previous)
        .await
        .map(Json)
}

/// The tenant's API keys, without their secrets.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/keys", tag = "keys",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The keys", body = Vec<ApiKeyInfo>),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
    ))]
pub async fn keys(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<Vec<ApiKeyInfo>> {
    admin.keys(&caller, &tenant).await.map(Json)
}

/// Issues an API key for the tenant; the key is shown only in this answer (operator only).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/keys", tag = "keys",
    params(("tenant" = String, Path, description = "The tenant id")),
    request_body = NewKey,
    responses(
        (status = 201, description = "The key", body = IssuedKey),
        (status = 403, description = "Not the operator", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
    ))]
pub async fn issue_key(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Json(new): Json<NewKey>,
) -> Result<(StatusCode, Json<IssuedKey>), AdminError> {
    let issued = admin.issue_key(&caller, &tenant, new).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Revokes an API key (operator only).
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/keys/{key_id}", tag = "keys",
    params(
        ("tenant" = String, Path, description = "The tenant id"),
        ("key_id" = String, Path, description = "The key id"),
    ),
    responses(
        (status = 200, description = "The revoked key", body = ApiKeyInfo),
        (status = 403, description = "Not the operator", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such tenant or key", body = crate::openapi::ErrorBody),
    ))]
pub async fn revoke_key(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path((tenant, key_id)): Path<(String, String)>,
) -> Answer<ApiKeyInfo> {
    admin.revoke_key(&caller, &tenant, &key_id).await.map(Json)
}

/// Uploads a scenario module (`.wasm`): validated against ABI v1 and the limits,
/// dry-run on a `call_started` step, precompiled and stored. The version is the
/// content hash: the same bytes again are the same version (200 instead of 201).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/scenarios", tag = "scenarios",
    params(("tenant" = String, Path, description = "The tenant id")),
    request_body(content = crate::openapi::WasmModule, content_type = "application/wasm"),
    responses(
        (status = 201, description = "A new version", body = Uploaded),
        (status = 200, description = "These bytes were uploaded before", body = Uploaded),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
        (status = 413, description = "Larger than the module size limit", body = crate::openapi::ErrorBody),
        (status = 415, description = "Not application/wasm", body = crate::openapi::ErrorBody),
        (status = 422, description = "Refused: the code says why (missing_export, forbidden_import, out_of_fuel, trap, …)", body = crate::openapi::ErrorBody),
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
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
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
        (status = 404, description = "No such tenant or version", body = crate::openapi::ErrorBody),
        (status = 409, description = "The prefix matches several versions", body = crate::openapi::ErrorBody),
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
        (status = 404, description = "No such tenant or version", body = crate::openapi::ErrorBody),
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
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
        (status = 409, description = "Nothing to roll back to", body = crate::openapi::ErrorBody),
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
        (status = 404, description = "No such tenant or version", body = crate::openapi::ErrorBody),
        (status = 409, description = "No active version, or the split names it", body = crate::openapi::ErrorBody),
        (status = 422, description = "The share is not 0..=100", body = crate::openapi::ErrorBody),
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
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
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

/// A report's period and format.
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The first day, YYYY-MM-DD.
    pub from: String,
    /// The last day, YYYY-MM-DD (at most 366 days after `from`).
    pub to: String,
    /// `json` (default), `csv` or `html` (a self-contained page with charts).
    #[serde(default)]
    pub format: Option<String>,
}

/// What the tenant's calls cost and brought over a period: totals, by day, by scenario
/// version and A/B variant (with a two-proportion test on conversion), by outcome.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/report", tag = "reports",
    params(("tenant" = String, Path, description = "The tenant id"), ReportParams),
    responses(
        (status = 200, description = "The report (JSON; or CSV, HTML with `format`)", body = Object),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
        (status = 422, description = "The period or format is not acceptable", body = crate::openapi::ErrorBody),
    ))]
pub async fn report(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(params): Query<ReportParams>,
) -> Result<axum::response::Response, AdminError> {
    let format = params.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv" | "html") {
        return Err(AdminError::Invalid(format!(
            "`format` must be json, csv or html, not {format:?}"
        )));
    }
    let report = admin
        .report(&caller, &tenant, &params.from, &params.to)
        .await?;
    let (from, to) = (params.from.as_str(), params.to.as_str());
    Ok(match format {
        "csv" => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            sva_costs::render::csv(&report),
        )
            .into_response(),
        "html" => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            sva_costs::render::html(&report, from, to),
        )
            .into_response(),
        _ => Json(sva_costs::render::json(&report, from, to)).into_response(),
    })
}

/// The tenant's knowledge sources.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/kb/sources", tag = "knowledge",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The sources, by name", body = Vec<SourceView>),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
    ))]
pub async fn sources(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<Vec<SourceView>> {
    admin.sources(&caller, &tenant).await.map(Json)
}

/// Adds or replaces a knowledge source: the body is the file (Markdown, plain text,
/// HTML or CSV, UTF-8, at most 2 MiB); its name says its kind. Its passages replace the
/// ones of the same name; the same bytes again change nothing.
#[utoipa::path(put, path = "/v1/tenants/{tenant}/kb/sources/{name}", tag = "knowledge",
    params(
        ("tenant" = String, Path, description = "The tenant id"),
        ("name" = String, Path, description = "The file name: letters, digits, '.', '-', '_'; ends in .md, .txt, .html or .csv"),
    ),
    request_body(content = String, description = "The file", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Stored and indexed", body = SourceView),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
        (status = 409, description = "The tenant has the most sources allowed", body = crate::openapi::ErrorBody),
        (status = 413, description = "Larger than 2 MiB", body = crate::openapi::ErrorBody),
        (status = 422, description = "Not a usable source: name, kind, encoding or no text", body = crate::openapi::ErrorBody),
        (status = 503, description = "The index or storage is unavailable; nothing was lost, try again", body = crate::openapi::ErrorBody),
    ))]
pub async fn put_source(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SourceView>, ApiError> {
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::payload_too_large(Some(sva_retrieval::source::MAX_SOURCE_BYTES))
        }
        _ => ApiError::bad_request(format!(
            "Could not read the file: {}",
            rejection.body_text()
        )),
    })?;
    Ok(Json(admin.put_source(&caller, &tenant, &name, body).await?))
}

/// Removes a knowledge source and its passages.
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/kb/sources/{name}", tag = "knowledge",
    params(
        ("tenant" = String, Path, description = "The tenant id"),
        ("name" = String, Path, description = "The file name"),
    ),
    responses(
        (status = 200, description = "Removed", body = Deleted),
        (status = 404, description = "No such tenant or source", body = crate::openapi::ErrorBody),
    ))]
pub async fn delete_source(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Answer<Deleted> {
    admin.delete_source(&caller, &tenant, &name).await?;
    Ok(Json(Deleted { source: name }))
}

/// A source that was removed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Deleted {
    /// Its name.
    pub source: String,
}

/// A question and how many passages to show.
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The question, as a caller would ask it.
    pub q: String,
    /// How many passages, 1–50 (default 5).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Searches the knowledge base as the assistant does during a call.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/kb/search", tag = "knowledge",
    params(("tenant" = String, Path, description = "The tenant id"), SearchParams),
    responses(
        (status = 200, description = "Passages, best first", body = Vec<HitView>),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
        (status = 422, description = "An empty or overlong question", body = crate::openapi::ErrorBody),
    ))]
pub async fn search_knowledge(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(params): Query<SearchParams>,
) -> Answer<Vec<HitView>> {
    admin
        .search_knowledge(&caller, &tenant, &params.q, params.limit.unwrap_or(5))
        .await
        .map(Json)
}

/// Since when to collect unanswered questions.
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GapsParams {
    /// The first day, YYYY-MM-DD.
    pub since: String,
}

/// Questions callers asked that the knowledge base did not answer, most asked first:
/// what to add to it.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/kb/gaps", tag = "knowledge",
    params(("tenant" = String, Path, description = "The tenant id"), GapsParams),
    responses(
        (status = 200, description = "The questions", body = Vec<GapView>),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
        (status = 422, description = "`since` is not a day", body = crate::openapi::ErrorBody),
    ))]
pub async fn knowledge_gaps(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(params): Query<GapsParams>,
) -> Answer<Vec<GapView>> {
    admin
        .knowledge_gaps(&caller, &tenant, &params.since)
        .await
        .map(Json)
}

/// How many passages a re-indexing wrote.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Reindexed {
    /// Passages now in the index.
    pub passages: usize,
}

/// Puts every stored source into the index again (after the index lost them: a new
/// Qdrant cluster, a new local data directory).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/kb/reindex", tag = "knowledge",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "Re-indexed", body = Reindexed),
        (status = 404, description = "No such tenant for this key", body = crate::openapi::ErrorBody),
    ))]
pub async fn reindex_knowledge(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<Reindexed> {
    let passages = admin.reindex_knowledge(&caller, &tenant).await?;
    Ok(Json(Reindexed { passages }))
}
