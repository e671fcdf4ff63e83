//! One customer, one record: what the portal has of a caller, and which rule of
//! `docs/bitrix24.md` §3 that makes the call.
//!
//! [`find`] asks `crm.duplicate.findbycomm` for contacts, companies and leads with every
//! spelling of the caller's numbers, in one `batch` (one request per entity type: when
//! one type has 20 matches the method leaves the others out, `docs/bitrix24-rest.md` §5).
//! [`look`] reads, in a second `batch`, the oldest contact and company, their newest open
//! deal, the newest open lead, and which of the users the routing may name still work
//! there. [`decide`] picks the rule.

use crate::fields::Customer;
use crate::phones;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use sva_bitrix::{Batch, BatchReply, BitrixError, Client, Idempotency};

/// The records a caller's numbers match, each list oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Contacts.
    pub contacts: Vec<u64>,
    /// Companies.
    pub companies: Vec<u64>,
    /// Leads.
    pub leads: Vec<u64>,
}

impl Found {
    /// Whether nothing matched.
    pub fn is_empty(&self) -> bool {
        self.contacts.is_empty() && self.companies.is_empty() && self.leads.is_empty()
    }
}

/// Matches `numbers` (E.164) against contacts, companies and leads in one request.
pub async fn find(client: &Client, numbers: &[String]) -> Result<Found, BitrixError> {
    let values = phones::spellings(numbers);
    if values.is_empty() {
        return Ok(Found::default());
    }
    let mut batch = Batch::new();
    for (key, entity) in [
        ("contacts", "CONTACT"),
        ("companies", "COMPANY"),
        ("leads", "LEAD"),
    ] {
        batch.add(
            key,
            "crm.duplicate.findbycomm",
            &json!({ "type": "PHONE", "values": values, "entity_type": entity }),
        );
    }
    let reply = client.batch(&batch, Idempotency::Safe).await?;
    let ids = |key: &str, entity: &str| -> Result<Vec<u64>, BitrixError> {
        // No hit is `[]` (PHP's empty map); hits are `{"CONTACT": [ids]}`.
        let mut ids: Vec<u64> = reply
            .take(key)?
            .get(entity)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(as_id).collect())
            .unwrap_or_default();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    };
    Ok(Found {
        contacts: ids("contacts", "CONTACT")?,
        companies: ids("companies", "COMPANY")?,
        leads: ids("leads", "LEAD")?,
    })
}

/// A record of the caller's, as far as the rules need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// Its id.
    pub id: u64,
    /// Its title or name.
    pub title: Option<String>,
    /// Its responsible user.
    pub assigned: Option<u64>,
    /// Its contact.
    pub contact: Option<u64>,
    /// Its company.
    pub company: Option<u64>,
}

/// What the portal has of the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// The oldest contact with the number.
    pub contact: Option<Seen>,
    /// The oldest company with the number.
    pub company: Option<Seen>,
    /// The newest open deal of those contacts, else of those companies.
    pub open_deal: Option<Seen>,
    /// The newest open lead with the number.
    pub open_lead: Option<Seen>,
    /// The users asked about who still work at the company.
    pub active: BTreeSet<u64>,
}

const DEAL_SELECT: [&str; 6] = [
    "ID",
    "TITLE",
    "ASSIGNED_BY_ID",
    "CONTACT_ID",
    "COMPANY_ID",
    "CLOSED",
];

