//! A real S3-protocol server in process on loopback (s3s over a directory, signed
//! requests), with one bucket: what Yandex Object Storage is to the functions in the
//! cloud, for tests and benchmarks (feature `s3-test-server`). Never compiled into a
//! function binary.

use crate::config::{S3Config, S3Credentials, Secret};
use crate::storage::{DynStore, S3Store};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use std::sync::Arc;

/// The server's access key id.
pub const ACCESS_KEY: &str = "AKIDSVAE2E";
/// The server's secret access key.
pub const SECRET_KEY: &str = "sva-e2e-secret-key";
/// The bucket it holds.
pub const BUCKET: &str = "sva-e2e";

/// A running server with its bucket made, and a store over the bucket.
pub struct S3TestServer {
    /// `http://127.0.0.1:{port}`.
    pub endpoint: String,
    /// The bucket, through the same S3 back end the functions use.
    pub store: DynStore,
    _root: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for S3TestServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl S3TestServer {
    /// Starts a server on a free port and creates [`BUCKET`].
    pub async fn start() -> S3TestServer {
        let root = tempfile::tempdir().expect("a directory for the bucket");
        let mut builder = S3ServiceBuilder::new(
            s3s_fs::FileSystem::new(root.path()).expect("an s3s file system"),
        );
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let endpoint = format!("http://{}", listener.local_addr().expect("its address"));
        let server = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                // As any object store does: without it, a small answer waits for the
                // client's delayed ACK (Nagle), about 40 ms a request.
                let _ = socket.set_nodelay(true);
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = ConnBuilder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        let s3 = S3Store::from_config(&config(&endpoint))
            .await
            .expect("an S3 client");
        s3.client()
            .create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .expect("the bucket");
        S3TestServer {
            endpoint,
            store: Arc::new(s3),
            _root: root,
            server,
        }
    }

    /// The storage settings of a function using this server.
    pub fn config(&self) -> S3Config {
        config(&self.endpoint)
    }

    /// The same settings as a function reads them from its environment (`SVA_STORAGE`,
    /// `SVA_S3_*`: `functions/kit`'s configuration).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SVA_STORAGE", "s3".into()),
            ("SVA_S3_BUCKET", BUCKET.into()),
            ("SVA_S3_ENDPOINT", self.endpoint.clone()),
            ("SVA_S3_REGION", "ru-central1".into()),
            ("SVA_S3_FORCE_PATH_STYLE", "true".into()),
            ("SVA_S3_ACCESS_KEY_ID", ACCESS_KEY.into()),
            ("SVA_S3_SECRET_ACCESS_KEY", SECRET_KEY.into()),
        ]
    }
}

fn config(endpoint: &str) -> S3Config {
    S3Config {
        bucket: BUCKET.into(),
        endpoint: Some(endpoint.to_owned()),
        region: "ru-central1".into(),
        force_path_style: true,
        credentials: Some(S3Credentials {
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: Secret::new(SECRET_KEY),
        }),
        conditional_put: true,
    }
}
