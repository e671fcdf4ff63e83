//! Serving: a TCP listener whose connections can be cut from inside a handler (for
//! [`crate::Fault::DropAfterWrite`]) and are all cut when the server handle is dropped.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::{Portal, PortalError};

/// The kill switch of one connection.
#[derive(Debug, Default)]
pub(crate) struct Switch {
    killed: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Switch {
    /// Cuts the connection: every later read or write fails, and a pending one is woken.
    pub(crate) fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    fn park(&self, cx: &Context<'_>) {
        *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
    }
}

/// The connection a request came on (axum `ConnectInfo`).
#[derive(Clone, Debug)]
pub(crate) struct Conn(pub Arc<Switch>);

/// A TCP stream with a kill switch.
pub(crate) struct KillableStream {
    inner: TcpStream,
    switch: Arc<Switch>,
}

fn cut() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "cut by the sandbox portal",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.switch.killed() {
            return Poll::Ready(Err(cut()));
        }
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if poll.is_pending() {
            self.switch.park(cx);
            if self.switch.killed() {
                return Poll::Ready(Err(cut()));
            }
        }
        poll
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.switch.killed() {
            return Poll::Ready(Err(cut()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.switch.killed() {
            return Poll::Ready(Err(cut()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.switch.killed() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Every live connection of a server.
#[derive(Debug, Default)]
struct Registry {
    conns: Mutex<Vec<Weak<Switch>>>,
}

impl Registry {
    fn add(&self, switch: &Arc<Switch>) {
        let mut conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        conns.retain(|w| w.strong_count() > 0);
        conns.push(Arc::downgrade(switch));
    }

    fn kill_all(&self) {
        let conns = std::mem::take(&mut *self.conns.lock().unwrap_or_else(|e| e.into_inner()));
        for switch in conns.iter().filter_map(Weak::upgrade) {
            switch.kill();
        }
    }
}

/// The listener handed to `axum::serve`.
pub(crate) struct PortalListener {
    inner: TcpListener,
    registry: Arc<Registry>,
}

impl Listener for PortalListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (KillableStream, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    let switch = Arc::new(Switch::default());
                    self.registry.add(&switch);
                    return (
                        KillableStream {
                            inner: stream,
                            switch,
                        },
                        addr,
                    );
                }
                Err(e) => {
                    tracing::debug!(error = %e, "the sandbox portal could not accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl Connected<IncomingStream<'_, PortalListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, PortalListener>) -> Self {
        Conn(stream.io().switch.clone())
    }
}

/// A running server: dropping it stops accepting and cuts every connection.
pub(crate) struct Server {
    addr: SocketAddr,
    task: JoinHandle<()>,
    registry: Arc<Registry>,
}

impl Server {
    /// Binds `addr` and serves `portal` in a tokio task.
    pub(crate) async fn start(portal: Portal, addr: SocketAddr) -> Result<Server, PortalError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| PortalError::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| PortalError::Bind { addr, source })?;
        let registry = Arc::new(Registry::default());
        let listener = PortalListener {
            inner: listener,
            registry: registry.clone(),
        };
        let app = portal
            .router()
            .into_make_service_with_connect_info::<Conn>();
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "the sandbox portal stopped serving");
            }
        });
        Ok(Server {
            addr: bound,
            task,
            registry,
        })
    }

    /// The bound address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
        self.registry.kill_all();
    }
}
