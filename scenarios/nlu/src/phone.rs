//! Phone numbers, normalised to E.164 (+7…).
//!
//! A phone is a run of digit groups: digits as written (`8 (916) 123-45-67`,
//! `89161234567`), or numerals as said, in groups (`девятьсот шестнадцать сто двадцать
//! три сорок пять шестьдесят семь`) or digit by digit (`девять один шесть`). A run of 11
//! digits starting with 7 or 8, or of 10 starting with 3, 4, 8 or 9, is a Russian number.

use crate::numbers::{Word, word};

/// Phones found in `tokens`; marks the tokens they used in `taken`.
pub(crate) fn extract(tokens: &[String], taken: &mut [bool]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Some((groups, end)) = run(tokens, i) else {
            i += 1;
            continue;
        };
        if let Some(phone) = phone_in(&groups) {
            if !out.contains(&phone) && out.len() < crate::MAX_PER_KIND {
                out.push(phone);
            }
            taken[i..end].iter_mut().for_each(|t| *t = true);
        }
        i = end.max(i + 1);
    }
    out
}

/// The digit groups of the run starting at `start`, and where it ends.
fn run(tokens: &[String], start: usize) -> Option<(Vec<String>, usize)> {
    let mut groups: Vec<String> = Vec::new();
    let mut j = start;
    while j < tokens.len() {
        let t = tokens[j].as_str();
        if t == "плюс" && groups.is_empty() {
            j += 1;
            continue;
        }
        let digits = t.strip_prefix('+').unwrap_or(t);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            groups.push(digits.to_owned());
            j += 1;
            continue;
        }
        match spoken_group(tokens, j) {
            Some((group, next)) => {
                groups.push(group);
                j = next;
            }
            None => break,
        }
    }
    let digits: usize = groups.iter().map(String::len).sum();
    (digits >= 7).then_some((groups, j))
}

/// A group said in words: "девятьсот шестнадцать" → "916", "ноль" → "0".
fn spoken_group(tokens: &[String], start: usize) -> Option<(String, usize)> {
    let mut value = 0u32;
    let mut room = 4;
    let mut j = start;
    while let Some(w) = tokens.get(j).and_then(|t| word(t)) {
        match w {
            Word::Unit(0) if j == start => return Some(("0".into(), j + 1)),
            Word::Unit(n) if room > 1 && n > 0 => {
                value += n;
                room = 0;
            }
            Word::Teen(n) if room > 2 => {
                value += n;
                room = 0;
            }
            Word::Ten(n) if room > 2 => {
                value += n;
                room = 2;
            }
            Word::Hundred(n) if room > 3 => {
                value += n;
                room = 3;
            }
            _ => break,
        }
        j += 1;
    }
    (j > start).then(|| (value.to_string(), j))
}

/// The Russian number in the groups, if they make one.
fn phone_in(groups: &[String]) -> Option<String> {
    let all: String = groups.concat();
    if let Some(phone) = normalise(&all) {
        return Some(phone);
    }
    // More digits than a phone: look for one starting at a group boundary.
    let mut offset = 0;
    for g in groups {
        let rest = &all[offset..];
        for len in [11, 10] {
            if let Some(phone) = rest.get(..len).and_then(normalise) {
                return Some(phone);
            }
        }
        offset += g.len();
    }
    None
}

fn normalise(digits: &str) -> Option<String> {
    match (digits.len(), digits.as_bytes().first()) {
        (11, Some(b'7' | b'8')) => Some(format!("+7{}", &digits[1..])),
        (10, Some(b'3' | b'4' | b'8' | b'9')) => Some(format!("+7{digits}")),
        _ => None,
    }
}
