//! The lexical ceiling of a question set: how much of it any method that sees only the
//! index's own lexical evidence — the question's stems and character 4-grams shared with a
//! passage — could rank right at best.
//!
//! Everything is analysed exactly as the index does: the question rewritten by
//! `query::for_search_with` (numbers, spelled letters; with and without the default
//! synonym list), the passage as `rank::passage_text` indexes it (heading and text), the
//! stems and stop words of the BM25 pipeline (`bm25::Bm25`, Snowball Russian), the 4-grams
//! of `rank::ngram_query` / `rank::ngram_document`. A question's **content words** are the
//! words the BM25 pipeline keeps (not its stop words). Right passages are every passage a
//! label names (`also` included); every other passage is wrong.
//!
//! Each answerable question is put in one class:
//!
//! - **(a)** shares a stem with a right passage, without the synonym list;
//! - **(b)** shares one only through the default synonym list's added terms;
//! - **(c)** shares none: no stem-level evidence for the right passage at all.
//!
//! and, over (a) and (b), by how the shared stems (with synonyms, as searched) compare
//! with the wrong passages':
//!
//! - **(d) dominated**: for every right passage, some wrong passage shares a strict
//!   superset of the question's stems it shares;
//! - **tied**: not dominated, but the best right passage shares exactly the same stems as
//!   some wrong passages;
//! - **clear**: otherwise — some weighting of the shared stems ranks a right passage first.
//!
//! What that proves: a score that is a strictly increasing function of the set of shared
//! stems (a sum of positive weights of them: IDF-weighted overlap, that is BM25 with binary
//! term frequency and no length normalisation — whatever the weights, even chosen per
//! question) never ranks a right passage of a (c) or (d) question first, and at best ties
//! on a tied one. So its hit@1 is at most `clear + tied` (every tie won), and
//! `clear + Σ 1 / (1 + wrong passages tied)` with ties broken by a fair coin; its hit@3 at
//! most the share of questions with a right passage fewer than three wrong passages
//! dominate. The bound is loose (an oracle picks the weights per question). Three wider
//! classes are bounded the same way, the views compared separately (a wrong passage
//! dominates when it has at least the right one's evidence in every view, more in one):
//!
//! - the stems the heading shares apart (a heading match may weigh more, as the index's
//!   headings-twice does);
//! - the content words' 4-grams beside the stems (the index's second sparse vector); no
//!   stem and no content 4-gram shared means no lexical evidence the index has at all;
//! - both.
//!
//! Term frequency and passage length are outside every class (BM25 uses them), so the
//! index may beat a bound on a few questions; the evaluation prints the index's own hit@1
//! per class beside the bounds.

use std::collections::{BTreeSet, HashMap};

use sva_retrieval::Chunk;
use sva_retrieval::bm25::Bm25;
use sva_retrieval::query::{Synonyms, for_index, for_search_with};
use sva_retrieval::rank::{ngram_document, ngram_query, passage_text};

/// Term ids: stems (the BM25 pipeline's) or 4-gram hashes.
type Terms = BTreeSet<u32>;

/// A passage's terms as the index's two sparse vectors hold them.
pub struct Seen {
    stems: Terms,
    heading: Terms,
    grams: Terms,
}

impl Seen {
    /// `chunk` as indexed.
    pub fn of(chunk: &Chunk, bm25: &Bm25) -> Seen {
        let text = passage_text(chunk);
        Seen {
            stems: terms(bm25.document(&text).indices),
            heading: terms(bm25.document(&for_index(&chunk.heading)).indices),
            grams: terms(ngram_document(&text).indices),
        }
    }
}

/// A question's terms as the index searches it.
struct Asked {
    /// Stems without the synonym list.
    plain: Terms,
    /// Stems with the default synonym list, as searched.
    stems: Terms,
    /// 4-grams of the content words, with the synonym list's terms.
    grams: Terms,
    /// A stem's word, to show it.
    words: HashMap<u32, String>,
}

fn terms(v: Vec<u32>) -> Terms {
    v.into_iter().collect()
}

impl Asked {
    fn of(question: &str, bm25: &Bm25) -> Asked {
        let plain = for_search_with(question, &Synonyms::none());
        let searched = for_search_with(question, &Synonyms::russian_sales());
        let mut names = HashMap::new();
        let mut content = Vec::new();
        for word in searched
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let ids = bm25.query(word).indices;
            if !ids.is_empty() {
                content.push(word);
            }
            for id in ids {
                names.entry(id).or_insert_with(|| word.to_lowercase());
            }
        }
        Asked {
            plain: terms(bm25.query(&plain).indices),
            stems: terms(bm25.query(&searched).indices),
            grams: terms(ngram_query(&content.join(" ")).indices),
            words: names,
        }
    }

    fn show(&self, stems: &Terms) -> String {
        let mut shown: Vec<&str> = stems
            .iter()
            .map(|s| self.words.get(s).map_or("?", String::as_str))
            .collect();
        shown.sort_unstable();
        shown.join(" ")
    }

    /// What `seen` shares with the question: stems, heading stems, content 4-grams.
    fn shared(&self, seen: &Seen) -> [Terms; 3] {
        [
            &self.stems & &seen.stems,
            &self.stems & &seen.heading,
            &self.grams & &seen.grams,
        ]
    }
}

