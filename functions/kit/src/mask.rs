//! Masking of personal data for logs: phone numbers, names, e-mail addresses.
//!
//! Handlers mask what they log on purpose ([`mask_phone`], [`mask_name`]); the logging
//! writer applies [`mask_text`] to every emitted line as a safety net, so that a careless
//! `tracing::info!(caller = %phone)` never prints a full number.
//!
//! What [`mask_text`] treats as a phone number: a run of 7 or more digits, optionally
//! starting with `+` or `(`, in which digits may be separated by spaces, dashes or
//! brackets (at most two separators in a row), and which does not touch a hexadecimal
//! letter (directly or across dashes) or a decimal point, so that hashes, UUIDs and
//! fractions survive. ISO dates (`2026-05-01`) and UUIDs are never masked.
//!
//! The net is deliberately wide: a standalone number of 7 or more digits (a numeric id,
//! an amount written with spaces as `1 500 000`) is masked too. Ids that must stay
//! readable in logs should have letters next to their digits (UUIDs, `c7a91234567`).

use std::borrow::Cow;

/// The mask that replaces the hidden part.
const STARS: &str = "***";
/// A digit run shorter than this is not a phone number.
const MIN_PHONE_DIGITS: usize = 7;

/// Masks a phone number, keeping its country and operator code and the last four digits:
/// `"+79161234567"` → `"+7916***4567"`, `"8 (916) 123-45-67"` → `"8916***4567"`.
///
/// Shorter numbers keep less (`"9161234567"` → `"916***4567"`, `"1234567"` →
/// `"12***67"`); fewer than 7 digits are
/// masked whole (`"***"`). The leading `+` is kept, formatting is dropped.
pub fn mask_phone(phone: &str) -> String {
    let plus = phone.trim_start().starts_with('+');
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    mask_digits(plus, &digits)
}

/// Masks a person's name to its initials: `"Наталья"` → `"Н***"`,
/// `"Иван Петров"` → `"И*** П***"`.
pub fn mask_name(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().next())
        .map(|first| format!("{first}{STARS}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Masks an e-mail address, keeping the first character and the domain:
/// `"ivan.petrov@example.ru"` → `"i***@example.ru"`. A string without `@` is masked
/// whole.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => match local.chars().next() {
            Some(first) => format!("{first}{STARS}@{domain}"),
            None => format!("{STARS}@{domain}"),
        },
        None => STARS.to_owned(),
    }
}

/// Masks every phone-like digit run and every e-mail address inside free text (see the
/// module documentation for what counts as phone-like). Borrows the input when there is
/// nothing to mask.
///
/// `"звоните +7 (916) 123-45-67 или ivan@example.ru"` →
/// `"звоните +7916***4567 или i***@example.ru"`.
pub fn mask_text(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let has_at = bytes.contains(&b'@');
    let digit_count = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    if !has_at && digit_count < MIN_PHONE_DIGITS {
        return Cow::Borrowed(text);
    }
    let mut spans = if has_at {
        email_spans(text)
    } else {
        Vec::new()
    };
    if digit_count >= MIN_PHONE_DIGITS {
        let emails = spans.clone();
        spans.extend(phone_spans(text, &emails));
        spans.sort_by_key(|span| span.start);
    }
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in spans {
        out.push_str(&text[at..span.start]);
        out.push_str(&span.replacement);
        at = span.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// A byte range of the text and what replaces it.
#[derive(Clone, Debug)]
struct Span {
    start: usize,
    end: usize,
    replacement: String,
}

fn mask_digits(plus: bool, digits: &str) -> String {
    let n = digits.len();
    let (head, tail) = match n {
        11.. => (4, 4),
        10 => (3, 4),
        MIN_PHONE_DIGITS.. => (2, 2),
        _ => (0, 0),
    };
    let mut out = String::with_capacity(head + tail + 4);
    if plus {
        out.push('+');
    }
    // Digits are ASCII, so byte offsets are character offsets.
    out.push_str(digits.get(..head).unwrap_or_default());
    out.push_str(STARS);
    out.push_str(digits.get(n - tail..).unwrap_or_default());
    out
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '+' | '-' | '_' | '%')
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

/// Every e-mail address in the text, as spans to replace.
fn email_spans(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find('@') {
        let at = from + offset;
        from = at + 1;
        if spans.last().is_some_and(|s: &Span| at < s.end) {
            continue;
        }
        let before = &text[..at];
        let local_start = before
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_local_char(c))
            .last()
            .map_or(at, |(i, _)| i);
        let after = &text[at + 1..];
        let domain_len = after
            .char_indices()
            .take_while(|&(_, c)| is_domain_char(c))
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8());
        let domain = after[..domain_len].trim_end_matches(['.', '-']);
        let local = &text[local_start..at];
        let Some(first) = local.chars().next() else {
            continue;
        };
        let Some((_, tld)) = domain.rsplit_once('.') else {
            continue;
        };
        if tld.chars().count() < 2 || !tld.chars().all(char::is_alphabetic) {
            continue;
        }
        let end = at + 1 + domain.len();
        spans.push(Span {
            start: local_start,
            end,
            replacement: format!("{first}{STARS}@{domain}"),
        });
        from = end;
    }
    spans
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '(' | ')' | '\u{a0}')
}

