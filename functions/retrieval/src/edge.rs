//! The in-process index: Qdrant's own engine (`qdrant-edge`), a shard per tenant.
//!
//! A shard is a directory `{root}/{tenant}`; a tenant's searches open only its own shard,
//! so no filter can be forgotten. Writes to one shard are serialised (the engine's flush
//! does not wait for locks); searches run side by side.

use crate::bm25::Bm25;
use crate::chunk::Chunk;
use crate::index::{Found, Index, IndexError, check_tenant, payload, point_id, vectors};
use crate::query;
use qdrant_edge::external::serde_json::{self, json};
use qdrant_edge::{
    Condition, CountRequest, EdgeConfig, EdgeShard, EdgeSparseVectorParams, FieldCondition, Filter,
    JsonPath, Match, Modifier, NamedQuery, PointInsertOperations, PointOperations, PointStruct,
    QueryEnum, QueryRequest, ScoringQuery, UpdateOperation, ValueVariants, VectorInternal, Vectors,
    WithPayloadInterface, WithVector,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// Passages written to the engine in one update.
const UPSERT_BATCH: usize = 256;

/// The in-process index under a directory.
pub struct EdgeIndex {
    root: PathBuf,
    bm25: Bm25,
    shards: RwLock<HashMap<String, Arc<Shard>>>,
}

struct Shard {
    /// Always `Some` until dropped.
    engine: Option<EdgeShard>,
    path: PathBuf,
    writing: Mutex<()>,
}

impl Shard {
    fn engine(&self) -> Result<&EdgeShard, IndexError> {
        self.engine
            .as_ref()
            .ok_or_else(|| IndexError::Unavailable("the shard is closed".into()))
    }
}

impl Drop for Shard {
    /// The engine flushes when dropped and panics if it cannot (its directory removed
    /// under it, a full disk). A panic in a destructor can abort the process, so the
    /// flush's panic is caught, and an engine whose directory is gone is let go unflushed.
    fn drop(&mut self) {
        let Some(engine) = self.engine.take() else {
            return;
        };
        if !self.path.exists() {
            std::mem::forget(engine);
            return;
        }
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(engine))).is_err() {
            tracing::warn!(path = %self.path.display(), "the knowledge index could not be flushed on close");
        }
    }
}

/// Runs an engine call that may panic (its flush does on I/O errors) as a `Result`.
fn guarded<T>(work: impl FnOnce() -> Result<T, IndexError>) -> Result<T, IndexError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
        .unwrap_or_else(|_| Err(IndexError::Unavailable("the knowledge index failed".into())))
}

impl std::fmt::Debug for EdgeIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeIndex")
            .field("root", &self.root)
            .finish()
    }
}

fn unavailable(e: impl std::fmt::Display) -> IndexError {
    IndexError::Unavailable(e.to_string())
}

impl EdgeIndex {
    /// An index keeping its shards under `root` (created on first use).
    pub fn open(root: impl Into<PathBuf>) -> EdgeIndex {
        EdgeIndex {
            root: root.into(),
            bm25: Bm25::russian(),
            shards: RwLock::new(HashMap::new()),
        }
    }

    fn config() -> EdgeConfig {
        EdgeConfig {
            sparse_vectors: HashMap::from([(
                vectors::BM25.to_owned(),
                EdgeSparseVectorParams {
                    modifier: Some(Modifier::Idf),
                    ..Default::default()
                },
            )]),
            ..Default::default()
        }
    }

    /// The tenant's shard, opened or created on first use; `None` when it has none and
    /// `create` is false.
    fn shard(&self, tenant: &str, create: bool) -> Result<Option<Arc<Shard>>, IndexError> {
        check_tenant(tenant)?;
        if let Some(shard) = self.shards.read().map_err(unavailable)?.get(tenant) {
            return Ok(Some(shard.clone()));
        }
        let mut shards = self.shards.write().map_err(unavailable)?;
        if let Some(shard) = shards.get(tenant) {
            return Ok(Some(shard.clone()));
        }
        let path = self.root.join(tenant);
        let engine = if path.join("edge_config.json").exists() {
            EdgeShard::load(&path, None).map_err(unavailable)?
        } else if create {
            std::fs::create_dir_all(&path).map_err(unavailable)?;
            EdgeShard::new(&path, Self::config()).map_err(unavailable)?
        } else {
            return Ok(None);
        };
        let shard = Arc::new(Shard {
            engine: Some(engine),
            path,
            writing: Mutex::new(()),
        });
        shards.insert(tenant.to_owned(), shard.clone());
        Ok(Some(shard))
    }