/// Which class a question is in by its stems.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Overlap {
    /// (a) A stem shared with a right passage without synonyms.
    Direct,
    /// (b) Only through the synonym list.
    Synonym,
    /// (c) No stem shared.
    None,
}

/// The evidence a scorer sees: which of [stems, heading stems, 4-grams].
#[derive(Clone, Copy, Debug)]
pub struct View(pub [bool; 3]);

/// The views bounded, and what they are called.
pub const VIEWS: [(View, &str); 4] = [
    (View([true, false, false]), "the shared stems"),
    (
        View([true, true, false]),
        "the shared stems, the heading's apart",
    ),
    (
        View([true, false, true]),
        "the shared stems and content 4-grams",
    ),
    (
        View([true, true, true]),
        "stems, the heading's apart, and 4-grams",
    ),
];

/// Where the best right passage can stand at best: how many wrong passages share
/// strictly more of the question (in every view at least as much, in one more) and how
/// many exactly as much; `None` when it shares nothing in the view.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Standing {
    /// Wrong passages that dominate it.
    pub above: usize,
    /// Wrong passages tied with it.
    pub level: usize,
}

fn standing(own: &[Terms; 3], wrong: &[[Terms; 3]], view: View) -> Option<Standing> {
    let seen = |i: usize| view.0[i];
    if (0..3).filter(|i| seen(*i)).all(|i| own[i].is_empty()) {
        return None;
    }
    let includes = |o: &[Terms; 3]| {
        (0..3)
            .filter(|i| seen(*i))
            .all(|i| o[i].is_superset(&own[i]))
    };
    let equal = |o: &[Terms; 3]| (0..3).filter(|i| seen(*i)).all(|i| o[i] == own[i]);
    let level = wrong.iter().filter(|o| equal(o)).count();
    let above = wrong.iter().filter(|o| includes(o)).count() - level;
    Some(Standing { above, level })
}

/// One question measured.
pub struct Measured {
    /// The question as asked.
    pub q: String,
    /// Its class by stems.
    pub overlap: Overlap,
    /// The best right passage's standing in each of [`VIEWS`].
    pub standings: [Option<Standing>; 4],
    /// For a dominated or tied question (stems): the right passage and what it shares, the
    /// wrong one sharing the most and what it shares.
    pub why: Option<String>,
}

/// Measures one answerable question against every passage (`right[i]`: passage `i`
/// answers it).
pub fn measure(
    question: &str,
    passages: &[(Chunk, Seen)],
    right: &[bool],
    bm25: &Bm25,
) -> Measured {
    let asked = Asked::of(question, bm25);
    let (rights, wrongs): (Vec<_>, Vec<_>) = passages
        .iter()
        .zip(right)
        .map(|((c, s), r)| (c, asked.shared(s), *r))
        .partition(|(_, _, r)| *r);
    let wrong: Vec<[Terms; 3]> = wrongs.iter().map(|(_, s, _)| s.clone()).collect();
    let direct = passages
        .iter()
        .zip(right)
        .any(|((_, s), r)| *r && !asked.plain.is_disjoint(&s.stems));
    let overlap = if direct {
        Overlap::Direct
    } else if rights.iter().any(|(_, s, _)| !s[0].is_empty()) {
        Overlap::Synonym
    } else {
        Overlap::None
    };
    let standings = VIEWS.map(|(view, _)| {
        rights
            .iter()
            .filter_map(|(_, own, _)| standing(own, &wrong, view))
            .min()
    });
    let why = match standings[0] {
        Some(s) if s.above > 0 || s.level > 0 => rights
            .iter()
            .filter(|(_, own, _)| standing(own, &wrong, VIEWS[0].0) == standings[0])
            .find_map(|(chunk, own, _)| {
                wrongs
                    .iter()
                    .filter(|(_, w, _)| w[0].is_superset(&own[0]))
                    .max_by_key(|(_, w, _)| w[0].len())
                    .map(|(c, w, _)| {
                        format!(
                            "{} «{}» vs {} «{}»",
                            chunk.heading,
                            asked.show(&own[0]),
                            c.heading,
                            asked.show(&w[0])
                        )
                    })
            }),
        _ => None,
    };
    Measured {
        q: question.to_owned(),
        overlap,
        standings,
        why,
    }
}

/// One view's bounds summed over a set.
#[derive(Default, Clone, Copy)]
pub struct Bound {
    /// Nothing shared with a right passage.
    pub nothing: usize,
    /// Some wrong passage dominates every right one.
    pub dominated: usize,
    /// Not dominated, tied with some wrong passages.
    pub tied: usize,
    /// Σ 1 / (1 + wrong passages tied), over tied questions.
    pub tie_chance: f64,
    /// Three wrong passages or more dominate every right one.
    pub out_of_top3: usize,
}

