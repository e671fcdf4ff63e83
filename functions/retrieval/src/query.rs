//! Callers' questions as the speech recogniser writes them, made comparable with
//! written passages.
//!
//! The recogniser writes what it hears: numbers in words ("двадцать"), abbreviations
//! letter by letter ("тэ эс", "тэсэдэ"), a product name split from its number
//! ("битрикс 24"). Callers also ask in everyday words ("привезёте?", "частями можно?")
//! where the material says «доставка», «рассрочка». So a question is rewritten before
//! the BM25 pipeline (which stems and drops stop words on both sides):
//!
//! 1. spoken numbers become digits;
//! 2. spelled-out abbreviations become letters, a digit and a letter join ("1 эс" → "1с");
//! 3. the words of a small sales thesaurus add the terms the material uses.
//!
//! Passages get step 2's digit split too ([`for_index`]), so «Битрикс24» and
//! "битрикс 24" meet. Both back ends index and search the rewritten text.

/// Consonant letters as Russians spell them out. Vowels are left out: "а", "и", "о",
/// "у", "я" are everyday words.
const LETTER_NAMES: &[(&str, char)] = &[
    ("бэ", 'б'),
    ("вэ", 'в'),
    ("гэ", 'г'),
    ("дэ", 'д'),
    ("жэ", 'ж'),
    ("зэ", 'з'),
    ("ка", 'к'),
    ("эль", 'л'),
    ("эл", 'л'),
    ("эм", 'м'),
    ("эн", 'н'),
    ("пэ", 'п'),
    ("эр", 'р'),
    ("эс", 'с'),
    ("сэ", 'с'),
    ("тэ", 'т'),
    ("эф", 'ф'),
    ("ха", 'х'),
    ("цэ", 'ц'),
    ("че", 'ч'),
    ("ша", 'ш'),
];

/// Everyday words (as word beginnings; `$` marks a whole word) and the terms written
/// material uses for the same thing: the topics every sales line is asked about. The
/// default [`Synonyms`]; a tenant adds its own words in its settings.
const THESAURUS: &[(&[&str], &str)] = &[
    (
        &[
            "привез",
            "привоз",
            "довез",
            "завез",
            "отвез",
            "везет",
            "везти",
            "отправ",
            "пришлет",
            "доставит",
        ],
        "доставка",
    ),
    (&["забер", "забрат", "самовывоз"], "самовывоз"),
    (
        &[
            "стоит",
            "почем",
            "деньгам",
            "обойдет",
            "расценк",
            "прайс",
            "стоимост",
        ],
        "цена",
    ),
    (&["частями", "частям", "рассроч"], "рассрочка"),
    (&["заплат", "платит", "оплачив", "счет"], "оплата"),
    (&["потом$", "позже", "отсрочк"], "отсрочка постоплата"),
    (
        &["слома", "полома", "поломк", "брак", "не работает"],
        "гарантия",
    ),
    (
        &[
            "сколько месяцев",
            "сколько лет",
            "как долго",
            "на какой срок",
        ],
        "срок",
    ),
    (&["почин", "чинит", "чинят", "отремонт", "слома"], "ремонт"),
    (
        &["нет в наличии", "нет на складе", "под заказ"],
        "срок поставки",
    ),
    (&["филиал"], "склад"),
    (
        &["вернут", "верну", "сдать обратно", "передума", "возврат"],
        "возврат",
    ),
    (
        &["до скольки", "часы работы", "график", "выходны", "открыты"],
        "режим время работы",
    ),
    (
        &["поддержк", "помощь", "помогут", "ответите", "отвечаете"],
        "поддержка",
    ),
    (&["дешевле", "скидк", "подешевле", "уступит"], "скидка"),
    (
        &["попробова", "потестир", "тестов", "пробн"],
        "пробный период тест",
    ),
    (
        &["показат", "посмотрет", "демонстрац", "видео$"],
        "демонстрация",
    ),
    (&["научит", "обучит", "курс"], "обучение"),
    (
        &[
            "где вы",
            "находитесь",
            "адрес",
            "офис$",
            "офисе$",
            "офиса$",
            "приехат",
        ],
        "адрес офис",
    ),
    (
        &["давно", "на рынке", "сколько лет", "о компании", "кто вы"],
        "компания год",
    ),
    (
        &["человек", "сотрудник", "пользовател", "логин"],
        "пользователь",
    ),
    (
        &[
            "сколько времени",
            "по времени",
            "как быстро",
            "сроки",
            "за сколько дней",
        ],
        "срок",
    ),
    (&["лизинг"], "лизинг"),
    (&["ндс", "налог"], "ндс"),
];

/// A passage's text as the index sees it: a product name and its number stand apart
/// («Битрикс24» → «Битрикс 24») and digit groups join («50 000» → «50000»), as the
/// recogniser writes them, and `ё` is `е`.
pub fn for_index(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut letters = 0usize;
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // "50 000" is "50000", as spoken numbers are written for the search.
        let group = (c == ' ' || c == '\u{a0}')
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.len() >= i + 4
            && chars[i + 1..i + 4].iter().all(char::is_ascii_digit)
            && chars.get(i + 4).is_none_or(|n| !n.is_ascii_digit());
        if group {
            continue;
        }
        if c.is_ascii_digit() && letters >= 3 {
            out.push(' ');
        }
        letters = if c.is_alphabetic() { letters + 1 } else { 0 };
        // Questions come with `ё` folded (the recogniser rarely writes it); so do passages.
        out.push(match c {
            'ё' => 'е',
            'Ё' => 'Е',
            c => c,
        });
    }
    out
}

