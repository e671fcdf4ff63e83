//! A callee's time zone from the Russian numbering registry.
//!
//! libphonenumber gives every Russian mobile number all of Russia's zones, so the crate
//! ships its own table, derived from the Ministry of Digital Development's open-data
//! registry ("Выписка из реестра Российской системы и плана нумерации", the files
//! `ABC-3xx.csv`, `ABC-4xx.csv`, `ABC-8xx.csv`, `DEF-9xx.csv`; columns
//! `АВС/ DEF;От;До;Емкость;Оператор;Регион[;Территория ГАР;ИНН]`):
//!
//! - `data/numbering.csv` — ranges of ten-digit national numbers → IANA zone(s), compiled
//!   by [`compile`] from the registry (see [`TABLE_SOURCE`] for its date);
//! - `data/abc.csv` — geographic (ABC) code → subject, for the codes whose ranges the
//!   table lacks;
//! - `data/regions.csv` — each of the 89 subjects → its zone(s).
//!
//! A zone the CRM knows overrides the table; a number neither knows gets every offset
//! Russia has (UTC+2..UTC+12), so its window is the narrowest one.
//!
//! Zones are `jiff`'s: it is already in the workspace's lock file, bundles the tz database
//! into the binary (a serverless container has no `/usr/share/zoneinfo`), and its
//! `Timestamp`/`civil` types make the local/UTC distinction explicit. `chrono-tz` would
//! add a second date-time library for the same job.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use jiff::tz::{Offset, TimeZone};
use serde::{Deserialize, Serialize};

/// Where the shipped table comes from and how old it is.
pub const TABLE_SOURCE: &str = "DEF-9xx.csv of the Ministry of Digital Development's numbering registry, a copy dated no later than 2026-04-20 (16,629 rows, 8,772 ranges); ABC codes from data/abc.csv";

/// The shipped compiled table.
const NUMBERING: &str = include_str!("../data/numbering.csv");
/// The shipped ABC code table.
const ABC: &str = include_str!("../data/abc.csv");
/// The shipped subject → zone table.
const REGIONS: &str = include_str!("../data/regions.csv");

/// Russia's offsets from UTC, in hours: Kaliningrad (+2) to Kamchatka (+12).
pub const RUSSIAN_OFFSETS: std::ops::RangeInclusive<i8> = 2..=12;

/// How a callee's zone was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneSource {
    /// The CRM (or the file) named the zone.
    Crm,
    /// The number's range in the registry table.
    Registry,
    /// The number's geographic (ABC) code.
    AbcCode,
    /// Nothing: every Russian offset, so the narrowest window.
    Unknown,
}

/// The zone(s) a callee may be in: one for most, several where a region spans zones or
/// nothing is known. Stored as `{"names": [...], "source": "..."}`, the zones read back
/// from their names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "ZoneDoc", into = "ZoneDoc")]
pub struct CalleeZone {
    /// The zones; never empty.
    pub zones: Vec<TimeZone>,
    /// Their IANA names (or `UTC+N` for the offsets of an unknown number).
    pub names: Vec<String>,
    /// How they were found.
    pub source: ZoneSource,
}

/// A [`CalleeZone`] as stored.
#[derive(Serialize, Deserialize)]
struct ZoneDoc {
    names: Vec<String>,
    source: ZoneSource,
}

impl From<CalleeZone> for ZoneDoc {
    fn from(z: CalleeZone) -> Self {
        Self {
            names: z.names,
            source: z.source,
        }
    }
}

impl TryFrom<ZoneDoc> for CalleeZone {
    type Error = String;
    fn try_from(doc: ZoneDoc) -> Result<Self, String> {
        let mut zones = Vec::with_capacity(doc.names.len());
        for name in &doc.names {
            let zone =
                CalleeZone::parse(name).ok_or_else(|| format!("unknown time zone {name}"))?;
            zones.extend(zone.zones);
        }
        if zones.is_empty() {
            return Err("a callee has at least one zone".into());
        }
        Ok(Self {
            zones,
            names: doc.names,
            source: doc.source,
        })
    }
}

