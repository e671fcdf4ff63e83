//! Cold start of the dialog function: from the process's start to the first answered
//! `call_started`, with the tenant's module precompiled at upload and read from object
//! storage — a real S3-protocol server on loopback — as a new Serverless Container does
//! it. Each run is a fresh process with an empty artifact directory (nothing cached on
//! its disk), the release build of `sva-dialog`.
//!
//! ```text
//! cargo bench -p sva-dialog --bench cold_start            # 20 runs
//! SVA_BENCH_RUNS=50 cargo bench -p sva-dialog --bench cold_start
//! SVA_BENCH_LOG=sva_dialog=debug SVA_BENCH_RUNS=3 cargo bench -p sva-dialog --bench cold_start
//! ```
//!
//! (`SVA_BENCH_LOG` passes a log filter to the function and shows its log: where the first
//! turn's time goes.)
//!
//! Figures are in `docs/performance.md`; the target is 50 ms.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use sva_kit::storage::test_server::S3TestServer;
use sva_sandbox::{Sandbox, SandboxConfig};
use sva_tenants::{TenantSettings, TenantStore};

const SECRET: &str = "cold-start-signing-secret";

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let runs: usize = std::env::var("SVA_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let s3 = S3TestServer::start().await;
        let tenants = TenantStore::new(s3.store.clone());

        // The tenant, with the default scenario uploaded as the admin function uploads a
        // module: stored, precompiled for this engine, activated.
        let module = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/scenarios/sales_qualification.wasm");
        let wasm = std::fs::read(&module)
            .unwrap_or_else(|e| panic!("{}: {e} (run `make scenarios`)", module.display()));
        let sandbox = Arc::new(Sandbox::new(SandboxConfig::default()).expect("a sandbox"));
        let (_, artifact) = sandbox
            .validate_for_upload(&wasm)
            .expect("the default scenario validates");
        tenants
            .create(
                &TenantSettings::new("demo", "ТехноСклад", "склады"),
                "bench",
            )
            .await
            .unwrap();
        tenants.put_signing_secret("demo", SECRET).await.unwrap();
        let version = tenants.put_module("demo", &wasm).await.unwrap();
        tenants
            .put_artifact(
                "demo",
                &version,
                sandbox.compatibility_hash(),
                bytes::Bytes::from(artifact),
            )
            .await
            .unwrap();
        tenants
            .update_settings("demo", "bench", "activate", |s| {
                s.scenario.activate(&version);
                Ok::<_, sva_tenants::TenantStoreError>(())
            })
            .await
            .unwrap();

        // What one request to this S3 server costs, as the function makes them: the floor
        // under a cold start that reads its tenant and module from storage.
        let mut gets = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            s3.store.get("tenants/demo/tenant.json").await.unwrap();
            gets.push(t.elapsed());
        }
        gets.sort();
        let artifact_key =
            sva_tenants::artifact_key("demo", &version, sandbox.compatibility_hash());
        let t = Instant::now();
        let bytes = s3
            .store
            .get(&artifact_key)
            .await
            .unwrap()
            .unwrap_or_default();
        println!(
            "S3 on loopback: a small GET p50 {}; the artifact ({} KiB) {}",
            ms(percentile(&gets, 0.5)),
            bytes.len() / 1024,
            ms(t.elapsed())
        );

        let mut times = Vec::with_capacity(runs);
        let mut listening = Vec::with_capacity(runs);
        for run in 0..=runs {
            let artifacts = tempfile::tempdir().unwrap();
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .unwrap()
                .port();
            let url = format!("http://127.0.0.1:{port}");
            let phone = sva_caller::Phone::new(&url, "demo", SECRET.as_bytes());
            let started = Instant::now();
            let _running = Running(
                Command::new(env!("CARGO_BIN_EXE_sva-dialog"))
                    .env_clear()
                    .envs(s3.env())
                    .env("PORT", port.to_string())
                    .env("SVA_HOST", "127.0.0.1")
                    .env("SVA_TOKEN_KEY", "cold-start-token-key-of-forty-characters")
                    .env("SVA_ARTIFACT_DIR", artifacts.path())
                    .env(
                        "RUST_LOG",
                        std::env::var("SVA_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
                    )
                    .stdin(Stdio::null())
                    .stdout(match std::env::var_os("SVA_BENCH_LOG") {
                        Some(_) => Stdio::inherit(),
                        None => Stdio::null(),
                    })
                    .stderr(Stdio::inherit())
                    .spawn()
                    .expect("sva-dialog starts"),
            );
            // Until the port is open, a connection is refused at once.
            let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            while tokio::net::TcpStream::connect(address).await.is_err() {
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "sva-dialog did not come up"
                );
                tokio::time::sleep(Duration::from_micros(500)).await;
            }
            let open = started.elapsed();
            let answered = loop {
                match phone.dial(sva_caller::inbound("+79161234567")).await {
                    Ok(call) => break call,
                    Err(sva_caller::CallerError::Transport(e)) if e.is_connect() => {
                        assert!(
                            started.elapsed() < Duration::from_secs(30),
                            "sva-dialog did not come up"
                        );
                        tokio::time::sleep(Duration::from_micros(500)).await;
                    }
                    Err(e) => panic!("call_started: {e}"),
                }
            };
            let took = started.elapsed();
            assert!(answered.last().is_some_and(|a| !a.actions.is_empty()));
            // The first run also pages the binary in: reported, not counted.
            if run == 0 {
                println!("first run (binary not yet in the page cache): {}", ms(took));
            } else {
                times.push(took);
                listening.push(open);
            }
        }
        times.sort();
        listening.sort();
        println!(
            "of which listening (config, storage client, sandbox): p50 {}, p90 {}",
            ms(percentile(&listening, 0.5)),
            ms(percentile(&listening, 0.9)),
        );
        println!(
            "cold start to the first answered call_started, module from S3, {runs} runs: \
             p50 {}, p90 {}, min {}, max {}",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.9)),
            ms(times[0]),
            ms(times[times.len() - 1]),
        );
    });
}
