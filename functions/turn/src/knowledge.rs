//! Answers to a scenario's `retrieve` requests: a host capability a turn awaits.

use async_trait::async_trait;
use sva_abi::{Hit, RetrieveRequest, TenantContext};

/// A tenant's knowledge base, as the turn sees it.
///
/// Async, like every capability a turn calls: a network search waits without holding a
/// thread, and the turn's one deadline cancels it by dropping the future.
#[async_trait]
pub trait Knowledge: Send + Sync {
    /// The best passages for the request, best first (empty when nothing fits), and what
    /// finding them cost.
    async fn retrieve(
        &self,
        tenant: &str,
        request: &RetrieveRequest,
    ) -> Result<Retrieved, KnowledgeError>;

    /// [`Knowledge::retrieve`] with the tenant's settings at hand (the turn calls this):
    /// a knowledge base that reads them (its own synonym list, for one) overrides it; by
    /// default the tenant's id is all that is used.
    async fn retrieve_for(
        &self,
        tenant: &TenantContext,
        request: &RetrieveRequest,
    ) -> Result<Retrieved, KnowledgeError> {
        self.retrieve(&tenant.id, request).await
    }
}

/// What the knowledge base answered a request with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Retrieved {
    /// The passages, best first.
    pub hits: Vec<Hit>,
    /// Tokens spent embedding the question (billed per token; zero without embeddings).
    pub embedding_tokens: u64,
}

impl From<Vec<Hit>> for Retrieved {
    /// Passages that cost nothing to find.
    fn from(hits: Vec<Hit>) -> Retrieved {
        Retrieved {
            hits,
            embedding_tokens: 0,
        }
    }
}

/// The knowledge base could not answer; the turn goes on with no hits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("knowledge base unavailable: {0}")]
pub struct KnowledgeError(pub String);

/// A knowledge base with nothing in it: every request gets no hits.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoKnowledge;

#[async_trait]
impl Knowledge for NoKnowledge {
    async fn retrieve(&self, _: &str, _: &RetrieveRequest) -> Result<Retrieved, KnowledgeError> {
        Ok(Retrieved::default())
    }
}
