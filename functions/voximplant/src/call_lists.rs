//! Call lists: the Management API methods a campaign needs, typed.
//!
//! Parameters and answers follow the official Node client
//! (voximplant/apiclient-nodejs@281e5c4199b6a7ed9bf3d7c880729306dffe82a3, cited as
//! `index.ts:line`, `Interfaces.ts:line`, `Structures.ts:line`) and the reference
//! <https://voximplant.com/docs/references/httpapi/calllists>. Like every method of this
//! crate they are sent as form fields: `file_content` too, which both official clients send
//! as an ordinary field (the Node client's `file` transformer is `data.toString()`,
//! TypeTransformer.ts:6475-6477, appended to its multipart form; the Python client puts it
//! in `data=`, apiclient-python client.py:2080-2121), so the CSV travels in the body, never
//! in the URL as the reference warns against (Interfaces.ts:1122-1125).
//!
//! The CSV's control columns (`__start_execution_time`, `__end_execution_time` as UTC
//! `HH:mm:ss`, `__start_at` as a unix time, `__task_uuid`) are documented at index.ts:1495;
//! [`CallListCsv`] writes a CSV with them checked.

use serde::Deserialize;

use crate::client::{Client, Params};
use crate::error::Error;

/// Limits the reference documents, checked before anything is sent.
pub mod limits {
    use crate::error::Error;

    /// `name`: "up to 255 characters and cannot contain the '/' and '\' symbols"
    /// (Interfaces.ts:1118-1121).
    pub fn name(name: &str) -> Result<(), Error> {
        let n = name.chars().count();
        if n == 0 || n > 255 || name.contains(['/', '\\']) {
            return Err(Error::InvalidInput(format!(
                "call list name {name:?} must be 1..255 characters without '/' or '\\'"
            )));
        }
        Ok(())
    }

    /// `num_attempts`: "Minimum is 1, maximum is 5" (Interfaces.ts:1114-1117).
    pub fn num_attempts(n: u32) -> Result<(), Error> {
        if (1..=5).contains(&n) {
            Ok(())
        } else {
            Err(Error::InvalidInput(format!(
                "num_attempts {n}: the API takes 1..5"
            )))
        }
    }

    /// `max_simultaneous`: "Cannot be less than 1" (Interfaces.ts:1250-1253).
    pub fn max_simultaneous(n: u32) -> Result<(), Error> {
        if n >= 1 {
            Ok(())
        } else {
            Err(Error::InvalidInput(
                "max_simultaneous must be at least 1".into(),
            ))
        }
    }

    /// `priority`: "in the range of [0 ... 2^31]" (Interfaces.ts:1106-1108).
    pub fn priority(n: u64) -> Result<(), Error> {
        if n <= 1 << 31 {
            Ok(())
        } else {
            Err(Error::InvalidInput(format!("priority {n} is above 2^31")))
        }
    }

    /// `delimiter`: one character that cannot be confused with CSV quoting or lines.
    pub fn delimiter(d: char) -> Result<(), Error> {
        if d.is_ascii() && !matches!(d, '"' | '\n' | '\r') {
            Ok(())
        } else {
            Err(Error::InvalidInput(format!(
                "delimiter {d:?} must be one ASCII character other than a quote or a line break"
            )))
        }
    }

    /// `tasks_ids` / `tasks_uuids`: "The maximum number of tasks to cancel is 1000"
    /// (index.ts:1775).
    pub fn cancel_count(n: usize) -> Result<(), Error> {
        if (1..=1000).contains(&n) {
            Ok(())
        } else {
            Err(Error::InvalidInput(format!(
                "{n} tasks to cancel; the API takes 1..1000 per request"
            )))
        }
    }

