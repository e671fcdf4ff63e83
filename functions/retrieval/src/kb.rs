//! The knowledge base as a service: sources kept in object storage, their passages in
//! the index, and the questions nobody could answer.
//!
//! Object layout (one tenant):
//!
//! ```text
//! tenants/{tenant}/kb/sources/{name}          the file as uploaded
//! tenants/{tenant}/kb/indexed/{name}.json     what the index holds of it (hash, passages)
//! ```
//!
//! The questions a call could not get answered are written by the dialog function at the
//! end of the call ([`sva_wire::CallGaps`] at [`sva_wire::key::gaps`]): they grow with
//! calls, so they live beside `calls/`, not under `tenants/` (which the tenant listing
//! reads). [`KnowledgeBase::gaps`] reads them.
//!
//! The stored files are the truth; the index can be rebuilt from them ([`KnowledgeBase::reindex`]).

use crate::chunk::{Chunk, chunk};
use crate::embed::{EmbedError, Embeddings, Purpose};
use crate::index::{Found, Index, IndexError, check_tenant};
use crate::source::{SourceError, SourceKind, check_name};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use sva_kit::storage::{DynStore, StorageError};
use unicode_normalization::UnicodeNormalization;

/// The most sources one tenant may keep.
pub const MAX_SOURCES: usize = 500;

/// The longest question searched, in characters (a caller's utterance is far shorter).
pub const MAX_QUERY_CHARS: usize = 500;

/// How long embedding a question for a search may take.
const EMBED_QUESTION_BUDGET: Duration = Duration::from_secs(5);

/// Why a knowledge-base operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KbError {
    /// The source was refused (name, kind, size, encoding, content).
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// Object storage failed.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// The passages could not be embedded (nothing was stored: the earlier version stays).
    #[error(transparent)]
    Embeddings(#[from] EmbedError),
    /// No such source.
    #[error("the knowledge base has no source {0:?}")]
    NotFound(String),
    /// The tenant already keeps [`MAX_SOURCES`] sources.
    #[error("the knowledge base already has {MAX_SOURCES} sources; delete some first")]
    TooManySources,
    /// The question is empty or longer than [`MAX_QUERY_CHARS`].
    #[error("the question must have 1–{MAX_QUERY_CHARS} characters")]
    BadQuery,
}

impl KbError {
    /// A machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            KbError::Source(e) => e.code(),
            KbError::Index(e) => e.code(),
            KbError::Storage(_) => "storage_unavailable",
            KbError::Embeddings(e) => e.code(),
            KbError::NotFound(_) => "source_not_found",
            KbError::TooManySources => "too_many_sources",
            KbError::BadQuery => "bad_query",
        }
    }

    /// Whether the caller's request was at fault (as opposed to the service).
    pub fn is_callers(&self) -> bool {
        !matches!(
            self,
            KbError::Storage(_)
                | KbError::Embeddings(_)
                | KbError::Index(IndexError::Unavailable(_) | IndexError::Unexpected(_))
        )
    }
}

/// What the knowledge base knows of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The file name.
    pub name: String,
    /// Its kind.
    pub kind: SourceKind,
    /// Its size in bytes.
    pub bytes: u64,
    /// How many passages it gave; `None` while it is not in the index.
    pub passages: Option<u32>,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// When it was indexed, Unix seconds.
    pub indexed_at: Option<u64>,
    /// Set by an upload that changed nothing (the same bytes were already indexed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unchanged: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Indexed {
    sha256: String,
    bytes: u64,
    passages: u32,
    indexed_at: u64,
    /// The dense model and size the passages were embedded with; `None` for BM25 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dense: Option<String>,
}

/// A question searched as the assistant would search it.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// The passages found, best first.
    pub found: Vec<Found>,
    /// The BM25 score a passage must reach to be spoken ([`crate::answer_bar`]).
    pub bar: f32,
    /// The similarity a passage must reach to be spoken on its meaning alone, when the
    /// operator has set one.
    pub dense_bar: Option<f32>,
    /// Tokens spent embedding the question.
    pub embedding_tokens: u64,
    /// Why the question was searched by BM25 alone although embeddings are configured.
    pub dense_error: Option<String>,
}

