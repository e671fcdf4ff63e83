//! Context: who is calling whom, for which tenant, and when.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything a scenario may know besides its state and the event.
///
/// All of it comes from the host; a scenario reads its company name, texts and the
/// manager's number here instead of hard-coding them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Context {
    /// The tenant's configuration relevant to the dialog.
    pub tenant: TenantContext,
    /// The call.
    pub call: CallContext,
    /// Current time, RFC 3339 with the tenant's UTC offset, e.g. `2026-11-25T14:03:00+03:00`.
    pub now: String,
    /// The step's ordinal within the call, starting at 0 for `call_started`.
    pub turn: u32,
    /// The A/B variant this call was assigned to, if the tenant splits traffic.
    pub variant: Option<String>,
    /// What the CRM already knows about the caller, when the host could look it up.
    pub customer: Option<CustomerProfile>,
    /// The host capabilities this module may use on this call (`llm`): those its
    /// manifest declares that the host and the tenant have. Absent from the document
    /// when empty, so a module that declares none never sees the field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
}

/// The tenant settings a scenario uses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantContext {
    /// Tenant id.
    pub id: String,
    /// The company's name as callers should hear it.
    pub company: String,
    /// What the company sells, as a short phrase.
    pub product: String,
    /// E.164 number of the sales manager hot leads are transferred to.
    pub manager_phone: Option<String>,
    /// Overrides of the scenario's texts, by key (see the module manifest's `texts`).
    pub texts: BTreeMap<String, String>,
    /// Free-form scenario settings (thresholds, feature switches).
    pub settings: serde_json::Map<String, serde_json::Value>,
}

/// Who is on the line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallContext {
    /// The call id (stable for the call's life).
    pub id: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Caller number, E.164 when known.
    pub caller: Option<String>,
    /// Called number, E.164 when known.
    pub callee: Option<String>,
    /// Campaign data for outbound calls (the contact's name, the reason for the call).
    pub custom_data: serde_json::Map<String, serde_json::Value>,
}

/// Call direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The customer called the company.
    #[default]
    Inbound,
    /// The assistant called the customer.
    Outbound,
}

/// What the CRM knows about the caller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomerProfile {
    /// The contact's first name.
    pub name: Option<String>,
    /// Title of an open deal with this contact.
    pub deal: Option<String>,
    /// The responsible manager's name.
    pub manager_name: Option<String>,
    /// The responsible manager's number, for a transfer to the right person.
    pub manager_phone: Option<String>,
}
