//! The production index: a Qdrant server over gRPC, one collection per tenant.
//!
//! A tenant's passages live in the collection `{prefix}{tenant}` (default prefix
//! [`DEFAULT_PREFIX`]), created on the tenant's first non-empty [`Index::replace`] with one
//! sparse vector, [`vectors::BM25`], under the IDF modifier, and a keyword index on the
//! [`payload::SOURCE`] field. Every request names that one collection, so no filter can be
//! forgotten.
//!
//! The server computes the BM25 vectors itself (its built-in `qdrant/bm25` inference, the
//! same pipeline and constants as [`crate::bm25`] applies in process): passages and
//! questions travel as text, and this back end does not carry the embedded engine.
//!
//! With dense embeddings configured ([`ServerConfig::dense`], their size `d`), a tenant's
//! passages live in `{prefix}{tenant}_dense{d}` instead (tenant ids have no `_`, so the
//! names cannot clash), made with a named dense vector, [`vectors::DENSE`], of `d` numbers
//! under cosine similarity beside the BM25 one: turning embeddings on, or changing their
//! size, starts new collections instead of mixing passages with and without vectors (the
//! sources are indexed again into them). Each point carries its passage's embedding, and a
//! search with the question's embedding sends the BM25 query and the nearest-vector query
//! in one batch and fuses the two rankings by reciprocal rank ([`crate::index::fuse`]).
//!
//! Every request has a deadline of its own, and every operation a budget over its
//! requests; an operation whose future is dropped (the turn's deadline passed) cancels
//! its request.

use crate::chunk::Chunk;
use crate::index::{
    Found, Index, IndexError, Ranking, check_dense, check_tenant, payload, point_id, vectors,
};
use crate::query::Synonyms;
use crate::rank;
use async_trait::async_trait;
use qdrant_client::qdrant::{
    Condition, CountPoints, CreateCollection, CreateFieldIndexCollection, DeletePoints,
    DenseVector, Distance, Document, FieldCondition, FieldType, Filter, Match, Modifier,
    NamedVectors, PointId, PointStruct, PointsOperationResponse, PointsSelector, Query,
    QueryBatchPoints, QueryPoints, Range, ScoredPoint, SparseVector, SparseVectorConfig,
    SparseVectorParams, UpdateStatus, UpsertPoints, Value, Vector, VectorInput, VectorParams,
    VectorParamsMap, Vectors, VectorsConfig, WithPayloadSelector, condition::ConditionOneOf,
    r#match::MatchValue, point_id::PointIdOptions, points_selector::PointsSelectorOneOf, query,
    value::Kind, vector, vector_input, vectors::VectorsOptions, vectors_config,
    with_payload_selector::SelectorOptions,
};
use qdrant_client::{Qdrant, QdrantError};
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use tonic::Code;

/// The collection name prefix when none is configured: collections are `sva_kb_{tenant}`.
pub const DEFAULT_PREFIX: &str = "sva_kb_";

/// How long a search (or a count, or a health check) may take by default.
pub const DEFAULT_SEARCH_TIMEOUT: Duration = Duration::from_secs(2);

/// How long each write request (a delete, a batch upsert, a collection's creation) may take
/// by default.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The server's built-in BM25 model.
pub const BM25_MODEL: &str = "qdrant/bm25";

/// The BM25 pipeline's language: the server's Snowball stemmer and stop words. The same
/// value as `bm25::LANGUAGE` (feature `edge`), which this feature does not carry.
const BM25_LANGUAGE: &str = "russian";

/// The average passage length in tokens, BM25's length-normalisation anchor. The same value
/// as `bm25::AVERAGE_TOKENS` (feature `edge`): both back ends must weigh terms alike.
const BM25_AVERAGE_TOKENS: f64 = 60.0;

/// Passages sent in one upsert.
const UPSERT_BATCH: usize = 256;

/// The longest collection prefix accepted.
const MAX_PREFIX_LEN: usize = 64;

