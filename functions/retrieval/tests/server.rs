//! The server back end against a local gRPC stand-in for Qdrant (see `standin`): the
//! requests `ServerIndex` sends are checked as the real server would, and scored for real.

mod standin;

use standin::{Call, Mode, StandIn};
use std::time::{Duration, Instant};
use sva_retrieval::server::ServerConfig;
use sva_retrieval::{Chunk, Index, IndexError, ServerIndex, chunk};

const DELIVERY: &str = "\
# Доставка

## По Москве

Курьер привозит заказ по Москве на следующий день после оформления. Доставка курьером \
бесплатная при заказе от пяти тысяч рублей.

## По России

В регионы отправляем заказ транспортной компанией СДЭК или Почтой России. Срок доставки \
в регионы от трёх до семи рабочих дней.
";

const WARRANTY: &str = "\
# Гарантия

## Сроки

На все смартфоны действует гарантия производителя один год. Гарантийный талон выдаём \
вместе с чеком.

## Возврат

Вернуть смартфон надлежащего качества можно в течение четырнадцати дней, если сохранены \
упаковка и комплектация.
";

const PRICES: &str = "\
# Цены

Цены на смартфоны указаны с учётом НДС. Скидка постоянным покупателям пять процентов.
";

fn passages(name: &str, text: &str) -> Vec<Chunk> {
    chunk(name, text.as_bytes()).expect("a readable source")
}

fn config(standin: &StandIn) -> ServerConfig {
    ServerConfig::new(standin.url())
}

fn index(standin: &StandIn) -> ServerIndex {
    ServerIndex::new(config(standin)).expect("a valid configuration")
}

/// A stand-in with tenant `a`'s two sources.
async fn with_tenant_a() -> (StandIn, ServerIndex) {
    let standin = StandIn::start();
    let index = index(&standin);
    index
        .replace("a", "delivery.md", &passages("delivery.md", DELIVERY), &[])
        .await
        .expect("delivery indexed");
    index
        .replace("a", "warranty.md", &passages("warranty.md", WARRANTY), &[])
        .await
        .expect("warranty indexed");
    (standin, index)
}

#[tokio::test]
async fn russian_questions_find_the_right_passage() {
    let (standin, index) = with_tenant_a().await;
    assert_eq!(index.count("a").await.expect("counted"), 4);

    let found = index
        .search("a", "Сколько идёт доставка в регионы?", None, 3)
        .await
        .expect("searched");
    let best = &found.first().expect("something found").chunk;
    assert_eq!(best.source, "delivery.md");
    assert_eq!(best.heading, "Доставка / По России");
    assert!(best.text.contains("СДЭК"), "{best:?}");
    assert!(
        found.windows(2).all(|w| w[0].score >= w[1].score),
        "best first"
    );

    let found = index
        .search("a", "можно ли вернуть смартфон", None, 2)
        .await
        .expect("searched");
    let best = &found.first().expect("something found").chunk;
    assert_eq!(
        (best.source.as_str(), best.heading.as_str()),
        ("warranty.md", "Гарантия / Возврат")
    );

    // Stop words only: nothing to score, nothing found.
    assert!(
        index
            .search("a", "а и но", None, 5)
            .await
            .expect("searched")
            .is_empty()
    );
    assert!(
        index
            .search("a", "доставка", None, 0)
            .await
            .expect("searched")
            .is_empty()
    );

    // One collection, made once, with the sparse BM25 vector (the stand-in refuses any
    // other shape) and the source index.
    let creates: Vec<Call> = standin
        .calls()
        .into_iter()
        .filter(|c| c.method == "create_collection")
        .collect();
    assert_eq!(
        creates,
        [Call {
            method: "create_collection",
            collection: "sva_kb_a_ng4".into()
        }]
    );
    assert_eq!(
        standin.indexed_fields("sva_kb_a_ng4"),
        ["source".to_owned()].into()
    );
}

