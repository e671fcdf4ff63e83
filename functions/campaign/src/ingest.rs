//! Reading an uploaded contact file.
//!
//! The bytes are UTF-8 (with or without a BOM), UTF-16 with a BOM (Excel's "Unicode
//! text") or, when they are not valid UTF-8, Windows-1251 (Excel's "CSV" on a Russian
//! Windows). The delimiter is the one of `;`, `,` or a tab that the header row has most of.
//!
//! Columns, by header (case, `ё`/`е`, spaces and `_` do not matter):
//!
//! | header | becomes |
//! | --- | --- |
//! | `телефон`, `номер`, `номер телефона`, `phone` | the number, normalised to E.164 |
//! | `имя`, `фио`, `контакт`, `name`, `contact_name` | `contact_name` |
//! | `заявка`, `запрос`, `request` | `request` |
//! | `согласие`, `источник согласия`, `consent`, `consent_source` | `consent_source` |
//! | `дата согласия`, `consent_date` | `consent_date` (`ГГГГ-ММ-ДД`, `ДД.ММ.ГГГГ`, `ДД/ММ/ГГГГ`, a time after the date ignored) |
//! | `часовой пояс`, `timezone`, `tz` | a zone the CRM knows (`Asia/Omsk`, `МСК+4`, `UTC+7`), overrides the registry; unreadable → the registry |
//! | any other | a per-contact variable; key: the header transliterated to lowercase ASCII, non-letters as `_` (`Город` → `gorod`, `Deal ID` → `deal_id`) |
//!
//! Every data row becomes a [`Contact`] or a [`Refusal`]; rows whose cells are all empty
//! are counted in [`Ingested::blank_rows`] and are not data rows.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sva_abi::phone::{RussianNumberError, russian_e164};

/// The most data rows one upload may have.
pub const MAX_ROWS: usize = 100_000;

/// Variable keys the call-list row or the dialog function already use: a column may not
/// take them.
const RESERVED_KEYS: &[&str] = &[
    "phone",
    "tenant",
    "campaign",
    "contact",
    "vm",
    "answered_by",
    "contact_name",
    "request",
    "consent_source",
    "consent_date",
    "timezone",
];

/// Where the caller may say the consent comes from, and when it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// As a phrase the assistant can say ("заявка на сайте technosklad.ru").
    pub source: String,
    /// The day the consent was given.
    pub date: Date,
}

/// One contact accepted from the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// The file's line the row starts on (1-based; the header is line 1).
    pub row: usize,
    /// The number in E.164 (`+7…`).
    pub phone: String,
    /// How to address the person.
    pub contact_name: Option<String>,
    /// What they left a request about.
    pub request: Option<String>,
    /// The consent basis.
    pub consent: Consent,
    /// A zone from the file (IANA name), as the CRM knows it; `None` when not given.
    pub timezone: Option<String>,
    /// Other columns, by lowercase ASCII key; empty cells are left out.
    pub variables: BTreeMap<String, String>,
}

impl Contact {
    /// What the dialog function adds to the call's `custom_data` for the scenario
    /// (contract of issue 25, §3): `contact_name`, `request`, `consent_source`,
    /// `consent_date` (`YYYY-MM-DD`) when known, and every per-contact variable.
    pub fn custom_data(&self) -> BTreeMap<String, String> {
        let mut out = self.variables.clone();
        if let Some(name) = &self.contact_name {
            out.insert("contact_name".into(), name.clone());
        }
        if let Some(request) = &self.request {
            out.insert("request".into(), request.clone());
        }
        out.insert("consent_source".into(), self.consent.source.clone());
        out.insert("consent_date".into(), self.consent.date.to_string());
        out
    }
}

/// Why a row is not a contact, as a machine-readable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// The number is missing or not a Russian subscriber's number.
    InvalidNumber,
    /// No consent source.
    NoConsent,
    /// The consent date is missing, unreadable or in the future.
    BadConsentDate,
    /// The number already came in an earlier row.
    Duplicate,
    /// The number is on the tenant's do-not-call list.
    DoNotCall,
    /// The row has more or fewer cells than the header.
    BadRow,
    /// The tenant's hours leave no time the callee may be called (set by [`crate::plan`]).
    NoWindow,
}

