//! The demo knowledge base's evaluation: callers' questions, written as speech
//! recognition writes them, against the passage that answers each, on two sets kept
//! apart:
//!
//! - the development set, `kb-questions.yaml` (written beside the knowledge base, used
//!   while changing retrieval);
//! - the held-out set, `kb-questions-heldout.yaml` (written from the list of topics only,
//!   before the passages were read; not to be tuned to).
//!
//! Prints, for each, hit@1 (the passage the caller hears), hit@3, the answers spoken
//! right and wrong, and how often a question is left to a manager; fails below the
//! targets; and the sets' lexical ceiling (`ceiling`): how many questions share no stem,
//! or no 4-gram, with their right passage, or only what a wrong passage shares too.
//! Figures are in `docs/knowledge-base.md`. BM25 alone runs in `make test`; the
//! run with Yandex Cloud's embeddings is ignored unless asked for (it needs the network
//! and a key).

#[path = "eval/ceiling.rs"]
mod ceiling;

use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;
use sva_retrieval::embed::Purpose;
use sva_retrieval::{
    Answer, Chunk, EdgeIndex, Embeddings, EmbeddingsConfig, Found, Index, answer_bar, chunk, decide,
};

/// A passage that answers a question.
#[derive(Deserialize, Clone)]
struct Label {
    source: String,
    heading: String,
    /// Words of the passage, where several passages share the heading.
    #[serde(default)]
    says: Option<String>,
}

impl Label {
    fn names(&self, chunk: &Chunk) -> bool {
        chunk.source == self.source
            && chunk.heading == self.heading
            && self
                .says
                .as_ref()
                .is_none_or(|s| chunk.text.contains(s.as_str()))
    }
}

#[derive(Deserialize)]
struct Question {
    q: String,
    source: Option<String>,
    heading: Option<String>,
    #[serde(default)]
    says: Option<String>,
    /// Other passages that answer it as well.
    #[serde(default)]
    also: Vec<Label>,
}

impl Question {
    /// The passages that answer it; none when the knowledge base does not.
    fn labels(&self) -> Vec<Label> {
        match (&self.source, &self.heading) {
            (Some(source), Some(heading)) => std::iter::once(Label {
                source: source.clone(),
                heading: heading.clone(),
                says: self.says.clone(),
            })
            .chain(self.also.iter().cloned())
            .collect(),
            _ => Vec::new(),
        }
    }

    fn answered_by(&self, chunk: &Chunk) -> bool {
        self.labels().iter().any(|l| l.names(chunk))
    }
}

/// The two question sets.
#[derive(Clone, Copy, Debug)]
enum Set {
    Development,
    HeldOut,
}

impl Set {
    fn file(self) -> &'static str {
        match self {
            Set::Development => "kb-questions.yaml",
            Set::HeldOut => "kb-questions-heldout.yaml",
        }
    }
}

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../local/demo")
}

