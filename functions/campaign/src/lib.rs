//! Outbound campaigns, the pure part: what an uploaded contact file becomes and when each
//! contact may be called.
//!
//! - [`mod@ingest`] reads the upload (UTF-8 or cp1251, `;` or `,`, Russian or English headers)
//!   into contacts and per-row refusals — every data row is one or the other;
//! - [`zones`] finds a callee's time zone(s) from the numbering registry shipped in the
//!   crate (refreshable from the Ministry's open-data CSV), a CRM zone overriding it;
//! - [`window`] turns the tenant's local calling hours into the daily UTC window a
//!   Voximplant call-list row carries, and checks an instant against hours and holidays;
//! - [`select`] is where a campaign from a CRM selection (leads/deals in a stage) gets its
//!   records ([`CrmSelection`], implemented over Bitrix24 by `sva-crm`);
//! - [`plan`] is the campaign (pace, attempts, retry intervals, voicemail policy), the
//!   per-contact status, the call-list CSV and the time of a retry.
//!
//! Those four have no I/O and no clock: the caller passes `now` and the do-not-call
//! check. [`desk`] keeps built campaigns in the object store, hands them to a
//! [`Dialler`] (Voximplant's call lists) and answers what a call needs at its start and
//! end.

pub mod desk;
pub mod ingest;
pub mod plan;
pub mod select;
pub mod window;
pub mod zones;

pub use desk::{
    CampaignState, ContactView, DeskError, Dialler, DiallerError, Gate, Progress, Run, Summary,
};
pub use ingest::{
    Consent, Contact, CrmEntity, IngestError, Ingested, Refusal, RefusalCode, SelectedContact,
    ingest, ingest_selection,
};
pub use plan::{Campaign, CampaignError, ContactStatus, Outcome, Plan, PlannedContact};
pub use select::{CrmSelection, SelectionError};
pub use window::{Calendar, DayHours, Hours, UtcWindow};
pub use zones::{CalleeZone, Registry, ZoneSource};
