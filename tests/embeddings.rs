//! Dense retrieval end to end: the local stack with embeddings from a stand-in of Yandex
//! Cloud's API on a loopback port — passages embedded with the document model when
//! uploaded, questions with the query model inside the turn, the ranks fused with BM25,
//! the tokens on the call's bill, and the call answered by BM25 alone when the service
//! fails.

use sva_local::LocalOptions;
use sva_tests::embedding_service::{EmbeddingService, Mode};
use sva_tests::{Stack, refusal as code, said};

const DOCUMENT: &str = "text-search-doc/latest";
const QUERY: &str = "text-search-query/latest";

/// A call that asks the price of the ТС-40, is answered from the price list, and hangs
/// up; its end.
async fn ask_the_price(stack: &Stack) -> sva_wire::turn::CallEnded {
    let mut call = stack.call().await;
    let answer = said(
        call.say("сколько стоит терминал тэ эс сорок")
            .await
            .unwrap(),
    );
    assert!(answer.contains("Цена: 45900"), "{answer}");
    call.hang_up("hangup").await.unwrap()
}

async fn stack_with(
    service: &EmbeddingService,
    adjust: impl FnOnce(&mut sva_retrieval::EmbeddingsConfig),
) -> Stack {
    let mut config = service.config();
    adjust(&mut config);
    Stack::start_with(|options| LocalOptions {
        embeddings: Some(config),
        ..options
    })
    .await
}

#[tokio::test]
async fn passages_and_questions_are_embedded_with_their_models_and_the_call_pays_for_the_tokens() {
    let service = EmbeddingService::start().await;
    let stack = stack_with(&service, |_| {}).await;

    // The demo's knowledge was embedded on start: every passage, with the document model.
    let passages: u32 = stack
        .admin()
        .sources("demo")
        .await
        .unwrap()
        .iter()
        .map(|s| s.passages.expect("indexed"))
        .sum();
    let seeded = service.embedded();
    assert!(passages > 50, "{passages}");
    assert_eq!(seeded.len(), passages as usize);
    assert!(seeded.iter().all(|e| e.model == DOCUMENT));

    let ended = ask_the_price(&stack).await;

    let asked: Vec<_> = service.embedded()[seeded.len()..].to_vec();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].model, QUERY);
    assert_eq!(asked[0].text, "сколько стоит терминал тэ эс сорок");
    let record = stack.read(&ended.record);
    assert_eq!(
        record["usage"]["embedding_tokens"], asked[0].tokens,
        "{record:#}"
    );
    let amount = record["cost"]["components"]["embeddings"]["amount"]
        .as_f64()
        .expect("an embeddings component");
    // 0.01 ₽ per 1,000 tokens in the default table.
    let expected = asked[0].tokens as f64 * 0.01 / 1000.0;
    assert!((amount - expected).abs() < 1e-6, "{amount} vs {expected}");
}

#[tokio::test]
async fn the_dense_ranking_finds_what_the_words_miss() {
    let service = EmbeddingService::start().await;
    let stack = stack_with(&service, |_| {}).await;
    let admin = stack.admin();

    // A misheard word shares no stem with the passage, but most of its letters.
    let question = "самавывоз можно";
    let hits = admin.search_knowledge("demo", question, 5).await.unwrap();
    let pickup = &hits[0];
    assert_eq!(pickup.heading, "Доставка / Самовывоз", "{hits:#?}");
    assert_eq!(pickup.sparse, None, "BM25 has no word of it");
    assert!(pickup.dense.is_some_and(|d| d > 0.3), "{pickup:?}");
    // Without a similarity bar, meaning alone is never read out.
    assert!(!pickup.answers);
    // Every hit carries the parts of its fused score.
    assert!(hits.iter().all(|h| h.sparse.is_some() || h.dense.is_some()));

    // With a bar the operator calibrated, it is.
    let strict = stack_with(&service, |c| c.answer_similarity = Some(0.35)).await;
    let hits = strict
        .admin()
        .search_knowledge("demo", question, 5)
        .await
        .unwrap();
    assert!(hits[0].answers, "{hits:#?}");
    assert!(hits.iter().skip(1).all(|h| !h.answers), "{hits:#?}");
}

#[tokio::test]
async fn an_unchanged_upload_is_not_embedded_again_and_a_changed_one_is() {
    let service = EmbeddingService::start().await;
    let stack = stack_with(&service, |_| {}).await;
    let admin = stack.admin();
    let v1 = "# Станки\n\n## Доставка станков\n\nСтанки привозим за 10 дней.\n\n## Гарантия\n\nГарантия на станки 3 года.\n";
    let before = service.embedded().len();
    let put = admin
        .put_source("demo", "stanki.md", v1.into())
        .await
        .unwrap();
    assert_eq!(put.passages, Some(2));
    assert_eq!(service.embedded().len(), before + 2);
    let again = admin
        .put_source("demo", "stanki.md", v1.into())
        .await
        .unwrap();
    assert!(again.unchanged);
    assert_eq!(
        service.embedded().len(),
        before + 2,
        "nothing embedded twice"
    );
    let v2 = "# Станки\n\n## Доставка станков\n\nСтанки привозим за 5 дней.\n";
    admin
        .put_source("demo", "stanki.md", v2.into())
        .await
        .unwrap();
    let embedded = service.embedded();
    assert_eq!(embedded.len(), before + 3);
    assert!(embedded.last().unwrap().text.contains("за 5 дней"));
}

