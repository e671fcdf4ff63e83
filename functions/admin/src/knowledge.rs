//! The tenant's knowledge base through the admin API: upload, list and delete sources,
//! search them as the assistant would, and see the questions nobody answered.

use crate::openapi::ErrorBody;
use crate::{Admin, AdminError, Caller};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use sva_kit::{ApiError, Json};
use sva_retrieval::kb::{Gap, KbError, SourceInfo};

/// A source as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SourceView {
    /// The file name, e.g. `delivery.md`.
    pub name: String,
    /// `markdown`, `text`, `html` or `csv`.
    pub kind: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Passages it gave; absent while it is not in the index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passages: Option<u32>,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// When it was indexed, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexed_at: Option<u64>,
    /// True when the upload carried the bytes already indexed (nothing changed).
    #[serde(default)]
    pub unchanged: bool,
}

impl From<SourceInfo> for SourceView {
    fn from(info: SourceInfo) -> Self {
        SourceView {
            name: info.name,
            kind: serde_json::to_value(info.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            bytes: info.bytes,
            passages: info.passages,
            sha256: info.sha256,
            indexed_at: info.indexed_at,
            unchanged: info.unchanged,
        }
    }
}

/// A passage found for a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HitView {
    /// The source's name.
    pub source: String,
    /// The heading path inside it.
    pub heading: String,
    /// The passage, as the assistant would say it.
    pub text: String,
    /// Relevance: the BM25 score, or the fused rank score when the knowledge base has
    /// dense vectors; comparable within one answer only.
    pub score: f32,
    /// The BM25 score, when the passage shares words with the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparse: Option<f32>,
    /// The cosine similarity to the question, when the knowledge base has dense vectors
    /// and the passage was among the nearest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dense: Option<f32>,
    /// Whether the assistant would speak it (the BM25 score clears the answer bar, or the
    /// similarity clears the operator's similarity bar).
    pub answers: bool,
}

/// A question callers asked that the knowledge base did not answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GapView {
    /// The question, in one caller's words.
    pub question: String,
    /// How many times it was asked.
    pub asked: u32,
    /// The last day it was asked, `YYYY-MM-DD`.
    pub last_day: String,
    /// The last call it was asked in.
    pub last_call: String,
}

impl From<Gap> for GapView {
    fn from(gap: Gap) -> Self {
        GapView {
            question: gap.question,
            asked: gap.asked,
            last_day: gap.last_day,
            last_call: gap.last_call,
        }
    }
}

impl Admin {
    /// Adds or replaces a knowledge source of the tenant.
    pub async fn put_source(
        &self,
        caller: &Caller,
        id: &str,
        name: &str,
        body: Bytes,
    ) -> Result<SourceView, AdminError> {
        self.visible(caller, id).await?;
        let info = self.knowledge()?.put(id, name, body).await?;
        tracing::info!(tenant = %id, source = %info.name, passages = ?info.passages, unchanged = info.unchanged, "knowledge source stored");
        Ok(info.into())
    }

    /// Removes a knowledge source and its passages.
    pub async fn delete_source(
        &self,
        caller: &Caller,
        id: &str,
        name: &str,
    ) -> Result<(), AdminError> {
        self.visible(caller, id).await?;
        self.knowledge()?.delete(id, name).await?;
        tracing::info!(tenant = %id, source = %name, "knowledge source deleted");
        Ok(())
    }

    /// The tenant's knowledge sources.
    pub async fn sources(&self, caller: &Caller, id: &str) -> Result<Vec<SourceView>, AdminError> {
        self.visible(caller, id).await?;
        Ok(self
            .knowledge()?
            .list(id)
            .await?
            .into_iter()
            .map(SourceView::from)
            .collect())
    }

    /// Searches the tenant's knowledge base as the assistant would.
    pub async fn search_knowledge(
        &self,
        caller: &Caller,
        id: &str,
        question: &str,
        limit: usize,
    ) -> Result<Vec<HitView>, AdminError> {
        self.visible(caller, id).await?;
        let knowledge = self.knowledge()?;
        let search = knowledge.search(id, question, limit).await?;
        if let Some(error) = &search.dense_error {
            tracing::warn!(tenant = id, "searched by BM25 alone: {error}");
        }
        Ok(search
            .found
            .into_iter()
            .map(|f| HitView {
                answers: f.answers(search.bar, search.dense_bar),
                source: f.chunk.source,
                heading: f.chunk.heading,
                text: f.chunk.text,
                score: f.score,
                sparse: f.sparse,
                dense: f.dense,
            })
            .collect())
    }

    /// Questions callers asked since `since` (`YYYY-MM-DD`) that got no answer.
    pub async fn knowledge_gaps(
        &self,
        caller: &Caller,
        id: &str,
        since: &str,
    ) -> Result<Vec<GapView>, AdminError> {
        self.visible(caller, id).await?;
        // The reports' calendar check: a real day, not just its shape.
        if sva_costs::scan::days(since, since).is_empty() {
            return Err(AdminError::Invalid(format!(
                "`since` must be a day, YYYY-MM-DD, not {since:?}"
            )));
        }
        Ok(self
            .knowledge()?
            .gaps(id, since)
            .await?
            .into_iter()
            .map(GapView::from)
            .collect())
    }

    /// Puts every stored source of the tenant into the index again.
    pub async fn reindex_knowledge(&self, caller: &Caller, id: &str) -> Result<usize, AdminError> {
        self.visible(caller, id).await?;
        Ok(self.knowledge()?.reindex(id).await?)
    }
}

impl From<KbError> for AdminError {
    fn from(e: KbError) -> Self {
        AdminError::Knowledge(e)
    }
}

type Answer<T> = Result<Json<T>, AdminError>;

/// The tenant's knowledge sources.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/kb/sources", tag = "knowledge",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The sources, by name", body = Vec<SourceView>),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
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
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
        (status = 409, description = "The tenant has the most sources allowed", body = ErrorBody),
        (status = 413, description = "Larger than 2 MiB", body = ErrorBody),
        (status = 422, description = "Not a usable source: name, kind, encoding or no text", body = ErrorBody),
        (status = 503, description = "The index or storage is unavailable; nothing was lost, try again", body = ErrorBody),
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
        (status = 404, description = "No such tenant or source", body = ErrorBody),
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
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
        (status = 422, description = "An empty or overlong question", body = ErrorBody),
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
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
        (status = 422, description = "`since` is not a day", body = ErrorBody),
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
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
    ))]
pub async fn reindex_knowledge(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<Reindexed> {
    let passages = admin.reindex_knowledge(&caller, &tenant).await?;
    Ok(Json(Reindexed { passages }))
}
