//! The search index behind the knowledge base: one trait, two Qdrant back ends.
//!
//! Both keep each tenant apart (see `docs/knowledge-base.md`): the in-process engine has a
//! shard per tenant, the server one collection per tenant. Both score passages with
//! Qdrant's BM25 over Russian stems with the IDF modifier — computed here for the
//! in-process engine, by the server's own inference for the server — and, when dense
//! embeddings are configured, fuse BM25 with the dense ranking by reciprocal rank.

use crate::chunk::Chunk;

/// How many of the question's rarer words a passage must match, in effect, to be
/// spoken as the answer. Below it a passage shares a word or so with the question but
/// does not answer it, and the caller is better told that a manager will follow up (a
/// wrong answer read aloud costs more than a promise to call back). Chosen on the demo
/// evaluation set, where it keeps every unanswerable question silent
/// (`docs/performance.md`).
pub const ANSWER_TERMS: f32 = 1.7;

/// The lowest score that counts as an answer in a knowledge base of `passages`.
///
/// BM25 scores grow with the size of the collection (a word found in one passage of
/// two says less than one found in one of a hundred: its IDF is lower), so a fixed
/// bar would silence a small knowledge base. The bar is [`ANSWER_TERMS`] times the IDF
/// of a word that occurs in one passage.
pub fn answer_bar(passages: usize) -> f32 {
    let n = passages.max(1) as f32;
    ANSWER_TERMS * (1.0 + (n - 0.5) / 1.5).ln()
}

/// A passage found for a question.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The passage.
    pub chunk: Chunk,
    /// Relevance, higher is better: the BM25 score, or the fused rank score
    /// ([`fuse`]) when dense vectors take part. Comparable only within one result list.
    pub score: f32,
    /// The BM25 score, when the passage was among the sparse ranking's best.
    pub sparse: Option<f32>,
    /// The cosine similarity to the question, when the passage was among the dense
    /// ranking's best.
    pub dense: Option<f32>,
}

impl Found {
    /// A passage found by BM25 alone.
    pub fn sparse(chunk: Chunk, score: f32) -> Found {
        Found {
            chunk,
            score,
            sparse: Some(score),
            dense: None,
        }
    }

    /// Whether the passage is good enough to be spoken as an answer: its BM25 score
    /// reaches `bar` ([`answer_bar`]), or its similarity to the question reaches
    /// `dense_bar` (when the operator has set one; see [`fuse`]).
    pub fn answers(&self, bar: f32, dense_bar: Option<f32>) -> bool {
        self.sparse.is_some_and(|s| s >= bar)
            || dense_bar.is_some_and(|b| self.dense.is_some_and(|d| d >= b))
    }
}

/// Reciprocal-rank fusion's constant: a passage at rank `r` (from 1) of a ranking adds
/// `1 / (RRF_K + r)`. 60 is the value of the method's paper (Cormack et al., 2009),
/// which damps the head of each ranking so that agreement between them wins.
pub const RRF_K: f32 = 60.0;

/// Merges the BM25 ranking and the dense ranking of one question by reciprocal rank,
/// best first, at most `limit`; each passage keeps both of its scores.
///
/// Ranks, not scores, are fused because BM25 scores and cosine similarities are on
/// unrelated scales. Whether the best passage is spoken is still decided by its own
/// scores ([`Found::answers`]): the fused score says which passage is best, not whether
/// it is good enough.
pub fn fuse(sparse: Vec<Found>, dense: Vec<Found>, limit: usize) -> Vec<Found> {
    fuse_all(
        vec![(sparse, Ranking::Bm25), (dense, Ranking::Dense)],
        limit,
    )
}

/// Which ranking a list of passages is, for [`fuse_all`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ranking {
    /// BM25 over stems: its scores are kept as [`Found::sparse`].
    Bm25,
    /// Character n-grams ([`crate::rank`]): only the rank counts.
    Ngram,
    /// Dense vectors: their similarities are kept as [`Found::dense`].
    Dense,
}

/// Merges rankings of one question by reciprocal rank (see [`fuse`]), best first, at most
/// `limit`; each passage keeps its BM25 score and its similarity.
pub fn fuse_all(rankings: Vec<(Vec<Found>, Ranking)>, limit: usize) -> Vec<Found> {
    let mut fused: Vec<Found> = Vec::new();
    for (mut ranking, kind) in rankings {
        // Equal scores (to a thousandth: engines sum in orders of their own) share a rank,
        // the first of them, and the order among them is the passages' own: engines return
        // ties in an order of their own, and both back ends must fuse alike.
        ranking.sort_by(|a, b| {
            level(b)
                .total_cmp(&level(a))
                .then_with(|| place(a).cmp(&place(b)))
        });
        let mut rank = 0;
        for (at, found) in ranking.iter().enumerate() {
            if at == 0 || level(found) != level(&ranking[at - 1]) {
                rank = at;
            }
            let share = 1.0 / (RRF_K + rank as f32 + 1.0);
            let same = fused.iter_mut().find(|f| place(f) == place(found));
            let entry = match same {
                Some(entry) => entry,
                None => {
                    fused.push(Found {
                        score: 0.0,
                        sparse: None,
                        dense: None,
                        chunk: found.chunk.clone(),
                    });
                    fused.last_mut().expect("just pushed")
                }
            };
            entry.score += share;
            match kind {
                Ranking::Bm25 => entry.sparse = Some(found.score),
                Ranking::Dense => entry.dense = Some(found.score),
                Ranking::Ngram => {}
            }
        }
    }
    // Ties (a passage first in one ranking, another first in the other) go to BM25's,
    // whose words the caller actually said.
    fused.sort_by(by_score);
    fused.truncate(limit);
    fused
}

