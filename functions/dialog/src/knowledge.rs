//! The tenant's knowledge base answering the scenario's retrieve requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use sva_abi::{Hit, HitSource, RetrieveRequest};
use sva_retrieval::Index;
use sva_turn::{Knowledge, KnowledgeError};

/// Retrieval from a tenant-isolated [`Index`].
#[derive(Clone)]
pub struct IndexKnowledge {
    index: Arc<dyn Index>,
    /// Each tenant's passage count (for the answer bar) and when it was read: one
    /// search per lookup, not a search and a count.
    counts: Arc<Mutex<HashMap<String, (Instant, usize)>>>,
}

/// How long a tenant's passage count is trusted; an upload moves the bar a little at
/// most.
const COUNT_TTL: Duration = Duration::from_secs(60);

impl std::fmt::Debug for IndexKnowledge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexKnowledge").finish_non_exhaustive()
    }
}

impl IndexKnowledge {
    /// Answers from `index`, keeping the passages that clear the tenant's answer bar
    /// ([`sva_retrieval::answer_bar`]).
    pub fn new(index: Arc<dyn Index>) -> IndexKnowledge {
        IndexKnowledge {
            index,
            counts: Arc::default(),
        }
    }

    fn passages(&self, tenant: &str) -> Result<usize, KnowledgeError> {
        let cached = self
            .counts
            .lock()
            .ok()
            .and_then(|c| c.get(tenant).copied())
            .filter(|(at, _)| at.elapsed() < COUNT_TTL);
        if let Some((_, count)) = cached {
            return Ok(count);
        }
        let count = self
            .index
            .count(tenant)
            .map_err(|e| KnowledgeError(e.to_string()))?;
        if let Ok(mut counts) = self.counts.lock() {
            counts.insert(tenant.to_owned(), (Instant::now(), count));
        }
        Ok(count)
    }
}

impl Knowledge for IndexKnowledge {
    fn retrieve(
        &self,
        tenant: &str,
        request: &RetrieveRequest,
    ) -> Result<Vec<Hit>, KnowledgeError> {
        let limit = request.top_k.clamp(1, 10) as usize;
        let found = self
            .index
            .search(tenant, &request.query, limit)
            .map_err(|e| KnowledgeError(e.to_string()))?;
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let bar = sva_retrieval::answer_bar(self.passages(tenant)?);
        Ok(found
            .into_iter()
            .filter(|f| f.score >= bar)
            .map(|f| Hit {
                text: f.chunk.text,
                score: f.score,
                source: HitSource {
                    document: f.chunk.source,
                    heading: f.chunk.heading,
                },
            })
            .collect())
    }

    fn may_block(&self) -> bool {
        self.index.may_block()
    }
}
