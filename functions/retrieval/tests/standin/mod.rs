//! A stand-in for a Qdrant server: the gRPC services `ServerIndex` uses, on a local port.
//!
//! It checks each request the way the real server would and refuses anything else
//! (`invalid_argument`, `not_found`, `already_exists`, `unimplemented`), and it scores for
//! real: each collection is a `qdrant_edge::EdgeShard` with a sparse `bm25` vector under the
//! IDF modifier, and each `qdrant/bm25` document becomes a sparse vector through
//! `Bm25::russian()` — the pipeline the real server's inference applies — beside a plain
//! sparse `ngram` vector (the character n-grams the client computes), also under IDF. A collection may
//! also have one named dense vector, `dense`, under cosine similarity: points then carry it,
//! and queries may ask for the nearest to it (one by one, or in a batch).
//!
//! Every request is recorded (method and collection), and the stand-in can be told to
//! answer `unavailable` or to hang.

use qdrant_client::qdrant::collections_server::{Collections, CollectionsServer};
use qdrant_client::qdrant::points_server::{Points, PointsServer};
use qdrant_client::qdrant::qdrant_server::{Qdrant as Health, QdrantServer};
use qdrant_client::qdrant::{
    self as grpc, CollectionExists, CollectionExistsRequest, CollectionExistsResponse,
    CollectionOperationResponse, CountPoints, CountResponse, CountResult, CreateCollection,
    CreateFieldIndexCollection, DeletePoints, Document, FieldType, HealthCheckReply,
    HealthCheckRequest, PointId, PointsOperationResponse, QueryBatchPoints, QueryBatchResponse,
    QueryPoints, QueryResponse, UpdateResult, UpdateStatus, UpsertPoints,
    condition::ConditionOneOf, r#match::MatchValue, point_id::PointIdOptions,
    points_selector::PointsSelectorOneOf, query, value::Kind, vector, vector_input,
    vectors::VectorsOptions, vectors_config, with_payload_selector::SelectorOptions,
};
use qdrant_edge::external::ordered_float::OrderedFloat;
use qdrant_edge::external::serde_json::{self, Map, Number, Value as Json};
use qdrant_edge::{
    Condition, CountRequest, Distance, EdgeConfig, EdgeShard, EdgeSparseVectorParams,
    EdgeVectorParams, FieldCondition, Filter, JsonPath, Match, Modifier, NamedQuery,
    PointInsertOperations, PointOperations, PointStruct, QueryEnum, QueryRequest, Range,
    ScoringQuery, UpdateOperation, ValueVariants, Vector, VectorInternal, Vectors,
    WithPayloadInterface, WithVector,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use sva_retrieval::bm25::Bm25;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

/// The sparse vector's name, as the real collections have it.
const BM25: &str = "bm25";
/// The character n-gram sparse vector's name.
const NGRAM: &str = "ngram";
/// The dense vector's name, when a collection has one.
const DENSE: &str = "dense";
/// The largest dense vector the real server accepts.
const MAX_DENSE: u64 = 65_536;
/// The payload field deletes filter on.
const SOURCE: &str = "source";
/// The payload field with a passage's place in its source.
const POSITION: &str = "position";
/// The only inference model the stand-in knows.
const MODEL: &str = "qdrant/bm25";

/// How the stand-in answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Like a healthy server.
    Serve,
    /// Every request: `Status::unavailable`.
    Unavailable,
    /// Every request: no answer (until the client gives up).
    Hang,
}

/// One request the stand-in received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The gRPC method, e.g. `upsert`, `create_collection`.
    pub method: &'static str,
    /// The collection it named; empty for methods without one.
    pub collection: String,
}

