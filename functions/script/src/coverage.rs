//! Which nodes and edges of a scenario's dialog graph a set of runs reached, measured on
//! the real module: every step is traced ([`sva_turn::Stepper::step_traced`]; the wasm
//! module's `sva_trace` export, `docs/scenario-abi.md`) and the graph's nodes come from
//! its manifest.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use sva_abi::{GraphShape, StepInput, StepOutput, StepTrace};
use sva_turn::{StepFailure, Stepper};

/// Nodes and edges reached, with how often.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coverage {
    /// The graph as the module describes it (`None`: it does not).
    graph: Option<GraphShape>,
    /// Times each node was passed.
    nodes: BTreeMap<String, u64>,
    /// Times each edge (from, to) was taken.
    edges: BTreeMap<(String, String), u64>,
    /// Steps taken, and how many of them reported their path.
    steps: u64,
    traced: u64,
}

/// A coverage figure in a form for JSON reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageSummary {
    /// Nodes in the graph (0 when the module does not describe it).
    pub nodes_total: usize,
    /// Nodes reached.
    pub nodes_reached: usize,
    /// Reached in percent of the graph's nodes, when the graph is known.
    pub percent: Option<f64>,
    /// The graph's nodes not reached, in the order declared.
    pub unreached: Vec<String>,
    /// Every edge taken: from, to, times.
    pub edges: Vec<(String, String, u64)>,
    /// Steps taken, and how many reported their path.
    pub steps: u64,
    /// See `steps`.
    pub traced_steps: u64,
}

impl Coverage {
    /// Coverage of the graph `graph` (from the module's manifest), nothing reached yet.
    pub fn new(graph: Option<GraphShape>) -> Coverage {
        Coverage {
            graph,
            ..Coverage::default()
        }
    }

    /// Counts one step: its path, or that it reported none.
    pub fn record(&mut self, trace: Option<&StepTrace>) {
        self.steps += 1;
        let Some(trace) = trace else {
            return;
        };
        self.traced += 1;
        for node in &trace.path {
            *self.nodes.entry(node.clone()).or_default() += 1;
        }
        for (from, to) in trace.edges() {
            *self
                .edges
                .entry((from.to_owned(), to.to_owned()))
                .or_default() += 1;
        }
    }

    /// Whether any step reported its path.
    pub fn is_traced(&self) -> bool {
        self.traced > 0
    }

    /// The share of the graph's nodes reached, in percent; `None` when the graph is not
    /// known (the module's manifest does not describe it).
    pub fn percent(&self) -> Option<f64> {
        let graph = self.graph.as_ref().filter(|g| !g.nodes.is_empty())?;
        let reached = graph
            .nodes
            .iter()
            .filter(|n| self.nodes.contains_key(*n))
            .count();
        Some(reached as f64 * 100.0 / graph.nodes.len() as f64)
    }

    /// The graph's nodes no step passed, in the order declared.
    pub fn unreached(&self) -> Vec<String> {
        self.graph
            .iter()
            .flat_map(|g| &g.nodes)
            .filter(|n| !self.nodes.contains_key(*n))
            .cloned()
            .collect()
    }

    /// Times `node` was passed.
    pub fn node_count(&self, node: &str) -> u64 {
        self.nodes.get(node).copied().unwrap_or(0)
    }

    /// Times the edge `from` → `to` was taken.
    pub fn edge_count(&self, from: &str, to: &str) -> u64 {
        self.edges
            .get(&(from.to_owned(), to.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// The figures for a report.
    pub fn summary(&self) -> CoverageSummary {
        let total = self.graph.as_ref().map_or(0, |g| g.nodes.len());
        CoverageSummary {
            nodes_total: total,
            nodes_reached: total - self.unreached().len().min(total),
            percent: self.percent(),
            unreached: self.unreached(),
            edges: self
                .edges
                .iter()
                .map(|((from, to), n)| (from.clone(), to.clone(), *n))
                .collect(),
            steps: self.steps,
            traced_steps: self.traced,
        }
    }
}

/// `coverage: 22 of 22 nodes (100.0 %), 71 edges taken, 480 steps` and the nodes not
/// reached.
impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.is_traced() {
            return writeln!(
                f,
                "coverage: unknown — the module does not report its path (no `sva_trace` export)"
            );
        }
        let summary = self.summary();
        match summary.percent {
            Some(percent) => write!(
                f,
                "coverage: {} of {} nodes ({percent:.1} %)",
                summary.nodes_reached, summary.nodes_total
            )?,
            None => write!(
                f,
                "coverage: {} nodes (the manifest does not describe the graph)",
                self.nodes.len()
            )?,
        }
        writeln!(
            f,
            ", {} edges taken, {} steps",
            self.edges.len(),
            self.steps
        )?;
        if !summary.unreached.is_empty() {
            writeln!(f, "  not reached: {}", summary.unreached.join(", "))?;
        }
        Ok(())
    }
}

/// A stepper that records every step's path into a [`Coverage`].
pub struct Recording<'s, S: ?Sized> {
    inner: &'s S,
    coverage: Mutex<Coverage>,
}

impl<'s, S: Stepper + ?Sized> Recording<'s, S> {
    /// Records the steps of `inner` against `graph`.
    pub fn new(inner: &'s S, graph: Option<GraphShape>) -> Self {
        Recording {
            inner,
            coverage: Mutex::new(Coverage::new(graph)),
        }
    }

    /// What was recorded so far.
    pub fn coverage(&self) -> Coverage {
        self.coverage
            .lock()
            .map(|c| c.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }
}

impl<S: Stepper + ?Sized> Stepper for Recording<'_, S> {
    fn step(&self, input: &StepInput) -> Result<StepOutput, StepFailure> {
        let (output, trace) = self.inner.step_traced(input)?;
        let mut coverage = self
            .coverage
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        coverage.record(trace.as_ref());
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(path: &[&str]) -> StepTrace {
        StepTrace {
            path: path.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    #[test]
    fn nodes_and_edges_are_counted_against_the_graph() {
        let graph = GraphShape {
            start: "a".into(),
            nodes: vec!["a".into(), "b".into(), "c".into(), "d".into()],
        };
        let mut coverage = Coverage::new(Some(graph));
        coverage.record(Some(&trace(&["a"])));
        coverage.record(Some(&trace(&["a", "b"])));
        coverage.record(Some(&trace(&["b", "b", "a"])));
        coverage.record(None);
        assert_eq!(coverage.percent(), Some(50.0));
        assert_eq!(coverage.unreached(), ["c", "d"]);
        assert_eq!(coverage.node_count("b"), 3);
        assert_eq!(coverage.edge_count("b", "b"), 1);
        assert_eq!(coverage.edge_count("a", "b"), 1);
        assert_eq!(coverage.edge_count("b", "c"), 0);
        let summary = coverage.summary();
        assert_eq!((summary.nodes_total, summary.nodes_reached), (4, 2));
        assert_eq!((summary.steps, summary.traced_steps), (4, 3));
        let text = coverage.to_string();
        assert!(
            text.starts_with("coverage: 2 of 4 nodes (50.0 %), 3 edges taken, 4 steps"),
            "{text}"
        );
        assert!(text.contains("not reached: c, d"), "{text}");
    }

    #[test]
    fn an_untraced_module_has_no_figure() {
        let mut coverage = Coverage::new(None);
        coverage.record(None);
        assert!(!coverage.is_traced());
        assert_eq!(coverage.percent(), None);
        assert!(coverage.to_string().contains("unknown"));
    }
}
