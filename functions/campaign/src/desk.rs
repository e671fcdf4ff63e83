//! Campaigns kept and run: the built plan in the object store, where each contact stands,
//! the dialler (Voximplant's call lists) started, paused, resumed and cancelled, and the
//! checks and data a call needs at its start and end.
//!
//! Objects, per tenant and campaign:
//! - `campaigns/{tenant}/{id}/plan.json` — the [`Plan`], written once when built;
//! - `campaigns/{tenant}/{id}/state.json` — the [`CampaignState`] (run, the call list);
//! - `campaigns/{tenant}/{id}/contacts/{contact}.json` — a contact's [`Progress`], one
//!   object per contact, so concurrent call ends never overwrite each other.

use crate::ingest::{IngestError, Ingested, SelectedContact, ingest, ingest_selection};
use crate::plan::{Campaign, CampaignError, ContactStatus, Plan, PlannedContact, VoicemailPolicy};
use crate::zones::Registry;
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use sva_kit::storage::{DynStore, StorageError};
use sva_wire::outbound::DialRefusal;

/// How long a plan read for a call is trusted (plans never change once built; the state
/// is read every time).
const PLAN_TTL: Duration = Duration::from_secs(300);
/// Plans kept in memory.
const PLAN_CACHE: usize = 64;

/// Contacts' progress objects read at once when a campaign is summarised.
const PROGRESS_READS: usize = 32;

/// Plans read, by tenant and campaign, with when they were read.
type PlanCache = HashMap<(String, String), (Instant, Arc<Plan>)>;

/// Where a campaign's calls are placed: Voximplant's call lists in production.
#[async_trait]
pub trait Dialler: Send + Sync {
    /// Hands the plan's queued contacts to the dialler; the call list's id.
    async fn create(&self, plan: &Plan) -> Result<u64, DiallerError>;
    /// Stops starting new calls of the list (calls in progress go on).
    async fn pause(&self, list: u64) -> Result<(), DiallerError>;
    /// Starts the list's calls again.
    async fn resume(&self, list: u64) -> Result<(), DiallerError>;
    /// Ends the list for good.
    async fn cancel(&self, list: u64) -> Result<(), DiallerError>;
}

/// The dialler refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the dialler failed: {0}")]
pub struct DiallerError(pub String);

/// Why a campaign operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The settings are not valid.
    #[error(transparent)]
    Campaign(#[from] CampaignError),
    /// The file cannot be read at all (rows with problems are refusals, not this).
    #[error(transparent)]
    File(#[from] IngestError),
    /// A campaign with this id exists.
    #[error("кампания {0:?} уже есть")]
    Exists(String),
    /// No such campaign.
    #[error("кампании {0:?} нет")]
    NotFound(String),
    /// The operation does not apply in the campaign's state (resume a cancelled one).
    #[error("кампания {id:?} {state}: это действие к ней не применить")]
    State {
        /// The campaign.
        id: String,
        /// Its state, in Russian.
        state: &'static str,
    },
    /// The dialler failed; the campaign is kept as it was.
    #[error(transparent)]
    Dialler(#[from] DiallerError),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A stored object does not parse.
    #[error("stored campaign object {key:?} is damaged: {message}")]
    Damaged {
        /// The object.
        key: String,
        /// Why.
        message: String,
    },
}

impl DeskError {
    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DeskError::Campaign(e) => e.code(),
            DeskError::File(e) => e.code(),
            DeskError::Exists(_) => "campaign_exists",
            DeskError::NotFound(_) => "campaign_not_found",
            DeskError::State { .. } => "campaign_state",
            DeskError::Dialler(_) => "dialler_failed",
            DeskError::Storage(_) | DeskError::Damaged { .. } => "storage",
        }
    }
}

