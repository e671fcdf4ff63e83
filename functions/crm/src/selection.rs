//! A campaign's CRM selection ([`sva_campaign::CrmSelection`]): the leads or deals in a
//! stage of a tenant's Bitrix24, with what a campaign needs of each — the phones (a
//! lead's own; else, and always for a deal, its contact's; else its company's, as the
//! robot «Позвонить клиенту» finds them), the name, the title, the day it was made and
//! its source's name.
//!
//! Requests: one `batch` for the stage list and the sources (`crm.status.list`,
//! `api-reference/crm/status/crm-status-list.md` in `github:bitrix24/b24restdocs`); the
//! records by `crm.lead.list` / `crm.deal.list` with `filter`, a short `select` and `order`
//! by `ID`, page by page of 50 (`start` = the previous answer's `next`,
//! `api-reference/crm/leads/crm-lead-list.md`, `api-reference/crm/deals/crm-deal-list.md`);
//! the contacts by `crm.contact.list` and the companies by `crm.company.list`, filtered on
//! `@ID` (a list of ids, `api-reference/crm/companies/crm-company-list.md`).

use crate::connect::{ConnectError, Connections};
use crate::matching::as_id;
use crate::phones::numbers;
use async_trait::async_trait;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use sva_bitrix::{Batch, BitrixError, Client, Idempotency};
use sva_campaign::select::MAX_SELECTED;
use sva_campaign::{CrmEntity, CrmSelection, SelectedContact, SelectionError};

/// Contacts or companies asked for in one `crm.*.list` (one page).
const RECORDS_PER_REQUEST: usize = 50;

/// The selection, over the CRM function's connections.
pub struct PortalSelection {
    connections: Arc<Connections>,
}

impl PortalSelection {
    /// A selection that reaches portals the way `connections` do.
    pub fn new(connections: Arc<Connections>) -> PortalSelection {
        PortalSelection { connections }
    }
}

#[async_trait]
impl CrmSelection for PortalSelection {
    async fn select(
        &self,
        tenant: &str,
        entity: CrmEntity,
        stage: &str,
        category: Option<u64>,
    ) -> Result<Vec<SelectedContact>, SelectionError> {
        let connection = self.connections.get(tenant).await.map_err(|e| match e {
            ConnectError::NoTenant(_)
            | ConnectError::NotConfigured(_)
            | ConnectError::Incomplete { .. } => SelectionError::NotConnected(e.to_string()),
            other => SelectionError::Unreachable(other.to_string()),
        })?;
        select(&connection.client, entity, stage, category).await
    }
}

fn unreachable(e: BitrixError) -> SelectionError {
    SelectionError::Unreachable(e.to_string())
}

/// The records of `entity` in `stage` on the portal `client` reaches, oldest first.
pub async fn select(
    client: &Client,
    entity: CrmEntity,
    stage: &str,
    category: Option<u64>,
) -> Result<Vec<SelectedContact>, SelectionError> {
    let stage_list = match (entity, category.unwrap_or(0)) {
        (CrmEntity::Lead, _) => "STATUS".to_owned(),
        (CrmEntity::Deal, 0) => "DEAL_STAGE".to_owned(),
        (CrmEntity::Deal, c) => format!("DEAL_STAGE_{c}"),
    };
    let mut batch = Batch::new();
    batch.add(
        "statuses",
        "crm.status.list",
        &json!({ "filter": { "@ENTITY_ID": [stage_list.as_str(), "SOURCE"] } }),
    );
    let reply = client
        .batch(&batch, Idempotency::Safe)
        .await
        .map_err(unreachable)?;
    let statuses = reply.take("statuses").map_err(unreachable)?;
    let statuses = statuses.as_array().cloned().unwrap_or_default();
    let known = statuses
        .iter()
        .any(|s| s["ENTITY_ID"] == stage_list.as_str() && s["STATUS_ID"] == stage);
    if !known {
        return Err(SelectionError::NoSuchStage {
            stage: stage.to_owned(),
            category,
        });
    }
    let sources: HashMap<String, String> = statuses
        .iter()
        .filter(|s| s["ENTITY_ID"] == "SOURCE")
        .filter_map(|s| Some((text(&s["STATUS_ID"])?, text(&s["NAME"])?)))
        .collect();

    let (method, filter, select) = match entity {
        CrmEntity::Lead => (
            "crm.lead.list",
            json!({ "=STATUS_ID": stage }),
            json!([
                "ID",
                "TITLE",
                "NAME",
                "LAST_NAME",
                "PHONE",
                "DATE_CREATE",
                "SOURCE_ID",
                "CONTACT_ID",
                "COMPANY_ID"
            ]),
        ),
        CrmEntity::Deal => (
            "crm.deal.list",
            json!({ "=STAGE_ID": stage, "=CATEGORY_ID": category.unwrap_or(0) }),
            json!([
                "ID",
                "TITLE",
                "DATE_CREATE",
                "SOURCE_ID",
                "CONTACT_ID",
                "COMPANY_ID"
            ]),
        ),
    };
    let rows = list_all(client, method, filter, select).await?;

    // Contacts for the records that have no phone of their own (a deal never has).
    let wanted: BTreeSet<u64> = rows
        .iter()
        .filter(|r| numbers(r).is_empty())
        .filter_map(|r| as_id(&r["CONTACT_ID"]))
        .collect();
    let contacts = by_id(client, "crm.contact.list", CONTACT_FIELDS, &wanted).await?;
    let contact_of = |row: &Value| as_id(&row["CONTACT_ID"]).and_then(|c| contacts.get(&c));
    // Companies for those that have none still (a deal or lead of a company only).
    let wanted: BTreeSet<u64> = rows
        .iter()
        .filter(|r| numbers(r).is_empty())
        .filter(|r| contact_of(r).is_none_or(|c| numbers(c).is_empty()))
        .filter_map(|r| as_id(&r["COMPANY_ID"]))
        .collect();
    let companies = by_id(client, "crm.company.list", COMPANY_FIELDS, &wanted).await?;

    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(id) = as_id(&row["ID"]) else {
            continue;
        };
        let contact = contact_of(&row);
        let company = as_id(&row["COMPANY_ID"]).and_then(|c| companies.get(&c));
        let numbers = [Some(&row), contact, company]
            .into_iter()
            .flatten()
            .map(numbers)
            .find(|numbers| !numbers.is_empty())
            .unwrap_or_default();
        let contact_name = full_name(&row).or_else(|| contact.and_then(full_name));
        out.push(SelectedContact {
            entity,
            id,
            phones: numbers,
            contact_name,
            title: text(&row["TITLE"]),
            created: text(&row["DATE_CREATE"]).and_then(|d| date(&d)),
            source: text(&row["SOURCE_ID"]).map(|code| sources.get(&code).cloned().unwrap_or(code)),
        });
    }
    Ok(out)
}

