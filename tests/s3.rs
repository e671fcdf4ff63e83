//! The product over S3: the local stack with its objects in a bucket of a real
//! S3-protocol server (s3s-fs, in process on loopback, signed requests), as it runs on
//! Yandex Object Storage in the cloud. Tenants, modules, call records and the CRM outbox
//! all go through `aws-sdk-s3`.

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use std::sync::Arc;
use sva_kit::config::{S3Config, S3Credentials, Secret};
use sva_kit::storage::{DynStore, S3Store};
use sva_local::LocalStack;

const ACCESS_KEY: &str = "AKIDSVAE2E";
const SECRET_KEY: &str = "sva-e2e-secret-key";
const BUCKET: &str = "sva-e2e";

#[tokio::test]
async fn a_call_over_s3_leaves_its_record_and_outbox_entry_in_the_bucket() {
    // The S3 server.
    let root = tempfile::tempdir().unwrap();
    let mut builder = S3ServiceBuilder::new(s3s_fs::FileSystem::new(root.path()).unwrap());
    builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let service = service.clone();
            tokio::spawn(async move {
                let _ = ConnBuilder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });

    let config = S3Config {
        bucket: BUCKET.into(),
        endpoint: Some(endpoint),
        region: "ru-central1".into(),
        force_path_style: true,
        credentials: Some(S3Credentials {
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: Secret::new(SECRET_KEY),
        }),
        conditional_put: true,
    };
    let s3 = S3Store::from_config(&config).await.unwrap();
    s3.client()
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let store: DynStore = Arc::new(s3);

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
    server.abort();
}
