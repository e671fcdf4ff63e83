//! The dialler: how the platform works through a call list, simulated on a virtual clock
//! for campaign tests ([`super::StandIn::simulate`]).
//!
//! Rules, with their sources (see [`super::call_lists`] for the citation keys):
//! * one attempt starts one scenario session for one task (\[G\]);
//! * at most `max_simultaneous` attempts of a list run at once (\[N\] Interfaces.ts:1110-1113);
//! * a task is not attempted before its `__start_at` (or the upload; \[N\] index.ts:1495),
//!   nor outside its daily UTC window (\[N\] index.ts:1495; \[G\] editable call lists: a start
//!   later than the end wraps midnight). The window is half-open and constrains the start
//!   of an attempt only (the reference is silent on both; this is one reading of it, not
//!   a stricter one);
//! * `reportResult` ends the task ("Processed", the report in `result_data`); a session that
//!   reports nothing counts as a success (\[T\] 3717-3722: "If you do not call this method
//!   …, the call list considers this task successful and does not make any more
//!   attempts");
//! * `reportError` makes another attempt after `interval_seconds` while attempts are left,
//!   else the task ends in "Error" (\[G\] call lists; \[N\] Interfaces.ts:1126-1129);
//! * `requestNextAttempt` applies its fields and schedules another attempt; `attempts_left`
//!   not given is decreased by one, 0 makes the attempt the last (the task fails), above 5
//!   is refused like a bad window (stricter); a
//!   `next_attempt_time` in the past or more than nine months ahead falls back to the report
//!   time plus `interval_seconds` (\[T\] 3787-3830; \[G\] editable call lists);
//! * when several tasks are due with too few free lines, first attempts go before repeated
//!   ones (`task_priority_strategy` `first_attempts`, the default) or after them
//!   (`repeated_attempts`), then by task id (\[G\] call lists: "Tasks with the same priority
//!   are sorted by IDs");
//! * `attempts_left` is decreased when an attempt starts; a report takes effect when the
//!   session ends (`duration_s` later).

use super::call_lists::{AttemptResult, CallList, Report, Running, Task, TaskStatus};

/// Nine months, the furthest a `next_attempt_time` may be (\[G\] editable call lists), taken
/// as 270 days (stricter than calendar months).
const NINE_MONTHS: i64 = 270 * 86_400;

/// The most attempts a call list gives a task (`num_attempts`, "maximum is 5", \[N\]
/// Interfaces.ts:1114-1117).
const MAX_TASK_ATTEMPTS: u32 = 5;

/// The most attempts one [`super::StandIn::simulate`] call makes before it gives up (a
/// guard against an outcome function that keeps asking for immediate attempts).
pub const MAX_ATTEMPTS_PER_RUN: usize = 1_000_000;

/// One dial attempt the simulation made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialAttempt {
    /// The list.
    pub list_id: u64,
    /// The task.
    pub task_id: u64,
    /// The task's row (0-based, upload order).
    pub row: usize,
    /// The attempt's number for this task (1-based).
    pub attempt: u32,
    /// When it started (unix seconds, UTC).
    pub at: i64,
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimulationError {
    /// No call list has this id.
    #[error("no call list {0}")]
    NoList(u64),
    /// The outcome function asked for more than [`MAX_ATTEMPTS_PER_RUN`] attempts.
    #[error("more than {MAX_ATTEMPTS_PER_RUN} attempts in one simulation")]
    Runaway,
}

impl SimulationError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SimulationError::NoList(_) => "standin_no_call_list",
            SimulationError::Runaway => "standin_runaway_simulation",
        }
    }
}

/// The earliest time at or after `t` the task may start an attempt, if it may at all.
fn due(task: &Task, running: bool, t: i64) -> Option<i64> {
    if running || task.status.is_final() || task.attempts_left == 0 {
        return None;
    }
    let from = t.max(task.start_at);
    Some(task.window.map_or(from, |w| w.next_open(from)))
}

/// Which tasks have an attempt running.
fn busy(list: &CallList) -> Vec<bool> {
    let mut busy = vec![false; list.tasks.len()];
    for r in &list.running {
        busy[r.task] = true;
    }
    busy
}