    /// `__task_uuid`: "A string up to 40 characters, can contain latin letters, digits,
    /// hyphens (-) and colons (:)" (index.ts:1495).
    pub fn task_uuid(u: &str) -> Result<(), Error> {
        if (1..=40).contains(&u.len())
            && u.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b':')
        {
            Ok(())
        } else {
            Err(Error::InvalidInput(format!(
                "task uuid {u:?} must be 1..40 latin letters, digits, '-' or ':'"
            )))
        }
    }

    /// `__start_execution_time` / `__end_execution_time`: "UTC+0 24-h format: HH:mm:ss"
    /// (index.ts:1495).
    pub fn hms(v: &str) -> Result<u32, Error> {
        let b = v.as_bytes();
        let two = |i: usize| -> Option<u32> {
            let s = v.get(i..i + 2)?;
            s.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| s.parse().ok())?
        };
        let parsed = (b.len() == 8 && b[2] == b':' && b[5] == b':')
            .then(|| Some((two(0)?, two(3)?, two(6)?)))
            .flatten()
            .filter(|&(h, m, s)| h < 24 && m < 60 && s < 60);
        parsed
            .map(|(h, m, s)| h * 3600 + m * 60 + s)
            .ok_or_else(|| Error::InvalidInput(format!("time {v:?} is not HH:mm:ss")))
    }
}

/// `task_priority_strategy` (Interfaces.ts:1150-1153).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskPriorityStrategy {
    /// `first_attempts` (the platform's default): first attempts before repeated ones.
    FirstAttempts,
    /// `repeated_attempts`.
    RepeatedAttempts,
}

impl TaskPriorityStrategy {
    fn as_str(self) -> &'static str {
        match self {
            TaskPriorityStrategy::FirstAttempts => "first_attempts",
            TaskPriorityStrategy::RepeatedAttempts => "repeated_attempts",
        }
    }
}

/// A CSV for CreateCallList / AppendToCallList: a header and rows, written with `;`
/// (the platform's default delimiter, Interfaces.ts:1134-1137) and RFC 4180 quoting.
///
/// The control columns are checked as rows are added: both window columns or neither,
/// each `HH:mm:ss` and not equal to each other (an empty window is ambiguous); `__start_at`
/// a unix time; `__task_uuid` in its format and unique in this CSV. Any other `__` column
/// is refused (the reference names only these four).
#[derive(Clone, Debug)]
pub struct CallListCsv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

const CONTROL: [&str; 4] = [
    "__start_execution_time",
    "__end_execution_time",
    "__start_at",
    "__task_uuid",
];

impl CallListCsv {
    /// A CSV with these columns, in order.
    pub fn new<S: AsRef<str>>(columns: &[S]) -> Result<Self, Error> {
        let header: Vec<String> = columns.iter().map(|c| c.as_ref().to_owned()).collect();
        for (i, c) in header.iter().enumerate() {
            if c.is_empty() || c.trim() != c || c.contains(['\r', '\n']) {
                return Err(Error::InvalidInput(format!(
                    "column name {c:?} is empty, has surrounding spaces or a line break"
                )));
            }
            if header[..i].contains(c) {
                return Err(Error::InvalidInput(format!("column {c:?} is repeated")));
            }
            if c.starts_with("__") && !CONTROL.contains(&c.as_str()) {
                return Err(Error::InvalidInput(format!(
                    "column {c:?}: the API knows only {CONTROL:?}"
                )));
            }
        }
        let has = |c: &str| header.iter().any(|h| h == c);
        if has(CONTROL[0]) != has(CONTROL[1]) {
            return Err(Error::InvalidInput(
                "__start_execution_time and __end_execution_time go together".into(),
            ));
        }
        Ok(CallListCsv {
            header,
            rows: Vec::new(),
        })
    }

