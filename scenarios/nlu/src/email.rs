//! E-mail addresses, written or spelled out.
//!
//! Spelled: "пётр собака гмейл точка ком" → `petr@gmail.com`. `собака` / `эт` / `at` is
//! `@`, `точка` / `дот` is `.`, `тире` / `дефис` is `-`, `подчеркивание` is `_`; Cyrillic
//! words are transliterated; the usual mail services said in Russian ("яндекс", "мейл",
//! "гмейл", "рамблер") become their domains, and a known service said without its zone
//! gets it (`собака яндекс` → `@yandex.ru`).

use crate::numbers::{Word, cardinal, word};

const AT: &[&str] = &["собака", "собачка", "собаку", "эт", "at", "собачкой"];
const DOT: &[&str] = &["точка", "дот", "dot"];
/// At most this many words are read as one domain.
const MAX_LABELS: usize = 8;
/// Words that end the local part when read backwards from `@`.
const BEFORE: &[&str] = &[
    "почта",
    "почту",
    "почты",
    "адрес",
    "email",
    "имейл",
    "емейл",
    "мейл",
    "ящик",
    "это",
    "моя",
    "мой",
    "пишите",
    "записывайте",
    "запишите",
    "отправляйте",
    "присылайте",
    "на",
    "вот",
    "так",
    "электронка",
    "электронная",
    "электронную",
    "адрес",
    "ну",
    "и",
];

fn service(w: &str) -> Option<(&'static str, &'static str)> {
    Some(match w {
        "яндекс" | "yandex" | "яндэкс" => ("yandex", "ru"),
        "гмейл" | "гмайл" | "джимейл" | "джимайл" | "гмэйл" | "джимэйл" | "gmail" => {
            ("gmail", "com")
        }
        "мейл" | "майл" | "мэйл" | "mail" => ("mail", "ru"),
        "рамблер" | "rambler" => ("rambler", "ru"),
        "бк" | "bk" => ("bk", "ru"),
        "инбокс" | "inbox" => ("inbox", "ru"),
        "лист" | "list" => ("list", "ru"),
        "аутлук" | "outlook" => ("outlook", "com"),
        "хотмейл" | "hotmail" => ("hotmail", "com"),
        "айклауд" | "icloud" => ("icloud", "com"),
        _ => return None,
    })
}

fn zone(w: &str) -> Option<&'static str> {
    Some(match w {
        "ру" | "ru" => "ru",
        "ком" | "com" | "кам" => "com",
        "нет" | "net" => "net",
        "орг" | "org" => "org",
        "рф" => "рф",
        "су" | "su" => "su",
        "бай" | "by" => "by",
        "кз" | "kz" => "kz",
        "ио" | "io" => "io",
        _ => return None,
    })
}

/// Latin for a Cyrillic word (a simple, common transliteration).
fn translit(w: &str) -> String {
    let mut out = String::new();
    for c in w.chars() {
        let latin = match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' => "i",
            'й' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "h",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "sch",
            'ы' => "y",
            'ю' => "yu",
            'я' => "ya",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => continue,
        };
        out.push_str(latin);
    }
    out
}

/// One spelled token as address text: separators, digits in words, or a transliteration.
fn piece(tokens: &[String], i: usize) -> Option<(String, usize)> {
    let t = tokens[i].as_str();
    if DOT.contains(&t) {
        return Some((".".into(), 1));
    }
    if matches!(t, "тире" | "дефис" | "минус") {
        return Some(("-".into(), 1));
    }
    if t == "нижнее" && tokens.get(i + 1).is_some_and(|n| n.starts_with("подчерк")) {
        return Some(("_".into(), 2));
    }
    if t.starts_with("подчерк") {
        return Some(("_".into(), 1));
    }
    if matches!(
        word(t),
        Some(Word::Unit(_) | Word::Teen(_) | Word::Ten(_) | Word::Hundred(_))
    ) && let Some(number) = cardinal(tokens, i).filter(|c| !c.scaled)
    {
        return Some(((number.value as u64).to_string(), number.end - i));
    }
    Some((translit(t), 1))
}

/// E-mail addresses in the raw text and in `tokens`.
pub(crate) fn extract(raw: &str, tokens: &[String]) -> Vec<String> {
    // Only a word with `@` can be a written address: the others are not lowercased.
    let mut out: Vec<String> = raw
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')'))
        .filter(|w| w.contains('@'))
        .map(|w| {
            w.trim_matches(|c: char| matches!(c, '.' | '!' | '?' | ':' | '"' | '\''))
                .to_lowercase()
        })
        .filter(|w| is_address(w))
        .take(crate::MAX_PER_KIND)
        .collect();
    for (at, _) in tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| AT.contains(&t.as_str()))
    {
        if out.len() >= crate::MAX_PER_KIND {
            break;
        }
        if let Some(address) = spelled(tokens, at)
            && !out.contains(&address)
        {
            out.push(address);
        }
    }
    out
}

fn spelled(tokens: &[String], at: usize) -> Option<String> {
    // Local part: the words just before `@`, back to a context word (at most 4).
    let mut start = at;
    while start > 0 && at - start < 4 && !BEFORE.contains(&tokens[start - 1].as_str()) {
        start -= 1;
    }
    let mut local = String::new();
    let mut i = start;
    while i < at {
        let (text, used) = piece(tokens, i)?;
        local.push_str(&text);
        i += used;
    }
    // Domain: the words after `@` while they look like one.
    let mut domain = String::new();
    let mut i = at + 1;
    let mut known_zone = None;
    let mut labels = 0;
    while i < tokens.len() && labels < MAX_LABELS {
        let t = tokens[i].as_str();
        labels += 1;
        if AT.contains(&t) {
            break;
        }
        if let Some((name, default_zone)) = service(t) {
            domain.push_str(name);
            known_zone = Some(default_zone);
            i += 1;
        } else if DOT.contains(&t) {
            match tokens.get(i + 1).map(String::as_str) {
                Some(next)
                    if !AT.contains(&next) && (zone(next).is_some() || service(next).is_none()) =>
                {
                    domain.push('.');
                    domain.push_str(&zone(next).map_or_else(|| translit(next), str::to_owned));
                    known_zone = None;
                    i += 2;
                }
                _ => break,
            }
        } else if domain.is_empty() {
            domain.push_str(&translit(t));
            i += 1;
        } else {
            break;
        }
    }
    if let Some(z) = known_zone.filter(|_| !domain.contains('.')) {
        domain.push('.');
        domain.push_str(z);
    }
    let address = format!("{local}@{domain}");
    is_address(&address).then_some(address)
}

/// local@domain.zone with sane characters.
fn is_address(w: &str) -> bool {
    let Some((local, domain)) = w.split_once('@') else {
        return false;
    };
    let ok_local = !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'))
        && !local.starts_with('.')
        && !local.ends_with('.');
    let parts: Vec<&str> = domain.split('.').collect();
    let ok_domain = parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && parts.last().is_some_and(|z| z.chars().count() >= 2);
    ok_local && ok_domain
}