/// Where the Qdrant server is and how long it may take.
///
/// `Debug` never shows the API key.
#[derive(Clone)]
pub struct ServerConfig {
    /// The server's gRPC address, e.g. `https://qdrant.internal:6334` (`http` or `https`).
    pub url: String,
    /// The API key sent with every request (`api-key` header), if the server wants one.
    pub api_key: Option<String>,
    /// Prepended to the tenant id to name the tenant's collection: ASCII letters, digits,
    /// `_` and `-`, at most 64 characters.
    pub collection_prefix: String,
    /// The deadline of a search, a count and a health check.
    pub search_timeout: Duration,
    /// The deadline of each write request.
    pub write_timeout: Duration,
    /// The size of the passages' dense embeddings, when they are stored beside BM25 (in
    /// collections of their own, see the module's documentation); `None`, the default,
    /// means BM25 alone. Not read from the environment: it is the embeddings' setting.
    pub dense: Option<usize>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("url", &self.url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("collection_prefix", &self.collection_prefix)
            .field("search_timeout", &self.search_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("dense", &self.dense)
            .finish()
    }
}

impl ServerConfig {
    /// A server at `url` without an API key, with the default prefix and deadlines, BM25
    /// alone.
    pub fn new(url: impl Into<String>) -> ServerConfig {
        ServerConfig {
            url: url.into(),
            api_key: None,
            collection_prefix: DEFAULT_PREFIX.to_owned(),
            search_timeout: DEFAULT_SEARCH_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            dense: None,
        }
    }

    /// The configuration from the environment; `None` when no server is configured.
    ///
    /// - `SVA_QDRANT_URL`: the server's gRPC address (required; unset or empty means no
    ///   server);
    /// - `SVA_QDRANT_API_KEY`: the API key (optional; empty means none);
    /// - `SVA_QDRANT_PREFIX`: the collection prefix (optional; default [`DEFAULT_PREFIX`]).
    ///
    /// Deadlines are the defaults, [`DEFAULT_SEARCH_TIMEOUT`] and [`DEFAULT_WRITE_TIMEOUT`];
    /// [`ServerConfig::dense`] is `None` (the caller sets it from the embeddings' settings).
    pub fn from_env() -> Option<ServerConfig> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`ServerConfig::from_env`] over any variable source (tests).
    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Option<ServerConfig> {
        let set = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut config = ServerConfig::new(set("SVA_QDRANT_URL")?);
        config.api_key = set("SVA_QDRANT_API_KEY");
        if let Some(prefix) = set("SVA_QDRANT_PREFIX") {
            config.collection_prefix = prefix;
        }
        Some(config)
    }
}

/// The knowledge base on a Qdrant server.
///
/// Holds one client: its connections are shared by all calls.
pub struct ServerIndex {
    client: Qdrant,
    url: String,
    prefix: String,
    search_timeout: Duration,
    write_timeout: Duration,
    /// The dense vectors' size, when passages carry them.
    dense: Option<usize>,
}

/// Extra time an operation may take beyond its requests' own deadlines before it is
/// given up (it should never be needed: each request has its deadline).
const GRACE: Duration = Duration::from_secs(1);

impl std::fmt::Debug for ServerIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIndex")
            .field("url", &self.url)
            .field("collection_prefix", &self.prefix)
            .field("search_timeout", &self.search_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("dense", &self.dense)
            .finish_non_exhaustive()
    }
}

impl ServerIndex {
    /// A client for the server in `config`. Connects lazily: a server that is down shows on
    /// the first call (as [`IndexError::Unavailable`]), not here.
    ///
    /// Fails with [`IndexError::Unexpected`] for a malformed URL, API key, prefix, a zero
    /// deadline or a dense vector size of zero.
    pub fn new(config: ServerConfig) -> Result<ServerIndex, IndexError> {
        let ServerConfig {
            url,
            api_key,
            collection_prefix,
            search_timeout,
            write_timeout,
            dense,
        } = config;
        check_prefix(&collection_prefix)?;
        if search_timeout.is_zero() || write_timeout.is_zero() {
            return Err(IndexError::Unexpected("a Qdrant deadline of zero".into()));
        }
        if dense == Some(0) {
            return Err(IndexError::Unexpected("a dense vector size of zero".into()));
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(IndexError::Unexpected(format!(
                "the Qdrant URL {url:?} is not http:// or https://"
            )));
        }
        if let Some(key) = &api_key {
            // The client would refuse a key that cannot be a header on every request, and
            // quote it in the error: refuse it here, without quoting it.
            if key
                .parse::<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>()
                .is_err()
            {
                return Err(IndexError::Unexpected(
                    "the Qdrant API key is not a valid header value".into(),
                ));
            }
        }
        let client = Qdrant::from_url(&url)
            .api_key(api_key)
            // Our own deadlines govern; the client's only backs them up.
            .timeout(search_timeout.max(write_timeout) + GRACE)
            .connect_timeout(search_timeout)
            .skip_compatibility_check()
            .build()
            .map_err(|e| {
                IndexError::Unexpected(format!("the Qdrant URL {url:?}: {}", describe(&e)))
            })?;
        Ok(ServerIndex {
            client,
            url,
            prefix: collection_prefix,
            search_timeout,
            write_timeout,
            dense,
        })
    }

