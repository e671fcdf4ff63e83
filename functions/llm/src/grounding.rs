//! The grounding check of a `phrase`: what a caller hears may state only what the
//! scenario passed in as facts.
//!
//! A claim is a number (in digits or in words: «девяносто процентов» is 90), or a name:
//! a word that is capitalised inside a sentence, has Latin letters, or mixes letters and
//! digits (`PRO-500`, `1С`). Each must appear in the facts; the caller's own words never
//! ground anything (a caller who asks for «скидку 90 процентов» must not hear it
//! promised). Names are compared by their stem-like prefix, so a fact's «Москва» grounds
//! the phrase's «Москве».

use std::collections::HashSet;

/// What in a phrase the facts do not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ungrounded {
    /// A number the facts do not contain.
    #[error("the number {0} is not in the facts")]
    Number(String),
    /// A name (a product, a place, a company) the facts do not contain.
    #[error("the name {0:?} is not in the facts")]
    Name(String),
}

/// Checks that every number and name in `phrase` appears in `facts`.
pub fn check(phrase: &str, facts: &[String]) -> Result<(), Ungrounded> {
    let joined = facts.join("\n");
    let known_numbers = numbers(&joined);
    for number in numbers(phrase) {
        if !known_numbers.contains(&number) {
            return Err(Ungrounded::Number(number));
        }
    }
    let fact_words: Vec<String> = words(&joined).map(|w| fold(w.text)).collect();
    for name in names(phrase) {
        let folded = fold(name);
        if !fact_words.iter().any(|w| same_stem(w, &folded)) {
            return Err(Ungrounded::Name(name.to_owned()));
        }
    }
    Ok(())
}

/// The numbers in a text, spoken or written, as canonical strings (`1.5`, `250000`).
fn numbers(text: &str) -> HashSet<String> {
    sva_nlu::with_digits(text)
        .split(' ')
        .filter_map(|token| {
            let t = token.replace(',', ".");
            t.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(canonical)
        })
        .collect()
}

fn canonical(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// A word of the raw text and whether it starts a sentence.
struct Word<'t> {
    text: &'t str,
    starts_sentence: bool,
}

/// The words of `text` (letters and digits, hyphens inside), with sentence starts.
fn words(text: &str) -> impl Iterator<Item = Word<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    let mut sentence_start = true;
    let mut next_starts = true;
    for (i, c) in text.char_indices() {
        let inside = c.is_alphanumeric() || (c == '-' && start.is_some());
        match (inside, start) {
            (true, None) => {
                start = Some(i);
                sentence_start = next_starts;
                next_starts = false;
            }
            (false, Some(s)) => {
                out.push(Word {
                    text: text[s..i].trim_end_matches('-'),
                    starts_sentence: sentence_start,
                });
                start = None;
            }
            _ => {}
        }
        if !inside && matches!(c, '.' | '!' | '?' | '\n' | '«' | '"' | ':') {
            next_starts = true;
        }
    }
    if let Some(s) = start {
        out.push(Word {
            text: text[s..].trim_end_matches('-'),
            starts_sentence: sentence_start,
        });
    }
    out.into_iter()
}

/// The names in a phrase: capitalised inside a sentence, with Latin letters, or letters
/// and digits together. Pure numbers are [`numbers`]' business.
fn names(phrase: &str) -> impl Iterator<Item = &str> {
    words(phrase).filter_map(|w| {
        let has_digit = w.text.chars().any(|c| c.is_ascii_digit());
        let has_letter = w.text.chars().any(char::is_alphabetic);
        let latin = w.text.chars().any(|c| c.is_ascii_alphabetic());
        let capital = w.text.chars().next().is_some_and(char::is_uppercase);
        let name = (has_digit && has_letter) || latin || (capital && !w.starts_sentence);
        name.then_some(w.text)
    })
}

fn fold(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'ё' | 'Ё' => 'е',
            c => c.to_lowercase().next().unwrap_or(c),
        })
        .collect()
}

/// Whether two folded words are the same name in different cases: equal, or sharing all
/// but the last two letters of the longer (at least four). Words with digits must be
/// equal.
fn same_stem(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if a.chars().any(|c| c.is_ascii_digit()) || b.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    let need = la.max(lb).saturating_sub(2).max(4);
    if la.min(lb) < need {
        return false;
    }
    a.chars().take(need).eq(b.chars().take(need))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_phrase_that_restates_the_facts_is_grounded() {
        let f = facts(&[
            "Доставка по Москве — 1 день, по России — от 3 до 7 дней. Стоимость доставки 1 500 ₽.",
            "Тариф «Бизнес» стоит 2,5 тыс. рублей в месяц.",
        ]);
        for phrase in [
            "Доставка по Москве занимает один день, а по России от трёх до семи дней.",
            "Стоимость доставки — полторы тысячи рублей.",
            "Тариф Бизнес стоит 2500 рублей в месяц.",
            "Да, доставляем по всей России.",
        ] {
            assert_eq!(check(phrase, &f), Ok(()), "{phrase}");
        }
    }

    #[test]
    fn a_number_not_in_the_facts_is_refused_in_digits_or_in_words() {
        let f = facts(&["Скидка для новых клиентов — 10 %."]);
        assert_eq!(
            check("Для вас скидка 90 %.", &f),
            Err(Ungrounded::Number("90".into()))
        );
        assert_eq!(
            check("Для вас скидка девяносто процентов.", &f),
            Err(Ungrounded::Number("90".into()))
        );
        assert_eq!(check("Скидка десять процентов.", &f), Ok(()));
    }

    #[test]
    fn a_name_not_in_the_facts_is_refused() {
        let f = facts(&["Мы внедряем 1С и Битрикс24 в Москве и Казани."]);
        assert_eq!(check("Внедряем 1С в Казани.", &f), Ok(()));
        assert_eq!(check("Работаем и в Москве.", &f), Ok(()));
        assert_eq!(
            check("Внедряем SAP в Казани.", &f),
            Err(Ungrounded::Name("SAP".into()))
        );
        assert_eq!(
            check("Внедряем 1С в Новосибирске.", &f),
            Err(Ungrounded::Name("Новосибирске".into()))
        );
        assert_eq!(
            check("Поставим модель PRO-500.", &f),
            Err(Ungrounded::Number("500".into())),
            "numbers are checked first"
        );
        let with_500 = facts(&["Склад на 500 паллет."]);
        assert_eq!(
            check("Поставим модель PRO-500.", &with_500),
            Err(Ungrounded::Name("PRO-500".into()))
        );
    }

    #[test]
    fn the_first_word_of_a_sentence_is_not_a_name() {
        let f = facts(&["Гарантия — 12 месяцев."]);
        assert_eq!(check("Конечно. Гарантия двенадцать месяцев.", &f), Ok(()));
    }
}
