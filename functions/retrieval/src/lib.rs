//! The tenant's knowledge base: what callers' product questions are answered from.
//!
//! - [`source`]: what a tenant may upload (Markdown, text, HTML, CSV) and the checks;
//! - [`chunk`](mod@chunk): sources read into passages that keep their heading path;
//! - [`index`]: the [`Index`] trait — replace, delete and search a tenant's passages — with
//!   Qdrant's in-process engine (feature `edge`) and a Qdrant server (feature `server`)
//!   behind it;
//! - [`embed`]: dense vectors from Yandex Cloud's embeddings, fused with BM25 by rank;
//! - [`query`]: callers' questions as the recogniser writes them made comparable with
//!   written text (numbers, spelled abbreviations, a sales thesaurus);
//! - [`rank`]: what both back ends add to BM25 — headings weighed, character n-grams,
//!   fusion, coverage re-ranking — and the decision what the caller hears;
//! - [`kb`]: the service — sources in object storage, passages in the index, gaps;
//! - [`bm25`]: the sparse vectors, Qdrant's own BM25 pipeline with the Russian stemmer and
//!   stop words (feature `edge`).

#[cfg(feature = "edge")]
pub mod bm25;
pub mod chunk;
#[cfg(feature = "edge")]
pub mod edge;
pub mod embed;
pub mod index;
pub mod kb;
pub mod query;
pub mod rank;
#[cfg(feature = "server")]
pub mod server;
pub mod source;

pub use chunk::{Chunk, chunk};
#[cfg(feature = "edge")]
pub use edge::EdgeIndex;
pub use embed::{EmbedError, Embeddings, EmbeddingsConfig};
pub use index::{ANSWER_TERMS, Found, Index, IndexError, Ranking, answer_bar, fuse, fuse_all};
pub use kb::KnowledgeBase;
pub use query::{Synonym, SynonymError, Synonyms};
pub use rank::{Answer, decide};
#[cfg(feature = "server")]
pub use server::ServerIndex;
pub use source::{SourceError, SourceKind};