    /// The collection that holds `tenant`'s passages: `{prefix}{tenant}_ng4`, or
    /// `{prefix}{tenant}_ng4_dense{size}` when passages carry dense vectors (`_ng4`: the
    /// passages carry character 4-grams beside BM25, [`crate::rank`]; a collection of an
    /// earlier build, without them, is left alone and the sources are indexed again).
    pub fn collection(&self, tenant: &str) -> Result<String, IndexError> {
        check_tenant(tenant)?;
        Ok(match self.dense {
            None => format!("{}{tenant}_ng4", self.prefix),
            Some(size) => format!("{}{tenant}_ng4_dense{size}", self.prefix),
        })
    }

    /// Asks the server whether it is up (its health check), within the search deadline.
    pub async fn ping(&self) -> Result<(), IndexError> {
        let client = self.client.clone();
        let limit = self.search_timeout;
        self.run(limit, async move {
            within(limit, "health check", client.health_check())
                .await?
                .map(drop)
                .map_err(|e| failure("health check", &e))
        })
        .await
    }

    /// Waits for `operation`, at most `budget` (plus a grace period: the operation
    /// enforces its own requests' deadlines).
    async fn run<T>(
        &self,
        budget: Duration,
        operation: impl Future<Output = Result<T, IndexError>>,
    ) -> Result<T, IndexError> {
        tokio::time::timeout(budget.saturating_add(GRACE), operation)
            .await
            .unwrap_or_else(|_| {
                Err(IndexError::Unavailable(format!(
                    "Qdrant did not answer within {} ms",
                    budget.as_millis()
                )))
            })
    }
}

#[async_trait]
impl Index for ServerIndex {
    async fn replace(
        &self,
        tenant: &str,
        source: &str,
        chunks: &[Chunk],
        dense: &[Vec<f32>],
    ) -> Result<(), IndexError> {
        check_dense(chunks, dense, self.dense)?;
        let collection = self.collection(tenant)?;
        let client = self.client.clone();
        let limit = self.write_timeout;
        let size = self.dense;
        let source = source.to_owned();
        let batches: Vec<Vec<PointStruct>> = chunks
            .chunks(UPSERT_BATCH)
            .enumerate()
            .map(|(at, batch)| {
                batch
                    .iter()
                    .enumerate()
                    .map(|(i, chunk)| {
                        let vector = dense.get(at * UPSERT_BATCH + i).map(Vec::as_slice);
                        point(chunk, vector)
                    })
                    .collect()
            })
            .collect();
        // The batches, a creation and its index (on the first write to a new collection),
        // then the delete of what the source no longer has: each has its deadline.
        let requests = u32::try_from(batches.len())
            .unwrap_or(u32::MAX)
            .saturating_add(4);
        let stale = stale_filter(&source, chunks.len());
        self.run(limit.saturating_mul(requests), async move {
            let upsert = |points: Vec<PointStruct>| UpsertPoints {
                collection_name: collection.clone(),
                wait: Some(true),
                points,
                timeout: Some(seconds(limit)),
                ..Default::default()
            };
            let mut created = false;
            for points in batches {
                let answer = match within(
                    limit,
                    "upsert",
                    client.upsert_points(upsert(points.clone())),
                )
                .await?
                {
                    Err(e) if code(&e) == Some(Code::NotFound) && !created => {
                        create_collection(&client, &collection, size, limit).await?;
                        created = true;
                        within(limit, "upsert", client.upsert_points(upsert(points))).await?
                    }
                    answer => answer,
                }
                .map_err(|e| failure("upsert", &e))?;
                written("upsert", &answer)?;
            }
            let delete = DeletePoints {
                collection_name: collection.clone(),
                wait: Some(true),
                points: Some(PointsSelector {
                    points_selector_one_of: Some(PointsSelectorOneOf::Filter(stale)),
                }),
                timeout: Some(seconds(limit)),
                ..Default::default()
            };
            match within(limit, "delete", client.delete_points(delete)).await? {
                Ok(answer) => written("delete", &answer),
                // No collection: nothing was ever written, and none is made for nothing.
                Err(e) if code(&e) == Some(Code::NotFound) => Ok(()),
                Err(e) => Err(failure("delete", &e)),
            }
        })
        .await
    }

