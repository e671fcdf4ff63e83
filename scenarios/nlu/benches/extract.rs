//! Extraction per utterance, natively: `cargo bench -p sva-nlu --bench extract`.
//! The figure is in docs/performance.md (the same code inside the wasm scenario is
//! measured by the sandbox's step benchmark).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use sva_nlu::{Now, understand};

/// Realistic ~10-word caller utterances, one of each kind and some with none.
const UTTERANCES: &[&str] = &[
    "ну бюджет у нас где-то полтора миллиона рублей в год",
    "записывайте восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь",
    "давайте вы мне перезвоните в пятницу после обеда хорошо",
    "да нет наверное нам это сейчас не очень интересно",
    "меня зовут ольга петровна я руководитель отдела логистики",
    "пишите на почту иван собака яндекс точка ру пожалуйста",
    "а можно с кем-нибудь из сотрудников поговорить по цене",
    "у нас три склада и примерно пятьдесят сотрудников на смене",
];

fn bench(c: &mut Criterion) {
    let now = Now::parse_rfc3339("2026-11-25T12:00:00+03:00").expect("now");
    c.bench_function("understand (10-word utterance, mean of 8)", |b| {
        b.iter(|| {
            for text in UTTERANCES {
                black_box(understand(black_box(text), &now));
            }
        })
    });
    let words: usize = UTTERANCES.iter().map(|u| u.split(' ').count()).sum();
    eprintln!(
        "{} utterances, {:.1} words on average: divide the time by {}",
        UTTERANCES.len(),
        words as f64 / UTTERANCES.len() as f64,
        UTTERANCES.len()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
