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
}
