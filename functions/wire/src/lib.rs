//! The documents that cross a function boundary or object storage, in one place.
//!
//! Each document has one definition here; the function that writes it and every function
//! that reads it use the same type:
//!
//! | document | module | written by | read by |
//! |---|---|---|---|
//! | turn request and answer, end-of-call report | [`turn`] | VoxEngine (`sva-caller` locally) | `sva-dialog` |
//! | pre-dial check and its answer | [`outbound`] | VoxEngine | `sva-dialog` |
//! | request signature | [`signature`] | VoxEngine | `sva-dialog` |
//! | call record | [`record`] | `sva-dialog` | `sva-crm`, `sva-costs`, `sva` |
//! | what a call consumed and cost | [`usage`] | `sva-dialog` (priced by `sva-costs`) | `sva-costs` |
//! | CRM outbox entry | [`outbox`] | `sva-dialog` (created), `sva-crm` (progress) | `sva-crm`, `sva` |
//! | unanswered questions | [`gaps`] | `sva-dialog` | `sva-retrieval` (`sva kb gaps`) |
//! | where each of these is stored | [`key`] | — | all of the above |
//!
//! Documents are lenient on read (a field added later is ignored by an older reader, a
//! field an older writer did not know is defaulted) and complete on write (every field
//! is written, so a record says what it does not have). The crate depends on nothing
//! but `serde` and `sva-abi`, so the VoxEngine side (`sva-caller`) takes the protocol
//! without the server.
//!
//! `docs/architecture.md` lists the documents with their writers and readers;
//! `docs/turn-protocol.md` specifies the turn protocol.

pub mod gaps;
pub mod key;
pub mod outbound;
pub mod outbox;
pub mod record;
pub mod signature;
pub mod turn;
pub mod usage;

pub use gaps::CallGaps;
pub use outbox::OutboxEntry;
pub use record::CallRecord;
pub use usage::{CallCost, Component, ModelTokens, Money, Usage};
