//! One storage suite, run against every back end: `LocalDir` in a temporary directory,
//! `S3Store` against a real S3-protocol server (s3s-fs, in process on 127.0.0.1:0, with
//! signed requests and static credentials), and both wrapped in `Scoped`.

// Shared test helpers and suite functions are not #[test] functions: a panic there
// is the failure report too.
#![allow(clippy::unwrap_used)]

use std::any::Any;
use std::sync::Arc;

use bytes::Bytes;
use sva_kit::config::{S3Credentials, Secret};
use sva_kit::storage::test_server::{ACCESS_KEY, BUCKET, S3TestServer};
use sva_kit::storage::{DynStore, LocalDir, ObjectStore, S3Store, Scoped, StorageError};
/// Small pages, so that listing more than a handful of keys takes several requests.
const PAGE_SIZE: i32 = 5;

/// A store and whatever must live as long as it (temporary directories, the server).
struct Harness {
    store: DynStore,
    _guards: Vec<Box<dyn Any + Send>>,
}

fn local() -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    Harness {
        store: Arc::new(LocalDir::new(dir.path().join("data"))),
        _guards: vec![Box::new(dir)],
    }
}

/// A store over the bucket of a fresh in-process S3 server (`sva_kit::storage::
/// test_server`), in small pages.
async fn s3_store(conditional_put: bool) -> (S3Store, Vec<Box<dyn Any + Send>>) {
    let server = S3TestServer::start().await;
    let mut config = server.config();
    config.conditional_put = conditional_put;
    let store = S3Store::from_config(&config)
        .await
        .expect("s3 store")
        .with_page_size(PAGE_SIZE);
    (store, vec![Box::new(server)])
}

async fn s3() -> Harness {
    let (store, guards) = s3_store(true).await;
    Harness {
        store: Arc::new(store),
        _guards: guards,
    }
}

