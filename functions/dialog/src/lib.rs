//! The dialog function: VoxEngine's one signed request per caller event in, the actions
//! for the call out, within the turn deadline.
//!
//! The function is stateless. The call's dialog state travels in a [`token`] signed with
//! the service key and bound to tenant, call, scenario version and sequence number;
//! requests are signed per tenant ([`sva_wire::signature`]). The protocol's documents are
//! [`sva_wire::turn`] (`docs/turn-protocol.md`); [`Dialog::turn`] implements it
//! independently of any HTTP framework, and [`http`] mounts it as `POST /v1/turn` on the
//! serverless kit's router. Before an outbound call VoxEngine asks [`Dialog::dial`]
//! (`POST /v1/outbound/dial`, [`outbound`]) whether it may dial. The end of a call writes the documents of [`sva_wire`]: the
//! call record, the CRM outbox entry and the unanswered questions.

mod campaign;
pub mod customer;
pub mod http;
pub mod knowledge;
mod model;
pub mod outbound;
mod record;
pub mod token;

mod error;
mod service;
mod stored;
mod tenants;

pub use customer::CustomerLookup;
pub use error::DialogError;
pub use knowledge::IndexKnowledge;
pub use outbound::{CampaignGate, GateDecision};
pub use service::{Costing, Dialog, DialogOptions, Headers};
pub use stored::{DEFAULT_TENANT_TTL, StoredDirectory};
pub use tenants::{MemoryDirectory, ScenarioHandle, ScenarioRouting, Tenant, TenantDirectory};
