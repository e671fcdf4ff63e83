//! Blocking calls over async clients: a small tokio runtime of the client's own.
//!
//! The [`crate::Index`] trait and the embeddings client are synchronous (the dialog's turn
//! calls them from tokio's blocking pool, the CLI from plain threads), while the Qdrant and
//! HTTP clients are async. A [`Bridge`] owns a one-thread runtime, spawns each operation
//! onto it and waits on a channel with a budget, so it may be called from anywhere —
//! including, without panicking though it blocks that worker, from inside an async task.
//! The clients' connections live on that one runtime, whoever calls.

use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

/// Extra time a caller waits beyond an operation's own deadlines before giving up on the
/// runtime itself (it should never be needed: each request has its deadline).
pub(crate) const GRACE: Duration = Duration::from_secs(1);

/// Why a bridged operation gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// The bridge is being dropped.
    ShutDown,
    /// No answer within the budget (plus [`GRACE`]); the operation was cancelled.
    TimedOut,
    /// The operation ended without answering (it panicked).
    Lost,
}

/// A one-thread runtime that blocking callers hand async operations to.
pub(crate) struct Bridge {
    /// `None` only while being dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // Dropping a runtime waits for its threads, which panics inside an async context:
        // let it wind down in the background instead.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Bridge {
    /// A bridge whose thread is called `name`.
    pub(crate) fn new(name: &str) -> std::io::Result<Bridge> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(name)
            .enable_all()
            .build()?;
        Ok(Bridge {
            runtime: Some(runtime),
        })
    }

    /// Runs `operation` on the bridge's runtime and waits for it, at most `budget` plus
    /// [`GRACE`] (the operation is expected to enforce its own deadlines).
    pub(crate) fn run<T: Send + 'static>(
        &self,
        budget: Duration,
        operation: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, Stopped> {
        let runtime = self.runtime.as_ref().ok_or(Stopped::ShutDown)?;
        let (done, answer) = mpsc::sync_channel(1);
        let task = runtime.spawn(async move {
            // The caller may have given up: nobody to tell, then.
            let _ = done.send(operation.await);
        });
        match answer.recv_timeout(budget.saturating_add(GRACE)) {
            Ok(result) => Ok(result),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                task.abort();
                Err(Stopped::TimedOut)
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(Stopped::Lost),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_from_a_plain_thread_and_from_inside_a_runtime() {
        let bridge = Bridge::new("sva-test").unwrap();
        assert_eq!(bridge.run(Duration::from_secs(1), async { 7 }), Ok(7));
        let outer = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let answer = outer.block_on(async { bridge.run(Duration::from_secs(1), async { 8 }) });
        assert_eq!(answer, Ok(8));
        // Dropped inside an async context: must not panic.
        outer.block_on(async move { drop(bridge) });
    }

    #[test]
    fn an_operation_past_its_budget_is_cancelled() {
        let bridge = Bridge::new("sva-test").unwrap();
        let slow = bridge.run(Duration::ZERO, async {
            tokio::time::sleep(GRACE * 3).await;
        });
        assert_eq!(slow, Err(Stopped::TimedOut));
        let lost = bridge.run(Duration::from_secs(1), async {
            panic!("the operation fails");
        });
        assert_eq!(lost, Err::<(), _>(Stopped::Lost));
    }
}
