//! The outbox worker: takes a call's entry, carries it into Bitrix24 with [`Step`],
//! saves progress after every action, and ends it as done (`crm/{tenant}/{day}/{call}.json`),
//! due again later (back-off), or a dead letter (`outbox/dead/crm/…`) with the reason.
//!
//! Only one worker runs a call at a time: while any lease of the call is live nobody
//! else starts, and attempt N is claimed by creating its lease object (`put_if_absent`),
//! so the Object Storage trigger, the timer sweep and a second container never run the
//! same call at once. A worker that dies leaves a lease that expires; the next sweep
//! counts the lost attempt and claims the following one. A call whose result already
//! exists (the end-of-call report was repeated after the CRM step finished) is done.
//!
//! While a call's lead or deal is being decided, its worker also holds the caller's
//! lease (`outbox/lease/crm-caller/{tenant}/{number}/…`, claimed the same way): two calls
//! of one customer are never matched at the same time, so the second one finds the lead
//! the first one made instead of making another. A call whose caller is being decided
//! elsewhere is tried again later (`caller_busy`).

use crate::connect::{ConnectError, Connections};
use crate::routing::Rotation;
use crate::step::{Next, Step};
use async_trait::async_trait;
use bytes::Bytes;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use sva_kit::storage::{DynStore, StorageError};
use sva_kit::unix_now;
use sva_wire::CallRecord;
use sva_wire::key::{
    self, DEAD_PREFIX, OUTBOX_PREFIX, caller_lease, caller_lease_prefix, crm_result, dead_letter,
    lease_prefix, outbox, parse_outbox,
};
use sva_wire::outbox::{EntryError, OutboxEntry};

/// How the worker retries.
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// Attempts before an entry becomes a dead letter.
    pub max_attempts: u32,
    /// The pause after the first failed attempt, doubled after each (capped at an hour).
    pub backoff: Duration,
    /// How long an attempt may hold its lease (longer than the function's timeout).
    pub lease: Duration,
    /// Entries carried at once by a sweep.
    pub concurrency: usize,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            max_attempts: 8,
            backoff: Duration::from_secs(30),
            lease: Duration::from_secs(600),
            concurrency: 4,
        }
    }
}

/// What became of one entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Processed {
    /// Everything is in Bitrix24; the result is at this key.
    Done(String),
    /// The attempt failed; the entry is due again at this unix time.
    Retry {
        /// When.
        at: u64,
        /// Why the attempt failed.
        error: EntryError,
    },
    /// The entry became a dead letter at this key.
    Dead {
        /// The dead letter's key.
        key: String,
        /// Why.
        error: EntryError,
    },
    /// Not taken now: `gone` (done meanwhile), `not_due` (backing off) or `leased`
    /// (another worker has it).
    Skipped(&'static str),
}

/// Why the worker could not do its own job (storage); Bitrix24's failures are not
/// errors here but [`Processed::Retry`] or [`Processed::Dead`].
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The key is not an outbox entry's.
    #[error("{0:?} is not an outbox entry key")]
    Key(String),
}

/// Totals of a sweep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Entries done.
    pub done: usize,
    /// Entries to try again later.
    pub retry: usize,
    /// Entries moved to the dead letters.
    pub dead: usize,
    /// Entries not taken (backing off, leased elsewhere, gone).
    pub skipped: usize,
    /// Entries the worker could not handle (storage failures).
    pub failed: usize,
}

/// The outbox worker.
pub struct Outbox {
    store: DynStore,
    connections: Arc<Connections>,
    config: OutboxConfig,
}

impl Outbox {
    /// A worker over `store`, reaching tenants' portals through `connections`.
    pub fn new(store: DynStore, connections: Arc<Connections>, config: OutboxConfig) -> Outbox {
        Outbox {
            store,
            connections,
            config,
        }
    }

