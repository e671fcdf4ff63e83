//! The admin function: tenants, their API keys and settings, and their scenario
//! modules — upload (validated, dry-run, precompiled), versions, activation, rollback
//! and A/B splits.
//!
//! * [`Admin`] — the function; each operation checks its [`Caller`] first: the operator
//!   reaches every tenant; a tenant key reaches its own tenant only, and anything else
//!   answers 404 exactly like a tenant that does not exist.
//! * One module per resource, each with its documents, its operations on [`Admin`] and
//!   its HTTP handlers: tenants, settings, keys (API keys and the signing secret),
//!   scenarios, replays (an uploaded version tried on recorded calls), reports,
//!   knowledge, the do-not-call list.
//! * [`router()`] — every route, listed once; the OpenAPI document ([`document`],
//!   served at `GET /openapi.json`, kept in `docs/admin-api.openapi.json`) comes from the
//!   same list ([`openapi`] has the rest of it).
//! * [`client::AdminClient`] — the same API from Rust, for `sva tenant` / `sva scenario`
//!   and the tests.
//!
//! Everything goes through `sva-tenants` and the object store, so the admin function
//! works on a local directory and on S3 alike. The binary `sva-admin` is thin wiring.

/// `Debug` for the answers that carry a secret: everything but the secret.
macro_rules! debug_without {
    ($ty:ty, $secret:ident, $($field:ident),*) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    .field(stringify!($secret), &"***")
                    .finish()
            }
        }
    };
}
pub(crate) use debug_without;

mod admin;
mod auth;
mod campaigns;
pub mod client;
mod do_not_call;
mod error;
mod keys;
mod knowledge;
pub mod openapi;
mod replays;
mod reports;
mod router;
mod scenarios;
mod settings;
mod tenants;

pub use admin::{Admin, MIN_OPERATOR_KEY};
pub use auth::Caller;
pub use campaigns::{
    ContactsView, CrmSelectionQuery, MAX_FILE_BYTES, NewCampaign, RunChange, RunRequest,
};
pub use do_not_call::{NewDoNotCallEntry, NumberParam};
pub use error::AdminError;
pub use keys::{IssuedKey, NewKey, RotateParams, RotatedSecret};
pub use knowledge::{Deleted, GapView, GapsParams, HitView, Reindexed, SearchParams, SourceView};
pub use replays::{MAX_REPLAY_CALLS, ReplayRefused, ReplayReport, ReplayRequest};
pub use reports::{MAX_REPORT_DAYS, ReportParams};
pub use router::{document, router};
pub use scenarios::{ScenariosView, SplitRequest, Uploaded, VersionView};
pub use sva_tenants::{CallsChange, SettingsChange};
pub use tenants::{CreatedTenant, HistoryLine, NewTenant, TenantSummary, TenantView};