impl Bound {
    fn add(&mut self, standing: Option<Standing>) {
        match standing {
            None => self.nothing += 1,
            Some(s) => {
                if s.above > 0 {
                    self.dominated += 1;
                } else if s.level > 0 {
                    self.tied += 1;
                    self.tie_chance += 1.0 / (1.0 + s.level as f64);
                }
                if s.above >= 3 {
                    self.out_of_top3 += 1;
                }
            }
        }
    }

    /// Hit@1 at most, ties won, over `n` questions.
    pub fn hit1(&self, n: usize) -> f64 {
        (n - self.nothing - self.dominated) as f64 / n.max(1) as f64
    }

    /// Hit@1 at most, ties by a fair coin (expected).
    pub fn hit1_coin(&self, n: usize) -> f64 {
        ((n - self.nothing - self.dominated - self.tied) as f64 + self.tie_chance) / n.max(1) as f64
    }

    /// Hit@3 at most, ties won.
    pub fn hit3(&self, n: usize) -> f64 {
        (n - self.nothing - self.out_of_top3) as f64 / n.max(1) as f64
    }
}

/// A set's measurements summed, with the index's actual hit@1 beside each class.
#[derive(Default)]
pub struct Ceiling {
    /// Answerable questions.
    pub n: usize,
    /// (a).
    pub direct: usize,
    /// (b).
    pub synonym: usize,
    /// (c).
    pub none: usize,
    /// (d): dominated by stems, among (a) and among (b).
    pub dominated: (usize, usize),
    /// Each of [`VIEWS`]' bounds.
    pub bounds: [Bound; 4],
    /// The index's hit@1 among (c), (d), tied and clear questions (by stems), and how many.
    pub hits: [(usize, usize); 4],
    /// The (c) questions.
    pub none_questions: Vec<String>,
    /// The (d) and tied questions, with why.
    pub beaten_questions: Vec<String>,
}

impl Ceiling {
    /// Adds a question and whether the index ranked a right passage first.
    pub fn add(&mut self, m: &Measured, hit1: bool) {
        self.n += 1;
        match m.overlap {
            Overlap::Direct => self.direct += 1,
            Overlap::Synonym => self.synonym += 1,
            Overlap::None => {
                self.none += 1;
                self.none_questions.push(m.q.clone());
            }
        }
        for (bound, standing) in self.bounds.iter_mut().zip(m.standings) {
            bound.add(standing);
        }
        let class = match m.standings[0] {
            None => 0,
            Some(s) if s.above > 0 => {
                if m.overlap == Overlap::Direct {
                    self.dominated.0 += 1;
                } else {
                    self.dominated.1 += 1;
                }
                1
            }
            Some(s) if s.level > 0 => 2,
            Some(_) => 3,
        };
        self.hits[class].0 += usize::from(hit1);
        self.hits[class].1 += 1;
        if let (Some(why), Some(s)) = (&m.why, m.standings[0]) {
            let kind = if s.above > 0 {
                "(d)".to_owned()
            } else {
                format!("tied with {}", s.level)
            };
            self.beaten_questions
                .push(format!("{kind} {:?}: {why}", m.q));
        }
    }

    /// The share of the set `k` questions are.
    pub fn share(&self, k: usize) -> f64 {
        k as f64 / self.n.max(1) as f64
    }

    /// Prints the figures, and with `list` the (c), (d) and tied questions.
    pub fn print(&self, what: &str, list: bool) {
        let pct = |k: usize| format!("{k} ({:.1} %)", 100.0 * self.share(k));
        let stems = self.bounds[0];
        println!("{what}, lexical ceiling: {} answerable questions", self.n);
        println!(
            "  stems: (a) shared {}  (b) only through synonyms {}  (c) none {}",
            pct(self.direct),
            pct(self.synonym),
            pct(self.none)
        );
        println!(
            "  (d) a wrong passage shares a strict superset: {} of (a), {} of (b); tied {}; clear {}",
            self.dominated.0,
            self.dominated.1,
            pct(stems.tied),
            pct(self.hits[3].1)
        );
        println!(
            "  at most hit@1 (ties won) / hit@1 (ties by coin) / hit@3, for a score increasing in:"
        );
        for ((_, name), bound) in VIEWS.iter().zip(&self.bounds) {
            println!(
                "    {name:<42} {:.3} / {:.3} / {:.3}  (nothing shared {}, dominated {}, tied {})",
                bound.hit1(self.n),
                bound.hit1_coin(self.n),
                bound.hit3(self.n),
                bound.nothing,
                bound.dominated,
                bound.tied
            );
        }
        let [c, d, tied, clear] = self.hits;
        println!(
            "  the index's hit@1 by class: (c) {}/{}  (d) {}/{}  tied {}/{}  clear {}/{}",
            c.0, c.1, d.0, d.1, tied.0, tied.1, clear.0, clear.1
        );
        if list {
            for q in &self.none_questions {
                println!("  (c) {q:?}");
            }
            for q in &self.beaten_questions {
                println!("  {q}");
            }
        }
    }
}