/// Every row of a list, page by page.
async fn list_all(
    client: &Client,
    method: &str,
    filter: Value,
    select: Value,
) -> Result<Vec<Value>, SelectionError> {
    let mut rows = Vec::new();
    let mut start = 0u64;
    loop {
        let reply = client
            .call(
                method,
                json!({ "filter": filter, "select": select, "order": { "ID": "ASC" }, "start": start }),
                Idempotency::Safe,
            )
            .await
            .map_err(unreachable)?;
        rows.extend(reply.result.as_array().cloned().unwrap_or_default());
        if rows.len() > MAX_SELECTED {
            return Err(SelectionError::TooMany { max: MAX_SELECTED });
        }
        match reply.next {
            Some(next) if next > start => start = next,
            _ => return Ok(rows),
        }
    }
}

/// What is read of a contact: its name and phones.
const CONTACT_FIELDS: &[&str] = &["ID", "NAME", "LAST_NAME", "PHONE"];

/// What is read of a company: its phones.
const COMPANY_FIELDS: &[&str] = &["ID", "PHONE"];

/// The records `ids` of a `crm.*.list` `method`, by id, with the `fields` asked for.
async fn by_id(
    client: &Client,
    method: &str,
    fields: &[&str],
    ids: &BTreeSet<u64>,
) -> Result<HashMap<u64, Value>, SelectionError> {
    let ids: Vec<u64> = ids.iter().copied().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(RECORDS_PER_REQUEST) {
        let reply = client
            .call(
                method,
                json!({ "filter": { "@ID": chunk }, "select": fields, "start": -1 }),
                Idempotency::Safe,
            )
            .await
            .map_err(unreachable)?;
        for record in reply.result.as_array().cloned().unwrap_or_default() {
            if let Some(id) = as_id(&record["ID"]) {
                out.insert(id, record);
            }
        }
    }
    Ok(out)
}

/// `NAME LAST_NAME`, when either is set.
fn full_name(record: &Value) -> Option<String> {
    [text(&record["NAME"]), text(&record["LAST_NAME"])]
        .into_iter()
        .flatten()
        .reduce(|a, b| format!("{a} {b}"))
}

/// The day of a Bitrix24 date-time (`2026-05-31T10:00:00+03:00`): the portal's local day.
fn date(value: &str) -> Option<jiff::civil::Date> {
    value.get(..10)?.parse().ok()
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_multifield_and_a_date_are_read() {
        let field = json!([{"ID": "1", "VALUE": " +7 916 123-45-67 ", "VALUE_TYPE": "WORK"},
                           {"ID": "2", "VALUE": "", "VALUE_TYPE": "HOME"}]);
        assert_eq!(
            numbers(&json!({ "PHONE": field })),
            vec!["+7 916 123-45-67".to_owned()]
        );
        assert!(numbers(&Value::Null).is_empty());
        assert_eq!(
            date("2026-05-31T10:00:00+03:00"),
            Some(jiff::civil::date(2026, 5, 31))
        );
        assert_eq!(date("31.05"), None);
        assert_eq!(
            full_name(&json!({"NAME": "Ольга", "LAST_NAME": ""})).as_deref(),
            Some("Ольга")
        );
    }
}