/// A score to a thousandth: equal levels are ties (engines sum in orders of their own).
pub(crate) fn level(found: &Found) -> f32 {
    (found.score * 1000.0).round()
}

/// A passage's place: its source and position.
fn place(found: &Found) -> (&str, u32) {
    (found.chunk.source.as_str(), found.chunk.position)
}

/// Best first: by score, then by BM25 score, then by place (so that the order is the same
/// whichever engine returned the passages).
pub(crate) fn by_score(a: &Found, b: &Found) -> std::cmp::Ordering {
    b.score
        .total_cmp(&a.score)
        .then(b.sparse.unwrap_or(0.0).total_cmp(&a.sparse.unwrap_or(0.0)))
        .then_with(|| place(a).cmp(&place(b)))
}

/// Why the index could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// The tenant id cannot name a shard or a collection.
    #[error("tenant id {0:?} is not valid for the knowledge base")]
    BadTenant(String),
    /// The engine failed or is out of reach.
    #[error("knowledge index unavailable: {0}")]
    Unavailable(String),
    /// The engine answered with something this code cannot read.
    #[error("knowledge index answered unexpectedly: {0}")]
    Unexpected(String),
}

impl IndexError {
    /// A machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            IndexError::BadTenant(_) => "bad_tenant",
            IndexError::Unavailable(_) => "index_unavailable",
            IndexError::Unexpected(_) => "index_unexpected",
        }
    }
}

/// A tenant-isolated passage index.
///
/// Async: the server back end waits on the network without holding a thread, and a
/// caller's deadline cancels a request by dropping its future. The in-process engine
/// searches in place (a search is well under a millisecond) and writes on the blocking
/// pool.
#[async_trait::async_trait]
pub trait Index: Send + Sync {
    /// Makes `chunks` the only passages of `source` for `tenant`: they are written over
    /// the source's earlier passages (a passage's id is [`point_id`] of its source and
    /// position), then the earlier ones past `chunks.len()` go — so a search during the
    /// replacement never finds the source empty. An empty `chunks` removes the source.
    /// `dense` is empty, or holds each chunk's embedding in order (an index built with
    /// dense vectors needs them).
    async fn replace(
        &self,
        tenant: &str,
        source: &str,
        chunks: &[Chunk],
        dense: &[Vec<f32>],
    ) -> Result<(), IndexError>;

    /// The best passages of `tenant` for `query`, best first, at most `limit`: by BM25,
    /// fused ([`fuse`]) with the nearest passages to `dense` (the question's embedding)
    /// when given.
    async fn search(
        &self,
        tenant: &str,
        query: &str,
        dense: Option<&[f32]>,
        limit: usize,
    ) -> Result<Vec<Found>, IndexError>;

    /// [`Index::search`] with the tenant's own synonym list instead of the default one
    /// ([`crate::query::Synonyms`]). Both Qdrant back ends apply it; an index that
    /// rewrites no questions (a test's) searches as [`Index::search`] does.
    async fn search_with(
        &self,
        tenant: &str,
        query: &str,
        synonyms: &crate::query::Synonyms,
        dense: Option<&[f32]>,
        limit: usize,
    ) -> Result<Vec<Found>, IndexError> {
        let _ = synonyms;
        self.search(tenant, query, dense, limit).await
    }

    /// How many passages `tenant` has.
    async fn count(&self, tenant: &str) -> Result<usize, IndexError>;
}

/// Checks that a tenant id is safe as a directory or collection name: `a-z`, `0-9`, `-`,
/// 1–63 characters (the tenants' own rule).
pub fn check_tenant(tenant: &str) -> Result<(), IndexError> {
    let ok = !tenant.is_empty()
        && tenant.len() <= 63
        && tenant
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !tenant.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(IndexError::BadTenant(tenant.to_owned()))
    }
}

