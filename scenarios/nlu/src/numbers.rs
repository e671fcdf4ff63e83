//! Russian numerals, in words and in digits, as callers say them.

/// One numeral word.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Word {
    /// 0..=9.
    Unit(u32),
    /// 10..=19.
    Teen(u32),
    /// 20, 30, …, 90.
    Ten(u32),
    /// 100, 200, …, 900.
    Hundred(u32),
    /// тысяча, миллион, миллиард and their slang; `plural` for the genitive plural
    /// (тысяч, миллионов), which starts the inverted "тысяч пятьсот".
    Scale { value: f64, plural: bool },
    /// полтора / полторы: 1.5.
    OneAndHalf,
    /// полмиллиона, полтысячи, полляма: half a scale.
    HalfScale(f64),
    /// «пол» on its own, before a scale word.
    Half,
}

/// The numeral a word is, in any case form.
pub(crate) fn word(w: &str) -> Option<Word> {
    use Word::*;
    Some(match w {
        "ноль" | "нуль" | "ноля" | "нуля" | "нолю" | "нулю" => Unit(0),
        "один" | "одна" | "одно" | "одного" | "одной" | "одному" | "одним" | "одну" => {
            Unit(1)
        }
        "два" | "две" | "двух" | "двум" | "двумя" => Unit(2),
        "три" | "трех" | "трем" | "тремя" => Unit(3),
        "четыре" | "четырех" | "четырем" | "четырьмя" => Unit(4),
        "пять" | "пяти" | "пятью" => Unit(5),
        "шесть" | "шести" | "шестью" => Unit(6),
        "семь" | "семи" | "семью" => Unit(7),
        "восемь" | "восьми" | "восемью" => Unit(8),
        "девять" | "девяти" | "девятью" => Unit(9),
        "десять" | "десяти" | "десятью" => Teen(10),
        "одиннадцать" | "одиннадцати" => Teen(11),
        "двенадцать" | "двенадцати" => Teen(12),
        "тринадцать" | "тринадцати" => Teen(13),
        "четырнадцать" | "четырнадцати" => Teen(14),
        "пятнадцать" | "пятнадцати" => Teen(15),
        "шестнадцать" | "шестнадцати" => Teen(16),
        "семнадцать" | "семнадцати" => Teen(17),
        "восемнадцать" | "восемнадцати" => Teen(18),
        "девятнадцать" | "девятнадцати" => Teen(19),
        "двадцать" | "двадцати" => Ten(20),
        "тридцать" | "тридцати" => Ten(30),
        "сорок" | "сорока" => Ten(40),
        "пятьдесят" | "пятидесяти" => Ten(50),
        "шестьдесят" | "шестидесяти" => Ten(60),
        "семьдесят" | "семидесяти" => Ten(70),
        "восемьдесят" | "восьмидесяти" => Ten(80),
        "девяносто" | "девяноста" => Ten(90),
        "сто" | "ста" => Hundred(100),
        "двести" | "двухсот" | "двумстам" => Hundred(200),
        "триста" | "трехсот" | "тремстам" => Hundred(300),
        "четыреста" | "четырехсот" | "четыремстам" => Hundred(400),
        "пятьсот" | "пятисот" | "пятистам" => Hundred(500),
        "шестьсот" | "шестисот" | "шестистам" => Hundred(600),
        "семьсот" | "семисот" | "семистам" => Hundred(700),
        "восемьсот" | "восьмисот" | "восьмистам" => Hundred(800),
        "девятьсот" | "девятисот" | "девятистам" => Hundred(900),
        "тысяча" | "тысячи" | "тысячу" | "тысяче" | "тысячей" | "тыс" | "тыща" | "тыщи"
        | "тыщу" | "косарь" | "косаря" | "косарю" | "к" => Scale {
            value: 1e3,
            plural: false,
        },
        "тысяч" | "тыщ" | "косарей" | "косарями" | "тысячами" | "тысячам" => {
            Scale {
                value: 1e3,
                plural: true,
            }
        }
        "миллион" | "миллиона" | "миллиону" | "миллионом" | "млн" | "лям" | "ляма" | "ляму"
        | "лимон" | "лимона" => Scale {
            value: 1e6,
            plural: false,
        },
        "миллионов" | "лямов" | "лимонов" | "миллионами" | "миллионам" => {
            Scale {
                value: 1e6,
                plural: true,
            }
        }
        "миллиард" | "миллиарда" | "млрд" | "ярд" | "ярда" => Scale {
            value: 1e9,
            plural: false,
        },
        "миллиардов" => Scale {
            value: 1e9,
            plural: true,
        },
        "полтора" | "полторы" | "полутора" => OneAndHalf,
        "полмиллиона" | "полляма" | "пол-миллиона" => HalfScale(1e6),
        "полтысячи" | "полтыщи" => HalfScale(1e3),
        "пол" => Half,
        _ => return None,
    })
}