/// A running stand-in; stops when dropped.
pub struct StandIn {
    url: String,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl StandIn {
    /// Starts a stand-in on `127.0.0.1` on a free port, on a runtime of its own.
    pub fn start() -> StandIn {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking socket");
        let address = listener.local_addr().expect("the port");
        let state = Arc::new(State {
            dir: tempfile::tempdir().expect("a temporary directory"),
            bm25: Bm25::russian(),
            collections: Mutex::new(HashMap::new()),
            calls: Mutex::new(Vec::new()),
            mode: AtomicU8::new(Mode::Serve as u8),
            operations: AtomicU64::new(0),
        });
        let service = Service(state.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("the stand-in's runtime");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                let server = Server::builder()
                    .add_service(PointsServer::new(service.clone()))
                    .add_service(CollectionsServer::new(service.clone()))
                    .add_service(QdrantServer::new(service))
                    .serve_with_incoming(TcpIncoming::from(listener));
                tokio::select! {
                    _ = server => {}
                    _ = stopped => {}
                }
            });
            // Cancels whatever still hangs.
            runtime.shutdown_background();
        });
        StandIn {
            url: format!("http://{address}"),
            state,
            stop: Some(stop),
        }
    }

    /// The gRPC URL to give the client.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Changes how the stand-in answers from now on.
    pub fn set_mode(&self, mode: Mode) {
        self.state.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// The requests received so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.state.calls.lock().expect("the call log").clone()
    }

    /// Forgets the requests received so far.
    pub fn clear_calls(&self) {
        self.state.calls.lock().expect("the call log").clear();
    }

    /// The collections that exist.
    pub fn collections(&self) -> BTreeSet<String> {
        self.state
            .collections
            .lock()
            .expect("the collections")
            .keys()
            .cloned()
            .collect()
    }

    /// The size of `collection`'s dense vector; `None` when it has none (or does not exist).
    pub fn dense_size(&self, collection: &str) -> Option<usize> {
        self.state
            .collections
            .lock()
            .expect("the collections")
            .get(collection)
            .and_then(|c| c.dense)
    }

    /// The payload fields `collection` has an index on.
    pub fn indexed_fields(&self, collection: &str) -> BTreeSet<String> {
        self.state
            .collections
            .lock()
            .expect("the collections")
            .get(collection)
            .map(|c| c.indexed.lock().expect("the indexes").clone())
            .unwrap_or_default()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            // The server may have stopped already.
            let _ = stop.send(());
        }
    }
}

struct State {
    bm25: Bm25,
    /// Declared before `dir`: the shards flush as they drop, before their directory goes.
    collections: Mutex<HashMap<String, Arc<Collection>>>,
    calls: Mutex<Vec<Call>>,
    mode: AtomicU8,
    operations: AtomicU64,
    dir: tempfile::TempDir,
}

struct Collection {
    shard: EdgeShard,
    /// The dense vector's size, when the collection has one.
    dense: Option<usize>,
    indexed: Mutex<BTreeSet<String>>,
}

#[derive(Clone)]
struct Service(Arc<State>);

type Answer<T> = Result<Response<T>, Status>;

fn internal(e: impl std::fmt::Display) -> Status {
    Status::internal(format!("Service internal error: {e}"))
}