impl RefusalCode {
    /// The code as a string (`invalid_number`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidNumber => "invalid_number",
            Self::NoConsent => "no_consent",
            Self::BadConsentDate => "bad_consent_date",
            Self::Duplicate => "duplicate",
            Self::DoNotCall => "do_not_call",
            Self::BadRow => "bad_row",
            Self::NoWindow => "no_window",
        }
    }
}

/// A row that is not a contact, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The file's line the row starts on (1-based; the header is line 1).
    pub row: usize,
    /// The machine-readable reason.
    pub code: RefusalCode,
    /// The reason as a sentence for the sales manager (Russian; no phone number in it).
    pub reason: String,
}

/// What a file became.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ingested {
    /// The contacts, in file order.
    pub contacts: Vec<Contact>,
    /// The refused rows, in file order.
    pub refusals: Vec<Refusal>,
    /// Data rows read: always `contacts.len() + refusals.len()`.
    pub data_rows: usize,
    /// Rows whose cells were all empty (not data rows).
    pub blank_rows: usize,
    /// The encoding the file was read in (`UTF-8`, `windows-1251`, `UTF-16LE`…).
    pub encoding: &'static str,
    /// The delimiter found in the header.
    pub delimiter: char,
}

/// Why a whole file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// No header row.
    #[error("файл пустой")]
    Empty,
    /// No column the number can be taken from.
    #[error("в файле нет столбца с телефоном (телефон / phone)")]
    NoPhoneColumn,
    /// Two columns mean the same thing.
    #[error("столбец «{column}» повторяет другой столбец")]
    DuplicateColumn {
        /// The header of the second one.
        column: String,
    },
    /// A header that gives no usable key, or a column without a header that has values.
    #[error(
        "у столбца {index} нет названия, из которого можно сделать ключ, а в нём есть значения"
    )]
    UnnamedColumn {
        /// The column's 1-based position.
        index: usize,
    },
    /// More rows than one upload may have.
    #[error("в файле больше {max} строк")]
    TooManyRows {
        /// [`MAX_ROWS`].
        max: usize,
    },
    /// The CSV cannot be read (an unterminated quote…).
    #[error("файл не читается как CSV: {detail}")]
    Csv {
        /// The parser's words.
        detail: String,
    },
}

impl IngestError {
    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::NoPhoneColumn => "no_phone_column",
            Self::DuplicateColumn { .. } => "duplicate_column",
            Self::UnnamedColumn { .. } => "unnamed_column",
            Self::TooManyRows { .. } => "too_many_rows",
            Self::Csv { .. } => "csv",
        }
    }
}

/// What a column is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Phone,
    Name,
    Request,
    ConsentSource,
    ConsentDate,
    Timezone,
    Variable(String),
    /// A column without a header (Excel's trailing `;;;`): must stay empty.
    Unnamed(usize),
}

/// Reads an upload. `do_not_call` says whether an E.164 number (`+7…`) is on the tenant's
/// list; `today` is the tenant's date (a consent dated later is refused).
pub fn ingest(
    bytes: &[u8],
    today: Date,
    do_not_call: impl Fn(&str) -> bool,
) -> Result<Ingested, IngestError> {
    let (text, encoding) = decode(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let header_line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .ok_or(IngestError::Empty)?;
    let delimiter = detect_delimiter(header_line);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter as u8)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(csv_error)?.clone();
    let columns = map_columns(headers.iter())?;
    let width = columns.len();

    let mut out = Ingested {
        encoding,
        delimiter,
        ..Ingested::default()
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        if record.iter().all(|c| c.trim().is_empty()) {
            out.blank_rows += 1;
            continue;
        }
        out.data_rows += 1;
        if out.data_rows > MAX_ROWS {
            return Err(IngestError::TooManyRows { max: MAX_ROWS });
        }
        // A value under a column without a header would be lost: the file is refused.
        for (column, cell) in columns.iter().zip(record.iter()) {
            if let Column::Unnamed(index) = column
                && !cell.trim().is_empty()
            {
                return Err(IngestError::UnnamedColumn { index: *index });
            }
        }
        let row = record.position().map_or(0, |p| p.line() as usize);
        match read_row(
            &record,
            &columns,
            width,
            row,
            today,
            &mut seen,
            &do_not_call,
        ) {
            Ok(contact) => out.contacts.push(contact),
            Err((code, reason)) => out.refusals.push(Refusal { row, code, reason }),
        }
    }
    Ok(out)
}

