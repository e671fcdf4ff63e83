//! The tenant's knowledge base answering the scenario's retrieve requests.

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use sva_abi::{Hit, HitSource, RetrieveRequest, TenantContext};
use sva_retrieval::{Answer, Embeddings, Found, Index, Synonyms, decide};
use sva_turn::{Knowledge, KnowledgeError, Retrieved};

/// Retrieval from a tenant-isolated [`Index`], with the question embedded for the dense
/// ranking when embeddings are configured.
#[derive(Clone)]
pub struct IndexKnowledge {
    index: Arc<dyn Index>,
    /// The embeddings client and how long embedding a question may take.
    embeddings: Option<(Arc<Embeddings>, Duration)>,
    /// Each tenant's passage count (for the answer bar) and when it was read: one
    /// search per lookup, not a search and a count.
    counts: Arc<Mutex<HashMap<String, (Instant, usize)>>>,
}

/// How long a tenant's passage count is trusted; an upload moves the bar a little at
/// most.
const COUNT_TTL: Duration = Duration::from_secs(60);

/// The longest a question's embedding may take, whatever the turn's deadline: the service
/// answers in well under it, and the search and the scenario need the rest.
pub const MAX_EMBEDDING_WAIT: Duration = Duration::from_millis(400);

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
            embeddings: None,
            counts: Arc::default(),
        }
    }

    /// The same, embedding each question with `embeddings`, when given (the index must
    /// hold dense vectors of their size), within a quarter of `turn_deadline`, at most
    /// [`MAX_EMBEDDING_WAIT`], tried once. A question that cannot be embedded in time is
    /// searched by BM25 alone: the caller still gets an answer, within the turn.
    pub fn with_embeddings(
        mut self,
        embeddings: Option<Arc<Embeddings>>,
        turn_deadline: Duration,
    ) -> Self {
        let budget = (turn_deadline / 4).min(MAX_EMBEDDING_WAIT);
        self.embeddings = embeddings.map(|e| (e, budget));
        self
    }

    async fn passages(&self, tenant: &str) -> Result<usize, KnowledgeError> {
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
            .await
            .map_err(|e| KnowledgeError(e.to_string()))?;
        // An empty knowledge base is asked again each time: its first upload must be
        // found at once, not a minute later.
        if count > 0
            && let Ok(mut counts) = self.counts.lock()
        {
            counts.insert(tenant.to_owned(), (Instant::now(), count));
        }
        Ok(count)
    }

    /// The question's embedding and its tokens; `None` without embeddings or when the
    /// service fails (logged).
    async fn embed(&self, tenant: &str, question: &str) -> (Option<Vec<f32>>, u64) {
        let Some((embeddings, budget)) = &self.embeddings else {
            return (None, 0);
        };
        match embeddings.question(question, *budget).await {
            Ok((vector, tokens)) => (Some(vector), tokens),
            Err(e) => {
                tracing::warn!(
                    tenant,
                    code = e.code(),
                    "the question is searched by BM25 alone: {e}"
                );
                (None, 0)
            }
        }
    }
}

impl IndexKnowledge {
    /// Searches with `synonyms` and decides what the caller hears ([`decide`]): nothing
    /// (a manager will tell), the one passage that answers, or — for a close call — the
    /// two passages with the same score, the sign the scenario asks the caller which one
    /// they mean by.
    async fn lookup(
        &self,
        tenant: &str,
        synonyms: &Synonyms,
        request: &RetrieveRequest,
    ) -> Result<Retrieved, KnowledgeError> {
        let limit = request.top_k.clamp(1, 10) as usize;
        // A tenant with no passages has nothing to find: no embedding paid for.
        let passages = self.passages(tenant).await?;
        if passages == 0 {
            return Ok(Retrieved::default());
        }
        let (vector, embedding_tokens) = self.embed(tenant, &request.query).await;
        // Twice the passages asked for: the fused ranking may put a passage that does not
        // clear the bar before one that does.
        let found = self
            .index
            .search_with(
                tenant,
                &request.query,
                synonyms,
                vector.as_deref(),
                limit * 2,
            )
            .await
            .map_err(|e| KnowledgeError(e.to_string()))?;
        let bar = sva_retrieval::answer_bar(passages);
        let dense_bar = self
            .embeddings
            .as_ref()
            .and_then(|(e, _)| e.answer_similarity());
        let hit = |f: Found| Hit {
            text: f.chunk.text,
            score: f.score,
            source: HitSource {
                document: f.chunk.source,
                heading: f.chunk.heading,
            },
        };
        let hits = match decide(&found, bar, dense_bar) {
            Answer::Decline => Vec::new(),
            Answer::Speak(first) => vec![hit(first)],
            Answer::Choose(first, other) => {
                let score = first.score;
                vec![
                    hit(first),
                    Hit {
                        score,
                        ..hit(other)
                    },
                ]
            }
        };
        Ok(Retrieved {
            hits,
            embedding_tokens,
        })
    }
}