    /// Adds a row (one value per column).
    pub fn push<S: AsRef<str>>(&mut self, values: &[S]) -> Result<(), Error> {
        if values.len() != self.header.len() {
            return Err(Error::InvalidInput(format!(
                "a row of {} values for {} columns",
                values.len(),
                self.header.len()
            )));
        }
        let row: Vec<String> = values.iter().map(|v| v.as_ref().to_owned()).collect();
        let get = |c: &str| {
            self.header
                .iter()
                .position(|h| h == c)
                .map(|i| row[i].as_str())
        };
        if let (Some(s), Some(e)) = (get(CONTROL[0]), get(CONTROL[1]))
            && limits::hms(s)? == limits::hms(e)?
        {
            return Err(Error::InvalidInput(format!("the window {s}..{e} is empty")));
        }
        if let Some(at) = get(CONTROL[2])
            && (at.is_empty() || at.len() > 12 || !at.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(Error::InvalidInput(format!(
                "__start_at {at:?} is not a unix time"
            )));
        }
        if let Some(u) = get(CONTROL[3]) {
            limits::task_uuid(u)?;
            let col = self
                .header
                .iter()
                .position(|h| h == CONTROL[3])
                .unwrap_or(0);
            if self.rows.iter().any(|r| r[col] == u) {
                return Err(Error::InvalidInput(format!("task uuid {u:?} is repeated")));
            }
        }
        self.rows.push(row);
        Ok(())
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The CSV text: `;`-separated, `\n` line ends, fields quoted when they hold `;`, a
    /// quote or a line break.
    pub fn to_csv(&self) -> String {
        let field = |v: &str| {
            if v.contains([';', '"', '\n', '\r']) {
                format!("\"{}\"", v.replace('"', "\"\""))
            } else {
                v.to_owned()
            }
        };
        let mut out = String::new();
        for line in std::iter::once(&self.header).chain(&self.rows) {
            let cells: Vec<String> = line.iter().map(|v| field(v)).collect();
            out.push_str(&cells.join(";"));
            out.push('\n');
        }
        out
    }
}

/// CreateCallList's parameters (index.ts:1497-1551; Interfaces.ts:1101-1155).
#[derive(Clone, Debug)]
pub struct NewCallList {
    /// The rule whose scenario runs each task.
    pub rule_id: u64,
    /// The list's name (1..255 characters, no `/` or `\`).
    pub name: String,
    /// 0 (highest) ..= 2^31.
    pub priority: u64,
    /// Tasks processed at once (≥ 1).
    pub max_simultaneous: u32,
    /// Attempts per task, 1..=5.
    pub num_attempts: u32,
    /// Seconds between attempts (default 0).
    pub interval_seconds: u32,
    /// The CSV (UTF-8).
    pub file_content: String,
    /// The CSV's delimiter; `None`: the platform's default `;`.
    pub delimiter: Option<char>,
    /// First or repeated attempts first; `None`: the platform's default (first).
    pub task_priority_strategy: Option<TaskPriorityStrategy>,
}

/// CreateCallList's answer (Interfaces.ts:1156-1174).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedCallList {
    /// The list's id.
    pub list_id: u64,
    /// How many tasks were stored.
    pub count: u64,
    /// The batch (upload) id.
    pub batch_id: String,
}

/// AppendToCallList's answer (Interfaces.ts:1199-1217; `batch_id` is typed a number there
/// and a string in CreateCallList's answer: both are read, kept as text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendedTasks {
    /// The list's id.
    pub list_id: u64,
    /// How many tasks were stored.
    pub count: u64,
    /// The batch (upload) id.
    pub batch_id: String,
}

/// What EditCallList changes (index.ts:1598-1638; Interfaces.ts:1237-1279); `None`
/// leaves a setting as it is.
#[derive(Clone, Debug, Default)]
pub struct CallListUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new priority.
    pub priority: Option<u64>,
    /// A new `max_simultaneous` (≥ 1).
    pub max_simultaneous: Option<u32>,
    /// A new `num_attempts` (1..=5: the reference says "Cannot be less than 1" here and
    /// "maximum is 5" at creation).
    pub num_attempts: Option<u32>,
    /// A new interval between attempts.
    pub interval_seconds: Option<u32>,
    /// When the list should start, unix seconds (sent as `yyyy-MM-dd HH:mm:ss` UTC).
    pub start_at: Option<i64>,
    /// A new strategy.
    pub task_priority_strategy: Option<TaskPriorityStrategy>,
}

/// Which tasks CancelCallListTask cancels: ids or uuids, not both (Interfaces.ts:1462-1480).
#[derive(Clone, Copy, Debug)]
pub enum TaskRefs<'a> {
    /// By `task_id`.
    Ids(&'a [u64]),
    /// By `__task_uuid`.
    Uuids(&'a [&'a str]),
}

