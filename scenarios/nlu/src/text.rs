//! Normalisation and tokens: the form every extractor reads.

/// Lowercases, folds `ё` into `е`, and splits into word and number tokens.
///
/// Punctuation the recogniser may add is dropped, except inside numbers (`1,5`,
/// `11:30`, `250.000`) and a leading `+` of a phone number. Hyphens separate words
/// (`кем-нибудь` → `кем`, `нибудь`).
pub(crate) fn tokens(text: &str) -> Tokens {
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
    Tokens::new(out)
}

/// An utterance's tokens, with the set of their first letters: most of the hundreds of
/// stems and phrases the extractors try start with a letter no token starts with, and
/// that set rules them out without comparing a single token (the scenario runs every
/// rule on every utterance, inside the per-step budget).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tokens {
    words: Vec<String>,
    /// Bit [`head`] of every token.
    heads: [u64; 4],
}

impl Tokens {
    fn new(words: Vec<String>) -> Tokens {
        let mut heads = [0; 4];
        for word in &words {
            if let Some(bit) = head(word) {
                heads[bit / 64] |= 1 << (bit % 64);
            }
        }
        Tokens { words, heads }
    }

    /// Whether some token may start with `word`: `false` means that none does.
    pub(crate) fn may_start(&self, word: &str) -> bool {
        head(word).is_none_or(|bit| self.heads[bit / 64] & (1 << (bit % 64)) != 0)
    }

    /// Whether some token starts with one of `stems`.
    pub(crate) fn any_starts(&self, stems: &[&str]) -> bool {
        stems
            .iter()
            .any(|s| self.may_start(s) && self.words.iter().any(|t| t.starts_with(s)))
    }
}

impl std::ops::Deref for Tokens {
    type Target = [String];

    fn deref(&self) -> &[String] {
        &self.words
    }
}

/// A word's first letter as one of 256 bits: each Cyrillic letter its own bit (its two
/// UTF-8 bytes), anything else by its first byte (collisions only cost a comparison).
fn head(word: &str) -> Option<usize> {
    match *word.as_bytes() {
        [] => None,
        [lead @ (0xD0 | 0xD1), next, ..] => {
            Some((usize::from(lead & 1) << 6) | usize::from(next & 0x3F))
        }
        [first, ..] => Some(128 | usize::from(first & 0x7F)),
    }
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
pub(crate) fn has_phrase(tokens: &Tokens, phrase: &str) -> bool {
    phrase_at(tokens, phrase).is_some()
}

/// Where `phrase` (space-separated words, each a prefix when it ends in `*`) starts.
///
/// Called for every phrase of every rule on every utterance, so it allocates nothing and
/// only looks further than the first word where that word matches.
pub(crate) fn phrase_at(tokens: &Tokens, phrase: &str) -> Option<usize> {
    // Most phrases start with a letter no token starts with: skip them before splitting.
    if !tokens.may_start(phrase) {
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
        assert_eq!(*tokens("Ну, 1,5 млн. Ёлки!"), ["ну", "1,5", "млн", "елки"]);
        assert_eq!(
            *tokens("в 11:30, +7 (916) 123-45-67"),
            ["в", "11:30", "+7", "916", "123", "45", "67"]
        );
        assert_eq!(*tokens("кем-нибудь"), ["кем", "нибудь"]);
        assert!(tokens("").is_empty());
    }

    #[test]
    fn phrases() {
        let t = tokens("ну да нет наверное");
        assert!(has_phrase(&t, "да нет"));
        assert!(has_phrase(&t, "нет навер*"));
        assert!(!has_phrase(&t, "нет да"));
    }

    #[test]
    fn first_letters_rule_out_only_what_cannot_match() {
        let t = tokens("Ёлки, звоните в 11:30 Bob");
        for word in ["елк", "звон", "в", "11", "1", "b", "bo", ""] {
            assert!(t.may_start(word), "{word}");
        }
        for word in ["ёлк", "ж", "дорог", "2", "x"] {
            assert!(!t.may_start(word), "{word}");
        }
        // Every two-byte Cyrillic letter has a bit of its own.
        let letters: std::collections::BTreeSet<usize> = ('а'..='я')
            .chain(['ё'])
            .filter_map(|c| head(&c.to_string()))
            .collect();
        assert_eq!(letters.len(), 33);
        assert!(t.any_starts(&["дорог", "звон"]));
        assert!(!t.any_starts(&["дорог", "звонок"]));
    }
}
