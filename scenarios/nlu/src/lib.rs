//! `sva-nlu`: understanding of Russian caller utterances as written by the
//! speech recogniser (lowercase, little punctuation, numbers in words or digits).
//!
//! Every extractor is a pure function of the text (and, for dates, of a reference
//! [`Now`]); nothing does I/O, reads the clock or spawns threads, so the crate
//! builds for `wasm32-unknown-unknown`. See `docs/nlu.md` for the rules.

mod answer;
mod callee;
mod date;
mod email;
mod intent;
mod money;
mod name;
mod numbers;
mod phone;
mod text;
mod utterance;

use serde::Serialize;

pub use utterance::Utterance;

/// At most this many phones, dates, names and e-mails are returned per utterance (a
/// caller never says more; the bound keeps de-duplication constant-time).
pub const MAX_PER_KIND: usize = 16;

/// Errors returned by the crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NluError {
    /// The reference time is not a valid RFC 3339 date-time.
    #[error("invalid RFC 3339 date-time: {0}")]
    InvalidNow(String),
}

/// The reference "now": a civil date-time with a UTC offset, parsed from RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Year, e.g. 2026.
    pub year: i32,
    /// Month, 1..=12.
    pub month: u32,
    /// Day of month, 1..=31.
    pub day: u32,
    /// Hour, 0..=23.
    pub hour: u32,
    /// Minute, 0..=59.
    pub minute: u32,
    /// Second, 0..=60.
    pub second: u32,
    /// Offset from UTC in minutes (e.g. 180 for `+03:00`).
    pub offset_minutes: i32,
}

impl Now {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
    pub fn parse_rfc3339(s: &str) -> Result<Now, NluError> {
        let invalid = || NluError::InvalidNow(s.to_string());
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Result<u32, NluError> {
            let part = s.get(r).ok_or_else(invalid)?;
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| invalid())
            } else {
                Err(invalid())
            }
        };
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't' | b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(invalid());
        }
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let mut rest = &s[19..];
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(invalid());
            }
            rest = &frac[digits..];
        }
        let offset_minutes = match rest {
            "Z" | "z" => 0,
            _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
                let sign = match rest.as_bytes()[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return Err(invalid()),
                };
                let (h, m) = (num(s.len() - 5..s.len() - 3)?, num(s.len() - 2..s.len())?);
                if h > 23 || m > 59 {
                    return Err(invalid());
                }
                sign * (h * 60 + m) as i32
            }
            _ => return Err(invalid()),
        };
        let year = year as i32;
        if !(1..=12).contains(&month)
            || day == 0
            || day > date::days_in_month(i64::from(year), month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return Err(invalid());
        }
        Ok(Now {
            year,
            month,
            day,
            hour,
            minute,
            second,
            offset_minutes,
        })
    }
}

/// Everything understood in one utterance (more may be added: build one with
/// [`understand`] or `Understanding::default()`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Understanding {
    /// The input text, unchanged.
    pub text: String,
    /// Amounts of money, in order of appearance.
    pub money: Vec<Money>,
    /// Phone numbers in E.164.
    pub phones: Vec<String>,
    /// Dates (and times) relative to the reference now.
    pub dates: Vec<DateTime>,
    /// A yes / no / maybe answer, if the utterance is one.
    pub answer: Option<Answer>,
    /// First names, capitalised nominative full forms.
    pub names: Vec<String>,
    /// E-mail addresses.
    pub emails: Vec<String>,
    /// Intents, in a fixed order.
    pub intents: Vec<Intent>,
    /// Whether the caller asks a question about the product ([`is_question`]).
    pub question: bool,
    /// Whether the caller corrects something said before ([`is_correction`]).
    pub correction: bool,
}

/// An amount of money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Money {
    /// Whole units; the lower bound for a range.
    pub amount: u64,
    /// Currency (roubles unless another one was said).
    pub currency: Currency,
    /// Upper bound for a range: "от … до …", "миллион, может полтора".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upper: Option<u64>,
    /// The caller guessed: a hedge near the amount ("где-то", "около", "примерно") or a
    /// guessed range ("миллион, может полтора"). For scenarios; not part of the
    /// serialised shape (`sva nlu extract` and the acceptance set compare it whole).
    #[serde(skip)]
    pub approximate: bool,
}

/// Currency of an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    /// Russian roubles.
    Rub,
    /// US dollars.
    Usd,
    /// Euro.
    Eur,
}

/// A civil date, optionally with a time, in the reference now's offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DateTime {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`, or `None` when no time was said.
    pub time: Option<String>,
}

/// A yes / no / maybe answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// Agreement.
    Yes,
    /// Refusal.
    No,
    /// Hesitation.
    Maybe,
}

/// What the caller wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Wants a human.
    Operator,
    /// Asks to be called back later.
    Callback,
    /// Not interested.
    NotInterested,
    /// Asks about the price.
    PriceQuestion,
    /// Asks to send something by e-mail.
    SendEmail,
    /// Asks to repeat.
    Repeat,
    /// Asks whether this is a robot.
    IsRobot,
    /// Wants to think about it.
    ThinkAboutIt,
    /// Finds it too expensive.
    ObjectionPrice,
    /// Asks never to be called again (or says they never agreed to calls).
    DoNotCall,
    /// Asks who is calling and why («кто это?», «с кем я говорю?», «по какому вопросу?»).
    WhoIsCalling,
    /// Asks where the caller got their number («откуда у вас мой номер?»).
    NumberSource,
    /// The one who picked up is not the person called, or the number is wrong («вы
    /// ошиблись», «здесь такого нет», «это не я»).
    WrongPerson,
}