/// The demo tenant's knowledge base in a fresh in-process index; with `embeddings`, its
/// passages carry their dense vectors too.
async fn demo_index(dir: &std::path::Path, embeddings: Option<&Embeddings>) -> EdgeIndex {
    let index = match embeddings {
        Some(e) => EdgeIndex::open(dir).with_dense(e.dimensions()),
        None => EdgeIndex::open(dir),
    };
    let mut names: Vec<_> = std::fs::read_dir(demo().join("kb"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for name in names {
        let bytes = std::fs::read(demo().join("kb").join(&name)).unwrap();
        let chunks = chunk(&name, &bytes).unwrap();
        let dense = match embeddings {
            Some(e) => {
                let texts: Vec<String> = chunks.iter().map(|c| c.indexed_text()).collect();
                e.embed(&texts, Purpose::Document, Duration::from_secs(120))
                    .await
                    .unwrap()
                    .vectors
            }
            None => Vec::new(),
        };
        index.replace("demo", &name, &chunks, &dense).await.unwrap();
    }
    index
}

fn questions(set: Set) -> Vec<Question> {
    serde_norway::from_slice(&std::fs::read(demo().join(set.file())).unwrap()).unwrap()
}

/// Every passage of the demo knowledge base.
fn demo_passages() -> Vec<Chunk> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(demo().join("kb")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        all.extend(chunk(&name, &std::fs::read(entry.path()).unwrap()).unwrap());
    }
    all
}

/// What the evaluation measured.
#[derive(Default)]
struct Figures {
    answerable: usize,
    unanswerable: usize,
    /// Right passage first.
    at1: usize,
    /// Right passage among the first three.
    at3: usize,
    /// Right passage spoken: the best that clears the bars.
    answered: usize,
    /// Another passage spoken instead, to an answerable question.
    spoken_wrong: usize,
    /// Answerable questions left to a manager (nothing clears the bar).
    silent: usize,
    /// Answerable questions where the caller is asked which of two passages they mean, and
    /// one of them answers.
    asked_right: usize,
    /// Asked which of two passages, and neither answers (no passage read out).
    asked_wrong: usize,
    /// Unanswerable questions where no passage is read out (declined, or asked which).
    declined: usize,
    misses: Vec<String>,
}

impl Figures {
    fn share(n: usize, of: usize) -> f64 {
        n as f64 / of.max(1) as f64
    }

    fn questions(&self) -> usize {
        self.answerable + self.unanswerable
    }

    /// Passages read out that do not answer, over all questions: a wrong passage to an
    /// answerable question, any passage to an unanswerable one.
    fn wrong_spoken(&self) -> f64 {
        Self::share(
            self.spoken_wrong + self.unanswerable - self.declined,
            self.questions(),
        )
    }

    fn at1(&self) -> f64 {
        Self::share(self.at1, self.answerable)
    }

    fn at3(&self) -> f64 {
        Self::share(self.at3, self.answerable)
    }

    fn print(&self, what: &str) {
        println!(
            "{what}: {} answerable, {} not in the knowledge base",
            self.answerable, self.unanswerable
        );
        println!(
            "hit@1 {:.3}  hit@3 {:.3}  spoken right {}/{}  spoken wrong {} + {} unanswerable ({:.1} % of all)  \
             asked which {} (right among them) + {}  to a manager {}  unanswerable not read out {}/{}",
            self.at1(),
            self.at3(),
            self.answered,
            self.answerable,
            self.spoken_wrong,
            self.unanswerable - self.declined,
            100.0 * self.wrong_spoken(),
            self.asked_right,
            self.asked_wrong,
            self.silent,
            self.declined,
            self.unanswerable
        );
        for miss in &self.misses {
            println!("  {miss}");
        }
    }
}

/// Asks every question of `set` as the turn does: embedded when `embeddings` are given,
/// kept if the passage clears the BM25 bar (or the similarity bar).
async fn evaluate(index: &EdgeIndex, embeddings: Option<&Embeddings>, set: Set) -> Figures {
    let bar = answer_bar(index.count("demo").await.unwrap());
    let dense_bar = embeddings.and_then(|e| e.answer_similarity());
    let mut figures = Figures::default();
    for question in &questions(set) {
        let vector = match embeddings {
            Some(e) => Some(
                e.embed(
                    std::slice::from_ref(&question.q),
                    Purpose::Query,
                    Duration::from_secs(10),
                )
                .await
                .unwrap()
                .vectors
                .remove(0),
            ),
            None => None,
        };
        // As the dialog function asks: twice the three passages the scenario wants.
        let found = index
            .search("demo", &question.q, vector.as_deref(), 6)
            .await
            .unwrap();
        let answer = decide(&found, bar, dense_bar);
        let show = |f: &Found| format!("{} / {} ({:.3})", f.chunk.source, f.chunk.heading, f.score);
        if question.labels().is_empty() {
            figures.unanswerable += 1;
            match &answer {
                Answer::Speak(f) => figures.misses.push(format!(
                    "{:?} (no answer expected): {}",
                    question.q,
                    show(f)
                )),
                _ => figures.declined += 1,
            }
            continue;
        }
        figures.answerable += 1;
        let rank = found
            .iter()
            .take(3)
            .position(|f| question.answered_by(&f.chunk));
        figures.at1 += usize::from(rank == Some(0));
        figures.at3 += usize::from(rank.is_some());
        let outcome = match &answer {
            Answer::Speak(f) if question.answered_by(&f.chunk) => {
                figures.answered += 1;
                "spoken right"
            }
            Answer::Speak(_) => {
                figures.spoken_wrong += 1;
                "SPOKEN WRONG"
            }
            Answer::Choose(a, b)
                if question.answered_by(&a.chunk) || question.answered_by(&b.chunk) =>
            {
                figures.asked_right += 1;
                "asked which (right among them)"
            }
            Answer::Choose(..) => {
                figures.asked_wrong += 1;
                "asked which"
            }
            Answer::Decline => {
                figures.silent += 1;
                "to a manager"
            }
        };
        if rank != Some(0) {
            let got = found.first().map_or("—".to_owned(), show);
            figures.misses.push(format!(
                "{:?}: rank {rank:?}, first {got}, {outcome}",
                question.q
            ));
        }
    }
    figures
}

/// How the answer bar trades answers for silence on `set`.
async fn sweep(index: &EdgeIndex, set: Set) {
    let questions = questions(set);
    for bar in [4.0f32, 5.0, 6.0, 7.0, 8.0] {
        let (mut right, mut wrong, mut silent_ok) = (0, 0, 0);
        for question in &questions {
            let found = index.search("demo", &question.q, None, 1).await.unwrap();
            let top = found.first().filter(|f| f.score >= bar);
            match (question.labels().is_empty(), top) {
                (false, Some(f)) if question.answered_by(&f.chunk) => right += 1,
                (_, Some(_)) => wrong += 1,
                (true, None) => silent_ok += 1,
                (false, None) => {}
            }
        }
        println!(
            "{set:?}, bar {bar}: right answers {right}, wrong answers {wrong}, rightly silent {silent_ok}"
        );
    }
}

#[test]
fn every_label_names_a_passage() {
    let passages = demo_passages();
    for set in [Set::Development, Set::HeldOut] {
        for question in questions(set) {
            for label in question.labels() {
                let named = passages.iter().filter(|c| label.names(c)).count();
                assert!(
                    named >= 1,
                    "{set:?} {:?}: no passage {}/{}",
                    question.q,
                    label.source,
                    label.heading
                );
                assert!(
                    named == 1 || label.says.is_none(),
                    "{set:?} {:?}: `says` names {named} passages",
                    question.q
                );
            }
        }
    }
    assert!(
        questions(Set::HeldOut).len() >= 150,
        "at least 150 held-out questions"
    );
}

#[tokio::test]
async fn the_demo_questions_find_their_passages() {
    let dir = tempfile::tempdir().unwrap();
    let index = demo_index(dir.path(), None).await;
    for set in [Set::Development, Set::HeldOut] {
        sweep(&index, set).await;
    }
    let development = evaluate(&index, None, Set::Development).await;
    development.print("Development set, BM25 alone");
    let held_out = evaluate(&index, None, Set::HeldOut).await;
    held_out.print("Held-out set, BM25 alone");
    check(&development);
    check_development_offline(&development);
    check_held_out(&held_out);
}

/// The lexical ceiling of both sets (`ceiling`), beside the index's hit@1 per class.
#[tokio::test]
async fn the_lexical_ceiling_of_both_sets() {
    let bm25 = sva_retrieval::bm25::Bm25::russian();
    let passages: Vec<(Chunk, ceiling::Seen)> = demo_passages()
        .into_iter()
        .map(|c| {
            let seen = ceiling::Seen::of(&c, &bm25);
            (c, seen)
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let index = demo_index(dir.path(), None).await;
    let mut held_out = None;
    for set in [Set::Development, Set::HeldOut] {
        let mut sum = ceiling::Ceiling::default();
        for question in questions(set) {
            if question.labels().is_empty() {
                continue;
            }
            let right: Vec<bool> = passages
                .iter()
                .map(|(c, _)| question.answered_by(c))
                .collect();
            let measured = ceiling::measure(&question.q, &passages, &right, &bm25);
            let found = index.search("demo", &question.q, None, 6).await.unwrap();
            // The measurement reads the index's own analysis: a question sharing no stem
            // with its right passage never finds it by BM25.
            if measured.overlap == ceiling::Overlap::None {
                assert!(
                    found
                        .iter()
                        .filter(|f| question.answered_by(&f.chunk))
                        .all(|f| f.sparse.is_none()),
                    "{set:?} {:?}: no stem shared, yet BM25 found the right passage",
                    question.q
                );
            }
            let hit1 = found
                .first()
                .is_some_and(|f| question.answered_by(&f.chunk));
            sum.add(&measured, hit1);
        }
        sum.print(&format!("{set:?} set"), matches!(set, Set::HeldOut));
        if matches!(set, Set::HeldOut) {
            held_out = Some(sum);
        }
    }
    check_held_out_ceiling(&held_out.unwrap());
}

/// The held-out set's lexical ceiling, as `docs/knowledge-base.md` reports it: the
/// measurement is deterministic, so the guard is the figures themselves — an analysis
/// change (stems, stop words, synonyms, the passages' text) that loses lexical evidence
/// moves them.
fn check_held_out_ceiling(c: &ceiling::Ceiling) {
    assert!(c.n >= 135, "at least 135 answerable held-out questions");
    assert!(
        c.share(c.none) <= 0.05,
        "more held-out questions share no stem with their passage (4.9 %)"
    );
    let [stems, heading, grams, all] = c.bounds;
    assert!(
        stems.hit1(c.n) >= 0.83,
        "the stems' hit@1 ceiling fell (0.831)"
    );
    assert!(
        heading.hit1(c.n) >= 0.85,
        "the stems' and headings' hit@1 ceiling fell (0.858)"
    );
    assert!(
        grams.hit1(c.n) >= 0.86,
        "the stems' and 4-grams' hit@1 ceiling fell (0.863)"
    );
    assert!(
        all.hit1(c.n) >= 0.88,
        "the lexical hit@1 ceiling fell (0.885)"
    );
    assert!(
        all.hit3(c.n) >= 0.95,
        "the lexical hit@3 ceiling fell (0.956)"
    );
}

/// The development set's targets, whatever the index.
fn check(figures: &Figures) {
    let share = Figures::share;
    assert!(figures.answerable >= 40, "at least 40 answerable questions");
    assert!(figures.at3() >= 0.9, "hit@3 below the 0.9 target");
    assert!(figures.at1() >= 0.7, "hit@1 fell");
    assert!(
        figures.declined * 10 >= figures.unanswerable * 8,
        "unanswerable questions got answers"
    );
    assert!(
        share(figures.answered + figures.asked_right, figures.answerable) >= 0.6,
        "fewer right answers (or right choices offered) above the bar"
    );
}

/// The development set's regression guard offline (no embeddings): just under what the
/// retrieval of `docs/knowledge-base.md` measures (hit@1 0.786, hit@3 0.940, 6.7 % of
/// the questions get a wrong passage read out).
fn check_development_offline(figures: &Figures) {
    assert!(figures.at1() >= 0.77, "development hit@1 fell");
    assert!(figures.at3() >= 0.93, "development hit@3 fell");
    assert!(
        figures.wrong_spoken() <= 0.075,
        "more wrong answers spoken (development)"
    );
}

/// The held-out set's regression guard offline: just under what is measured (hit@1
/// 0.672, hit@3 0.842, wrong spoken 11.7 %). The issue's targets (0.85, 0.95, 5 %) are
/// not met; `docs/knowledge-base.md` says why. Never tuned to: a change is chosen on the
/// development set, and this only reports it.
fn check_held_out(figures: &Figures) {
    assert!(
        figures.answerable >= 135,
        "at least 135 answerable questions"
    );
    assert!(figures.at1() >= 0.66, "held-out hit@1 fell");
    assert!(figures.at3() >= 0.83, "held-out hit@3 fell");
    assert!(
        figures.wrong_spoken() <= 0.125,
        "more wrong answers spoken (held-out)"
    );
}

/// The same evaluation with Yandex Cloud's embeddings fused in. Needs the network and
/// `SVA_EMBEDDINGS_FOLDER` / `SVA_EMBEDDINGS_API_KEY` (and optionally
/// `SVA_EMBEDDINGS_MIN_SIMILARITY`, to see what a similarity bar does):
///
/// ```text
/// cargo test -p sva-retrieval --features edge --test eval -- --ignored --nocapture
/// ```
///
/// It costs about 450 requests (the passages and both sets of questions).
#[tokio::test]
#[ignore = "calls Yandex Cloud: needs SVA_EMBEDDINGS_FOLDER and SVA_EMBEDDINGS_API_KEY"]
async fn the_demo_questions_with_yandex_embeddings() {
    let config = EmbeddingsConfig::from_env()
        .unwrap()
        .expect("SVA_EMBEDDINGS_FOLDER and SVA_EMBEDDINGS_API_KEY are set");
    let embeddings = Embeddings::new(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let index = demo_index(dir.path(), Some(&embeddings)).await;
    let development = evaluate(&index, Some(&embeddings), Set::Development).await;
    development.print("Development set, BM25 fused with Yandex embeddings");
    let held_out = evaluate(&index, Some(&embeddings), Set::HeldOut).await;
    held_out.print("Held-out set, BM25 fused with Yandex embeddings");
    check(&development);
}