/// Reads what the rules need about `found`, and which of `users` (plus the records' own
/// managers) still work there, in one request.
pub async fn look(client: &Client, found: &Found, users: &[u64]) -> Result<Known, BitrixError> {
    let mut batch = Batch::new();
    let mut managers: Vec<Value> = users.iter().map(|u| json!(u)).collect();
    let mut list = |key: &str, method: &str, filter: Value, select: &[&str], order: &str| {
        batch.add(
            key,
            method,
            &json!({ "filter": filter, "select": select, "order": { "ID": order }, "start": -1 }),
        );
        managers.push(Batch::reference(key, &["0", "ASSIGNED_BY_ID"]));
    };
    if !found.contacts.is_empty() {
        list(
            "contacts",
            "crm.contact.list",
            json!({ "@ID": found.contacts }),
            &["ID", "NAME", "LAST_NAME", "ASSIGNED_BY_ID", "COMPANY_ID"],
            "ASC",
        );
        list(
            "contact_deals",
            "crm.deal.list",
            json!({ "@CONTACT_ID": found.contacts, "CLOSED": "N" }),
            &DEAL_SELECT,
            "DESC",
        );
    }
    if !found.companies.is_empty() {
        list(
            "companies",
            "crm.company.list",
            json!({ "@ID": found.companies }),
            &["ID", "TITLE", "ASSIGNED_BY_ID"],
            "ASC",
        );
        list(
            "company_deals",
            "crm.deal.list",
            json!({ "@COMPANY_ID": found.companies, "CLOSED": "N" }),
            &DEAL_SELECT,
            "DESC",
        );
    }
    if !found.leads.is_empty() {
        // Open: in progress (`STATUS_SEMANTIC_ID=P`), neither converted nor junk.
        list(
            "leads",
            "crm.lead.list",
            json!({ "@ID": found.leads, "STATUS_SEMANTIC_ID": "P" }),
            &[
                "ID",
                "TITLE",
                "STATUS_ID",
                "STATUS_SEMANTIC_ID",
                "ASSIGNED_BY_ID",
                "CONTACT_ID",
                "COMPANY_ID",
            ],
            "DESC",
        );
    }
    if !managers.is_empty() {
        batch.add(
            "users",
            "user.get",
            &json!({ "FILTER": { "ID": managers, "ACTIVE": true } }),
        );
    }
    if batch.is_empty() {
        return Ok(Known::default());
    }
    let reply = client.batch(&batch, Idempotency::Safe).await?;
    let rows = |key: &str| rows(&reply, key);
    let open = |row: &Value| row["CLOSED"].as_str() != Some("Y");
    let open_lead = |row: &Value| {
        row["STATUS_SEMANTIC_ID"].as_str().map_or(
            !matches!(row["STATUS_ID"].as_str(), Some("CONVERTED" | "JUNK")),
            |s| s == "P",
        )
    };
    let open_deal = rows("contact_deals")?
        .into_iter()
        .chain(rows("company_deals")?)
        .find(|r| open(r))
        .map(|r| seen(&r, "TITLE"));
    let active = rows("users")?
        .iter()
        .filter(|u| u["ACTIVE"] != json!(false))
        .filter_map(|u| as_id(&u["ID"]))
        .collect();
    Ok(Known {
        contact: rows("contacts")?.first().map(|r| seen(r, "NAME")),
        company: rows("companies")?.first().map(|r| seen(r, "TITLE")),
        open_deal,
        open_lead: rows("leads")?
            .into_iter()
            .find(|r| open_lead(r))
            .map(|r| seen(&r, "TITLE")),
        active,
    })
}

/// The rows of a list command; none when the command was not sent.
fn rows(reply: &BatchReply, key: &str) -> Result<Vec<Value>, BitrixError> {
    if reply.result(key).is_none() && reply.error(key).is_none() {
        return Ok(Vec::new());
    }
    Ok(reply.take(key)?.as_array().cloned().unwrap_or_default())
}

fn seen(row: &Value, title: &str) -> Seen {
    Seen {
        id: as_id(&row["ID"]).unwrap_or(0),
        title: row[title]
            .as_str()
            .map(str::to_owned)
            .filter(|t| !t.is_empty()),
        assigned: as_id(&row["ASSIGNED_BY_ID"]),
        contact: as_id(&row["CONTACT_ID"]),
        company: as_id(&row["COMPANY_ID"]),
    }
}

/// The rules of `docs/bitrix24.md` §3, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The customer has an open deal: the call goes onto it.
    OpenDeal,
    /// The caller has an open lead: the call goes onto it.
    OpenLead,
    /// A known contact without an open deal: a new deal on the contact.
    NewDealOnContact,
    /// A known company without an open deal: a new deal on the company.
    NewDealOnCompany,
    /// A new caller, classic CRM: a lead alone.
    NewLead,
    /// A new caller, simple CRM (no leads): a contact and a deal on it.
    NewContactAndDeal,
}

