//! Yes, no, maybe.
//!
//! "Да нет" is a no, and so is anything with a clear refusal ("ни в коем случае",
//! "не совсем", "скорее нет"); "нет проблем" and "почему бы и нет" are yeses. Hedges
//! ("наверное", "может быть", "не знаю") are maybe unless a yes or no word decides it.

use crate::Answer;
use crate::text::{Tokens, has_phrase};

const NO_PHRASES: &[&str] = &[
    "да нет",
    "ни в коем",
    "не совсем",
    "скорее нет",
    "точно нет",
    "конечно нет",
    "не надо",
    "не нужно",
    "не интересно",
    "не интересует",
    "не удобно",
    "не хочу",
    "не буду",
    "не сейчас",
    "не актуально",
    "не согласен",
    "не согласна",
    "не подходит",
    "не получится",
    "не могу",
    "не очень",
    "вряд ли",
];
const YES_PHRASES: &[&str] = &[
    "нет проблем",
    "почему бы и нет",
    "почему нет",
    "не против",
    "без проблем",
    "скорее да",
    "в принципе да",
    "само собой",
    "а как же",
];
const NO_WORDS: &[&str] = &[
    "нет",
    "неа",
    "нету",
    "неинтересно",
    "неудобно",
    "неактуально",
    "отказываюсь",
    "никак",
    "no",
];
const YES_WORDS: &[&str] = &[
    "да",
    "ага",
    "угу",
    "конечно",
    "естественно",
    "разумеется",
    "давайте",
    "давай",
    "хорошо",
    "ладно",
    "согласен",
    "согласна",
    "верно",
    "правильно",
    "точно",
    "именно",
    "ок",
    "окей",
    "ok",
    "yes",
    "можно",
    "удобно",
    "интересно",
    "записывайте",
    "поехали",
    "пожалуй",
    "договорились",
    "подходит",
    "устраивает",
    "отлично",
    "конечно",
    "да-да",
    "идет",
    "годится",
    "обязательно",
];
const MAYBE_WORDS: &[&str] = &[
    "наверное",
    "возможно",
    "может",
    "посмотрим",
    "вероятно",
    "наверно",
    "не знаю",
    "не уверен",
    "не уверена",
    "как получится",
    "подумаю",
    "затрудняюсь",
    "пока не знаю",
    "не знаем",
    "не решили",
    "не определились",
    "сложно сказать",
    "трудно сказать",
];

/// The answer in the utterance, if it is one.
pub(crate) fn extract(tokens: &Tokens) -> Option<Answer> {
    if YES_PHRASES.iter().any(|p| has_phrase(tokens, p)) {
        return Some(Answer::Yes);
    }
    if NO_PHRASES.iter().any(|p| has_phrase(tokens, p)) {
        return Some(Answer::No);
    }
    let negated = |i: usize| i > 0 && tokens[i - 1] == "не";
    let mut yes = false;
    let mut no = false;
    for (i, t) in tokens.iter().enumerate() {
        let t = t.as_str();
        if NO_WORDS.contains(&t) {
            no = true;
        } else if YES_WORDS.contains(&t) {
            if negated(i) {
                no = true;
            } else {
                yes = true;
            }
        }
    }
    let maybe = MAYBE_WORDS.iter().any(|p| has_phrase(tokens, p));
    match (yes, no, maybe) {
        (_, true, _) => Some(Answer::No),
        (true, false, _) => Some(Answer::Yes),
        (false, false, true) => Some(Answer::Maybe),
        _ => None,
    }
}
