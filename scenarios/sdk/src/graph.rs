//! The dialog graph: nodes, interrupts, knowledge resumption, global handlers.

use crate::Ctx;
use sva_abi::{Hit, LlmRequest, LlmResult};

/// What happens after a node or handler runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Flow {
    /// Go to (enter) another node.
    Goto(&'static str),
    /// Enter the current node again (re-asks its question).
    Again,
    /// Go to a node for a digression (a question, a clarification), remembering the
    /// current node; [`Flow::Return`] comes back to it.
    Digress(&'static str),
    /// Come back from a digression to the node it started from (or the start node).
    Return,
    /// Wait for the caller; their next words resume the current node's `reply`.
    Wait,
    /// Ask the host's knowledge base; the answer resumes the current node's `knowledge`.
    Retrieve(String),
    /// Ask the host's language model (only when [`Ctx::can_ask_model`]); the answer —
    /// `ok` or why not — resumes the current node's `on_model`.
    Model(Box<LlmRequest>),
    /// Connect the caller to a human at this number, with a summary.
    Transfer {
        /// E.164 number.
        to: String,
        /// For the human.
        summary: String,
    },
    /// End the call.
    End(&'static str),
}

type Enter<S> = fn(&mut Ctx<'_, S>) -> Flow;
type Knowledge<S> = fn(&mut Ctx<'_, S>, &[Hit]) -> Flow;
type Model<S> = fn(&mut Ctx<'_, S>, &LlmResult) -> Flow;
type Global<S> = fn(&mut Ctx<'_, S>) -> Option<Flow>;

pub(crate) struct Node<S> {
    pub(crate) name: &'static str,
    pub(crate) enter: Enter<S>,
    pub(crate) reply: Option<Enter<S>>,
    pub(crate) knowledge: Option<Knowledge<S>>,
    pub(crate) model: Option<Model<S>>,
}

/// A dialog graph over the scenario state `S`.
pub struct Graph<S> {
    pub(crate) start: &'static str,
    pub(crate) nodes: Vec<Node<S>>,
    pub(crate) globals: Vec<Global<S>>,
    pub(crate) listen_ms: u32,
}

impl<S> Graph<S> {
    /// A graph whose calls start at node `start`.
    pub fn new(start: &'static str) -> Self {
        Graph {
            start,
            nodes: Vec::new(),
            globals: Vec::new(),
            listen_ms: 7000,
        }
    }

    /// A node that does something on entry and moves on (an edge chosen in code).
    pub fn node(mut self, name: &'static str, enter: Enter<S>) -> Self {
        self.nodes.push(Node {
            name,
            enter,
            reply: None,
            knowledge: None,
            model: None,
        });
        self
    }

    /// A node that asks and waits: `enter` speaks and returns [`Flow::Wait`]; the caller's
    /// next words run `reply`.
    pub fn interrupt(mut self, name: &'static str, enter: Enter<S>, reply: Enter<S>) -> Self {
        self.nodes.push(Node {
            name,
            enter,
            reply: Some(reply),
            knowledge: None,
            model: None,
        });
        self
    }

    /// What node `name` does with the host's answer to its [`Flow::Retrieve`].
    pub fn on_knowledge(mut self, name: &'static str, f: Knowledge<S>) -> Self {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.name == name) {
            node.knowledge = Some(f);
        }
        self
    }

    /// What node `name` does with the host's answer to its [`Flow::Model`].
    pub fn on_model(mut self, name: &'static str, f: Model<S>) -> Self {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.name == name) {
            node.model = Some(f);
        }
        self
    }

    /// A handler that runs before the current node sees the caller, from any node; the
    /// first that returns a flow takes over the turn.
    ///
    /// Handlers are called through function pointers, and in a fresh instance the first
    /// such call to each function costs the host a lazy table initialisation (about
    /// 0.2 µs). A scenario with many cases registers one handler that tries them in
    /// order with direct calls, as the default scenario's `handlers::any` does.
    pub fn global(mut self, handler: Global<S>) -> Self {
        self.globals.push(handler);
        self
    }

    /// How long to wait for the caller, in milliseconds (default 7000).
    pub fn listen_ms(mut self, ms: u32) -> Self {
        self.listen_ms = ms;
        self
    }

    pub(crate) fn find(&self, name: &str) -> Option<&Node<S>> {
        self.nodes.iter().find(|n| n.name == name)
    }
}