/// A question that callers asked and the knowledge base did not answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// The question as first heard (the words of one caller).
    pub question: String,
    /// How many times it was asked (questions equal after lowercasing and dropping
    /// punctuation count as one).
    pub asked: u32,
    /// The last day it was asked, `YYYY-MM-DD`.
    pub last_day: String,
    /// The last call it was asked in.
    pub last_call: String,
}

/// The knowledge base of every tenant.
#[derive(Clone)]
pub struct KnowledgeBase {
    store: DynStore,
    index: Arc<dyn Index>,
    embeddings: Option<Arc<Embeddings>>,
}

impl std::fmt::Debug for KnowledgeBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnowledgeBase").finish_non_exhaustive()
    }
}

fn prefix(tenant: &str) -> String {
    format!("tenants/{tenant}/kb/")
}

fn source_key(tenant: &str, name: &str) -> String {
    format!("{}sources/{name}", prefix(tenant))
}

fn indexed_key(tenant: &str, name: &str) -> String {
    format!("{}indexed/{name}.json", prefix(tenant))
}

impl KnowledgeBase {
    /// A knowledge base keeping sources in `store` and passages in `index`, BM25 only.
    pub fn new(store: DynStore, index: Arc<dyn Index>) -> KnowledgeBase {
        KnowledgeBase {
            store,
            index,
            embeddings: None,
        }
    }

    /// The same knowledge base embedding passages and questions with `embeddings`, when
    /// given (the index must be built for their size).
    pub fn with_embeddings(mut self, embeddings: Option<Arc<Embeddings>>) -> KnowledgeBase {
        self.embeddings = embeddings;
        self
    }

    /// The embeddings client, when passages and questions are embedded.
    pub fn embeddings(&self) -> Option<Arc<Embeddings>> {
        self.embeddings.clone()
    }

    /// What the index's passages carry beyond BM25: the dense model and size.
    fn dense_layout(&self) -> Option<String> {
        self.embeddings.as_ref().map(|e| e.layout())
    }

    /// The passages' embeddings, when embeddings are configured (else none), at the
    /// client's pace.
    async fn embed_passages(&self, chunks: &[Chunk]) -> Result<Vec<Vec<f32>>, KbError> {
        let Some(embeddings) = self.embeddings.clone() else {
            return Ok(Vec::new());
        };
        let texts: Vec<String> = chunks.iter().map(Chunk::indexed_text).collect();
        let budget = embeddings.budget_for(texts.len());
        let embedded = embeddings.embed(&texts, Purpose::Document, budget).await?;
        Ok(embedded.vectors)
    }

    /// Makes `chunks`, with their `dense` embeddings, the source's only passages in the
    /// index, and records what the index holds.
    async fn index_source(
        &self,
        tenant: &str,
        name: &str,
        body: &Bytes,
        chunks: Vec<Chunk>,
        dense: Vec<Vec<f32>>,
    ) -> Result<Indexed, KbError> {
        let passages = chunks.len() as u32;
        self.index.replace(tenant, name, &chunks, &dense).await?;
        let indexed = Indexed {
            sha256: hex::encode(Sha256::digest(body)),
            bytes: body.len() as u64,
            passages,
            indexed_at: sva_kit::unix_now(),
            dense: self.dense_layout(),
        };
        self.store
            .put(&indexed_key(tenant, name), json_bytes(&indexed))
            .await?;
        Ok(indexed)
    }

    /// The index, for the dialog's retrieval.
    pub fn index(&self) -> Arc<dyn Index> {
        self.index.clone()
    }