/// One entry of a synonym list: everyday words and the terms the material uses for them.
///
/// A trigger is a word beginning ("привез" matches «привезёте»), a whole word when it ends
/// with `$` ("потом$"), or a phrase when it has a space ("до скольки"); triggers are
/// matched against the question as the recogniser wrote it, lower case, `ё` as `е`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Synonym {
    /// The triggers.
    pub words: Vec<String>,
    /// The terms added to a question that has one of them.
    pub means: String,
}

/// A synonym list: what [`for_search_with`] adds to questions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synonyms(Vec<Synonym>);

/// Where a tenant's settings keep its own synonyms (`settings.kb_synonyms`, a list of
/// [`Synonym`]), added to the default list.
pub const TENANT_SYNONYMS: &str = "kb_synonyms";

/// The tenant setting that, when `false`, drops the default list (`settings.kb_default_synonyms`).
pub const TENANT_DEFAULT_SYNONYMS: &str = "kb_default_synonyms";

/// Why a tenant's synonym setting could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SynonymError {
    /// The setting is not a list of `{words, means}`.
    #[error("settings.{TENANT_SYNONYMS} is not a list of {{words, means}}: {0}")]
    Malformed(String),
    /// An entry without triggers or terms.
    #[error("settings.{TENANT_SYNONYMS}: an entry needs words and what they mean")]
    Empty,
}

impl Default for Synonyms {
    /// The default list for Russian sales talk.
    fn default() -> Synonyms {
        Synonyms::russian_sales()
    }
}

impl Synonyms {
    /// The default list: the topics every sales line is asked about (delivery, price,
    /// payment in parts, warranty, repair, returns, hours, support, discounts, trials,
    /// training, the office, users, lead times), not one tenant's words.
    pub fn russian_sales() -> Synonyms {
        Synonyms(
            THESAURUS
                .iter()
                .map(|(words, means)| Synonym {
                    words: words.iter().map(|w| (*w).to_owned()).collect(),
                    means: (*means).to_owned(),
                })
                .collect(),
        )
    }

    /// No synonyms at all.
    pub fn none() -> Synonyms {
        Synonyms(Vec::new())
    }

    /// This list with `extra` entries after it (triggers lower-cased, `ё` as `е`).
    pub fn with(mut self, extra: impl IntoIterator<Item = Synonym>) -> Synonyms {
        self.0.extend(extra.into_iter().map(|s| {
            Synonym {
                words: s
                    .words
                    .iter()
                    .map(|w| w.trim().to_lowercase().replace('ё', "е"))
                    .filter(|w| !w.is_empty())
                    .collect(),
                means: s.means,
            }
        }));
        self
    }