    /// Carries every due entry, `concurrency` at a time.
    pub async fn sweep(self: &Arc<Self>) -> Result<Sweep, OutboxError> {
        let keys = self.store.list(OUTBOX_PREFIX).await?;
        let limit = Arc::new(tokio::sync::Semaphore::new(self.config.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for key in keys {
            let worker = Arc::clone(self);
            let limit = Arc::clone(&limit);
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                worker.process(&key).await
            });
        }
        let mut sweep = Sweep::default();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(Processed::Done(_))) => sweep.done += 1,
                Ok(Ok(Processed::Retry { .. })) => sweep.retry += 1,
                Ok(Ok(Processed::Dead { .. })) => sweep.dead += 1,
                Ok(Ok(Processed::Skipped(_))) => sweep.skipped += 1,
                Ok(Err(e)) => {
                    tracing::warn!("an outbox entry could not be handled: {e}");
                    sweep.failed += 1;
                }
                Err(e) => {
                    tracing::error!("an outbox task failed: {e}");
                    sweep.failed += 1;
                }
            }
        }
        Ok(sweep)
    }

    /// Carries the entry at `key` (an `outbox/crm/{tenant}/{call}.json` key), if it is due
    /// and no other worker has it.
    pub async fn process(&self, key: &str) -> Result<Processed, OutboxError> {
        let (tenant, call_id) = parse_outbox(key)
            .map(|(t, c)| (t.to_owned(), c.to_owned()))
            .ok_or_else(|| OutboxError::Key(key.into()))?;
        let now = unix_now();
        let Some(entry) = self.read(key).await? else {
            return Ok(Processed::Skipped("gone"));
        };
        if entry.next_attempt_at.is_some_and(|at| at > now) {
            return Ok(Processed::Skipped("not_due"));
        }
        let Some(attempt) = self.claim(&tenant, &call_id, entry.attempts, now).await? else {
            return Ok(Processed::Skipped("leased"));
        };
        let lease = key::lease(&tenant, &call_id, attempt);
        // Read again under the lease: another worker may have finished it meanwhile.
        let Some(mut entry) = self.read(key).await? else {
            self.store.delete(&lease).await?;
            return Ok(Processed::Skipped("gone"));
        };
        let result = crm_result(&tenant, &entry.record, &call_id);
        if self.store.exists(&result).await? {
            // Done before: a repeated end-of-call report wrote the entry again.
            self.store.delete(key).await?;
            self.drop_leases(&entry).await?;
            return Ok(Processed::Done(result));
        }
        entry.attempts = attempt;
        let retrying =
            attempt > 1 || entry.last_error.is_some() || entry.progress != Default::default();
        self.save(key, &entry).await?;

        let failure = match self.run(&mut entry, key, retrying).await? {
            Ok(()) => return self.finish(key, entry).await,
            Err(failure) => failure,
        };
        let (code, message, transient) = failure;
        let failed_at = unix_now();
        let error = EntryError {
            code,
            message,
            at: sva_abi::clock::rfc3339(failed_at as i64, 0),
        };
        tracing::warn!(
            tenant = %tenant, call = %call_id, attempt = entry.attempts, code = %error.code,
            "CRM attempt failed: {}", error.message
        );
        entry.last_error = Some(error.clone());
        if !transient || entry.attempts >= self.config.max_attempts {
            return self.bury(key, entry, error).await;
        }
        let pause = self
            .config
            .backoff
            .saturating_mul(1 << (entry.attempts - 1).min(16))
            .min(Duration::from_secs(3600));
        let at = failed_at + pause.as_secs();
        entry.next_attempt_at = Some(at);
        self.save(key, &entry).await?;
        // The attempt is over: the next one may start when it is due.
        self.store.delete(&lease).await?;
        Ok(Processed::Retry { at, error })
    }

    /// Runs the steps, saving progress after each; a failure comes back as its code,
    /// message and whether it is worth another attempt.
    async fn run(
        &self,
        entry: &mut OutboxEntry,
        key: &str,
        retrying: bool,
    ) -> Result<Result<(), (String, String, bool)>, OutboxError> {
        let connection = match self.connections.get(&entry.tenant).await {
            Ok(c) => c,
            Err(e) => return Ok(Err(connect_failure(e))),
        };
        let Some(bytes) = self.store.get(&entry.record).await? else {
            let message = format!("the call record {} is missing", entry.record);
            return Ok(Err(("record_missing".into(), message, false)));
        };
        let mut record = match CallRecord::from_json(&bytes) {
            Ok(r) => r,
            Err(e) => return Ok(Err((e.code().into(), e.to_string(), false))),
        };
        // A call the robot started through Voximplant carries the run's reference, not its
        // token (the session's custom data is too small): the token comes back here.
        crate::robot::restore_event_token(&self.store, &entry.tenant, &mut record.call.custom_data)
            .await?;
        let simple = match connection.simple_mode().await {
            Ok(simple) => simple,
            Err(e) => return Ok(Err((e.code(), e.to_string(), e.is_transient()))),
        };
        let mut caller = None;
        if entry.progress.owner().is_none() && entry.progress.skipped.is_none() {
            match self.claim_caller(&entry.tenant, &record).await? {
                Claim::Won(lease) => caller = lease,
                Claim::Busy => {
                    let message = "another call of this caller is being put into the CRM".into();
                    return Ok(Err(("caller_busy".into(), message, true)));
                }
            }
        }
        let rotation = StoredRotation {
            store: self.store.clone(),
        };
        let step = Step::new(&connection, &record, retrying, simple, &rotation);
        let outcome = loop {
            match step.next(&mut entry.progress).await {
                Ok(Next::Done) => break Ok(()),
                Ok(Next::More) => {
                    self.save(key, entry).await?;
                    if entry.progress.owner().is_some()
                        && let Some(lease) = caller.take()
                    {
                        // The lead or deal exists: the caller's next call finds it.
                        self.store.delete(&lease).await?;
                        self.report_fields(&entry.tenant, &entry.progress).await;
                    }
                }
                Err(e) => {
                    // What was done before the failure is kept.
                    self.save(key, entry).await?;
                    break Err((e.code(), e.to_string(), e.is_transient()));
                }
            }
        };
        if let Some(lease) = caller {
            self.store.delete(&lease).await?;
        }
        Ok(outcome)
    }

    /// Claims the lease on deciding for the call's caller (by the number of the line,
    /// else the one dictated): `Won(None)` when there is no number to hold.
    async fn claim_caller(&self, tenant: &str, record: &CallRecord) -> Result<Claim, OutboxError> {
        let number = record
            .customer_line()
            .and_then(sva_abi::phone::to_e164)
            .or_else(|| record.phones().into_iter().next());
        let Some(number) = number else {
            return Ok(Claim::Won(None));
        };
        let caller: String = number.chars().filter(char::is_ascii_digit).collect();
        let now = unix_now();
        let mut last = 0;
        let expired = self
            .store
            .list(&caller_lease_prefix(tenant, &caller))
            .await?;
        for lease in &expired {
            last = last.max(lease_number(lease));
            if self.lease_until(lease).await? > now {
                return Ok(Claim::Busy);
            }
        }
        let lease = caller_lease(tenant, &caller, last + 1);
        let body = json!({ "until": now + self.config.lease.as_secs() });
        let won = self
            .store
            .put_if_absent(&lease, Bytes::from(body.to_string()))
            .await?;
        if !won {
            return Ok(Claim::Busy);
        }
        // Leases whose workers stopped without letting go: only now that ours is there
        // (a worker listing meanwhile sees it), so the numbers never go back.
        for old in expired {
            self.store.delete(&old).await?;
        }
        Ok(Claim::Won(Some(lease)))
    }

    /// Until when a lease holds (0 when unreadable).
    async fn lease_until(&self, lease: &str) -> Result<u64, OutboxError> {
        Ok(self
            .store
            .get(lease)
            .await?
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["until"].as_u64())
            .unwrap_or(0))
    }

    /// Shows the custom fields the portal lacks (or that refused a value) in the
    /// tenant's CRM status, which the admin API returns. Best effort: a failure to say
    /// so is logged, the call goes on.
    async fn report_fields(&self, tenant: &str, progress: &sva_wire::outbox::Progress) {
        let tenants = self.connections.tenants();
        let result = async {
            let mut status = tenants.crm_status(tenant).await?;
            let mut problems: Vec<sva_tenants::CrmProblem> = status
                .problems
                .iter()
                .filter(|p| !p.setting.starts_with("crm.fields."))
                .cloned()
                .collect();
            problems.extend(
                progress
                    .field_problems
                    .iter()
                    .map(|f| sva_tenants::CrmProblem {
                        setting: format!("crm.fields.{}", f.slot),
                        message: f.problem.clone(),
                    }),
            );
            problems.sort();
            problems.dedup();
            if problems != status.problems {
                status.problems = problems;
                tenants.put_crm_status(tenant, &status).await?;
            }
            Ok::<_, sva_tenants::TenantStoreError>(())
        };
        if let Err(e) = result.await {
            tracing::warn!(tenant, "the CRM status could not be updated: {e}");
        }
    }

    /// Claims the call's next attempt: none while any lease of the call is live; else
    /// the number after every attempt seen (in leases or in the entry), created
    /// create-only so two workers never both win it. A lease that outlived its worker
    /// counts as an attempt.
    async fn claim(
        &self,
        tenant: &str,
        call_id: &str,
        known_attempts: u32,
        now: u64,
    ) -> Result<Option<u32>, OutboxError> {
        let mut last = known_attempts;
        for key in self.store.list(&lease_prefix(tenant, call_id)).await? {
            last = last.max(lease_number(&key));
            if self.lease_until(&key).await? > now {
                return Ok(None);
            }
        }
        let attempt = last + 1;
        let lease = json!({ "until": now + self.config.lease.as_secs() });
        let won = self
            .store
            .put_if_absent(
                &key::lease(tenant, call_id, attempt),
                Bytes::from(lease.to_string()),
            )
            .await?;
        Ok(won.then_some(attempt))
    }

    async fn finish(&self, key: &str, mut entry: OutboxEntry) -> Result<Processed, OutboxError> {
        entry.done_at = Some(sva_abi::clock::rfc3339(unix_now() as i64, 0));
        entry.next_attempt_at = None;
        let result = crm_result(&entry.tenant, &entry.record, &entry.call_id);
        self.store.put(&result, to_bytes(&entry)).await?;
        self.store.delete(key).await?;
        self.drop_leases(&entry).await?;
        tracing::info!(tenant = %entry.tenant, call = %entry.call_id, "the call is in the CRM");
        Ok(Processed::Done(result))
    }

    async fn bury(
        &self,
        key: &str,
        mut entry: OutboxEntry,
        error: EntryError,
    ) -> Result<Processed, OutboxError> {
        entry.next_attempt_at = None;
        let dead = dead_letter(&entry.tenant, &entry.call_id);
        self.store.put(&dead, to_bytes(&entry)).await?;
        self.store.delete(key).await?;
        self.drop_leases(&entry).await?;
        tracing::error!(
            tenant = %entry.tenant, call = %entry.call_id, code = %error.code,
            "the call's CRM work is a dead letter: {}", error.message
        );
        Ok(Processed::Dead { key: dead, error })
    }

    /// Puts dead letters back in the outbox; see [`requeue`].
    pub async fn requeue(&self, tenant: &str, call_id: Option<&str>) -> Result<usize, OutboxError> {
        requeue(&self.store, tenant, call_id).await
    }

    /// The dead letters of a tenant; see [`dead_letters`].
    pub async fn dead_letters(&self, tenant: &str) -> Result<Vec<OutboxEntry>, OutboxError> {
        dead_letters(&self.store, tenant).await
    }

    async fn drop_leases(&self, entry: &OutboxEntry) -> Result<(), OutboxError> {
        let prefix = lease_prefix(&entry.tenant, &entry.call_id);
        for lease in self.store.list(&prefix).await? {
            self.store.delete(&lease).await?;
        }
        Ok(())
    }

    async fn read(&self, key: &str) -> Result<Option<OutboxEntry>, OutboxError> {
        read(&self.store, key).await
    }

    async fn save(&self, key: &str, entry: &OutboxEntry) -> Result<(), OutboxError> {
        self.store.put(key, to_bytes(entry)).await?;
        Ok(())
    }
}