#[tokio::test]
async fn when_the_service_fails_calls_are_answered_by_words_and_uploads_wait() {
    let service = EmbeddingService::start().await;
    let stack = stack_with(&service, |_| {}).await;
    let admin = stack.admin();
    let v1 = "# Станки\n\nСтанки привозим за 10 дней.\n";
    admin
        .put_source("demo", "stanki.md", v1.into())
        .await
        .unwrap();
    let kept = admin.sources("demo").await.unwrap();
    service.set_mode(Mode::Down);

    // No dead air and no lost answer: the question is searched by BM25 alone.
    let ended = ask_the_price(&stack).await;
    let record = stack.read(&ended.record);
    assert_eq!(record["usage"]["embedding_tokens"], 0, "nothing billed");

    // An upload cannot be indexed without its vectors: refused as the service's fault,
    // and the earlier version stays as it was — file, passages and record.
    let v2 = "# Станки\n\nСтанки привозим за 5 дней.\n";
    assert_eq!(
        code(admin.put_source("demo", "stanki.md", v2.into()).await),
        (503, "embeddings_unavailable".into())
    );
    assert_eq!(admin.sources("demo").await.unwrap(), kept);
    let hits = admin
        .search_knowledge("demo", "станки за сколько дней", 3)
        .await
        .unwrap();
    let stanki: Vec<_> = hits.iter().filter(|h| h.source == "stanki.md").collect();
    assert!(
        stanki.len() == 1 && stanki[0].text.contains("10 дней"),
        "the earlier version is still what is found: {hits:?}"
    );

    // Turned away for load twice, then served: tried again, not failed.
    service.set_mode(Mode::Overloaded(2));
    let refused = service.refused();
    let put = admin
        .put_source("demo", "stanki.md", v2.into())
        .await
        .unwrap();
    assert_eq!(put.passages, Some(1));
    assert_eq!(service.refused(), refused + 2);
}

#[tokio::test]
async fn a_slow_service_does_not_hold_up_the_turn() {
    let service = EmbeddingService::start().await;
    let stack = stack_with(&service, |_| {}).await;
    // Far beyond the turn's deadline: the question's embedding is given up on, and the
    // answer comes from BM25 within the turn (a turn past its deadline would get the
    // fallback phrase, not the price).
    service.set_mode(Mode::Slow(std::time::Duration::from_secs(5)));
    let ended = ask_the_price(&stack).await;
    let record = stack.read(&ended.record);
    assert_eq!(record["usage"]["embedding_tokens"], 0);
}

#[tokio::test]
async fn a_wrong_key_is_refused_plainly_and_never_shown() {
    let service = EmbeddingService::start().await;
    let stack = stack_with(&service, |c| c.api_key = "AQVN-wrong-secret".into()).await;
    let admin = stack.admin();
    // The demo's knowledge could not be embedded on start, and nothing of it was kept
    // half-done.
    assert!(admin.sources("demo").await.unwrap().is_empty());
    let e = admin
        .put_source("demo", "stanki.md", b"# x\n\ny".to_vec())
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Some("embeddings_refused"));
    assert_eq!(e.status(), Some(503));
    // The service quoted the key back; it goes no further.
    assert!(!e.to_string().contains("wrong-secret"), "{e}");
    assert!(admin.sources("demo").await.unwrap().is_empty());
    // A call still gets an answer, though the knowledge base is empty: never dead air.
    let mut call = stack.call().await;
    let answer = said(
        call.say("сколько стоит терминал тэ эс сорок")
            .await
            .unwrap(),
    );
    assert!(!answer.is_empty(), "never dead air");
}

#[tokio::test]
async fn turning_embeddings_on_starts_a_dense_index_that_reindex_fills() {
    let stack = Stack::start().await;
    let operator = stack.admin();
    operator
        .create_tenant(&sva_admin::NewTenant {
            id: "acme".into(),
            company: "Акме".into(),
            product: "станки".into(),
            manager_phone: None,
        })
        .await
        .unwrap();
    let body = "# Станки\n\n## Доставка станков\n\nСтанки привозим за 10 дней.\n";
    operator
        .put_source("acme", "stanki.md", body.into())
        .await
        .unwrap();
    let dir = stack.stop();

    let service = EmbeddingService::start().await;
    let stack = Stack::start_in(dir, |options| LocalOptions {
        embeddings: Some(service.config()),
        ..options
    })
    .await;
    let operator = stack.admin();
    // The demo tenant's dense index is filled on start; another tenant's waits for
    // `reindex` (and finds nothing meanwhile, rather than passages without vectors).
    let question = "за сколько дней привезёте станок";
    assert!(
        operator
            .search_knowledge("acme", question, 3)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(operator.reindex_knowledge("acme").await.unwrap(), 1);
    let hits = operator
        .search_knowledge("acme", question, 3)
        .await
        .unwrap();
    assert_eq!(hits[0].heading, "Станки / Доставка станков", "{hits:?}");
    assert!(hits[0].dense.is_some(), "{hits:?}");
    assert!(
        service
            .embedded()
            .iter()
            .any(|e| e.text.contains("10 дней")),
        "embedded on reindex"
    );
}
