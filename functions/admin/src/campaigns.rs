//! Outbound campaigns through the admin API: built from an uploaded contact file (every
//! row a contact or a refusal with its reason), listed, shown contact by contact, paused,
//! resumed and cancelled. The settings come in the query, the file is the body.

use crate::openapi::ErrorBody;
use crate::{Admin, AdminError, Caller};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use sva_campaign::desk::Summary;
use sva_campaign::plan::{Campaign, Intervals, VoicemailPolicy};
use sva_campaign::window::{Calendar, DayHours, Hours};
use sva_campaign::{ContactView, CrmEntity, Refusal, SelectionError};
use sva_kit::Json;

/// The largest contact file: about 100,000 rows.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// A new campaign's settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NewCampaign {
    /// The id: 1–40 of `a-z`, `0-9`, `-`.
    pub id: String,
    /// A name for people; the id when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// Simultaneous calls (1–100; default 2).
    #[serde(default)]
    pub max_simultaneous: Option<u32>,
    /// Attempts per contact (1–5, Voximplant's limit; default 3).
    #[serde(default)]
    pub attempts: Option<u8>,
    /// Local calling hours on weekdays, `HH:MM-HH:MM` (default 09:00-20:00).
    #[serde(default)]
    pub hours: Option<String>,
    /// Local calling hours on Saturday and Sunday, `HH:MM-HH:MM` or `off` (default: as
    /// `hours`).
    #[serde(default)]
    pub weekend_hours: Option<String>,
    /// Days without calls (the production calendar's holidays), `YYYY-MM-DD`,
    /// comma-separated.
    #[serde(default)]
    pub days_off: Option<String>,
    /// Minutes before another attempt after a busy line (default 15).
    #[serde(default)]
    pub busy_retry_min: Option<u32>,
    /// Minutes before another attempt after no answer (default 60).
    #[serde(default)]
    pub no_answer_retry_min: Option<u32>,
    /// Minutes before another attempt after an answering machine (default 180).
    #[serde(default)]
    pub voicemail_retry_min: Option<u32>,
    /// On an answering machine: `hangup` (and try again) or `message` (a short message).
    #[serde(default)]
    pub voicemail: Option<String>,
}

impl NewCampaign {
    /// The settings as a query string (`id=…&hours=…`), the values percent-encoded.
    pub fn query(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or_default();
        let mut pairs = Vec::new();
        if let Some(map) = value.as_object() {
            for (name, v) in map {
                let text = match v {
                    serde_json::Value::Null => continue,
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                pairs.push(format!("{name}={}", crate::client::segment(&text)));
            }
        }
        pairs.join("&")
    }

    /// The campaign these settings describe, or what is wrong with them.
    pub fn campaign(&self) -> Result<Campaign, AdminError> {
        // `…/campaigns/from-crm` is the route that builds one from the CRM.
        if self.id == "from-crm" {
            return Err(AdminError::Invalid(
                "`id`: \"from-crm\" is reserved; choose another".into(),
            ));
        }
        let bad = |what: &str, value: &str| {
            AdminError::Invalid(format!("`{what}`: {value:?} is not acceptable"))
        };
        let day = |name: &str, text: &str| -> Result<Option<DayHours>, AdminError> {
            if text.trim() == "off" {
                return Ok(None);
            }
            text.parse::<DayHours>()
                .map(Some)
                .map_err(|e| AdminError::Invalid(format!("`{name}`: {e}")))
        };
        let weekdays = match &self.hours {
            Some(h) => day("hours", h)?,
            None => Hours::default().days[0],
        };
        let weekends = match &self.weekend_hours {
            Some(h) => day("weekend_hours", h)?,
            None => weekdays,
        };
        let mut days_off = Calendar::default();
        for d in self.days_off.iter().flat_map(|d| d.split(',')) {
            let d = d.trim();
            if d.is_empty() {
                continue;
            }
            days_off
                .days_off
                .insert(d.parse().map_err(|_| bad("days_off", d))?);
        }
        let defaults = Intervals::default();
        let minutes = |m: Option<u32>, default: u32| m.map_or(default, |m| m.saturating_mul(60));
        let voicemail = match self.voicemail.as_deref() {
            None | Some("hangup") => VoicemailPolicy::Hangup,
            Some("message") => VoicemailPolicy::Message,
            Some(other) => return Err(bad("voicemail", other)),
        };
        let mut campaign = Campaign::new(
            &self.id,
            self.name.as_deref().unwrap_or(&self.id),
            self.max_simultaneous.unwrap_or(2),
        );
        campaign.attempts = self.attempts.unwrap_or(3);
        campaign.hours = Hours::weekly(weekdays, weekends);
        campaign.calendar = days_off;
        campaign.voicemail = voicemail;
        campaign.intervals = Intervals {
            busy: minutes(self.busy_retry_min, defaults.busy),
            no_answer: minutes(self.no_answer_retry_min, defaults.no_answer),
            voicemail: minutes(self.voicemail_retry_min, defaults.voicemail),
        };
        Ok(campaign)
    }
}

/// A campaign's contacts and the rows refused when it was built.
#[derive(Debug, Clone, Serialize)]
pub struct ContactsView {
    /// The contacts, in file order, with where each stands.
    pub contacts: Vec<ContactView>,
    /// The rows refused, with the reason for each.
    pub refusals: Vec<Refusal>,
}

impl Admin {
    /// Builds a campaign of tenant `id` from `file`; numbers on the tenant's do-not-call
    /// list are refused.
    pub async fn create_campaign(
        &self,
        caller: &Caller,
        id: &str,
        settings: &NewCampaign,
        file: &[u8],
    ) -> Result<Summary, AdminError> {
        self.visible(caller, id).await?;
        let campaign = settings.campaign()?;
        let listed = self.tenants.do_not_call_numbers(id).await?;
        Ok(self
            .campaigns
            .create(
                id,
                &campaign,
                file,
                |e164| listed.contains(e164),
                jiff::Timestamp::now(),
            )
            .await?)
    }
}

/// Which CRM records a campaign is built from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrmSelectionQuery {
    /// `lead` or `deal`.
    pub entity: String,
    /// The stage: a lead's `STATUS_ID` (`NEW`, `IN_PROCESS`…) or a deal's `STAGE_ID`
    /// (`NEW`, `C3:PREPARATION`…).
    pub stage: String,
    /// A deal's pipeline (`CATEGORY_ID`; default 0, the general one).
    #[serde(default)]
    pub category: Option<u64>,
}

