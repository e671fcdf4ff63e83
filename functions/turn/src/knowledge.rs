//! Answers to a scenario's `retrieve` requests.

use sva_abi::{Hit, RetrieveRequest};

/// A tenant's knowledge base, as the turn sees it.
pub trait Knowledge {
    /// The best passages for the request, best first (empty when nothing fits), and what
    /// finding them cost.
    fn retrieve(
        &self,
        tenant: &str,
        request: &RetrieveRequest,
    ) -> Result<Retrieved, KnowledgeError>;

    /// Whether `retrieve` may wait on I/O (a network search). In-process knowledge
    /// returns `false`, which lets a turn run in place.
    fn may_block(&self) -> bool {
        true
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

impl Knowledge for NoKnowledge {
    fn retrieve(&self, _: &str, _: &RetrieveRequest) -> Result<Retrieved, KnowledgeError> {
        Ok(Retrieved::default())
    }

    fn may_block(&self) -> bool {
        false
    }
}

impl<K: Knowledge + ?Sized> Knowledge for &K {
    fn retrieve(
        &self,
        tenant: &str,
        request: &RetrieveRequest,
    ) -> Result<Retrieved, KnowledgeError> {
        (**self).retrieve(tenant, request)
    }

    fn may_block(&self) -> bool {
        (**self).may_block()
    }
}