/// One row to a contact, or the refusal's code and reason.
fn read_row(
    record: &csv::StringRecord,
    columns: &[Column],
    width: usize,
    row: usize,
    today: Date,
    seen: &mut HashMap<String, usize>,
    do_not_call: &impl Fn(&str) -> bool,
) -> Result<Contact, (RefusalCode, String)> {
    // A cell past the header is a shifted row (a delimiter inside an unquoted cell):
    // reading it would put values under the wrong names. Missing trailing cells are empty.
    if record.len() > width && record.iter().skip(width).any(|c| !c.trim().is_empty()) {
        return Err((
            RefusalCode::BadRow,
            format!(
                "В строке {} ячеек, а в заголовке {width}: возможно, в значении есть разделитель без кавычек.",
                record.len()
            ),
        ));
    }
    let mut phone_raw = "";
    let mut contact_name = None;
    let mut request = None;
    let mut source = None;
    let mut date_raw = None;
    let mut timezone = None;
    let mut variables = BTreeMap::new();
    for (column, cell) in columns.iter().zip(record.iter()) {
        let cell = cell.trim();
        let value = (!cell.is_empty()).then(|| cell.to_owned());
        match column {
            Column::Phone => phone_raw = cell,
            Column::Name => contact_name = value,
            Column::Request => request = value,
            Column::ConsentSource => source = value,
            Column::ConsentDate => date_raw = value,
            Column::Timezone => timezone = value,
            Column::Variable(key) => {
                if let Some(v) = value {
                    variables.insert(key.clone(), v);
                }
            }
            Column::Unnamed(_) => {}
        }
    }
    let date = match date_raw {
        None => DateCell::Missing,
        Some(raw) => parse_date(&raw).map_or(DateCell::Unreadable, DateCell::Date),
    };
    let draft = Draft {
        phone_raw,
        contact_name,
        request,
        source,
        date,
        timezone,
        variables,
    };
    accept(draft, row, today, seen, do_not_call)
}

/// A consent date as found.
enum DateCell {
    Missing,
    Unreadable,
    Date(Date),
}

/// A row's values before they are checked.
struct Draft<'a> {
    phone_raw: &'a str,
    contact_name: Option<String>,
    request: Option<String>,
    source: Option<String>,
    date: DateCell,
    timezone: Option<String>,
    variables: BTreeMap<String, String>,
}

/// The checks every row passes, from a file or a CRM selection: the number, the consent
/// basis and its date, a repeated number, the do-not-call list.
fn accept(
    draft: Draft<'_>,
    row: usize,
    today: Date,
    seen: &mut HashMap<String, usize>,
    do_not_call: &impl Fn(&str) -> bool,
) -> Result<Contact, (RefusalCode, String)> {
    let Draft {
        phone_raw,
        contact_name,
        request,
        source,
        date,
        timezone,
        variables,
    } = draft;
    let phone = russian_e164(phone_raw).map_err(|e| {
        let reason = if phone_raw.to_ascii_uppercase().contains("E+") {
            "Неверный номер телефона: Excel записал его как число (7,9E+10) и потерял цифры. Задайте столбцу с телефоном текстовый формат и сохраните файл заново.".to_owned()
        } else {
            format!("Неверный номер телефона: {e}.{}", number_hint(e))
        };
        (RefusalCode::InvalidNumber, reason)
    })?;
    let source = source.ok_or_else(|| {
        (
            RefusalCode::NoConsent,
            "Не указано, откуда согласие на звонок (столбец «согласие»): без него звонить нельзя (38-ФЗ, ст. 18)."
                .to_owned(),
        )
    })?;
    let date = match date {
        DateCell::Missing => {
            return Err((
                RefusalCode::BadConsentDate,
                "Не указана дата согласия (столбец «дата согласия»): согласие нужно уметь подтвердить.".to_owned(),
            ));
        }
        DateCell::Unreadable => {
            return Err((
                RefusalCode::BadConsentDate,
                "Дата согласия не читается: нужна дата вида 2026-05-31 или 31.05.2026.".to_owned(),
            ));
        }
        DateCell::Date(d) => d,
    };
    if date > today {
        return Err((
            RefusalCode::BadConsentDate,
            "Дата согласия ещё не наступила: проверьте год и порядок дня и месяца.".to_owned(),
        ));
    }
    if let Some(first) = seen.get(&phone) {
        return Err((
            RefusalCode::Duplicate,
            format!("Этот номер уже есть в строке {first}: каждому номеру звоним один раз."),
        ));
    }
    seen.insert(phone.clone(), row);
    if do_not_call(&phone) {
        return Err((
            RefusalCode::DoNotCall,
            "Номер в списке «не звонить»: абонент просил больше не звонить.".to_owned(),
        ));
    }
    Ok(Contact {
        row,
        phone,
        contact_name,
        request,
        consent: Consent { source, date },
        timezone,
        variables,
    })
}

