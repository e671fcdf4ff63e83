//! What calls cost and what they brought.
//!
//! * [`prices`] — the price table (shipped in `prices/default.json`, replaceable, with
//!   tenant overrides): every item with unit, price, currency, VAT, source and date.
//! * [`cost`] — a call's [`Usage`] and its [`CallCost`] by component, with each
//!   provider's rounding (started minutes, 15-second recognition units per session,
//!   characters or 250-character requests of synthesis, 100 ms of compute per
//!   invocation). Usage is stored beside the cost so any period can be priced again.
//! * [`report`] — reports streamed over call records: per call, per tenant and period,
//!   per scenario version and A/B variant, per outcome, with an A/B test on conversion;
//!   [`render`] writes them as a table, CSV, JSON or a self-contained HTML page, and
//!   [`scan`](mod@scan) (feature `storage`) reads the records from object storage.

pub mod corpus;
pub mod cost;
pub mod prices;
pub mod render;
pub mod report;
#[cfg(feature = "storage")]
pub mod scan;

pub use cost::{CallCost, Component, Money, PricingOptions, TtsBilling, Units, Usage, price};
pub use prices::{ITEMS, Overrides, PriceError, PriceTable};