/// Whether a campaign's calls are being made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Run {
    /// Built and kept, with no dialler configured (e.g. `make dev`): nothing is called.
    Built,
    /// Its call list is being worked.
    Running,
    /// Paused: no new calls until resumed.
    Paused,
    /// Cancelled: no calls, ever.
    Cancelled,
}

impl Run {
    fn russian(self) -> &'static str {
        match self {
            Run::Built => "собрана без обзвона",
            Run::Running => "идёт",
            Run::Paused => "на паузе",
            Run::Cancelled => "отменена",
        }
    }
}

/// A campaign's run, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignState {
    /// Whether calls are being made.
    pub run: Run,
    /// The dialler's call list, once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<u64>,
    /// When it was built.
    pub created_at: Timestamp,
    /// When the run last changed.
    pub updated_at: Timestamp,
}

/// Where one contact stands, as stored after each of its calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The status.
    pub status: ContactStatus,
    /// Calls that reached the contact or were tried.
    pub attempts: u32,
    /// The call ids, oldest first.
    #[serde(default)]
    pub calls: Vec<String>,
    /// Calls the pre-dial check let through since the contact's attempts were last set
    /// (the campaign's start, or a callback the contact asked for): a call not dialled
    /// (its window closed) gives the call list back the rest.
    #[serde(default)]
    pub dials: u32,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Progress {
    fn queued(now: Timestamp) -> Progress {
        Progress {
            status: ContactStatus::Queued,
            attempts: 0,
            calls: Vec::new(),
            dials: 0,
            updated_at: now,
        }
    }
}

/// What a call may do at its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Dial; on an answering machine do as the campaign says.
    Dial {
        /// The campaign's voicemail policy.
        voicemail: VoicemailPolicy,
        /// The campaign's attempts per contact (what a callback asked for gets).
        attempts: u8,
        /// The contact's data for the scenario ([`crate::Contact::custom_data`]).
        contact: BTreeMap<String, String>,
    },
    /// Do not dial now; try at `retry_at` (`None`: never).
    Skip {
        /// Why, as the pre-dial answer names it.
        reason: DialRefusal,
        /// When to try again.
        retry_at: Option<Timestamp>,
        /// With `retry_at`: the attempts the campaign still gives the contact (its
        /// attempts less the calls dialled since they were set); the call list's own
        /// count also took the start of this call, which dialled no one.
        attempts_left: Option<u8>,
    },
}

/// A campaign with its counts, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The settings.
    pub campaign: Campaign,
    /// Its run.
    pub state: CampaignState,
    /// Data rows of the file.
    pub rows: usize,
    /// Contacts accepted.
    pub contacts: usize,
    /// Rows refused, by code.
    pub refused: BTreeMap<String, usize>,
    /// Contacts by status (`queued`, `done`, `failed`, …).
    pub statuses: BTreeMap<String, usize>,
    /// Calls made, all contacts together.
    pub attempts: u64,
}

/// One contact of a campaign, as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactView {
    /// The contact's id in the campaign.
    pub id: String,
    /// The line of the file.
    pub row: usize,
    /// E.164.
    pub phone: String,
    /// How to address the contact, when the file said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The daily window, UTC, `HH:mm:ss-HH:mm:ss`.
    pub window_utc: String,
    /// Where it stands.
    pub status: ContactStatus,
    /// Calls tried.
    pub attempts: u32,
    /// The calls, oldest first.
    pub calls: Vec<String>,
}

/// Keeps and runs campaigns.
pub struct Desk {
    store: DynStore,
    dialler: Option<Arc<dyn Dialler>>,
    plans: Mutex<PlanCache>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("dialler", &self.dialler.is_some())
            .finish_non_exhaustive()
    }
}

fn key(tenant: &str, id: &str, name: &str) -> String {
    format!("campaigns/{tenant}/{id}/{name}")
}

fn contact_key(tenant: &str, id: &str, contact: &str) -> String {
    key(tenant, id, &format!("contacts/{contact}.json"))
}

