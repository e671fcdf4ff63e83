//! One utterance understood kind by kind, each kind computed the first time it is asked.

use crate::{Answer, DateTime, Intent, Money, Now, Understanding, text};
use std::cell::OnceCell;

/// One caller utterance, tokenised once, whose kinds of meaning (money, dates, names…)
/// are each worked out the first time they are asked for, and then kept.
///
/// A scenario step usually needs a few kinds: the intents its global handlers check and
/// the one slot its current node asks for. Computing only those keeps a step inside its
/// budget; [`Utterance::understanding`] computes everything, as [`crate::understand`]
/// does.
#[derive(Debug, Clone)]
pub struct Utterance<'t> {
    text: &'t str,
    now: Now,
    tokens: text::Tokens,
    located: OnceCell<Located>,
    money: OnceCell<Vec<Money>>,
    answer: OnceCell<Option<Answer>>,
    names: OnceCell<Vec<String>>,
    emails: OnceCell<Vec<String>>,
    intents: OnceCell<Vec<Intent>>,
    question: OnceCell<bool>,
    correction: OnceCell<bool>,
}

/// Phones and dates, found together because both mark the tokens they take: a number
/// that is part of a phone or a date is never read as money.
#[derive(Debug, Clone)]
struct Located {
    phones: Vec<String>,
    dates: Vec<DateTime>,
    taken: Vec<bool>,
}

impl<'t> Utterance<'t> {
    /// Tokenises `text`; nothing else is computed yet. Dates resolve against `now`.
    pub fn new(text: &'t str, now: Now) -> Utterance<'t> {
        Utterance {
            text,
            now,
            tokens: text::tokens(text),
            located: OnceCell::new(),
            money: OnceCell::new(),
            answer: OnceCell::new(),
            names: OnceCell::new(),
            emails: OnceCell::new(),
            intents: OnceCell::new(),
            question: OnceCell::new(),
            correction: OnceCell::new(),
        }
    }

    /// The text, unchanged.
    pub fn text(&self) -> &'t str {
        self.text
    }

    /// The words as every extractor reads them: lowercase, `ё` as `е`, punctuation
    /// dropped (except inside numbers), hyphenated words split.
    pub fn words(&self) -> &[String] {
        &self.tokens
    }

    fn located(&self) -> &Located {
        self.located.get_or_init(|| {
            let mut taken = vec![false; self.tokens.len()];
            let phones = crate::phone::extract(&self.tokens, &mut taken);
            let dates = crate::date::extract(&self.tokens, &self.now, &mut taken);
            Located {
                phones,
                dates,
                taken,
            }
        })
    }

    /// Amounts of money, in order of appearance (phones, dates and times are not money).
    pub fn money(&self) -> &[Money] {
        self.money
            .get_or_init(|| crate::money::extract(&self.tokens, &self.located().taken))
    }

    /// Phone numbers in E.164.
    pub fn phones(&self) -> &[String] {
        &self.located().phones
    }

    /// Dates (and times) relative to the reference now.
    pub fn dates(&self) -> &[DateTime] {
        &self.located().dates
    }

    /// A yes / no / maybe answer, if the utterance is one.
    pub fn answer(&self) -> Option<Answer> {
        *self
            .answer
            .get_or_init(|| crate::answer::extract(&self.tokens))
    }

    /// First names, capitalised nominative full forms.
    pub fn names(&self) -> &[String] {
        self.names
            .get_or_init(|| crate::name::extract(&self.tokens))
    }

    /// E-mail addresses, written or spelled out.
    pub fn emails(&self) -> &[String] {
        self.emails
            .get_or_init(|| crate::email::extract(self.text, &self.tokens))
    }

    /// Intents, in a fixed order.
    pub fn intents(&self) -> &[Intent] {
        self.intents
            .get_or_init(|| crate::intent::extract(&self.tokens))
    }

    /// Whether the utterance carries `intent`.
    pub fn has(&self, intent: Intent) -> bool {
        self.intents().contains(&intent)
    }

    /// Whether the caller asks a question about the product ([`crate::is_question`]).
    pub fn is_question(&self) -> bool {
        *self
            .question
            .get_or_init(|| crate::question(self.text, &self.tokens))
    }

    /// Whether the caller corrects something said before ([`crate::is_correction`]).
    pub fn is_correction(&self) -> bool {
        *self
            .correction
            .get_or_init(|| crate::correction(&self.tokens))
    }

    /// Every kind at once.
    pub fn understanding(&self) -> Understanding {
        Understanding {
            text: self.text.to_owned(),
            money: self.money().to_vec(),
            phones: self.phones().to_vec(),
            dates: self.dates().to_vec(),
            answer: self.answer(),
            names: self.names().to_vec(),
            emails: self.emails().to_vec(),
            intents: self.intents().to_vec(),
            question: self.is_question(),
            correction: self.is_correction(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Utterance;
    use crate::{Intent, Now, understand};

    fn now() -> Now {
        Now::parse_rfc3339("2026-11-25T12:00:00+03:00").unwrap()
    }

    #[test]
    fn each_kind_matches_the_whole_understanding() {
        for text in [
            "бюджет где-то полтора миллиона рублей",
            "меня зовут ольга перезвоните завтра в три на 8 916 123 45 67",
            "нет не пятьсот а семьсот тысяч",
            "пришлите на почту ivan собака example точка ru",
            "а доставка у вас есть",
            "",
        ] {
            let lazy = Utterance::new(text, now());
            let whole = understand(text, &now());
            assert_eq!(lazy.money(), whole.money, "{text}");
            assert_eq!(lazy.phones(), whole.phones, "{text}");
            assert_eq!(lazy.dates(), whole.dates, "{text}");
            assert_eq!(lazy.answer(), whole.answer, "{text}");
            assert_eq!(lazy.names(), whole.names, "{text}");
            assert_eq!(lazy.emails(), whole.emails, "{text}");
            assert_eq!(lazy.intents(), whole.intents, "{text}");
            assert_eq!(lazy.is_question(), whole.question, "{text}");
            assert_eq!(lazy.is_correction(), whole.correction, "{text}");
            assert_eq!(lazy.understanding(), whole, "{text}");
        }
    }

    #[test]
    fn money_asked_first_still_skips_phones_and_dates() {
        // Money is asked before phones or dates were: the number in the date and the
        // phone must still not be read as amounts.
        let lazy = Utterance::new("пятого декабря на 89161234567 бюджет 300 тысяч", now());
        let amounts: Vec<u64> = lazy.money().iter().map(|m| m.amount).collect();
        assert_eq!(amounts, [300_000]);
        assert!(!lazy.has(Intent::DoNotCall));
    }
}