impl CrmSelectionQuery {
    /// The selection as a query string (`entity=…&stage=…`), the values percent-encoded.
    pub fn query(&self) -> String {
        let mut out = format!(
            "entity={}&stage={}",
            crate::client::segment(&self.entity),
            crate::client::segment(&self.stage)
        );
        if let Some(category) = self.category {
            out.push_str(&format!("&category={category}"));
        }
        out
    }

    fn entity(&self) -> Result<CrmEntity, AdminError> {
        match self.entity.trim() {
            "lead" => Ok(CrmEntity::Lead),
            "deal" => Ok(CrmEntity::Deal),
            other => Err(AdminError::Invalid(format!(
                "`entity`: {other:?} is not acceptable (lead or deal)"
            ))),
        }
    }
}

impl Admin {
    /// Builds a campaign of tenant `id` from the leads or deals in a stage of its CRM:
    /// every record a contact or a refusal naming it; numbers on the tenant's
    /// do-not-call list are refused.
    pub async fn create_campaign_from_crm(
        &self,
        caller: &Caller,
        id: &str,
        settings: &NewCampaign,
        selection: &CrmSelectionQuery,
    ) -> Result<Summary, AdminError> {
        self.visible(caller, id).await?;
        let campaign = settings.campaign()?;
        campaign.validate().map_err(sva_campaign::DeskError::from)?;
        let entity = selection.entity()?;
        let stage = selection.stage.trim();
        if stage.is_empty() || stage.len() > 64 {
            return Err(AdminError::Invalid(format!(
                "`stage`: {stage:?} is not acceptable"
            )));
        }
        if entity == CrmEntity::Lead && selection.category.is_some() {
            return Err(AdminError::Invalid(
                "`category` is for deals only: leads have no pipelines".into(),
            ));
        }
        let reader = self.crm_selection.as_ref().ok_or_else(|| {
            SelectionError::Unreachable("this deployment reads no CRM selections".into())
        })?;
        let records = reader.select(id, entity, stage, selection.category).await?;
        let listed = self.tenants.do_not_call_numbers(id).await?;
        Ok(self
            .campaigns
            .create_from_selection(
                id,
                &campaign,
                &records,
                |e164| listed.contains(e164),
                jiff::Timestamp::now(),
            )
            .await?)
    }
}

/// Builds a campaign from the leads (`entity=lead&stage=<STATUS_ID>`) or deals
/// (`entity=deal&stage=<STAGE_ID>[&category=<CATEGORY_ID>]`) in a stage of the tenant's
/// Bitrix24. Each record becomes a contact (its phone — a deal's from its contact —, its
/// name, its title as the request; the consent basis «заявка в CRM: лид №N» dated with its
/// `DATE_CREATE`; the variables `crm_entity` and `crm_id`) or a refusal naming it.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/campaigns/from-crm", tag = "campaigns",
    params(("tenant" = String, Path, description = "The tenant id"), NewCampaign, CrmSelectionQuery),
    responses(
        (status = 201, description = "The campaign, its counts and its run", body = Object),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
        (status = 409, description = "A campaign with this id exists, or the tenant has no CRM connection", body = ErrorBody),
        (status = 422, description = "The settings or the selection cannot be used (no such stage)", body = ErrorBody),
        (status = 503, description = "The CRM, the dialler or storage failed; nothing was kept", body = ErrorBody),
    ))]
