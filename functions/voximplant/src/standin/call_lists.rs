//! Call lists in the stand-in: CreateCallList, AppendToCallList, EditCallList,
//! CancelCallListTask, StopCallListProcessing, RecoverCallList, GetCallLists and
//! GetCallListDetails, written from the platform's reference, not from this crate's client.
//!
//! Sources, cited below as:
//! * **\[N\]** voximplant/apiclient-nodejs@281e5c4199b6a7ed9bf3d7c880729306dffe82a3:
//!   `src/index.ts:1493-1832` (the request mappers: the raw parameter names each method
//!   takes), `src/Interfaces.ts:1101-1530` (request/response types and their doc text),
//!   `src/Structures.ts:2239-2330` (`CallList`, `CallListDetail`),
//!   `src/TypeTransformer.ts:1437-1490` (the answers' raw field names).
//! * **\[R\]** <https://voximplant.com/docs/references/httpapi/calllists>,
//!   <https://voximplant.com/docs/references/httpapi/calllistdetailtype>,
//!   <https://voximplant.com/docs/references/httpapi/calllisttype>,
//!   <https://voximplant.com/docs/references/httpapi/errors>.
//! * **\[G\]** <https://voximplant.com/docs/guides/solutions/call-lists> (CSV table setup: the
//!   first row names the columns; each row starts one scenario session whose
//!   `VoxEngine.customData()` is the row as JSON) and
//!   <https://voximplant.com/docs/guides/solutions/editable-call-lists> (a window whose start
//!   is later than its end runs from the start on one day to the end on the next).
//! * **\[T\]** voximplant/voxengine-ci@8b595242da97e5fef618877a7ce806914c637f42
//!   `typings/voxengine.d.ts:3713-3830` (the `CallList` module of the scenario).
//!
//! Where the reference is silent the stand-in is stricter than the platform and says so.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::methods::Args;
use super::{Refusal, State, format_time, invalid, refusal};

/// The methods this module serves.
pub(crate) fn serves(method: &str) -> bool {
    matches!(
        method,
        "CreateCallList"
            | "AppendToCallList"
            | "EditCallList"
            | "CancelCallListTask"
            | "StopCallListProcessing"
            | "RecoverCallList"
            | "GetCallLists"
            | "GetCallListDetails"
    )
}

/// The per-row control columns \[N\] index.ts:1495-1496 documents for CreateCallList.
pub const CONTROL_COLUMNS: [&str; 4] = [
    "__start_execution_time",
    "__end_execution_time",
    "__start_at",
    "__task_uuid",
];

/// Columns the newer call-list guide \[G\] gives a meaning (`call_schedule`, `task_priority`,
/// `next_attempt_time`); the stand-in does not model them and refuses them, so a campaign
/// never relies on an unmodelled behaviour by accident.
pub const UNMODELLED_COLUMNS: [&str; 3] = ["call_schedule", "task_priority", "next_attempt_time"];

/// The status of a task: the client's type, which reads `status_id` and `status` of
/// `CallListDetailType` (\[R\] calllistdetailtype; \[N\] Structures.ts:2285-2330).
pub use crate::call_lists::TaskStatus;

/// A row's daily window in UTC, seconds from midnight: `__start_execution_time` ..
/// `__end_execution_time`. A start later than the end wraps midnight (\[G\] editable call
/// lists). The stand-in takes the window as half-open, `[start, end)`, and constrains the
/// start of each attempt only (the reference: calls "cannot be made later than"
/// the end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Opens at this second of the UTC day.
    pub start: u32,
    /// Closes at this second of the UTC day.
    pub end: u32,
}

impl Window {
    /// Whether a dial may start at the unix time `t`.
    pub fn contains(&self, t: i64) -> bool {
        let tod = u32::try_from(t.rem_euclid(86_400)).unwrap_or(0);
        if self.start < self.end {
            self.start <= tod && tod < self.end
        } else {
            tod >= self.start || tod < self.end
        }
    }

    /// The first time at or after `t` the window is open.
    pub fn next_open(&self, t: i64) -> i64 {
        if self.contains(t) {
            return t;
        }
        let day = t - t.rem_euclid(86_400);
        let opening = day + i64::from(self.start);
        if opening > t {
            opening
        } else {
            opening + 86_400
        }
    }
}

/// One task: one row of a call list.
#[derive(Clone, Debug)]
pub struct Task {
    /// `task_id`.
    pub id: u64,
    /// The task's position in its list (0-based, in upload order).
    pub row: usize,
    /// The batch (upload) it came in.
    pub batch_id: String,
    /// `__task_uuid`, when the row had one.
    pub uuid: Option<String>,
    /// The row's columns, in header order (control columns included).
    pub columns: Vec<(String, String)>,
    /// What the scenario reads with `VoxEngine.customData()`: the row as a JSON object
    /// keyed by column name (\[G\]). Whether the platform leaves the `__` columns in is not
    /// documented; the stand-in keeps them, so the script must drop them itself.
    pub custom_data: String,
    /// The daily window, when the row has one.
    pub window: Option<Window>,
    /// The earliest time of the next attempt (`__start_at`, else the upload time).
    pub start_at: i64,
    /// Attempts left.
    pub attempts_left: u32,
    /// Attempts made.
    pub attempts_made: u32,
    /// The status.
    pub status: TaskStatus,
    /// `result_data`: the last report (result or error), if any.
    pub result_data: Option<String>,
    /// When the last attempt started.
    pub last_attempt: Option<i64>,
    /// Cancelled by StopCallListProcessing (RecoverCallList restores it).
    pub stopped: bool,
}