/// Puts dead letters back in the outbox (all of a tenant's, or one call's), with what
/// they had done, so the next sweep resumes them (as a retry: every add is looked up
/// first). Returns how many.
pub async fn requeue(
    store: &DynStore,
    tenant: &str,
    call_id: Option<&str>,
) -> Result<usize, OutboxError> {
    let prefix = match call_id {
        Some(call) => dead_letter(tenant, call),
        None => format!("{DEAD_PREFIX}{tenant}/"),
    };
    let mut moved = 0;
    for key in store.list(&prefix).await? {
        let Some(mut entry) = read(store, &key).await? else {
            continue;
        };
        entry.next_attempt_at = None;
        entry.attempts = 0;
        store
            .put(&outbox(&entry.tenant, &entry.call_id), to_bytes(&entry))
            .await?;
        store.delete(&key).await?;
        moved += 1;
    }
    Ok(moved)
}

/// The dead letters of a tenant.
pub async fn dead_letters(store: &DynStore, tenant: &str) -> Result<Vec<OutboxEntry>, OutboxError> {
    let mut out = Vec::new();
    for key in store.list(&format!("{DEAD_PREFIX}{tenant}/")).await? {
        if let Some(entry) = read(store, &key).await? {
            out.push(entry);
        }
    }
    Ok(out)
}

