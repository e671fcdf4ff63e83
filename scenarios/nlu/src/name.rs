//! First names, in any case form and as diminutives, returned in the full nominative
//! ("саша" → "Александр", "ольге" → "Ольга").
//!
//! Names that are also ordinary words (Вера, Надежда, Любовь, Роман, Лев, Слава, Роза,
//! Марк, Мир…) count only in a naming context: "меня зовут …", "это …", "я …",
//! "с вами говорит …".

use std::collections::HashMap;
use std::sync::OnceLock;

/// Masculine full names.
const MALE: &[&str] = &[
    "Александр",
    "Алексей",
    "Анатолий",
    "Андрей",
    "Антон",
    "Аркадий",
    "Арсений",
    "Артём",
    "Артур",
    "Богдан",
    "Борис",
    "Вадим",
    "Валентин",
    "Валерий",
    "Василий",
    "Виктор",
    "Виталий",
    "Владимир",
    "Владислав",
    "Всеволод",
    "Вячеслав",
    "Геннадий",
    "Георгий",
    "Глеб",
    "Григорий",
    "Даниил",
    "Данил",
    "Денис",
    "Дмитрий",
    "Евгений",
    "Егор",
    "Иван",
    "Игорь",
    "Илья",
    "Кирилл",
    "Константин",
    "Леонид",
    "Максим",
    "Марат",
    "Матвей",
    "Михаил",
    "Никита",
    "Николай",
    "Олег",
    "Павел",
    "Пётр",
    "Руслан",
    "Святослав",
    "Сергей",
    "Станислав",
    "Степан",
    "Тимофей",
    "Тимур",
    "Фёдор",
    "Филипп",
    "Эдуард",
    "Юрий",
    "Ярослав",
    "Рустам",
    "Ринат",
    "Айдар",
    "Эрик",
    "Альберт",
    "Ахмед",
    "Вениамин",
];
/// Feminine full names.
const FEMALE: &[&str] = &[
    "Алина",
    "Алиса",
    "Алла",
    "Алёна",
    "Анастасия",
    "Ангелина",
    "Анна",
    "Арина",
    "Валентина",
    "Валерия",
    "Варвара",
    "Василиса",
    "Вероника",
    "Виктория",
    "Галина",
    "Дарья",
    "Диана",
    "Евгения",
    "Екатерина",
    "Елена",
    "Елизавета",
    "Жанна",
    "Зоя",
    "Инна",
    "Ирина",
    "Карина",
    "Кира",
    "Кристина",
    "Ксения",
    "Лариса",
    "Лидия",
    "Людмила",
    "Маргарита",
    "Марина",
    "Мария",
    "Милана",
    "Наталья",
    "Нина",
    "Оксана",
    "Олеся",
    "Ольга",
    "Полина",
    "Раиса",
    "Светлана",
    "Снежана",
    "Софья",
    "София",
    "Тамара",
    "Татьяна",
    "Ульяна",
    "Эльвира",
    "Юлия",
    "Яна",
    "Регина",
    "Эвелина",
    "Анжела",
    "Александра",
    "Антонина",
    "Нелли",
];
/// Names that are also ordinary words: only in a naming context.
const AMBIGUOUS: &[&str] = &[
    "Вера",
    "Надежда",
    "Любовь",
    "Роман",
    "Лев",
    "Марк",
    "Роза",
    "Лилия",
    "Майя",
    "Мира",
    "Злата",
    "Ян",
    "Лиля",
    "Семён",
];
/// Diminutives and their full names.
const DIMINUTIVES: &[(&str, &str)] = &[
    ("саша", "Александр"),
    ("саня", "Александр"),
    ("шура", "Александр"),
    ("леша", "Алексей"),
    ("алеша", "Алексей"),
    ("толя", "Анатолий"),
    ("андрюша", "Андрей"),
    ("тема", "Артём"),
    ("боря", "Борис"),
    ("валера", "Валерий"),
    ("вася", "Василий"),
    ("витя", "Виктор"),
    ("вова", "Владимир"),
    ("володя", "Владимир"),
    ("влад", "Владислав"),
    ("слава", "Вячеслав"),
    ("гена", "Геннадий"),
    ("гоша", "Георгий"),
    ("жора", "Георгий"),
    ("гриша", "Григорий"),
    ("даня", "Даниил"),
    ("дима", "Дмитрий"),
    ("женя", "Евгений"),
    ("ваня", "Иван"),
    ("костя", "Константин"),
    ("леня", "Леонид"),
    ("макс", "Максим"),
    ("миша", "Михаил"),
    ("коля", "Николай"),
    ("паша", "Павел"),
    ("петя", "Пётр"),
    ("рома", "Роман"),
    ("сеня", "Семён"),
    ("сережа", "Сергей"),
    ("стас", "Станислав"),
    ("степа", "Степан"),
    ("федя", "Фёдор"),
    ("юра", "Юрий"),
    ("ярик", "Ярослав"),
    ("аня", "Анна"),
    ("настя", "Анастасия"),
    ("валя", "Валентина"),
    ("варя", "Варвара"),
    ("вика", "Виктория"),
    ("галя", "Галина"),
    ("даша", "Дарья"),
    ("катя", "Екатерина"),
    ("лена", "Елена"),
    ("лиза", "Елизавета"),
    ("ира", "Ирина"),
    ("ксюша", "Ксения"),
    ("люба", "Любовь"),
    ("люда", "Людмила"),
    ("рита", "Маргарита"),
    ("маша", "Мария"),
    ("надя", "Надежда"),
    ("наташа", "Наталья"),
    ("оля", "Ольга"),
    ("поля", "Полина"),
    ("света", "Светлана"),
    ("соня", "Софья"),
    ("тамара", "Тамара"),
    ("тома", "Тамара"),
    ("таня", "Татьяна"),
    ("юля", "Юлия"),
];

