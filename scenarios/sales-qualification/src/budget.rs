//! The budget slot: what the caller said, whole — a figure, a range, a guess — and how it
//! is said back.
//!
//! The value is `{"amount", "currency"}` for a figure; a range adds `"min"` and `"max"`,
//! and `amount` is then the upper figure (the most the caller named, which is what a
//! manager sizes an offer to and what the CRM writes as the deal's amount); a hedged
//! amount («где-то», «может полтора») adds `"approximate": true`.

use serde_json::{Value, json};
use sva_sdk::nlu::Money;

/// The slot value for `money`.
pub(crate) fn value(money: &Money) -> Value {
    let mut value = match money.upper {
        Some(upper) => json!({
            "amount": upper,
            "currency": money.currency,
            "min": money.amount,
            "max": upper,
        }),
        None => json!({ "amount": money.amount, "currency": money.currency }),
    };
    if money.approximate {
        value["approximate"] = json!(true);
    }
    value
}

/// Speakable budget: «1 500 000 рублей», «от 1 000 000 до 1 500 000 рублей», «около
/// 2 000 000 рублей».
///
/// Built without `format!`: the formatting machinery calls through function pointers,
/// and in a fresh instance every distinct function called that way costs the host a lazy
/// table initialisation (docs/performance.md).
pub(crate) fn spoken(v: &Value) -> String {
    let figure = |key: &str| v.get(key).and_then(Value::as_u64);
    let currency = match v.get("currency").and_then(Value::as_str) {
        Some("USD") => "долларов",
        Some("EUR") => "евро",
        _ => "рублей",
    };
    let mut spoken = String::with_capacity(48);
    match (figure("min"), figure("max")) {
        (Some(min), Some(max)) => {
            spoken.push_str("от ");
            spoken.push_str(&grouped_digits(min));
            spoken.push_str(" до ");
            spoken.push_str(&grouped_digits(max));
        }
        _ => {
            if v.get("approximate").and_then(Value::as_bool) == Some(true) {
                spoken.push_str("около ");
            }
            spoken.push_str(&grouped_digits(figure("amount").unwrap_or(0)));
        }
    }
    spoken.push(' ');
    spoken.push_str(currency);
    spoken
}

/// `n` in digits, in groups of three: "1 500 000".
pub(crate) fn grouped_digits(mut n: u64) -> String {
    let mut digits = Vec::with_capacity(20);
    loop {
        digits.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut grouped = String::with_capacity(26);
    for (place, &digit) in digits.iter().enumerate().rev() {
        grouped.push(char::from(digit));
        if place > 0 && place % 3 == 0 {
            grouped.push(' ');
        }
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;
    use sva_sdk::nlu::{Now, Utterance};

    fn money(text: &str) -> Money {
        let now = Now::parse_rfc3339("2026-11-25T12:00:00+03:00").unwrap();
        Utterance::new(text, now).money()[0].clone()
    }

    #[test]
    fn amounts_are_spoken_in_groups_of_three() {
        for (amount, spoken) in [
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1000, "1 000"),
            (25_000, "25 000"),
            (1_500_000, "1 500 000"),
            (u64::MAX, "18 446 744 073 709 551 615"),
        ] {
            assert_eq!(grouped_digits(amount), spoken);
        }
        assert_eq!(
            super::spoken(&json!({"amount": 5000, "currency": "USD"})),
            "5 000 долларов"
        );
        assert_eq!(super::spoken(&json!({"amount": 700})), "700 рублей");
    }

    #[test]
    fn ranges_hedges_and_inverted_numerals_are_kept_whole() {
        let range = value(&money("миллион может полтора"));
        assert_eq!(
            range,
            json!({"amount": 1_500_000, "currency": "RUB", "min": 1_000_000, "max": 1_500_000, "approximate": true})
        );
        assert_eq!(super::spoken(&range), "от 1 000 000 до 1 500 000 рублей");
        let hedged = value(&money("миллиона два где-то"));
        assert_eq!(
            hedged,
            json!({"amount": 2_000_000, "currency": "RUB", "approximate": true})
        );
        assert_eq!(super::spoken(&hedged), "около 2 000 000 рублей");
        let plain = value(&money("пятьсот тысяч"));
        assert_eq!(plain, json!({"amount": 500_000, "currency": "RUB"}));
    }
}