/// Applies the report of an attempt that ended at `at`.
fn apply(list: &mut CallList, idx: usize, report: Report, at: i64) {
    let interval = i64::try_from(list.interval_seconds).unwrap_or(i64::MAX);
    let stopped = list.stopped;
    let task = &mut list.tasks[idx];
    if task.status == TaskStatus::Canceled {
        // Cancelled while the attempt ran: the report changes nothing.
        return;
    }
    let retry = |task: &mut Task, when: i64| {
        if task.attempts_left == 0 {
            task.status = TaskStatus::Error;
        } else if stopped {
            task.status = TaskStatus::Canceled;
            task.stopped = true;
            task.start_at = when;
        } else {
            task.status = TaskStatus::InProgress;
            task.start_at = when;
        }
    };
    match report {
        Report::Result(r) => {
            task.status = TaskStatus::Processed;
            task.result_data = Some(r);
        }
        Report::Silent => task.status = TaskStatus::Processed,
        Report::Error(e) => {
            task.result_data = Some(e);
            retry(task, at.saturating_add(interval));
        }
        Report::NextAttempt(n)
            if n.window
                .is_some_and(|w| w.start == w.end || w.start >= 86_400 || w.end >= 86_400)
                || n.attempts_left.is_some_and(|left| left > MAX_TASK_ATTEMPTS) =>
        {
            // A window the CSV rules would refuse, or more attempts than a list may give a
            // task (`num_attempts` 1..5; the documents do not say a task may be given
            // more: stricter): the request is taken as refused, and the attempt as failed
            // (requestNextAttempt "executes the reportError method automatically" after
            // an unsuccessful attempt, [T] 3797-3798).
            task.result_data = Some(n.error);
            retry(task, at.saturating_add(interval));
        }
        Report::NextAttempt(n) => {
            task.result_data = Some(n.error);
            if let Some(c) = n.custom_data {
                task.custom_data = c;
            }
            if let Some(w) = n.window {
                task.window = Some(w);
            }
            if let Some(left) = n.attempts_left {
                task.attempts_left = left;
            }
            let when = match n.at {
                Some(t) if t >= at && t <= at.saturating_add(NINE_MONTHS) => t,
                _ => at.saturating_add(interval),
            };
            retry(task, when);
        }
    }
}

/// Runs `list` from its clock to `until`.
pub(crate) fn run(
    list: &mut CallList,
    until: i64,
    outcome: &mut dyn FnMut(&Task, u32, i64) -> AttemptResult,
) -> Result<Vec<DialAttempt>, SimulationError> {
    let mut log = Vec::new();
    loop {
        let t0 = list.clock;
        let next_end = list.running.iter().map(|r| r.ends_at).min();
        let capacity = !list.stopped
            && list.running.len() < usize::try_from(list.max_simultaneous).unwrap_or(usize::MAX);
        let next_start = if capacity {
            let busy = busy(list);
            list.tasks
                .iter()
                .enumerate()
                .filter_map(|(i, task)| due(task, busy[i], t0))
                .min()
        } else {
            None
        };
        let next = match (next_end, next_start) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(x) => x,
                None => break,
            },
        };
        if next > until {
            break;
        }
        list.clock = next;
        // Sessions that end now report first (their lines become free).
        let (ended, going): (Vec<Running>, Vec<Running>) =
            list.running.drain(..).partition(|r| r.ends_at <= next);
        list.running = going;
        for r in ended {
            apply(list, r.task, r.report, next);
        }
        // Then due tasks start, up to max_simultaneous, first attempts first (or last).
        if list.stopped {
            list.settle(next);
            continue;
        }
        let repeated_first = list.task_priority_strategy == "repeated_attempts";
        let busy = busy(list);
        let mut ready: Vec<usize> = (0..list.tasks.len())
            .filter(|&i| due(&list.tasks[i], busy[i], next) == Some(next))
            .collect();
        ready.sort_by_key(|&i| {
            let first = list.tasks[i].attempts_made == 0;
            (first == repeated_first, list.tasks[i].id)
        });
        let free = usize::try_from(list.max_simultaneous)
            .unwrap_or(usize::MAX)
            .saturating_sub(list.running.len());
        for i in ready.into_iter().take(free) {
            if log.len() >= MAX_ATTEMPTS_PER_RUN {
                return Err(SimulationError::Runaway);
            }
            let task = &mut list.tasks[i];
            task.attempts_left -= 1;
            task.attempts_made += 1;
            task.status = TaskStatus::InProgress;
            task.last_attempt = Some(next);
            let attempt = task.attempts_made;
            log.push(DialAttempt {
                list_id: list.id,
                task_id: task.id,
                row: task.row,
                attempt,
                at: next,
            });
            let result = outcome(&list.tasks[i], attempt, next);
            list.running.push(Running {
                task: i,
                ends_at: next.saturating_add(i64::from(result.duration_s)),
                report: result.report,
            });
        }
        list.settle(next);
    }
    list.clock = list.clock.max(until);
    let clock = list.clock;
    list.settle(clock);
    Ok(log)
}