/// Whether a scale word is in the genitive singular (миллиона, тысячи, ляма), the form
/// that follows 2, 3, 4 and полтора: said first, it starts an inverted amount.
fn genitive_singular(word: &str) -> bool {
    matches!(
        word,
        "миллиона"
            | "ляма"
            | "лимона"
            | "тысячи"
            | "тыщи"
            | "миллиарда"
            | "ярда"
            | "косаря"
    )
}

/// A token of digits: its value and the scale of a glued suffix (`500к`, `2млн`).
pub(crate) fn digits(token: &str) -> Option<(f64, Option<f64>, usize)> {
    let split = token
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == ',' || *c == '.'))
        .map_or(token.len(), |(i, _)| i);
    let (number, suffix) = token.split_at(split);
    if number.is_empty() || !number.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let scale = match suffix {
        "" => None,
        "к" | "k" | "тыс" | "т" => Some(1e3),
        "м" | "млн" | "m" | "кк" => Some(1e6),
        "млрд" => Some(1e9),
        "р" | "руб" | "₽" => None,
        _ => return None,
    };
    let count = number.bytes().filter(u8::is_ascii_digit).count();
    // "1,5" and "1.5" are decimals; "250.000" is a thousands separator.
    let value = match number.split_once([',', '.']) {
        Some((int, frac)) if frac.len() == 3 && !frac.contains([',', '.']) && scale.is_none() => {
            format!("{int}{frac}").parse().ok()?
        }
        Some((int, frac)) if !frac.contains([',', '.']) => format!("{int}.{frac}").parse().ok()?,
        Some(_) => return None,
        None => number.parse().ok()?,
    };
    Some((value, scale, count))
}

/// A cardinal number found in the tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cardinal {
    /// First token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
    /// The value.
    pub value: f64,
    /// Whether a scale word or suffix (тысяч, млн, к) was part of it.
    pub scaled: bool,
    /// Whether it was written with a thousands group (`250 000`, `250.000`).
    pub grouped: bool,
}