/// A kind of CRM record a campaign can be selected from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrmEntity {
    /// A lead (`crm.lead.list`, by `STATUS_ID`).
    Lead,
    /// A deal (`crm.deal.list`, by `CATEGORY_ID` and `STAGE_ID`).
    Deal,
}

impl CrmEntity {
    /// `lead` or `deal`, as kept in a contact's `crm_entity` variable.
    pub fn as_str(self) -> &'static str {
        match self {
            CrmEntity::Lead => "lead",
            CrmEntity::Deal => "deal",
        }
    }

    /// The record's name in Russian with its number: «лид №12», «сделка №7».
    pub fn label(self, id: u64) -> String {
        match self {
            CrmEntity::Lead => format!("лид №{id}"),
            CrmEntity::Deal => format!("сделка №{id}"),
        }
    }
}

/// One CRM record of a selection (a lead or a deal in a stage), as read from the CRM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectedContact {
    /// A lead or a deal.
    pub entity: CrmEntity,
    /// Its id in the CRM.
    pub id: u64,
    /// Its phone numbers as written in the CRM (a deal: its contact's), first the one to
    /// call; the first that is a Russian subscriber's number is called.
    pub phones: Vec<String>,
    /// How to address the person (the lead's or the contact's name).
    pub contact_name: Option<String>,
    /// The record's title: what the request was about.
    pub title: Option<String>,
    /// The day the record was made (`DATE_CREATE`): the day of the request.
    pub created: Option<Date>,
    /// Where the request came from, as the CRM names it (`SOURCE_ID`'s name).
    pub source: Option<String>,
}

impl SelectedContact {
    /// The consent basis the assistant can say: «заявка в CRM: лид №12 (источник: Сайт)».
    pub fn consent_source(&self) -> String {
        let mut out = format!("заявка в CRM: {}", self.entity.label(self.id));
        if let Some(source) = self.source.as_deref().filter(|s| !s.trim().is_empty()) {
            out.push_str(&format!(" (источник: {})", source.trim()));
        }
        out
    }
}

