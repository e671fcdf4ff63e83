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
    /// Relevance, higher is better: a BM25 score, or a fused rank score when dense
    /// vectors take part. Comparable only within one result list.
    pub score: f32,
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
/// Calls block (the in-process engine works in place, the server client waits for its
/// answer); async callers run them on the blocking pool.
pub trait Index: Send + Sync {
    /// Makes `chunks` the only passages of `source` for `tenant`: the source's earlier
    /// passages go. An empty `chunks` removes the source.
    fn replace(&self, tenant: &str, source: &str, chunks: &[Chunk]) -> Result<(), IndexError>;

    /// The best passages of `tenant` for `query`, best first, at most `limit`.
    fn search(&self, tenant: &str, query: &str, limit: usize) -> Result<Vec<Found>, IndexError>;

    /// How many passages `tenant` has.
    fn count(&self, tenant: &str) -> Result<usize, IndexError>;

    /// Whether calls wait on the network (a server); the in-process engine returns `false`.
    fn may_block(&self) -> bool {
        true
    }
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
    /// Dense embeddings (Yandex Cloud), when configured.
    pub const DENSE: &str = "dense";
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

    #[test]
    fn point_ids_are_stable_and_distinct() {
        assert_eq!(point_id("a.md", 1), point_id("a.md", 1));
        assert_ne!(point_id("a.md", 1), point_id("a.md", 2));
        assert_ne!(point_id("a.md", 1), point_id("b.md", 1));
        // Pinned: ids stored by an earlier build must stay the same.
        assert_eq!(point_id("", 0), 0xe4bc_4fd9_252b_e94f);
    }
}
