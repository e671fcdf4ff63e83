//! The knowledge base end to end: sources through the admin API, answers in a call
//! over `/v1/turn`, the call record citing the source, unanswered questions kept for
//! the tenant, and one tenant's knowledge invisible to another.

use sva_admin::NewTenant;
use sva_tests::{Stack, refusal as code, said};

#[tokio::test]
async fn a_price_question_is_answered_from_the_price_list_and_the_record_cites_it() {
    let stack = Stack::start().await;
    let mut call = stack.call().await;
    let answer = said(
        call.say("сколько стоит терминал тэ эс сорок")
            .await
            .unwrap(),
    );
    assert!(answer.contains("Цена: 45900"), "{answer}");
    // A question the material does not answer: the manager will tell, and the tenant
    // sees it among the gaps.
    let answer = said(call.say("а какая завтра погода в сочи?").await.unwrap());
    assert!(!answer.contains("Цена"), "{answer}");
    let day = sva_abi::clock::rfc3339(sva_tests::now() as i64, 0)[..10].to_owned();
    let ended = call.hang_up("hangup").await.unwrap();

    let record = stack.read(&ended.record);
    let lookups: Vec<&serde_json::Value> = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["knowledge"].as_array())
        .flatten()
        .collect();
    assert_eq!(lookups.len(), 2, "{record:#}");
    assert_eq!(lookups[0]["query"], "сколько стоит терминал тэ эс сорок");
    assert_eq!(lookups[0]["sources"][0]["document"], "prices.csv");
    assert_eq!(
        lookups[0]["sources"][0]["heading"],
        "Терминал сбора данных ТС-40"
    );
    let unanswered = lookups[1];
    let gaps = stack.admin().knowledge_gaps("demo", &day).await.unwrap();
    if unanswered["sources"]
        .as_array()
        .is_none_or(|s| s.is_empty())
    {
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!(gaps[0].question, "а какая завтра погода в сочи?");
        assert_eq!(gaps[0].asked, 1);
        assert_eq!(
            record["usage"]["storage_puts"], 3,
            "the gaps object is counted"
        );
    } else {
        panic!("an unanswerable question got passages: {unanswered}");
    }
}

#[tokio::test]
async fn sources_are_uploaded_replaced_deleted_and_kept_to_their_tenant() {
    let stack = Stack::start_uncached().await;
    let operator = stack.admin();
    let new = NewTenant {
        id: "acme".into(),
        company: "Акме".into(),
        product: "станки".into(),
        manager_phone: None,
    };
    operator.create_tenant(&new).await.unwrap();
    let acme = operator.with_key(&operator.issue_key("acme", "kb").await.unwrap().key);

    let v1 = "# Станки\n\n## Доставка станков\n\nСтанки привозим за 10 дней, разгрузка краном.\n\n## Гарантия\n\nГарантия на станки 3 года.\n";
    let put = acme
        .put_source("acme", "stanki.md", v1.into())
        .await
        .unwrap();
    assert_eq!(
        (put.kind.as_str(), put.passages, put.unchanged),
        ("markdown", Some(2), false)
    );
    let again = acme
        .put_source("acme", "stanki.md", v1.into())
        .await
        .unwrap();
    assert!(again.unchanged, "the same bytes change nothing");
    let hits = acme
        .search_knowledge("acme", "за сколько дней привезёте станок", 3)
        .await
        .unwrap();
    assert_eq!(hits[0].heading, "Станки / Доставка станков", "{hits:?}");
    assert!(hits[0].answers);

    // Isolation: the demo tenant's knowledge is not acme's, and acme's key does not
    // reach the demo tenant's.
    let demo_hits = acme
        .search_knowledge("acme", "сколько стоит терминал тэ эс сорок", 5)
        .await
        .unwrap();
    assert!(
        demo_hits.iter().all(|h| h.source == "stanki.md"),
        "{demo_hits:?}"
    );
    let acme_in_demo = operator
        .search_knowledge("demo", "разгрузка краном станки", 5)
        .await
        .unwrap();
    assert!(
        acme_in_demo.iter().all(|h| h.source != "stanki.md"),
        "{acme_in_demo:?}"
    );
    assert_eq!(code(acme.sources("demo").await), (404, "not_found".into()));
    assert_eq!(
        code(acme.put_source("demo", "x.md", b"# x\n\ny".to_vec()).await),
        (404, "not_found".into())
    );

    // Re-ingesting replaces: the old passage is gone, never duplicated.
    let v2 = "# Станки\n\n## Доставка станков\n\nСтанки привозим за 5 дней.\n";
    let put = acme
        .put_source("acme", "stanki.md", v2.into())
        .await
        .unwrap();
    assert_eq!(put.passages, Some(1));
    let hits = acme
        .search_knowledge("acme", "доставка станков", 5)
        .await
        .unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].text.contains("5 дней"));
    assert!(
        acme.search_knowledge("acme", "гарантия три года", 5)
            .await
            .unwrap()
            .is_empty()
    );

    // Bad input: a clear code, nothing stored.
    let cases: Vec<(&str, Vec<u8>, (u16, &str))> = vec![
        ("price.pdf", b"%PDF".to_vec(), (422, "unsupported_source")),
        (".hidden.md", b"# x\n\ny".to_vec(), (422, "bad_source_name")),
        (
            "latin1.txt",
            vec![0xc0, 0xe0, 0xff],
            (422, "source_not_utf8"),
        ),
        (
            "empty.md",
            b"# only a heading\n".to_vec(),
            (422, "empty_source"),
        ),
        (
            "huge.txt",
            vec![b'a'; sva_retrieval::source::MAX_SOURCE_BYTES + 1],
            (413, "payload_too_large"),
        ),
    ];
    for (name, body, (status, expected)) in cases {
        let got = code(acme.put_source("acme", name, body).await);
        assert_eq!(got, (status, expected.to_owned()), "{name}");
    }
    let sources = acme.sources("acme").await.unwrap();
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(
        code(acme.search_knowledge("acme", "   ", 3).await),
        (422, "bad_query".into())
    );

    // Deleting removes the source and its passages.
    acme.delete_source("acme", "stanki.md").await.unwrap();
    assert!(acme.sources("acme").await.unwrap().is_empty());
    assert!(
        acme.search_knowledge("acme", "доставка станков", 5)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        code(acme.delete_source("acme", "stanki.md").await),
        (404, "source_not_found".into())
    );
}

#[tokio::test]
async fn a_lost_index_is_rebuilt_from_the_stored_sources() {
    let stack = Stack::start().await;
    let before = stack
        .admin()
        .search_knowledge("demo", "а лизинг у вас есть", 1)
        .await
        .unwrap();
    assert_eq!(before[0].heading, "Оплата и скидки / Лизинг");
    let dir = stack.stop();
    std::fs::remove_dir_all(dir.path().join(sva_local::KNOWLEDGE_INDEX_DIR)).unwrap();
    let stack = Stack::start_in(dir, |options| options).await;
    let after = stack
        .admin()
        .search_knowledge("demo", "а лизинг у вас есть", 1)
        .await
        .unwrap();
    assert_eq!(after, before);
}
