//! What the assistant says, by text key. A tenant overrides any of them in its settings
//! (`context.tenant.texts`); `{company}`, `{product}` and `{name}` are filled in, and
//! some keys have their own placeholders (`{last4}`, `{department}`, `{when}`,
//! `{email}`, `{comma_name}`; on outbound calls `{contact_name}`, `{why}`, `{request}`,
//! `{reason}`, `{consent}`, `{call_us}`, `{phone}`).
//!
//! Every question has three wordings — `key`, `key_again` (other words) and
//! `key_example` (with an example answer) — so that it is never put in the same words
//! twice in a row ([`QUESTIONS`]).

/// The questions the assistant asks; each has `_again` and `_example` wordings.
pub const QUESTIONS: &[&str] = &[
    "ask_need",
    "ask_budget",
    "ask_timeline",
    "ask_decision",
    "ask_name",
    "ask_company",
    "ask_phone_known",
    "ask_phone",
    "ask_email",
    "offer_transfer",
    "route_offer",
    "escalate_offer",
    "ask_name_before_transfer",
    "closed_callback_offer",
    "ask_callback_time",
    "ask_callback_other",
    "not_interested_retention",
    "ask_talk_now",
    "ask_phone_known_outbound",
    "ask_callback_time_outbound",
];

/// Every text key with its default phrase.
pub const DEFAULTS: &[(&str, &str)] = &[
    (
        "greeting",
        "Здравствуйте! Компания {company}, я автоматический помощник. Чем могу помочь?",
    ),
    (
        "greeting_outbound",
        "Здравствуйте{comma_name}! Это автоматический помощник компании {company}.{why} Удобно сейчас говорить пару минут?",
    ),
    (
        "outbound_intro",
        "Это автоматический помощник компании {company}.",
    ),
    ("outbound_request", "Вы оставляли заявку на {request}."),
    ("outbound_reason", "Звоню по поводу: {reason}."),
    ("outbound_product", "Звоню по поводу: {product}."),
    ("ask_talk_now", "Вам удобно сейчас говорить?"),
    ("ask_talk_now_again", "Можем сейчас коротко поговорить?"),
    (
        "ask_talk_now_example",
        "Скажите «да», если удобно, или когда вам перезвонить.",
    ),
    (
        "who_is_calling",
        "Это автоматический помощник компании {company}.{why}",
    ),
    ("number_source", "Вы давали согласие на звонок: {consent}."),
    (
        "number_source_unknown",
        "Честно скажу: у меня нет сведений, откуда ваш номер в нашем списке. Если не хотите, чтобы мы звонили, я удалю номер. Удалить?",
    ),
    ("number_kept", "Хорошо, номер оставляю."),
    (
        "voicemail",
        "Здравствуйте{comma_name}! Это автоматический помощник компании {company}.{why} Мы перезвоним вам позже.{call_us} Всего доброго!",
    ),
    ("voicemail_call_us", "Или позвоните нам сами: {phone}."),
    (
        "ask_need",
        "Расскажите, пожалуйста, какую задачу хотите решить?",
    ),
    (
        "ask_need_again",
        "Подскажите, пожалуйста, что хотите автоматизировать или о чём узнать?",
    ),
    (
        "ask_need_example",
        "Например: «нужен учёт на складе» или «хочу узнать цены». Что ближе к вашей ситуации?",
    ),
    ("ask_budget", "На какой бюджет вы ориентируетесь?"),
    (
        "ask_budget_again",
        "А по бюджету — хотя бы примерно, порядок суммы в рублях?",
    ),
    (
        "ask_budget_example",
        "Можно ответить, например, «около миллиона» или «пока не знаем».",
    ),
    ("budget_unknown", "Хорошо, обсудите это с менеджером."),
    ("ask_timeline", "Когда планируете запуск?"),
    (
        "ask_timeline_again",
        "Подскажите, к какому сроку хотите запуститься?",
    ),
    (
        "ask_timeline_example",
        "Например: «в течение месяца», «к весне» или «пока не решили».",
    ),
    (
        "ask_decision",
        "Решение о покупке принимаете вы или кто-то ещё?",
    ),
    (
        "ask_decision_again",
        "Подскажите, кто у вас согласует покупку — вы сами или руководитель?",
    ),
    (
        "ask_decision_example",
        "Например: «решаю сам» или «решает директор».",
    ),
    ("ask_name", "Как я могу к вам обращаться?"),
    ("ask_name_again", "Подскажите, пожалуйста, ваше имя?"),
    (
        "ask_name_example",
        "Назовите, пожалуйста, только имя — например, «Анна».",
    ),
    ("ask_company", "Из какой вы компании?"),
    ("ask_company_again", "Как называется ваша компания?"),
    (
        "ask_company_example",
        "Например: «ООО Ромашка» или «я частное лицо».",
    ),
    (
        "ask_phone_known",
        "Записать для связи номер, с которого вы звоните, — он заканчивается на {last4}?",
    ),
    (
        "ask_phone_known_again",
        "Номер, который заканчивается на {last4}, подойдёт для связи?",
    ),
    (
        "ask_phone_known_example",
        "Скажите «да», и я запишу этот номер, или продиктуйте другой.",
    ),
    (
        "ask_phone_known_outbound",
        "Записать для связи номер, на который я звоню, — он заканчивается на {last4}?",
    ),
    (
        "ask_phone_known_outbound_again",
        "Номер, который заканчивается на {last4}, подойдёт для связи?",
    ),
    (
        "ask_phone_known_outbound_example",
        "Скажите «да», и я запишу этот номер, или продиктуйте другой.",
    ),
    ("ask_phone", "Продиктуйте, пожалуйста, номер для связи."),
    (
        "ask_phone_again",
        "Назовите, пожалуйста, номер телефона — можно по цифрам.",
    ),
    (
        "ask_phone_example",
        "Например: «восемь девятьсот шестнадцать, сто двадцать три, сорок пять, шестьдесят семь».",
    ),
    (
        "ask_email",
        "Продиктуйте, пожалуйста, адрес электронной почты.",
    ),
    (
        "ask_email_again",
        "Продиктуйте, пожалуйста, по частям: имя, «собака», почтовый сервис.",
    ),
    (
        "ask_email_example",
        "Например: «иван собака яндекс точка ру».",
    ),
    (
        "email_later",
        "Хорошо, менеджер уточнит почту, когда будет на связи.",
    ),
    ("email_known", "Хорошо, отправим на вашу почту."),
    (
        "offer_transfer",
        "У вас понятная задача — могу сразу соединить с менеджером, он подскажет детали. Соединить?",
    ),
    (
        "offer_transfer_again",
        "Соединить вас с менеджером прямо сейчас?",
    ),
    (
        "offer_transfer_example",
        "Скажите «да» — и я соединю, или «нет» — и менеджер перезвонит в удобное время.",
    ),
    (
        "transfer_declined",
        "Хорошо, тогда менеджер сам вам перезвонит.",
    ),
    (
        "route_offer",
        "Поняла, с этим вопросом поможет {department}. Соединить?",
    ),
    ("route_offer_again", "Соединить вас — ответит {department}?"),
    (
        "route_offer_example",
        "Скажите «да» — и я соединю, или «нет», если вопрос другой.",
    ),
    ("route_declined", "Хорошо."),
    ("escalate", "Извините, кажется, я вас плохо понимаю."),
    (
        "escalate_offer",
        "Давайте я соединю вас с менеджером — он во всём разберётся. Соединить?",
    ),
    ("escalate_offer_again", "Соединить вас с менеджером?"),
    (
        "escalate_offer_example",
        "Скажите, пожалуйста, «да» или «нет».",
    ),
    (
        "escalate_declined",
        "Хорошо. Если появятся вопросы — звоните, будем рады помочь.",
    ),
    (
        "ask_name_before_transfer",
        "Подскажите, как вас представить?",
    ),
    (
        "ask_name_before_transfer_again",
        "Как к вам обращаться, чтобы я передала коллегам?",
    ),
    (
        "ask_name_before_transfer_example",
        "Назовите только имя, например «Анна».",
    ),
    ("transferring", "Соединяю с менеджером, одну секунду."),
    (
        "transferring_to",
        "Соединяю, одну секунду — вам ответит {department}.",
    ),
    (
        "transfer_failed",
        "К сожалению, менеджер сейчас не может ответить.",
    ),
    (
        "no_manager",
        "Сейчас соединить не получится, но менеджер вам перезвонит.",
    ),
    (
        "closed_callback_offer",
        "Сейчас {department} уже не на связи. Давайте вам перезвонят {when}?",
    ),
    (
        "closed_callback_offer_again",
        "Перезвонить вам {when}, когда откроется {department}?",
    ),
    (
        "closed_callback_offer_example",
        "Скажите «да» — и вам перезвонят {when}, или назовите удобное время.",
    ),
    (
        "ask_callback_time",
        "Когда вам удобно, чтобы менеджер перезвонил?",
    ),
    (
        "ask_callback_time_again",
        "Назовите, пожалуйста, день и время — например, завтра после обеда.",
    ),
    (
        "ask_callback_time_example",
        "Например: «в пятницу в десять утра».",
    ),
    (
        "ask_callback_time_outbound",
        "Когда вам удобнее, чтобы мы перезвонили?",
    ),
    (
        "ask_callback_time_outbound_again",
        "Подскажите, в какой день и время вам перезвонить?",
    ),
    (
        "ask_callback_time_outbound_example",
        "Например: «завтра в десять» или «в пятницу после обеда».",
    ),
    (
        "callback_confirmed_outbound",
        "Договорились, перезвоним {when}. Всего доброго!",
    ),
    (
        "callback_confirmed",
        "Договорились, менеджер перезвонит {when}. Всего доброго!",
    ),
    ("callback_noted", "Записала: менеджер перезвонит {when}."),
    (
        "callback_any_time",
        "Хорошо, менеджер перезвонит вам в рабочее время.",
    ),
    (
        "ask_callback_other",
        "Извините за беспокойство! Подскажите, когда удобнее перезвонить?",
    ),
    ("ask_callback_other_again", "Когда лучше позвонить ещё раз?"),
    (
        "ask_callback_other_example",
        "Например: «завтра после обеда» или «в понедельник утром».",
    ),
    (
        "wrong_number",
        "Извините, видимо, ошиблись номером. Всего доброго!",
    ),
    (
        "robot",
        "Да, я автоматический помощник компании {company}. Могу ответить на вопросы или соединить с менеджером.",
    ),
    ("silence", "Алло, вы меня слышите?"),
    (
        "silence_goodbye",
        "Вас не слышно. Мы перезвоним вам позже. Всего доброго!",
    ),
    (
        "not_interested_retention",
        "Понимаю. Может быть, прислать короткое описание на почту — на будущее?",
    ),
    (
        "not_interested_retention_again",
        "Прислать вам описание на почту, чтобы было под рукой?",
    ),
    (
        "not_interested_retention_example",
        "Скажите «да» — и я запишу почту, или «нет» — и не буду отвлекать.",
    ),
    (
        "not_interested_goodbye",
        "Хорошо, не буду отвлекать. Если станет актуально — будем рады помочь. Всего доброго!",
    ),
    (
        "do_not_call",
        "Поняла вас. Больше не будем беспокоить, номер исключён из обзвона. Всего доброго!",
    ),
    ("dismissed", "Извините за беспокойство. Всего доброго!"),
    (
        "objection_price",
        "Понимаю. Стоимость зависит от объёма — менеджер подберёт вариант под ваш бюджет.",
    ),
    (
        "think_about_it",
        "Конечно, решение важное. Прислать материалы на почту или пусть менеджер перезвонит в удобное время?",
    ),
    (
        "no_answer_known",
        "Хороший вопрос — точно ответит менеджер, я его записала.",
    ),
    (
        "knowledge_which",
        "Уточните, пожалуйста: вас интересует «{a}» или «{b}»? Или могу передать вопрос менеджеру.",
    ),
    ("misunderstood", "Извините, не совсем поняла."),
    ("noted", "Поняла, записала."),
    ("email_saved", "Записала почту: {email}."),
    (
        "goodbye_qualified",
        "Спасибо{comma_name}! Передаю заявку менеджеру, он свяжется с вами в ближайшее время. Всего доброго!",
    ),
    (
        "goodbye_callback",
        "Спасибо{comma_name}! Менеджер перезвонит {when}. Всего доброго!",
    ),
    ("goodbye", "Спасибо за звонок! Всего доброго!"),
];

/// The default phrase for `key` (an empty string for an unknown key).
pub fn default(key: &str) -> &'static str {
    DEFAULTS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_question_has_three_different_wordings() {
        for question in QUESTIONS {
            let first = default(question);
            let again = default(&[question, "_again"].concat());
            let example = default(&[question, "_example"].concat());
            assert!(!first.is_empty(), "{question}");
            assert!(!again.is_empty(), "{question}_again");
            assert!(!example.is_empty(), "{question}_example");
            assert!(
                first != again && again != example && first != example,
                "{question}: the wordings differ"
            );
        }
    }

    #[test]
    fn keys_are_unique() {
        for (i, (key, _)) in DEFAULTS.iter().enumerate() {
            assert!(
                DEFAULTS[..i].iter().all(|(k, _)| k != key),
                "{key} is listed twice"
            );
        }
    }
}
