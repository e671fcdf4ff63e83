//! The spellings of a number `findbycomm` is asked with.
//!
//! Since August 2026 Bitrix24's docs say the duplicate search compares a number as
//! written, ignoring only its extension (`docs/bitrix24-rest.md` §5), while the vendor's
//! code it was read from normalises both sides. Both readings are served by asking for
//! every common way a person or a form writes the number: `+7…`, `7…`, `8…`, ten digits,
//! with brackets, spaces and dashes — at most 20 values, the method's limit.

/// A CRM record's numbers: the values of its `PHONE` multifield ([`multifield`]), in
/// order.
pub fn numbers(record: &serde_json::Value) -> Vec<String> {
    multifield(&record["PHONE"])
        .into_iter()
        .map(|(_, v)| v.to_owned())
        .collect()
}

/// The non-empty values of a CRM record's `PHONE` multifield
/// (`[{"VALUE": "+7…", "VALUE_TYPE": "WORK"}, …]`), trimmed, each with its `VALUE_TYPE`.
pub fn multifield(field: &serde_json::Value) -> Vec<(&str, &str)> {
    field
        .as_array()
        .map(|values| {
            values
                .iter()
                .filter_map(|v| {
                    let value = v["VALUE"].as_str()?.trim();
                    (!value.is_empty())
                        .then_some((v["VALUE_TYPE"].as_str().unwrap_or_default(), value))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The most values one `findbycomm` takes.
pub const MAX_VALUES: usize = 20;

/// The spellings of E.164 numbers, the first number's first, at most [`MAX_VALUES`].
pub fn spellings(numbers: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let per_number: Vec<Vec<String>> = numbers.iter().map(|n| of(n)).collect();
    // The first (dictated) number gets its common forms before the others get theirs,
    // then every number's rarer forms in turn.
    let longest = per_number.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..longest {
        for forms in &per_number {
            if let Some(form) = forms.get(i)
                && !out.contains(form)
                && out.len() < MAX_VALUES
            {
                out.push(form.clone());
            }
        }
    }
    out
}

/// The spellings of one E.164 number: 20 for a Russian one, the number with and without
/// its plus for any other.
fn of(e164: &str) -> Vec<String> {
    let digits = e164.trim_start_matches('+');
    let Some(n) = digits.strip_prefix('7').filter(|n| n.len() == 10) else {
        return vec![format!("+{digits}"), digits.to_owned()];
    };
    let (a, b, c, d) = (&n[..3], &n[3..6], &n[6..8], &n[8..10]);
    vec![
        format!("+7{n}"),
        format!("8{n}"),
        format!("7{n}"),
        format!("+7 ({a}) {b}-{c}-{d}"),
        format!("8 ({a}) {b}-{c}-{d}"),
        format!("+7 {a} {b}-{c}-{d}"),
        format!("8 {a} {b}-{c}-{d}"),
        n.to_owned(),
        format!("+7 {a} {b} {c} {d}"),
        format!("8 {a} {b} {c} {d}"),
        format!("+7({a}){b}-{c}-{d}"),
        format!("8({a}){b}-{c}-{d}"),
        format!("7 ({a}) {b}-{c}-{d}"),
        format!("+7-{a}-{b}-{c}-{d}"),
        format!("8-{a}-{b}-{c}-{d}"),
        format!("({a}) {b}-{c}-{d}"),
        format!("+7 ({a}) {b}{c}{d}"),
        format!("8 ({a}) {b}{c}{d}"),
        format!("7 {a} {b}-{c}-{d}"),
        format!("+7 {a} {b}{c}{d}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_multifield_gives_its_non_empty_values_with_their_types() {
        let field = serde_json::json!([
            {"ID": "1", "VALUE": " +7 916 123-45-67 ", "VALUE_TYPE": "WORK"},
            {"ID": "2", "VALUE": "  ", "VALUE_TYPE": "HOME"},
            {"ID": "3", "VALUE": "89161112233"}
        ]);
        assert_eq!(
            multifield(&field),
            vec![("WORK", "+7 916 123-45-67"), ("", "89161112233")]
        );
        assert!(multifield(&serde_json::Value::Null).is_empty());
    }

    #[test]
    fn a_russian_number_is_asked_for_in_twenty_spellings() {
        let forms = spellings(&["+79161234567".into()]);
        assert_eq!(forms.len(), MAX_VALUES);
        for written in [
            "+79161234567",
            "89161234567",
            "79161234567",
            "9161234567",
            "+7 (916) 123-45-67",
            "8 (916) 123-45-67",
            "8 916 123-45-67",
            "+7 916 123 45 67",
        ] {
            assert!(forms.iter().any(|f| f == written), "{written}");
        }
    }

    #[test]
    fn two_numbers_share_the_limit_with_the_first_one_first() {
        let forms = spellings(&["+79161234567".into(), "+4917012345678".into()]);
        assert_eq!(forms.len(), MAX_VALUES);
        assert_eq!(
            forms[..3],
            ["+79161234567", "+4917012345678", "89161234567"]
        );
        assert!(forms.contains(&"4917012345678".to_owned()));
        assert!(spellings(&[]).is_empty());
    }
}