    async fn search(
        &self,
        tenant: &str,
        query: &str,
        dense: Option<&[f32]>,
        limit: usize,
    ) -> Result<Vec<Found>, IndexError> {
        self.search_with(tenant, query, &Synonyms::russian_sales(), dense, limit)
            .await
    }

    async fn search_with(
        &self,
        tenant: &str,
        query: &str,
        synonyms: &Synonyms,
        dense: Option<&[f32]>,
        limit: usize,
    ) -> Result<Vec<Found>, IndexError> {
        let collection = self.collection(tenant)?;
        // A question embedded for another size (a misconfiguration) is searched by BM25.
        let dense = dense.filter(|d| self.dense == Some(d.len()));
        if limit == 0 {
            return Ok(Vec::new());
        }
        let question = crate::query::for_search_with(query, synonyms);
        let grams = rank::ngram_query(&question);
        let client = self.client.clone();
        let deadline = self.search_timeout;
        // Each ranking is read deeper than asked: fusion and re-ranking may lift a passage
        // from below `limit` in one of them.
        let depth = limit.max(rank::DEPTH);
        let request = |using: &str, variant| QueryPoints {
            collection_name: collection.clone(),
            query: Some(Query {
                variant: Some(query::Variant::Nearest(VectorInput {
                    variant: Some(variant),
                })),
            }),
            using: Some(using.to_owned()),
            limit: Some(u64::try_from(depth).unwrap_or(u64::MAX)),
            with_payload: Some(WithPayloadSelector {
                selector_options: Some(SelectorOptions::Enable(true)),
            }),
            timeout: Some(seconds(deadline)),
            ..Default::default()
        };
        // The rankings asked for, in one request (one round trip, one deadline): BM25 and
        // the n-grams when the question has words to score, the nearest passages when it
        // is embedded.
        let mut queries: Vec<(QueryPoints, Ranking)> = Vec::new();
        if !question.trim().is_empty() {
            queries.push((
                request(
                    vectors::BM25,
                    vector_input::Variant::Document(bm25_document(&question)),
                ),
                Ranking::Bm25,
            ));
        }
        if !grams.indices.is_empty() {
            queries.push((
                request(
                    vectors::NGRAM,
                    vector_input::Variant::Sparse(SparseVector {
                        indices: grams.indices,
                        values: grams.values,
                    }),
                ),
                Ranking::Ngram,
            ));
        }
        if let Some(dense) = dense {
            queries.push((
                request(
                    vectors::DENSE,
                    vector_input::Variant::Dense(DenseVector {
                        data: dense.to_vec(),
                    }),
                ),
                Ranking::Dense,
            ));
        }
        if queries.is_empty() {
            return Ok(Vec::new());
        }
        let (queries, kinds): (Vec<QueryPoints>, Vec<Ranking>) = queries.into_iter().unzip();
        let expected = queries.len();
        let batch = QueryBatchPoints {
            collection_name: collection,
            query_points: queries,
            read_consistency: None,
            timeout: Some(seconds(deadline)),
        };
        self.run(deadline, async move {
            let answer = match within(deadline, "query", client.query_batch(batch)).await? {
                Ok(answer) => answer,
                Err(e) if code(&e) == Some(Code::NotFound) => return Ok(Vec::new()),
                Err(e) => return Err(failure("query", &e)),
            };
            if answer.result.len() != expected {
                return Err(IndexError::Unexpected(format!(
                    "Qdrant query: {} results for {expected} queries",
                    answer.result.len()
                )));
            }
            let mut rankings: HashMap<Ranking, Vec<Found>> = HashMap::new();
            for (ranking, kind) in answer.result.into_iter().zip(kinds) {
                let found = ranking
                    .result
                    .into_iter()
                    .map(found)
                    .collect::<Result<Vec<Found>, IndexError>>()?;
                rankings.insert(kind, found);
            }
            Ok(rank::combine(
                &question,
                rankings.remove(&Ranking::Bm25).unwrap_or_default(),
                rankings.remove(&Ranking::Ngram).unwrap_or_default(),
                rankings.remove(&Ranking::Dense),
                depth,
                limit,
            ))
        })
        .await
    }