/// Words that set a naming context for the next word or two.
const CONTEXT: &[&str] = &[
    "зовут",
    "звать",
    "это",
    "я",
    "говорит",
    "имя",
    "меня",
    "именем",
    "зовите",
    "спросите",
];

struct Entry {
    full: &'static str,
    ambiguous: bool,
}

fn table() -> &'static HashMap<String, Entry> {
    static TABLE: OnceLock<HashMap<String, Entry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::new();
        let mut add = |form: String, full: &'static str, ambiguous: bool| {
            map.entry(form).or_insert(Entry { full, ambiguous });
        };
        for (names, ambiguous) in [(MALE, false), (FEMALE, false), (AMBIGUOUS, true)] {
            for &full in names {
                for form in case_forms(full) {
                    add(form, full, ambiguous);
                }
            }
        }
        for &(short, full) in DIMINUTIVES {
            // "слава", "рома", "люба", "надя" are words too.
            let ambiguous = matches!(
                short,
                "слава" | "рома" | "люба" | "поля" | "тема" | "макс" | "влад"
            );
            for form in case_forms(short) {
                add(form, full, ambiguous);
            }
        }
        map
    })
}

/// The case forms of a name (lowercase, `ё` folded): nominative, genitive, dative,
/// accusative, instrumental, prepositional.
fn case_forms(name: &str) -> Vec<String> {
    let lower: String = name.chars().map(crate::text::fold_char).collect();
    let stem = |n: usize| {
        lower
            .chars()
            .take(lower.chars().count() - n)
            .collect::<String>()
    };
    let last = lower.chars().last().unwrap_or(' ');
    let before = lower.chars().rev().nth(1).unwrap_or(' ');
    let mut forms = vec![lower.clone()];
    match last {
        'а' => {
            let s = stem(1);
            let genitive = if "гкхжчшщ".contains(before) {
                "и"
            } else {
                "ы"
            };
            for e in [genitive, "е", "у", "ой", "ою"] {
                forms.push(format!("{s}{e}"));
            }
        }
        'я' if before == 'и' => {
            let s = stem(1);
            for e in ["и", "ю", "ей"] {
                forms.push(format!("{s}{e}"));
            }
        }
        'я' => {
            let s = stem(1);
            for e in ["и", "е", "ю", "ей"] {
                forms.push(format!("{s}{e}"));
            }
        }
        'й' => {
            let s = stem(1);
            let prep = if before == 'и' { "и" } else { "е" };
            for e in ["я", "ю", "ем", prep] {
                forms.push(format!("{s}{e}"));
            }
        }
        'ь' if lower == "любовь" => forms.extend(["любови", "любовью"].map(String::from)),
        'ь' => {
            let s = stem(1);
            for e in ["я", "ю", "ем", "е"] {
                forms.push(format!("{s}{e}"));
            }
        }
        _ => {
            // "Павел" → "павла", "Пётр" → "петра", "Лев" → "льва": fleeting vowels.
            let s = match lower.as_str() {
                "павел" => "павл".to_owned(),
                "петр" => "петр".to_owned(),
                "лев" => "льв".to_owned(),
                _ => lower.clone(),
            };
            for e in ["а", "у", "ом", "е"] {
                forms.push(format!("{s}{e}"));
            }
        }
    }
    forms
}

/// First names in `tokens`, full nominative forms, each once.
pub(crate) fn extract(tokens: &[String]) -> Vec<String> {
    let table = table();
    let mut out: Vec<String> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let Some(entry) = table.get(t.as_str()) else {
            continue;
        };
        let in_context = tokens[i.saturating_sub(2)..i]
            .iter()
            .any(|w| CONTEXT.contains(&w.as_str()))
            || tokens
                .get(i + 1)
                .is_some_and(|w| w == "зовут" || w == "меня");
        if entry.ambiguous && !in_context {
            continue;
        }
        let name = entry.full.to_owned();
        if !out.contains(&name) && out.len() < crate::MAX_PER_KIND {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert!(case_forms("Ольга").contains(&"ольги".to_owned()));
        assert!(case_forms("Анна").contains(&"анны".to_owned()));
        assert!(case_forms("Павел").contains(&"павла".to_owned()));
        assert!(case_forms("Дмитрий").contains(&"дмитрия".to_owned()));
        assert!(case_forms("Наталья").contains(&"наталью".to_owned()));
        assert!(case_forms("Мария").contains(&"марию".to_owned()));
    }
}