impl Task {
    /// The value of a column of the row.
    pub fn column(&self, name: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the scenario reported for one attempt (\[T\] 3713-3830).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// `CallList.reportResult(result)`: success, `result` saved to `result_data`, no more
    /// attempts.
    Result(String),
    /// `CallList.reportError(error)`: the attempt failed; another after `interval_seconds`
    /// while attempts are left, else the task ends in "Error".
    Error(String),
    /// `CallList.requestNextAttempt(data)`.
    NextAttempt(NextAttempt),
    /// Nothing reported: "the call list considers this task successful and does not make
    /// any more attempts" (\[T\] 3717-3722).
    Silent,
}

/// `CallList.requestNextAttempt(data)`: the fields \[T\] 3787-3830 and \[G\] editable call
/// lists name. Unset fields keep their values; `attempts_left` unset is decreased by one
/// (done when the attempt started).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NextAttempt {
    /// `error`: why the attempt failed (saved to `result_data`).
    pub error: String,
    /// `next_attempt_time` / `start_at` as a unix time. One in the past or more than nine
    /// months ahead falls back to the report time plus `interval_seconds` (\[G\]); unset:
    /// the same as reportError.
    pub at: Option<i64>,
    /// `attempts_left`; 0 makes this attempt the last and the task fails.
    pub attempts_left: Option<u32>,
    /// `custom_data` for the next attempts.
    pub custom_data: Option<String>,
    /// `start_execution_time` / `end_execution_time` for the next attempts.
    pub window: Option<Window>,
}

/// How one attempt went, as the simulation's outcome function tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptResult {
    /// How long the session ran, in seconds (the report takes effect at its end).
    pub duration_s: u32,
    /// What the scenario reported.
    pub report: Report,
}

impl AttemptResult {
    /// A session of `duration_s` that called `CallList.reportResult(result)`.
    pub fn result(duration_s: u32, result: impl Into<String>) -> AttemptResult {
        AttemptResult {
            duration_s,
            report: Report::Result(result.into()),
        }
    }

    /// A session of `duration_s` that called `CallList.reportError(error)`.
    pub fn error(duration_s: u32, error: impl Into<String>) -> AttemptResult {
        AttemptResult {
            duration_s,
            report: Report::Error(error.into()),
        }
    }

    /// A session of `duration_s` that reported nothing (a success).
    pub fn silent(duration_s: u32) -> AttemptResult {
        AttemptResult {
            duration_s,
            report: Report::Silent,
        }
    }

    /// A session of `duration_s` that called `CallList.requestNextAttempt(next)`.
    pub fn next_attempt(duration_s: u32, next: NextAttempt) -> AttemptResult {
        AttemptResult {
            duration_s,
            report: Report::NextAttempt(next),
        }
    }
}

/// A running attempt.
#[derive(Clone, Debug)]
pub(crate) struct Running {
    pub(crate) task: usize,
    pub(crate) ends_at: i64,
    pub(crate) report: Report,
}

/// A call list.
#[derive(Clone, Debug)]
pub struct CallList {
    /// `list_id`.
    pub id: u64,
    /// `list_name`.
    pub name: String,
    /// `rule_id`.
    pub rule_id: u64,
    /// The rule's application.
    pub application_id: u64,
    /// `priority`.
    pub priority: u64,
    /// `max_simultaneous`.
    pub max_simultaneous: u32,
    /// `num_attempts`.
    pub num_attempts: u32,
    /// `interval_seconds`.
    pub interval_seconds: u64,
    /// `task_priority_strategy`: `first_attempts` (default) or `repeated_attempts`.
    pub task_priority_strategy: String,
    /// `dt_submit`.
    pub dt_submit: i64,
    /// `dt_complete`.
    pub dt_complete: Option<i64>,
    /// Stopped by StopCallListProcessing.
    pub stopped: bool,
    /// The tasks, in upload order.
    pub tasks: Vec<Task>,
    /// The batches (uploads), in order.
    pub batches: Vec<String>,
    /// The columns of the list's CSV (every upload must have the same).
    pub columns: Vec<String>,
    /// The dialler's clock for this list (unix seconds): how far it has been simulated.
    pub clock: i64,
    pub(crate) running: Vec<Running>,
}

impl CallList {
    /// `status` (\[R\] calllisttype: "In progress", "Completed", "Canceled").
    pub fn status(&self) -> &'static str {
        if self.stopped {
            "Canceled"
        } else if self.dt_complete.is_some() {
            "Completed"
        } else {
            "In progress"
        }
    }

    /// Marks the list completed when every task is final and nothing runs (at `t`), or
    /// not completed otherwise.
    pub(crate) fn settle(&mut self, t: i64) {
        let done = self.running.is_empty() && self.tasks.iter().all(|x| x.status.is_final());
        if done && !self.stopped {
            if self.dt_complete.is_none() {
                self.dt_complete = Some(t);
            }
        } else {
            self.dt_complete = None;
        }
    }
}

/// Error 251: \[N\] Interfaces.ts:1237-1241 "Call list ID. If the ID is non existing, the
/// 251 error returns" (EditCallList; also EditCallListTasksPriority). The stand-in uses it
/// for an unknown list in every method; the message is the stand-in's own (the errors page
/// read gives none for 251).
fn no_list(id: u64) -> Refusal {
    refusal(251, "Call list not found", format!("no call list {id}"))
}