fn scoped(h: Harness) -> Harness {
    Harness {
        store: Arc::new(Scoped::new(h.store, "tenants/acme/").expect("scope")),
        _guards: h._guards,
    }
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

// --- The suite: every function runs against every back end. ---

async fn put_get_overwrite(store: &DynStore) {
    let key = "calls/acme/2026-05-01/c-1.json";
    assert_eq!(store.get(key).await.unwrap(), None);
    assert_eq!(store.head(key).await.unwrap(), None);
    assert!(!store.exists(key).await.unwrap());

    store.put(key, b(r#"{"v":1}"#)).await.unwrap();
    assert_eq!(store.get(key).await.unwrap(), Some(b(r#"{"v":1}"#)));
    assert_eq!(store.head(key).await.unwrap().unwrap().size, 7);
    assert!(store.exists(key).await.unwrap());

    store.put(key, b(r#"{"v":2,"more":true}"#)).await.unwrap();
    assert_eq!(
        store.get(key).await.unwrap(),
        Some(b(r#"{"v":2,"more":true}"#))
    );
    assert_eq!(store.head(key).await.unwrap().unwrap().size, 19);
}

async fn empty_and_binary_objects(store: &DynStore) {
    store.put("empty", Bytes::new()).await.unwrap();
    assert_eq!(store.get("empty").await.unwrap(), Some(Bytes::new()));
    assert_eq!(store.head("empty").await.unwrap().unwrap().size, 0);
    let binary: Bytes = (0..=255u8).cycle().take(70_000).collect::<Vec<_>>().into();
    store
        .put("scenarios/v1.wasm", binary.clone())
        .await
        .unwrap();
    assert_eq!(store.get("scenarios/v1.wasm").await.unwrap(), Some(binary));
}

async fn put_if_absent_creates_once(store: &DynStore) {
    let key = "outbox/crm/acme/c-1.json";
    assert!(store.put_if_absent(key, b("first")).await.unwrap());
    assert!(!store.put_if_absent(key, b("second")).await.unwrap());
    assert_eq!(store.get(key).await.unwrap(), Some(b("first")));
    store.delete(key).await.unwrap();
    assert!(store.put_if_absent(key, b("third")).await.unwrap());
    assert_eq!(store.get(key).await.unwrap(), Some(b("third")));
}

async fn delete_is_idempotent(store: &DynStore) {
    let key = "outbox/crm/acme/c-2.json";
    store.delete(key).await.unwrap();
    store.put(key, b("x")).await.unwrap();
    store.delete(key).await.unwrap();
    assert_eq!(store.get(key).await.unwrap(), None);
    store.delete(key).await.unwrap();
    store.delete("never/was/here.json").await.unwrap();
}

async fn list_by_prefix(store: &DynStore) {
    let keys = [
        "calls/acme/2026-05-01/a.json",
        "calls/acme/2026-05-01/b.json",
        "calls/acme/2026-05-02/c.json",
        "calls/acme/2026-06-01/d.json",
        "calls/beta/2026-05-01/e.json",
        "tenant.json",
    ];
    for key in keys.iter().rev() {
        store.put(key, b(key)).await.unwrap();
    }
    assert_eq!(store.list("").await.unwrap(), keys);
    assert_eq!(store.list("calls/").await.unwrap(), keys[..5]);
    assert_eq!(store.list("calls/acme/").await.unwrap(), keys[..4]);
    assert_eq!(store.list("calls/acme/2026-05").await.unwrap(), keys[..3]);
    assert_eq!(
        store.list("calls/acme/2026-05-01/").await.unwrap(),
        keys[..2]
    );
    assert_eq!(
        store.list("calls/acme/2026-05-01/a").await.unwrap(),
        keys[..1]
    );
    assert_eq!(
        store.list("calls/acme/2026-05-01/a.json").await.unwrap(),
        keys[..1]
    );
    assert_eq!(store.list("ten").await.unwrap(), keys[5..]);
    assert!(store.list("calls/gamma/").await.unwrap().is_empty());
    assert!(store.list("nothing").await.unwrap().is_empty());
}

async fn list_follows_all_pages(store: &DynStore) {
    // Several pages of PAGE_SIZE on S3; one walk on the local directory.
    let mut expected: Vec<String> = (0..23).map(|i| format!("many/k-{i:03}.json")).collect();
    for key in &expected {
        store.put(key, b(key)).await.unwrap();
    }
    store.put("other/x", b("x")).await.unwrap();
    expected.sort();
    assert_eq!(store.list("many/").await.unwrap(), expected);
    assert_eq!(store.list("").await.unwrap().len(), 24);
}

async fn cyrillic_keys(store: &DynStore) {
    let key = "kb/ромашка/прайс лист (2026).md";
    store.put(key, b("Цена: 1000 ₽")).await.unwrap();
    assert_eq!(store.get(key).await.unwrap(), Some(b("Цена: 1000 ₽")));
    assert_eq!(
        store.list("kb/ромашка/").await.unwrap(),
        vec![key.to_owned()]
    );
    assert_eq!(store.list("kb/ром").await.unwrap(), vec![key.to_owned()]);
    store.delete(key).await.unwrap();
    assert_eq!(store.get(key).await.unwrap(), None);
}

async fn invalid_keys_are_refused(store: &DynStore) {
    let decomposed = "kb/и\u{306}.md"; // not NFC
    for key in [
        "",
        "../escape.json",
        "a/../../escape.json",
        "/absolute.json",
        "a//b.json",
        "dir/",
        "a/./b",
        "a\\b",
        "line\nbreak",
        decomposed,
        "x/.sva-tmp-1",
    ] {
        let is_invalid = |r: Result<(), StorageError>| {
            assert!(
                matches!(r, Err(StorageError::InvalidKey { .. })),
                "{key:?}: {r:?}"
            );
        };
        is_invalid(store.put(key, b("x")).await);
        is_invalid(store.put_if_absent(key, b("x")).await.map(|_| ()));
        is_invalid(store.get(key).await.map(|_| ()));
        is_invalid(store.head(key).await.map(|_| ()));
        is_invalid(store.exists(key).await.map(|_| ()));
        is_invalid(store.delete(key).await);
    }
    for prefix in ["/", "../", "a//", "a/../b"] {
        assert!(
            matches!(
                store.list(prefix).await,
                Err(StorageError::InvalidKey { .. })
            ),
            "{prefix:?}"
        );
    }
    assert!(
        store.list("").await.unwrap().is_empty(),
        "nothing was written"
    );
}

macro_rules! suite {
    ($($test:ident),* $(,)?) => {
        mod local_dir {
            $( #[tokio::test] async fn $test() { super::$test(&super::local().store).await; } )*
        }
        mod s3 {
            $( #[tokio::test] async fn $test() { super::$test(&super::s3().await.store).await; } )*
        }
        mod scoped_local_dir {
            $( #[tokio::test] async fn $test() { super::$test(&super::scoped(super::local()).store).await; } )*
        }
        mod scoped_s3 {
            $( #[tokio::test] async fn $test() { super::$test(&super::scoped(super::s3().await).store).await; } )*
        }
    };
}

suite!(
    put_get_overwrite,
    empty_and_binary_objects,
    put_if_absent_creates_once,
    delete_is_idempotent,
    list_by_prefix,
    list_follows_all_pages,
    cyrillic_keys,
    invalid_keys_are_refused,
);

// --- Back-end specific behaviour. ---

#[tokio::test]
async fn s3_server_really_pages() {
    let (store, _guards) = s3_store(true).await;
    for i in 0..12 {
        store.put(&format!("p/{i:02}"), b("x")).await.unwrap();
    }
    let page = store
        .client()
        .list_objects_v2()
        .bucket(BUCKET)
        .max_keys(PAGE_SIZE)
        .send()
        .await
        .unwrap();
    assert_eq!(page.contents().len(), 5);
    assert_eq!(page.is_truncated(), Some(true));
    assert_eq!(store.list("p/").await.unwrap().len(), 12);
}

#[tokio::test]
async fn s3_head_then_put_fallback() {
    let (store, _guards) = s3_store(false).await;
    assert!(store.put_if_absent("a.json", b("1")).await.unwrap());
    assert!(!store.put_if_absent("a.json", b("2")).await.unwrap());
    assert_eq!(store.get("a.json").await.unwrap(), Some(b("1")));
}

#[tokio::test]
async fn s3_wrong_credentials_fail_cleanly() {
    let server = S3TestServer::start().await;
    let mut config = server.config();
    config.credentials = Some(S3Credentials {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: Secret::new("wrong"),
    });
    let store = S3Store::from_config(&config).await.unwrap();
    let err = store.get("a.json").await.unwrap_err();
    assert!(
        matches!(err, StorageError::Backend { op: "get", .. }),
        "{err}"
    );
    assert!(!err.to_string().contains("wrong"), "{err}");
}

#[tokio::test]
async fn scoped_stores_are_isolated() {
    let h = local();
    let acme = Scoped::under(h.store.clone(), "tenants", "acme").unwrap();
    let beta = Scoped::under(h.store.clone(), "tenants", "beta").unwrap();
    acme.put("tenant.json", b("acme")).await.unwrap();
    beta.put("tenant.json", b("beta")).await.unwrap();
    assert_eq!(acme.get("tenant.json").await.unwrap(), Some(b("acme")));
    assert_eq!(acme.list("").await.unwrap(), vec!["tenant.json".to_owned()]);
    assert_eq!(
        h.store.list("tenants/").await.unwrap(),
        vec!["tenants/acme/tenant.json", "tenants/beta/tenant.json"]
    );
    // Neither a key nor a tenant id can climb out.
    assert!(acme.get("../beta/tenant.json").await.is_err());
    assert!(acme.list("../").await.is_err());
    for id in ["..", "a/b", "", "../beta"] {
        assert!(
            Scoped::under(h.store.clone(), "tenants", id).is_err(),
            "{id:?}"
        );
    }
    assert!(Scoped::new(h.store.clone(), "../x").is_err());
    assert!(Scoped::new(h.store.clone(), "/abs").is_err());
}

#[tokio::test]
async fn local_dir_layout_is_plain_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalDir::new(dir.path());
    store
        .put("tenants/acme/tenant.json", b("{}"))
        .await
        .unwrap();
    assert!(
        store
            .put_if_absent("outbox/crm/acme/c.json", b("1"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .put_if_absent("outbox/crm/acme/c.json", b("2"))
            .await
            .unwrap()
    );
    let on_disk = std::fs::read_to_string(dir.path().join("tenants/acme/tenant.json")).unwrap();
    assert_eq!(on_disk, "{}");
    // No temporary file is left behind.
    for sub in ["tenants/acme", "outbox/crm/acme"] {
        let names: Vec<_> = std::fs::read_dir(dir.path().join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
    // Files dropped in by hand with names that are not valid keys are not listed.
    std::fs::write(dir.path().join("tenants/acme/.sva-tmp-9-9"), "junk").unwrap();
    assert_eq!(
        store.list("").await.unwrap(),
        vec!["outbox/crm/acme/c.json", "tenants/acme/tenant.json"]
    );
}

#[tokio::test]
async fn local_dir_reports_file_directory_clashes() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalDir::new(dir.path());
    store.put("a/b", b("file")).await.unwrap();
    let err = store.put("a/b/c", b("x")).await.unwrap_err();
    assert!(matches!(err, StorageError::KeyConflict { .. }), "{err}");
    store.put("d/e/f", b("x")).await.unwrap();
    let err = store.put("d/e", b("x")).await.unwrap_err();
    assert!(matches!(err, StorageError::KeyConflict { .. }), "{err}");
    let err = store.put_if_absent("d/e", b("x")).await.unwrap_err();
    assert!(matches!(err, StorageError::KeyConflict { .. }), "{err}");
    // Reading through or at a directory is simply "no object".
    assert_eq!(store.get("a/b/c").await.unwrap(), None);
    assert_eq!(store.get("d/e").await.unwrap(), None);
    assert_eq!(store.head("d/e").await.unwrap(), None);
    store.delete("d/e").await.unwrap();
    store.delete("a/b/c").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_dir_put_if_absent_has_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalDir::new(dir.path()));
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .put_if_absent("outbox/crm/acme/race.json", b(&format!("writer {i}")))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        if task.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    let body = store
        .get("outbox/crm/acme/race.json")
        .await
        .unwrap()
        .unwrap();
    assert!(body.starts_with(b"writer "));
}

#[tokio::test]
async fn open_builds_the_configured_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = sva_kit::storage::open(&sva_kit::config::StorageConfig::Local {
        root: dir.path().to_path_buf(),
    })
    .await
    .unwrap();
    store.put("x", b("1")).await.unwrap();
    assert!(dir.path().join("x").is_file());

    let server = S3TestServer::start().await;
    let store = sva_kit::storage::open(&sva_kit::config::StorageConfig::S3(server.config()))
        .await
        .unwrap();
    store.put("x", b("1")).await.unwrap();
    assert_eq!(store.get("x").await.unwrap(), Some(b("1")));
}