/// Reads a CRM selection as an upload is read: every record becomes a [`Contact`] (with
/// the variables `crm_entity` and `crm_id`, which tie the call back to the record) or a
/// [`Refusal`] whose reason names the record («лид №12: …»); `row` is the record's
/// 1-based place in the selection. The consent basis is the request in the CRM and its
/// date the record's `DATE_CREATE`.
pub fn ingest_selection(
    selection: &[SelectedContact],
    today: Date,
    do_not_call: impl Fn(&str) -> bool,
) -> Result<Ingested, IngestError> {
    if selection.len() > MAX_ROWS {
        return Err(IngestError::TooManyRows { max: MAX_ROWS });
    }
    let mut out = Ingested {
        encoding: "Bitrix24",
        delimiter: ',',
        data_rows: selection.len(),
        ..Ingested::default()
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, record) in selection.iter().enumerate() {
        let row = index + 1;
        let label = record.entity.label(record.id);
        // The first number that is a Russian subscriber's; the first one when none is,
        // for the reason.
        let phone_raw = record
            .phones
            .iter()
            .find(|p| russian_e164(p).is_ok())
            .or(record.phones.first())
            .map_or("", String::as_str);
        let mut variables = BTreeMap::new();
        variables.insert("crm_entity".to_owned(), record.entity.as_str().to_owned());
        variables.insert("crm_id".to_owned(), record.id.to_string());
        let draft = Draft {
            phone_raw,
            contact_name: record.contact_name.clone(),
            request: record.title.clone(),
            source: Some(record.consent_source()),
            date: record.created.map_or(DateCell::Missing, DateCell::Date),
            // The registry decides: a CRM's typed region must not widen the hours.
            timezone: None,
            variables,
        };
        match accept(draft, row, today, &mut seen, &do_not_call) {
            Ok(contact) => out.contacts.push(contact),
            Err((code, reason)) => {
                let earlier = russian_e164(phone_raw)
                    .ok()
                    .and_then(|phone| seen.get(&phone).copied())
                    .and_then(|first| selection.get(first.wrapping_sub(1)));
                let reason = match (code, earlier) {
                    _ if record.phones.is_empty() => {
                        format!("{label}: в CRM нет телефона — звонить некуда.")
                    }
                    (RefusalCode::Duplicate, Some(first)) => format!(
                        "{label}: этот номер уже есть у записи «{}»: каждому номеру звоним один раз.",
                        first.entity.label(first.id)
                    ),
                    (RefusalCode::BadConsentDate, _) if record.created.is_none() => format!(
                        "{label}: у записи в CRM нет даты создания, а согласие нужно уметь подтвердить."
                    ),
                    _ => format!("{label}: {reason}"),
                };
                out.refusals.push(Refusal { row, code, reason });
            }
        }
    }
    Ok(out)
}

/// A second sentence that helps fix a number, where there is one.
fn number_hint(e: RussianNumberError) -> &'static str {
    match e {
        RussianNumberError::Extension => " Укажите один номер без добавочного.",
        RussianNumberError::Length => " Нужно 11 цифр: +7 и 10 цифр номера.",
        _ => "",
    }
}

/// The bytes as text and the encoding's name.
fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return (text.into_owned(), encoding.name());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), encoding_rs::UTF_8.name()),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1251.decode_without_bom_handling(bytes);
            (text.into_owned(), encoding_rs::WINDOWS_1251.name())
        }
    }
}

/// The one of `;`, `,`, tab the header has most of outside quotes (`;` on a tie: Excel's
/// Russian default).
fn detect_delimiter(header: &str) -> char {
    let mut counts = [(';', 0usize), (',', 0), ('\t', 0)];
    let mut quoted = false;
    for c in header.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && let Some(slot) = counts.iter_mut().find(|(d, _)| *d == c) {
            slot.1 += 1;
        }
    }
    counts
        .iter()
        .fold(
            (';', 0),
            |best, &(d, n)| if n > best.1 { (d, n) } else { best },
        )
        .0
}

/// The header's columns; a file without a phone column or with two columns of one
/// meaning is refused whole.
fn map_columns<'a>(headers: impl Iterator<Item = &'a str>) -> Result<Vec<Column>, IngestError> {
    let mut columns = Vec::new();
    for (i, header) in headers.enumerate() {
        let norm = normalise_header(header);
        let column = match norm.as_str() {
            "телефон" | "номер" | "номер телефона" | "phone" | "phone number" => {
                Column::Phone
            }
            "имя" | "фио" | "контакт" | "name" | "contact name" => Column::Name,
            "заявка" | "запрос" | "request" => Column::Request,
            "согласие" | "источник согласия" | "consent" | "consent source" => {
                Column::ConsentSource
            }
            "дата согласия" | "consent date" => Column::ConsentDate,
            "часовой пояс" | "timezone" | "time zone" | "tz" => Column::Timezone,
            "" => Column::Unnamed(i + 1),
            _ => {
                let key = variable_key(header);
                if key.is_empty() {
                    return Err(IngestError::UnnamedColumn { index: i + 1 });
                }
                if RESERVED_KEYS.contains(&key.as_str()) {
                    return Err(IngestError::DuplicateColumn {
                        column: header.trim().to_owned(),
                    });
                }
                Column::Variable(key)
            }
        };
        if columns.contains(&column) {
            return Err(IngestError::DuplicateColumn {
                column: header.trim().to_owned(),
            });
        }
        columns.push(column);
    }
    if !columns.contains(&Column::Phone) {
        return Err(IngestError::NoPhoneColumn);
    }
    Ok(columns)
}

