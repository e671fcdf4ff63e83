//! Properties: no input makes the extractors panic, and their work grows linearly.

use proptest::prelude::*;
use sva_nlu::{Now, understand};

fn now() -> Now {
    Now::parse_rfc3339("2026-11-25T12:00:00+03:00").unwrap()
}

/// The words the extractors react to, mixed into soups of caller speech.
const VOCABULARY: &[&str] = &[
    "восемь",
    "девятьсот",
    "шестнадцать",
    "сто",
    "двадцать",
    "три",
    "сорок",
    "пять",
    "ноль",
    "тысяч",
    "тысяча",
    "миллион",
    "миллиона",
    "полтора",
    "пол",
    "с",
    "половиной",
    "к",
    "млн",
    "от",
    "до",
    "рублей",
    "долларов",
    "лям",
    "косарь",
    "250",
    "000",
    "1,5",
    "+7",
    "11:30",
    "в",
    "половине",
    "третьего",
    "пятнадцатого",
    "января",
    "числа",
    "через",
    "неделю",
    "час",
    "после",
    "обеда",
    "завтра",
    "пятницу",
    "следующий",
    "утра",
    "дня",
    "да",
    "нет",
    "не",
    "наверное",
    "меня",
    "зовут",
    "саша",
    "вера",
    "собака",
    "точка",
    "ру",
    "гмейл",
    "тире",
    "перезвоните",
    "дорого",
    "оператор",
    "соедините",
    "робот",
    "подумать",
    "сколько",
    "стоит",
    "пришлите",
    "почту",
    "звоните",
    "больше",
    "😀",
    "ё",
    "-",
    ",",
    "@",
    ".",
    "плюс",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 0..60).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let u = understand(&text, &now());
        prop_assert_eq!(u.text, text);
    }

    #[test]
    fn caller_like_soups_never_panic(text in soup()) {
        let u = understand(&text, &now());
        for phone in &u.phones {
            prop_assert!(phone.starts_with("+7") && phone.len() == 12, "{}", phone);
        }
        for date in &u.dates {
            prop_assert_eq!(date.date.len(), 10);
        }
        for email in &u.emails {
            prop_assert!(email.contains('@'));
        }
    }

    #[test]
    fn any_rfc3339_like_now_parses_or_errs(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})") {
        if let Ok(now) = Now::parse_rfc3339(&s) {
            let _ = understand("завтра в три через месяц пятнадцатого января", &now);
        }
    }
}

#[test]
fn results_grow_with_the_input_and_long_lines_finish() {
    let unit = "перезвоните по номеру восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь бюджет полтора миллиона ";
    let one = understand(unit, &now());
    assert_eq!(one.phones, ["+79161234567"]);
    // Every extractor walks the tokens once with bounded look-ahead, so a line 1000 times
    // longer is 1000 times the work and finds every repetition's amount.
    let long = unit.repeat(1000);
    assert!(long.len() > 100_000);
    let many = understand(&long, &now());
    assert_eq!(many.money.len(), 1000);
    assert_eq!(many.phones, ["+79161234567"], "duplicates are collapsed");
    // A pathological run of numerals with no structure.
    let numerals = "пять ".repeat(50_000);
    let _ = understand(&numerals, &now());
    let noise = "собака точка ".repeat(20_000);
    let _ = understand(&noise, &now());
}