/// Parses the cardinal number that starts at `tokens[start]`, if one does.
///
/// Handles words and digits mixed (`2 миллиона 300 тысяч`), `полтора`, `с половиной`,
/// digit groups (`250 000`), the colloquial `миллион двести` (= 1 200 000) and the
/// inverted approximate `тысяч пятьсот` (= 500 000) and `миллиона два` (= 2 000 000).
pub(crate) fn cardinal(tokens: &[String], start: usize) -> Option<Cardinal> {
    let mut total = 0.0;
    let mut group = 0.0;
    let mut has_group = false;
    // What the current group may still take: 4 anything, 3 tens and below, 2 units, 0 nothing.
    let mut room = 4;
    let mut scaled = false;
    let mut last_scale = f64::INFINITY;
    let mut grouped = false;
    let mut j = start;
    while j < tokens.len() {
        let t = tokens[j].as_str();
        if let Some((value, suffix, count)) = digits(t) {
            if has_group || room < 4 {
                break;
            }
            let mut value = value;
            // "250 000": a group of up to three digits followed by exactly three.
            while suffix.is_none()
                && count <= 3
                && value < 1000.0
                && tokens
                    .get(j + 1)
                    .is_some_and(|n| n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()))
            {
                j += 1;
                value = value * 1000.0 + tokens[j].parse::<f64>().unwrap_or(0.0);
                grouped = true;
            }
            grouped |= count > 3 && value >= 1e4 && t.contains(['.', ',']);
            match suffix {
                Some(scale) if scale < last_scale => {
                    total += value * scale;
                    scaled = true;
                    last_scale = scale;
                    room = 4;
                }
                Some(_) => break,
                None => {
                    group = value;
                    has_group = true;
                    room = 0;
                }
            }
            j += 1;
            continue;
        }
        if t == "с" && has_group && tokens.get(j + 1).is_some_and(|n| n == "половиной") {
            group += 0.5;
            j += 2;
            continue;
        }
        let Some(w) = word(t) else { break };
        match w {
            Word::Unit(n) if room > 1 => {
                group += f64::from(n);
                has_group = true;
                room = 0;
            }
            Word::Teen(n) if room > 2 => {
                group += f64::from(n);
                has_group = true;
                room = 0;
            }
            Word::Ten(n) if room > 2 => {
                group += f64::from(n);
                has_group = true;
                room = 2;
            }
            Word::Hundred(n) if room > 3 => {
                group += f64::from(n);
                has_group = true;
                room = 3;
            }
            Word::OneAndHalf if !has_group && room == 4 => {
                group = 1.5;
                has_group = true;
                room = 0;
            }
            Word::Scale { .. } if !has_group && matches!(t, "к" | "тыс" | "млн" | "млрд") =>
            {
                break;
            }
            Word::Scale { value, plural } if value < last_scale => {
                if !has_group && j == start && genitive_singular(t) {
                    // "миллиона два", "тысячи три", "ляма полтора": two million, inverted.
                    if let Some(inner) = cardinal(tokens, j + 1)
                        .filter(|c| !c.scaled && (1.5..=4.0).contains(&c.value))
                    {
                        return Some(Cardinal {
                            start,
                            end: inner.end,
                            value: inner.value * value,
                            scaled: true,
                            grouped: false,
                        });
                    }
                }
                if !has_group && plural && j == start {
                    // "тысяч пятьсот": about five hundred thousand.
                    let inner = cardinal(tokens, j + 1)
                        .filter(|c| !c.scaled && c.value < 1000.0 && c.value >= 1.0)?;
                    return Some(Cardinal {
                        start,
                        end: inner.end,
                        value: inner.value * value,
                        scaled: true,
                        grouped: false,
                    });
                }
                total += if has_group { group } else { 1.0 } * value;
                group = 0.0;
                has_group = false;
                room = 4;
                scaled = true;
                last_scale = value;
            }
            Word::HalfScale(value) if !has_group && room == 4 && value < last_scale => {
                total += value / 2.0;
                scaled = true;
                last_scale = value;
            }
            Word::Half if !has_group && room == 4 => {
                match tokens.get(j + 1).and_then(|n| word(n)) {
                    Some(Word::Scale { value, .. }) if value < last_scale => {
                        total += value / 2.0;
                        scaled = true;
                        last_scale = value;
                        j += 1;
                    }
                    _ => break,
                }
            }
            _ => break,
        }
        j += 1;
    }
    if j == start || (!has_group && !scaled) {
        return None;
    }
    if has_group {
        // "миллион двести": the bare group after millions means thousands.
        total += if last_scale >= 1e6 && last_scale.is_finite() && group < 1000.0 {
            group * 1000.0
        } else {
            group
        };
    }
    Some(Cardinal {
        start,
        end: j,
        value: total,
        scaled,
        grouped,
    })
}