impl CalleeZone {
    /// Every offset Russia has: the callee could be anywhere.
    pub fn unknown() -> Self {
        let mut zones = Vec::new();
        let mut names = Vec::new();
        for hours in RUSSIAN_OFFSETS {
            zones.push(TimeZone::fixed(Offset::constant(hours)));
            names.push(format!("UTC+{hours}"));
        }
        Self {
            zones,
            names,
            source: ZoneSource::Unknown,
        }
    }

    /// Zones by IANA name; `None` when a name is not in the tz database.
    fn named(names: &[String], source: ZoneSource) -> Option<Self> {
        let zones = names
            .iter()
            .map(|n| jiff::tz::db().get(n).ok())
            .collect::<Option<Vec<_>>>()?;
        (!zones.is_empty()).then(|| Self {
            zones,
            names: names.to_vec(),
            source,
        })
    }

    /// A zone as a CRM or a sales manager writes it: an IANA name (`Asia/Omsk`), Moscow
    /// time and an offset from it (`МСК`, `МСК+4`, `MSK-1`), or an offset from UTC
    /// (`UTC+7`, `GMT+3`); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Some(found) = Self::named(&[text.to_owned()], ZoneSource::Crm) {
            return Some(found);
        }
        let compact: String = text
            .to_uppercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let (base, rest) = ["МСК", "MSK"]
            .iter()
            .find_map(|p| compact.strip_prefix(p).map(|r| (3i8, r)))
            .or_else(|| {
                ["UTC", "GMT"]
                    .iter()
                    .find_map(|p| compact.strip_prefix(p).map(|r| (0i8, r)))
            })?;
        if rest.is_empty() && base == 3 {
            return Self::named(&["Europe/Moscow".to_owned()], ZoneSource::Crm);
        }
        let (sign, hours) = match rest.split_at_checked(1)? {
            ("+", h) => (1i8, h),
            ("-", h) | ("\u{2212}", h) => (-1, h),
            _ => return None,
        };
        let hours = hours.strip_suffix(":00").unwrap_or(hours);
        let hours: i8 = (hours.len() <= 2).then(|| hours.parse().ok()).flatten()?;
        let offset = base.checked_add(sign * hours)?;
        if !(-12..=14).contains(&offset) {
            return None;
        }
        Some(Self {
            zones: vec![TimeZone::fixed(Offset::constant(offset))],
            names: vec![format!("UTC{offset:+}")],
            source: ZoneSource::Crm,
        })
    }
}

/// Why a table cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    /// A line of a table is malformed.
    #[error("line {line} of {table}: {detail}")]
    BadLine {
        /// Which table.
        table: &'static str,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        detail: String,
    },
    /// A zone name the tz database does not have.
    #[error("unknown time zone {zone} in {table}")]
    UnknownZone {
        /// Which table.
        table: &'static str,
        /// The name.
        zone: String,
    },
    /// The registry file's header is not the registry's.
    #[error("not a numbering registry file: header {header:?}")]
    NotRegistry {
        /// The header found.
        header: String,
    },
    /// Two ranges of the compiled table overlap.
    #[error("ranges overlap at {at}")]
    Overlap {
        /// The first number of the later range.
        at: u64,
    },
}

impl ZoneError {
    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadLine { .. } => "bad_line",
            Self::UnknownZone { .. } => "unknown_zone",
            Self::NotRegistry { .. } => "not_registry",
            Self::Overlap { .. } => "overlap",
        }
    }
}

/// Subjects of the federation → zone names.
#[derive(Debug, Clone)]
pub struct RegionTable {
    by_name: HashMap<String, Vec<String>>,
}