    /// Adds or replaces a source: checks and reads it, keeps the file, and makes its
    /// passages the only ones of that name in the index. Uploading the same bytes again
    /// changes nothing.
    pub async fn put(&self, tenant: &str, name: &str, body: Bytes) -> Result<SourceInfo, KbError> {
        check_tenant(tenant)?;
        let name: String = name.nfc().collect();
        let kind = check_name(&name)?;
        // Parsing is CPU work on untrusted input: off the async workers.
        let chunks = {
            let (n, b) = (name.clone(), body.clone());
            tokio::task::spawn_blocking(move || chunk(&n, &b))
                .await
                .map_err(|e| IndexError::Unavailable(format!("reading the source failed: {e}")))??
        };
        let sha256 = hex::encode(Sha256::digest(&body));
        let bytes = body.len() as u64;
        let previous = self.indexed(tenant, &name).await?;
        let layout = self.dense_layout();
        if let Some(previous) = previous
            .as_ref()
            .filter(|p| p.sha256 == sha256 && p.dense == layout)
            && self.store.exists(&source_key(tenant, &name)).await?
        {
            return Ok(SourceInfo {
                name,
                kind,
                bytes,
                passages: Some(previous.passages),
                sha256,
                indexed_at: Some(previous.indexed_at),
                unchanged: true,
            });
        }
        if previous.is_none() && !self.store.exists(&source_key(tenant, &name)).await? {
            let count = self
                .store
                .list(&format!("{}sources/", prefix(tenant)))
                .await?
                .len();
            if count >= MAX_SOURCES {
                return Err(KbError::TooManySources);
            }
        }
        // The passages are embedded before anything is touched: if the embeddings service
        // fails, the upload is refused and the earlier version stays as it was, file,
        // passages and record alike.
        let dense = self.embed_passages(&chunks).await?;
        // What the index holds is forgotten first, then the file replaced: if indexing
        // fails, the source shows as not indexed, and the next upload (even of the old
        // bytes) or `reindex` finishes it — never an "unchanged" that is not true.
        if previous.is_some() {
            self.store.delete(&indexed_key(tenant, &name)).await?;
        }
        self.store
            .put(&source_key(tenant, &name), body.clone())
            .await?;
        let indexed = self
            .index_source(tenant, &name, &body, chunks, dense)
            .await?;
        Ok(SourceInfo {
            name,
            kind,
            bytes,
            passages: Some(indexed.passages),
            sha256,
            indexed_at: Some(indexed.indexed_at),
            unchanged: false,
        })
    }

    /// Removes a source and its passages.
    pub async fn delete(&self, tenant: &str, name: &str) -> Result<(), KbError> {
        check_tenant(tenant)?;
        let name: String = name.nfc().collect();
        check_name(&name)?;
        let stored = self.store.exists(&source_key(tenant, &name)).await?;
        if !stored && self.indexed(tenant, &name).await?.is_none() {
            return Err(KbError::NotFound(name));
        }
        self.index.replace(tenant, &name, &[], &[]).await?;
        self.store.delete(&indexed_key(tenant, &name)).await?;
        self.store.delete(&source_key(tenant, &name)).await?;
        Ok(())
    }

    /// The tenant's sources, by name.
    pub async fn list(&self, tenant: &str) -> Result<Vec<SourceInfo>, KbError> {
        check_tenant(tenant)?;
        let sources = format!("{}sources/", prefix(tenant));
        let mut out = Vec::new();
        for key in self.store.list(&sources).await? {
            let name = key[sources.len()..].to_owned();
            let Ok(kind) = check_name(&name) else {
                continue;
            };
            let indexed = self.indexed(tenant, &name).await?;
            let size = match &indexed {
                Some(i) => i.bytes,
                None => self.store.head(&key).await?.map_or(0, |m| m.size),
            };
            out.push(SourceInfo {
                name,
                kind,
                bytes: size,
                passages: indexed.as_ref().map(|i| i.passages),
                sha256: indexed
                    .as_ref()
                    .map(|i| i.sha256.clone())
                    .unwrap_or_default(),
                indexed_at: indexed.as_ref().map(|i| i.indexed_at),
                unchanged: false,
            });
        }
        Ok(out)
    }

    /// The best passages for `query`, best first, and what it takes to be spoken: the
    /// search the assistant makes. When the question cannot be embedded, it is searched
    /// by BM25 alone and [`Search::dense_error`] says why.
    pub async fn search(&self, tenant: &str, query: &str, limit: usize) -> Result<Search, KbError> {
        check_tenant(tenant)?;
        let query = query.trim();
        if query.is_empty() || query.chars().count() > MAX_QUERY_CHARS {
            return Err(KbError::BadQuery);
        }
        let (mut vector, mut embedding_tokens, mut dense_error) = (None, 0, None);
        if let Some(embeddings) = &self.embeddings {
            match embeddings.question(query, EMBED_QUESTION_BUDGET).await {
                Ok((question, tokens)) => {
                    embedding_tokens = tokens;
                    vector = Some(question);
                }
                Err(e) => dense_error = Some(format!("{}: {e}", e.code())),
            }
        }
        let found = self
            .index
            .search(tenant, query, vector.as_deref(), limit.clamp(1, 50))
            .await?;
        Ok(Search {
            found,
            bar: self.answer_bar(tenant).await?,
            dense_bar: self.embeddings.as_ref().and_then(|e| e.answer_similarity()),
            embedding_tokens,
            dense_error,
        })
    }

