//! A tenant's CRM settings checked against its portal when they are saved
//! ([`sva_tenants::CrmCheck`]): the custom fields the mapping names exist on the entities
//! the assistant creates (leads — in the classic CRM mode — and deals) with a type it can
//! write; the statuses, stages, pipeline and source are in the portal's lists; the users
//! still work there. One request (`batch`).

use crate::connect::Connections;
use crate::custom::{self, WRITABLE};
use async_trait::async_trait;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use sva_bitrix::{Batch, BatchReply, BitrixError, Client, Credentials, Idempotency};
use sva_tenants::{CrmAuth, CrmCheck, CrmCheckError, CrmConnection, CrmProblem, CrmSecrets};

/// The check, over the CRM function's connections.
pub struct PortalCheck {
    connections: Arc<Connections>,
}

impl PortalCheck {
    /// A check that reaches portals the way `connections` do.
    pub fn new(connections: Arc<Connections>) -> PortalCheck {
        PortalCheck { connections }
    }

    /// A client for `crm` with `secrets`. A webhook is safe to use from anywhere. An
    /// OAuth application is reached through the tenant's own connection when the secrets
    /// are the stored ones; with new ones only while their access token lives — a check
    /// must never spend a refresh token, whose successor it could not store.
    async fn client(
        &self,
        tenant: &str,
        crm: &CrmConnection,
        secrets: &CrmSecrets,
    ) -> Result<Arc<Client>, CrmCheckError> {
        let unreachable = |e: &dyn std::fmt::Display| CrmCheckError::Unreachable(e.to_string());
        let config = self.connections.config().clone();
        let credentials = match crm.auth {
            CrmAuth::Webhook => Credentials::Webhook {
                user_id: crm.webhook_user_id.unwrap_or(0),
                code: secrets
                    .webhook_code
                    .clone()
                    .ok_or_else(|| unreachable(&"no webhook code is set"))?,
            },
            CrmAuth::Oauth => {
                let stored = self
                    .connections
                    .tenants()
                    .crm_secrets(tenant)
                    .await
                    .map_err(|e| unreachable(&e))?;
                let settings = self
                    .connections
                    .tenants()
                    .settings(tenant)
                    .await
                    .map_err(|e| unreachable(&e))?;
                let same_portal = settings
                    .and_then(|s| s.crm)
                    .is_some_and(|old| old.same_portal(crm));
                if same_portal && stored == *secrets {
                    let connection = self
                        .connections
                        .get(tenant)
                        .await
                        .map_err(|e| unreachable(&e))?;
                    return Ok(connection.client);
                }
                let access = secrets
                    .live_access_token(sva_kit::unix_now(), 60)
                    .ok_or_else(|| {
                        unreachable(&"new OAuth credentials are checked on the first call")
                    })?;
                Credentials::OAuth {
                    client_id: crm.client_id.clone().unwrap_or_default(),
                    client_secret: String::new(),
                    refresh_token: String::new(),
                    access_token: Some(access.to_owned()),
                }
            }
        };
        Client::new(&crm.portal, credentials, config)
            .map(Arc::new)
            .map_err(|e| unreachable(&e))
    }
}

#[async_trait]
impl CrmCheck for PortalCheck {
    async fn check(
        &self,
        tenant: &str,
        crm: &CrmConnection,
        secrets: &CrmSecrets,
    ) -> Result<Vec<CrmProblem>, CrmCheckError> {
        let client = self.client(tenant, crm, secrets).await?;
        problems(&client, crm)
            .await
            .map_err(|e| CrmCheckError::Unreachable(e.to_string()))
    }
}

