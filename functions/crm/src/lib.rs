//! The CRM step: every call the dialog function records leaves an outbox entry
//! (`outbox/crm/{tenant}/{call_id}.json`); this crate carries it into the tenant's
//! Bitrix24 portal.
//!
//! * [`fields`] turns the call record ([`sva_wire::CallRecord`]) into Bitrix24's fields,
//!   in Russian.
//! * [`step`] does the work one action at a time — the caller's contact, a lead (unknown
//!   caller) or a deal (known contact), the transcript, the call history, callbacks —
//!   and records each id Bitrix24 gives in the entry's [`Progress`]
//!   ([`sva_wire::outbox`]).
//! * [`outbox`] runs attempts under a lease, backs off, and moves what cannot be done to
//!   the dead letters with the reason; [`connect`] makes each tenant's client.
//! * [`lookup`] tells the dialog function who is calling (name, open deal, manager).
//!
//! In the cloud the `sva-crm` function runs an entry when its object is written (an
//! Object Storage trigger) and sweeps the outbox on a timer; in the local stack a task
//! sweeps it every second.

pub mod connect;
pub mod fields;
mod find;
pub mod http;
pub mod lookup;
pub mod outbox;
pub mod step;

pub use connect::{ConnectError, Connection, Connections};
pub use lookup::Customers;
pub use outbox::{Outbox, OutboxConfig, OutboxError, Processed, Sweep, spawn_worker};
pub use sva_wire::outbox::{OutboxEntry, Progress};