async fn read(store: &DynStore, key: &str) -> Result<Option<OutboxEntry>, OutboxError> {
    let Some(bytes) = store.get(key).await? else {
        return Ok(None);
    };
    match serde_json::from_slice(&bytes) {
        Ok(entry) => Ok(Some(entry)),
        Err(e) => {
            tracing::error!(key, "an unreadable outbox entry is left alone: {e}");
            Ok(None)
        }
    }
}

/// The number at the end of a lease's key (`…/000003.json` → 3).
fn lease_number(key: &str) -> u32 {
    key.rsplit('/')
        .next()
        .and_then(|name| name.strip_suffix(".json"))
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0)
}

/// A claim on deciding for a caller.
enum Claim {
    /// Ours: the lease to let go (none when the call has no number).
    Won(Option<String>),
    /// Another worker decides for this caller now.
    Busy,
}

/// The rotation's counter kept in the outbox's storage
/// (`outbox/state/crm/{tenant}/rotation.json`): read, bumped, written. Two workers
/// turning at once may read the same number; one manager then gets both customers.
struct StoredRotation {
    store: DynStore,
}

#[async_trait]
impl Rotation for StoredRotation {
    async fn turn(&self, tenant: &str) -> u64 {
        let key = key::crm_rotation(tenant);
        let turn = match self.store.get(&key).await {
            Ok(bytes) => bytes
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| v["next"].as_u64())
                .unwrap_or(0),
            Err(e) => {
                tracing::warn!(tenant, "the rotation could not be read: {e}");
                return 0;
            }
        };
        let next = json!({ "next": turn + 1 });
        if let Err(e) = self.store.put(&key, Bytes::from(next.to_string())).await {
            tracing::warn!(tenant, "the rotation could not be saved: {e}");
        }
        turn
    }
}

fn connect_failure(e: ConnectError) -> (String, String, bool) {
    (e.code(), e.to_string(), e.is_transient())
}

fn to_bytes(entry: &OutboxEntry) -> Bytes {
    Bytes::from(serde_json::to_vec_pretty(entry).unwrap_or_default())
}

/// Runs [`Outbox::sweep`] every `interval` until the task is dropped (the local stack's
/// stand-in for the cloud's trigger).
pub fn spawn_worker(outbox: Arc<Outbox>, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match outbox.sweep().await {
                Ok(sweep) if sweep != Sweep::default() => {
                    tracing::debug!(?sweep, "outbox sweep");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("outbox sweep failed: {e}"),
            }
            tokio::time::sleep(interval).await;
        }
    })
}
