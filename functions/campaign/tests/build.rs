//! A 1,000-row campaign built from a generated upload, in UTF-8 (`;`) and cp1251 (`,`):
//! every row is accounted for with the expected reason, no do-not-call number reaches the
//! call list, and — minute by minute over a week — no row's UTC window ever lets a call
//! happen outside the tenant's hours in the callee's real zone, nor (with the pre-dial
//! check) on a holiday.
//!
//! The callees' real zones are the test's own: geographic codes and DEF ranges whose
//! subject is known (registry rows quoted below), not the crate's answer.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use sva_campaign::ingest::{RefusalCode, ingest};
use sva_campaign::plan::{Campaign, Plan};
use sva_campaign::window::{Calendar, Hours};
use sva_campaign::zones::Registry;

/// Number blocks with a known zone: (first national number, IANA zone).
const BLOCKS: &[(u64, &str)] = &[
    // Geographic codes.
    (4_012_000_000, "Europe/Kaliningrad"),
    (4_951_000_000, "Europe/Moscow"),
    (3_432_000_000, "Asia/Yekaterinburg"),
    (3_832_000_000, "Asia/Novosibirsk"),
    (4_232_000_000, "Asia/Vladivostok"),
    (4_152_000_000, "Asia/Kamchatka"),
    // DEF ranges of the registry:
    // 900;3450000;3549999;100000;ООО "Т2 Мобайл";Калининградская обл.;Калининградская область
    (9_003_450_000, "Europe/Kaliningrad"),
    // 901;5000000;5999999;1000000;ООО "Т2 Мобайл";г. Москва и Московская область;…
    (9_015_000_000, "Europe/Moscow"),
    // 912;2000000;2999999;1000000;ПАО "МТС";Свердловская обл.;Свердловская область
    (9_122_000_000, "Asia/Yekaterinburg"),
    // 913;7000000;7999999;1000000;ПАО "МТС";Новосибирская обл.;Новосибирская область
    (9_137_000_000, "Asia/Novosibirsk"),
    // 902;0500000;0799999;300000;ПАО "ВЫМПЕЛКОМ";Приморский край;Приморский край
    (9_020_500_000, "Asia/Vladivostok"),
    // 900;4350000;4449999;100000;ООО "Т2 МОБАЙЛ";Камчатский край;Камчатский край
    (9_004_350_000, "Asia/Kamchatka"),
];

/// A code no subject has: the callee could be anywhere in Russia.
const UNKNOWN_BLOCK: u64 = 3_001_000_000;

const BAD_NUMBERS: &[&str] = &[
    "8 916 123 45",
    "+7 916 123-45-67 доб. 123",
    "тел. 89161234567",
    "+380 44 123 4567",
    "8 800 555 35 35",
    "",
    "12345",
];

/// What the generator meant a row to become.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    /// A contact whose real zone is one of these (all Russian offsets when unknown).
    Contact {
        zones: Vec<TimeZone>,
        moscow: bool,
    },
    Refused(RefusalCode),
}

struct Row {
    cells: [String; 7],
    expect: Expect,
}

/// The ten-digit national number in one of the common spellings.
fn spell(national: u64, style: usize) -> String {
    let n = format!("{national:010}");
    let (a, b, c, d) = (&n[..3], &n[3..6], &n[6..8], &n[8..]);
    match style % 7 {
        0 => format!("+7 ({a}) {b}-{c}-{d}"),
        1 => format!("8 {a} {b} {c} {d}"),
        2 => format!("8{n}"),
        3 => n.clone(),
        4 => format!("+7-{a}-{b}-{c}-{d}"),
        5 => format!("7 {a} {b} {c} {d}"),
        _ => format!("+7{n}"),
    }
}

fn tz(name: &str) -> TimeZone {
    jiff::tz::db().get(name).unwrap()
}

fn all_russian_offsets() -> Vec<TimeZone> {
    (2..=12)
        .map(|h| TimeZone::fixed(Offset::constant(h)))
        .collect()
}

