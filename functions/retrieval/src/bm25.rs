//! Sparse vectors: Qdrant's own BM25 pipeline over Russian text.
//!
//! The tokenizer, the Snowball Russian stemmer and the Russian stop words are those the
//! Qdrant server applies for its built-in `qdrant/bm25` inference with
//! `language: russian`, so a passage gets the same terms whichever back end indexes it.
//! Only term frequencies are computed here; the index applies the IDF modifier.

use qdrant_edge::SparseVector;
use qdrant_edge::bm25_embed::{EdgeBm25, EdgeBm25Config};

/// The language of the BM25 pipeline: the Snowball stemmer and stop-word list.
pub const LANGUAGE: &str = "russian";

/// Average passage length in tokens, BM25's length normalisation anchor. Passages are cut
/// at about 600 characters, which is about 60 Russian words after stop words.
pub const AVERAGE_TOKENS: f64 = 60.0;

/// A BM25 embedder for Russian.
#[derive(Debug)]
pub struct Bm25(EdgeBm25);

impl Bm25 {
    /// The Russian pipeline with BM25's usual `k1 = 1.2`, `b = 0.75`.
    pub fn russian() -> Bm25 {
        let config = EdgeBm25Config {
            language: Some(LANGUAGE.to_owned()),
            avg_len: qdrant_edge::external::ordered_float::NotNan::new(AVERAGE_TOKENS)
                .expect("a constant, not NaN"),
            ..EdgeBm25Config::default()
        };
        // Only fails for an unknown language or non-positive parameters: constants here.
        Bm25(EdgeBm25::new(config).expect("the Russian BM25 configuration is valid"))
    }

    /// A passage's term weights (term frequency, length-normalised).
    pub fn document(&self, text: &str) -> SparseVector {
        self.0.embed_document(text)
    }

    /// A question's terms, each of weight one.
    pub fn query(&self, text: &str) -> SparseVector {
        self.0.embed_query(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_words_share_a_stem_and_stop_words_go() {
        let bm25 = Bm25::russian();
        let a = bm25.query("доставка");
        let b = bm25.query("а доставкой как");
        assert_eq!(a.indices.len(), 1);
        assert_eq!(
            a.indices, b.indices,
            "«доставкой» is stemmed, «а» and «как» are stop words"
        );
        assert!(bm25.query("и а но").indices.is_empty());
        let doc = bm25.document("Доставка по Москве. Доставка в регионы.");
        let weights: Vec<_> = doc.indices.iter().zip(&doc.values).collect();
        let delivery = weights.iter().find(|(i, _)| **i == a.indices[0]).unwrap();
        let moscow = bm25.query("москве").indices[0];
        let once = weights.iter().find(|(i, _)| **i == moscow).unwrap();
        assert!(delivery.1 > once.1, "a term said twice weighs more");
    }
}