/// CancelCallListTask's answer (Interfaces.ts:1481-1499).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelOutcome {
    /// Whether the tasks were cancelled.
    pub result: bool,
    /// The platform's reason when not.
    pub error_msg: Option<String>,
}

/// `CallListType` (Structures.ts:2239-2284; TypeTransformer.ts:1437-1464).
#[derive(Clone, Debug, Deserialize)]
pub struct CallListInfo {
    /// The id.
    pub list_id: u64,
    /// The name.
    pub list_name: String,
    /// The priority.
    pub priority: u64,
    /// The rule.
    pub rule_id: u64,
    /// Tasks processed at once.
    pub max_simultaneous: u32,
    /// Attempts per task.
    pub num_attempts: u32,
    /// Submitted, `YYYY-MM-DD HH:mm:ss` UTC.
    pub dt_submit: String,
    /// Completed, when it is.
    #[serde(default)]
    pub dt_complete: Option<String>,
    /// Seconds between attempts.
    pub interval_seconds: u64,
    /// "In progress", "Completed" or "Canceled".
    pub status: String,
    /// `first_attempts` or `repeated_attempts`.
    #[serde(default)]
    pub task_priority_strategy: Option<String>,
}

/// A task's status: `status_id` and `status` of `CallListDetailType` (Structures.ts:2285-2330;
/// <https://voximplant.com/docs/references/httpapi/calllistdetailtype>).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskStatus {
    /// 0, "New": never attempted.
    New,
    /// 1, "In progress": an attempt runs, or a next attempt is due.
    InProgress,
    /// 2, "Processed": the script reported a result, or reported nothing (success).
    Processed,
    /// 3, "Error": the attempts ran out with an error.
    Error,
    /// 4, "Canceled": cancelled by CancelCallListTask or StopCallListProcessing.
    Canceled,
}

impl TaskStatus {
    /// The platform's `status_id`.
    pub fn id(self) -> u8 {
        match self {
            TaskStatus::New => 0,
            TaskStatus::InProgress => 1,
            TaskStatus::Processed => 2,
            TaskStatus::Error => 3,
            TaskStatus::Canceled => 4,
        }
    }

    /// The platform's `status` name.
    pub fn name(self) -> &'static str {
        match self {
            TaskStatus::New => "New",
            TaskStatus::InProgress => "In progress",
            TaskStatus::Processed => "Processed",
            TaskStatus::Error => "Error",
            TaskStatus::Canceled => "Canceled",
        }
    }

    fn from_id(id: u64) -> Option<Self> {
        [
            TaskStatus::New,
            TaskStatus::InProgress,
            TaskStatus::Processed,
            TaskStatus::Error,
            TaskStatus::Canceled,
        ]
        .into_iter()
        .find(|s| u64::from(s.id()) == id)
    }

    /// Whether the task will not be attempted again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TaskStatus::Processed | TaskStatus::Error | TaskStatus::Canceled
        )
    }
}

/// `CallListDetailType` (Structures.ts:2285-2330; TypeTransformer.ts:1465-1490): one task.
#[derive(Clone, Debug)]
pub struct CallListTask {
    /// The list.
    pub list_id: u64,
    /// The task's id.
    pub task_id: u64,
    /// Its `__task_uuid`.
    pub task_uuid: Option<String>,
    /// The data the scenario reads (the row as JSON).
    pub custom_data: String,
    /// The daily window's start, `HH:mm:ss` UTC.
    pub start_execution_time: Option<String>,
    /// The daily window's end.
    pub finish_execution_time: Option<String>,
    /// The last report: the result, or the error.
    pub result_data: Option<String>,
    /// When the last attempt was made.
    pub last_attempt: Option<String>,
    /// Attempts left.
    pub attempts_left: u32,
    /// The status.
    pub status: TaskStatus,
    /// The status's name as the platform gives it.
    pub status_name: String,
}

#[derive(Deserialize)]
struct RawTask {
    list_id: u64,
    task_id: u64,
    #[serde(default)]
    task_uuid: Option<String>,
    #[serde(default)]
    custom_data: Option<String>,
    #[serde(default)]
    start_execution_time: Option<String>,
    #[serde(default)]
    finish_execution_time: Option<String>,
    #[serde(default)]
    result_data: Option<String>,
    #[serde(default)]
    last_attempt: Option<String>,
    attempts_left: u32,
    status_id: u64,
    status: String,
}

