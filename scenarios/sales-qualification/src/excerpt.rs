//! What the caller hears of a knowledge-base passage: the sentence(s) that match the
//! question, not the whole passage, and how two passages the index could not tell apart
//! are named when the caller is asked which one they mean.

/// A passage this short is read whole: a price-list row, a one-line answer.
pub(crate) const READ_WHOLE: usize = 160;

/// The most an answer may take, in characters (about ten seconds of speech).
pub(crate) const MAX_SPOKEN: usize = 300;

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
    "сколько",
    "скольки",
    "есть",
    "можно",
    "нужно",
    "надо",
    "ваш",
    "ваша",
    "ваши",
    "вас",
    "вам",
    "нас",
    "нам",
    "наш",
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
    "же",
    "бы",
    "если",
    "там",
    "тут",
    "все",
    "всё",
    "вообще",
    "подскажите",
    "скажите",
    "пожалуйста",
    "будет",
];

/// A crude stem, the same on both sides: the first five letters, lower case, `ё` as `е`.
fn stem(word: &str) -> String {
    word.to_lowercase()
        .replace('ё', "е")
        .chars()
        .take(5)
        .collect()
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// The question's content words, stemmed.
fn content(question: &str) -> Vec<String> {
    let mut stems: Vec<String> = words(question)
        .filter(|w| {
            let lower = w.to_lowercase();
            w.chars().count() >= 2 && !STOP_WORDS.contains(&lower.as_str())
        })
        .map(stem)
        .collect();
    stems.sort();
    stems.dedup();
    stems
}

/// `text` cut into sentences (at `.`, `!`, `?` followed by a space), each trimmed.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(at, c)) in bytes.iter().enumerate() {
        let next_is_space = bytes.get(i + 1).is_none_or(|(_, n)| n.is_whitespace());
        if matches!(c, '.' | '!' | '?') && next_is_space {
            let end = at + c.len_utf8();
            let sentence = text[start..end].trim();
            if !sentence.is_empty() {
                out.push(sentence);
            }
            start = end;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// What is read out of `text` for `question`: a short passage whole; otherwise the
/// sentences that share the most content words with the question (in the passage's
/// order; a sentence that is itself a question, as an FAQ's, is not an answer), with the
/// next sentence when the best one is too short to stand alone — and the passage's
/// opening when no sentence shares a word. Never longer than [`MAX_SPOKEN`].
pub(crate) fn excerpt(question: &str, text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= READ_WHOLE {
        return text.to_owned();
    }
    let asked = content(question);
    let all = sentences(text);
    let score = |s: &str| {
        let have: Vec<String> = words(s).map(stem).collect();
        asked.iter().filter(|a| have.contains(a)).count()
    };
    let scores: Vec<usize> = all
        .iter()
        .map(|s| if s.ends_with('?') { 0 } else { score(s) })
        .collect();
    let best = scores.iter().copied().max().unwrap_or(0);
    let mut chosen: Vec<usize> = if best == 0 {
        // Nothing in common word for word (the question was matched by its heading or a
        // synonym): the opening, which states what the section is about.
        let first = (0..all.len())
            .find(|&i| !all[i].ends_with('?'))
            .unwrap_or(0);
        vec![first]
    } else {
        (0..all.len())
            .filter(|&i| scores[i] == best)
            .take(2)
            .collect()
    };
    if chosen.len() == 1 && all[chosen[0]].chars().count() < 60 && chosen[0] + 1 < all.len() {
        chosen.push(chosen[0] + 1);
    }
    let spoken = chosen.iter().map(|&i| all[i]).collect::<Vec<_>>().join(" ");
    shorten(&spoken, MAX_SPOKEN)
}

/// Cuts `text` at a sentence end within `max` characters (or at a word).
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.trim().to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    match cut.rfind(['.', '!', '?']) {
        Some(end) if end > max / 3 => cut[..=end].trim().to_owned(),
        _ => match cut.rfind(' ') {
            Some(space) => format!("{}…", cut[..space].trim()),
            None => cut,
        },
    }
}

/// How a passage is named when the caller is asked which one they mean: the last part
/// of its heading ("Доставка / По Москве" → «По Москве»), or, when both passages have
/// the same heading (an FAQ's), the passage's opening sentence.
pub(crate) fn names(a: (&str, &str), b: (&str, &str)) -> (String, String) {
    let last = |heading: &str| {
        heading
            .rsplit(" / ")
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let (la, lb) = (last(a.0), last(b.0));
    if !la.is_empty() && !lb.is_empty() && la != lb {
        return (la, lb);
    }
    let opening = |text: &str| {
        let first = sentences(text).first().copied().unwrap_or_default();
        shorten(first.trim_end_matches(['.', '?', '!']), 80)
    };
    (opening(a.1), opening(b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFERRAL: &str = "Постоянным клиентам из числа юридических лиц даём отсрочку \
        платежа до 30 календарных дней. Отсрочка доступна после 2 оплаченных заказов и \
        прописывается в договоре. Лимит отсрочки зависит от объёма закупок.";

    #[test]
    fn the_matching_sentence_is_read_not_the_passage() {
        let spoken = excerpt("а лимит у отсрочки какой", DEFERRAL);
        assert_eq!(spoken, "Лимит отсрочки зависит от объёма закупок.");
        let spoken = excerpt("после скольки заказов дадите", DEFERRAL);
        assert!(spoken.starts_with("Отсрочка доступна после 2"), "{spoken}");
        assert!(spoken.len() < DEFERRAL.len());
    }

    #[test]
    fn with_nothing_in_common_the_opening_is_read() {
        assert!(excerpt("можно заплатить потом", DEFERRAL).starts_with("Постоянным клиентам"));
    }

    #[test]
    fn an_faq_question_is_not_read_back() {
        let faq = "Работает ли система без интернета? Терминалы продолжают работать без связи \
            до 8 часов: операции сохраняются в памяти и отправляются в систему, когда связь \
            вернётся. Для работы на компьютере через браузер интернет нужен.";
        let spoken = excerpt("система работает без интернета", faq);
        assert!(!spoken.contains('?'), "{spoken}");
        assert!(
            spoken.starts_with("Терминалы продолжают работать"),
            "{spoken}"
        );
    }

    #[test]
    fn short_passages_are_read_whole() {
        let row = "Терминал сбора данных ТС-20. Артикул: TS-20. Цена: 32900. Единица: штука.";
        assert_eq!(excerpt("сколько стоит тс 20", row), row);
    }

    #[test]
    fn choices_are_named_by_heading_or_opening() {
        assert_eq!(
            names(("Доставка / По Москве", ""), ("Доставка / По России", "")),
            ("По Москве".to_owned(), "По России".to_owned())
        );
        let (a, b) = names(
            (
                "FAQ",
                "Насколько защищены наши данные? Данные хранятся в России.",
            ),
            (
                "FAQ",
                "Работает ли система без интернета? Терминалы работают.",
            ),
        );
        assert_eq!(
            (a.as_str(), b.as_str()),
            (
                "Насколько защищены наши данные",
                "Работает ли система без интернета"
            )
        );
    }
}