/// A stable point id for a passage: the same source and position give the same id, so a
/// repeated upsert overwrites instead of duplicating.
pub fn point_id(source: &str, position: u32) -> u64 {
    // FNV-1a, 64-bit: stable across builds and platforms, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in source.bytes().chain([0]).chain(position.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The payload a passage is stored with, on both back ends.
pub mod payload {
    /// The source's name.
    pub const SOURCE: &str = "source";
    /// The heading path.
    pub const HEADING: &str = "heading";
    /// The passage text.
    pub const TEXT: &str = "text";
    /// The place in the source.
    pub const POSITION: &str = "position";
}

/// The names the vectors have, on both back ends.
pub mod vectors {
    /// BM25 over Russian stems (sparse, IDF modifier).
    pub const BM25: &str = "bm25";
    /// Dense embeddings (Yandex Cloud), when configured; cosine similarity.
    pub const DENSE: &str = "dense";
    /// Character n-grams of the passage ([`crate::rank`]; sparse, IDF modifier).
    pub const NGRAM: &str = "ngram";
}

/// Checks that `dense` is empty or holds one vector of `dimensions` numbers for each of
/// `chunks`.
pub fn check_dense(
    chunks: &[Chunk],
    dense: &[Vec<f32>],
    dimensions: Option<usize>,
) -> Result<(), IndexError> {
    let fits = match dimensions {
        None => dense.is_empty(),
        Some(size) => dense.len() == chunks.len() && dense.iter().all(|v| v.len() == size),
    };
    if fits {
        Ok(())
    } else {
        Err(IndexError::Unexpected(format!(
            "{} dense vectors for {} passages, where the index takes {}",
            dense.len(),
            chunks.len(),
            dimensions.map_or("none".to_owned(), |d| format!("one of {d} numbers each")),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_checked() {
        assert!(check_tenant("demo").is_ok());
        assert!(check_tenant("acme-2").is_ok());
        for bad in ["", "../x", "Demo", "a/b", "-x", &"a".repeat(64)] {
            assert_eq!(
                check_tenant(bad).unwrap_err().code(),
                "bad_tenant",
                "{bad:?}"
            );
        }
    }

    fn found(source: &str, position: u32, score: f32) -> Found {
        Found::sparse(
            Chunk {
                source: source.into(),
                heading: String::new(),
                text: String::new(),
                position,
            },
            score,
        )
    }

    #[test]
    fn fusion_rewards_agreement_and_keeps_both_scores() {
        let sparse = vec![found("a", 0, 9.0), found("b", 0, 8.0), found("c", 0, 2.0)];
        let dense = vec![found("b", 0, 0.9), found("d", 0, 0.8), found("a", 0, 0.1)];
        let fused = fuse(sparse, dense, 3);
        let names: Vec<_> = fused.iter().map(|f| f.chunk.source.as_str()).collect();
        // b: ranks 2 and 1; a: ranks 1 and 3; d: dense only; c: sparse rank 3 only.
        assert_eq!(names, ["b", "a", "d"]);
        assert_eq!((fused[0].sparse, fused[0].dense), (Some(8.0), Some(0.9)));
        assert_eq!((fused[2].sparse, fused[2].dense), (None, Some(0.8)));
        // A tie between two firsts goes to the BM25 one.
        let tie = fuse(vec![found("x", 0, 5.0)], vec![found("y", 0, 0.9)], 2);
        assert_eq!(tie[0].chunk.source, "x");
    }

    #[test]
    fn the_answer_is_decided_by_the_passages_own_scores() {
        let mut both = found("a", 0, 3.0);
        both.dense = Some(0.7);
        assert!(
            !both.answers(5.0, None),
            "dense alone never answers by default"
        );
        assert!(both.answers(5.0, Some(0.6)));
        assert!(!both.answers(5.0, Some(0.8)));
        assert!(both.answers(2.0, None));
    }

    #[test]
    fn dense_vectors_must_match_the_passages() {
        let chunks = [found("a", 0, 0.0).chunk, found("a", 1, 0.0).chunk];
        assert!(check_dense(&chunks, &[], None).is_ok());
        assert!(check_dense(&chunks, &[vec![0.1; 4], vec![0.2; 4]], Some(4)).is_ok());
        for (dense, size) in [
            (vec![vec![0.1; 4]], Some(4)),
            (vec![vec![0.1; 4], vec![0.2; 3]], Some(4)),
            (vec![], Some(4)),
            (vec![vec![0.1; 4], vec![0.2; 4]], None),
        ] {
            assert_eq!(
                check_dense(&chunks, &dense, size).unwrap_err().code(),
                "index_unexpected"
            );
        }
    }

    #[test]
    fn point_ids_are_stable_and_distinct() {
        assert_eq!(point_id("a.md", 1), point_id("a.md", 1));
        assert_ne!(point_id("a.md", 1), point_id("a.md", 2));
        assert_ne!(point_id("a.md", 1), point_id("b.md", 1));
        // Pinned: ids stored by an earlier build must stay the same.
        assert_eq!(point_id("", 0), 0xe4bc_4fd9_252b_e94f);
    }
}
