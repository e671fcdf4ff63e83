//! Normalisation and tokens: the form every extractor reads.

/// Lowercases, folds `ё` into `е`, and splits into word and number tokens.
///
/// Punctuation the recogniser may add is dropped, except inside numbers (`1,5`,
/// `11:30`, `250.000`) and a leading `+` of a phone number. Hyphens separate words
/// (`кем-нибудь` → `кем`, `нибудь`).
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut prev = ' ';
    let mut chars = text.chars().peekable();
    while let Some(raw) = chars.next() {
        let next_digit = chars.peek().is_some_and(char::is_ascii_digit);
        let (c, word_char) = classify(raw);
        let keep = word_char
            || (matches!(c, ',' | '.' | ':') && prev.is_ascii_digit() && next_digit)
            || (c == '+' && current.is_empty() && next_digit);
        if keep {
            current.push(c);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        prev = raw;
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A character's folded form and whether it belongs in a word. ASCII and Russian
/// letters, the overwhelming majority, skip the Unicode tables.
fn classify(c: char) -> (char, bool) {
    match c {
        'a'..='z' | '0'..='9' | 'а'..='я' => (c, true),
        'A'..='Z' => (c.to_ascii_lowercase(), true),
        'А'..='Я' => (char::from_u32(c as u32 + 32).unwrap_or(c), true),
        'ё' | 'Ё' => ('е', true),
        ' ' | ',' | '.' | ':' | '!' | '?' | '-' | '+' | '(' | ')' | '"' | '\'' | ';' => (c, false),
        _ => {
            let folded = fold_char(c);
            (folded, folded.is_alphanumeric())
        }
    }
}

/// The lowercase, `ё`-folded form of a character.
pub(crate) fn fold_char(c: char) -> char {
    match c {
        'ё' | 'Ё' => 'е',
        c if c.is_uppercase() => c.to_lowercase().next().unwrap_or(c),
        c => c,
    }
}

/// Whether `word` starts with any of `stems`.
pub(crate) fn starts_with_any(word: &str, stems: &[&str]) -> bool {
    stems.iter().any(|s| word.starts_with(s))
}

/// Whether the token list contains `phrase` (space-separated words) as a run.
pub(crate) fn has_phrase(tokens: &[String], phrase: &str) -> bool {
    phrase_at(tokens, phrase).is_some()
}

/// Where `phrase` (space-separated words, each a prefix when it ends in `*`) starts.
///
/// Called for every phrase of every rule on every utterance, so it allocates nothing and
/// only looks further than the first word where that word matches.
pub(crate) fn phrase_at(tokens: &[String], phrase: &str) -> Option<usize> {
    // Most phrases start with a letter no token starts with: skip them before splitting
    // (two bytes: one Cyrillic letter).
    let head = &phrase.as_bytes()[..phrase.len().min(2)];
    if !tokens.iter().any(|t| t.as_bytes().starts_with(head)) {
        return None;
    }
    let first = phrase.split_once(' ').map_or(phrase, |(first, _)| first);
    (0..tokens.len()).find(|&i| {
        word_matches(&tokens[i], first)
            && phrase
                .split(' ')
                .skip(1)
                .enumerate()
                .all(|(j, w)| tokens.get(i + 1 + j).is_some_and(|t| word_matches(t, w)))
    })
}

/// Whether a token is `word`, or starts with it when `word` ends in `*`.
fn word_matches(token: &str, word: &str) -> bool {
    match word.strip_suffix('*') {
        Some(stem) => token.starts_with(stem),
        None => token == word,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenising() {
        assert_eq!(tokens("Ну, 1,5 млн. Ёлки!"), ["ну", "1,5", "млн", "елки"]);
        assert_eq!(
            tokens("в 11:30, +7 (916) 123-45-67"),
            ["в", "11:30", "+7", "916", "123", "45", "67"]
        );
        assert_eq!(tokens("кем-нибудь"), ["кем", "нибудь"]);
        assert!(tokens("").is_empty());
    }

    #[test]
    fn phrases() {
        let t = tokens("ну да нет наверное");
        assert!(has_phrase(&t, "да нет"));
        assert!(has_phrase(&t, "нет навер*"));
        assert!(!has_phrase(&t, "нет да"));
    }
}
