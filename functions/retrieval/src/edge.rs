//! The in-process index: Qdrant's own engine (`qdrant-edge`), a shard per tenant.
//!
//! A shard is a directory `{root}/{tenant}.ng4` (`{root}/{tenant}.ng4.dense{size}` when
//! passages carry dense vectors too, so turning embeddings on starts a new shard instead of
//! mixing passages with and without them; `.ng4` since passages carry character 4-grams
//! beside BM25, [`crate::rank`], so an index of an earlier build is not mixed in); a tenant's searches open only its own shard,
//! so no filter can be forgotten. Writes to one shard are serialised (the engine's flush
//! does not wait for locks); searches run side by side.

use crate::bm25::Bm25;
use crate::chunk::Chunk;
use crate::index::{
    Found, Index, IndexError, check_dense, check_tenant, payload, point_id, vectors,
};
use crate::query::Synonyms;
use crate::{query, rank};
use qdrant_edge::external::ordered_float::OrderedFloat;
use qdrant_edge::external::serde_json::{self, json};
use qdrant_edge::{
    Condition, CountRequest, Distance, EdgeConfig, EdgeShard, EdgeSparseVectorParams,
    EdgeVectorParams, FieldCondition, Filter, JsonPath, Match, Modifier, NamedQuery,
    PointInsertOperations, PointOperations, PointStruct, QueryEnum, QueryRequest, Range,
    ScoringQuery, SparseVector, UpdateOperation, ValueVariants, Vector, VectorInternal, Vectors,
    WithPayloadInterface, WithVector,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// Passages written to the engine in one update.
const UPSERT_BATCH: usize = 256;

/// The in-process index under a directory.
///
/// Searches and counts run in place (a search is well under a millisecond at the sizes a
/// tenant keeps, `docs/performance.md`); writes, which index and flush a whole source, run
/// on the blocking pool when there is a runtime.
#[derive(Clone)]
pub struct EdgeIndex {
    engine: Arc<Engine>,
}

/// The shards and what every operation needs.
struct Engine {
    root: PathBuf,
    bm25: Bm25,
    /// The dense vectors' size, when passages carry them.
    dense: Option<usize>,
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
            .field("root", &self.engine.root)
            .field("dense", &self.engine.dense)
            .finish()
    }
}

fn unavailable(e: impl std::fmt::Display) -> IndexError {
    IndexError::Unavailable(e.to_string())
}

impl EdgeIndex {
    /// An index keeping its shards under `root` (created on first use), BM25 only.
    pub fn open(root: impl Into<PathBuf>) -> EdgeIndex {
        EdgeIndex {
            engine: Arc::new(Engine::new(root.into())),
        }
    }

    /// The same index with dense vectors of `dimensions` numbers beside BM25 (in shards
    /// of their own).
    pub fn with_dense(self, dimensions: usize) -> EdgeIndex {
        EdgeIndex {
            engine: Arc::new(Engine {
                dense: Some(dimensions),
                ..Engine::new(self.engine.root.clone())
            }),
        }
    }
}

#[async_trait::async_trait]
impl Index for EdgeIndex {
    async fn replace(
        &self,
        tenant: &str,
        source: &str,
        chunks: &[Chunk],
        dense: &[Vec<f32>],
    ) -> Result<(), IndexError> {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return self.engine.replace(tenant, source, chunks, dense);
        };
        let engine = self.engine.clone();
        let (tenant, source) = (tenant.to_owned(), source.to_owned());
        let (chunks, dense) = (chunks.to_vec(), dense.to_vec());
        runtime
            .spawn_blocking(move || engine.replace(&tenant, &source, &chunks, &dense))
            .await
            .map_err(|e| IndexError::Unavailable(format!("the index task failed: {e}")))?
    }

    async fn search(
        &self,
        tenant: &str,
        query: &str,
        dense: Option<&[f32]>,
        limit: usize,
    ) -> Result<Vec<Found>, IndexError> {
        self.engine
            .search(tenant, query, &Synonyms::russian_sales(), dense, limit)
    }

    async fn search_with(
        &self,
        tenant: &str,
        query: &str,
        synonyms: &Synonyms,
        dense: Option<&[f32]>,
        limit: usize,
    ) -> Result<Vec<Found>, IndexError> {
        self.engine.search(tenant, query, synonyms, dense, limit)
    }

    async fn count(&self, tenant: &str) -> Result<usize, IndexError> {
        self.engine.count(tenant)
    }
}

impl Engine {
    fn new(root: PathBuf) -> Engine {
        Engine {
            root,
            bm25: Bm25::russian(),
            dense: None,
            shards: RwLock::new(HashMap::new()),
        }
    }