fn list_index(st: &State, id: u64) -> Result<usize, Refusal> {
    st.call_lists
        .iter()
        .position(|l| l.id == id)
        .ok_or_else(|| no_list(id))
}

/// `name`: "File name, up to 255 characters and cannot contain the '/' and '\' symbols"
/// (\[N\] Interfaces.ts:1118-1121; EditCallList: "cannot contain slash symbol").
fn check_name(name: &str) -> Result<(), Refusal> {
    let n = name.chars().count();
    if n == 0 || n > 255 || name.contains(['/', '\\']) {
        return Err(invalid(format!(
            "name {name:?} must be 1..255 characters without '/' or '\\'"
        )));
    }
    Ok(())
}

/// `num_attempts`: "Minimum is 1, maximum is 5" (\[N\] Interfaces.ts:1114-1117).
fn check_attempts(n: u64) -> Result<u32, Refusal> {
    if (1..=5).contains(&n) {
        Ok(u32::try_from(n).unwrap_or(5))
    } else {
        Err(invalid(format!("num_attempts {n} is not 1..5")))
    }
}

/// `max_simultaneous`: "Cannot be less than 1" (\[N\] Interfaces.ts:1250-1253, EditCallList;
/// CreateCallList is silent and held to the same rule).
fn check_simultaneous(n: u64) -> Result<u32, Refusal> {
    match u32::try_from(n) {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(invalid(format!("max_simultaneous {n} is less than 1"))),
    }
}

/// `priority`: "in the range of [0 ... 2^31]" (\[N\] Interfaces.ts:1106-1108).
fn check_priority(n: u64) -> Result<u64, Refusal> {
    if n <= 1 << 31 {
        Ok(n)
    } else {
        Err(invalid(format!("priority {n} is above 2^31")))
    }
}

/// `task_priority_strategy`: "first_attempts, repeated_attempts" (\[N\] Interfaces.ts:1150-1153).
fn check_strategy(s: &str) -> Result<String, Refusal> {
    match s {
        "first_attempts" | "repeated_attempts" => Ok(s.to_owned()),
        _ => Err(invalid(format!(
            "task_priority_strategy {s:?} is not first_attempts or repeated_attempts"
        ))),
    }
}

/// `HH:mm:ss`, UTC (\[N\] index.ts:1495): exactly two digits each, 00-23, 00-59, 00-59.
pub fn parse_hms(v: &str) -> Option<u32> {
    let b = v.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let two = |i: usize| -> Option<u32> {
        let (h, l) = (b[i], b[i + 1]);
        (h.is_ascii_digit() && l.is_ascii_digit())
            .then(|| u32::from(h - b'0') * 10 + u32::from(l - b'0'))
    };
    let (h, m, s) = (two(0)?, two(3)?, two(6)?);
    (h < 24 && m < 60 && s < 60).then_some(h * 3600 + m * 60 + s)
}

/// `HH:mm:ss` of a second of the day.
pub fn format_hms(secs: u32) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// `yyyy-MM-dd HH:mm:ss` (EditCallList `start_at`, \[N\] Interfaces.ts:1266-1269) as a unix time.
fn parse_datetime(v: &str) -> Option<i64> {
    let b = v.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = v.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let secs = i64::from(parse_hms(v.get(11..19)?)?);
    if !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d > days_in[usize::try_from(m - 1).ok()?] {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400 + secs)
}

/// `__task_uuid`: "A string up to 40 characters, can contain latin letters, digits, hyphens
/// (-) and colons (:). Unique within the call list" (\[N\] index.ts:1495).
fn check_uuid(v: &str) -> bool {
    (1..=40).contains(&v.len())
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b':')
}