impl Rule {
    /// The code saved in the progress (`open_deal`, …).
    pub fn code(self) -> &'static str {
        match self {
            Rule::OpenDeal => "open_deal",
            Rule::OpenLead => "open_lead",
            Rule::NewDealOnContact => "new_deal_on_contact",
            Rule::NewDealOnCompany => "new_deal_on_company",
            Rule::NewLead => "new_lead",
            Rule::NewContactAndDeal => "new_contact_and_deal",
        }
    }
}

/// Where the call goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The rule.
    pub rule: Rule,
    /// The open record the call is attached to: (`lead`|`deal`, id).
    pub attach: Option<(&'static str, u64)>,
    /// The customer a deal is (or is to be) on.
    pub customer: Customer,
    /// The customer's own manager (the record's or the contact's responsible user).
    pub own_manager: Option<u64>,
}

/// Picks the rule for what the portal has of the caller (`simple`: the portal runs the
/// simple CRM mode, without leads).
pub fn decide(seen: &Known, simple: bool) -> Decision {
    let contact = seen.contact.as_ref();
    let company = seen.company.as_ref();
    if let Some(deal) = &seen.open_deal {
        return Decision {
            rule: Rule::OpenDeal,
            attach: Some(("deal", deal.id)),
            customer: Customer {
                contact: deal.contact.or(contact.map(|c| c.id)),
                company: deal.company.or(company.map(|c| c.id)),
            },
            own_manager: deal.assigned,
        };
    }
    if let Some(lead) = &seen.open_lead {
        return Decision {
            rule: Rule::OpenLead,
            attach: Some(("lead", lead.id)),
            customer: Customer {
                contact: lead.contact.or(contact.map(|c| c.id)),
                company: lead.company.or(company.map(|c| c.id)),
            },
            own_manager: lead.assigned,
        };
    }
    if let Some(contact) = contact {
        return Decision {
            rule: Rule::NewDealOnContact,
            attach: None,
            customer: Customer {
                contact: Some(contact.id),
                company: contact.company.or(company.map(|c| c.id)),
            },
            own_manager: contact.assigned,
        };
    }
    if let Some(company) = company {
        return Decision {
            rule: Rule::NewDealOnCompany,
            attach: None,
            customer: Customer {
                contact: None,
                company: Some(company.id),
            },
            own_manager: company.assigned,
        };
    }
    Decision {
        rule: if simple {
            Rule::NewContactAndDeal
        } else {
            Rule::NewLead
        },
        attach: None,
        customer: Customer::default(),
        own_manager: None,
    }
}

/// An id as Bitrix24 sends it: an integer from `add`, a string from `get` and `list`.
pub(crate) fn as_id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(id: u64, assigned: u64) -> Seen {
        Seen {
            id,
            assigned: Some(assigned),
            ..Seen::default()
        }
    }

    #[test]
    fn the_rules_in_order() {
        let nobody = Known::default();
        assert_eq!(decide(&nobody, false).rule, Rule::NewLead);
        assert_eq!(decide(&nobody, true).rule, Rule::NewContactAndDeal);
        let company = Known {
            company: Some(seen(4, 8)),
            ..Known::default()
        };
        let d = decide(&company, false);
        assert_eq!(
            (d.rule, d.customer.company, d.own_manager),
            (Rule::NewDealOnCompany, Some(4), Some(8))
        );
        let contact = Known {
            contact: Some(Seen {
                company: Some(4),
                ..seen(3, 7)
            }),
            ..company.clone()
        };
        let d = decide(&contact, false);
        assert_eq!(d.rule, Rule::NewDealOnContact);
        assert_eq!(
            d.customer,
            Customer {
                contact: Some(3),
                company: Some(4)
            }
        );
        let lead = Known {
            open_lead: Some(seen(11, 9)),
            ..contact.clone()
        };
        let d = decide(&lead, false);
        assert_eq!(
            (d.rule, d.attach, d.own_manager),
            (Rule::OpenLead, Some(("lead", 11)), Some(9))
        );
        let deal = Known {
            open_deal: Some(seen(21, 6)),
            ..lead
        };
        let d = decide(&deal, true);
        assert_eq!(
            (d.rule, d.attach, d.own_manager),
            (Rule::OpenDeal, Some(("deal", 21)), Some(6))
        );
        assert_eq!(
            d.customer.contact,
            Some(3),
            "the deal's customer, for the call history"
        );
    }
}