impl RegionTable {
    /// The shipped table (`data/regions.csv`).
    pub fn shipped() -> &'static RegionTable {
        static TABLE: OnceLock<RegionTable> = OnceLock::new();
        TABLE.get_or_init(|| Self::parse(REGIONS).expect("the shipped region table is valid"))
    }

    /// A `region;zones` table (`#` comments, zones joined with `|`).
    pub fn parse(text: &str) -> Result<Self, ZoneError> {
        let mut by_name = HashMap::new();
        for (line, fields) in data_lines(text, "regions", "region") {
            let [region, zones] = fields.as_slice() else {
                return Err(bad("regions", line, "expected region;zones"));
            };
            let zones: Vec<String> = zones.split('|').map(str::to_owned).collect();
            check_zones("regions", &zones)?;
            by_name.insert(normalise_region(region), zones);
        }
        Ok(Self { by_name })
    }

    /// The number of subjects.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The zones of a registry territory ("Город Москва, Московская область",
    /// "г. Норильск|г.о. город Норильск|Красноярский край", "Ростовская обл."): the union
    /// over the subjects it names; `None` when it names none ("Российская Федерация").
    pub fn zones_of(&self, territory: &str) -> Option<Vec<String>> {
        let mut zones = BTreeSet::new();
        for part in territory.split([',', '|']).flat_map(|p| p.split(" и ")) {
            if let Some(z) = self.by_name.get(&normalise_region(part)) {
                zones.extend(z.iter().cloned());
            }
        }
        (!zones.is_empty()).then(|| zones.into_iter().collect())
    }
}

/// A region's name compared loosely: lowercase, `ё` as `е`, dashes as spaces, runs of
/// spaces as one, the older registry's abbreviations (`обл.`, `АО`, `Респ.`) spelled out,
/// `г.`/`город` dropped, and the older names of a few subjects.
fn normalise_region(name: &str) -> String {
    let lower = name
        .trim()
        .to_lowercase()
        .replace('ё', "е")
        .replace(['-', '\u{2013}', '\u{2014}'], " ");
    let mut out: Vec<&str> = Vec::new();
    for w in lower.split_whitespace() {
        match w {
            "обл." | "обл" => out.push("область"),
            "ао" => out.extend(["автономный", "округ"]),
            "респ." | "респ" => out.push("республика"),
            "г." | "город" | "г" => {}
            other => out.push(other),
        }
    }
    let joined = out.join(" ");
    let alias = match joined.as_str() {
        "республика татарстан (татарстан)" => "республика татарстан",
        "чувашская республика" => "чувашская республика чувашия",
        "кемеровская область" => "кемеровская область кузбасс",
        "республика северная осетия" => "республика северная осетия алания",
        "ханты мансийский автономный округ" => {
            "ханты мансийский автономный округ югра"
        }
        "республика удмуртия" => "удмуртская республика",
        _ => return joined,
    };
    alias.to_owned()
}

/// One range of the compiled table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// The first ten-digit national number.
    pub from: u64,
    /// The last one.
    pub to: u64,
    /// Its zones (IANA names, sorted).
    pub zones: Vec<String>,
}

/// The numbering table: ranges and ABC codes → zones.
#[derive(Debug, Clone)]
pub struct Registry {
    ranges: Vec<Range>,
    abc: HashMap<u16, Vec<String>>,
}