impl Desk {
    /// Campaigns in `store`, called through `dialler` (`None`: built and kept only).
    pub fn new(store: DynStore, dialler: Option<Arc<dyn Dialler>>) -> Desk {
        Desk {
            store,
            dialler,
            plans: Mutex::new(HashMap::new()),
        }
    }

    /// Builds a campaign from an uploaded file: every data row a contact or a refusal
    /// (`is_do_not_call` on E.164), kept, and
    /// handed to the dialler. The id must be new. If the dialler fails, nothing is kept.
    pub async fn create(
        &self,
        tenant: &str,
        campaign: &Campaign,
        file: &[u8],
        is_do_not_call: impl Fn(&str) -> bool,
        now: Timestamp,
    ) -> Result<Summary, DeskError> {
        campaign.validate()?;
        let ingested = ingest(file, consent_today(now), is_do_not_call)?;
        self.keep(tenant, campaign, ingested, now).await
    }

    /// Builds a campaign from a CRM selection (leads or deals in a stage) as
    /// [`Desk::create`] does from a file: every record a contact or a refusal naming it.
    pub async fn create_from_selection(
        &self,
        tenant: &str,
        campaign: &Campaign,
        selection: &[SelectedContact],
        is_do_not_call: impl Fn(&str) -> bool,
        now: Timestamp,
    ) -> Result<Summary, DeskError> {
        campaign.validate()?;
        let ingested = ingest_selection(selection, consent_today(now), is_do_not_call)?;
        self.keep(tenant, campaign, ingested, now).await
    }

    /// Plans what was read, keeps it, and hands it to the dialler.
    async fn keep(
        &self,
        tenant: &str,
        campaign: &Campaign,
        ingested: Ingested,
        now: Timestamp,
    ) -> Result<Summary, DeskError> {
        let plan = Plan::build(campaign, tenant, ingested, Registry::shipped(), now)?;
        let plan_key = key(tenant, &campaign.id, "plan.json");
        let body = serde_json::to_vec(&plan).map_err(|e| damaged(&plan_key, e))?;
        if !self.store.put_if_absent(&plan_key, body.into()).await? {
            return Err(DeskError::Exists(campaign.id.clone()));
        }
        let (run, list) = match &self.dialler {
            None => (Run::Built, None),
            // Nothing to call: no list to make.
            Some(_) if plan.contacts.is_empty() => (Run::Running, None),
            Some(dialler) => match dialler.create(&plan).await {
                Ok(list) => (Run::Running, Some(list)),
                Err(e) => {
                    // Nothing half-made: the id is free again.
                    self.store.delete(&plan_key).await?;
                    return Err(e.into());
                }
            },
        };
        let state = CampaignState {
            run,
            list,
            created_at: now,
            updated_at: now,
        };
        self.put_state(tenant, &campaign.id, &state).await?;
        Ok(summarise(&plan, state, &HashMap::new()))
    }