    async fn count(&self, tenant: &str) -> Result<usize, IndexError> {
        let collection = self.collection(tenant)?;
        let client = self.client.clone();
        let deadline = self.search_timeout;
        let request = CountPoints {
            collection_name: collection,
            exact: Some(true),
            timeout: Some(seconds(deadline)),
            ..Default::default()
        };
        self.run(deadline, async move {
            match within(deadline, "count", client.count(request)).await? {
                Ok(answer) => {
                    let count = answer
                        .result
                        .ok_or_else(|| IndexError::Unexpected("a count without a result".into()))?
                        .count;
                    usize::try_from(count)
                        .map_err(|_| IndexError::Unexpected(format!("a count of {count}")))
                }
                Err(e) if code(&e) == Some(Code::NotFound) => Ok(0),
                Err(e) => Err(failure("count", &e)),
            }
        })
        .await
    }
}

/// Creates a tenant's collection — the BM25 vector, and a dense one of `dense` numbers when
/// given — and its `source` index; a collection another writer has just created is as good.
///
/// Should the index request fail after the collection is made, the collection stays without
/// it: deletes by source then scan instead of look up, but stay correct.
async fn create_collection(
    client: &Qdrant,
    collection: &str,
    dense: Option<usize>,
    limit: Duration,
) -> Result<(), IndexError> {
    let vectors_config = dense.map(|size| VectorsConfig {
        config: Some(vectors_config::Config::ParamsMap(VectorParamsMap {
            map: HashMap::from([(
                vectors::DENSE.to_owned(),
                VectorParams {
                    size: u64::try_from(size).unwrap_or(u64::MAX),
                    distance: Distance::Cosine as i32,
                    ..Default::default()
                },
            )]),
        })),
    });
    let create = CreateCollection {
        collection_name: collection.to_owned(),
        vectors_config,
        sparse_vectors_config: Some(SparseVectorConfig {
            map: [vectors::BM25, vectors::NGRAM]
                .into_iter()
                .map(|name| {
                    (
                        name.to_owned(),
                        SparseVectorParams {
                            index: None,
                            modifier: Some(Modifier::Idf as i32),
                        },
                    )
                })
                .collect(),
        }),
        timeout: Some(seconds(limit)),
        ..Default::default()
    };
    match within(limit, "create collection", client.create_collection(create)).await? {
        Ok(_) => {}
        Err(e) if code(&e) == Some(Code::AlreadyExists) => {}
        Err(e) => return Err(failure("create collection", &e)),
    }
    let index = CreateFieldIndexCollection {
        collection_name: collection.to_owned(),
        wait: Some(true),
        field_name: payload::SOURCE.to_owned(),
        field_type: Some(FieldType::Keyword as i32),
        timeout: Some(seconds(limit)),
        ..Default::default()
    };
    let answer = within(limit, "create index", client.create_field_index(index))
        .await?
        .map_err(|e| failure("create index", &e))?;
    written("create index", &answer)
}

/// Awaits a request within its deadline; a missed deadline is [`IndexError::Unavailable`].
async fn within<T>(
    limit: Duration,
    what: &str,
    request: impl Future<Output = Result<T, QdrantError>>,
) -> Result<Result<T, QdrantError>, IndexError> {
    tokio::time::timeout(limit, request).await.map_err(|_| {
        IndexError::Unavailable(format!(
            "Qdrant {what}: no answer within {} ms",
            limit.as_millis()
        ))
    })
}

/// The gRPC status code of a failed request, if the server (or the transport) gave one.
fn code(error: &QdrantError) -> Option<Code> {
    match error {
        QdrantError::ResponseError { status }
        | QdrantError::ResourceExhaustedError { status, .. } => Some(status.code()),
        _ => None,
    }
}

