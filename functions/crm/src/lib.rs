//! The CRM step: every call the dialog function records leaves an outbox entry
//! (`outbox/crm/{tenant}/{call_id}.json`); this crate carries it into the tenant's
//! Bitrix24 portal.
//!
//! * [`matching`] finds the caller's contacts, companies and leads and picks the rule of
//!   `docs/bitrix24.md` §3: one customer, one record.
//! * [`fields`] turns the call record ([`sva_wire::CallRecord`]) into Bitrix24's fields,
//!   in Russian; [`custom`] writes the tenant's custom fields in their types; [`routing`]
//!   says who gets a record and where it starts.
//! * [`step`] does the work one action at a time — where the call goes, the lead or
//!   deal, the transcript, callbacks, the call history — and records each id Bitrix24
//!   gives in the entry's [`Progress`] ([`sva_wire::outbox`]).
//! * [`outbox`] runs attempts under a lease (and a lease per caller while the record is
//!   decided), backs off, and moves what cannot be done to the dead letters with the
//!   reason; [`connect`] makes each tenant's client.
//! * [`lookup`] tells the dialog function who is calling (name, open deal, manager) in
//!   one request.
//! * [`install`] is where a portal installs the application for a tenant, and where its
//!   events arrive; [`check`] checks a tenant's settings against its portal.
//! * [`robot`] is the robot «Позвонить клиенту»: registered at the install, its handler
//!   queues a call through a [`robot::CallStarter`], and the CRM step answers the
//!   business process when the call ends.
//!
//! * [`selection`] reads the leads or deals in a stage for a campaign built from the CRM.
//!
//! In the cloud the `sva-crm` function runs an entry when its object is written (an
//! Object Storage trigger) and sweeps the outbox on a timer; in the local stack a task
//! sweeps it every second.

pub mod check;
pub mod connect;
pub mod custom;
pub mod fields;
pub mod http;
pub mod install;
pub mod lookup;
pub mod matching;
pub mod outbox;
pub mod phones;
pub mod robot;
pub mod routing;
pub mod selection;
pub mod step;
pub mod voximplant;

pub use check::PortalCheck;
pub use connect::{ConnectError, Connection, Connections};
pub use lookup::Customers;
pub use outbox::{Outbox, OutboxConfig, OutboxError, Processed, Sweep, spawn_worker};
pub use selection::PortalSelection;
pub use sva_wire::outbox::{OutboxEntry, Progress};