    /// The tenant's campaigns, oldest id first.
    pub async fn list(&self, tenant: &str) -> Result<Vec<Summary>, DeskError> {
        let mut ids: Vec<String> = self
            .store
            .list(&format!("campaigns/{tenant}/"))
            .await?
            .iter()
            .filter_map(|k| k.strip_suffix("/plan.json"))
            .filter_map(|k| k.rsplit('/').next())
            .map(str::to_owned)
            .collect();
        ids.dedup();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.summary(tenant, &id).await?);
        }
        Ok(out)
    }

    /// A campaign with its counts.
    pub async fn summary(&self, tenant: &str, id: &str) -> Result<Summary, DeskError> {
        let (plan, state) = self.open(tenant, id).await?;
        let progress = self.progress(tenant, id).await?;
        Ok(summarise(&plan, state, &progress))
    }

    /// A campaign's contacts with where each stands, in file order, and its refusals.
    pub async fn contacts(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<(Vec<ContactView>, Vec<crate::Refusal>), DeskError> {
        let (plan, state) = self.open(tenant, id).await?;
        let progress = self.progress(tenant, id).await?;
        let views = plan
            .contacts
            .iter()
            .map(|c| {
                let p = progress.get(&c.id);
                ContactView {
                    id: c.id.clone(),
                    row: c.contact.row,
                    phone: c.contact.phone.clone(),
                    name: c.contact.contact_name.clone(),
                    window_utc: format!(
                        "{}-{}",
                        c.window.start_execution_time(),
                        c.window.end_execution_time()
                    ),
                    status: current(c, p, state.run),
                    attempts: p.map_or(0, |p| p.attempts),
                    calls: p.map(|p| p.calls.clone()).unwrap_or_default(),
                }
            })
            .collect();
        Ok((views, plan.refusals.clone()))
    }

    /// Pauses a running campaign.
    pub async fn pause(
        &self,
        tenant: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<Summary, DeskError> {
        self.change(tenant, id, now, |run| match run {
            Run::Running | Run::Paused => Some(Run::Paused),
            _ => None,
        })
        .await
    }

    /// Resumes a paused campaign.
    pub async fn resume(
        &self,
        tenant: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<Summary, DeskError> {
        self.change(tenant, id, now, |run| match run {
            Run::Paused | Run::Running => Some(Run::Running),
            _ => None,
        })
        .await
    }

    /// Cancels a campaign for good: contacts not reached are `cancelled`.
    pub async fn cancel(
        &self,
        tenant: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<Summary, DeskError> {
        self.change(tenant, id, now, |run| match run {
            Run::Cancelled => None,
            _ => Some(Run::Cancelled),
        })
        .await
    }

    async fn change(
        &self,
        tenant: &str,
        id: &str,
        now: Timestamp,
        next: impl Fn(Run) -> Option<Run>,
    ) -> Result<Summary, DeskError> {
        let (_, mut state) = self.open(tenant, id).await?;
        let to = next(state.run).ok_or(DeskError::State {
            id: id.to_owned(),
            state: state.run.russian(),
        })?;
        if to != state.run {
            if let (Some(dialler), Some(list)) = (&self.dialler, state.list) {
                match to {
                    Run::Paused => dialler.pause(list).await?,
                    Run::Running => dialler.resume(list).await?,
                    Run::Cancelled => dialler.cancel(list).await?,
                    Run::Built => {}
                }
            }
            state.run = to;
            state.updated_at = now;
            self.put_state(tenant, id, &state).await?;
        }
        self.summary(tenant, id).await
    }

    /// What a call of `contact` may do at `now`: not if the campaign or the contact is
    /// unknown, the campaign is not running, the contact is done, or it is outside the
    /// contact's hours (then when to try again, and with how many attempts). A call let
    /// through is counted on the contact. The do-not-call list is the caller's to check
    /// first (it is the tenant's, not the campaign's).
    pub async fn gate(
        &self,
        tenant: &str,
        id: &str,
        contact: &str,
        now: Timestamp,
    ) -> Result<Gate, DeskError> {
        let skip = |reason| Gate::Skip {
            reason,
            retry_at: None,
            attempts_left: None,
        };
        let (plan, state) = match self.open(tenant, id).await {
            Ok(opened) => opened,
            Err(DeskError::NotFound(_)) => return Ok(skip(DialRefusal::Unknown)),
            Err(e) => return Err(e),
        };
        let Some(planned) = plan.contact(contact) else {
            return Ok(skip(DialRefusal::Unknown));
        };
        if state.run != Run::Running {
            return Ok(skip(DialRefusal::Stopped));
        }
        let progress = self.read_progress(tenant, id, contact).await?;
        if let Some(p) = &progress
            && p.status != ContactStatus::Queued
        {
            return Ok(skip(DialRefusal::Done));
        }
        let attempts = plan.campaign.attempts;
        match plan.may_dial(planned, now) {
            Ok(()) => {
                let mut progress = progress.unwrap_or_else(|| Progress::queued(now));
                progress.dials += 1;
                progress.updated_at = now;
                self.put_progress(tenant, id, contact, &progress).await?;
                Ok(Gate::Dial {
                    voicemail: plan.campaign.voicemail,
                    attempts,
                    contact: planned.contact.custom_data(),
                })
            }
            Err(retry_at) => {
                let dials = progress.map_or(0, |p| p.dials);
                let left = u32::from(attempts).saturating_sub(dials);
                Ok(Gate::Skip {
                    reason: DialRefusal::OutsideWindow,
                    attempts_left: retry_at.map(|_| u8::try_from(left).unwrap_or(0)),
                    retry_at,
                })
            }
        }
    }

    /// The contact asked to be called back: the script gives the task the campaign's
    /// attempts again, so the calls dialled so far no longer count against them.
    pub async fn renew_attempts(
        &self,
        tenant: &str,
        id: &str,
        contact: &str,
        now: Timestamp,
    ) -> Result<(), DeskError> {
        if let Some(mut progress) = self.read_progress(tenant, id, contact).await?
            && progress.dials != 0
        {
            progress.dials = 0;
            progress.updated_at = now;
            self.put_progress(tenant, id, contact, &progress).await?;
        }
        Ok(())
    }

    /// Records a call of `contact` that ended with `status` (its `call` id counted as an
    /// attempt). Unknown campaigns and contacts are ignored (`false`).
    pub async fn record(
        &self,
        tenant: &str,
        id: &str,
        contact: &str,
        call: &str,
        status: ContactStatus,
        now: Timestamp,
    ) -> Result<bool, DeskError> {
        let Ok((plan, _)) = self.open(tenant, id).await else {
            return Ok(false);
        };
        if plan.contact(contact).is_none() {
            return Ok(false);
        }
        let mut progress = self
            .read_progress(tenant, id, contact)
            .await?
            .unwrap_or_else(|| Progress::queued(now));
        if !progress.calls.iter().any(|c| c == call) {
            progress.calls.push(call.to_owned());
            progress.attempts += 1;
        }
        progress.status = status;
        progress.updated_at = now;
        self.put_progress(tenant, id, contact, &progress).await?;
        Ok(true)
    }

    async fn put_progress(
        &self,
        tenant: &str,
        id: &str,
        contact: &str,
        progress: &Progress,
    ) -> Result<(), DeskError> {
        let key = contact_key(tenant, id, contact);
        let body = serde_json::to_vec(progress).map_err(|e| damaged(&key, e))?;
        self.store.put(&key, Bytes::from(body)).await?;
        Ok(())
    }

    async fn open(&self, tenant: &str, id: &str) -> Result<(Arc<Plan>, CampaignState), DeskError> {
        let plan = self.plan(tenant, id).await?;
        let state_key = key(tenant, id, "state.json");
        let state = match self.store.get(&state_key).await? {
            Some(body) => serde_json::from_slice(&body).map_err(|e| damaged(&state_key, e))?,
            None => return Err(DeskError::NotFound(id.to_owned())),
        };
        Ok((plan, state))
    }

    async fn plan(&self, tenant: &str, id: &str) -> Result<Arc<Plan>, DeskError> {
        let cache_key = (tenant.to_owned(), id.to_owned());
        if let Some((at, plan)) = self.cache().get(&cache_key)
            && at.elapsed() < PLAN_TTL
        {
            return Ok(Arc::clone(plan));
        }
        let plan_key = key(tenant, id, "plan.json");
        let body = self
            .store
            .get(&plan_key)
            .await?
            .ok_or_else(|| DeskError::NotFound(id.to_owned()))?;
        let plan: Arc<Plan> =
            Arc::new(serde_json::from_slice(&body).map_err(|e| damaged(&plan_key, e))?);
        let mut cache = self.cache();
        if cache.len() >= PLAN_CACHE {
            cache.clear();
        }
        cache.insert(cache_key, (Instant::now(), Arc::clone(&plan)));
        Ok(plan)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, PlanCache> {
        self.plans.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn progress(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<HashMap<String, Progress>, DeskError> {
        let prefix = key(tenant, id, "contacts/");
        let keys: Vec<(String, String)> = self
            .store
            .list(&prefix)
            .await?
            .into_iter()
            .filter_map(|k| {
                let contact = k.strip_prefix(&prefix)?.strip_suffix(".json")?.to_owned();
                Some((contact, k))
            })
            .collect();
        // One object per contact called: read side by side, not one round trip after
        // another (a campaign of thousands is listed within the admin API's time).
        let reads: Vec<_> = stream::iter(keys)
            .map(|(contact, k)| async move {
                let body = self.store.get(&k).await?;
                Ok::<_, DeskError>((contact, k, body))
            })
            .buffer_unordered(PROGRESS_READS)
            .collect()
            .await;
        let mut out = HashMap::new();
        for read in reads {
            let (contact, k, body) = read?;
            if let Some(body) = body {
                let p: Progress = serde_json::from_slice(&body).map_err(|e| damaged(&k, e))?;
                out.insert(contact, p);
            }
        }
        Ok(out)
    }

    async fn read_progress(
        &self,
        tenant: &str,
        id: &str,
        contact: &str,
    ) -> Result<Option<Progress>, DeskError> {
        let key = contact_key(tenant, id, contact);
        match self.store.get(&key).await? {
            Some(body) => Ok(Some(
                serde_json::from_slice(&body).map_err(|e| damaged(&key, e))?,
            )),
            None => Ok(None),
        }
    }

    async fn put_state(
        &self,
        tenant: &str,
        id: &str,
        state: &CampaignState,
    ) -> Result<(), DeskError> {
        let key = key(tenant, id, "state.json");
        let body = serde_json::to_vec(state).map_err(|e| damaged(&key, e))?;
        self.store.put(&key, Bytes::from(body)).await?;
        Ok(())
    }
}

/// The latest date anywhere in Russia at `now`: a consent dated that day is not in the
/// future.
fn consent_today(now: Timestamp) -> jiff::civil::Date {
    jiff::tz::TimeZone::fixed(jiff::tz::offset(12))
        .to_datetime(now)
        .date()
}

fn damaged(key: &str, e: serde_json::Error) -> DeskError {
    DeskError::Damaged {
        key: key.to_owned(),
        message: e.to_string(),
    }
}

fn summarise(plan: &Plan, state: CampaignState, progress: &HashMap<String, Progress>) -> Summary {
    let mut refused = BTreeMap::new();
    for r in &plan.refusals {
        *refused.entry(r.code.as_str().to_owned()).or_default() += 1;
    }
    let mut statuses = BTreeMap::new();
    let mut attempts = 0;
    for c in &plan.contacts {
        let status = current(c, progress.get(&c.id), state.run);
        *statuses.entry(status.name().to_owned()).or_default() += 1;
        attempts += progress.get(&c.id).map_or(0, |p| u64::from(p.attempts));
    }
    Summary {
        campaign: plan.campaign.clone(),
        state,
        rows: plan.data_rows,
        contacts: plan.contacts.len(),
        refused,
        statuses,
        attempts,
    }
}

/// A contact's status: as last recorded, and `cancelled` for one not reached when the
/// campaign was cancelled.
fn current(c: &PlannedContact, p: Option<&Progress>, run: Run) -> ContactStatus {
    let status = p.map_or_else(|| c.status.clone(), |p| p.status.clone());
    match (run, &status) {
        (Run::Cancelled, ContactStatus::Queued) => ContactStatus::Cancelled,
        _ => status,
    }
}