/// Runs every extractor on `text` (see [`Utterance`] for one kind at a time).
pub fn understand(text: &str, now: &Now) -> Understanding {
    Utterance::new(text, *now).understanding()
}

/// A fixed reference time, 2026-01-01 12:00 +03:00: for when only the *position* of
/// dates matters (to keep them from being read as money), or no valid "now" is known.
pub const FIXED_NOW: Now = Now {
    year: 2026,
    month: 1,
    day: 1,
    hour: 12,
    minute: 0,
    second: 0,
    offset_minutes: 180,
};

/// Amounts of money in `text` (phone numbers, dates and times are never money).
pub fn money(text: &str) -> Vec<Money> {
    Utterance::new(text, FIXED_NOW).money().to_vec()
}

/// Phone numbers in `text`, as E.164 (`+79161234567`).
pub fn phones(text: &str) -> Vec<String> {
    Utterance::new(text, FIXED_NOW).phones().to_vec()
}

/// Dates and times in `text`, resolved against `now`.
pub fn dates(text: &str, now: &Now) -> Vec<DateTime> {
    Utterance::new(text, *now).dates().to_vec()
}

/// The yes / no / maybe answer in `text`, if any.
pub fn answer(text: &str) -> Option<Answer> {
    Utterance::new(text, FIXED_NOW).answer()
}

/// First names in `text`, as capitalised nominative full names ("Наталья").
pub fn names(text: &str) -> Vec<String> {
    Utterance::new(text, FIXED_NOW).names().to_vec()
}

/// E-mail addresses in `text`, written or spelled out.
pub fn emails(text: &str) -> Vec<String> {
    Utterance::new(text, FIXED_NOW).emails().to_vec()
}

/// Intents in `text`.
pub fn intents(text: &str) -> Vec<Intent> {
    Utterance::new(text, FIXED_NOW).intents().to_vec()
}

/// One JSON object (no trailing newline) with everything understood in `text`:
/// the line format of `sva nlu extract`.
pub fn extract_line(text: &str, now: &Now) -> String {
    serde_json::to_string(&understand(text, now)).unwrap_or_else(|_| "{}".to_string())
}

/// Every cardinal number in `text`, in order, scaled ones included
/// ("не пятьсот а семьсот" → `[500, 700]`). For corrections of an amount said earlier.
pub fn numbers(text: &str) -> Vec<u64> {
    let tokens = text::tokens(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() && out.len() < MAX_PER_KIND {
        match numbers::cardinal(&tokens, i) {
            Some(c) => {
                out.push(c.value.round() as u64);
                i = c.end;
            }
            None => i += 1,
        }
    }
    out
}

/// `text` as tokens (lowercase, `ё` as `е`, no punctuation) with every spoken number
/// written in digits: "на двадцать пять пользователей" → "на 25 пользователей". For
/// matching a caller's words against written text, such as a knowledge base.
pub fn with_digits(text: &str) -> String {
    let tokens = text::tokens(text);
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        match numbers::cardinal(&tokens, i) {
            Some(c) if c.end > i => {
                let value = c.value;
                out.push(if value.fract() == 0.0 {
                    format!("{}", value as u64)
                } else {
                    format!("{value}")
                });
                i = c.end;
            }
            _ => {
                out.push(tokens[i].clone());
                i += 1;
            }
        }
    }
    out.join(" ")
}

/// Whether the caller corrects something said before: "нет, не пятьсот, а семьсот",
/// "я имел в виду…", "точнее…", "поправка". The corrected value is the last one said.
pub fn is_correction(text: &str) -> bool {
    Utterance::new(text, FIXED_NOW).is_correction()
}

fn correction(t: &text::Tokens) -> bool {
    let has = |p: &str| text::has_phrase(t, p);
    (t.iter().any(|w| w == "не") && t.iter().any(|w| w == "а"))
        || has("имел в виду")
        || has("имела в виду")
        || t.first().is_some_and(|w| {
            matches!(
                w.as_str(),
                "точнее" | "поправка" | "вернее" | "ошибся" | "ошиблась"
            )
        })
        || has("я ошибся")
        || has("я ошиблась")
}

/// Whether the utterance is a question about the product (asked as ASR writes it, with
/// no question mark): "а доставка у вас есть", "какая гарантия", "сколько по времени".
pub fn is_question(text: &str) -> bool {
    Utterance::new(text, FIXED_NOW).is_question()
}

fn question(text: &str, t: &text::Tokens) -> bool {
    const ASKING: &[&str] = &[
        "сколько",
        "какой",
        "какая",
        "какие",
        "каким",
        "какую",
        "как",
        "где",
        "когда",
        "почему",
        "зачем",
        "есть",
        "можно",
        "работаете",
        "умеет",
        "поддерживает",
        "входит",
        "бывает",
        "делаете",
        "предоставляете",
        "даете",
        "ли",
        "возможно",
        "интегрируется",
        "подходит",
    ];
    text.contains('?')
        || (t.len() >= 2
            && t.iter().any(|w| ASKING.contains(&w.as_str()))
            && (t.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "вы" | "вас" | "ваш" | "ваша" | "ваше" | "ваши" | "ли"
                )
            }) || matches!(
                t[0].as_str(),
                "а" | "сколько" | "какой" | "какая" | "какие" | "есть" | "как"
            )))
}

#[cfg(test)]
mod with_digits_tests {
    use super::with_digits;

    #[test]
    fn spoken_numbers_become_digits() {
        assert_eq!(
            with_digits("На двадцать пять пользователей?"),
            "на 25 пользователей"
        );
        assert_eq!(with_digits("тэ эс сорок"), "тэ эс 40");
        assert_eq!(with_digits("полтора миллиона"), "1500000");
        assert_eq!(with_digits("Ёлки 250 000"), "елки 250000");
    }
}