    fn config(&self) -> EdgeConfig {
        EdgeConfig {
            vectors: self
                .dense
                .map(|size| {
                    HashMap::from([(
                        vectors::DENSE.to_owned(),
                        EdgeVectorParams::builder(size, Distance::Cosine).build(),
                    )])
                })
                .unwrap_or_default(),
            sparse_vectors: [vectors::BM25, vectors::NGRAM]
                .into_iter()
                .map(|name| {
                    (
                        name.to_owned(),
                        EdgeSparseVectorParams {
                            modifier: Some(Modifier::Idf),
                            ..Default::default()
                        },
                    )
                })
                .collect(),
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
        let path = match self.dense {
            None => self.root.join(format!("{tenant}.ng4")),
            Some(size) => self.root.join(format!("{tenant}.ng4.dense{size}")),
        };
        let engine = if path.join("edge_config.json").exists() {
            EdgeShard::load(&path, None).map_err(unavailable)?
        } else if create {
            std::fs::create_dir_all(&path).map_err(unavailable)?;
            EdgeShard::new(&path, self.config()).map_err(unavailable)?
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

    /// The passages of `source` at position `from` or later: what a source that now has
    /// `from` passages no longer has.
    fn stale_filter(source: &str, from: usize) -> Result<Filter, IndexError> {
        let key = |name: &str| {
            JsonPath::try_from(name).map_err(|_| IndexError::Unexpected("the payload key".into()))
        };
        Ok(Filter {
            must: Some(vec![
                Condition::Field(FieldCondition::new_match(
                    key(payload::SOURCE)?,
                    Match::new_value(ValueVariants::String(source.to_owned())),
                )),
                Condition::Field(FieldCondition::new_range(
                    key(payload::POSITION)?,
                    Range {
                        gte: Some(OrderedFloat(from as f64)),
                        ..Default::default()
                    },
                )),
            ]),
            ..Default::default()
        })
    }
}

impl Engine {
    fn replace(
        &self,
        tenant: &str,
        source: &str,
        chunks: &[Chunk],
        dense: &[Vec<f32>],
    ) -> Result<(), IndexError> {
        check_dense(chunks, dense, self.dense)?;
        let Some(shard) = self.shard(tenant, !chunks.is_empty())? else {
            return Ok(());
        };
        let _writing = shard.writing.lock().map_err(unavailable)?;
        let engine = shard.engine()?;
        guarded(|| self.write(engine, source, chunks, dense))
    }

    fn search(
        &self,
        tenant: &str,
        query: &str,
        synonyms: &Synonyms,
        dense: Option<&[f32]>,
        limit: usize,
    ) -> Result<Vec<Found>, IndexError> {
        let Some(shard) = self.shard(tenant, false)? else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let question = query::for_search_with(query, synonyms);
        let sparse = self.bm25.query(&question);
        let grams = rank::ngram_query(&question);
        // A question embedded for another size (a misconfiguration) is searched by BM25.
        let dense = dense.filter(|d| self.dense == Some(d.len()));
        let engine = shard.engine()?;
        // Each ranking is read deeper than asked: fusion and re-ranking may lift a passage
        // from below `limit` in one of them.
        let depth = limit.max(rank::DEPTH);
        guarded(|| {
            let by_words = if sparse.indices.is_empty() {
                Vec::new()
            } else {
                Self::read(engine, VectorInternal::from(sparse), vectors::BM25, depth)?
            };
            let by_letters = if grams.indices.is_empty() {
                Vec::new()
            } else {
                let grams = SparseVector::new(grams.indices, grams.values).map_err(unavailable)?;
                Self::read(engine, VectorInternal::from(grams), vectors::NGRAM, depth)?
            };
            let by_meaning = match dense {
                None => None,
                Some(dense) => Some(Self::read(
                    engine,
                    VectorInternal::from(dense.to_vec()),
                    vectors::DENSE,
                    depth,
                )?),
            };
            Ok(rank::combine(
                &question, by_words, by_letters, by_meaning, depth, limit,
            ))
        })
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
}

impl Engine {
    /// Writes `chunks`, with their `dense` vectors when given, over the source's earlier
    /// passages (the ids are stable, so a position overwrites itself), then deletes those
    /// past the new count: a search never finds the source without passages (the shard's
    /// write lock held).
    fn write(
        &self,
        engine: &EdgeShard,
        source: &str,
        chunks: &[Chunk],
        dense: &[Vec<f32>],
    ) -> Result<(), IndexError> {
        for (at, batch) in chunks.chunks(UPSERT_BATCH).enumerate() {
            let points = batch
                .iter()
                .enumerate()
                .map(|(i, chunk)| {
                    let text = rank::passage_text(chunk);
                    let sparse = self.bm25.document(&text);
                    let grams = rank::ngram_document(&text);
                    let grams = SparseVector {
                        indices: grams.indices,
                        values: grams.values,
                    };
                    let mut named = vec![
                        (vectors::BM25, Vector::from(sparse)),
                        (vectors::NGRAM, Vector::from(grams)),
                    ];
                    if let Some(vector) = dense.get(at * UPSERT_BATCH + i) {
                        named.push((vectors::DENSE, Vector::from(vector.as_slice())));
                    }
                    PointStruct::new(
                        point_id(&chunk.source, chunk.position),
                        Vectors::new_named(named),
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
        engine
            .update(UpdateOperation::PointOperation(
                PointOperations::DeletePointsByFilter(Self::stale_filter(source, chunks.len())?),
            ))
            .map_err(unavailable)?;
        // Merges segments and builds the sparse index, so searches see one IDF.
        engine.optimize().map_err(unavailable)?;
        engine.flush();
        Ok(())
    }

    /// The best `limit` passages for a query vector of the named vector `using`.
    fn read(
        engine: &EdgeShard,
        query: VectorInternal,
        using: &str,
        limit: usize,
    ) -> Result<Vec<Found>, IndexError> {
        let points = engine
            .query(QueryRequest {
                prefetches: vec![],
                query: Some(ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
                    query,
                    using: Some(using.to_owned()),
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
                Ok(Found::sparse(
                    chunk_from_payload(serde_json::Value::Object(payload))?,
                    point.score,
                ))
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