/// A batch id: a string in CreateCallList's answer, a number in AppendToCallList's.
#[derive(Deserialize)]
#[serde(untagged)]
enum BatchId {
    Text(String),
    Number(u64),
}

impl BatchId {
    fn into_string(self) -> String {
        match self {
            BatchId::Text(s) => s,
            BatchId::Number(n) => n.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct Stored {
    result: bool,
    count: u64,
    list_id: u64,
    batch_id: BatchId,
}

#[derive(Deserialize)]
struct Flag {
    result: bool,
}

fn require_true(method: &str, result: bool) -> Result<(), Error> {
    if result {
        Ok(())
    } else {
        Err(Error::Decode {
            method: method.to_owned(),
            reason: "`result` is false".into(),
        })
    }
}

/// `yyyy-MM-dd HH:mm:ss` UTC.
fn format_datetime(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn upload_params(params: Params, csv: &str, delimiter: Option<char>) -> Result<Params, Error> {
    if csv.trim().is_empty() {
        return Err(Error::InvalidInput("the call list CSV is empty".into()));
    }
    if let Some(d) = delimiter {
        limits::delimiter(d)?;
    }
    Ok(params
        .text("file_content", csv)
        .text_opt("delimiter", delimiter.map(String::from)))
}

impl Client {
    /// CreateCallList (index.ts:1497-1551): stores the CSV's rows as tasks and starts the
    /// rule's scenario for them.
    pub async fn create_call_list(&self, list: &NewCallList) -> Result<CreatedCallList, Error> {
        limits::name(&list.name)?;
        limits::priority(list.priority)?;
        limits::max_simultaneous(list.max_simultaneous)?;
        limits::num_attempts(list.num_attempts)?;
        let p = Params::new()
            .num("rule_id", list.rule_id)
            .num("priority", list.priority)
            .num("max_simultaneous", u64::from(list.max_simultaneous))
            .num("num_attempts", u64::from(list.num_attempts))
            .text("name", list.name.clone())
            .num("interval_seconds", u64::from(list.interval_seconds))
            .text_opt(
                "task_priority_strategy",
                list.task_priority_strategy
                    .map(TaskPriorityStrategy::as_str),
            );
        let p = upload_params(p, &list.file_content, list.delimiter)?;
        let s: Stored = self.call("CreateCallList", &p).await?;
        require_true("CreateCallList", s.result)?;
        Ok(CreatedCallList {
            list_id: s.list_id,
            count: s.count,
            batch_id: s.batch_id.into_string(),
        })
    }

    /// AppendToCallList (index.ts:1556-1578): more tasks for an existing list.
    pub async fn append_to_call_list(
        &self,
        list_id: u64,
        csv: &str,
        delimiter: Option<char>,
    ) -> Result<AppendedTasks, Error> {
        let p = upload_params(Params::new().num("list_id", list_id), csv, delimiter)?;
        let s: Stored = self.call("AppendToCallList", &p).await?;
        require_true("AppendToCallList", s.result)?;
        Ok(AppendedTasks {
            list_id: s.list_id,
            count: s.count,
            batch_id: s.batch_id.into_string(),
        })
    }

    /// EditCallList (index.ts:1598-1638).
    pub async fn edit_call_list(&self, list_id: u64, update: &CallListUpdate) -> Result<(), Error> {
        if let Some(n) = &update.name {
            limits::name(n)?;
        }
        if let Some(p) = update.priority {
            limits::priority(p)?;
        }
        if let Some(m) = update.max_simultaneous {
            limits::max_simultaneous(m)?;
        }
        if let Some(n) = update.num_attempts {
            limits::num_attempts(n)?;
        }
        let p = Params::new()
            .num("list_id", list_id)
            .text_opt("name", update.name.clone())
            .text_opt("priority", update.priority.map(|v| v.to_string()))
            .text_opt(
                "max_simultaneous",
                update.max_simultaneous.map(|v| v.to_string()),
            )
            .text_opt("num_attempts", update.num_attempts.map(|v| v.to_string()))
            .text_opt(
                "interval_seconds",
                update.interval_seconds.map(|v| v.to_string()),
            )
            .text_opt("start_at", update.start_at.map(format_datetime))
            .text_opt(
                "task_priority_strategy",
                update
                    .task_priority_strategy
                    .map(TaskPriorityStrategy::as_str),
            );
        if p.names().len() == 1 {
            return Err(Error::InvalidInput(
                "EditCallList needs something to change".into(),
            ));
        }
        let f: Flag = self.call("EditCallList", &p).await?;
        require_true("EditCallList", f.result)
    }

    /// CancelCallListTask (index.ts:1777-1800): cancels up to 1000 tasks of a list.
    /// `account_id` is sent as the request type requires (Interfaces.ts:1463-1466).
    pub async fn cancel_call_list_task(
        &self,
        list_id: u64,
        tasks: TaskRefs<'_>,
    ) -> Result<CancelOutcome, Error> {
        #[derive(Deserialize)]
        struct Answer {
            result: bool,
            #[serde(default)]
            error_msg: Option<String>,
        }
        let p = Params::new()
            .num("account_id", self.account_id())
            .num("list_id", list_id);
        let p = match tasks {
            TaskRefs::Ids(ids) => {
                limits::cancel_count(ids.len())?;
                p.list("tasks_ids", ids)
            }
            TaskRefs::Uuids(uuids) => {
                limits::cancel_count(uuids.len())?;
                for u in uuids {
                    limits::task_uuid(u)?;
                }
                p.list("tasks_uuids", uuids)
            }
        };
        let a: Answer = self.call("CancelCallListTask", &p).await?;
        Ok(CancelOutcome {
            result: a.result,
            error_msg: a.error_msg.filter(|m| !m.is_empty()),
        })
    }

    /// StopCallListProcessing (index.ts:1805-1815): pauses the list; returns the
    /// platform's message.
    pub async fn stop_call_list_processing(&self, list_id: u64) -> Result<String, Error> {
        #[derive(Deserialize)]
        struct Answer {
            result: bool,
            #[serde(default)]
            msg: String,
        }
        let p = Params::new().num("list_id", list_id);
        let a: Answer = self.call("StopCallListProcessing", &p).await?;
        require_true("StopCallListProcessing", a.result)?;
        Ok(a.msg)
    }

    /// RecoverCallList (index.ts:1820-1832): resumes the list; returns how many tasks
    /// were restored (`count_recovery`).
    pub async fn recover_call_list(&self, list_id: u64) -> Result<u64, Error> {
        #[derive(Deserialize)]
        struct Answer {
            result: bool,
            count_recovery: u64,
        }
        let p = Params::new().num("list_id", list_id);
        let a: Answer = self.call("RecoverCallList", &p).await?;
        require_true("RecoverCallList", a.result)?;
        Ok(a.count_recovery)
    }

    /// GetCallLists (index.ts:1675-1704), one page: `list_ids` empty means all lists.
    pub async fn get_call_lists(
        &self,
        list_ids: &[u64],
        name_part: Option<&str>,
        offset: u64,
    ) -> Result<crate::api::Page<CallListInfo>, Error> {
        let mut p = Params::new();
        if !list_ids.is_empty() {
            p = p.list("list_id", list_ids);
        }
        let p = p.text_opt("name", name_part).num("offset", offset);
        self.call("GetCallLists", &p).await
    }

    /// GetCallListDetails (index.ts:1709-1733) as JSON (the platform's default is a CSV
    /// file), one page of at most `count` (1..=1000) tasks from `offset`.
    pub async fn get_call_list_details(
        &self,
        list_id: u64,
        count: u32,
        offset: u64,
    ) -> Result<Vec<CallListTask>, Error> {
        #[derive(Deserialize)]
        struct Answer {
            result: Vec<RawTask>,
        }
        if !(1..=1000).contains(&count) {
            return Err(Error::InvalidInput(format!(
                "count {count}: GetCallListDetails takes 1..1000"
            )));
        }
        let p = Params::new()
            .num("list_id", list_id)
            .text("output", "json")
            .num("count", u64::from(count))
            .num("offset", offset);
        let a: Answer = self.call("GetCallListDetails", &p).await?;
        a.result
            .into_iter()
            .map(|t| {
                let status = TaskStatus::from_id(t.status_id).ok_or_else(|| Error::Decode {
                    method: "GetCallListDetails".into(),
                    reason: format!("unknown status_id {}", t.status_id),
                })?;
                Ok(CallListTask {
                    list_id: t.list_id,
                    task_id: t.task_id,
                    task_uuid: t.task_uuid,
                    custom_data: t.custom_data.unwrap_or_default(),
                    start_execution_time: t.start_execution_time,
                    finish_execution_time: t.finish_execution_time,
                    result_data: t.result_data.filter(|r| !r.is_empty()),
                    last_attempt: t.last_attempt.filter(|r| !r.is_empty()),
                    attempts_left: t.attempts_left,
                    status,
                    status_name: t.status,
                })
            })
            .collect()
    }

    /// Every task of a list: GetCallListDetails page by page (1000 a page) until a page
    /// comes back short.
    pub async fn all_call_list_tasks(&self, list_id: u64) -> Result<Vec<CallListTask>, Error> {
        const PAGE: u32 = 1000;
        let mut all = Vec::new();
        for _ in 0..10_000 {
            let page = self
                .get_call_list_details(list_id, PAGE, all.len() as u64)
                .await?;
            let short = page.len() < PAGE as usize;
            all.extend(page);
            if short {
                return Ok(all);
            }
        }
        Err(Error::Decode {
            method: "GetCallListDetails".into(),
            reason: "more than 10000 pages".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_is_written_and_checked() {
        let mut csv = CallListCsv::new(&[
            "phone",
            "contact",
            "__start_execution_time",
            "__end_execution_time",
            "__task_uuid",
        ])
        .unwrap();
        csv.push(&["79161234567", "c;1", "06:00:00", "17:00:00", "t-1"])
            .unwrap();
        csv.push(&["79161234568", "say \"hi\"", "19:00:00", "05:00:00", "t-2"])
            .unwrap();
        assert_eq!(
            csv.to_csv(),
            "phone;contact;__start_execution_time;__end_execution_time;__task_uuid\n\
             79161234567;\"c;1\";06:00:00;17:00:00;t-1\n\
             79161234568;\"say \"\"hi\"\"\";19:00:00;05:00:00;t-2\n"
        );
        for bad in [
            ["1", "c", "6:00:00", "17:00:00", "t-3"],
            ["1", "c", "06:00:00", "06:00:00", "t-3"],
            ["1", "c", "06:00:00", "24:00:00", "t-3"],
            ["1", "c", "06:00:00", "17:00:00", "t-1"],
            ["1", "c", "06:00:00", "17:00:00", "t 3"],
        ] {
            assert_eq!(
                csv.push(&bad).unwrap_err().code(),
                "voximplant_invalid_input",
                "{bad:?}"
            );
        }
        assert!(CallListCsv::new(&["phone", "__start_execution_time"]).is_err());
        assert!(CallListCsv::new(&["phone", "__priority"]).is_err());
        assert!(CallListCsv::new(&["phone", "phone"]).is_err());
        assert!(CallListCsv::new(&["phone", " x"]).is_err());
    }

    #[test]
    fn datetimes_and_limits() {
        assert_eq!(format_datetime(0), "1970-01-01 00:00:00");
        assert_eq!(format_datetime(1_709_251_199), "2024-02-29 23:59:59");
        assert!(limits::num_attempts(0).is_err());
        assert!(limits::num_attempts(6).is_err());
        assert!(limits::num_attempts(5).is_ok());
        assert!(limits::name("a/b").is_err());
        assert!(limits::name(&"x".repeat(256)).is_err());
        assert!(limits::priority((1 << 31) + 1).is_err());
        assert!(limits::delimiter('"').is_err());
        assert_eq!(limits::hms("23:59:59").unwrap(), 86_399);
    }
}
