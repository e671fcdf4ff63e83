//! What the portal already has: the records a caller's numbers belong to. Used by the
//! CRM step (is the caller a known contact?) and by the call-start lookup (who is
//! calling?).

use serde_json::{Value, json};
use sva_bitrix::{BitrixError, Client, Idempotency};

/// The contact a caller's numbers belong to: the oldest contact `findbycomm` matches,
/// with its record (`crm.contact.get`); `None` when no contact has them — or the one the
/// duplicate index still names was deleted since.
pub(crate) async fn contact_by_phone(
    client: &Client,
    phones: &[String],
) -> Result<Option<(u64, Value)>, BitrixError> {
    let found = client
        .call(
            "crm.duplicate.findbycomm",
            json!({ "type": "PHONE", "values": phones, "entity_type": "CONTACT" }),
            Idempotency::Safe,
        )
        .await?;
    // No hit is `[]` (PHP's empty map); hits are `{"CONTACT": [ids]}`.
    let Some(id) = found
        .result
        .get("CONTACT")
        .and_then(Value::as_array)
        .and_then(|ids| ids.iter().filter_map(as_id).min())
    else {
        return Ok(None);
    };
    match client
        .call("crm.contact.get", json!({ "id": id }), Idempotency::Safe)
        .await
    {
        Ok(contact) => Ok(Some((id, contact.result))),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// An id as Bitrix24 sends it: an integer from `add`, a string from `get` and `list`.
pub(crate) fn as_id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}