#[tokio::test]
async fn replacing_a_source_leaves_no_stale_passages() {
    let (standin, index) = with_tenant_a().await;
    assert_eq!(index.count("a").await.expect("counted"), 4);

    let shorter = "# Доставка\n\nТолько самовывоз из магазина на Тверской.\n";
    standin.clear_calls();
    index
        .replace("a", "delivery.md", &passages("delivery.md", shorter), &[])
        .await
        .expect("replaced");
    // The new passages first, then the old ones past them: the source is never empty.
    let methods: Vec<&str> = standin.calls().iter().map(|c| c.method).collect();
    assert_eq!(methods, ["upsert", "delete"]);
    assert_eq!(index.count("a").await.expect("counted"), 3);
    let found = index
        .search("a", "доставка в регионы СДЭК", None, 10)
        .await
        .expect("searched");
    assert!(
        found.iter().all(|f| !f.chunk.text.contains("СДЭК")),
        "a replaced passage is gone: {found:?}"
    );
    assert!(
        found.iter().any(|f| f.chunk.text.contains("самовывоз")),
        "the new passage is there: {found:?}"
    );

    index
        .replace("a", "delivery.md", &[], &[])
        .await
        .expect("removed");
    assert_eq!(index.count("a").await.expect("counted"), 2);
    let found = index
        .search("a", "доставка самовывоз", None, 10)
        .await
        .expect("searched");
    assert!(
        found.iter().all(|f| f.chunk.source == "warranty.md"),
        "{found:?}"
    );
}

#[tokio::test]
async fn tenants_are_kept_apart() {
    let (standin, index) = with_tenant_a().await;
    standin.clear_calls();

    index
        .replace("b", "prices.md", &passages("prices.md", PRICES), &[])
        .await
        .expect("indexed");
    assert_eq!(index.count("b").await.expect("counted"), 1);
    let found = index
        .search("b", "доставка в регионы гарантия смартфон", None, 10)
        .await
        .expect("searched");
    assert!(
        found.iter().all(|f| f.chunk.source == "prices.md"),
        "B sees only its own passages: {found:?}"
    );
    assert!(
        index
            .search("b", "СДЭК курьер", None, 10)
            .await
            .expect("searched")
            .is_empty()
    );

    let calls = standin.calls();
    assert!(!calls.is_empty());
    assert!(
        calls.iter().all(|c| c.collection == "sva_kb_b_ng4"),
        "every request for B names B's collection: {calls:?}"
    );
    assert_eq!(
        standin.collections(),
        ["sva_kb_a_ng4".to_owned(), "sva_kb_b_ng4".to_owned()].into()
    );
    // A is untouched.
    assert_eq!(index.count("a").await.expect("counted"), 4);
}

#[tokio::test]
async fn a_prefix_names_the_collections() {
    let standin = StandIn::start();
    let mut config = config(&standin);
    config.collection_prefix = "stage_kb_".into();
    let index = ServerIndex::new(config).expect("valid");
    index
        .replace("a", "prices.md", &passages("prices.md", PRICES), &[])
        .await
        .expect("indexed");
    assert_eq!(standin.collections(), ["stage_kb_a_ng4".to_owned()].into());
    assert_eq!(
        index
            .search("a", "скидка", None, 1)
            .await
            .expect("searched")
            .len(),
        1
    );
}

#[tokio::test]
async fn an_unknown_tenant_has_nothing_and_gets_no_collection() {
    let standin = StandIn::start();
    let index = index(&standin);
    assert!(
        index
            .search("nobody", "доставка", None, 5)
            .await
            .expect("searched")
            .is_empty()
    );
    assert_eq!(index.count("nobody").await.expect("counted"), 0);
    index
        .replace("nobody", "x.md", &[], &[])
        .await
        .expect("nothing to remove");
    assert!(standin.collections().is_empty());
    let calls = standin.calls();
    assert!(
        calls.iter().all(|c| c.method != "create_collection"),
        "{calls:?}"
    );
    assert!(
        calls.iter().all(|c| c.collection == "sva_kb_nobody_ng4"),
        "{calls:?}"
    );
}