    /// A tenant's list from its free-form settings: the default list (unless
    /// [`TENANT_DEFAULT_SYNONYMS`] is `false`) and the tenant's own entries
    /// ([`TENANT_SYNONYMS`]).
    pub fn from_settings(
        settings: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Synonyms, SynonymError> {
        let base = match settings.get(TENANT_DEFAULT_SYNONYMS) {
            Some(serde_json::Value::Bool(false)) => Synonyms::none(),
            _ => Synonyms::russian_sales(),
        };
        let Some(own) = settings.get(TENANT_SYNONYMS) else {
            return Ok(base);
        };
        let own: Vec<Synonym> = serde_json::from_value(own.clone())
            .map_err(|e| SynonymError::Malformed(e.to_string()))?;
        if own
            .iter()
            .any(|s| s.means.trim().is_empty() || s.words.iter().all(|w| w.trim().is_empty()))
        {
            return Err(SynonymError::Empty);
        }
        Ok(base.with(own))
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[Synonym] {
        &self.0
    }
}

/// A caller's question as the index is searched with, with the default synonym list
/// ([`Synonyms::russian_sales`]).
pub fn for_search(question: &str) -> String {
    for_search_with(question, &Synonyms::russian_sales())
}

/// A caller's question as the index is searched with: digits for spoken numbers,
/// letters for spelled-out abbreviations, and the terms of `synonyms` added.
pub fn for_search_with(question: &str, synonyms: &Synonyms) -> String {
    let spoken = sva_nlu::with_digits(question);
    let tokens: Vec<&str> = spoken.split(' ').filter(|t| !t.is_empty()).collect();
    let mut words: Vec<String> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        // A run of spelled letters: "тэ эс дэ" → "тсд".
        let mut run = String::new();
        let mut j = i;
        while let Some(letter) = tokens.get(j).and_then(|t| letter(t)) {
            run.push(letter);
            j += 1;
        }
        if run.chars().count() >= 2 {
            words.push(run);
            i = j;
            continue;
        }
        let token = tokens[i];
        // One spelled letter after a number: "1 эс" → "1с".
        if let (Some(single), Some(previous)) = (letter(token), words.last_mut())
            && previous.chars().all(|c| c.is_ascii_digit())
        {
            previous.push(single);
            i += 1;
            continue;
        }
        words.push(spelled(token).unwrap_or_else(|| for_index(token)));
        i += 1;
    }
    let joined = words.join(" ");
    let mut expanded = joined.clone();
    for Synonym {
        words: triggers,
        means: terms,
    } in synonyms.entries()
    {
        let found = triggers.iter().any(|trigger| {
            if let Some(word) = trigger.strip_suffix('$') {
                words.iter().any(|w| w == word)
            } else if trigger.contains(' ') {
                joined.contains(trigger)
            } else {
                words.iter().any(|w| w.starts_with(trigger))
            }
        });
        if found {
            expanded.push(' ');
            expanded.push_str(terms);
        }
    }
    expanded
}

fn letter(token: &str) -> Option<char> {
    LETTER_NAMES
        .iter()
        .find(|(name, _)| *name == token)
        .map(|(_, c)| *c)
}

/// A token that is nothing but spelled letters ("тэсэдэ" → "тсд"), at least three:
/// shorter fused forms are everyday words ("каша", "хаха").
fn spelled(token: &str) -> Option<String> {
    fn split(rest: &str, out: &mut String) -> bool {
        if rest.is_empty() {
            return true;
        }
        for (name, c) in LETTER_NAMES {
            if let Some(tail) = rest.strip_prefix(name) {
                out.push(*c);
                if split(tail, out) {
                    return true;
                }
                out.pop();
            }
        }
        false
    }
    let mut out = String::new();
    (split(token, &mut out) && out.chars().count() >= 3).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_spelled_abbreviations() {
        assert_eq!(for_search("цена тэ эс двадцать"), "цена тс 20");
        assert_eq!(for_search("какие тэсэдэ у вас"), "какие тсд у вас");
        assert_eq!(for_search("а с один эс работает"), "а с 1с работает");
        assert_eq!(for_search("битрикс двадцать четыре"), "битрикс 24");
        assert_eq!(for_search("Обмен с 1С?"), "обмен с 1с");
        // Everyday words a spelled letter could be mistaken for are left alone.
        assert_eq!(for_search("ну как там"), "ну как там");
    }

    #[test]
    fn the_thesaurus_adds_the_written_terms() {
        assert_eq!(
            for_search("а в казань привезёте"),
            "а в казань привезете доставка"
        );
        assert!(for_search("можно частями").ends_with("рассрочка"));
        assert!(for_search("до скольки вы сегодня").contains("режим время работы"));
        // "работаете с НДС" is not about hours, "во сколько обойдётся" is about money.
        assert!(!for_search("вы с ндс работаете").contains("режим"));
        assert!(!for_search("во сколько обойдется").contains("режим"));
    }

    #[test]
    fn passages_split_a_name_from_its_number() {
        assert_eq!(for_index("Битрикс24 и 1С, ТС-20"), "Битрикс 24 и 1С, ТС-20");
        assert_eq!(for_index("Продаём, Ёлка"), "Продаем, Елка");
        assert_eq!(
            for_index("от 50 000 рублей, 1 2345"),
            "от 50000 рублей, 1 2345"
        );
    }

    #[test]
    fn everyday_words_stay_words() {
        assert_eq!(for_search("каша хаха"), "каша хаха");
        assert!(!for_search("потому что надо").contains("отсрочка"));
        assert!(!for_search("это учитывается").contains("обучение"));
        assert!(for_search("а заплатить потом можно").contains("отсрочка"));
    }

    #[test]
    fn a_tenant_adds_its_own_words() {
        let settings = |v: serde_json::Value| v.as_object().cloned().unwrap();
        let own = settings(serde_json::json!({
            "kb_synonyms": [{"words": ["Этикетниц", "наклеечн"], "means": "принтер этикеток"}]
        }));
        let synonyms = Synonyms::from_settings(&own).unwrap();
        assert!(for_search_with("какие этикетницы есть", &synonyms).ends_with("принтер этикеток"));
        assert!(!for_search("какие этикетницы есть").contains("принтер"));
        // The default list stays, unless the tenant turns it off.
        assert!(for_search_with("можно частями", &synonyms).contains("рассрочка"));
        let alone = settings(serde_json::json!({"kb_default_synonyms": false}));
        let none = Synonyms::from_settings(&alone).unwrap();
        assert_eq!(for_search_with("можно частями", &none), "можно частями");
        assert_eq!(
            Synonyms::from_settings(&serde_json::Map::new()).unwrap(),
            Synonyms::default()
        );
        for bad in [
            serde_json::json!({"kb_synonyms": "принтер"}),
            serde_json::json!({"kb_synonyms": [{"words": [], "means": "x"}]}),
            serde_json::json!({"kb_synonyms": [{"words": ["a"], "means": " "}]}),
        ] {
            assert!(Synonyms::from_settings(&settings(bad)).is_err());
        }
    }
}
