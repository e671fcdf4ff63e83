//! Who is calling, from the CRM: at `call_started` the dialog function asks for the
//! customer behind a number so the scenario can greet them by name and transfer them to
//! their own manager. Answers (found or not) are cached per tenant and number.
//!
//! One request, so the answer comes within the call's first 400 ms: a `batch` of
//! `crm.duplicate.findbycomm` (the contact with any spelling of the number),
//! `crm.contact.get` (its name and manager), `crm.deal.list` (its newest open deal) and
//! `user.get` (the manager, only if they still work there), the later commands reading
//! the earlier ones' results (`$result[…]`). The access token is the one stored with the
//! tenant's secrets, so a new process does not refresh first. All are reads; none blocks
//! the call — the dialog function bounds the whole lookup with its budget.
//!
//! `telephony.externalCall.searchCrmEntities` would also answer in one request, but
//! needs the `telephony` scope, says nothing of deals, and its manager may have left
//! (`docs/bitrix24-rest.md` §12).

use crate::connect::Connections;
use crate::matching::as_id;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use sva_abi::CustomerProfile;
use sva_abi::phone::to_e164;
use sva_bitrix::{Batch, BitrixError, Client, Idempotency};

/// How many answers the cache keeps before it starts over.
const CACHE_ENTRIES: usize = 10_000;

/// How long the dialog function trusts what the CRM said about a number.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// How long a failed lookup keeps the number from being asked again.
const FAILURE_TTL: Duration = Duration::from_secs(30);

/// Answers by (tenant, number), with until when they hold.
type Answers = HashMap<(String, String), (Instant, Option<CustomerProfile>)>;

/// Customer lookups over the tenants' portals.
pub struct Customers {
    connections: Arc<Connections>,
    ttl: Duration,
    cache: Arc<Mutex<Answers>>,
}

impl Customers {
    /// Lookups through `connections`, answers kept for `ttl` (failures for 30 s).
    pub fn new(connections: Arc<Connections>, ttl: Duration) -> Customers {
        Customers {
            connections,
            ttl,
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The customer with number `phone` in `tenant`'s CRM; `None` when unknown, when the
    /// tenant has no CRM, or when the CRM fails (logged, not cached).
    pub async fn lookup(&self, tenant: &str, phone: &str) -> Option<CustomerProfile> {
        let phone = to_e164(phone)?;
        let key = (tenant.to_owned(), phone.clone());
        if let Some((until, profile)) = self.lock().get(&key)
            && Instant::now() < *until
        {
            return profile.clone();
        }
        let connection = match self.connections.get(tenant).await {
            Ok(connection) => connection,
            // No CRM (or a broken connection): nothing to know, and nothing to retry soon.
            Err(_) => {
                remember(&self.cache, key, None, self.ttl);
                return None;
            }
        };
        // On its own task: the dialog function stops waiting at its budget, but the
        // lookup (and any token refresh in it) runs to its end and fills the cache for
        // the next call.
        let cache = Arc::clone(&self.cache);
        let ttl = self.ttl;
        let tenant = tenant.to_owned();
        tokio::spawn(async move {
            match find(&connection.client, &phone).await {
                Ok(profile) => {
                    remember(&cache, key, profile.clone(), ttl);
                    profile
                }
                Err(e) => {
                    tracing::info!(tenant, code = %e.code(), "the CRM lookup failed: {e}");
                    // A failing portal is not asked again by every call for a while.
                    remember(&cache, key, None, FAILURE_TTL);
                    None
                }
            }
        })
        .await
        .ok()
        .flatten()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Answers> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Keeps `profile` as the answer for `key` for `ttl`.
fn remember(
    cache: &Mutex<Answers>,
    key: (String, String),
    profile: Option<CustomerProfile>,
    ttl: Duration,
) {
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= CACHE_ENTRIES {
        cache.clear();
    }
    cache.insert(key, (Instant::now() + ttl, profile));
}

/// The lookup's one request.
fn lookup_batch(phone: &str) -> Batch {
    let contact = Batch::reference("found", &["CONTACT", "0"]);
    let mut batch = Batch::new();
    batch
        .add(
            "found",
            "crm.duplicate.findbycomm",
            &json!({
                "type": "PHONE",
                "values": crate::phones::spellings(&[phone.to_owned()]),
                "entity_type": "CONTACT",
            }),
        )
        .add("contact", "crm.contact.get", &json!({ "id": contact }))
        .add(
            "deal",
            "crm.deal.list",
            &json!({
                "filter": { "CONTACT_ID": contact, "CLOSED": "N" },
                "select": ["ID", "TITLE"],
                "order": { "ID": "DESC" },
                "start": -1,
            }),
        )
        .add(
            "manager",
            "user.get",
            &json!({ "FILTER": { "ID": Batch::reference("contact", &["ASSIGNED_BY_ID"]), "ACTIVE": true } }),
        );
    batch
}

/// Who is calling from `phone`, in one request.
pub async fn find(client: &Client, phone: &str) -> Result<Option<CustomerProfile>, BitrixError> {
    let reply = client
        .batch(&lookup_batch(phone), Idempotency::Safe)
        .await?;
    let has_contact = reply
        .result("found")
        .and_then(|f| f.get("CONTACT"))
        .and_then(Value::as_array)
        .is_some_and(|ids| ids.iter().any(|id| as_id(id).is_some()));
    if !has_contact {
        return Ok(None);
    }
    // The contact the duplicate index still names may have been deleted since.
    let Some(contact) = reply.result("contact").filter(|c| c.is_object()) else {
        return Ok(None);
    };
    let mut profile = CustomerProfile {
        name: text(&contact["NAME"]),
        ..CustomerProfile::default()
    };
    profile.deal = reply
        .result("deal")
        .and_then(Value::as_array)
        .and_then(|rows| rows.first())
        .and_then(|deal| text(&deal["TITLE"]));
    // A portal without the `user` scope refuses `user.get`: the name and deal still
    // help. A manager who left is not offered.
    let manager = reply
        .result("manager")
        .and_then(Value::as_array)
        .and_then(|users| users.first())
        .filter(|u| u["ACTIVE"] != json!(false));
    if let Some(user) = manager {
        profile.manager_name = [text(&user["NAME"]), text(&user["LAST_NAME"])]
            .into_iter()
            .flatten()
            .reduce(|a, b| format!("{a} {b}"));
        profile.manager_phone = [&user["PERSONAL_MOBILE"], &user["WORK_PHONE"]]
            .into_iter()
            .filter_map(text)
            .find_map(|p| to_e164(&p));
    }
    Ok(Some(profile))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
