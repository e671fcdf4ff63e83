//! First names, in any case form and as diminutives, returned in the full nominative
//! ("саша" → "Александр", "ольге" → "Ольга").
//!
//! A word is turned back into the nominatives it could be a case form of ("ольге" →
//! "ольга", "павла" → "павел", "дмитрием" → "дмитрий") and each is looked up in a static
//! sorted table ([`NAMES`]): nothing is built at run time, which matters inside a scenario
//! module that starts fresh on every step. Names that are also ordinary words (Вера,
//! Надежда, Любовь, Роман, Лев, Слава, Роза, Марк, Семён…) count only in a naming context:
//! "меня зовут …", "это …", "я …", "с вами говорит …".

#[path = "names_table.rs"]
mod table;

use table::NAMES;

/// Words that set a naming context for the next word or two.
const CONTEXT: &[&str] = &[
    "зовут",
    "звать",
    "это",
    "я",
    "говорит",
    "имя",
    "меня",
    "именем",
    "зовите",
    "спросите",
];

/// Case endings and what replaces them in the nominative.
const ENDINGS: &[(&str, &str)] = &[
    // -а names: Ольга → ольги, ольге, ольгу, ольгой; Анна → анны.
    ("ы", "а"),
    ("и", "а"),
    ("е", "а"),
    ("у", "а"),
    ("ой", "а"),
    ("ою", "а"),
    // -я names: Наталья, Мария → натальи, наталье, наталью, натальей, марии, марией.
    ("и", "я"),
    ("е", "я"),
    ("ю", "я"),
    ("ей", "я"),
    ("ею", "я"),
    // consonant names: Иван → ивана, ивану, иваном, иване.
    ("а", ""),
    ("у", ""),
    ("ом", ""),
    ("е", ""),
    // -й names: Андрей, Дмитрий → андрея, андрею, андреем, андрее, дмитрии.
    ("я", "й"),
    ("ю", "й"),
    ("ем", "й"),
    ("е", "й"),
    ("и", "й"),
    // -ь names: Игорь, Любовь → игоря, игорю, игорем, игоре, любови, любовью.
    ("я", "ь"),
    ("ю", "ь"),
    ("ем", "ь"),
    ("е", "ь"),
    ("и", "ь"),
    ("ью", "ь"),
];

/// The table entry for a nominative form.
fn lookup(nominative: &str) -> Option<(&'static str, bool)> {
    NAMES
        .binary_search_by(|(form, _, _)| form.as_bytes().cmp(nominative.as_bytes()))
        .ok()
        .map(|i| (NAMES[i].1, NAMES[i].2))
}

/// Stems whose nominative has a vowel the case forms drop: павла → павел, льва → лев.
const FLEETING: &[(&str, &str)] = &[("павл", "павел"), ("льв", "лев")];

/// Whether some name in the table starts with the word's first two letters. Every form
/// [`name_of`] tries keeps them (the stem is at least two letters), except where a
/// [`FLEETING`] vowel changes them: so a word that fails this is no name, and costs one
/// binary search instead of a lookup per case ending.
fn may_be_name(word: &str) -> bool {
    if FLEETING.iter().any(|(stem, _)| word.starts_with(stem)) {
        return true;
    }
    let two = word.char_indices().nth(2).map_or(word, |(i, _)| &word[..i]);
    let i = NAMES.partition_point(|(form, _, _)| form.as_bytes() < two.as_bytes());
    NAMES
        .get(i)
        .is_some_and(|(form, _, _)| form.starts_with(two))
}

/// The name a word is a form of, if any.
fn name_of(word: &str) -> Option<(&'static str, bool)> {
    if !may_be_name(word) {
        return None;
    }
    if let Some(found) = lookup(word) {
        return Some(found);
    }
    let mut candidate = String::with_capacity(word.len() + 4);
    for (ending, nominative) in ENDINGS {
        let Some(stem) = word.strip_suffix(ending) else {
            continue;
        };
        if stem.chars().count() < 2 {
            continue;
        }
        candidate.clear();
        match FLEETING.iter().find(|(s, _)| *s == stem) {
            Some((_, full)) if nominative.is_empty() => candidate.push_str(full),
            _ => {
                candidate.push_str(stem);
                candidate.push_str(nominative);
            }
        }
        if let Some(found) = lookup(&candidate) {
            return Some(found);
        }
    }
    None
}

/// First names in `tokens`, full nominative forms, each once.
pub(crate) fn extract(tokens: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let Some((full, ambiguous)) = name_of(t) else {
            continue;
        };
        let in_context = tokens[i.saturating_sub(2)..i]
            .iter()
            .any(|w| CONTEXT.contains(&w.as_str()))
            || tokens
                .get(i + 1)
                .is_some_and(|w| w == "зовут" || w == "меня");
        if ambiguous && !in_context {
            continue;
        }
        if !out.iter().any(|n| n == full) && out.len() < crate::MAX_PER_KIND {
            out.push(full.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_unique() {
        for pair in NAMES.windows(2) {
            assert!(
                pair[0].0.as_bytes() < pair[1].0.as_bytes(),
                "{} before {}",
                pair[0].0,
                pair[1].0
            );
        }
    }

    #[test]
    fn case_forms_lead_back_to_the_name() {
        for (form, name) in [
            ("ольги", "Ольга"),
            ("анны", "Анна"),
            ("павла", "Павел"),
            ("дмитрия", "Дмитрий"),
            ("дмитрием", "Дмитрий"),
            ("наталью", "Наталья"),
            ("марию", "Мария"),
            ("игорем", "Игорь"),
            ("ивану", "Иван"),
            ("льва", "Лев"),
            ("любови", "Любовь"),
            ("илье", "Илья"),
        ] {
            assert_eq!(name_of(form).map(|(n, _)| n), Some(name), "{form}");
        }
        // The two-letter prefilter never hides a name: every form of every name passes.
        for (form, _, _) in NAMES {
            assert!(may_be_name(form), "{form}");
            for (ending, nominative) in ENDINGS {
                if let Some(stem) = form.strip_suffix(nominative)
                    && stem.chars().count() >= 2
                {
                    let inflected = format!("{stem}{ending}");
                    assert!(may_be_name(&inflected), "{inflected}");
                }
            }
        }
        assert!(!may_be_name("бюджет") && !may_be_name("где"));
        for word in ["склад", "система", "бюджет", "света", "гены"] {
            assert!(
                name_of(word).is_none_or(|(_, ambiguous)| ambiguous),
                "{word}"
            );
        }
    }
}