impl Service {
    /// Records a request and applies the mode.
    async fn enter(&self, method: &'static str, collection: &str) -> Result<(), Status> {
        self.0.calls.lock().map_err(internal)?.push(Call {
            method,
            collection: collection.to_owned(),
        });
        match self.0.mode.load(Ordering::SeqCst) {
            m if m == Mode::Unavailable as u8 => {
                Err(Status::unavailable("the stand-in is told to be down"))
            }
            m if m == Mode::Hang as u8 => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Err(Status::deadline_exceeded("the stand-in hung"))
            }
            _ => Ok(()),
        }
    }

    /// A request the stand-in does not serve: `ServerIndex` has no business sending it.
    async fn refuse<T>(&self, method: &'static str) -> Answer<T> {
        self.enter(method, "").await?;
        Err(Status::unimplemented(format!(
            "the stand-in does not serve {method}"
        )))
    }

    fn collection(&self, name: &str) -> Result<Arc<Collection>, Status> {
        self.0
            .collections
            .lock()
            .map_err(internal)?
            .get(name)
            .cloned()
            .ok_or_else(|| {
                Status::not_found(format!("Not found: Collection `{name}` doesn't exist!"))
            })
    }

    fn applied(&self) -> PointsOperationResponse {
        PointsOperationResponse {
            result: Some(UpdateResult {
                operation_id: Some(self.0.operations.fetch_add(1, Ordering::SeqCst)),
                status: UpdateStatus::Completed as i32,
            }),
            time: 0.001,
            usage: None,
        }
    }

    /// A `qdrant/bm25` document with the Russian pipeline's options, as the sparse vector
    /// the server's inference makes of it.
    fn checked_document(doc: &Document) -> Result<(), Status> {
        if doc.model != MODEL {
            return Err(Status::invalid_argument(format!(
                "Inference error: unknown model {:?}",
                doc.model
            )));
        }
        for key in doc.options.keys() {
            if key != "language" && key != "avg_len" {
                return Err(Status::invalid_argument(format!(
                    "Inference error: unexpected BM25 option {key:?}"
                )));
            }
        }
        match doc.options.get("language").and_then(|v| v.kind.as_ref()) {
            Some(Kind::StringValue(language)) if language == "russian" => {}
            other => {
                return Err(Status::invalid_argument(format!(
                    "Inference error: BM25 language must be russian, got {other:?}"
                )));
            }
        }
        // The stand-in's pipeline is `Bm25::russian()`: only its length anchor is served.
        match doc.options.get("avg_len").and_then(|v| v.kind.as_ref()) {
            Some(Kind::DoubleValue(x)) if *x == 60.0 => {}
            Some(Kind::IntegerValue(60)) => {}
            other => {
                return Err(Status::invalid_argument(format!(
                    "Inference error: BM25 avg_len must be 60, got {other:?}"
                )));
            }
        }
        Ok(())
    }

    /// A sparse vector as the real server checks it: as many weights as indices, the
    /// indices distinct.
    fn checked_sparse(
        indices: &[u32],
        values: &[f32],
    ) -> Result<qdrant_edge::SparseVector, Status> {
        let distinct: BTreeSet<u32> = indices.iter().copied().collect();
        if indices.len() != values.len() || distinct.len() != indices.len() {
            return Err(Status::invalid_argument(
                "Validation error: sparse vector indices must be unique and match the values",
            ));
        }
        Ok(qdrant_edge::SparseVector {
            indices: indices.to_vec(),
            values: values.to_vec(),
        })
    }

    /// A dense vector of `collection`'s size, as the engine takes it.
    fn checked_dense(collection: &Collection, vector: &grpc::Vector) -> Result<Vec<f32>, Status> {
        let Some(size) = collection.dense else {
            return Err(Status::invalid_argument(format!(
                "Wrong input: Not existing vector name error: {DENSE}"
            )));
        };
        let grpc::Vector {
            vector: Some(vector::Vector::Dense(grpc::DenseVector { data })),
            ..
        } = vector
        else {
            return Err(Status::invalid_argument(format!(
                "the stand-in expects {DENSE:?} as a dense vector, got {vector:?}"
            )));
        };
        Self::checked_size(size, data)?;
        Ok(data.clone())
    }

    /// A dense vector's length against the collection's size, as the real server words it.
    fn checked_size(size: usize, data: &[f32]) -> Result<(), Status> {
        if data.len() == size {
            Ok(())
        } else {
            Err(Status::invalid_argument(format!(
                "Wrong input: Vector dimension error: expected dim: {size}, got {}",
                data.len()
            )))
        }
    }

    /// Writes must wait: `ServerIndex` promises its callers the passages are searchable.
    fn checked_wait(wait: Option<bool>) -> Result<(), Status> {
        if wait == Some(true) {
            Ok(())
        } else {
            Err(Status::invalid_argument("the stand-in expects wait: true"))
        }
    }
}

/// The source a filter selects; only `must: [source == "…"]` is understood.
fn source_of(filter: &grpc::Filter) -> Result<String, Status> {
    match selection_of(filter)? {
        (source, None) => Ok(source),
        _ => Err(Status::invalid_argument(format!(
            "filter not understood here: {filter:?}"
        ))),
    }
}

/// The source a filter selects and, optionally, the first position: only
/// `must: [source == "…"]` and `must: [source == "…", position >= n]` are understood.
fn selection_of(filter: &grpc::Filter) -> Result<(String, Option<f64>), Status> {
    let refuse = || Status::invalid_argument(format!("filter not understood: {filter:?}"));
    if !filter.should.is_empty() || !filter.must_not.is_empty() || filter.min_should.is_some() {
        return Err(refuse());
    }
    let (condition, from) = match filter.must.as_slice() {
        [condition] => (condition, None),
        [condition, range] => (condition, Some(range)),
        _ => return Err(refuse()),
    };
    let field = |c: &grpc::Condition| match &c.condition_one_of {
        Some(ConditionOneOf::Field(field)) => Ok(field.clone()),
        _ => Err(refuse()),
    };
    let source_field = field(condition)?;
    let Some(grpc::Match {
        match_value: Some(MatchValue::Keyword(source)),
    }) = &source_field.r#match
    else {
        return Err(refuse());
    };
    let expected = grpc::FieldCondition {
        key: SOURCE.to_owned(),
        r#match: source_field.r#match.clone(),
        ..Default::default()
    };
    if source_field != expected {
        return Err(refuse());
    }
    let from = match from {
        None => None,
        Some(range) => {
            let range_field = field(range)?;
            let Some(grpc::Range {
                gte: Some(gte),
                lt: None,
                gt: None,
                lte: None,
            }) = range_field.range
            else {
                return Err(refuse());
            };
            let expected = grpc::FieldCondition {
                key: POSITION.to_owned(),
                range: range_field.range,
                ..Default::default()
            };
            if range_field != expected {
                return Err(refuse());
            }
            Some(gte)
        }
    };
    Ok((source.clone(), from))
}