/// A header lowercased, `ё` as `е`, `_`/`-` and runs of spaces as one space.
fn normalise_header(header: &str) -> String {
    let lower = header
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .to_lowercase()
        .replace('ё', "е");
    lower
        .split(|c: char| c.is_whitespace() || c == '_' || c == '-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A header as a lowercase ASCII key: Cyrillic transliterated (the passport rules of
/// Order 372 of the Ministry of Foreign Affairs, simplified), anything else but letters and
/// digits as one `_`.
pub fn variable_key(header: &str) -> String {
    let mut key = String::new();
    for c in header.trim().to_lowercase().chars() {
        let latin: &str = match c {
            'a'..='z' | '0'..='9' => {
                key.push(c);
                continue;
            }
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' => "i",
            'й' => "i",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ъ' | 'ь' => "",
            'ы' => "y",
            'ю' => "iu",
            'я' => "ia",
            _ => "_",
        };
        key.push_str(latin);
    }
    let mut out = String::with_capacity(key.len());
    for part in key.split('_').filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(part);
    }
    out
}

/// A consent date: `YYYY-MM-DD`, `DD.MM.YYYY`, `DD/MM/YYYY`, `DD-MM-YYYY`, optionally
/// followed by a time (ignored).
fn parse_date(raw: &str) -> Option<Date> {
    let day = raw.split([' ', 'T']).next()?.trim();
    let parts: Vec<&str> = day.split(['-', '.', '/']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let num = |s: &str| -> Option<i32> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (year, month, day) = if a.len() == 4 {
        (num(a)?, num(b)?, num(c)?)
    } else if c.len() == 4 {
        (num(c)?, num(b)?, num(a)?)
    } else {
        return None;
    };
    if !(2000..=2100).contains(&year) {
        return None;
    }
    Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()
}

/// A CSV parser's error as ours.
fn csv_error(e: csv::Error) -> IngestError {
    IngestError::Csv {
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 12, 7).unwrap()
    }

    fn never(_: &str) -> bool {
        false
    }

    fn lead(id: u64, phones: &[&str]) -> SelectedContact {
        SelectedContact {
            entity: CrmEntity::Lead,
            id,
            phones: phones.iter().map(|p| (*p).to_owned()).collect(),
            contact_name: Some("Ольга".into()),
            title: Some("Кондиционер".into()),
            created: Some(jiff::civil::date(2026, 5, 31)),
            source: Some("Веб-сайт".into()),
        }
    }

    #[test]
    fn every_selected_record_is_a_contact_or_a_refusal_naming_it() {
        let mut undated = lead(15, &["+7 916 555-00-15"]);
        undated.created = None;
        let mut deal = lead(7, &["+7 916 555-00-07"]);
        deal.entity = CrmEntity::Deal;
        deal.source = None;
        let selection = vec![
            // The first number is not a subscriber's: the second is called.
            lead(11, &["123", "8 (916) 555-12-34"]),
            lead(12, &[]),
            lead(13, &["+7 495 000"]),
            lead(14, &["+7 916 555-12-34"]),
            undated,
            deal,
            lead(16, &["+7 903 765-43-21"]),
        ];
        let out = ingest_selection(&selection, today(), |n| n == "+79037654321").unwrap();
        assert_eq!(out.data_rows, 7);
        assert_eq!(out.contacts.len() + out.refusals.len(), 7);
        let first = &out.contacts[0];
        assert_eq!(first.phone, "+79165551234");
        assert_eq!(first.row, 1);
        assert_eq!(first.request.as_deref(), Some("Кондиционер"));
        assert_eq!(
            first.consent.source,
            "заявка в CRM: лид №11 (источник: Веб-сайт)"
        );
        assert_eq!(first.consent.date, jiff::civil::date(2026, 5, 31));
        assert_eq!(first.variables["crm_entity"], "lead");
        assert_eq!(first.variables["crm_id"], "11");
        let second = &out.contacts[1];
        assert_eq!(second.consent.source, "заявка в CRM: сделка №7");
        assert_eq!(second.variables["crm_entity"], "deal");
        let refusals: Vec<(usize, RefusalCode, &str)> = out
            .refusals
            .iter()
            .map(|r| (r.row, r.code, r.reason.as_str()))
            .collect();
        assert_eq!(refusals.len(), 5, "{refusals:?}");
        assert_eq!(refusals[0].0, 2);
        assert_eq!(refusals[0].1, RefusalCode::InvalidNumber);
        assert_eq!(
            refusals[0].2,
            "лид №12: в CRM нет телефона — звонить некуда."
        );
        assert_eq!(refusals[1].1, RefusalCode::InvalidNumber);
        assert!(
            refusals[1].2.starts_with("лид №13: Неверный номер"),
            "{refusals:?}"
        );
        assert_eq!(refusals[2].1, RefusalCode::Duplicate);
        assert!(refusals[2].2.starts_with("лид №14: "), "{refusals:?}");
        assert!(refusals[2].2.contains("«лид №11»"), "{refusals:?}");
        assert_eq!(refusals[3].1, RefusalCode::BadConsentDate);
        assert!(refusals[3].2.starts_with("лид №15: "), "{refusals:?}");
        assert_eq!(refusals[4].1, RefusalCode::DoNotCall);
        assert!(refusals[4].2.starts_with("лид №16: "), "{refusals:?}");
        for (_, _, reason) in &refusals {
            assert!(
                !reason.contains("555") && !reason.contains("765"),
                "{reason}"
            );
        }
    }

    #[test]
    fn a_utf8_file_with_russian_headers_and_a_bom_is_read() {
        let file = "\u{feff}Телефон;Имя;Заявка;Согласие;Дата согласия;Город;Deal ID\n\
                    +7 (916) 123-45-67;Иван Петрович;кондиционер;заявка на сайте;2026-05-31;Москва;D-1\n";
        let got = ingest(file.as_bytes(), today(), never).unwrap();
        assert_eq!(
            (got.encoding, got.delimiter, got.data_rows),
            ("UTF-8", ';', 1)
        );
        let c = &got.contacts[0];
        assert_eq!(c.row, 2);
        assert_eq!(c.phone, "+79161234567");
        assert_eq!(c.contact_name.as_deref(), Some("Иван Петрович"));
        assert_eq!(c.request.as_deref(), Some("кондиционер"));
        assert_eq!(c.consent.source, "заявка на сайте");
        assert_eq!(c.consent.date, Date::new(2026, 5, 31).unwrap());
        assert_eq!(c.variables.get("gorod").map(String::as_str), Some("Москва"));
        assert_eq!(c.variables.get("deal_id").map(String::as_str), Some("D-1"));
        let data = c.custom_data();
        assert_eq!(data["consent_date"], "2026-05-31");
        assert_eq!(data["contact_name"], "Иван Петрович");
        assert_eq!(data["request"], "кондиционер");
        assert_eq!(data["consent_source"], "заявка на сайте");
        assert_eq!(data["gorod"], "Москва");
    }

    #[test]
    fn a_cp1251_file_with_commas_and_english_headers_is_read() {
        let text = "phone,contact_name,consent_source,consent_date,timezone\n\
                    89161234567,\"Петров, Иван\",звонок в офис,31.05.2026,Asia/Novosibirsk\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let got = ingest(&bytes, today(), never).unwrap();
        assert_eq!((got.encoding, got.delimiter), ("windows-1251", ','));
        let c = &got.contacts[0];
        assert_eq!(c.contact_name.as_deref(), Some("Петров, Иван"));
        assert_eq!(c.consent.source, "звонок в офис");
        assert_eq!(c.timezone.as_deref(), Some("Asia/Novosibirsk"));
    }

    #[test]
    fn every_row_is_a_contact_or_a_refusal_with_its_reason() {
        let file = "телефон;согласие;дата согласия\n\
                    89161234567;сайт;2026-01-01\n\
                    8 916 123;сайт;2026-01-01\n\
                    89161234568;;2026-01-01\n\
                    89161234569;сайт;\n\
                    89161234570;сайт;31.02.2026\n\
                    89161234571;сайт;2027-01-01\n\
                    +7 916 123-45-67;сайт;2026-01-01\n\
                    89161234572;сайт;2026-01-01\n\
                    ;;\n\
                    89161234573;сайт;2026-01-01;лишнее\n\
                    89161234574;сайт\n";
        let dnc = |p: &str| p == "+79161234572";
        let got = ingest(file.as_bytes(), today(), dnc).unwrap();
        assert_eq!(got.data_rows, 10);
        assert_eq!(got.blank_rows, 1);
        assert_eq!(got.contacts.len() + got.refusals.len(), got.data_rows);
        let codes: Vec<(usize, &str)> = got
            .refusals
            .iter()
            .map(|r| (r.row, r.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                (3, "invalid_number"),
                (4, "no_consent"),
                (5, "bad_consent_date"),
                (6, "bad_consent_date"),
                (7, "bad_consent_date"),
                (8, "duplicate"),
                (9, "do_not_call"),
                (11, "bad_row"),
                (12, "bad_consent_date"),
            ]
        );
        assert!(got.refusals[5].reason.contains("строке 2"));
        assert!(got.refusals.iter().all(|r| !r.reason.contains("916")));
        assert_eq!(got.contacts.len(), 1);
    }

    #[test]
    fn files_that_cannot_be_read_are_refused_whole() {
        assert_eq!(ingest(b"", today(), never), Err(IngestError::Empty));
        assert_eq!(
            ingest("имя;согласие\nИван;сайт\n".as_bytes(), today(), never),
            Err(IngestError::NoPhoneColumn)
        );
        assert!(matches!(
            ingest("телефон;phone\n1;2\n".as_bytes(), today(), never),
            Err(IngestError::DuplicateColumn { .. })
        ));
        assert!(matches!(
            ingest("телефон;!!!\n1;2\n".as_bytes(), today(), never),
            Err(IngestError::UnnamedColumn { index: 2 })
        ));
        assert!(matches!(
            ingest("телефон;;\n1;;x\n".as_bytes(), today(), never),
            Err(IngestError::UnnamedColumn { index: 3 })
        ));
        assert!(matches!(
            ingest("телефон;Tenant\n1;2\n".as_bytes(), today(), never),
            Err(IngestError::DuplicateColumn { .. })
        ));
    }

    #[test]
    fn excels_empty_trailing_columns_are_ignored_and_its_numbers_as_floats_explained() {
        let file = "телефон;согласие;дата согласия;;\n\
                    89161234567;сайт;2026-01-01;;\n\
                    7,91612E+10;сайт;2026-01-01;;\n";
        let got = ingest(file.as_bytes(), today(), never).unwrap();
        assert_eq!(got.contacts.len(), 1);
        assert_eq!(got.refusals[0].code, RefusalCode::InvalidNumber);
        assert!(
            got.refusals[0].reason.contains("текстовый формат"),
            "{}",
            got.refusals[0].reason
        );
    }

    #[test]
    fn utf16_with_a_bom_is_read() {
        let text = "телефон\tсогласие\tдата согласия\n9161234567\tсайт\t2026-01-02\n";
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let got = ingest(&bytes, today(), never).unwrap();
        assert_eq!((got.encoding, got.delimiter), ("UTF-16LE", '\t'));
        assert_eq!(got.contacts[0].phone, "+79161234567");
    }

    #[test]
    fn keys_are_lowercase_ascii() {
        assert_eq!(variable_key("Город"), "gorod");
        assert_eq!(variable_key("Сумма сделки, ₽"), "summa_sdelki");
        assert_eq!(variable_key("Deal ID"), "deal_id");
        assert_eq!(variable_key("Объект"), "obekt");
        assert_eq!(variable_key("—"), "");
    }

    #[test]
    fn dates_in_common_spellings() {
        let d = Date::new(2026, 5, 31).unwrap();
        for raw in [
            "2026-05-31",
            "31.05.2026",
            "31/05/2026",
            "31.05.2026 14:30",
            "2026-05-31T10:00:00",
        ] {
            assert_eq!(parse_date(raw), Some(d), "{raw}");
        }
        for raw in ["31.05.26", "2026-02-30", "завтра", "1999-01-01", ""] {
            assert_eq!(parse_date(raw), None, "{raw}");
        }
    }
}
