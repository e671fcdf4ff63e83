//! What both back ends add to Qdrant's BM25, in this crate's code so that they score
//! alike: the passage text as indexed (its heading weighed), a character n-gram sparse
//! vector beside BM25 on stems, the fusion of the rankings, a re-ranking that prefers
//! passages covering all the question's content words, and the decision what the caller
//! hears.
//!
//! Chosen by measurement on the development question set (`docs/knowledge-base.md`):
//!
//! - **Headings twice.** A section's heading carries its meaning ("Постоплата") where its
//!   text may not repeat it; the heading path is indexed twice before the text.
//! - **Character 4-grams.** Words the Snowball stem does not join ("морозилка" and
//!   "морозильных", "этикетница" and "этикеток") share 4-grams. The n-gram vector has
//!   BM25's term-frequency saturation and the collection's IDF modifier, like the stems'.
//! - **Reciprocal-rank fusion** of the stems' and the n-grams' rankings (and the dense one,
//!   when embeddings are configured): ranks, not scores, which are on unrelated scales.
//! - **Coverage.** A passage's fused score is multiplied by `1 + COVERAGE_WEIGHT × c`,
//!   where `c` is the share of the question's content words the passage (with its heading)
//!   contains: a comparison of two tariffs prefers the passage naming both over one that
//!   repeats one of them.
//! - **Close calls.** When another of the best passages has nearly the BM25 score of the
//!   first, the caller is asked which one they mean instead of hearing the first.

use crate::chunk::Chunk;
use crate::index::{Found, Ranking, fuse_all, level};
use crate::query;

/// The length of the character n-grams.
pub const NGRAM: usize = 4;

/// Average n-grams in a passage as indexed, the n-gram vector's length-normalisation
/// anchor (a 600-character passage with its heading twice has about 700).
pub const AVERAGE_NGRAMS: f32 = 450.0;

/// BM25's term-frequency saturation.
const K1: f32 = 1.2;
/// BM25's length normalisation.
const B: f32 = 0.75;

/// How deep each ranking is read before fusion (at least the passages asked for).
pub const DEPTH: usize = 20;

/// The share of a question's n-grams a passage found by the n-grams alone (not by BM25)
/// must contain to stay in the n-gram ranking.
pub const NGRAM_ONLY_SHARE: f32 = 0.5;

/// How much covering all the question's content words adds to a passage's fused score.
pub const COVERAGE_WEIGHT: f32 = 0.5;

/// How close (as a share of the first's BM25 score) another passage's BM25 score must be
/// for the two to be a close call.
pub const CLOSE_CALL: f32 = 0.1;

/// A sparse vector: term ids and weights, ids ascending and distinct.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sparse {
    /// Term ids.
    pub indices: Vec<u32>,
    /// Their weights.
    pub values: Vec<f32>,
}

/// The text a passage is indexed by (both vectors, both back ends): the heading path
/// twice, then the text, rewritten by [`query::for_index`].
pub fn passage_text(chunk: &Chunk) -> String {
    if chunk.heading.is_empty() {
        query::for_index(&chunk.text)
    } else {
        query::for_index(&format!("{h}. {h}. {t}", h = chunk.heading, t = chunk.text))
    }
}

/// The words of `text`, lower case, `ё` as `е`.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().replace('ё', "е"))
}