    fn source_filter(source: &str) -> Result<Filter, IndexError> {
        let key = JsonPath::try_from(payload::SOURCE)
            .map_err(|_| IndexError::Unexpected("the payload key".into()))?;
        Ok(Filter::new_must(Condition::Field(
            FieldCondition::new_match(
                key,
                Match::new_value(ValueVariants::String(source.to_owned())),
            ),
        )))
    }
}

impl Index for EdgeIndex {
    fn replace(&self, tenant: &str, source: &str, chunks: &[Chunk]) -> Result<(), IndexError> {
        let Some(shard) = self.shard(tenant, !chunks.is_empty())? else {
            return Ok(());
        };
        let _writing = shard.writing.lock().map_err(unavailable)?;
        let engine = shard.engine()?;
        guarded(|| self.write(engine, source, chunks))
    }

    fn search(&self, tenant: &str, query: &str, limit: usize) -> Result<Vec<Found>, IndexError> {
        let Some(shard) = self.shard(tenant, false)? else {
            return Ok(Vec::new());
        };
        let query = self.bm25.query(&query::for_search(query));
        if query.indices.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let engine = shard.engine()?;
        guarded(|| Self::read(engine, query, limit))
    }

    fn count(&self, tenant: &str) -> Result<usize, IndexError> {
        let Some(shard) = self.shard(tenant, false)? else {
            return Ok(0);
        };
        let engine = shard.engine()?;
        guarded(|| {
            engine
                .count(CountRequest {
                    filter: None,
                    exact: true,
                })
                .map_err(unavailable)
        })
    }

    fn may_block(&self) -> bool {
        false
    }
}

impl EdgeIndex {
    /// Deletes the source's passages and writes `chunks` (the shard's write lock held).
    fn write(&self, engine: &EdgeShard, source: &str, chunks: &[Chunk]) -> Result<(), IndexError> {
        engine
            .update(UpdateOperation::PointOperation(
                PointOperations::DeletePointsByFilter(Self::source_filter(source)?),
            ))
            .map_err(unavailable)?;
        for batch in chunks.chunks(UPSERT_BATCH) {
            let points = batch
                .iter()
                .map(|chunk| {
                    let sparse = self.bm25.document(&query::for_index(&chunk.indexed_text()));
                    PointStruct::new(
                        point_id(&chunk.source, chunk.position),
                        Vectors::new_named([(vectors::BM25, sparse)]),
                        json!({
                            payload::SOURCE: chunk.source,
                            payload::HEADING: chunk.heading,
                            payload::TEXT: chunk.text,
                            payload::POSITION: chunk.position,
                        }),
                    )
                    .into()
                })
                .collect();
            engine
                .update(UpdateOperation::PointOperation(
                    PointOperations::UpsertPoints(PointInsertOperations::PointsList(points)),
                ))
                .map_err(unavailable)?;
        }
        // Merges segments and builds the sparse index, so searches see one IDF.
        engine.optimize().map_err(unavailable)?;
        engine.flush();
        Ok(())
    }

    /// The best `limit` passages for a query vector.
    fn read(
        engine: &EdgeShard,
        query: qdrant_edge::SparseVector,
        limit: usize,
    ) -> Result<Vec<Found>, IndexError> {
        let points = engine
            .query(QueryRequest {
                prefetches: vec![],
                query: Some(ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
                    query: VectorInternal::from(query),
                    using: Some(vectors::BM25.to_owned()),
                }))),
                filter: None,
                score_threshold: None,
                limit,
                offset: 0,
                params: None,
                with_vector: WithVector::Bool(false),
                with_payload: WithPayloadInterface::Bool(true),
            })
            .map_err(unavailable)?;
        points
            .into_iter()
            .map(|point| {
                let payload = point.payload.map(|p| p.0).unwrap_or_default();
                Ok(Found {
                    chunk: chunk_from_payload(serde_json::Value::Object(payload))?,
                    score: point.score,
                })
            })
            .collect()
    }
}

/// A stored payload read back into a passage.
pub(crate) fn chunk_from_payload(value: serde_json::Value) -> Result<Chunk, IndexError> {
    let get = |key: &str| value.get(key);
    let text = |key: &str| {
        get(key)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| IndexError::Unexpected(format!("a passage without {key}")))
    };
    Ok(Chunk {
        source: text(payload::SOURCE)?,
        heading: text(payload::HEADING)?,
        text: text(payload::TEXT)?,
        position: get(payload::POSITION)
            .and_then(|v| v.as_u64())
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or_default(),
    })
}
