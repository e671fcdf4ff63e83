//! What the person an outbound call reaches says about the call itself: who is calling
//! and why, where the number comes from, that they are not the one called, or that they
//! never agreed to calls. Inbound callers rarely say these; a scenario decides whether
//! they matter in the call at hand.

use crate::Intent;
use crate::text::{Tokens, has_phrase};

/// Words after «такого» / «таких» that keep them about a person («здесь такого нет»,
/// «таких тут нет»), not a thing («у нас нет такого бюджета»).
const ABOUT_A_PERSON: &[&str] = &[
    "здесь",
    "тут",
    "нет",
    "не",
    "человека",
    "людей",
    "абонента",
    "сотрудника",
    "живет",
    "проживает",
    "работает",
];

/// Adds [`Intent::NumberSource`], [`Intent::WhoIsCalling`] and [`Intent::WrongPerson`]
/// (a request not to be called is none of them).
pub(crate) fn extract(tokens: &Tokens, do_not_call: bool, out: &mut Vec<Intent>) {
    if do_not_call {
        return;
    }
    let number_source = number_source(tokens);
    if number_source {
        out.push(Intent::NumberSource);
    }
    let wrong_person = wrong_person(tokens);
    if wrong_person {
        out.push(Intent::WrongPerson);
    }
    if !number_source && !wrong_person && who_is_calling(tokens) {
        out.push(Intent::WhoIsCalling);
    }
}

/// «откуда у вас мой номер», «где вы взяли мой телефон», «кто вам дал мой номер», «как
/// вы меня нашли».
fn number_source(t: &Tokens) -> bool {
    const DATA: &[&str] = &["номер", "телефон", "контакт", "данны", "баз", "мобильн"];
    const GOT: &[&str] = &[
        "взял",
        "достал",
        "нашл",
        "дал",
        "слил",
        "продал",
        "получил",
        "узнал",
        "берете",
    ];
    let phrase = |p: &str| has_phrase(t, p);
    (t.any_starts(&["откуд"]) && (t.any_starts(DATA) || phrase("меня знаете")))
        || (t.iter().any(|w| w == "где" || w == "кто") && t.any_starts(GOT) && t.any_starts(DATA))
        || phrase("как вы меня нашли")
        || phrase("откуда вы обо мне")
        || phrase("откуда вы меня")
}

/// «кто это», «кто звонит», «с кем я говорю», «что за компания», «по какому вопросу».
fn who_is_calling(t: &Tokens) -> bool {
    // A short question only: «кто это решает у вас в компании» asks something else.
    if t.len() > 8 {
        return false;
    }
    [
        "кто это",
        "это кто",
        "хто это",
        "кто эта",
        "кто звонит",
        "кто говорит",
        "кто беспокоит",
        "кто меня беспокоит",
        "кто вы",
        "вы кто",
        "кто такие",
        "кто там",
        "с кем я говорю",
        "с кем говорю",
        "с кем я разговариваю",
        "с кем разговариваю",
        "что за компания",
        "что за фирма",
        "что за организация",
        "из какой компании",
        "из какой вы компании",
        "откуда вы звоните",
        "откуда звоните",
        "вы откуда",
        "откуда вы",
        "по какому вопросу",
        "по какому поводу",
        "что вы хотели",
        "что хотели",
        "чего хотели",
        "чего вы хотели",
    ]
    .iter()
    .any(|p| has_phrase(t, p))
}