impl Registry {
    /// The table shipped in the crate.
    pub fn shipped() -> &'static Registry {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        REGISTRY.get_or_init(|| {
            Self::parse(NUMBERING, ABC, RegionTable::shipped())
                .expect("the shipped numbering table is valid")
        })
    }

    /// A compiled table (`from;to;zones`, as [`render`] writes it) and an ABC code table
    /// (`code;region`), the regions resolved with `regions`.
    pub fn parse(numbering: &str, abc: &str, regions: &RegionTable) -> Result<Self, ZoneError> {
        let mut ranges: Vec<Range> = Vec::new();
        for (line, fields) in data_lines(numbering, "numbering", "from") {
            let [from, to, zones] = fields.as_slice() else {
                return Err(bad("numbering", line, "expected from;to;zones"));
            };
            let number = |s: &str| {
                (s.len() == 10)
                    .then(|| s.parse::<u64>().ok())
                    .flatten()
                    .ok_or_else(|| bad("numbering", line, "a number is not ten digits"))
            };
            let (from, to) = (number(from)?, number(to)?);
            if to < from {
                return Err(bad("numbering", line, "the range ends before it starts"));
            }
            let zones: Vec<String> = zones.split('|').map(str::to_owned).collect();
            check_zones("numbering", &zones)?;
            ranges.push(Range { from, to, zones });
        }
        ranges.sort_by_key(|r| r.from);
        if let Some(w) = ranges.windows(2).find(|w| w[1].from <= w[0].to) {
            return Err(ZoneError::Overlap { at: w[1].from });
        }
        let mut codes = HashMap::new();
        for (line, fields) in data_lines(abc, "abc", "code") {
            let [code, region] = fields.as_slice() else {
                return Err(bad("abc", line, "expected code;region"));
            };
            let code: u16 = code
                .parse()
                .ok()
                .filter(|c| (300..900).contains(c))
                .ok_or_else(|| bad("abc", line, "a code is three digits, 3xx to 8xx"))?;
            let zones = regions
                .zones_of(region)
                .ok_or_else(|| bad("abc", line, "a region the region table lacks"))?;
            codes.insert(code, zones);
        }
        Ok(Self { ranges, abc: codes })
    }

    /// The number of ranges.
    pub fn ranges(&self) -> usize {
        self.ranges.len()
    }

    /// The zone(s) of an E.164 number: `crm_zone` when [`CalleeZone::parse`] reads it,
    /// else the registry range, else the ABC code, else every Russian offset.
    pub fn resolve(&self, e164: &str, crm_zone: Option<&str>) -> CalleeZone {
        if let Some(found) = crm_zone.and_then(CalleeZone::parse) {
            return found;
        }
        let Some(national) = e164
            .strip_prefix("+7")
            .filter(|n| n.len() == 10)
            .and_then(|n| n.parse::<u64>().ok())
        else {
            return CalleeZone::unknown();
        };
        let i = self.ranges.partition_point(|r| r.from <= national);
        if let Some(r) = i.checked_sub(1).map(|i| &self.ranges[i])
            && national <= r.to
            && let Some(found) = CalleeZone::named(&r.zones, ZoneSource::Registry)
        {
            return found;
        }
        let code = (national / 10_000_000) as u16;
        if let Some(zones) = self.abc.get(&code)
            && let Some(found) = CalleeZone::named(zones, ZoneSource::AbcCode)
        {
            return found;
        }
        CalleeZone::unknown()
    }
}

/// What [`compile`] made of registry files.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    /// The ranges, sorted, adjacent ranges of the same zones merged.
    pub ranges: Vec<Range>,
    /// Registry rows read.
    pub rows: usize,
    /// Territories no subject of the region table matched, with their row counts (their
    /// numbers are left out of the table: the narrowest window).
    pub unmatched: BTreeMap<String, usize>,
}

/// Compiles the Ministry's registry files (their text, UTF-8 with or without a BOM;
/// decode a cp1251 download first) into the range table, using the `Территория ГАР`
/// column when the file has it and `Регион` otherwise.
pub fn compile(files: &[&str], regions: &RegionTable) -> Result<Compiled, ZoneError> {
    let mut out = Compiled::default();
    let mut ranges = Vec::new();
    for text in files {
        let text = text.trim_start_matches('\u{feff}');
        let mut lines = text.lines().enumerate();
        let header = lines.next().map(|(_, h)| h).unwrap_or_default();
        let columns: Vec<&str> = header.split(';').map(str::trim).collect();
        if columns.len() < 6 || columns[1] != "От" || columns[2] != "До" {
            return Err(ZoneError::NotRegistry {
                header: header.chars().take(80).collect(),
            });
        }
        let territory = columns
            .iter()
            .position(|c| *c == "Территория ГАР")
            .unwrap_or(5);
        for (i, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(';').map(str::trim).collect();
            let line_no = i + 1;
            let (Some(code), Some(from), Some(to), Some(place)) = (
                fields.first(),
                fields.get(1),
                fields.get(2),
                fields.get(territory),
            ) else {
                return Err(bad("registry", line_no, "too few columns"));
            };
            out.rows += 1;
            let digits = |s: &str, n: usize| {
                (s.len() <= n && s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty())
                    .then(|| s.parse::<u64>().ok())
                    .flatten()
                    .ok_or_else(|| bad("registry", line_no, "a code or number is not digits"))
            };
            let code = digits(code, 3)?;
            let (from, to) = (digits(from, 7)?, digits(to, 7)?);
            let base = code * 10_000_000;
            match regions.zones_of(place) {
                Some(zones) => ranges.push(Range {
                    from: base + from,
                    to: base + to,
                    zones,
                }),
                None => *out.unmatched.entry((*place).to_owned()).or_default() += 1,
            }
        }
    }
    ranges.sort_by_key(|r| r.from);
    for r in ranges {
        match out.ranges.last_mut() {
            Some(last) if last.to + 1 == r.from && last.zones == r.zones => last.to = r.to,
            Some(last) if r.from <= last.to => return Err(ZoneError::Overlap { at: r.from }),
            _ => out.ranges.push(r),
        }
    }
    Ok(out)
}