/// FNV-1a of an n-gram: stable across builds and platforms.
fn hash(gram: &[char]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    let mut buf = [0u8; 4];
    for c in gram {
        for b in c.encode_utf8(&mut buf).bytes() {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

/// Counts of the character n-grams of every word of two letters or more, padded with a
/// space on both sides (so a word's beginning and end are n-grams of their own).
fn gram_counts(text: &str) -> Vec<(u32, f32)> {
    let mut grams: Vec<u32> = Vec::new();
    for word in words(text) {
        let chars: Vec<char> = std::iter::once(' ')
            .chain(word.chars())
            .chain(std::iter::once(' '))
            .collect();
        if chars.len() < NGRAM {
            continue;
        }
        grams.extend(chars.windows(NGRAM).map(hash));
    }
    grams.sort_unstable();
    let mut counts: Vec<(u32, f32)> = Vec::new();
    for g in grams {
        match counts.last_mut() {
            Some((last, n)) if *last == g => *n += 1.0,
            _ => counts.push((g, 1.0)),
        }
    }
    counts
}

/// A passage's n-gram vector ([`passage_text`] as input): term frequencies saturated and
/// length-normalised as BM25 does; the index applies the IDF.
pub fn ngram_document(text: &str) -> Sparse {
    let counts = gram_counts(text);
    let length: f32 = counts.iter().map(|(_, n)| n).sum();
    let norm = K1 * (1.0 - B + B * length / AVERAGE_NGRAMS);
    Sparse {
        indices: counts.iter().map(|(g, _)| *g).collect(),
        values: counts
            .iter()
            .map(|(_, f)| f * (K1 + 1.0) / (f + norm))
            .collect(),
    }
}

/// A question's n-gram vector (the question as [`query::for_search`] rewrites it), each
/// n-gram of weight one.
pub fn ngram_query(text: &str) -> Sparse {
    let counts = gram_counts(text);
    Sparse {
        indices: counts.iter().map(|(g, _)| *g).collect(),
        values: vec![1.0; counts.len()],
    }
}

/// Words that carry no content in a caller's question.
const STOP_WORDS: &[&str] = &[
    "а",
    "и",
    "но",
    "или",
    "ли",
    "не",
    "ни",
    "да",
    "нет",
    "ну",
    "вот",
    "вы",
    "мы",
    "я",
    "он",
    "она",
    "они",
    "это",
    "то",
    "что",
    "как",
    "так",
    "где",
    "когда",
    "какой",
    "какая",
    "какие",
    "каком",
    "какую",
    "сколько",
    "скольки",
    "есть",
    "можно",
    "нужно",
    "надо",
    "ваш",
    "ваша",
    "ваше",
    "ваши",
    "вас",
    "вам",
    "нас",
    "нам",
    "наш",
    "наши",
    "у",
    "в",
    "во",
    "на",
    "с",
    "со",
    "по",
    "за",
    "из",
    "от",
    "до",
    "для",
    "при",
    "про",
    "о",
    "об",
    "к",
    "ко",
    "же",
    "бы",
    "ещё",
    "еще",
    "уже",
    "если",
    "тоже",
    "там",
    "тут",
    "всё",
    "все",
    "вообще",
    "подскажите",
    "скажите",
    "пожалуйста",
    "будет",
    "будут",
    "быть",
    "если",
];

/// A crude stem: the first five letters of a word (Russian endings are rarely longer
/// than the rest of a word of six letters and more). Close enough to tell whether a
/// passage contains a word, and the same on both back ends.
fn stem(word: &str) -> String {
    word.chars().take(5).collect()
}

/// The content words of a question: not stop words, two characters or more (digits count).
pub fn content_stems(question: &str) -> Vec<String> {
    let mut stems: Vec<String> = words(question)
        .filter(|w| w.chars().count() >= 2 && !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect();
    stems.sort();
    stems.dedup();
    stems
}

/// The share of `stems` that `text` contains (1 when there are none).
pub fn coverage(stems: &[String], text: &str) -> f32 {
    if stems.is_empty() {
        return 1.0;
    }
    let have: std::collections::HashSet<String> = words(text).map(|w| stem(&w)).collect();
    stems.iter().filter(|s| have.contains(*s)).count() as f32 / stems.len() as f32
}

/// Multiplies each passage's score (of those BM25 found) by `1 + COVERAGE_WEIGHT × coverage` of the question's
/// content words (the question as [`query::for_search`] rewrote it, so the thesaurus's
/// terms count) and sorts again, best first.
pub fn rerank(question: &str, found: &mut [Found]) {
    let stems = content_stems(question);
    // Only passages BM25 found: the crude stems would credit a passage BM25's stems did
    // not join ("покупки" and "покупателям").
    for f in found.iter_mut().filter(|f| f.sparse.is_some()) {
        let text = format!("{} {}", f.chunk.heading, query::for_index(&f.chunk.text));
        f.score *= 1.0 + COVERAGE_WEIGHT * coverage(&stems, &text);
    }
    found.sort_by(crate::index::by_score);
}

/// The rankings of one question fused ([`fuse_all`]), re-ranked by coverage of
/// `question` (as [`query::for_search`] rewrote it), best first, at most `limit`.
///
/// Each ranking is expected read to `depth`: a full one loses its last group of equal
/// scores, which the engine may have cut anywhere (both back ends must fuse the same
/// passages).
pub fn combine(
    question: &str,
    bm25: Vec<Found>,
    ngram: Vec<Found>,
    dense: Option<Vec<Found>>,
    depth: usize,
    limit: usize,
) -> Vec<Found> {
    let complete = |mut ranking: Vec<Found>| {
        if ranking.len() >= depth
            && let Some(last) = ranking.last().map(level)
            && ranking.iter().any(|f| level(f) != last)
        {
            ranking.retain(|f| level(f) != last);
        }
        ranking
    };
    let (bm25, ngram, dense) = (complete(bm25), complete(ngram), dense.map(complete));
    // A passage only the n-grams found must share half the question's n-grams: common
    // endings alone ("-ать", "-ние") are not evidence.
    let asked = ngram_query(question).indices;
    let ngram: Vec<Found> = ngram
        .into_iter()
        .filter(|f| {
            bm25.iter().any(|b| same(b, f)) || {
                let have = gram_counts(&passage_text(&f.chunk));
                let shared = asked
                    .iter()
                    .filter(|g| have.binary_search_by_key(*g, |(h, _)| *h).is_ok())
                    .count();
                shared as f32 >= NGRAM_ONLY_SHARE * asked.len() as f32
            }
        })
        .collect();
    let mut rankings = vec![(bm25, Ranking::Bm25), (ngram, Ranking::Ngram)];
    if let Some(dense) = dense {
        rankings.push((dense, Ranking::Dense));
    }
    let mut fused = fuse_all(rankings, usize::MAX);
    rerank(question, &mut fused);
    fused.truncate(limit);
    fused
}

/// Whether two found passages are the same passage.
fn same(a: &Found, b: &Found) -> bool {
    a.chunk.source == b.chunk.source && a.chunk.position == b.chunk.position
}

/// What the caller hears, decided from the ranked passages.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The passage answers: read it (the sentences of it that match the question).
    Speak(Found),
    /// Two passages are a close call: ask which one the caller means (or offer a manager).
    Choose(Found, Found),
    /// Nothing answers: a manager will tell.
    Decline,
}

/// Decides what the caller hears from `found` (best first): the first passage that clears
/// the bars ([`Found::answers`]) is spoken, unless another of the three best has a BM25
/// score within [`CLOSE_CALL`] of its own — then the caller is asked which one they mean.
pub fn decide(found: &[Found], bar: f32, dense_bar: Option<f32>) -> Answer {
    let Some(at) = found.iter().position(|f| f.answers(bar, dense_bar)) else {
        return Answer::Decline;
    };
    let first = &found[at];
    let own = first.sparse.unwrap_or(0.0);
    let rival = found
        .iter()
        .take(3.max(at + 1))
        .enumerate()
        .filter(|(i, _)| *i != at)
        .map(|(_, f)| f)
        .find(|f| f.sparse.is_some_and(|s| s >= (1.0 - CLOSE_CALL) * own));
    match rival {
        Some(other) => Answer::Choose(first.clone(), other.clone()),
        None => Answer::Speak(first.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(heading: &str, text: &str, score: f32) -> Found {
        Found::sparse(
            Chunk {
                source: "a.md".into(),
                heading: heading.into(),
                text: text.into(),
                position: 0,
            },
            score,
        )
    }

    #[test]
    fn ngrams_join_words_the_stem_does_not() {
        let doc = ngram_document("Терминал для морозильных камер");
        let q = ngram_query("морозилка");
        let shared = q.indices.iter().filter(|i| doc.indices.contains(i)).count();
        assert!(shared >= 3, "«мороз» is shared: {shared}");
        assert!(
            doc.indices.windows(2).all(|w| w[0] < w[1]),
            "sorted, distinct"
        );
        assert_eq!(
            ngram_query("и а"),
            Sparse::default(),
            "one-letter words make none"
        );
        // Pinned: stored vectors must stay comparable across builds.
        assert_eq!(hash(&[' ', 'т', 'с', ' ']), 0x9e7d_e07a);
    }

    #[test]
    fn a_term_said_twice_weighs_more_but_saturates() {
        let doc = ngram_document("склад склад склад ячейка");
        let q = ngram_query("склад");
        let at = doc.indices.iter().position(|i| *i == q.indices[0]).unwrap();
        let once = ngram_document("склад ячейка");
        let at_once = once
            .indices
            .iter()
            .position(|i| *i == q.indices[0])
            .unwrap();
        assert!(doc.values[at] > once.values[at_once]);
        assert!(doc.values[at] < K1 + 1.0);
    }

    #[test]
    fn headings_count_twice() {
        let chunk = Chunk {
            source: "p.md".into(),
            heading: "Оплата / Постоплата".into(),
            text: "Отсрочка до 30 дней. Битрикс24".into(),
            position: 0,
        };
        assert_eq!(
            passage_text(&chunk),
            "Оплата / Постоплата. Оплата / Постоплата. Отсрочка до 30 дней. Битрикс 24"
        );
    }

    #[test]
    fn passages_covering_the_whole_question_go_first() {
        let mut list = vec![
            found("Тариф Корпорация", "Без ограничений.", 1.0),
            found(
                "Тариф Бизнес",
                "К возможностям тарифа Старт добавляются…",
                0.9,
            ),
        ];
        rerank("старт и бизнес в чём разница", &mut list);
        assert_eq!(list[0].chunk.heading, "Тариф Бизнес");
        assert_eq!(content_stems("а что вы продаёте"), ["прода"]);
    }

    #[test]
    fn close_calls_are_asked_about() {
        let a = found("A", "", 10.0);
        let b = found("B", "", 9.5);
        let c = found("C", "", 5.0);
        assert_eq!(
            decide(&[a.clone(), b.clone()], 7.0, None),
            Answer::Choose(a.clone(), b.clone())
        );
        assert_eq!(
            decide(&[a.clone(), c.clone()], 7.0, None),
            Answer::Speak(a.clone())
        );
        assert_eq!(decide(std::slice::from_ref(&c), 7.0, None), Answer::Decline);
        assert_eq!(decide(&[], 7.0, None), Answer::Decline);
    }
}