/// «вы ошиблись (номером)», «не туда попали», «здесь такого нет», «это не я», «не тот
/// номер».
fn wrong_person(t: &Tokens) -> bool {
    let phrase = |p: &str| has_phrase(t, p);
    let last = |w: &str| t.last().is_some_and(|l| l == w);
    // «ошиблись номером» (the recogniser also writes «номерам»); the singular «я
    // ошибся» is the caller correcting themselves.
    let mistaken = t.any_starts(&["ошиблис"])
        && (t.any_starts(&["номер", "адрес", "человек"]) || last("ошиблись"));
    // «это не я», at the end or before «вы…»: not «это не я решаю».
    let not_me = t.windows(3).enumerate().any(|(i, w)| {
        w[0] == "это"
            && w[1] == "не"
            && w[2] == "я"
            && t.get(i + 3)
                .is_none_or(|next| next == "вы" || next == "ошиблись")
    });
    let no_such = t.iter().enumerate().any(|(i, w)| {
        (w == "такого" || w == "таких")
            && t.iter().any(|x| x == "нет" || x == "не")
            && t.get(i + 1)
                .is_none_or(|next| ABOUT_A_PERSON.contains(&next.as_str()))
    });
    mistaken
        || not_me
        || no_such
        || phrase("не туда попали")
        || phrase("не туда звоните")
        || phrase("не туда звонишь")
        || phrase("не по адресу")
        || phrase("не тот номер")
        || phrase("номер не тот")
        || phrase("неправильный номер")
        || phrase("это не мой номер")
        || phrase("не знаю такого")
        || phrase("не знаю никакого")
}

/// «я не давал согласия», «согласия не давала», «я ни на что не соглашался».
pub(crate) fn denies_consent(t: &Tokens) -> bool {
    let phrase = |p: &str| has_phrase(t, p);
    (t.any_starts(&["соглас"]) && (phrase("не давал*") || phrase("не дава*")))
        || phrase("не соглашал*")
}

#[cfg(test)]
mod tests {
    use crate::{FIXED_NOW, Intent, Utterance};

    fn intents(text: &str) -> Vec<Intent> {
        Utterance::new(text, FIXED_NOW).intents().to_vec()
    }

    #[test]
    fn who_is_calling_as_people_ask_it() {
        for text in [
            "кто это",
            "а кто это звонит",
            "Алло, кто звонит?",
            "а вы кто",
            "с кем я говорю",
            "с кем разговариваю извините",
            "что за компания",
            "а по какому вопросу",
            "хто это",
            "кто звонит-то",
            "извините а вы откуда",
        ] {
            assert_eq!(intents(text), [Intent::WhoIsCalling], "{text}");
        }
        for text in [
            "кто это у вас решает в компании я не знаю точно сейчас",
            "нам нужна система для склада",
            "решает директор",
        ] {
            assert!(!intents(text).contains(&Intent::WhoIsCalling), "{text}");
        }
    }

    #[test]
    fn where_the_number_comes_from() {
        for text in [
            "откуда у вас мой номер",
            "а откуда у вас номер-то мой",
            "откудова у вас мой телефон",
            "где вы взяли мой номер",
            "кто вам дал мой номер",
            "как вы меня нашли",
            "откуда вы меня знаете",
            "откуда у вас мои данные",
        ] {
            assert_eq!(intents(text), [Intent::NumberSource], "{text}");
        }
        assert!(!intents("какой у вас номер телефона").contains(&Intent::NumberSource));
    }

    #[test]
    fn wrong_person_and_its_lookalikes() {
        for text in [
            "вы ошиблись",
            "вы ошиблись номером",
            "ошиблись номерам",
            "здесь такого нет",
            "такого здесь нет",
            "нет тут таких",
            "нет такого",
            "это не я",
            "это не я вы ошиблись",
            "вы не туда попали",
            "это не мой номер",
            "не знаю никакого ивана",
        ] {
            assert!(intents(text).contains(&Intent::WrongPerson), "{text}");
        }
        for text in [
            "у нас нет такого бюджета",
            "это не я решаю",
            "я ошибся номер другой",
            "нет",
            "такой задачи нет",
        ] {
            assert!(!intents(text).contains(&Intent::WrongPerson), "{text}");
        }
    }

    #[test]
    fn denied_consent_is_a_request_not_to_call() {
        for text in [
            "я не давал согласия",
            "согласия я не давала",
            "я не давал согласие на звонки",
            "я ни на что не соглашался",
            "удали мой номер",
            "ни звоните мне больше",
        ] {
            let found = intents(text);
            assert!(found.contains(&Intent::DoNotCall), "{text}: {found:?}");
            assert!(!found.contains(&Intent::Callback), "{text}");
        }
        assert!(!intents("да я согласен").contains(&Intent::DoNotCall));
    }
}