/// A parsed upload: the header and rows, each checked.
struct Upload {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// The CSV rules. From the reference: the first row names the columns (\[G\]), the
/// delimiter defaults to `;` (\[N\] Interfaces.ts:1134-1137), UTF-8 by default
/// (Interfaces.ts:1129-1132), the four control columns and their formats (\[N\]
/// index.ts:1495). Stricter where the reference is silent: only UTF-8 and a one-character
/// delimiter; no `escape` (not modelled); RFC 4180 quoting; the header's names non-empty,
/// unique and without surrounding spaces; every row as wide as the header; at least one
/// row; no `__` column but the four; none of [`UNMODELLED_COLUMNS`]; both window columns or
/// neither, each row's values `HH:mm:ss` and different from each other; `__start_at`
/// digits; `__task_uuid` present in every row when the column is.
fn parse_upload(a: &Args) -> Result<Upload, Refusal> {
    let content = a
        .str("file_content")
        .ok_or_else(|| invalid("file_content is required"))?;
    if let Some(enc) = a.str("encoding")
        && !enc.eq_ignore_ascii_case("utf-8")
    {
        return Err(invalid(format!(
            "encoding {enc:?}: the stand-in takes UTF-8 only"
        )));
    }
    if a.str("escape").is_some() {
        return Err(invalid("escape is not modelled by the stand-in"));
    }
    let delimiter = match a.str("delimiter") {
        None => b';',
        Some(d) if d.len() == 1 && !matches!(d.as_bytes()[0], b'"' | b'\n' | b'\r') => {
            d.as_bytes()[0]
        }
        Some(d) => {
            return Err(invalid(format!(
                "delimiter {d:?}: the stand-in takes one ASCII character other than a quote or a line break"
            )));
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(content.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(r)) => r.iter().map(str::to_owned).collect(),
        Some(Err(e)) => return Err(invalid(format!("the CSV header: {e}"))),
        None => return Err(invalid("file_content is empty")),
    };
    let mut seen = BTreeSet::new();
    for name in &header {
        if name.is_empty() || name.trim() != name {
            return Err(invalid(format!(
                "column name {name:?} is empty or has surrounding spaces"
            )));
        }
        if !seen.insert(name.as_str()) {
            return Err(invalid(format!("column {name:?} is repeated")));
        }
        if name.starts_with("__") && !CONTROL_COLUMNS.contains(&name.as_str()) {
            return Err(invalid(format!(
                "column {name:?}: the reference names only {CONTROL_COLUMNS:?}"
            )));
        }
        if UNMODELLED_COLUMNS.contains(&name.as_str()) {
            return Err(invalid(format!(
                "column {name:?} has a platform meaning the stand-in does not model"
            )));
        }
    }
    let has = |c: &str| header.iter().position(|h| h == c);
    let (start_col, end_col) = (has("__start_execution_time"), has("__end_execution_time"));
    if start_col.is_some() != end_col.is_some() {
        return Err(invalid(
            "__start_execution_time and __end_execution_time go together",
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| invalid(format!("CSV row {line}: {e}")))?;
        let row: Vec<String> = record.iter().map(str::to_owned).collect();
        if row.len() != header.len() {
            return Err(invalid(format!(
                "CSV row {line} has {} fields; the header has {}",
                row.len(),
                header.len()
            )));
        }
        if let (Some(s), Some(e)) = (start_col, end_col) {
            let (sv, ev) = (parse_hms(&row[s]), parse_hms(&row[e]));
            match (sv, ev) {
                (Some(a), Some(b)) if a != b => {}
                (Some(_), Some(_)) => {
                    return Err(invalid(format!(
                        "CSV row {line}: the window starts and ends at {:?}",
                        row[s]
                    )));
                }
                _ => {
                    return Err(invalid(format!(
                        "CSV row {line}: window {:?}..{:?} is not HH:mm:ss",
                        row[s], row[e]
                    )));
                }
            }
        }
        if let Some(c) = has("__start_at") {
            let v = &row[c];
            if v.is_empty() || v.len() > 12 || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(format!(
                    "CSV row {line}: __start_at {v:?} is not a unix time"
                )));
            }
        }
        if let Some(c) = has("__task_uuid")
            && !check_uuid(&row[c])
        {
            return Err(invalid(format!(
                "CSV row {line}: __task_uuid {:?} is not 1..40 latin letters, digits, '-' or ':'",
                row[c]
            )));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(invalid("the CSV has a header and no rows"));
    }
    Ok(Upload { header, rows })
}

/// The test's expected header ([`super::StandIn::expect_columns`]), when set.
fn check_expected(st: &State, up: &Upload) -> Result<(), Refusal> {
    match &st.expected_columns {
        Some(cols) if *cols != up.header => Err(invalid(format!(
            "the test expects the columns {cols:?}, not {:?}",
            up.header
        ))),
        _ => Ok(()),
    }
}

/// Adds an upload's rows to a list as new tasks; refuses a `__task_uuid` already in it.
fn add_tasks(
    st: &mut State,
    li: usize,
    up: Upload,
    batch_id: &str,
    now: i64,
) -> Result<usize, Refusal> {
    check_expected(st, &up)?;
    let uuid_col = up.header.iter().position(|h| h == "__task_uuid");
    let mut uuids: BTreeSet<String> = st.call_lists[li]
        .tasks
        .iter()
        .filter_map(|t| t.uuid.clone())
        .collect();
    if let Some(c) = uuid_col {
        for row in &up.rows {
            if !uuids.insert(row[c].clone()) {
                return Err(invalid(format!(
                    "__task_uuid {:?} is not unique within the call list",
                    row[c]
                )));
            }
        }
    }
    let col = |name: &str| up.header.iter().position(|h| h == name);
    let (s, e, at) = (
        col("__start_execution_time"),
        col("__end_execution_time"),
        col("__start_at"),
    );
    let count = up.rows.len();
    for row in up.rows {
        let id = st.next_id();
        let list = &mut st.call_lists[li];
        let window = match (s, e) {
            (Some(s), Some(e)) => Some(Window {
                start: parse_hms(&row[s]).unwrap_or(0),
                end: parse_hms(&row[e]).unwrap_or(0),
            }),
            _ => None,
        };
        let start_at = at
            .and_then(|c| row[c].parse::<i64>().ok())
            .map_or(now, |t| t.max(now));
        let mut object = serde_json::Map::new();
        for (k, v) in up.header.iter().zip(&row) {
            object.insert(k.clone(), Value::String(v.clone()));
        }
        let stopped = list.stopped;
        list.tasks.push(Task {
            id,
            row: list.tasks.len(),
            batch_id: batch_id.to_owned(),
            uuid: uuid_col.map(|c| row[c].clone()),
            columns: up.header.iter().cloned().zip(row).collect(),
            custom_data: Value::Object(object).to_string(),
            window,
            start_at,
            attempts_left: list.num_attempts,
            attempts_made: 0,
            status: if stopped {
                TaskStatus::Canceled
            } else {
                TaskStatus::New
            },
            result_data: None,
            last_attempt: None,
            stopped,
        });
    }
    st.call_lists[li].settle(now);
    Ok(count)
}

/// A batch UUID (the stand-in's own: 8-4-4-4-12 hex from the list and batch numbers).
fn batch_uuid(list: u64, n: usize) -> String {
    format!(
        "00000000-0000-4000-8000-{:06x}{:06x}",
        list & 0xff_ffff,
        n & 0xff_ffff
    )
}

fn task_json(l: &CallList, t: &Task) -> Value {
    let mut v = json!({
        "list_id": l.id,
        "task_id": t.id,
        "custom_data": t.custom_data,
        "attempts_left": t.attempts_left,
        "status_id": t.status.id(),
        "status": t.status.name(),
    });
    if let Some(u) = &t.uuid {
        v["task_uuid"] = json!(u);
    }
    if let Some(w) = t.window {
        v["start_execution_time"] = json!(format_hms(w.start));
        v["finish_execution_time"] = json!(format_hms(w.end));
    }
    if let Some(r) = &t.result_data {
        v["result_data"] = json!(r);
    }
    if let Some(at) = t.last_attempt {
        v["last_attempt"] = json!(format_time(at));
    }
    v
}

fn list_json(l: &CallList) -> Value {
    let mut v = json!({
        "list_id": l.id,
        "list_name": l.name,
        "priority": l.priority,
        "rule_id": l.rule_id,
        "max_simultaneous": l.max_simultaneous,
        "num_attempts": l.num_attempts,
        "dt_submit": format_time(l.dt_submit),
        "interval_seconds": l.interval_seconds,
        "status": l.status(),
        "task_priority_strategy": l.task_priority_strategy,
    });
    if let Some(c) = l.dt_complete {
        v["dt_complete"] = json!(format_time(c));
    }
    v
}

/// `list_id`, required, of an existing list.
fn required_list(a: &Args, st: &State) -> Result<usize, Refusal> {
    let id = a
        .num("list_id")?
        .ok_or_else(|| invalid("list_id is required"))?;
    list_index(st, id)
}

/// A `;`-list of ids or `all`; `None` when absent or `all`.
fn id_filter(a: &Args, k: &str) -> Result<Option<Vec<u64>>, Refusal> {
    match a.str(k) {
        None | Some("all") => Ok(None),
        Some(_) => a.num_list(k),
    }
}

pub(crate) fn dispatch(
    method: &str,
    a: &Args,
    st: &mut State,
    real_now: i64,
) -> Result<Value, Refusal> {
    let now = st.platform_time.unwrap_or(real_now);
    match method {
        // [N] index.ts:1497-1551; Interfaces.ts:1101-1174.
        "CreateCallList" => {
            a.only(&[
                "rule_id",
                "priority",
                "max_simultaneous",
                "num_attempts",
                "name",
                "file_content",
                "interval_seconds",
                "encoding",
                "delimiter",
                "escape",
                "reference_ip",
                "server_location",
                "task_priority_strategy",
            ])?;
            let need = |k: &str| -> Result<u64, Refusal> {
                a.num(k)?.ok_or_else(|| invalid(format!("{k} is required")))
            };
            let rule_id = need("rule_id")?;
            let priority = check_priority(need("priority")?)?;
            let max_simultaneous = check_simultaneous(need("max_simultaneous")?)?;
            let num_attempts = check_attempts(need("num_attempts")?)?;
            let name = a.required("name")?;
            check_name(name)?;
            let interval_seconds = a.num("interval_seconds")?.unwrap_or(0);
            let strategy =
                check_strategy(a.str("task_priority_strategy").unwrap_or("first_attempts"))?;
            if a.str("reference_ip").is_some() || a.str("server_location").is_some() {
                return Err(invalid(
                    "reference_ip / server_location are not modelled by the stand-in",
                ));
            }
            // The rule must exist (its code is not documented: 101) and, stricter, have a
            // scenario bound: a task starts "the specified rule" ([N] index.ts:1495).
            let rule = st
                .rules
                .iter()
                .find(|r| r.id == rule_id)
                .ok_or_else(|| invalid(format!("no rule {rule_id}")))?;
            if rule.scenario_ids.is_empty() {
                return Err(invalid(format!("rule {rule_id} has no scenario bound")));
            }
            let application_id = rule.application_id;
            // Stricter: AppendToCallList may name a list by `list_name`, "the unique name
            // of the call list" (voximplant/apiclient-go@0b4143fdf2b5d547fcfe589a1e8c7f4cd24fd882
            // methods/CallLists.go, AppendToCallListParams),
            // so names are kept unique.
            if st.call_lists.iter().any(|l| l.name == name) {
                return Err(invalid(format!("a call list is named {name:?}")));
            }
            let upload = parse_upload(a)?;
            let id = st.next_id();
            let batch_id = batch_uuid(id, 0);
            st.call_lists.push(CallList {
                id,
                name: name.to_owned(),
                rule_id,
                application_id,
                priority,
                max_simultaneous,
                num_attempts,
                interval_seconds,
                task_priority_strategy: strategy,
                dt_submit: now,
                dt_complete: None,
                stopped: false,
                tasks: Vec::new(),
                batches: vec![batch_id.clone()],
                columns: upload.header.clone(),
                clock: now,
                running: Vec::new(),
            });
            let li = st.call_lists.len() - 1;
            match add_tasks(st, li, upload, &batch_id, now) {
                Ok(count) => Ok(json!({
                    "result": true,
                    "count": count,
                    "list_id": id,
                    "batch_id": batch_id,
                })),
                Err(r) => {
                    st.call_lists.pop();
                    Err(r)
                }
            }
        }
        // [N] index.ts:1556-1578; Interfaces.ts:1175-1217 (batch_id: number).
        "AppendToCallList" => {
            a.only(&[
                "list_id",
                "list_name",
                "file_content",
                "encoding",
                "escape",
                "delimiter",
            ])?;
            let li = match (a.num("list_id")?, a.str("list_name")) {
                (Some(_), Some(_)) => return Err(invalid("both list_id and list_name")),
                (Some(id), None) => list_index(st, id)?,
                (None, Some(n)) => st
                    .call_lists
                    .iter()
                    .position(|l| l.name == n)
                    .ok_or_else(|| invalid(format!("no call list named {n:?}")))?,
                (None, None) => return Err(invalid("list_id or list_name is required")),
            };
            let upload = parse_upload(a)?;
            // Stricter: an upload with other columns than the list's first would give its
            // tasks another custom_data shape; not documented, refused.
            if upload.header != st.call_lists[li].columns {
                return Err(invalid(format!(
                    "the columns {:?} are not the list's {:?}",
                    upload.header, st.call_lists[li].columns
                )));
            }
            let n = st.call_lists[li].batches.len();
            let list_id = st.call_lists[li].id;
            let batch_number = (list_id << 16) + n as u64;
            let batch_id = batch_number.to_string();
            let at = now.max(st.call_lists[li].clock);
            let count = add_tasks(st, li, upload, &batch_id, at)?;
            st.call_lists[li].batches.push(batch_id);
            Ok(json!({
                "result": true,
                "count": count,
                "list_id": list_id,
                "batch_id": batch_number,
            }))
        }
        // [N] index.ts:1598-1638; Interfaces.ts:1237-1285.
        "EditCallList" => {
            a.only(&[
                "list_id",
                "interval_seconds",
                "num_attempts",
                "max_simultaneous",
                "ip_address",
                "name",
                "priority",
                "start_at",
                "task_priority_strategy",
                "server_location",
            ])?;
            let li = required_list(a, st)?;
            if a.str("ip_address").is_some() || a.str("server_location").is_some() {
                return Err(invalid(
                    "ip_address / server_location are not modelled by the stand-in",
                ));
            }
            let interval = a.num("interval_seconds")?;
            let attempts = a.num("num_attempts")?.map(check_attempts).transpose()?;
            let simultaneous = a
                .num("max_simultaneous")?
                .map(check_simultaneous)
                .transpose()?;
            let name = a.str("name");
            if let Some(n) = name {
                check_name(n)?;
                let id = st.call_lists[li].id;
                if st.call_lists.iter().any(|l| l.id != id && l.name == n) {
                    return Err(invalid(format!("a call list is named {n:?}")));
                }
            }
            let priority = a.num("priority")?.map(check_priority).transpose()?;
            let start_at = match a.str("start_at") {
                None => None,
                Some(v) => Some(parse_datetime(v).ok_or_else(|| {
                    invalid(format!("start_at {v:?} is not yyyy-MM-dd HH:mm:ss"))
                })?),
            };
            let strategy = a
                .str("task_priority_strategy")
                .map(check_strategy)
                .transpose()?;
            if interval.is_none()
                && attempts.is_none()
                && simultaneous.is_none()
                && name.is_none()
                && priority.is_none()
                && start_at.is_none()
                && strategy.is_none()
            {
                return Err(invalid("nothing to change"));
            }
            let l = &mut st.call_lists[li];
            if let Some(v) = interval {
                l.interval_seconds = v;
            }
            if let Some(n) = attempts {
                // Not documented how running tasks take a new num_attempts; the stand-in
                // gives it to tasks never attempted only.
                l.num_attempts = n;
                for t in l
                    .tasks
                    .iter_mut()
                    .filter(|t| t.attempts_made == 0 && !t.status.is_final())
                {
                    t.attempts_left = n;
                }
            }
            if let Some(v) = simultaneous {
                l.max_simultaneous = v;
            }
            if let Some(n) = name {
                n.clone_into(&mut l.name);
            }
            if let Some(p) = priority {
                l.priority = p;
            }
            if let Some(at) = start_at {
                // "Time when the call list should start": no pending task starts before it.
                for t in l.tasks.iter_mut().filter(|t| !t.status.is_final()) {
                    t.start_at = t.start_at.max(at);
                }
            }
            if let Some(s) = strategy {
                l.task_priority_strategy = s;
            }
            Ok(json!({"result": true}))
        }
        // [N] index.ts:1777-1800; Interfaces.ts:1462-1499: "The maximum number of tasks to
        // cancel is 1000"; one of tasks_ids / tasks_uuids, "The method returns an error if
        // none of the parameters is specified".
        "CancelCallListTask" => {
            a.only(&["account_id", "list_id", "tasks_ids", "tasks_uuids"])?;
            // account_id is a required field of the request ([N] Interfaces.ts:1463-1466;
            // apiclient-python client.py:2380); the stand-in holds it to the account.
            let account = a
                .num("account_id")?
                .ok_or_else(|| invalid("account_id is required"))?;
            if account != st.account_id {
                return Err(invalid(format!("account_id {account} is not this account")));
            }
            let li = required_list(a, st)?;
            let l = &st.call_lists[li];
            let targets: Vec<usize> = match (a.str("tasks_ids"), a.str_list("tasks_uuids")?) {
                (Some(_), Some(_)) => return Err(invalid("both tasks_ids and tasks_uuids")),
                (Some(_), None) => a
                    .num_list("tasks_ids")?
                    .unwrap_or_default()
                    .iter()
                    .map(|id| {
                        l.tasks
                            .iter()
                            .position(|t| t.id == *id)
                            .ok_or_else(|| invalid(format!("no task {id} in list {}", l.id)))
                    })
                    .collect::<Result<_, _>>()?,
                (None, Some(uuids)) => uuids
                    .iter()
                    .map(|u| {
                        l.tasks
                            .iter()
                            .position(|t| t.uuid.as_deref() == Some(u.as_str()))
                            .ok_or_else(|| invalid(format!("no task {u:?} in list {}", l.id)))
                    })
                    .collect::<Result<_, _>>()?,
                (None, None) => return Err(invalid("tasks_ids or tasks_uuids is required")),
            };
            if targets.len() > 1000 {
                return Err(invalid(format!(
                    "{} tasks; at most 1000 per request",
                    targets.len()
                )));
            }
            let unique: BTreeSet<usize> = targets.iter().copied().collect();
            if unique.len() != targets.len() {
                return Err(invalid("a task is named twice"));
            }
            // A task already final cannot be cancelled: the answer's `result` false with
            // `error_msg` ("Reason for the error", Interfaces.ts:1481-1499), nothing changed.
            let finished: Vec<u64> = targets
                .iter()
                .filter(|&&i| l.tasks[i].status.is_final())
                .map(|&i| l.tasks[i].id)
                .collect();
            let mut v = if finished.is_empty() {
                json!({"result": true})
            } else {
                json!({"result": false, "error_msg": format!("tasks {finished:?} are already finished")})
            };
            if let [i] = targets.as_slice() {
                v["task_id"] = json!(l.tasks[*i].id);
                if let Some(u) = &l.tasks[*i].uuid {
                    v["task_uuid"] = json!(u);
                }
            }
            if finished.is_empty() {
                let at = now.max(st.call_lists[li].clock);
                let l = &mut st.call_lists[li];
                for i in targets {
                    // A running attempt goes on; its report no longer changes the task.
                    l.tasks[i].status = TaskStatus::Canceled;
                    l.tasks[i].stopped = false;
                }
                l.settle(at);
            }
            Ok(v)
        }
        // [N] index.ts:1805-1815; Interfaces.ts:1500-1517. How a stop shows in the tasks is
        // not documented ([N]'s example calls it "Cancel list", examples/CallLists/
        // stopCallListProcessing_1.js): the stand-in marks the list "Canceled" and every
        // task waiting for an attempt "Canceled"; a running attempt ends, and its task is
        // cancelled too if it would be retried. Stopping a stopped or completed list is
        // refused (stricter).
        "StopCallListProcessing" => {
            a.only(&["list_id"])?;
            let li = required_list(a, st)?;
            let l = &mut st.call_lists[li];
            if l.stopped {
                return Err(invalid(format!("call list {} is already stopped", l.id)));
            }
            if l.dt_complete.is_some() {
                return Err(invalid(format!("call list {} is completed", l.id)));
            }
            l.stopped = true;
            let running: BTreeSet<usize> = l.running.iter().map(|r| r.task).collect();
            for (i, t) in l.tasks.iter_mut().enumerate() {
                if !t.status.is_final() && !running.contains(&i) {
                    t.status = TaskStatus::Canceled;
                    t.stopped = true;
                }
            }
            Ok(json!({"result": true, "msg": "Call list processing is stopped"}))
        }
        // [N] index.ts:1820-1832; Interfaces.ts:1518-1534: `count_recovery`, "Number restored
        // tasks" ([N]'s example: "Restore list"). The tasks the stop cancelled come back;
        // tasks cancelled one by one stay cancelled. Recovering a list that is not stopped
        // is refused (stricter).
        "RecoverCallList" => {
            a.only(&["list_id"])?;
            let li = required_list(a, st)?;
            let at = now.max(st.call_lists[li].clock);
            let l = &mut st.call_lists[li];
            if !l.stopped {
                return Err(invalid(format!("call list {} is not stopped", l.id)));
            }
            l.stopped = false;
            let mut restored = 0u64;
            for t in l.tasks.iter_mut().filter(|t| t.stopped) {
                t.stopped = false;
                t.status = if t.attempts_made == 0 {
                    TaskStatus::New
                } else {
                    TaskStatus::InProgress
                };
                restored += 1;
            }
            l.settle(at);
            Ok(json!({"result": true, "count_recovery": restored}))
        }
        // [N] index.ts:1675-1704; Interfaces.ts:1324-1377; the current reference gives
        // `count` at most 1000.
        "GetCallLists" => {
            a.only(&[
                "list_id",
                "name",
                "is_active",
                "from_date",
                "to_date",
                "type_list",
                "count",
                "offset",
                "application_id",
            ])?;
            let ids = id_filter(a, "list_id")?;
            let apps = id_filter(a, "application_id")?;
            let name = a.str("name");
            let active = a.flag("is_active")?;
            let date = |k: &str| -> Result<Option<i64>, Refusal> {
                a.str(k)
                    .map(|v| {
                        parse_datetime(v)
                            .ok_or_else(|| invalid(format!("{k} {v:?} is not YYYY-MM-DD HH:mm:ss")))
                    })
                    .transpose()
            };
            let (from, to) = (date("from_date")?, date("to_date")?);
            match a.str("type_list") {
                None => {}
                Some(t) if t.eq_ignore_ascii_case("automatic") => {}
                Some(t) => {
                    return Err(invalid(format!(
                        "type_list {t:?}: the stand-in has AUTOMATIC lists only"
                    )));
                }
            }
            let (count, offset) = a.paging()?;
            if count > 1000 {
                return Err(invalid("count is at most 1000"));
            }
            let found: Vec<&CallList> = st
                .call_lists
                .iter()
                .filter(|l| ids.as_ref().is_none_or(|ids| ids.contains(&l.id)))
                .filter(|l| apps.as_ref().is_none_or(|a| a.contains(&l.application_id)))
                .filter(|l| name.is_none_or(|n| l.name.contains(n)))
                .filter(|l| active.is_none_or(|act| (l.status() == "In progress") == act))
                .filter(|l| from.is_none_or(|f| l.dt_submit >= f))
                .filter(|l| to.is_none_or(|t| l.dt_submit <= t))
                .collect();
            let total = found.len();
            let shown: Vec<Value> = found
                .into_iter()
                .skip(offset)
                .take(count)
                .map(list_json)
                .collect();
            Ok(json!({"result": shown, "count": shown.len(), "total_count": total}))
        }
        // [N] index.ts:1709-1733; Interfaces.ts:1378-1418. The default output is CSV; the
        // stand-in serves `output=json` only (the CSV/XLS file answers are not modelled).
        // The current reference: for json, `count` defaults to and is at most 1000.
        "GetCallListDetails" => {
            a.only(&[
                "list_id",
                "count",
                "offset",
                "output",
                "encoding",
                "delimiter",
                "batch_id",
            ])?;
            let li = required_list(a, st)?;
            match a.str("output") {
                Some("json") => {}
                other => {
                    return Err(invalid(format!(
                        "output {other:?}: the stand-in serves json only (the platform's default is csv)"
                    )));
                }
            }
            if a.str("encoding").is_some() || a.str("delimiter").is_some() {
                return Err(invalid("encoding / delimiter apply to file output only"));
            }
            let count = match a.num("count")? {
                None => 1000,
                Some(n @ 1..=1000) => usize::try_from(n).unwrap_or(1000),
                Some(n) => return Err(invalid(format!("count {n} is not 1..1000"))),
            };
            let offset = usize::try_from(a.num("offset")?.unwrap_or(0)).unwrap_or(usize::MAX);
            let l = &st.call_lists[li];
            let batch = a.str("batch_id");
            if let Some(b) = batch
                && !l.batches.iter().any(|x| x == b)
            {
                return Err(invalid(format!("no batch {b:?} in list {}", l.id)));
            }
            let shown: Vec<Value> = l
                .tasks
                .iter()
                .filter(|t| batch.is_none_or(|b| t.batch_id == b))
                .skip(offset)
                .take(count)
                .map(|t| task_json(l, t))
                .collect();
            Ok(json!({"result": shown, "count": shown.len()}))
        }
        _ => Err(refusal(
            103,
            "Unknown command",
            format!("{method:?} is not served"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hms_and_windows() {
        assert_eq!(parse_hms("00:00:00"), Some(0));
        assert_eq!(parse_hms("23:59:59"), Some(86_399));
        for bad in [
            "24:00:00",
            "9:00:00",
            "09:60:00",
            "09:00",
            "09:00:00Z",
            "ab:cd:ef",
        ] {
            assert_eq!(parse_hms(bad), None, "{bad}");
        }
        let day = 20_000 * 86_400;
        let w = Window {
            start: 9 * 3600,
            end: 17 * 3600,
        };
        assert!(!w.contains(day + 8 * 3600));
        assert!(w.contains(day + 9 * 3600));
        assert!(!w.contains(day + 17 * 3600));
        assert_eq!(w.next_open(day + 8 * 3600), day + 9 * 3600);
        assert_eq!(w.next_open(day + 18 * 3600), day + 86_400 + 9 * 3600);
        // Wrapping midnight: 22:00 .. 02:00.
        let w = Window {
            start: 22 * 3600,
            end: 2 * 3600,
        };
        assert!(w.contains(day + 23 * 3600));
        assert!(w.contains(day + 3600));
        assert!(!w.contains(day + 2 * 3600));
        assert_eq!(w.next_open(day + 3 * 3600), day + 22 * 3600);
        assert_eq!(w.next_open(day + 23 * 3600), day + 23 * 3600);
    }

    #[test]
    fn datetimes() {
        assert_eq!(parse_datetime("1970-01-01 00:00:00"), Some(0));
        assert_eq!(parse_datetime("2024-02-29 23:59:59"), Some(1_709_251_199));
        assert_eq!(parse_datetime("2023-02-29 00:00:00"), None);
        assert_eq!(parse_datetime("2024-02-29T23:59:59"), None);
        let t = 1_796_000_123;
        assert_eq!(parse_datetime(&format_time(t)), Some(t));
    }
}
