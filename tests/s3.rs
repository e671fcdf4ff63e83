//! The product over S3: the local stack with its objects in a bucket of a real
//! S3-protocol server (s3s-fs, in process on loopback, signed requests), as it runs on
//! Yandex Object Storage in the cloud. Tenants, modules, call records and the CRM outbox
//! all go through `aws-sdk-s3`.

use sva_kit::storage::test_server::S3TestServer;
use sva_local::LocalStack;

#[tokio::test]
async fn a_call_over_s3_leaves_its_record_and_outbox_entry_in_the_bucket() {
    let s3 = S3TestServer::start().await;
    let store = s3.store.clone();

    // The stack over the bucket (its directory keeps only precompiled artifacts).
    let dir = tempfile::tempdir().unwrap();
    let stack = LocalStack::start_on(store.clone(), sva_tests::options(&dir))
        .await
        .unwrap();
    assert!(
        store
            .get("tenants/demo/tenant.json")
            .await
            .unwrap()
            .is_some(),
        "the demo tenant is seeded into the bucket"
    );
    let demo = stack.demo();
    let phone = sva_caller::Phone::new(&stack.url(), &demo.id, demo.secret.as_bytes());
    let mut call = phone
        .dial(sva_caller::inbound("+79161234567"))
        .await
        .unwrap();
    call.say("нам нужна система учета для склада")
        .await
        .unwrap();
    call.say("бюджет два миллиона").await.unwrap();
    let id = call.id().to_owned();
    let ended = call.hang_up("caller_hangup").await.unwrap();
    assert!(ended.created);

    let record = store
        .get(&ended.record)
        .await
        .unwrap()
        .expect("the record is in the bucket");
    let record: serde_json::Value = serde_json::from_slice(&record).unwrap();
    assert_eq!(
        record["qualification"]["slots"]["budget"]["value"]["amount"],
        2_000_000
    );
    assert_eq!(record["scenario_version"], demo.version);
    assert!(
        store
            .get(&format!("outbox/crm/demo/{id}.json"))
            .await
            .unwrap()
            .is_some()
    );
    // Nothing landed on the local disk but artifacts.
    assert!(!dir.path().join("calls").exists());

    // The report reads the bucket the same way it reads the data directory.
    let day = ended.record.split('/').nth(2).unwrap().to_owned();
    let scope = sva_costs::scan::Scope {
        tenants: vec!["demo".into()],
        from: day.clone(),
        to: day,
    };
    let mut report = sva_costs::report::Report::new();
    let read = sva_costs::scan::scan(&store, &scope, &mut report, |_, _| {})
        .await
        .unwrap();
    assert_eq!(read, 1);
    assert!(report.total.cost > 0.0);
    assert!(report.total.components["telephony"] > 0.0);

    // The admin API over the bucket: an upload is validated, stored with its description
    // and precompiled artifact, and its activation reaches new calls.
    let admin = sva_admin::client::AdminClient::new(&stack.url(), stack.operator_key());
    let uploaded = admin
        .upload("demo", sva_tests::minimal_module())
        .await
        .unwrap();
    let version = uploaded.version.info.version;
    let stored = store
        .list(&format!("tenants/demo/scenarios/{version}"))
        .await
        .unwrap();
    assert_eq!(stored.len(), 3, "module, description, artifact: {stored:?}");
    admin.activate("demo", &version).await.unwrap();
    let history = store.list("tenants/demo/history/").await.unwrap();
    assert!(history.len() >= 2, "{history:?}");
    assert_eq!(
        admin.scenarios("demo").await.unwrap().routing.active,
        Some(version)
    );
}
