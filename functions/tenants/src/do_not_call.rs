//! The tenant's do-not-call list: numbers (E.164 with `+`) the assistant never dials,
//! each with who put it there, when and why.
//!
//! Stored one object per number, `tenants/{tenant}/do-not-call/{digits}.json`, so a
//! check at dial time is one read and two writers never lose each other's entry. The
//! first entry of a number is kept: adding it again changes nothing (its original
//! source, time and reason stay what a regulator would ask for).

use serde::{Deserialize, Serialize};

/// The longest reason kept, in characters (longer ones are cut).
pub const MAX_REASON_CHARS: usize = 500;

/// The longest `by` kept, in characters.
pub const MAX_BY_CHARS: usize = 200;

/// Where an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DoNotCallSource {
    /// The caller asked on a call (the scenario's `do_not_call` outcome).
    Call,
    /// Someone added it through the admin API.
    Admin,
    /// The tenant's Bitrix24 marked the contact (a field or a stage).
    Bitrix,
}

impl DoNotCallSource {
    /// The source's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DoNotCallSource::Call => "call",
            DoNotCallSource::Admin => "admin",
            DoNotCallSource::Bitrix => "bitrix",
        }
    }
}

/// One number on the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DoNotCallEntry {
    /// The number, E.164 with `+` (`+79161234567`).
    pub number: String,
    /// Where the entry came from.
    pub source: DoNotCallSource,
    /// Who: the call id (`vox-…`) for a call, `operator` or `key:{id}` for the admin
    /// API, the portal's user or robot for Bitrix24.
    pub by: String,
    /// When it was added (RFC 3339, UTC).
    pub at: String,
    /// Why, in the words of whoever added it (may be empty).
    #[serde(default)]
    pub reason: String,
}

/// A number to put on the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDoNotCall<'a> {
    /// The number, E.164 with `+`.
    pub number: &'a str,
    /// Where it comes from.
    pub source: DoNotCallSource,
    /// Who adds it.
    pub by: &'a str,
    /// Why.
    pub reason: &'a str,
}

/// The key of `number`'s entry (`number` in E.164; the key holds its digits).
pub fn do_not_call_key(tenant: &str, number: &str) -> String {
    format!(
        "tenants/{tenant}/do-not-call/{}.json",
        number.trim_start_matches('+')
    )
}

/// The prefix under which the tenant's entries are stored.
pub fn do_not_call_prefix(tenant: &str) -> String {
    format!("tenants/{tenant}/do-not-call/")
}

/// `text` cut to at most `max` characters.
pub(crate) fn cut(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}
