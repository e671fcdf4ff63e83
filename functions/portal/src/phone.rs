//! Communication matching.
//!
//! `crm.duplicate.findbycomm` follows the stricter reading of the docs
//! (`tutorials/crm/how-to-get-lists/search-by-phone-and-email`, August 2026: «метод
//! сравнивает номер целиком, игнорируя только добавочный»; `docs/bitrix24-rest.md` §5):
//! a number matches only as written, its extension cut off ([`comparable_phone`]);
//! e-mails are compared without case. The vendor's normaliser ([`normalize_phone`]) is
//! what the telephony methods use to recognise a number. List filters use neither
//! (exact match).

/// Normalises a phone number the way the portal indexes it; `None` if nothing is left.
///
/// 1. at least 10 characters starting with `+8`: the `+` becomes `00`;
/// 2. everything but digits and `#*,;` is removed;
/// 3. with 10 or more characters left, the prefix is rewritten: `80`/`81`/`82` kept, else
///    `00` stripped, else `011` stripped, else a leading `8` becomes `7`, else a leading `0`
///    is dropped;
/// 4. an extension (from `#` or `;`) is cut off.
pub(crate) fn normalize_phone(raw: &str) -> Option<String> {
    if raw.is_empty() {
        return None;
    }
    let prefixed;
    let mut s = raw;
    if raw.chars().count() >= 10 && raw.starts_with("+8") {
        prefixed = format!("00{}", &raw[1..]);
        s = &prefixed;
    }
    let mut n: String = s
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '#' | '*' | ',' | ';'))
        .collect();
    if n.len() >= 10 {
        if n.starts_with("80") || n.starts_with("81") || n.starts_with("82") {
            // kept as is
        } else if let Some(rest) = n.strip_prefix("00") {
            n = rest.to_owned();
        } else if let Some(rest) = n.strip_prefix("011") {
            n = rest.to_owned();
        } else if let Some(rest) = n.strip_prefix('8') {
            n = format!("7{rest}");
        } else if let Some(rest) = n.strip_prefix('0') {
            n = rest.to_owned();
        }
    }
    if let Some(cut) = n.find(['#', ';']) {
        n.truncate(cut);
    }
    (!n.is_empty()).then_some(n)
}

/// A number as `findbycomm` compares it: as written, without its extension (from `#`
/// or `;`) and surrounding blanks; `None` when nothing is left.
pub(crate) fn comparable_phone(raw: &str) -> Option<String> {
    let cut = raw.find(['#', ';']).map_or(raw, |at| &raw[..at]);
    let n = cut.trim();
    (!n.is_empty()).then(|| n.to_owned())
}

/// Normalises an e-mail address for matching.
pub(crate) fn normalize_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    (!e.is_empty()).then_some(e)
}

#[cfg(test)]
mod tests {
    use super::comparable_phone;
    use super::normalize_phone as n;

    #[test]
    fn findbycomm_compares_numbers_as_written_without_the_extension() {
        assert_eq!(
            comparable_phone("+78129999331#404812").as_deref(),
            Some("+78129999331")
        );
        assert_eq!(
            comparable_phone(" 8 (912) 345-67-89 ").as_deref(),
            Some("8 (912) 345-67-89")
        );
        assert_ne!(
            comparable_phone("89123456789"),
            comparable_phone("+79123456789")
        );
        assert_eq!(comparable_phone("#12"), None);
    }

    #[test]
    fn reference_table() {
        for same in [
            "+7 (912) 345-67-89",
            "89123456789",
            "79123456789",
            "8-912-345-67-89",
        ] {
            assert_eq!(n(same).as_deref(), Some("79123456789"), "{same}");
        }
        assert_ne!(n("01701234567"), n("491701234567"));
        assert_eq!(n("01701234567").as_deref(), Some("1701234567"));
        assert_eq!(n("+49 170 1234567").as_deref(), Some("491701234567"));
        assert_eq!(n("0049 170 1234567").as_deref(), Some("491701234567"));
        assert_eq!(n("011 44 20 7946 0958").as_deref(), Some("442079460958"));
        assert_eq!(n("+81 3 1234 5678").as_deref(), Some("81312345678"));
        assert_eq!(n("8 800 555-35-35").as_deref(), Some("78005553535"));
        assert_eq!(n("+7 912 345-67-89 #123").as_deref(), Some("79123456789"));
        assert_eq!(n("12345").as_deref(), Some("12345"));
        assert_eq!(n("call me"), None);
        assert_eq!(n(""), None);
    }
}