pub async fn create_campaign_from_crm(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(settings): Query<NewCampaign>,
    Query(selection): Query<CrmSelectionQuery>,
) -> Result<(StatusCode, Json<Summary>), AdminError> {
    let summary = admin
        .create_campaign_from_crm(&caller, &tenant, &settings, &selection)
        .await?;
    Ok((StatusCode::CREATED, Json(summary)))
}

/// Builds a campaign from a contact file (the body: CSV in UTF-8 or Windows-1251, `;`
/// or `,`, a header row — see docs/campaigns.md) and hands it to the dialler. Every data
/// row becomes a contact or a refusal with its reason.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/campaigns", tag = "campaigns",
    params(("tenant" = String, Path, description = "The tenant id"), NewCampaign),
    request_body(content = String, content_type = "text/csv", description = "The contact file"),
    responses(
        (status = 201, description = "The campaign, its counts and its run", body = Object),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
        (status = 409, description = "A campaign with this id exists", body = ErrorBody),
        (status = 422, description = "The settings or the file cannot be used", body = ErrorBody),
        (status = 503, description = "The dialler or storage failed; nothing was kept", body = ErrorBody),
    ))]
pub async fn create_campaign(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(settings): Query<NewCampaign>,
    body: Bytes,
) -> Result<(StatusCode, Json<Summary>), AdminError> {
    let summary = admin
        .create_campaign(&caller, &tenant, &settings, &body)
        .await?;
    Ok((StatusCode::CREATED, Json(summary)))
}

/// The tenant's campaigns with their counts.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/campaigns", tag = "campaigns",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The campaigns", body = Object),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
    ))]
pub async fn campaigns(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<Summary>>, AdminError> {
    admin.visible(&caller, &tenant).await?;
    Ok(Json(admin.campaigns.list(&tenant).await?))
}

/// A campaign with its counts: contacts by status, rows refused by reason, attempts.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/campaigns/{campaign}", tag = "campaigns",
    params(("tenant" = String, Path, description = "The tenant id"),
           ("campaign" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The campaign", body = Object),
        (status = 404, description = "No such tenant or campaign", body = ErrorBody),
    ))]
pub async fn campaign(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path((tenant, campaign)): Path<(String, String)>,
) -> Result<Json<Summary>, AdminError> {
    admin.visible(&caller, &tenant).await?;
    Ok(Json(admin.campaigns.summary(&tenant, &campaign).await?))
}

/// A campaign's contacts, each with its status, attempts and calls, and the rows
/// refused with their reasons.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/campaigns/{campaign}/contacts", tag = "campaigns",
    params(("tenant" = String, Path, description = "The tenant id"),
           ("campaign" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The contacts and refusals", body = Object),
        (status = 404, description = "No such tenant or campaign", body = ErrorBody),
    ))]
pub async fn campaign_contacts(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path((tenant, campaign)): Path<(String, String)>,
) -> Result<Json<ContactsView>, AdminError> {
    admin.visible(&caller, &tenant).await?;
    let (contacts, refusals) = admin.campaigns.contacts(&tenant, &campaign).await?;
    Ok(Json(ContactsView { contacts, refusals }))
}

/// What to do with a campaign's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunChange {
    /// No new calls until resumed.
    Pause,
    /// Calls again.
    Resume,
    /// No calls, ever; contacts not reached are cancelled.
    Cancel,
}

/// Pauses, resumes or cancels a campaign (`{"run": "pause" | "resume" | "cancel"}`).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/campaigns/{campaign}/run", tag = "campaigns",
    params(("tenant" = String, Path, description = "The tenant id"),
           ("campaign" = String, Path, description = "The campaign id")),
    request_body = RunRequest,
    responses(
        (status = 200, description = "The campaign after the change", body = Object),
        (status = 404, description = "No such tenant or campaign", body = ErrorBody),
        (status = 409, description = "Not possible in the campaign's state (a cancelled campaign)", body = ErrorBody),
        (status = 503, description = "The dialler failed; nothing changed", body = ErrorBody),
    ))]
pub async fn change_run(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path((tenant, campaign)): Path<(String, String)>,
    Json(request): Json<RunRequest>,
) -> Result<Json<Summary>, AdminError> {
    admin.visible(&caller, &tenant).await?;
    let now = jiff::Timestamp::now();
    let desk = &admin.campaigns;
    let summary = match request.run {
        RunChange::Pause => desk.pause(&tenant, &campaign, now).await?,
        RunChange::Resume => desk.resume(&tenant, &campaign, now).await?,
        RunChange::Cancel => desk.cancel(&tenant, &campaign, now).await?,
    };
    Ok(Json(summary))
}

/// A change of a campaign's run.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// `pause`, `resume` or `cancel`.
    pub run: RunChange,
}