/// The engine's filter for one source, from position `from` on when given.
fn edge_filter(source: String) -> Result<Filter, Status> {
    edge_selection((source, None))
}

fn edge_selection((source, from): (String, Option<f64>)) -> Result<Filter, Status> {
    let key = |name: &str| JsonPath::try_from(name).map_err(|_| internal("the payload key"));
    let mut must = vec![Condition::Field(FieldCondition::new_match(
        key(SOURCE)?,
        Match::new_value(ValueVariants::String(source)),
    ))];
    if let Some(from) = from {
        must.push(Condition::Field(FieldCondition::new_range(
            key(POSITION)?,
            Range {
                gte: Some(OrderedFloat(from)),
                ..Default::default()
            },
        )));
    }
    Ok(Filter {
        must: Some(must),
        ..Default::default()
    })
}

fn to_json(value: &grpc::Value) -> Result<Json, Status> {
    Ok(match &value.kind {
        None | Some(Kind::NullValue(_)) => Json::Null,
        Some(Kind::DoubleValue(x)) => Number::from_f64(*x)
            .map(Json::Number)
            .ok_or_else(|| Status::invalid_argument("a payload number that is not finite"))?,
        Some(Kind::IntegerValue(n)) => Json::from(*n),
        Some(Kind::StringValue(s)) => Json::from(s.clone()),
        Some(Kind::BoolValue(b)) => Json::from(*b),
        Some(Kind::StructValue(s)) => Json::Object(
            s.fields
                .iter()
                .map(|(k, v)| Ok((k.clone(), to_json(v)?)))
                .collect::<Result<Map<_, _>, Status>>()?,
        ),
        Some(Kind::ListValue(l)) => {
            Json::Array(l.values.iter().map(to_json).collect::<Result<_, _>>()?)
        }
    })
}