/// A client error without request metadata.
fn describe(error: &QdrantError) -> String {
    match error {
        QdrantError::ResponseError { status }
        | QdrantError::ResourceExhaustedError { status, .. } => {
            format!("{:?}: {}", status.code(), status.message())
        }
        other => other.to_string(),
    }
}

/// A failed request as an [`IndexError`]: a status saying the request itself was wrong is
/// [`IndexError::Unexpected`]; an outage, overload, timeout or broken connection is
/// [`IndexError::Unavailable`].
fn failure(what: &str, error: &QdrantError) -> IndexError {
    let message = format!("Qdrant {what}: {}", describe(error));
    let bad_request = match error {
        QdrantError::InvalidUri(_) | QdrantError::ConversionError(_) => true,
        _ => code(error).is_some_and(|code| {
            matches!(
                code,
                Code::InvalidArgument
                    | Code::NotFound
                    | Code::AlreadyExists
                    | Code::OutOfRange
                    | Code::Unimplemented
                    | Code::PermissionDenied
                    | Code::Unauthenticated
            )
        }),
    };
    // The rest — Unavailable, DeadlineExceeded, ResourceExhausted, Aborted, Cancelled,
    // Unknown, Internal (also the client's own "failed to connect"), FailedPrecondition (a
    // write-locked server), DataLoss, transport errors — says nothing against the request.
    if bad_request {
        IndexError::Unexpected(message)
    } else {
        IndexError::Unavailable(message)
    }
}

/// Checks a write's answer: applied (we always wait), or why not.
fn written(what: &str, answer: &PointsOperationResponse) -> Result<(), IndexError> {
    let status = answer
        .result
        .as_ref()
        .map(|result| UpdateStatus::try_from(result.status));
    match status {
        Some(Ok(UpdateStatus::Completed | UpdateStatus::Acknowledged)) => Ok(()),
        Some(Ok(UpdateStatus::WaitTimeout)) => Err(IndexError::Unavailable(format!(
            "Qdrant {what}: not applied within the server's deadline"
        ))),
        other => Err(IndexError::Unexpected(format!(
            "Qdrant {what}: update status {other:?}"
        ))),
    }
}

/// A deadline in whole seconds (the server's own request timeout), at least one.
fn seconds(limit: Duration) -> u64 {
    limit.as_secs().max(1)
}

/// Checks a collection prefix: `A-Z`, `a-z`, `0-9`, `_`, `-`, at most 64 characters.
fn check_prefix(prefix: &str) -> Result<(), IndexError> {
    let ok = prefix.len() <= MAX_PREFIX_LEN
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(IndexError::Unexpected(format!(
            "the Qdrant collection prefix {prefix:?} is not letters, digits, _ and -"
        )))
    }
}

/// Text for the server's BM25 inference, with the pipeline's options (see [`crate::bm25`]).
fn bm25_document(text: &str) -> Document {
    Document {
        text: text.to_owned(),
        model: BM25_MODEL.to_owned(),
        options: HashMap::from([
            (
                "language".to_owned(),
                Value {
                    kind: Some(Kind::StringValue(BM25_LANGUAGE.to_owned())),
                },
            ),
            (
                "avg_len".to_owned(),
                Value {
                    kind: Some(Kind::DoubleValue(BM25_AVERAGE_TOKENS)),
                },
            ),
        ]),
    }
}

