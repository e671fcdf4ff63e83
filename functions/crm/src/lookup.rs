//! Who is calling, from the CRM: at `call_started` the dialog function asks for the
//! customer behind a number so the scenario can greet them by name and transfer them to
//! their own manager. Answers (found or not) are cached per tenant and number.
//!
//! Bitrix24 calls: `crm.duplicate.findbycomm` (the oldest contact with the number),
//! `crm.contact.get` (name, responsible user), `crm.deal.list` (the newest open deal),
//! `user.get` (the manager's name and phone). All are reads; none blocks the call — the
//! dialog function bounds the whole lookup with its budget.

use crate::connect::Connections;
use crate::find::contact_by_phone;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use sva_abi::CustomerProfile;
use sva_abi::phone::to_e164;
use sva_bitrix::{BitrixError, Client, Idempotency};

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

async fn find(client: &Client, phone: &str) -> Result<Option<CustomerProfile>, BitrixError> {
    use Idempotency::Safe;
    let Some((contact_id, contact)) = contact_by_phone(client, &[phone.to_owned()]).await? else {
        return Ok(None);
    };
    let mut profile = CustomerProfile {
        name: text(&contact["NAME"]),
        ..CustomerProfile::default()
    };
    let deals = client
        .call(
            "crm.deal.list",
            json!({
                "filter": { "CONTACT_ID": contact_id, "CLOSED": "N" },
                "select": ["ID", "TITLE"],
                "order": { "ID": "DESC" },
                "start": -1,
            }),
            Safe,
        )
        .await?;
    profile.deal = deals
        .result
        .as_array()
        .and_then(|rows| rows.first())
        .and_then(|deal| text(&deal["TITLE"]));
    if let Some(manager) = text(&contact["ASSIGNED_BY_ID"]) {
        // A portal without the `user` scope refuses this: the name and deal still help.
        match client
            .call("user.get", json!({ "ID": manager }), Safe)
            .await
        {
            Ok(users) => {
                let user = users
                    .result
                    .as_array()
                    .and_then(|u| u.first())
                    .cloned()
                    .unwrap_or(Value::Null);
                profile.manager_name = [text(&user["NAME"]), text(&user["LAST_NAME"])]
                    .into_iter()
                    .flatten()
                    .reduce(|a, b| format!("{a} {b}"));
                profile.manager_phone = [&user["PERSONAL_MOBILE"], &user["WORK_PHONE"]]
                    .into_iter()
                    .filter_map(text)
                    .find_map(|p| to_e164(&p));
            }
            Err(e) => tracing::debug!("the manager could not be read: {e}"),
        }
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
