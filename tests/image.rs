//! The dialog function's container image, run the way a container runtime would run it:
//! its exported file system as the root, its entrypoint, its user and its environment
//! (from `podman image inspect`), its storage on S3 (a real S3-protocol server on
//! loopback). It must hold a signed Russian call with nothing but what the image carries:
//! the static binary, the CA certificates, a writable `/tmp`, the default scenario, the
//! language model's root certificate.
//!
//! `podman run` does not work in every sandbox, so the file system is exported and the
//! entrypoint runs under `chroot` as the image's user. Built and run by `make
//! test-image` (part of `make test`), which sets `SVA_IMAGE_DIR` to the directory holding
//! `exported.tar` and `image.json`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use sva_kit::storage::test_server::S3TestServer;
use sva_tenants::{TenantSettings, TenantStore};

const SECRET: &str = "image-test-signing-secret";

/// The process, killed when the test ends however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The image's entrypoint, user and environment, as the container runtime reads them.
struct ImageConfig {
    entrypoint: Vec<String>,
    user: String,
    env: Vec<(String, String)>,
}

fn image_config(dir: &Path) -> ImageConfig {
    let inspect: Value = serde_json::from_slice(
        &std::fs::read(dir.join("image.json")).expect("image.json (podman image inspect)"),
    )
    .expect("image.json is JSON");
    let config = &inspect[0]["Config"];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    ImageConfig {
        entrypoint: strings(&config["Entrypoint"]),
        user: config["User"].as_str().unwrap_or_default().to_owned(),
        env: strings(&config["Env"])
            .into_iter()
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                Some((k.to_owned(), v.to_owned()))
            })
            .collect(),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[tokio::test]
#[ignore = "needs the dialog function's exported image: run `make test-image`"]
async fn the_dialog_image_holds_a_signed_russian_call_over_s3() {
    let dir = PathBuf::from(
        std::env::var("SVA_IMAGE_DIR").expect("SVA_IMAGE_DIR is set by `make test-image`"),
    );
    let image = image_config(&dir);
    assert_eq!(image.user, "10001:10001", "a non-root user");
    assert_eq!(image.entrypoint, ["/usr/local/bin/sva-function"]);

    // Its file system, and nothing in it but what it needs.
    let rootfs = tempfile::tempdir().unwrap();
    let unpacked = Command::new("tar")
        .arg("-xf")
        .arg(dir.join("exported.tar"))
        .arg("-C")
        .arg(rootfs.path())
        .status()
        .expect("tar runs");
    assert!(unpacked.success(), "the exported image unpacks");
    let root = rootfs.path();
    for needed in [
        "usr/local/bin/sva-function",
        "etc/ssl/certs/ca-certificates.crt",
        "etc/passwd",
        "opt/sva/scenarios/sales_qualification.wasm",
        // `make test-image` builds with MODEL_CA (a test root): GigaChat's in a deployment.
        "opt/sva/ca/model.pem",
    ] {
        assert!(root.join(needed).is_file(), "{needed} is in the image");
    }
    for absent in ["bin/sh", "usr/bin", "lib"] {
        assert!(!root.join(absent).exists(), "{absent} is not in the image");
    }
    let binary = std::fs::read(root.join("usr/local/bin/sva-function")).unwrap();
    assert!(
        !binary.windows(b"ld-linux".len()).any(|w| w == b"ld-linux"),
        "a static binary: no dynamic loader named"
    );
    let tmp = std::fs::metadata(root.join("tmp")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&tmp.permissions()) & 0o7777,
        0o1777,
        "a /tmp anyone may write"
    );

    // Storage: the demo tenant on S3, with no module of its own — the image's default
    // scenario answers.
    let s3 = S3TestServer::start().await;
    let tenants = TenantStore::new(s3.store.clone());
    tenants
        .create(
            &TenantSettings::new("demo", "ТехноСклад", "системы учёта для складов"),
            "image test",
        )
        .await
        .unwrap();
    tenants.put_signing_secret("demo", SECRET).await.unwrap();

    // The entrypoint under chroot, as the image's user, with the image's environment and
    // the deployment's (what Serverless Containers and Lockbox give it).
    let port = free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut command = if is_root() {
        let mut c = Command::new("chroot");
        c.arg(format!("--userspec={}", image.user));
        c
    } else {
        // Without root, a user namespace where we are root (the user cannot be changed).
        let mut c = Command::new("unshare");
        c.args(["--user", "--map-root-user", "chroot"]);
        c
    };
    command
        .arg(root)
        .args(&image.entrypoint)
        .env_clear()
        .envs(image.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .envs(s3.env())
        .env("PORT", port.to_string())
        .env("SVA_HOST", "127.0.0.1")
        .env("SVA_TOKEN_KEY", "image-test-token-key-of-forty-characters")
        .env("SVA_TURN_DEADLINE_MS", "3000")
        // GigaChat as Terraform configures it: the key from Lockbox, the root certificate
        // the image carries. A file the image lacks or cannot parse stops the function.
        .env("SVA_LLM_GIGACHAT_KEY", "aW1hZ2UtdGVzdDprZXk=")
        .env("SVA_LLM_CA_FILE", "/opt/sva/ca/model.pem")
        .stdin(Stdio::null())
        .stdout(log.reopen().unwrap())
        .stderr(log.reopen().unwrap());
    let _running = Running(command.spawn().expect("chroot starts"));
    let logged = || std::fs::read_to_string(log.path()).unwrap_or_default();

    // Up within a few seconds (a debug build; the cold start of a release build is in
    // docs/performance.md).
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let health = client.get(format!("{url}/healthz")).send().await;
        if health.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the function did not come up:\n{}",
            logged()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Up means the model's client was made: a certificate file the image lacked or
    // could not parse would have stopped the function at start.
    assert!(
        logged().contains("gigachat"),
        "GigaChat is configured:\n{}",
        logged()
    );

    // A signed Russian call, as VoxEngine places it.
    let phone = sva_caller::Phone::new(&url, "demo", SECRET.as_bytes());
    let mut call = phone
        .dial(sva_caller::inbound("+79161234567"))
        .await
        .unwrap_or_else(|e| panic!("call_started: {e}\n{}", logged()));
    let greeting = sva_tests::said(call.last().expect("an answer"));
    assert!(greeting.contains("ТехноСклад"), "{greeting}");
    call.say("нам нужна система учёта для склада")
        .await
        .unwrap();
    call.say("бюджет где-то полтора миллиона").await.unwrap();
    let ended = call.hang_up("caller_hangup").await.unwrap();
    assert!(ended.created);

    // The record is in the bucket, made by the image's own default scenario.
    let record = s3
        .store
        .get(&ended.record)
        .await
        .unwrap()
        .expect("the call record is in the bucket");
    let record = sva_wire::CallRecord::from_json(&record).unwrap();
    let shipped = std::fs::read(root.join("opt/sva/scenarios/sales_qualification.wasm")).unwrap();
    assert_eq!(
        record.scenario_version,
        sva_tenants::module_version(&shipped)
    );
    assert_eq!(record.budget(), Some((1_500_000.0, "RUB".to_owned())));
    assert!(
        logged().contains("call ended"),
        "JSON logs on stdout:\n{}",
        logged()
    );
}