/// Only the passages of `source`.
/// The passages of `source` at position `from` or later: what a source that now has
/// `from` passages no longer has.
fn stale_filter(source: &str, from: usize) -> Filter {
    let field = |condition: FieldCondition| Condition {
        condition_one_of: Some(ConditionOneOf::Field(condition)),
    };
    Filter {
        must: vec![
            field(FieldCondition {
                key: payload::SOURCE.to_owned(),
                r#match: Some(Match {
                    match_value: Some(MatchValue::Keyword(source.to_owned())),
                }),
                ..Default::default()
            }),
            field(FieldCondition {
                key: payload::POSITION.to_owned(),
                range: Some(Range {
                    gte: Some(from as f64),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        ],
        ..Default::default()
    }
}

/// A passage as a point: its stable id, its text for BM25, its `dense` embedding when
/// given, its payload.
fn point(chunk: &Chunk, dense: Option<&[f32]>) -> PointStruct {
    let text = |s: &str| Value {
        kind: Some(Kind::StringValue(s.to_owned())),
    };
    let indexed = rank::passage_text(chunk);
    let grams = rank::ngram_document(&indexed);
    let mut named = HashMap::from([
        (
            vectors::BM25.to_owned(),
            Vector {
                vector: Some(vector::Vector::Document(bm25_document(&indexed))),
                ..Default::default()
            },
        ),
        (
            vectors::NGRAM.to_owned(),
            Vector::new_sparse(grams.indices, grams.values),
        ),
    ]);
    if let Some(dense) = dense {
        named.insert(vectors::DENSE.to_owned(), Vector::new_dense(dense));
    }
    PointStruct {
        id: Some(PointId {
            point_id_options: Some(PointIdOptions::Num(point_id(&chunk.source, chunk.position))),
        }),
        payload: HashMap::from([
            (payload::SOURCE.to_owned(), text(&chunk.source)),
            (payload::HEADING.to_owned(), text(&chunk.heading)),
            (payload::TEXT.to_owned(), text(&chunk.text)),
            (
                payload::POSITION.to_owned(),
                Value {
                    kind: Some(Kind::IntegerValue(i64::from(chunk.position))),
                },
            ),
        ]),
        vectors: Some(Vectors {
            vectors_options: Some(VectorsOptions::Vectors(NamedVectors { vectors: named })),
        }),
    }
}

/// A found point read back into a passage, with its query's score (BM25 or cosine:
/// [`crate::index::fuse_all`] files it under the right one).
fn found(point: ScoredPoint) -> Result<Found, IndexError> {
    Ok(Found::sparse(
        chunk_from_payload(&point.payload)?,
        point.score,
    ))
}

/// A stored payload read back into a passage (the server's twin of the in-process
/// back end's reader).
fn chunk_from_payload(payload: &HashMap<String, Value>) -> Result<Chunk, IndexError> {
    let text = |key: &str| match payload.get(key).and_then(|v| v.kind.as_ref()) {
        Some(Kind::StringValue(s)) => Ok(s.clone()),
        _ => Err(IndexError::Unexpected(format!("a passage without {key}"))),
    };
    let position = match payload.get(payload::POSITION).and_then(|v| v.kind.as_ref()) {
        Some(Kind::IntegerValue(n)) => u32::try_from(*n).ok(),
        // A JSON number may come back as a double; only a whole one is a position.
        Some(Kind::DoubleValue(x))
            if x.fract() == 0.0 && *x >= 0.0 && *x <= f64::from(u32::MAX) =>
        {
            Some(*x as u32)
        }
        _ => None,
    };
    Ok(Chunk {
        source: text(payload::SOURCE)?,
        heading: text(payload::HEADING)?,
        text: text(payload::TEXT)?,
        position: position.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_from_the_environment() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert!(ServerConfig::from_vars(vars(&[])).is_none());
        assert!(ServerConfig::from_vars(vars(&[("SVA_QDRANT_URL", " ")])).is_none());
        let config = ServerConfig::from_vars(vars(&[
            ("SVA_QDRANT_URL", "https://q.example:6334"),
            ("SVA_QDRANT_API_KEY", "s3cret-key"),
            ("SVA_QDRANT_PREFIX", "kb_"),
        ]))
        .expect("configured");
        assert_eq!(config.url, "https://q.example:6334");
        assert_eq!(config.api_key.as_deref(), Some("s3cret-key"));
        assert_eq!(config.collection_prefix, "kb_");
        assert_eq!(config.search_timeout, DEFAULT_SEARCH_TIMEOUT);
        assert_eq!(config.write_timeout, DEFAULT_WRITE_TIMEOUT);
        assert_eq!(config.dense, None, "the embeddings' setting, not read here");
        let defaults =
            ServerConfig::from_vars(vars(&[("SVA_QDRANT_URL", "http://localhost:6334")]))
                .expect("configured");
        assert_eq!(defaults.api_key, None);
        assert_eq!(defaults.collection_prefix, DEFAULT_PREFIX);
    }

    #[test]
    fn the_api_key_stays_secret() {
        let mut config = ServerConfig::new("http://localhost:6334");
        config.api_key = Some("s3cret-key".into());
        assert!(!format!("{config:?}").contains("s3cret"));
        let index = ServerIndex::new(config).expect("a valid configuration");
        assert!(!format!("{index:?}").contains("s3cret"));

        let mut bad = ServerConfig::new("http://localhost:6334");
        bad.api_key = Some("s3cret\nkey".into());
        let error = ServerIndex::new(bad).expect_err("not a header value");
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }

    #[test]
    fn bad_configurations_are_refused() {
        for (url, prefix) in [
            ("localhost:6334", DEFAULT_PREFIX),
            ("ftp://localhost", DEFAULT_PREFIX),
            ("http://localhost:6334", "kb/"),
            ("http://localhost:6334", "кб_"),
        ] {
            let mut config = ServerConfig::new(url);
            config.collection_prefix = prefix.into();
            let error = ServerIndex::new(config).expect_err(url);
            assert_eq!(error.code(), "index_unexpected", "{url} {prefix}");
        }
        let mut config = ServerConfig::new("http://localhost:6334");
        config.search_timeout = Duration::ZERO;
        assert!(ServerIndex::new(config).is_err());
        let mut config = ServerConfig::new("http://localhost:6334");
        config.dense = Some(0);
        assert_eq!(
            ServerIndex::new(config).unwrap_err().code(),
            "index_unexpected"
        );
    }

    #[test]
    fn collections_are_named_per_tenant() {
        let index = ServerIndex::new(ServerConfig::new("http://localhost:6334")).expect("valid");
        assert_eq!(
            index.collection("acme-2").expect("valid"),
            "sva_kb_acme-2_ng4"
        );
        assert_eq!(index.collection("../x").unwrap_err().code(), "bad_tenant");
        let mut config = ServerConfig::new("http://localhost:6334");
        config.dense = Some(256);
        let dense = ServerIndex::new(config).expect("valid");
        assert_eq!(
            dense.collection("acme-2").expect("valid"),
            "sva_kb_acme-2_ng4_dense256"
        );
    }

    #[test]
    fn payloads_round_trip() {
        let chunk = Chunk {
            source: "delivery.md".into(),
            heading: "Доставка / По Москве".into(),
            text: "Курьер привезёт заказ на следующий день.".into(),
            position: 7,
        };
        let point = point(&chunk, None);
        assert_eq!(chunk_from_payload(&point.payload).expect("readable"), chunk);
        let mut doubled = point.payload.clone();
        doubled.insert(
            payload::POSITION.into(),
            Value {
                kind: Some(Kind::DoubleValue(7.0)),
            },
        );
        assert_eq!(chunk_from_payload(&doubled).expect("readable").position, 7);
        let mut missing = point.payload;
        missing.remove(payload::TEXT);
        assert_eq!(
            chunk_from_payload(&missing).unwrap_err().code(),
            "index_unexpected"
        );
    }

    #[test]
    fn points_carry_their_dense_vector_when_given() {
        let chunk = Chunk {
            source: "a.md".into(),
            heading: String::new(),
            text: "Доставка".into(),
            position: 0,
        };
        let names = |point: PointStruct| match point.vectors.and_then(|v| v.vectors_options) {
            Some(VectorsOptions::Vectors(named)) => {
                let mut names: Vec<String> = named.vectors.into_keys().collect();
                names.sort();
                names
            }
            other => panic!("not named vectors: {other:?}"),
        };
        assert_eq!(names(point(&chunk, None)), [vectors::BM25, vectors::NGRAM]);
        assert_eq!(
            names(point(&chunk, Some(&[0.5, 0.5]))),
            [vectors::BM25, vectors::DENSE, vectors::NGRAM]
        );
    }

    #[test]
    fn statuses_are_sorted_into_outages_and_bad_requests() {
        let status = |code| QdrantError::ResponseError {
            status: tonic::Status::new(code, "x"),
        };
        for code in [
            Code::InvalidArgument,
            Code::Unimplemented,
            Code::Unauthenticated,
        ] {
            assert_eq!(
                failure("q", &status(code)).code(),
                "index_unexpected",
                "{code:?}"
            );
        }
        for code in [
            Code::Unavailable,
            Code::DeadlineExceeded,
            Code::Internal,
            Code::ResourceExhausted,
            Code::Unknown,
        ] {
            assert_eq!(
                failure("q", &status(code)).code(),
                "index_unavailable",
                "{code:?}"
            );
        }
    }
}