/// What the portal lacks of what `crm` names.
pub async fn problems(
    client: &Client,
    crm: &CrmConnection,
) -> Result<Vec<CrmProblem>, BitrixError> {
    let category = crm.deal_category_id.unwrap_or(0);
    let stages = if category == 0 {
        "DEAL_STAGE".to_owned()
    } else {
        format!("DEAL_STAGE_{category}")
    };
    let users: Vec<u64> = crm
        .rotation
        .iter()
        .copied()
        .chain(crm.responsible_user_id)
        .collect();
    let mut batch = Batch::new();
    batch
        .add("mode", "crm.settings.mode.get", &json!({}))
        .add("lead_fields", "crm.lead.fields", &json!({}))
        .add("deal_fields", "crm.deal.fields", &json!({}))
        .add(
            "statuses",
            "crm.status.list",
            &json!({ "filter": { "@ENTITY_ID": ["STATUS", "SOURCE", stages] } }),
        )
        .add(
            "categories",
            "crm.category.list",
            &json!({ "entityTypeId": 2 }),
        );
    if !users.is_empty() {
        batch.add(
            "users",
            "user.get",
            &json!({ "FILTER": { "ID": users, "ACTIVE": true } }),
        );
    }
    let reply = client.batch(&batch, Idempotency::Safe).await?;
    let classic = reply.take("mode")?.as_u64().unwrap_or(1) != 2;
    let mut out = Vec::new();
    fields(&reply, crm, classic, &mut out)?;
    lists(&reply, crm, &stages, &mut out)?;
    // Without the `user` scope nobody's activity can be asked: not a problem of the
    // settings.
    if let Ok(rows) = reply.take("users") {
        let active: BTreeSet<u64> = rows
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter(|u| u["ACTIVE"] != json!(false))
                    .filter_map(|u| crate::matching::as_id(&u["ID"]))
                    .collect()
            })
            .unwrap_or_default();
        for user in &users {
            if !active.contains(user) {
                let setting = if crm.responsible_user_id == Some(*user) {
                    "crm.responsible_user_id"
                } else {
                    "crm.rotation"
                };
                out.push(problem(
                    setting,
                    format!("user {user} does not exist or no longer works at the company"),
                ));
            }
        }
    }
    Ok(out)
}

fn problem(setting: &str, message: String) -> CrmProblem {
    CrmProblem {
        setting: setting.to_owned(),
        message,
    }
}

/// Each mapped custom field on deals, and on leads in the classic CRM mode.
fn fields(
    reply: &BatchReply,
    crm: &CrmConnection,
    classic: bool,
    out: &mut Vec<CrmProblem>,
) -> Result<(), BitrixError> {
    let deal = custom::describe(reply.take("deal_fields")?);
    let lead = custom::describe(reply.take("lead_fields")?);
    for (slot, name) in &crm.fields {
        let setting = format!("crm.fields.{slot}");
        let mut entities = vec![("deals", &deal)];
        if classic {
            entities.insert(0, ("leads", &lead));
        }
        for (entity, described) in entities {
            match described.get(name) {
                None => out.push(problem(
                    &setting,
                    format!("the portal has no field {name} on {entity}"),
                )),
                Some(f) if !WRITABLE.contains(&f.kind.as_str()) => out.push(problem(
                    &setting,
                    format!(
                        "{name} on {entity} is of type {}, which the assistant does not write",
                        f.kind
                    ),
                )),
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// The source, statuses, stages and pipeline against the portal's lists.
fn lists(
    reply: &BatchReply,
    crm: &CrmConnection,
    stages: &str,
    out: &mut Vec<CrmProblem>,
) -> Result<(), BitrixError> {
    let rows = reply
        .take("statuses")?
        .as_array()
        .cloned()
        .unwrap_or_default();
    let has = |list: &str, code: &str| {
        rows.iter()
            .any(|r| r["ENTITY_ID"] == json!(list) && r["STATUS_ID"] == json!(code))
    };
    if let Some(source) = &crm.source_id
        && !has("SOURCE", source)
    {
        out.push(problem(
            "crm.source_id",
            format!("the portal has no source {source}"),
        ));
    }
    for (kind, status) in &crm.outcomes {
        let name = serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if let Some(lead) = &status.lead_status
            && !has("STATUS", lead)
        {
            out.push(problem(
                &format!("crm.outcomes.{name}.lead_status"),
                format!("the portal has no lead status {lead}"),
            ));
        }
        if let Some(stage) = &status.deal_stage
            && !has(stages, stage)
        {
            out.push(problem(
                &format!("crm.outcomes.{name}.deal_stage"),
                format!("the deal pipeline has no stage {stage}"),
            ));
        }
    }
    if let Some(category) = crm.deal_category_id {
        let known = reply.take("categories")?["categories"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["id"] == json!(category)));
        if !known {
            out.push(problem(
                "crm.deal_category_id",
                format!("the portal has no deal pipeline {category}"),
            ));
        }
    }
    Ok(())
}
