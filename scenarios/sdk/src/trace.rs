//! The path of the last step through the graph, for coverage.
//!
//! Every step records the nodes it passes through: the node the call was at when the
//! event arrived (its `reply` or knowledge handler ran, or a global handler took the turn
//! from there), then every node entered, in order. Consecutive nodes are the edges taken.
//! The path is kept until the next step, so a host measuring coverage reads it through
//! the optional `sva_trace` export right after `sva_step`, in the same instance
//! (`docs/scenario-abi.md`); natively, [`crate::run_step_traced`] returns it. A host that
//! does not ask pays only for a few pointer pushes per step.

use std::cell::RefCell;
use sva_abi::StepTrace;

thread_local! {
    /// The path of the last step on this thread (a module instance has one thread).
    static LAST: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

/// Keeps `path` as the last step's.
pub(crate) fn keep(path: Vec<&'static str>) {
    LAST.with(|last| *last.borrow_mut() = path);
}

/// The last step's path.
pub fn last() -> StepTrace {
    LAST.with(|last| StepTrace {
        path: last
            .borrow()
            .iter()
            .map(|node| (*node).to_owned())
            .collect(),
    })
}