/// 1,000 rows and the do-not-call list.
fn generate() -> (Vec<Row>, BTreeSet<String>) {
    let mut rows = Vec::new();
    let mut dnc = BTreeSet::new();
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let mut first_good: Option<String> = None;
    for i in 0..1000usize {
        let (block, zone) = BLOCKS[next() % BLOCKS.len()];
        let national = block + i as u64;
        let mut phone = spell(national, next());
        let mut consent = "заявка на сайте technosklad.ru".to_owned();
        let mut date = if i % 2 == 0 {
            "2026-11-30".to_owned()
        } else {
            "30.11.2026 14:05".to_owned()
        };
        let mut timezone = String::new();
        let mut expect = Expect::Contact {
            zones: vec![tz(zone)],
            moscow: zone == "Europe/Moscow",
        };
        match i % 20 {
            3 => {
                phone = BAD_NUMBERS[next() % BAD_NUMBERS.len()].to_owned();
                expect = Expect::Refused(RefusalCode::InvalidNumber);
            }
            7 => {
                consent.clear();
                expect = Expect::Refused(RefusalCode::NoConsent);
            }
            11 => {
                date = ["", "31.02.2026", "2027-06-01", "вчера"][next() % 4].to_owned();
                expect = Expect::Refused(RefusalCode::BadConsentDate);
            }
            13 => {
                dnc.insert(format!("+7{national:010}"));
                expect = Expect::Refused(RefusalCode::DoNotCall);
            }
            17 if first_good.is_some() => {
                phone = first_good.clone().unwrap();
                expect = Expect::Refused(RefusalCode::Duplicate);
            }
            5 | 15 => {
                phone = spell(UNKNOWN_BLOCK + i as u64, next());
                expect = Expect::Contact {
                    zones: all_russian_offsets(),
                    moscow: false,
                };
            }
            9 => {
                // The CRM knows better than the number: a Moscow number living in Omsk.
                phone = spell(4_951_000_000 + i as u64, next());
                timezone = "Asia/Omsk".to_owned();
                expect = Expect::Contact {
                    zones: vec![tz("Asia/Omsk")],
                    moscow: false,
                };
            }
            _ => {}
        }
        if first_good.is_none() && matches!(expect, Expect::Contact { .. }) {
            first_good = Some(phone.clone());
        }
        let name = format!("Клиент {i}");
        let city = if i % 3 == 0 {
            "Москва, офис".to_owned()
        } else {
            "Склад №2".to_owned()
        };
        rows.push(Row {
            cells: [
                phone,
                name,
                format!("заявка {i}"),
                consent,
                date,
                timezone,
                city,
            ],
            expect,
        });
    }
    (rows, dnc)
}

fn write(rows: &[Row], headers: [&str; 7], delimiter: u8) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    w.write_record(headers).unwrap();
    for row in rows {
        w.write_record(&row.cells).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn campaign() -> Campaign {
    let mut c = Campaign::new("new-year", "Новогодние заявки", 10);
    c.hours = Hours::law_230fz();
    c.calendar = Calendar {
        days_off: ["2026-12-31", "2027-01-01", "2027-01-02"]
            .iter()
            .map(|d| d.parse::<Date>().unwrap())
            .collect(),
    };
    c
}

fn build(bytes: &[u8], dnc: &BTreeSet<String>, now: Timestamp) -> Plan {
    let ingested = ingest(bytes, Date::new(2026, 12, 27).unwrap(), |p| dnc.contains(p)).unwrap();
    Plan::build(
        &campaign(),
        "technosklad",
        ingested,
        Registry::shipped(),
        now,
    )
    .unwrap()
}

#[test]
fn a_thousand_rows_in_utf8_and_cp1251_are_all_accounted_for_and_called_only_in_hours() {
    let (rows, dnc) = generate();
    let now = ts("2026-12-28T00:00:00Z"); // a Monday
    let utf8 = format!(
        "\u{feff}{}",
        write(
            &rows,
            [
                "Телефон",
                "ФИО",
                "Заявка",
                "Согласие",
                "Дата согласия",
                "Часовой пояс",
                "Город"
            ],
            b';'
        )
    );
    let english = write(
        &rows,
        [
            "phone",
            "contact_name",
            "request",
            "consent_source",
            "consent_date",
            "timezone",
            "city",
        ],
        b',',
    );
    let (cp1251, _, unmappable) = encoding_rs::WINDOWS_1251.encode(&english);
    assert!(!unmappable);

    let a = build(utf8.as_bytes(), &dnc, now);
    let b = build(&cp1251, &dnc, now);
    for plan in [&a, &b] {
        check_accounting(plan, &rows);
        check_call_list(plan, &dnc);
    }
    // Both files say the same.
    let outcome = |p: &Plan| {
        (
            p.contacts
                .iter()
                .map(|c| (c.id.clone(), c.contact.phone.clone(), c.window, c.start_at))
                .collect::<Vec<_>>(),
            p.refusals
                .iter()
                .map(|r| (r.row, r.code))
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(outcome(&a), outcome(&b));
    assert_eq!(
        a.contacts[0]
            .contact
            .variables
            .get("gorod")
            .map(String::as_str),
        Some("Москва, офис")
    );
    assert_eq!(
        b.contacts[0]
            .contact
            .variables
            .get("city")
            .map(String::as_str),
        Some("Москва, офис")
    );

    simulate_week(&a, &rows, now);
}

/// Every data row is a contact or a refusal, with the reason the generator meant.
fn check_accounting(plan: &Plan, rows: &[Row]) {
    assert_eq!(plan.data_rows, 1000);
    assert_eq!(plan.contacts.len() + plan.refusals.len(), 1000);
    let mut by_line: BTreeMap<usize, Result<(), RefusalCode>> = BTreeMap::new();
    for c in &plan.contacts {
        assert!(by_line.insert(c.contact.row, Ok(())).is_none());
    }
    for r in &plan.refusals {
        assert!(by_line.insert(r.row, Err(r.code)).is_none());
        assert!(
            r.reason.chars().any(|c| ('а'..='я').contains(&c)),
            "{}",
            r.reason
        );
        let longest_digits = r
            .reason
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max();
        assert!(
            longest_digits < Some(5),
            "no number in a reason: {}",
            r.reason
        );
    }
    assert_eq!(
        by_line.keys().copied().collect::<Vec<_>>(),
        (2..=1001).collect::<Vec<_>>()
    );
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        let got = by_line[&(i + 2)];
        match &row.expect {
            Expect::Contact { .. } => assert_eq!(got, Ok(()), "row {}", i + 2),
            Expect::Refused(code) => {
                assert_eq!(got, Err(*code), "row {}", i + 2);
                *counts.entry(code.as_str()).or_default() += 1;
            }
        }
    }
    // Each kind of refusal really occurs.
    for code in [
        "invalid_number",
        "no_consent",
        "bad_consent_date",
        "do_not_call",
        "duplicate",
    ] {
        assert!(
            counts.get(code).copied().unwrap_or(0) >= 10,
            "{code}: {counts:?}"
        );
    }
}

/// The call list has the contract's columns, one row per contact, no do-not-call number.
fn check_call_list(plan: &Plan, dnc: &BTreeSet<String>) {
    let csv = plan.call_list_csv();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "phone;tenant;campaign;contact;vm;__start_execution_time;__end_execution_time;__start_at"
        )
    );
    let mut count = 0;
    for line in lines {
        count += 1;
        let f: Vec<&str> = line.split(';').collect();
        assert_eq!(f.len(), 8, "{line}");
        assert!(
            f[0].len() == 11 && f[0].starts_with('7') && f[0].bytes().all(|b| b.is_ascii_digit())
        );
        assert!(
            !dnc.contains(&format!("+{}", f[0])),
            "a do-not-call number in the list"
        );
        assert_eq!((f[1], f[2], f[4]), ("technosklad", "new-year", "hangup"));
        for t in [f[5], f[6]] {
            let p: Vec<&str> = t.split(':').collect();
            assert!(p.len() == 3 && p.iter().all(|x| x.len() == 2), "{t}");
        }
        assert!(f[7].parse::<i64>().is_ok());
    }
    assert_eq!(count, plan.contacts.len());
}

