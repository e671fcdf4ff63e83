//! Serving one axum [`Router`] in the cloud or locally.
//!
//! A function binary builds its router and calls [`serve`], which adds the standard
//! layers ([`app`]) and picks the adapter chosen by [`Adapter::from_env`]:
//! `AWS_LAMBDA_RUNTIME_API` set → the Lambda runtime loop (`lambda_http`); otherwise an
//! HTTP server on `$PORT` (Yandex Serverless Containers, local) that shuts down
//! gracefully on SIGTERM or Ctrl-C, letting requests in flight finish.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use axum::{Router, routing::get};
//! let config = sva_kit::Config::from_env()?;
//! sva_kit::logging::init(config.log_format)?;
//! let router = Router::new().route("/v1/ping", get(|| async { "pong" }));
//! sva_kit::serve(router, &config.serve_config()).await?;
//! # Ok(()) }
//! ```

mod app;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Router;
use tokio::net::TcpListener;

pub use app::{HEALTHZ_PATH, REQUEST_ID_HEADER, app, healthz};

/// The default HTTP port.
pub const DEFAULT_PORT: u16 = 8080;

/// The default request body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The variable whose presence selects the Lambda runtime loop.
pub const LAMBDA_RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";

/// Variables the Lambda runtime needs besides [`LAMBDA_RUNTIME_API`] (it panics
/// without them, so [`Adapter::from_env`] checks them first).
pub const LAMBDA_REQUIRED_VARS: [&str; 3] = [
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// How the router is served.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Adapter {
    /// An HTTP/1.1 server on a TCP port (Yandex Serverless Containers, local).
    #[default]
    Http,
    /// The AWS Lambda runtime API loop (AWS Lambda or any platform with that API).
    Lambda,
}

impl Adapter {
    /// Picks the adapter from the environment, read through `lookup`:
    /// [`Adapter::Lambda`] when `AWS_LAMBDA_RUNTIME_API` is set (non-empty), and then
    /// the function name, memory size and version must be set too; otherwise
    /// [`Adapter::Http`].
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, MissingLambdaVar> {
        let set = |name: &str| lookup(name).is_some_and(|v| !v.trim().is_empty());
        if !set(LAMBDA_RUNTIME_API) {
            return Ok(Self::Http);
        }
        for name in LAMBDA_REQUIRED_VARS {
            if !set(name) {
                return Err(MissingLambdaVar(name));
            }
        }
        Ok(Self::Lambda)
    }
}

/// A variable the Lambda runtime needs is missing although `AWS_LAMBDA_RUNTIME_API` is
/// set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is required: the Lambda runtime needs it when AWS_LAMBDA_RUNTIME_API is set")]
pub struct MissingLambdaVar(pub &'static str);

/// The serving settings (see [`Config::serve_config`](crate::Config::serve_config)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeConfig {
    /// HTTP server or Lambda loop.
    pub adapter: Adapter,
    /// The HTTP listen address.
    pub host: IpAddr,
    /// The HTTP listen port.
    pub port: u16,
    /// The default request body limit in bytes (a route can raise its own with
    /// `axum::extract::DefaultBodyLimit`).
    pub body_limit: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            adapter: Adapter::Http,
            host: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: DEFAULT_PORT,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }
}

/// Why serving stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The HTTP server failed.
    #[error("HTTP server error: {0}")]
    Io(#[from] std::io::Error),
    /// The Lambda runtime loop failed.
    #[error("Lambda runtime error: {0}")]
    Lambda(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The Lambda adapter was selected but the crate was built without the `lambda`
    /// feature.
    #[error("AWS_LAMBDA_RUNTIME_API is set but this binary was built without the `lambda` feature")]
    LambdaNotBuilt,
}

/// Serves `router` with the standard layers ([`app`]) through the configured adapter,
/// until SIGTERM/Ctrl-C (HTTP) or forever (Lambda).
pub async fn serve(router: Router, config: &ServeConfig) -> Result<(), ServeError> {
    let router = app(router, config);
    match config.adapter {
        Adapter::Http => {
            let addr = SocketAddr::new(config.host, config.port);
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| ServeError::Bind { addr, source })?;
            tracing::info!(%addr, "listening");
            serve_on(listener, router).await
        }
        Adapter::Lambda => run_lambda(router).await,
    }
}

#[cfg(feature = "lambda")]
async fn run_lambda(router: Router) -> Result<(), ServeError> {
    tracing::info!("serving through the Lambda runtime API");
    lambda_http::run(router).await.map_err(ServeError::Lambda)
}

#[cfg(not(feature = "lambda"))]
async fn run_lambda(_router: Router) -> Result<(), ServeError> {
    Err(ServeError::LambdaNotBuilt)
}

/// Serves `router` as it is (add the standard layers with [`app`]) on an already bound
/// listener, until SIGTERM or Ctrl-C. Tests bind `127.0.0.1:0` and read the port.
pub async fn serve_on(listener: TcpListener, router: Router) -> Result<(), ServeError> {
    serve_on_until(listener, router, shutdown_signal()).await
}

/// Like [`serve_on`], but stops (gracefully: requests in flight finish) when
/// `shutdown` completes.
pub async fn serve_on_until(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    // Answers go out at once, not after the client's delayed ACK (Nagle): a turn's
    // answer must not wait 40 ms on a small last segment.
    let listener =
        axum::serve::ListenerExt::tap_io(listener, |stream: &mut tokio::net::TcpStream| {
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!("cannot set TCP_NODELAY on a connection: {e}");
            }
        });
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Completes on Ctrl-C or (on Unix) SIGTERM, the signal Yandex Serverless Containers
/// and most orchestrators send before stopping a container.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn http_without_the_runtime_api() {
        assert_eq!(Adapter::from_env(env(&[])).unwrap(), Adapter::Http);
        assert_eq!(
            Adapter::from_env(env(&[("AWS_LAMBDA_RUNTIME_API", " ")])).unwrap(),
            Adapter::Http
        );
        assert_eq!(
            Adapter::from_env(env(&[("PORT", "8080")])).unwrap(),
            Adapter::Http
        );
    }

    #[test]
    fn lambda_with_the_runtime_api() {
        let adapter = Adapter::from_env(env(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("AWS_LAMBDA_FUNCTION_NAME", "dialog"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ]))
        .unwrap();
        assert_eq!(adapter, Adapter::Lambda);
    }

    #[test]
    fn lambda_without_its_variables_is_an_error_not_a_panic() {
        let err = Adapter::from_env(env(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("AWS_LAMBDA_FUNCTION_NAME", "dialog"),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().contains("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
            "{err}"
        );
    }
}