#[tokio::test]
async fn a_server_that_is_down_is_unavailable() {
    let (standin, index) = with_tenant_a().await;
    standin.set_mode(Mode::Unavailable);
    for result in [
        index.search("a", "доставка", None, 3).await.map(drop),
        index.count("a").await.map(drop),
        index
            .replace("a", "prices.md", &passages("prices.md", PRICES), &[])
            .await
            .map(drop),
        index.ping().await,
    ] {
        let error = result.expect_err("the server is down");
        assert!(matches!(error, IndexError::Unavailable(_)), "{error:?}");
        assert_eq!(error.code(), "index_unavailable");
    }
    standin.set_mode(Mode::Serve);
    assert_eq!(index.count("a").await.expect("back up"), 4);
    index.ping().await.expect("back up");
}

#[tokio::test]
async fn nobody_listening_is_unavailable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.local_addr().expect("the port").port()
    };
    let index = ServerIndex::new(ServerConfig::new(format!("http://127.0.0.1:{port}")))
        .expect("connects lazily");
    let error = index
        .search("a", "доставка", None, 3)
        .await
        .expect_err("nobody there");
    assert_eq!(error.code(), "index_unavailable", "{error:?}");
}

#[tokio::test]
async fn a_server_that_hangs_times_out() {
    let (standin, _) = with_tenant_a().await;
    let mut config = config(&standin);
    config.search_timeout = Duration::from_millis(300);
    config.write_timeout = Duration::from_millis(300);
    let index = ServerIndex::new(config).expect("valid");
    standin.set_mode(Mode::Hang);
    for what in ["search", "count", "replace"] {
        let started = Instant::now();
        let result = match what {
            "search" => index.search("a", "доставка", None, 3).await.map(drop),
            "count" => index.count("a").await.map(drop),
            _ => {
                index
                    .replace("a", "prices.md", &passages("prices.md", PRICES), &[])
                    .await
            }
        };
        let error = result.expect_err(what);
        assert_eq!(error.code(), "index_unavailable", "{what}: {error:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{what}: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_bad_tenant_is_refused_without_a_request() {
    let standin = StandIn::start();
    let index = index(&standin);
    for tenant in ["", "../a", "A", "a/b", "-a"] {
        let errors = [
            index.search(tenant, "доставка", None, 3).await.map(drop),
            index.count(tenant).await.map(drop),
            index
                .replace(tenant, "prices.md", &passages("prices.md", PRICES), &[])
                .await
                .map(drop),
            index.replace(tenant, "prices.md", &[], &[]).await,
        ];
        for error in errors {
            let error = error.expect_err(tenant);
            assert_eq!(error.code(), "bad_tenant", "{tenant:?}");
        }
    }
    assert_eq!(standin.calls(), []);
}

#[tokio::test]
async fn a_search_given_up_by_its_caller_ends_at_the_callers_deadline() {
    // The turn bounds everything it awaits with one deadline and drops what is left:
    // a hanging server costs the caller that deadline, not the index's own.
    let (standin, index) = with_tenant_a().await;
    standin.set_mode(Mode::Hang);
    let started = Instant::now();
    let given_up = tokio::time::timeout(
        Duration::from_millis(100),
        index.search("a", "гарантия", None, 1),
    )
    .await;
    assert!(given_up.is_err(), "the search was still waiting");
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
    // The client is not poisoned by the dropped request.
    standin.set_mode(Mode::Serve);
    let found = index
        .search("a", "гарантия на смартфон", None, 2)
        .await
        .expect("searched");
    assert_eq!(found.first().expect("found").chunk.source, "warranty.md");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_calls_share_one_client_at_once() {
    let (_standin, index) = with_tenant_a().await;
    let index = std::sync::Arc::new(index);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..32 {
        let index = index.clone();
        tasks.spawn(async move {
            let question = if i % 2 == 0 {
                "гарантия на смартфон"
            } else {
                "доставка в регионы"
            };
            index.search("a", question, None, 1).await
        });
    }
    let mut answered = 0;
    while let Some(done) = tasks.join_next().await {
        assert_eq!(done.expect("the task finished").expect("searched").len(), 1);
        answered += 1;
    }
    assert_eq!(answered, 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_refuses_what_a_real_server_would() {
    use qdrant_client::Qdrant;
    use qdrant_client::qdrant::{
        CreateCollectionBuilder, Document, QueryPointsBuilder, SparseVectorParamsBuilder,
        SparseVectorsConfigBuilder, VectorInput,
    };

    let (standin, _index) = with_tenant_a().await;
    let client = Qdrant::from_url(standin.url())
        .skip_compatibility_check()
        .build()
        .expect("a client");
    let code = |e: qdrant_client::QdrantError| match e {
        qdrant_client::QdrantError::ResponseError { status } => status.code(),
        other => panic!("not a status: {other}"),
    };

    // A collection that exists already.
    let mut sparse = SparseVectorsConfigBuilder::default();
    for name in ["bm25", "ngram"] {
        sparse.add_named_vector_params(
            name,
            SparseVectorParamsBuilder::default().modifier(qdrant_client::qdrant::Modifier::Idf),
        );
    }
    let again = client
        .create_collection(
            CreateCollectionBuilder::new("sva_kb_a_ng4").sparse_vectors_config(sparse),
        )
        .await;
    assert_eq!(code(again.expect_err("exists")), tonic::Code::AlreadyExists);

    // A sparse vector without the IDF modifier.
    let mut plain = SparseVectorsConfigBuilder::default();
    plain.add_named_vector_params("bm25", SparseVectorParamsBuilder::default());
    let no_idf = client
        .create_collection(
            CreateCollectionBuilder::new("sva_kb_z_ng4").sparse_vectors_config(plain),
        )
        .await;
    assert_eq!(
        code(no_idf.expect_err("no IDF")),
        tonic::Code::InvalidArgument
    );

    // Another model, another vector name, a missing collection.
    let wrong_model = client
        .query(
            QueryPointsBuilder::new("sva_kb_a_ng4")
                .query(VectorInput::from(Document::new("доставка", "qdrant/bm42")))
                .using("bm25"),
        )
        .await;
    assert_eq!(
        code(wrong_model.expect_err("model")),
        tonic::Code::InvalidArgument
    );
    let wrong_vector = client
        .query(
            QueryPointsBuilder::new("sva_kb_a_ng4")
                .query(VectorInput::from(Document::new("доставка", "qdrant/bm25")))
                .using("dense"),
        )
        .await;
    assert_eq!(
        code(wrong_vector.expect_err("vector")),
        tonic::Code::InvalidArgument
    );
    let missing = client
        .count(qdrant_client::qdrant::CountPointsBuilder::new(
            "sva_kb_z_ng4",
        ))
        .await;
    assert_eq!(code(missing.expect_err("missing")), tonic::Code::NotFound);

    // Anything else.
    let listed = client.list_collections().await;
    assert_eq!(
        code(listed.expect_err("not served")),
        tonic::Code::Unimplemented
    );
}

/// The dense vectors' size in these tests: hand-made vectors, the plumbing is under test.
const SIZE: usize = 4;

/// A made-up embedding for each demo passage, by its heading. "По Москве" is not of unit
/// length: the server compares by cosine, so its length must not count.
fn embedding(chunk: &Chunk) -> Vec<f32> {
    match chunk.heading.as_str() {
        "Доставка / По Москве" => vec![2.0, 0.0, 0.0, 0.0],
        "Доставка / По России" => vec![0.6, 0.8, 0.0, 0.0],
        "Гарантия / Сроки" => vec![0.0, 0.0, 1.0, 0.0],
        "Гарантия / Возврат" => vec![0.0, 0.0, 0.0, 1.0],
        "Цены" => vec![0.0, 0.0, 0.8, 0.6],
        other => panic!("no embedding for {other:?}"),
    }
}

fn dense_index(standin: &StandIn) -> ServerIndex {
    let mut config = config(standin);
    config.dense = Some(SIZE);
    ServerIndex::new(config).expect("a valid configuration")
}

/// Indexes a source with its passages' made-up embeddings.
async fn replace_with_vectors(index: &ServerIndex, tenant: &str, name: &str, text: &str) {
    let chunks = passages(name, text);
    let vectors: Vec<Vec<f32>> = chunks.iter().map(embedding).collect();
    index
        .replace(tenant, name, &chunks, &vectors)
        .await
        .expect("indexed with vectors");
}

/// A stand-in with tenant `a`'s three sources and their embeddings.
async fn with_dense_tenant_a() -> (StandIn, ServerIndex) {
    let standin = StandIn::start();
    let index = dense_index(&standin);
    replace_with_vectors(&index, "a", "delivery.md", DELIVERY).await;
    replace_with_vectors(&index, "a", "warranty.md", WARRANTY).await;
    replace_with_vectors(&index, "a", "prices.md", PRICES).await;
    (standin, index)
}

fn headings(found: &[sva_retrieval::Found]) -> Vec<&str> {
    found.iter().map(|f| f.chunk.heading.as_str()).collect()
}

#[tokio::test]
async fn a_dense_index_has_collections_of_its_own_with_both_vectors() {
    let (standin, bm25_only) = with_tenant_a().await;
    let dense = dense_index(&standin);
    replace_with_vectors(&dense, "a", "prices.md", PRICES).await;

    // The stand-in refuses any shape but the sparse BM25 vector beside one cosine
    // vector named `dense`.
    assert_eq!(
        standin.collections(),
        ["sva_kb_a_ng4".to_owned(), "sva_kb_a_ng4_dense4".to_owned()].into()
    );
    assert_eq!(standin.dense_size("sva_kb_a_ng4_dense4"), Some(SIZE));
    assert_eq!(standin.dense_size("sva_kb_a_ng4"), None);
    assert_eq!(
        standin.indexed_fields("sva_kb_a_ng4_dense4"),
        ["source".to_owned()].into()
    );
    assert_eq!(dense.collection("a").expect("valid"), "sva_kb_a_ng4_dense4");
    // Neither sees the other's passages.
    assert_eq!(dense.count("a").await.expect("counted"), 1);
    assert_eq!(bm25_only.count("a").await.expect("counted"), 4);
}

#[tokio::test]
async fn dense_vectors_find_a_passage_that_shares_no_word_with_the_question() {
    let (standin, index) = with_dense_tenant_a().await;
    assert_eq!(index.count("a").await.expect("counted"), 5);
    let question = "хочу отказаться от покупки";
    let by_words = index
        .search("a", question, None, 5)
        .await
        .expect("searched");
    assert!(
        by_words
            .iter()
            .all(|f| f.chunk.heading != "Гарантия / Возврат"),
        "BM25 alone does not find it: {by_words:?}"
    );

    standin.clear_calls();
    let meaning = [0.0, 0.0, 0.0, 1.0];
    let found = index
        .search("a", question, Some(&meaning), 5)
        .await
        .expect("searched");
    let best = found.first().expect("something found");
    assert_eq!(best.chunk.heading, "Гарантия / Возврат", "{found:?}");
    assert_eq!(best.sparse, None);
    let similarity = best.dense.expect("found by meaning");
    assert!((similarity - 1.0).abs() < 1e-4, "cosine: {similarity}");
    assert!(
        found.windows(2).all(|w| w[0].score >= w[1].score),
        "best first"
    );
    // Both queries in one request, on the tenant's dense collection.
    assert_eq!(
        standin.calls(),
        [Call {
            method: "query_batch",
            collection: "sva_kb_a_ng4_dense4".into()
        }]
    );

    // Stop words only: nothing for BM25 to score, the nearest passages still found.
    let found = index
        .search("a", "а и но", Some(&meaning), 2)
        .await
        .expect("searched");
    assert_eq!(headings(&found), ["Гарантия / Возврат", "Цены"]);
    assert!(
        found
            .iter()
            .all(|f| f.sparse.is_none() && f.dense.is_some())
    );
}

#[tokio::test]
async fn a_passage_both_rankings_agree_on_ranks_first() {
    let (_standin, index) = with_dense_tenant_a().await;
    let question = "доставка в регионы";
    // By words: "По России" (both words), then "По Москве" (one).
    let by_words = index
        .search("a", question, None, 5)
        .await
        .expect("searched");
    assert_eq!(
        headings(&by_words),
        ["Доставка / По России", "Доставка / По Москве"]
    );
    assert!(by_words.iter().all(|f| f.dense.is_none()));

    // By meaning: "Возврат" (0.8), "По Москве" (0.6), "Цены" (0.48), "По России" (0.36),
    // "Сроки" (0). By letters (character n-grams), as by words, "По России" first: two
    // rankings of three agree on it, and it covers all the question's words.
    let meaning = [0.6, 0.0, 0.0, 0.8];
    let found = index
        .search("a", question, Some(&meaning), 5)
        .await
        .expect("searched");
    assert_eq!(
        headings(&found),
        [
            "Доставка / По России",
            "Доставка / По Москве",
            "Гарантия / Возврат",
            "Цены",
            "Гарантия / Сроки"
        ]
    );
    let best = &found[0];
    assert_eq!(best.sparse, by_words[0].sparse);
    let similarity = best.dense.expect("found by meaning too");
    assert!((similarity - 0.36).abs() < 1e-4, "cosine: {similarity}");
    assert!(found[1].sparse.is_some() && found[1].dense.is_some());
    assert!(found[2..].iter().all(|f| f.sparse.is_none()));
    assert_eq!(
        index
            .search("a", question, Some(&meaning), 2)
            .await
            .expect("searched")
            .len(),
        2
    );
}

#[tokio::test]
async fn wrong_dense_vectors_are_refused_before_any_request() {
    let standin = StandIn::start();
    let dense = dense_index(&standin);
    let bm25_only = index(&standin);
    let chunks = passages("delivery.md", DELIVERY);
    assert_eq!(chunks.len(), 2);
    let errors = [
        // None, too few, too short.
        dense.replace("a", "delivery.md", &chunks, &[]).await,
        dense
            .replace("a", "delivery.md", &chunks, &[vec![1.0; SIZE]])
            .await,
        dense
            .replace(
                "a",
                "delivery.md",
                &chunks,
                &[vec![1.0; SIZE], vec![1.0; SIZE - 1]],
            )
            .await,
        // Vectors for an index without them.
        bm25_only
            .replace(
                "a",
                "delivery.md",
                &chunks,
                &[vec![1.0; SIZE], vec![1.0; SIZE]],
            )
            .await,
    ];
    for error in errors {
        let error = error.expect_err("refused");
        assert_eq!(error.code(), "index_unexpected", "{error:?}");
    }
    assert_eq!(standin.calls(), []);
    assert!(standin.collections().is_empty());
}

#[tokio::test]
async fn a_bm25_only_index_is_untouched_by_dense_vectors() {
    let (standin, index) = with_tenant_a().await;
    assert_eq!(standin.collections(), ["sva_kb_a_ng4".to_owned()].into());
    assert_eq!(standin.dense_size("sva_kb_a_ng4"), None);
    standin.clear_calls();

    // A question's embedding is ignored: BM25 alone, one plain query.
    let question = "Сколько идёт доставка в регионы?";
    let plain = index
        .search("a", question, None, 3)
        .await
        .expect("searched");
    let given = index
        .search("a", question, Some(&[0.6, 0.8, 0.0, 0.0]), 3)
        .await
        .expect("searched");
    assert_eq!(plain, given);
    assert!(!given.is_empty());
    assert!(given.iter().all(|f| f.dense.is_none()));
    assert!(
        standin.calls().iter().all(|c| c.method == "query_batch"),
        "{:?}",
        standin.calls()
    );

    // So is an embedding of another size on a dense index (a misconfiguration).
    let (standin, dense) = with_dense_tenant_a().await;
    standin.clear_calls();
    let found = dense
        .search("a", question, Some(&[1.0, 0.0, 0.0]), 3)
        .await
        .expect("searched");
    assert_eq!(
        found.first().expect("found").chunk.heading,
        "Доставка / По России"
    );
    assert!(found.iter().all(|f| f.dense.is_none()));
    assert_eq!(
        standin.calls(),
        [Call {
            method: "query_batch",
            collection: "sva_kb_a_ng4_dense4".into()
        }]
    );
}

#[tokio::test]
async fn a_dense_search_of_an_unknown_tenant_finds_nothing() {
    let standin = StandIn::start();
    let index = dense_index(&standin);
    let found = index
        .search("nobody", "доставка", Some(&[1.0, 0.0, 0.0, 0.0]), 5)
        .await
        .expect("searched");
    assert!(found.is_empty());
    assert_eq!(index.count("nobody").await.expect("counted"), 0);
    assert!(standin.collections().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_checks_dense_vectors_as_a_real_server_would() {
    use qdrant_client::Qdrant;
    use qdrant_client::qdrant::{
        CreateCollectionBuilder, Distance, Document, PointStruct, QueryPointsBuilder,
        SparseVectorParamsBuilder, SparseVectorsConfigBuilder, UpsertPointsBuilder, Vector,
        VectorInput, VectorParamsBuilder, VectorsConfigBuilder,
    };
    use std::collections::HashMap;

    let (standin, index) = with_dense_tenant_a().await;
    let client = Qdrant::from_url(standin.url())
        .skip_compatibility_check()
        .build()
        .expect("a client");
    let status = |e: qdrant_client::QdrantError| match e {
        qdrant_client::QdrantError::ResponseError { status } => status,
        other => panic!("not a status: {other}"),
    };
    let sparse = || {
        let mut sparse = SparseVectorsConfigBuilder::default();
        for name in ["bm25", "ngram"] {
            sparse.add_named_vector_params(
                name,
                SparseVectorParamsBuilder::default().modifier(qdrant_client::qdrant::Modifier::Idf),
            );
        }
        sparse
    };

    // Dense vectors of another distance, of no size, or under another name.
    for (name, params) in [
        ("dense", VectorParamsBuilder::new(4, Distance::Dot)),
        ("dense", VectorParamsBuilder::new(0, Distance::Cosine)),
        ("other", VectorParamsBuilder::new(4, Distance::Cosine)),
    ] {
        let mut vectors = VectorsConfigBuilder::default();
        vectors.add_named_vector_params(name, params);
        let created = client
            .create_collection(
                CreateCollectionBuilder::new("sva_kb_z_dense4")
                    .vectors_config(vectors)
                    .sparse_vectors_config(sparse()),
            )
            .await;
        assert_eq!(
            status(created.expect_err("refused")).code(),
            tonic::Code::InvalidArgument,
            "{name}"
        );
    }
    assert!(!standin.collections().contains("sva_kb_z_dense4"));

    // A point whose vector has the wrong size (its document as `ServerIndex` sends it).
    let mut document = Document::new("доставка", "qdrant/bm25");
    document.options = HashMap::from([
        ("language".to_owned(), "russian".into()),
        ("avg_len".to_owned(), 60.0.into()),
    ]);
    let point = PointStruct::new(
        1,
        HashMap::from([
            ("bm25".to_owned(), Vector::from(document)),
            (
                "ngram".to_owned(),
                Vector::new_sparse(vec![1u32], vec![1.0f32]),
            ),
            ("dense".to_owned(), Vector::new_dense(vec![1.0, 0.0, 0.0])),
        ]),
        qdrant_client::Payload::new(),
    );
    let upserted = client
        .upsert_points(UpsertPointsBuilder::new("sva_kb_a_ng4_dense4", vec![point]).wait(true))
        .await;
    let refused = status(upserted.expect_err("wrong size"));
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(
        refused
            .message()
            .contains("Vector dimension error: expected dim: 4, got 3"),
        "{}",
        refused.message()
    );

    // A query vector of the wrong size, and an unknown vector name.
    let short = client
        .query(
            QueryPointsBuilder::new("sva_kb_a_ng4_dense4")
                .query(VectorInput::new_dense(vec![1.0, 0.0]))
                .using("dense"),
        )
        .await;
    assert_eq!(
        status(short.expect_err("wrong size")).code(),
        tonic::Code::InvalidArgument
    );
    let unknown = client
        .query(
            QueryPointsBuilder::new("sva_kb_a_ng4_dense4")
                .query(VectorInput::new_dense(vec![1.0, 0.0, 0.0, 0.0]))
                .using("meaning"),
        )
        .await;
    assert_eq!(
        status(unknown.expect_err("unknown name")).code(),
        tonic::Code::InvalidArgument
    );
    // The dense collection still holds the three sources' five passages.
    assert_eq!(index.count("a").await.expect("counted"), 5);
}

#[tokio::test]
async fn a_dense_search_keeps_the_deadline_and_reports_outages() {
    let (standin, _) = with_dense_tenant_a().await;
    let mut config = config(&standin);
    config.dense = Some(SIZE);
    config.search_timeout = Duration::from_millis(300);
    let index = ServerIndex::new(config).expect("valid");
    let meaning = [0.0, 0.0, 0.0, 1.0];

    standin.set_mode(Mode::Unavailable);
    let error = index
        .search("a", "доставка", Some(&meaning), 3)
        .await
        .expect_err("the server is down");
    assert_eq!(error.code(), "index_unavailable", "{error:?}");

    standin.set_mode(Mode::Hang);
    let started = Instant::now();
    let error = index
        .search("a", "доставка", Some(&meaning), 3)
        .await
        .expect_err("the server hangs");
    assert_eq!(error.code(), "index_unavailable", "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    standin.set_mode(Mode::Serve);
    assert_eq!(
        index
            .search("a", "доставка", Some(&meaning), 3)
            .await
            .expect("back up")
            .len(),
        3
    );
}

/// Both back ends rank the demo knowledge base alike for every question of both
/// evaluation sets: the same passages in the same order, the same BM25 scores and the
/// same fused scores (the n-gram vectors, the fusion and the re-ranking are this crate's
/// code on both; BM25 is the server's inference, stood in for by the same pipeline).
#[tokio::test]
async fn both_back_ends_rank_the_demo_knowledge_base_alike() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../local/demo");
    let standin = StandIn::start();
    let server = index(&standin);
    let dir = tempfile::tempdir().expect("a directory");
    let edge = sva_retrieval::EdgeIndex::open(dir.path());
    let mut names: Vec<String> = std::fs::read_dir(demo.join("kb"))
        .expect("the demo knowledge base")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .into_string()
                .expect("UTF-8")
        })
        .collect();
    names.sort();
    for name in &names {
        let chunks = chunk(
            name,
            &std::fs::read(demo.join("kb").join(name)).expect("read"),
        )
        .expect("chunked");
        server
            .replace("demo", name, &chunks, &[])
            .await
            .expect("indexed");
        edge.replace("demo", name, &chunks, &[])
            .await
            .expect("indexed");
    }
    #[derive(serde::Deserialize)]
    struct Question {
        q: String,
    }
    let mut asked = 0;
    for set in ["kb-questions.yaml", "kb-questions-heldout.yaml"] {
        let questions: Vec<Question> =
            serde_norway::from_slice(&std::fs::read(demo.join(set)).expect("read"))
                .expect("questions");
        for question in questions {
            let a = server
                .search("demo", &question.q, None, 6)
                .await
                .expect("searched");
            let b = edge
                .search("demo", &question.q, None, 6)
                .await
                .expect("searched");
            let place = |f: &sva_retrieval::Found| (f.chunk.source.clone(), f.chunk.position);
            assert_eq!(
                a.iter().map(place).collect::<Vec<_>>(),
                b.iter().map(place).collect::<Vec<_>>(),
                "{:?}",
                question.q
            );
            for (x, y) in a.iter().zip(&b) {
                assert!((x.score - y.score).abs() < 1e-5, "{:?}", question.q);
                let (sx, sy) = (x.sparse.unwrap_or(0.0), y.sparse.unwrap_or(0.0));
                assert!((sx - sy).abs() < 1e-3, "{:?}", question.q);
            }
            asked += 1;
        }
    }
    assert!(asked > 250);
}
