//! Telephone numbers: the one E.164 rule of the whole product.
//!
//! A number is E.164 when it is `+` and 8 to 15 digits. The ITU's E.164 caps a number
//! at 15 digits and sets no minimum; 8 admits the shortest numbers in use in countries
//! callers may have (Russian numbers have 11). The host refuses a transfer to anything
//! else, and the admin API refuses such a manager's number.

/// Whether `s` is a number in E.164 form: `+` and 8–15 digits, nothing else.
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A number as people write it, in E.164: separators dropped, Russian trunk prefixes
/// rewritten (`8 916 …` → `+7 916 …`, ten digits → `+7 …`); `None` when it is not a
/// number.
pub fn to_e164(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let plus = raw.starts_with('+');
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let international = match digits.len() {
        11 if !plus && digits.starts_with('8') => format!("7{}", &digits[1..]),
        10 if !plus => format!("7{digits}"),
        8..=15 => digits,
        _ => return None,
    };
    let number = format!("+{international}");
    is_e164(&number).then_some(number)
}

/// Why a spelling is not a Russian subscriber's number ([`russian_e164`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RussianNumberError {
    /// Nothing was written.
    #[error("номер не указан")]
    Empty,
    /// An extension (`доб.`, `ext`, `#`, a second number after `,`/`;`): a campaign cannot
    /// dial past a switchboard.
    #[error("номер с добавочным или несколько номеров в одной ячейке")]
    Extension,
    /// Letters or symbols that are not part of a number.
    #[error("в номере есть посторонние символы")]
    Garbage,
    /// A country code other than Russia's +7 (Kazakhstan's +7 6xx/7xx included).
    #[error("номер не российский")]
    NotRussian,
    /// Too few or too many digits for a Russian number.
    #[error("в номере не хватает цифр или они лишние")]
    Length,
    /// A national number whose first digit no subscriber number has (0, 1, 2, 5, 6, 7).
    #[error("такого кода в российском плане нумерации нет")]
    BadCode,
    /// A non-geographic service number (8-80x: free phone, premium): not a subscriber.
    #[error("номер 8-80x — служебный, не абонентский")]
    ServiceNumber,
}

impl RussianNumberError {
    /// The machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Extension => "extension",
            Self::Garbage => "garbage",
            Self::NotRussian => "not_russian",
            Self::Length => "length",
            Self::BadCode => "bad_code",
            Self::ServiceNumber => "service_number",
        }
    }
}

/// A Russian subscriber's number as people and spreadsheets write it, in E.164
/// (`+7` and ten digits): `+7 (916) 123-45-67`, `8 916 123 45 67`, `89161234567`,
/// `9161234567`, `+7-916-…`, `7 916…`. Stricter than [`to_e164`]: only `+` (first),
/// digits, spaces, brackets, dashes and dots are allowed; the national number must start
/// with a geographic (3, 4, 8) or mobile (9) code and not be an 8-80x service number.
pub fn russian_e164(raw: &str) -> Result<String, RussianNumberError> {
    let raw = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if raw.is_empty() {
        return Err(RussianNumberError::Empty);
    }
    let lower = raw.to_lowercase();
    if ["доб", "ext", "вн.", "#", ",", ";", "x", "/"]
        .iter()
        .any(|m| lower.contains(m))
    {
        return Err(RussianNumberError::Extension);
    }
    let mut digits = String::with_capacity(11);
    for (i, c) in raw.char_indices() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '\u{a0}' | '\t' | '(' | ')' | '-' | '.' | '\u{2013}' | '\u{2014}' => {}
            _ => return Err(RussianNumberError::Garbage),
        }
    }
    let plus = raw.starts_with('+');
    let national = match (plus, digits.len()) {
        (true, 11) if digits.starts_with('7') => &digits[1..],
        (true, _) if !digits.is_empty() && !digits.starts_with('7') => {
            return Err(RussianNumberError::NotRussian);
        }
        (false, 11) if digits.starts_with('7') || digits.starts_with('8') => &digits[1..],
        // No geographic code starts with 89: `89…` of ten digits is 8-9xx with a digit lost.
        (false, 10) if digits.starts_with("89") => return Err(RussianNumberError::Length),
        (false, 10) => &digits[..],
        // 8 10 … is the old international prefix: a foreign number.
        (false, _) if digits.starts_with("810") => return Err(RussianNumberError::NotRussian),
        _ => return Err(RussianNumberError::Length),
    };
    match national.as_bytes()[0] {
        b'3' | b'4' | b'9' => {}
        b'8' if national.starts_with("80") => return Err(RussianNumberError::ServiceNumber),
        b'8' => {}
        // +7 6xx / 7xx are Kazakhstan's.
        b'6' | b'7' => return Err(RussianNumberError::NotRussian),
        _ => return Err(RussianNumberError::BadCode),
    }
    Ok(format!("+7{national}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_is_a_plus_and_eight_to_fifteen_digits() {
        assert!(is_e164("+79161234567"));
        assert!(is_e164("+12345678"));
        assert!(is_e164("+123456789012345"));
        for bad in [
            "79161234567",
            "+7916123456a",
            "+1234567",
            "+1234567890123456",
            "+",
            "",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }

    #[test]
    fn common_spellings_are_written_in_e164() {
        for (raw, expected) in [
            ("+7 (916) 123-45-67", Some("+79161234567")),
            ("89161234567", Some("+79161234567")),
            ("79161234567", Some("+79161234567")),
            ("9161234567", Some("+79161234567")),
            ("+49 170 1234567", Some("+491701234567")),
            ("12", None),
            ("", None),
        ] {
            assert_eq!(to_e164(raw).as_deref(), expected, "{raw}");
        }
    }
    #[test]
    fn russian_spellings_are_normalised_and_the_rest_refused_with_a_code() {
        for raw in [
            "+7 (916) 123-45-67",
            "8 916 123 45 67",
            "89161234567",
            "9161234567",
            "+7-916-123-45-67",
            "7 916 123 45 67",
            " 8(916)123.45.67 ",
            "+79161234567",
        ] {
            assert_eq!(russian_e164(raw).as_deref(), Ok("+79161234567"), "{raw}");
        }
        assert_eq!(
            russian_e164("8 (4012) 12-34-56").as_deref(),
            Ok("+74012123456")
        );
        for (raw, err) in [
            ("", RussianNumberError::Empty),
            ("   ", RussianNumberError::Empty),
            ("+7 916 123-45-67 доб. 12", RussianNumberError::Extension),
            ("+7 916 123-45-67 ext 5", RussianNumberError::Extension),
            ("89161234567, 89161234568", RussianNumberError::Extension),
            ("тел 89161234567", RussianNumberError::Garbage),
            ("8916123456?", RussianNumberError::Garbage),
            ("+49 170 1234567", RussianNumberError::NotRussian),
            ("+7 701 123 45 67", RussianNumberError::NotRussian),
            ("8 10 49 170 123456", RussianNumberError::NotRussian),
            ("8916123456", RussianNumberError::Length),
            ("+7916123456", RussianNumberError::Length),
            ("891612345678", RussianNumberError::Length),
            ("8 800 555 35 35", RussianNumberError::ServiceNumber),
            ("8 216 123 45 67", RussianNumberError::BadCode),
            ("12", RussianNumberError::Length),
            ("+", RussianNumberError::Length),
        ] {
            assert_eq!(russian_e164(raw), Err(err), "{raw}");
            assert!(!err.code().is_empty() && !err.to_string().is_empty());
        }
    }
}