#[async_trait]
impl Knowledge for IndexKnowledge {
    /// With the default synonym list.
    async fn retrieve(
        &self,
        tenant: &str,
        request: &RetrieveRequest,
    ) -> Result<Retrieved, KnowledgeError> {
        self.lookup(tenant, &Synonyms::russian_sales(), request)
            .await
    }

    /// With the tenant's synonym list: the default one and its own words
    /// (`settings.kb_synonyms`, [`Synonyms::from_settings`]); a malformed setting is
    /// logged and the default list used.
    async fn retrieve_for(
        &self,
        tenant: &TenantContext,
        request: &RetrieveRequest,
    ) -> Result<Retrieved, KnowledgeError> {
        let synonyms = Synonyms::from_settings(&tenant.settings).unwrap_or_else(|e| {
            tracing::warn!(tenant = %tenant.id, "the tenant's synonyms are ignored: {e}");
            Synonyms::russian_sales()
        });
        self.lookup(&tenant.id, &synonyms, request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sva_retrieval::{Chunk, Found, IndexError};

    /// A tenant's passages in memory, every one found with a high BM25 score; counts its
    /// searches.
    #[derive(Default)]
    struct Shelf {
        passages: Mutex<Vec<Chunk>>,
        searches: Mutex<usize>,
    }

    #[async_trait]
    impl Index for Shelf {
        async fn replace(
            &self,
            _: &str,
            _: &str,
            chunks: &[Chunk],
            _: &[Vec<f32>],
        ) -> Result<(), IndexError> {
            *self.passages.lock().unwrap() = chunks.to_vec();
            Ok(())
        }

        async fn search(
            &self,
            _: &str,
            _: &str,
            _: Option<&[f32]>,
            limit: usize,
        ) -> Result<Vec<Found>, IndexError> {
            *self.searches.lock().unwrap() += 1;
            let passages = self.passages.lock().unwrap();
            Ok(passages
                .iter()
                .take(limit)
                .map(|c| Found::sparse(c.clone(), 100.0))
                .collect())
        }

        /// The passages whose heading is a word of the question as rewritten with
        /// `synonyms`, all of the same score.
        async fn search_with(
            &self,
            _: &str,
            query: &str,
            synonyms: &Synonyms,
            _: Option<&[f32]>,
            limit: usize,
        ) -> Result<Vec<Found>, IndexError> {
            *self.searches.lock().unwrap() += 1;
            let question = sva_retrieval::query::for_search_with(query, synonyms);
            let passages = self.passages.lock().unwrap();
            Ok(passages
                .iter()
                .filter(|c| question.split(' ').any(|w| w == c.heading.to_lowercase()))
                .take(limit)
                .map(|c| Found::sparse(c.clone(), 100.0))
                .collect())
        }

        async fn count(&self, _: &str) -> Result<usize, IndexError> {
            Ok(self.passages.lock().unwrap().len())
        }
    }

    fn passage(heading: &str, position: u32) -> Chunk {
        Chunk {
            source: "kb.md".into(),
            heading: heading.into(),
            text: format!("{heading} {position}."),
            position,
        }
    }

    fn request(query: &str) -> RetrieveRequest {
        RetrieveRequest {
            id: "r1".into(),
            query: query.into(),
            top_k: 3,
        }
    }

    #[tokio::test]
    async fn a_tenants_own_synonyms_are_applied() {
        let shelf = Arc::new(Shelf::default());
        let chunks = [passage("принтер", 0), passage("доставка", 1)];
        shelf.replace("t", "kb.md", &chunks, &[]).await.unwrap();
        let knowledge = IndexKnowledge::new(shelf.clone());
        let question = request("какие этикетницы у вас есть");
        let mut tenant = TenantContext {
            id: "t".into(),
            company: "ТехноСклад".into(),
            product: "склад".into(),
            manager_phone: None,
            texts: Default::default(),
            settings: Default::default(),
        };
        let plain = knowledge.retrieve_for(&tenant, &question).await.unwrap();
        assert!(
            plain.hits.is_empty(),
            "the default list has no «этикетница»"
        );
        tenant.settings = serde_json::json!({
            "kb_synonyms": [{"words": ["этикетниц"], "means": "принтер"}]
        })
        .as_object()
        .cloned()
        .unwrap();
        let own = knowledge.retrieve_for(&tenant, &question).await.unwrap();
        assert_eq!(own.hits.len(), 1);
        assert_eq!(own.hits[0].source.heading, "принтер");
        // The default list is applied too: «привезёте» means delivery.
        let delivery = knowledge
            .retrieve_for(&tenant, &request("а привезёте"))
            .await
            .unwrap();
        assert_eq!(delivery.hits[0].source.heading, "доставка");
        // A malformed setting falls back to the default list, it does not fail the turn.
        tenant.settings = serde_json::json!({"kb_synonyms": "принтер"})
            .as_object()
            .cloned()
            .unwrap();
        let fallback = knowledge.retrieve_for(&tenant, &question).await.unwrap();
        assert!(fallback.hits.is_empty());
    }

    #[tokio::test]
    async fn one_answer_is_given_and_a_close_call_is_two_hits_of_one_score() {
        let shelf = Arc::new(Shelf::default());
        let knowledge = IndexKnowledge::new(shelf.clone());
        shelf
            .replace("t", "kb.md", &[passage("доставка", 0)], &[])
            .await
            .unwrap();
        let one = knowledge.retrieve("t", &request("доставка")).await.unwrap();
        assert_eq!(one.hits.len(), 1);
        let both = [passage("доставка", 0), passage("доставка", 1)];
        shelf.replace("t", "kb.md", &both, &[]).await.unwrap();
        let close = knowledge.retrieve("t", &request("доставка")).await.unwrap();
        assert_eq!(close.hits.len(), 2, "{close:?}");
        assert_eq!(close.hits[0].score, close.hits[1].score);
        assert_ne!(close.hits[0].text, close.hits[1].text);
    }

    #[tokio::test]
    async fn a_first_upload_is_found_at_once_and_an_empty_base_is_not_searched() {
        let shelf = Arc::new(Shelf::default());
        let knowledge = IndexKnowledge::new(shelf.clone());
        let request = RetrieveRequest {
            id: "r1".into(),
            query: "доставка".into(),
            top_k: 3,
        };
        assert!(
            knowledge
                .retrieve("t", &request)
                .await
                .unwrap()
                .hits
                .is_empty()
        );
        assert_eq!(*shelf.searches.lock().unwrap(), 0, "nothing to search");
        let passage = Chunk {
            source: "delivery.md".into(),
            heading: "Доставка".into(),
            text: "Доставка за 2 дня.".into(),
            position: 0,
        };
        shelf
            .replace("t", "delivery.md", &[passage], &[])
            .await
            .unwrap();
        let found = knowledge.retrieve("t", &request).await.unwrap();
        assert_eq!(
            found.hits.len(),
            1,
            "the new passage, without waiting for a cache"
        );
        assert_eq!(found.embedding_tokens, 0);
    }
}