/// The compiled table as `data/numbering.csv` holds it.
pub fn render(ranges: &[Range], source: &str) -> String {
    let mut out = format!("# {source}\nfrom;to;zones\n");
    for r in ranges {
        out.push_str(&format!(
            "{:010};{:010};{}\n",
            r.from,
            r.to,
            r.zones.join("|")
        ));
    }
    out
}

/// A table's data lines (after `#` comments and its header), split on `;`, with their
/// 1-based line numbers.
fn data_lines<'a>(
    text: &'a str,
    _table: &'static str,
    header_first: &'static str,
) -> impl Iterator<Item = (usize, Vec<&'a str>)> {
    text.lines()
        .enumerate()
        .filter(move |(_, l)| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#') && !l.starts_with(header_first)
        })
        .map(|(i, l)| (i + 1, l.split(';').map(str::trim).collect()))
}

/// Every zone name is in the tz database.
fn check_zones(table: &'static str, zones: &[String]) -> Result<(), ZoneError> {
    for zone in zones {
        if jiff::tz::db().get(zone).is_err() {
            return Err(ZoneError::UnknownZone {
                table,
                zone: zone.clone(),
            });
        }
    }
    Ok(())
}

fn bad(table: &'static str, line: usize, detail: &str) -> ZoneError {
    ZoneError::BadLine {
        table,
        line,
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_89_subjects_have_a_zone() {
        assert_eq!(RegionTable::shipped().len(), 89);
    }

    #[test]
    fn geographic_numbers_get_their_subjects_zone() {
        let registry = Registry::shipped();
        for (number, zone) in [
            ("+74012123456", "Europe/Kaliningrad"),
            ("+74951234567", "Europe/Moscow"),
            ("+78121234567", "Europe/Moscow"),
            ("+73431234567", "Asia/Yekaterinburg"),
            ("+73831234567", "Asia/Novosibirsk"),
            ("+74232123456", "Asia/Vladivostok"),
            ("+74152123456", "Asia/Kamchatka"),
        ] {
            let got = registry.resolve(number, None);
            assert_eq!(got.names, [zone], "{number}");
            assert_ne!(got.source, ZoneSource::Unknown);
        }
    }

    #[test]
    fn mobile_numbers_get_the_registry_zone() {
        let registry = Registry::shipped();
        // Registry row: 900;0000000;0061999;62000;ООО "Т2 МОБАЙЛ";Краснодарский край;…
        let got = registry.resolve("+79000000000", None);
        assert_eq!(
            (got.names.as_slice(), got.source),
            (&["Europe/Moscow".to_owned()][..], ZoneSource::Registry)
        );
        assert!(registry.ranges() > 5_000);
    }

    #[test]
    fn the_crm_overrides_and_garbage_falls_back() {
        let registry = Registry::shipped();
        let got = registry.resolve("+74951234567", Some("Asia/Omsk"));
        assert_eq!(
            (got.names[0].as_str(), got.source),
            ("Asia/Omsk", ZoneSource::Crm)
        );
        let got = registry.resolve("+74951234567", Some("Mars/Olympus"));
        assert_eq!(
            (got.names[0].as_str(), got.source),
            ("Europe/Moscow", ZoneSource::AbcCode)
        );
        let got = registry.resolve("+74951234567", Some("МСК+4"));
        assert_eq!(
            (got.names[0].as_str(), got.source),
            ("UTC+7", ZoneSource::Crm)
        );
        for (text, name) in [
            ("мск", "Europe/Moscow"),
            ("UTC+12", "UTC+12"),
            ("GMT -1", "UTC-1"),
            ("MSK-1", "UTC+2"),
            ("UTC+7:00", "UTC+7"),
        ] {
            assert_eq!(
                CalleeZone::parse(text)
                    .map(|z| z.names[0].clone())
                    .as_deref(),
                Some(name),
                "{text}"
            );
        }
        for text in ["", "MSK+", "UTC+99", "МСК4", "Москва"] {
            assert!(CalleeZone::parse(text).is_none(), "{text}");
        }
        let got = registry.resolve("+71234567890", None);
        assert_eq!((got.zones.len(), got.source), (11, ZoneSource::Unknown));
    }

    #[test]
    fn the_ministrys_format_compiles_and_merges() {
        let file = "\u{feff}АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН\n\
            900;0000000;0061999;62000;ООО \"Т2 МОБАЙЛ\";Краснодарский край;Краснодарский край;7743895280\n\
            900;0062000;0062999;1000;ООО \"Т2 МОБАЙЛ\";Ростовская обл.;Ростовская область;7743895280\n\
            900;0063000;0099999;37000;ООО \"Т2 МОБАЙЛ\";Калининградская обл.;Калининградская область;7743895280\n\
            901;0000000;0000999;1000;ООО \"X\";Российская Федерация;Российская Федерация;1\n\
            902;0000000;0000999;1000;ООО \"X\";г. Норильск|Красноярский край;г. Норильск|г.о. город Норильск|Красноярский край;1\n";
        let old = "АВС/ DEF;От;До;Емкость;Оператор;Регион\n\
            301;2100000;2109999;10000;ОАО \"АСВТ\";г. Улан - Удэ|Республика Бурятия\n";
        let got = compile(&[file, old], RegionTable::shipped()).unwrap();
        assert_eq!(got.rows, 6);
        assert_eq!(got.unmatched.get("Российская Федерация"), Some(&1));
        let shown: Vec<(u64, u64, String)> = got
            .ranges
            .iter()
            .map(|r| (r.from, r.to, r.zones.join("|")))
            .collect();
        assert_eq!(
            shown,
            [
                (3012100000, 3012109999, "Asia/Irkutsk".into()),
                (9000000000, 9000062999, "Europe/Moscow".into()),
                (9000063000, 9000099999, "Europe/Kaliningrad".into()),
                (9020000000, 9020000999, "Asia/Krasnoyarsk".into()),
            ]
        );
        let text = render(&got.ranges, "test");
        let registry = Registry::parse(&text, "code;region\n", RegionTable::shipped()).unwrap();
        assert_eq!(
            registry.resolve("+79000063001", None).names,
            ["Europe/Kaliningrad"]
        );
        assert_eq!(
            registry.resolve("+79010000001", None).source,
            ZoneSource::Unknown
        );
    }

    #[test]
    fn broken_tables_are_refused() {
        let regions = RegionTable::shipped();
        assert!(matches!(
            compile(&["телефон;имя\n"], regions),
            Err(ZoneError::NotRegistry { .. })
        ));
        assert!(matches!(
            Registry::parse("9000000000;9000000009;Europe/Nowhere\n", "", regions),
            Err(ZoneError::UnknownZone { .. })
        ));
        assert!(matches!(
            Registry::parse(
                "9000000000;9000000009;Europe/Moscow\n9000000005;9000000019;Europe/Moscow\n",
                "",
                regions
            ),
            Err(ZoneError::Overlap { at: 9000000005 })
        ));
        assert!(matches!(
            RegionTable::parse("Марс;Europe/Moscow;лишнее\n"),
            Err(ZoneError::BadLine { .. })
        ));
    }
}