/// Every minute of a week: a minute the row lets Voximplant call is inside the hours in
/// each of the callee's real zones, and a minute the pre-dial check also allows is not
/// a day off there.
fn simulate_week(plan: &Plan, rows: &[Row], now: Timestamp) {
    let hours = &plan.campaign.hours;
    let calendar = &plan.campaign.calendar;
    let mut unknown_seen = 0;
    for c in &plan.contacts {
        let Expect::Contact { zones, moscow } = &rows[c.contact.row - 2].expect else {
            panic!("row {} should be refused", c.contact.row);
        };
        if zones.len() > 1 {
            unknown_seen += 1;
        }
        let mut dialable = 0;
        for minute in 0..7 * 24 * 60 {
            let t = now.checked_add(SignedDuration::from_mins(minute)).unwrap();
            if t < c.start_at || !c.window.contains(t) {
                continue;
            }
            let gate = plan.may_dial(c, t).is_ok();
            for zone in zones {
                let local = zone.to_datetime(t);
                let m = local.hour() as u16 * 60 + local.minute() as u16;
                assert!(
                    hours.on(local.weekday()).is_some_and(|h| h.contains(m)),
                    "row {} would be called at {local} local",
                    c.contact.row
                );
                if gate {
                    assert!(
                        !calendar.is_off(local.date()),
                        "row {} called on a holiday {local}",
                        c.contact.row
                    );
                }
            }
            if gate {
                dialable += 1;
            }
        }
        assert!(dialable > 0, "row {} is never called", c.contact.row);
        if *moscow {
            // 09:00–20:00 Moscow (the weekend hours bound every day) on Mon, Tue, Wed and
            // Sun: nothing lost but the holidays.
            assert_eq!(dialable, 4 * 11 * 60, "row {}", c.contact.row);
        }
        // The first moment the row may start is one the pre-dial check allows.
        assert_eq!(
            plan.may_dial(c, c.start_at),
            Ok(()),
            "row {}",
            c.contact.row
        );
    }
    assert!(unknown_seen >= 50, "{unknown_seen}");
}

#[test]
fn a_holiday_at_the_start_moves_start_at_to_the_next_open_day() {
    let (rows, dnc) = generate();
    let file = write(
        &rows[..40],
        [
            "телефон",
            "имя",
            "заявка",
            "согласие",
            "дата согласия",
            "часовой пояс",
            "город",
        ],
        b';',
    );
    // 31 December, noon UTC: a day off everywhere in Russia.
    let now = ts("2026-12-31T12:00:00Z");
    let plan = build(file.as_bytes(), &dnc, now);
    assert!(!plan.contacts.is_empty());
    for c in &plan.contacts {
        // The next open day is Sunday 3 January in every zone (Saturday 2nd is off).
        assert!(
            c.start_at >= ts("2027-01-02T12:00:00Z"),
            "row {}: {}",
            c.contact.row,
            c.start_at
        );
        assert!(
            c.start_at < ts("2027-01-04T00:00:00Z"),
            "row {}: {}",
            c.contact.row,
            c.start_at
        );
        assert!(c.window.contains(c.start_at));
    }
}
