//! What the end-to-end tests share: a local stack on a free port over a temporary data
//! directory, and a phone to call it.

pub mod embedding_service;

use std::path::PathBuf;
use sva_caller::Phone;
use sva_local::{LocalOptions, LocalStack};

/// The default scenario module built by `make scenarios`.
pub fn scenario_module() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(sva_local::DEFAULT_SCENARIO);
    assert!(
        path.exists(),
        "{} is missing: run `make scenarios` (make test does)",
        path.display()
    );
    path
}

/// A running stack and its data directory.
pub struct Stack {
    /// The stack.
    pub stack: LocalStack,
    /// Its data directory.
    pub dir: tempfile::TempDir,
}

impl Stack {
    /// Starts the local stack on `127.0.0.1:0`.
    pub async fn start() -> Stack {
        Stack::start_with(|options| options).await
    }

    /// Starts the local stack with `adjust` applied to the tests' options.
    pub async fn start_with(adjust: impl FnOnce(LocalOptions) -> LocalOptions) -> Stack {
        Stack::start_in(tempfile::tempdir().expect("temp dir"), adjust).await
    }

    /// Starts the local stack over `dir`, which may hold an earlier stack's data (see
    /// [`Stack::stop`]), with `adjust` applied to the tests' options.
    pub async fn start_in(
        dir: tempfile::TempDir,
        adjust: impl FnOnce(LocalOptions) -> LocalOptions,
    ) -> Stack {
        let stack = LocalStack::start(adjust(options(&dir)))
            .await
            .expect("the local stack starts");
        Stack { stack, dir }
    }

    /// Stops the stack and keeps its data directory, for a restart with [`Stack::start_in`].
    pub fn stop(self) -> tempfile::TempDir {
        drop(self.stack);
        self.dir
    }

    /// Starts the local stack with the tenant cache off, so an activation reaches the
    /// very next call (the tests of the admin API need no waiting).
    pub async fn start_uncached() -> Stack {
        Stack::start_with(|options| LocalOptions {
            tenant_ttl: std::time::Duration::ZERO,
            ..options
        })
        .await
    }

    /// The admin API with the operator key.
    pub fn admin(&self) -> sva_admin::client::AdminClient {
        sva_admin::client::AdminClient::new(&self.stack.url(), self.stack.operator_key())
    }

    /// A phone for the demo tenant.
    pub fn phone(&self) -> Phone {
        Phone::new(
            &self.stack.url(),
            &self.stack.demo().id,
            self.stack.demo().secret.as_bytes(),
        )
    }

    /// Places an inbound call from +79161234567 to the demo tenant.
    pub async fn call(&self) -> sva_caller::Call {
        self.phone()
            .dial(sva_caller::inbound("+79161234567"))
            .await
            .expect("the call connects")
    }

    /// POSTs `body` signed now as the demo tenant; the status and the JSON answer.
    pub async fn post_signed(&self, path: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
        let demo = self.stack.demo();
        self.post_as(path, body, &demo.id, demo.secret.as_bytes(), now())
            .await
    }

    /// POSTs `body` with the tenant header `tenant`, signed with `secret` at `timestamp`.
    pub async fn post_as(
        &self,
        path: &str,
        body: Vec<u8>,
        tenant: &str,
        secret: &[u8],
        timestamp: u64,
    ) -> (u16, serde_json::Value) {
        let signature = sva_wire::signature::sign(secret, timestamp, &body);
        self.post_raw(path, body, tenant, &timestamp.to_string(), &signature)
            .await
    }

    /// POSTs `body` with exactly these signature headers.
    pub async fn post_raw(
        &self,
        path: &str,
        body: Vec<u8>,
        tenant: &str,
        timestamp: &str,
        signature: &str,
    ) -> (u16, serde_json::Value) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.stack.url()))
            .header("content-type", "application/json")
            .header("x-sva-tenant", tenant)
            .header("x-sva-timestamp", timestamp)
            .header("x-sva-signature", signature)
            .body(body)
            .send()
            .await
            .expect("the stack answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    /// A stored JSON object of the data directory.
    pub fn read(&self, key: &str) -> serde_json::Value {
        let text = std::fs::read_to_string(self.dir.path().join(key))
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        serde_json::from_str(&text).expect("stored JSON")
    }
}

/// Options for a stack over `dir` on a free port.
pub fn options(dir: &tempfile::TempDir) -> LocalOptions {
    LocalOptions {
        data_dir: dir.path().to_owned(),
        listen: ([127, 0, 0, 1], 0).into(),
        scenario: scenario_module(),
        // No background worker: a test that wants the CRM step sweeps the outbox.
        crm: sva_local::CrmOptions {
            sweep_every: None,
            ..sva_local::CrmOptions::default()
        },
        ..LocalOptions::default()
    }
}

/// What the assistant said in a turn, its phrases joined by spaces.
pub fn said(answer: &sva_wire::turn::TurnResponse) -> String {
    answer
        .actions
        .iter()
        .filter_map(|a| match a {
            sva_wire::turn::VoxAction::Say { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The status and code the admin API refused a request with.
pub fn refusal(
    result: Result<impl std::fmt::Debug, sva_admin::client::ClientError>,
) -> (u16, String) {
    let e = result.expect_err("the API refuses");
    (e.status().unwrap_or(0), e.code().unwrap_or("").to_owned())
}

/// Unix seconds now.
pub fn now() -> u64 {
    sva_kit::unix_now()
}

/// The minimal ABI v1 module (`scenarios/abi/minimal.wat`): greets with «Здравствуйте!
/// Это минимальный сценарий.» and hangs up.
pub fn minimal_module() -> Vec<u8> {
    wat::parse_str(include_str!("../scenarios/abi/minimal.wat")).expect("minimal.wat parses")
}

/// What the minimal module says.
pub const MINIMAL_GREETING: &str = "Это минимальный сценарий";

/// `wasm` with a custom section appended: the same behaviour, another version.
pub fn variant(wasm: &[u8], name: &str) -> Vec<u8> {
    let mut out = wasm.to_vec();
    let mut section = vec![name.len() as u8];
    section.extend_from_slice(name.as_bytes());
    out.push(0); // custom section id
    out.push(section.len() as u8);
    out.extend(section);
    out
}

/// One of the sandbox's hostile test modules (`functions/sandbox/tests/hostile/`).
pub fn hostile_module(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../functions/sandbox/tests/hostile/{name}.wat",
        env!("CARGO_MANIFEST_DIR")
    );
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