/// True when `s` starts with an ISO date `dddd-dd-dd` not followed by another digit.
fn starts_with_iso_date(s: &[u8]) -> bool {
    let shape = b"dddd-dd-dd";
    s.len() >= shape.len()
        && shape.iter().zip(s).all(|(&want, &got)| match want {
            b'd' => got.is_ascii_digit(),
            other => got == other,
        })
        && !s.get(shape.len()).is_some_and(u8::is_ascii_digit)
}

/// True when `s` starts with a UUID (`8-4-4-4-12` hex digits) not followed by another
/// hex digit.
fn starts_with_uuid(s: &[u8]) -> bool {
    let shape = b"hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh";
    s.len() >= shape.len()
        && shape.iter().zip(s).all(|(&want, &got)| match want {
            b'h' => got.is_ascii_hexdigit(),
            other => got == other,
        })
        && !s.get(shape.len()).is_some_and(u8::is_ascii_hexdigit)
}

/// Do the characters before a digit run show that the digits belong to something else:
/// a hex token (`e5f6`, also joined by dashes as in a UUID), a decimal fraction?
fn foreign_before(text: &str, start: usize) -> bool {
    let before = &text[..start];
    let undashed = before.trim_end_matches('-');
    let mut chars = undashed.chars().rev();
    match chars.next() {
        Some(c) if c.is_ascii_hexdigit() => true,
        Some('.') if undashed.len() == before.len() => {
            chars.next().is_some_and(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// Do the characters after a digit run show that the digits belong to something else?
fn foreign_after(text: &str, end: usize) -> bool {
    let after = &text[end..];
    let undashed = after.trim_start_matches('-');
    let mut chars = undashed.chars();
    match chars.next() {
        Some(c) if c.is_ascii_hexdigit() => true,
        Some('.') if undashed.len() == after.len() => {
            chars.next().is_some_and(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// Every phone-like digit run outside the given e-mail spans.
fn phone_spans(text: &str, emails: &[Span]) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(email) = emails.iter().find(|s| s.start <= i && i < s.end) {
            i = email.end;
            continue;
        }
        let b = bytes[i];
        if !(b.is_ascii_digit() || b == b'+' || b == b'(') {
            i += 1;
            continue;
        }
        if starts_with_iso_date(&bytes[i..]) {
            i += 10;
            continue;
        }
        if starts_with_uuid(&bytes[i..]) {
            i += 36;
            continue;
        }
        // Scan the run: digits and separators, a `+` only first.
        let mut digits = String::new();
        let mut end = i; // just past the last digit
        let mut separators = 0;
        let mut j = i;
        for (offset, c) in text[i..].char_indices() {
            let pos = i + offset;
            if c.is_ascii_digit() {
                digits.push(c);
                end = pos + 1;
                separators = 0;
            } else if (c == '+' && pos == i) || (is_separator(c) && separators < 2) {
                if c != '+' {
                    separators += 1;
                }
            } else {
                break;
            }
            j = pos + c.len_utf8();
            if emails.iter().any(|s| s.start == j) {
                break;
            }
        }
        if digits.is_empty() {
            i = j.max(i + 1);
            continue;
        }
        let foreign = foreign_before(text, i) || foreign_after(text, end);
        if digits.len() >= MIN_PHONE_DIGITS && !foreign {
            spans.push(Span {
                start: i,
                end,
                replacement: mask_digits(bytes[i] == b'+', &digits),
            });
        }
        i = end.max(i + 1);
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_keeps_code_and_last_four() {
        assert_eq!(mask_phone("+79161234567"), "+7916***4567");
        assert_eq!(mask_phone("8 (916) 123-45-67"), "8916***4567");
        assert_eq!(mask_phone("1234567"), "12***67");
        assert_eq!(mask_phone("916 123-45-67"), "916***4567");
        assert_eq!(mask_phone("12345"), "***");
        assert_eq!(mask_phone(""), "***");
    }

    #[test]
    fn name_keeps_initials() {
        assert_eq!(mask_name("Наталья"), "Н***");
        assert_eq!(mask_name("Иван  Петров"), "И*** П***");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn email_keeps_first_char_and_domain() {
        assert_eq!(mask_email("ivan.petrov@example.ru"), "i***@example.ru");
        assert_eq!(mask_email("nobody"), "***");
    }

    #[test]
    fn text_masks_phones_in_many_formats() {
        let cases = [
            ("caller=+79161234567", "caller=+7916***4567"),
            ("звоните +7 (916) 123-45-67!", "звоните +7916***4567!"),
            ("номер 8-916-123-45-67.", "номер 8916***4567."),
            ("tel:89161234567", "tel:8916***4567"),
            ("(916) 123 45 67", "916***4567"),
            ("короткий 123-45-67 номер", "короткий 12***67 номер"),
            ("\"phone\":\"+79161234567\"", "\"phone\":\"+7916***4567\""),
            ("line\\n79161234567", "line\\n7916***4567"),
            ("phone 79161234567x", "phone 7916***4567x"),
            ("номер79161234567руб", "номер7916***4567руб"),
        ];
        for (input, want) in cases {
            assert_eq!(mask_text(input), want, "input: {input}");
        }
    }

    #[test]
    fn text_masks_emails() {
        assert_eq!(
            mask_text("write to ivan.petrov@example.ru."),
            "write to i***@example.ru."
        );
        assert_eq!(mask_text("a: \"олег@почта.рф\""), "a: \"о***@почта.рф\"");
        assert_eq!(mask_text("user79161234567@mail.ru"), "u***@mail.ru");
        // Not an address: no dot in the domain, or a one-letter top-level domain.
        assert_eq!(mask_text("user@localhost"), "user@localhost");
        assert_eq!(mask_text("a@b.c"), "a@b.c");
    }

    #[test]
    fn text_leaves_non_phone_numbers_alone() {
        let untouched = [
            "2026-05-01T12:34:56.123456Z",
            "calls/acme/2026-05-01/c1.json",
            "latency=123456 status=200",
            "sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "id=550e8400-e29b-41d4-a716-446655440000",
            "ratio=0.123456789",
            "sum=1234567.89",
            "hash=ab12345678cd",
            "ip 127.0.0.1:8080",
            "",
            "нет цифр",
        ];
        for input in untouched {
            assert_eq!(mask_text(input), input, "input: {input}");
        }
        assert!(matches!(mask_text("plain text"), Cow::Borrowed(_)));
    }

    #[test]
    fn uuids_are_never_masked() {
        // A small LCG: deterministic pseudo-random UUIDs, some with all-digit groups.
        let mut state: u64 = 0x5eed;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 33
        };
        for round in 0..5000 {
            let hex = if round % 3 == 0 {
                "0123456789"
            } else {
                "0123456789abcdef"
            };
            let mut uuid = String::new();
            for (g, len) in [8, 4, 4, 4, 12].into_iter().enumerate() {
                if g > 0 {
                    uuid.push('-');
                }
                for _ in 0..len {
                    let digit = usize::try_from(next()).unwrap() % hex.len();
                    uuid.push(char::from(hex.as_bytes()[digit]));
                }
            }
            for line in [
                format!("{{\"request_id\":\"{uuid}\"}}"),
                format!("request_id={uuid} status=200"),
                uuid.clone(),
            ] {
                assert_eq!(mask_text(&line), line);
            }
        }
    }

    #[test]
    fn text_masks_several_items() {
        assert_eq!(
            mask_text("from +79161234567 to +79037654321, cc a@b.ru"),
            "from +7916***4567 to +7903***4321, cc a***@b.ru"
        );
    }
}