    /// The score a passage of `tenant` must reach to be spoken as an answer
    /// ([`crate::answer_bar`] of the tenant's passage count).
    pub async fn answer_bar(&self, tenant: &str) -> Result<f32, KbError> {
        check_tenant(tenant)?;
        let passages = self.index.count(tenant).await?;
        Ok(crate::answer_bar(passages))
    }

    /// Puts every stored source of `tenant` into the index again, for an index that lost
    /// them (a new data directory, a new Qdrant cluster). Returns how many passages. A
    /// stored file that no longer reads is skipped (and logged), not fatal.
    pub async fn reindex(&self, tenant: &str) -> Result<usize, KbError> {
        check_tenant(tenant)?;
        let mut total = 0;
        for info in self.list(tenant).await? {
            let Some(body) = self.store.get(&source_key(tenant, &info.name)).await? else {
                continue;
            };
            let (n, b) = (info.name.clone(), body.clone());
            let read = tokio::task::spawn_blocking(move || chunk(&n, &b))
                .await
                .map_err(|e| IndexError::Unavailable(format!("reading the source failed: {e}")))?;
            let chunks = match read {
                Ok(chunks) => chunks,
                Err(e) => {
                    tracing::warn!(tenant, source = %info.name, code = e.code(), "a stored source is skipped: {e}");
                    continue;
                }
            };
            total += chunks.len();
            let dense = self.embed_passages(&chunks).await?;
            self.index_source(tenant, &info.name, &body, chunks, dense)
                .await?;
        }
        Ok(total)
    }

    /// The questions callers asked since `since_day` (`YYYY-MM-DD`, inclusive) that got
    /// no answer, most asked first.
    pub async fn gaps(&self, tenant: &str, since_day: &str) -> Result<Vec<Gap>, KbError> {
        check_tenant(tenant)?;
        let root = sva_wire::key::gaps_prefix(tenant);
        let mut by_question: BTreeMap<String, Gap> = BTreeMap::new();
        for key in self.store.list(&root).await? {
            let day = key[root.len()..]
                .split('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            if day.as_str() < since_day {
                continue;
            }
            let Some(body) = self.store.get(&key).await? else {
                continue;
            };
            // An unreadable object is skipped, not fatal: gaps are advice.
            let Ok(call) = serde_json::from_slice::<sva_wire::CallGaps>(&body) else {
                continue;
            };
            for question in call.questions {
                let gap = by_question
                    .entry(normalize(&question))
                    .or_insert_with(|| Gap {
                        question: question.clone(),
                        asked: 0,
                        last_day: String::new(),
                        last_call: String::new(),
                    });
                gap.asked += 1;
                if day >= gap.last_day {
                    gap.last_day = day.clone();
                    gap.last_call = call.call.clone();
                }
            }
        }
        let mut gaps: Vec<Gap> = by_question.into_values().collect();
        gaps.sort_by(|a, b| b.asked.cmp(&a.asked).then(b.last_day.cmp(&a.last_day)));
        Ok(gaps)
    }

    async fn indexed(&self, tenant: &str, name: &str) -> Result<Option<Indexed>, KbError> {
        Ok(self
            .store
            .get(&indexed_key(tenant, name))
            .await?
            .and_then(|b| serde_json::from_slice(&b).ok()))
    }
}

/// A question's identity for counting: lowercase words, no punctuation, `ё` as `е`.
fn normalize(question: &str) -> String {
    question
        .to_lowercase()
        .replace('ё', "е")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn json_bytes(value: &impl Serialize) -> Bytes {
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn questions_count_as_one_whatever_the_punctuation() {
        assert_eq!(
            normalize("А погрузчики есть?"),
            normalize("а  погрузчики  есть")
        );
        assert_eq!(normalize("Ещё"), "еще");
    }
}