/// The day or hour an ordinal word names ("пятнадцатого" → 15, "третьего" → 3), 1..=31,
/// with compounds ("двадцать первого") handled by [`ordinal_at`].
pub(crate) fn ordinal(w: &str) -> Option<u32> {
    const STEMS: [(&str, u32); 20] = [
        ("перв", 1),
        ("втор", 2),
        ("трет", 3),
        ("четверт", 4),
        ("пят", 5),
        ("шест", 6),
        ("седьм", 7),
        ("восьм", 8),
        ("девят", 9),
        ("десят", 10),
        ("одиннадцат", 11),
        ("двенадцат", 12),
        ("тринадцат", 13),
        ("четырнадцат", 14),
        ("пятнадцат", 15),
        ("шестнадцат", 16),
        ("семнадцат", 17),
        ("восемнадцат", 18),
        ("девятнадцат", 19),
        ("двадцат", 20),
    ];
    const ENDINGS: [&str; 10] = [
        "ого", "ое", "ый", "ой", "ому", "ом", "ье", "ьего", "ий", "ьему",
    ];
    // Every ordinal starts with one of these letters; most words end here.
    if !matches!(
        w.chars().next(),
        Some('п' | 'в' | 'т' | 'ч' | 'ш' | 'с' | 'д' | 'о')
    ) {
        return None;
    }
    if w == "тридцатого" || w == "тридцатое" {
        return Some(30);
    }
    // Longest stem first, so "пятнадцат" wins over "пят".
    let mut best: Option<(usize, u32)> = None;
    for (stem, n) in STEMS {
        if let Some(rest) = w.strip_prefix(stem)
            && ENDINGS.contains(&rest)
            && best.is_none_or(|(len, _)| stem.len() > len)
        {
            best = Some((stem.len(), n));
        }
    }
    best.map(|(_, n)| n)
}

/// An ordinal at `tokens[i]`, possibly compound ("двадцать первого"); returns the value
/// and the index after it.
pub(crate) fn ordinal_at(tokens: &[String], i: usize) -> Option<(u32, usize)> {
    if let (Some(Word::Ten(tens)), Some(unit)) = (
        tokens.get(i).and_then(|t| word(t)),
        tokens.get(i + 1).and_then(|t| ordinal(t)),
    ) && (20..=30).contains(&tens)
        && unit < 10
    {
        return Some((tens + unit, i + 2));
    }
    tokens.get(i).and_then(|t| ordinal(t)).map(|n| (n, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokens;

    fn value(text: &str) -> Option<f64> {
        cardinal(&tokens(text), 0).map(|c| c.value)
    }

    #[test]
    fn cardinals() {
        assert_eq!(value("полтора миллиона"), Some(1.5e6));
        assert_eq!(value("миллион двести"), Some(1.2e6));
        assert_eq!(value("два миллиона триста"), Some(2.3e6));
        assert_eq!(value("два с половиной миллиона"), Some(2.5e6));
        assert_eq!(value("тысяч пятьсот"), Some(5e5));
        assert_eq!(value("миллиона два"), Some(2e6));
        assert_eq!(value("миллиона полтора"), Some(1.5e6));
        assert_eq!(value("тысячи три"), Some(3000.0));
        assert_eq!(value("ляма два с половиной"), Some(2.5e6));
        assert_eq!(value("миллиона"), Some(1e6));
        assert_eq!(value("три тысячи пятьсот"), Some(3500.0));
        assert_eq!(value("500к"), Some(5e5));
        assert_eq!(value("1,5 млн"), Some(1.5e6));
        assert_eq!(value("250 000"), Some(250_000.0));
        assert_eq!(value("полмиллиона"), Some(5e5));
        assert_eq!(value("пол миллиона"), Some(5e5));
        assert_eq!(value("сто двадцать три"), Some(123.0));
        assert_eq!(value("миллион двести тысяч"), Some(1.2e6));
        assert_eq!(value("2 миллиона 300 тысяч"), Some(2.3e6));
        assert_eq!(value("девятьсот шестнадцать сто"), Some(916.0));
        assert_eq!(value("пять косарей"), Some(5000.0));
        assert_eq!(value("двадцать одиннадцать"), Some(20.0));
        assert_eq!(value("тысяч"), None);
        assert_eq!(value("привет"), None);
    }

    #[test]
    fn ordinals() {
        assert_eq!(ordinal("пятнадцатого"), Some(15));
        assert_eq!(ordinal("третьего"), Some(3));
        assert_eq!(ordinal("первое"), Some(1));
        assert_eq!(ordinal("пятого"), Some(5));
        assert_eq!(ordinal("пятница"), None);
        assert_eq!(ordinal_at(&tokens("двадцать первого"), 0), Some((21, 2)));
    }
}