fn from_json(value: &Json) -> grpc::Value {
    let kind = match value {
        Json::Null => Kind::NullValue(0),
        Json::Bool(b) => Kind::BoolValue(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Kind::IntegerValue(i),
            None => Kind::DoubleValue(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Kind::StringValue(s.clone()),
        Json::Array(items) => Kind::ListValue(grpc::ListValue {
            values: items.iter().map(from_json).collect(),
        }),
        Json::Object(map) => Kind::StructValue(grpc::Struct {
            fields: map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect(),
        }),
    };
    grpc::Value { kind: Some(kind) }
}

#[tonic::async_trait]
impl Health for Service {
    async fn health_check(&self, _: Request<HealthCheckRequest>) -> Answer<HealthCheckReply> {
        self.enter("health_check", "").await?;
        Ok(Response::new(HealthCheckReply {
            title: "qdrant - vector search engine (stand-in)".into(),
            version: "1.16.0".into(),
            commit: None,
        }))
    }
}

/// Implements a service: the methods written out, then every other method refused as
/// `unimplemented` (and recorded).
macro_rules! service {
    (
        impl $service:ident;
        refuse { $($method:ident($request:ident) -> $response:ident;)* }
        $($served:tt)*
    ) => {
        #[tonic::async_trait]
        impl $service for Service {
            $($served)*
            $(
                async fn $method(&self, _: Request<grpc::$request>) -> Answer<grpc::$response> {
                    self.refuse(stringify!($method)).await
                }
            )*
        }
    };
}

service! {
    impl Collections;
    refuse {
        get(GetCollectionInfoRequest) -> GetCollectionInfoResponse;
        list(ListCollectionsRequest) -> ListCollectionsResponse;
        update(UpdateCollection) -> CollectionOperationResponse;
        delete(DeleteCollection) -> CollectionOperationResponse;
        update_aliases(ChangeAliases) -> CollectionOperationResponse;
        list_collection_aliases(ListCollectionAliasesRequest) -> ListAliasesResponse;
        list_aliases(ListAliasesRequest) -> ListAliasesResponse;
        collection_cluster_info(CollectionClusterInfoRequest) -> CollectionClusterInfoResponse;
        update_collection_cluster_setup(UpdateCollectionClusterSetupRequest)
            -> UpdateCollectionClusterSetupResponse;
        create_shard_key(CreateShardKeyRequest) -> CreateShardKeyResponse;
        delete_shard_key(DeleteShardKeyRequest) -> DeleteShardKeyResponse;
        list_shard_keys(ListShardKeysRequest) -> ListShardKeysResponse;
    }

    async fn create(&self, request: Request<CreateCollection>) -> Answer<CollectionOperationResponse> {
        let request = request.into_inner();
        let name = request.collection_name.clone();
        self.enter("create_collection", &name).await?;
        if name.is_empty()
            || name.len() > 255
            || name.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|', '\0'])
        {
            return Err(Status::invalid_argument(format!(
                "Validation error: bad collection name {name:?}"
            )));
        }
        // No dense vectors, or one named `dense` under cosine with default parameters.
        let dense = match request.vectors_config.map(|c| c.config) {
            None => None,
            Some(Some(vectors_config::Config::ParamsMap(grpc::VectorParamsMap { map })))
                if map.len() == 1 =>
            {
                let Some(params) = map.get(DENSE) else {
                    return Err(Status::invalid_argument(format!(
                        "the stand-in expects the dense vector to be named {DENSE:?}, got {map:?}"
                    )));
                };
                if params.size == 0 || params.size > MAX_DENSE {
                    return Err(Status::invalid_argument(format!(
                        "Validation error: vectors_config.size: value {} invalid, must be from 1 to {MAX_DENSE}",
                        params.size
                    )));
                }
                let expected = grpc::VectorParams {
                    size: params.size,
                    distance: grpc::Distance::Cosine as i32,
                    ..Default::default()
                };
                if *params != expected {
                    return Err(Status::invalid_argument(format!(
                        "the stand-in expects a plain cosine dense vector, got {params:?}"
                    )));
                }
                Some(usize::try_from(params.size).map_err(internal)?)
            }
            Some(other) => {
                return Err(Status::invalid_argument(format!(
                    "the stand-in expects at most one named dense vector, got {other:?}"
                )));
            }
        };
        let sparse = request
            .sparse_vectors_config
            .map(|c| c.map)
            .unwrap_or_default();
        let idf = Some(grpc::Modifier::Idf as i32);
        match (sparse.get(BM25), sparse.get(NGRAM)) {
            (Some(words), Some(grams))
                if sparse.len() == 2 && words.modifier == idf && grams.modifier == idf => {}
            _ => {
                return Err(Status::invalid_argument(format!(
                    "the stand-in expects sparse vectors {BM25:?} and {NGRAM:?} with the IDF modifier, got {sparse:?}"
                )));
            }
        }
        let mut collections = self.0.collections.lock().map_err(internal)?;
        if collections.contains_key(&name) {
            return Err(Status::already_exists(format!(
                "Wrong input: Collection `{name}` already exists!"
            )));
        }
        let path = self.0.dir.path().join(&name);
        std::fs::create_dir_all(&path).map_err(internal)?;
        let config = EdgeConfig {
            vectors: dense
                .map(|size| {
                    HashMap::from([(
                        DENSE.to_owned(),
                        EdgeVectorParams::builder(size, Distance::Cosine).build(),
                    )])
                })
                .unwrap_or_default(),
            sparse_vectors: [BM25, NGRAM]
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
        };
        let shard = EdgeShard::new(&path, config).map_err(internal)?;
        collections.insert(
            name,
            Arc::new(Collection {
                shard,
                dense,
                indexed: Mutex::new(BTreeSet::new()),
            }),
        );
        Ok(Response::new(CollectionOperationResponse {
            result: true,
            time: 0.001,
        }))
    }

    async fn collection_exists(
        &self,
        request: Request<CollectionExistsRequest>,
    ) -> Answer<CollectionExistsResponse> {
        let name = request.into_inner().collection_name;
        self.enter("collection_exists", &name).await?;
        let exists = self.0.collections.lock().map_err(internal)?.contains_key(&name);
        Ok(Response::new(CollectionExistsResponse {
            result: Some(CollectionExists { exists }),
            time: 0.001,
        }))
    }
}

service! {
    impl Points;
    refuse {
        get(GetPoints) -> GetResponse;
        update_vectors(UpdatePointVectors) -> PointsOperationResponse;
        delete_vectors(DeletePointVectors) -> PointsOperationResponse;
        set_payload(SetPayloadPoints) -> PointsOperationResponse;
        overwrite_payload(SetPayloadPoints) -> PointsOperationResponse;
        delete_payload(DeletePayloadPoints) -> PointsOperationResponse;
        clear_payload(ClearPayloadPoints) -> PointsOperationResponse;
        delete_field_index(DeleteFieldIndexCollection) -> PointsOperationResponse;
        create_vector_name(CreateVectorNameRequest) -> PointsOperationResponse;
        delete_vector_name(DeleteVectorNameRequest) -> PointsOperationResponse;
        search(SearchPoints) -> SearchResponse;
        search_batch(SearchBatchPoints) -> SearchBatchResponse;
        search_groups(SearchPointGroups) -> SearchGroupsResponse;
        scroll(ScrollPoints) -> ScrollResponse;
        recommend(RecommendPoints) -> RecommendResponse;
        recommend_batch(RecommendBatchPoints) -> RecommendBatchResponse;
        recommend_groups(RecommendPointGroups) -> RecommendGroupsResponse;
        discover(DiscoverPoints) -> DiscoverResponse;
        discover_batch(DiscoverBatchPoints) -> DiscoverBatchResponse;
        update_batch(UpdateBatchPoints) -> UpdateBatchResponse;
        query_groups(QueryPointGroups) -> QueryGroupsResponse;
        facet(FacetCounts) -> FacetResponse;
        search_matrix_pairs(SearchMatrixPoints) -> SearchMatrixPairsResponse;
        search_matrix_offsets(SearchMatrixPoints) -> SearchMatrixOffsetsResponse;
    }

    async fn create_field_index(
        &self,
        request: Request<CreateFieldIndexCollection>,
    ) -> Answer<PointsOperationResponse> {
        let request = request.into_inner();
        self.enter("create_field_index", &request.collection_name).await?;
        let collection = self.collection(&request.collection_name)?;
        Self::checked_wait(request.wait)?;
        if request.field_name != SOURCE
            || request.field_type != Some(FieldType::Keyword as i32)
            || request.field_index_params.is_some()
        {
            return Err(Status::invalid_argument(format!(
                "the stand-in expects a plain keyword index on {SOURCE:?}, got {request:?}"
            )));
        }
        // Idempotent, as on the real server.
        collection.indexed.lock().map_err(internal)?.insert(request.field_name);
        Ok(Response::new(self.applied()))
    }

    async fn delete(&self, request: Request<DeletePoints>) -> Answer<PointsOperationResponse> {
        let request = request.into_inner();
        self.enter("delete", &request.collection_name).await?;
        let collection = self.collection(&request.collection_name)?;
        Self::checked_wait(request.wait)?;
        let Some(grpc::PointsSelector {
            points_selector_one_of: Some(PointsSelectorOneOf::Filter(filter)),
        }) = &request.points
        else {
            return Err(Status::invalid_argument("the stand-in deletes by filter only"));
        };
        let filter = edge_selection(selection_of(filter)?)?;
        collection
            .shard
            .update(UpdateOperation::PointOperation(
                PointOperations::DeletePointsByFilter(filter),
            ))
            .map_err(internal)?;
        Ok(Response::new(self.applied()))
    }

    async fn upsert(&self, request: Request<UpsertPoints>) -> Answer<PointsOperationResponse> {
        let request = request.into_inner();
        self.enter("upsert", &request.collection_name).await?;
        let collection = self.collection(&request.collection_name)?;
        Self::checked_wait(request.wait)?;
        if request.update_filter.is_some() || request.shard_key_selector.is_some() {
            return Err(Status::invalid_argument("the stand-in upserts plainly only"));
        }
        let mut points = Vec::with_capacity(request.points.len());
        for point in &request.points {
            let Some(PointId {
                point_id_options: Some(PointIdOptions::Num(id)),
            }) = point.id
            else {
                return Err(Status::invalid_argument(format!(
                    "the stand-in expects numeric ids, got {:?}",
                    point.id
                )));
            };
            let Some(grpc::Vectors {
                vectors_options: Some(VectorsOptions::Vectors(named)),
            }) = &point.vectors
            else {
                return Err(Status::invalid_argument("the stand-in expects named vectors"));
            };
            if let Some(unknown) = named
                .vectors
                .keys()
                .find(|k| *k != BM25 && *k != DENSE && *k != NGRAM)
            {
                return Err(Status::invalid_argument(format!(
                    "Wrong input: Not existing vector name error: {unknown}"
                )));
            }
            let document = match named.vectors.get(BM25) {
                Some(grpc::Vector {
                    vector: Some(vector::Vector::Document(document)),
                    ..
                }) => document,
                _ => {
                    return Err(Status::invalid_argument(format!(
                        "Wrong input: the stand-in expects one {BM25:?} document per point"
                    )));
                }
            };
            Self::checked_document(document)?;
            let sparse = self.0.bm25.document(&document.text);
            let grams = match named.vectors.get(NGRAM) {
                Some(grpc::Vector {
                    vector: Some(vector::Vector::Sparse(grpc::SparseVector { values, indices })),
                    ..
                }) => Self::checked_sparse(indices, values)?,
                _ => {
                    return Err(Status::invalid_argument(format!(
                        "the stand-in expects one sparse {NGRAM:?} vector per point"
                    )));
                }
            };
            let mut vectors = vec![(BM25, Vector::from(sparse)), (NGRAM, Vector::from(grams))];
            // The real server would take a point without it; `ServerIndex` always sends it.
            match (named.vectors.get(DENSE), collection.dense) {
                (Some(dense), _) => {
                    let dense = Self::checked_dense(&collection, dense)?;
                    vectors.push((DENSE, Vector::from(dense.as_slice())));
                }
                (None, Some(_)) => {
                    return Err(Status::invalid_argument(format!(
                        "the stand-in expects a {DENSE:?} vector on every point of {}",
                        request.collection_name
                    )));
                }
                (None, None) => {}
            }
            let payload = point
                .payload
                .iter()
                .map(|(k, v)| Ok((k.clone(), to_json(v)?)))
                .collect::<Result<Map<_, _>, Status>>()?;
            points.push(
                PointStruct::new(id, Vectors::new_named(vectors), Json::Object(payload)).into(),
            );
        }
        let shard = &collection.shard;
        shard
            .update(UpdateOperation::PointOperation(PointOperations::UpsertPoints(
                PointInsertOperations::PointsList(points),
            )))
            .map_err(internal)?;
        // One segment, one IDF: what a real server converges to after optimising.
        shard.optimize().map_err(internal)?;
        Ok(Response::new(self.applied()))
    }

    async fn query(&self, request: Request<QueryPoints>) -> Answer<QueryResponse> {
        let request = request.into_inner();
        self.enter("query", &request.collection_name).await?;
        let collection = self.collection(&request.collection_name)?;
        Ok(Response::new(QueryResponse {
            result: self.answer(&collection, &request)?,
            time: 0.001,
            usage: None,
        }))
    }

    async fn query_batch(&self, request: Request<QueryBatchPoints>) -> Answer<QueryBatchResponse> {
        let request = request.into_inner();
        self.enter("query_batch", &request.collection_name).await?;
        let collection = self.collection(&request.collection_name)?;
        if request.read_consistency.is_some() {
            return Err(Status::invalid_argument("the stand-in queries plainly only"));
        }
        let mut result = Vec::with_capacity(request.query_points.len());
        for query in &request.query_points {
            // The server answers from the batch's collection; a query naming another is a
            // mistake of the client's.
            if query.collection_name != request.collection_name {
                return Err(Status::invalid_argument(format!(
                    "the stand-in expects every query of a batch on {:?}, got {:?}",
                    request.collection_name, query.collection_name
                )));
            }
            result.push(grpc::BatchResult {
                result: self.answer(&collection, query)?,
            });
        }
        Ok(Response::new(QueryBatchResponse {
            result,
            time: 0.001,
            usage: None,
        }))
    }

    async fn count(&self, request: Request<CountPoints>) -> Answer<CountResponse> {
        let request = request.into_inner();
        self.enter("count", &request.collection_name).await?;
        let collection = self.collection(&request.collection_name)?;
        let filter = match &request.filter {
            None => None,
            Some(filter) => Some(edge_filter(source_of(filter)?)?),
        };
        let count = collection
            .shard
            .count(CountRequest {
                filter,
                exact: request.exact.unwrap_or(true),
            })
            .map_err(internal)?;
        Ok(Response::new(CountResponse {
            result: Some(CountResult {
                count: u64::try_from(count).map_err(internal)?,
            }),
            time: 0.001,
            usage: None,
        }))
    }
}

impl Service {
    /// The points one query finds in `collection`: the nearest by a `qdrant/bm25` document
    /// on `bm25`, or by a dense vector on `dense` (when the collection has it).
    fn answer(
        &self,
        collection: &Collection,
        request: &QueryPoints,
    ) -> Result<Vec<grpc::ScoredPoint>, Status> {
        if !request.prefetch.is_empty() || request.lookup_from.is_some() {
            return Err(Status::invalid_argument(
                "the stand-in queries plainly only",
            ));
        }
        let input = match &request.query {
            Some(grpc::Query {
                variant:
                    Some(query::Variant::Nearest(grpc::VectorInput {
                        variant: Some(input),
                    })),
            }) => input,
            other => {
                return Err(Status::invalid_argument(format!(
                    "the stand-in expects a nearest query, got {other:?}"
                )));
            }
        };
        let using = request.using.as_deref().unwrap_or_default();
        if using != BM25 && using != NGRAM && !(using == DENSE && collection.dense.is_some()) {
            return Err(Status::invalid_argument(format!(
                "Wrong input: Not existing vector name error: {using}"
            )));
        }
        let query = match (using, input, collection.dense) {
            (BM25, vector_input::Variant::Document(document), _) => {
                Self::checked_document(document)?;
                let query = self.0.bm25.query(&document.text);
                if query.indices.is_empty() {
                    return Ok(Vec::new());
                }
                VectorInternal::from(query)
            }
            (DENSE, vector_input::Variant::Dense(grpc::DenseVector { data }), Some(size)) => {
                Self::checked_size(size, data)?;
                VectorInternal::from(data.clone())
            }
            (NGRAM, vector_input::Variant::Sparse(grpc::SparseVector { values, indices }), _) => {
                VectorInternal::from(Self::checked_sparse(indices, values)?)
            }
            _ => {
                return Err(Status::invalid_argument(format!(
                    "the stand-in expects a document on {BM25:?} or a dense vector on {DENSE:?}, got {input:?} on {using:?}"
                )));
            }
        };
        let with_payload = match request
            .with_payload
            .clone()
            .and_then(|w| w.selector_options)
        {
            None | Some(SelectorOptions::Enable(false)) => false,
            Some(SelectorOptions::Enable(true)) => true,
            Some(_) => return Err(Status::unimplemented("payload selectors")),
        };
        let filter = match &request.filter {
            None => None,
            Some(filter) => Some(edge_filter(source_of(filter)?)?),
        };
        let limit = usize::try_from(request.limit.unwrap_or(10)).map_err(internal)?;
        let offset = usize::try_from(request.offset.unwrap_or(0)).map_err(internal)?;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let found = collection
            .shard
            .query(QueryRequest {
                prefetches: vec![],
                query: Some(ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
                    query,
                    using: Some(using.to_owned()),
                }))),
                filter,
                score_threshold: None,
                limit,
                offset,
                params: None,
                with_vector: WithVector::Bool(false),
                with_payload: WithPayloadInterface::Bool(with_payload),
            })
            .map_err(internal)?;
        Ok(found
            .into_iter()
            .map(|point| {
                let id = match point.id {
                    qdrant_edge::PointId::NumId(n) => PointIdOptions::Num(n),
                    qdrant_edge::PointId::Uuid(u) => PointIdOptions::Uuid(u.to_string()),
                };
                grpc::ScoredPoint {
                    id: Some(PointId {
                        point_id_options: Some(id),
                    }),
                    payload: point
                        .payload
                        .map(|p| p.0.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
                        .unwrap_or_default(),
                    score: point.score,
                    version: point.version,
                    vectors: None,
                    shard_key: None,
                    order_value: None,
                }
            })
            .collect())
    }
}

/// The stand-in's own JSON conversions must not lose a passage's fields.
#[test]
fn payload_values_round_trip() {
    let value = serde_json::json!({"source": "a.md", "position": 3, "x": 1.5, "l": [true, null]});
    assert_eq!(to_json(&from_json(&value)).expect("convertible"), value);
}
