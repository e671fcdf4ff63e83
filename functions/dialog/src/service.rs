//! `Dialog::turn`: verify, restore, step, record, sign — within the deadline.

use crate::customer::CustomerLookup;
use crate::model::TurnModel;
use crate::token::{self, Claims, MAX_TURN_LOG, Records, TurnLog};
use crate::{DialogError, ScenarioHandle, Tenant, TenantDirectory};
use std::sync::Arc;
use std::time::Duration;
use sva_abi::{Action, CallContext, Context, CustomerProfile, Event, Limits};
use sva_turn::{
    Knowledge, Language, NoKnowledge, NoLanguage, StepFailure, Turn, TurnOptions, run_turn,
};
use sva_wire::signature;
use sva_wire::turn::{CallEnd, CallEnded, CallOptions, TurnRequest, TurnResponse, VoxAction};

/// The signature headers of a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Headers<'a> {
    /// `X-SVA-Tenant`.
    pub tenant: Option<&'a str>,
    /// `X-SVA-Timestamp`.
    pub timestamp: Option<&'a str>,
    /// `X-SVA-Signature`.
    pub signature: Option<&'a str>,
}

/// How the dialog function behaves.
#[derive(Clone)]
pub struct DialogOptions {
    /// The service key that signs state tokens (never a tenant's secret).
    pub token_key: Vec<u8>,
    /// The per-turn deadline; past it the caller hears the fallback phrase.
    pub turn_deadline: Duration,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Scenario limits (steps per turn and the rest).
    pub limits: Limits,
    /// How calls are priced at their end.
    pub costing: Costing,
    /// How long `call_started` may wait for the CRM's customer lookup (at most half
    /// the turn deadline); past it the call goes on without the profile.
    pub lookup_budget: Duration,
}

/// How the dialog function prices a call at its end.
#[derive(Debug, Clone)]
pub struct Costing {
    /// The operator's price table (tenants' overrides go over it).
    pub prices: std::sync::Arc<sva_costs::PriceTable>,
    /// Choices that are not prices (how synthesis is billed).
    pub options: sva_costs::PricingOptions,
    /// The function instance's memory, MB (as deployed).
    pub memory_mb: u32,
    /// The instance's CPU: cores × core fraction.
    pub vcpu: f64,
}

impl Default for Costing {
    fn default() -> Self {
        Costing {
            prices: std::sync::Arc::new(sva_costs::PriceTable::default_table()),
            options: sva_costs::PricingOptions::default(),
            memory_mb: 512,
            vcpu: 1.0,
        }
    }
}

impl Default for DialogOptions {
    fn default() -> Self {
        DialogOptions {
            token_key: Vec::new(),
            turn_deadline: Duration::from_millis(1200),
            max_body_bytes: 256 << 10,
            limits: Limits::default(),
            costing: Costing::default(),
            lookup_budget: Duration::from_millis(400),
        }
    }
}

impl std::fmt::Debug for DialogOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DialogOptions")
            .field("token_key", &"<redacted>")
            .field("turn_deadline", &self.turn_deadline)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

/// The dialog function.
pub struct Dialog {
    directory: Arc<dyn TenantDirectory>,
    pub(crate) store: Option<sva_kit::storage::DynStore>,
    /// The campaign checks of the pre-dial request (window, paused or cancelled).
    pub(crate) gate: Option<Arc<dyn crate::outbound::CampaignGate>>,
    knowledge: Arc<dyn Knowledge + Send + Sync>,
    /// Whether a knowledge base was given (without one, "no answer" is not a gap).
    has_knowledge: bool,
    customers: Option<Arc<dyn CustomerLookup>>,
    /// The deployment's language model, if one is configured.
    models: Option<Arc<sva_llm::Models>>,
    /// Outbound campaigns (in the same store as the records).
    campaigns: Option<Arc<sva_campaign::desk::Desk>>,
    options: DialogOptions,
}

impl Dialog {
    /// A dialog function over `directory`, with no knowledge base.
    pub fn new(directory: Arc<dyn TenantDirectory>, options: DialogOptions) -> Dialog {
        Dialog {
            directory,
            store: None,
            knowledge: Arc::new(NoKnowledge),
            has_knowledge: false,
            customers: None,
            models: None,
            campaigns: None,
            gate: None,
            options,
        }
    }

    /// Asks `gate` about a campaign's window and state before each outbound call
    /// (`POST /v1/outbound/dial`); without it, only the do-not-call list is checked.
    pub fn with_campaign_gate(mut self, gate: Arc<dyn crate::outbound::CampaignGate>) -> Dialog {
        self.gate = Some(gate);
        self
    }

    /// Gives the `llm` capability to the calls of tenants that enable it, whose
    /// scenario declares it (`docs/llm.md`).
    pub fn with_models(mut self, models: Arc<sva_llm::Models>) -> Dialog {
        self.models = Some(models);
        self
    }

    /// Looks the caller up in the CRM at `call_started` (see [`crate::customer`]).
    pub fn with_customers(mut self, customers: Arc<dyn CustomerLookup>) -> Dialog {
        self.customers = Some(customers);
        self
    }

    /// Writes call records and CRM outbox entries to `store`, and reads the outbound
    /// campaigns kept there: their checks before each call (which give the script the
    /// contact's data for the scenario), each contact's progress at the end.
    pub fn with_storage(mut self, store: sva_kit::storage::DynStore) -> Dialog {
        let desk = Arc::new(sva_campaign::desk::Desk::new(store.clone(), None));
        // A gate given before (a test's) is kept.
        self.gate
            .get_or_insert_with(|| Arc::new(crate::campaign::DeskGate(Arc::clone(&desk))));
        self.campaigns = Some(desk);
        self.store = Some(store);
        self
    }

    /// Uses `knowledge` to answer the scenarios' retrieve requests.
    pub fn with_knowledge(mut self, knowledge: Arc<dyn Knowledge + Send + Sync>) -> Dialog {
        self.knowledge = knowledge;
        self.has_knowledge = true;
        self
    }

    /// Handles one `POST /v1/turn` at the current time.
    pub async fn turn(
        &self,
        headers: Headers<'_>,
        body: &[u8],
    ) -> Result<TurnResponse, DialogError> {
        self.turn_at(headers, body, sva_kit::unix_now()).await
    }

    /// Handles one `POST /v1/turn` as if the time were `now` (Unix seconds).
    pub async fn turn_at(
        &self,
        headers: Headers<'_>,
        body: &[u8],
        now: u64,
    ) -> Result<TurnResponse, DialogError> {
        let (tenant, request) = self.authenticate(headers, body, now).await?;
        // The request is taken apart: the call goes into the scenario's context as it is.
        let TurnRequest {
            call,
            seq,
            event,
            token,
            ..
        } = request;
        let mut claims = self.restore(&tenant, &call, seq, token.as_deref(), &event, now)?;
        if matches!(event, Event::CallStarted) {
            claims.customer = self.customer(&tenant, &call).await;
        }
        let scenario = self
            .directory
            .scenario(&tenant, &claims.version)
            .await
            .map_err(DialogError::ScenarioUnavailable)?;
        let log = TurnLog {
            seq,
            at: now,
            event: event.kind().to_owned(),
            text: event.text().map(str::to_owned),
            digits: match &event {
                Event::Dtmf { digits } => Some(digits.clone()),
                _ => None,
            },
            reason: match &event {
                Event::TransferFailed { reason } => Some(reason.clone()),
                _ => None,
            },
            ..TurnLog::default()
        };
        let context = Context {
            tenant: tenant.context.clone(),
            call,
            now: sva_abi::clock::rfc3339(now as i64, tenant.utc_offset_minutes),
            turn: seq,
            variant: claims.variant.clone(),
            customer: claims.customer.clone(),
            capabilities: self.capabilities(&tenant, scenario.capabilities()),
        };
        // The turn steps from the token's state; its state (or, on failure, that one)
        // goes into the next token.
        let call_tokens = claims.records.llm_tokens();
        let turn = self
            .run_in_time(
                scenario,
                &tenant,
                &claims.state,
                event,
                &context,
                call_tokens,
            )
            .await;
        if let Some(failure) = &turn.failure {
            tracing::warn!(
                tenant = %tenant.context.id,
                call = %context.call.id,
                seq,
                code = %failure.code,
                "scenario failed the turn; the caller heard the fallback phrase"
            );
        }
        Ok(self.answer(&tenant, &context.call.id, claims, turn, log, now))
    }

    /// The CRM's profile of the customer on the line, within the lookup budget.
    async fn customer(&self, tenant: &Tenant, call: &CallContext) -> Option<CustomerProfile> {
        let customers = self.customers.as_ref()?;
        let phone = match call.direction {
            sva_abi::Direction::Inbound => call.caller.as_deref(),
            sva_abi::Direction::Outbound => call.callee.as_deref(),
        }?;
        let budget = self
            .options
            .lookup_budget
            .min(self.options.turn_deadline / 2);
        match tokio::time::timeout(budget, customers.lookup(&tenant.context.id, phone)).await {
            Ok(profile) => profile,
            Err(_) => {
                tracing::info!(
                    tenant = %tenant.context.id,
                    call = %call.id,
                    budget_ms = budget.as_millis() as u64,
                    "the CRM lookup took too long; the call goes on without it"
                );
                None
            }
        }
    }

    /// Handles one `POST /v1/calls/{call_id}/end` at the current time.
    pub async fn end_call(
        &self,
        headers: Headers<'_>,
        call_id: &str,
        body: &[u8],
    ) -> Result<CallEnded, DialogError> {
        self.end_call_at(headers, call_id, body, sva_kit::unix_now())
            .await
    }

    /// Writes the call record and the CRM outbox entry (create-only: a repeated report
    /// changes nothing), as if the time were `now`.
    pub async fn end_call_at(
        &self,
        headers: Headers<'_>,
        call_id: &str,
        body: &[u8],
        now: u64,
    ) -> Result<CallEnded, DialogError> {
        let tenant = self.verify(headers, body, now).await?;
        let end: CallEnd =
            serde_json::from_slice(body).map_err(|e| DialogError::BadRequest(e.to_string()))?;
        if end.tenant != tenant.context.id {
            return Err(DialogError::BadRequest(
                "the body's tenant differs from the X-SVA-Tenant header".into(),
            ));
        }
        if end.call.id != call_id {
            return Err(DialogError::BadRequest(
                "the body's call.id differs from the path".into(),
            ));
        }
        sva_kit::storage::validate_segment(call_id).map_err(|_| {
            DialogError::BadRequest("call id is not usable as a storage key".into())
        })?;
        let claims = token::open(&self.options.token_key, &end.token, now)?;
        if claims.tenant != tenant.context.id {
            return Err(DialogError::TokenMismatch("tenant"));
        }
        if claims.call != call_id {
            return Err(DialogError::TokenMismatch("call"));
        }
        let store = self
            .store
            .as_ref()
            .ok_or_else(|| DialogError::Storage("no object storage is configured".into()))?;
        let storage = |e: sva_kit::storage::StorageError| DialogError::Storage(e.to_string());
        let id = tenant.context.id.clone();
        let day = crate::record::day_of(&end, &tenant, now);
        let key = sva_wire::key::call_record(&id, &day, call_id);
        // The questions nobody answered, for the tenant's `sva kb gaps` (none without a
        // knowledge base: nothing could have answered them).
        let gaps = match self.has_knowledge {
            true => sva_wire::record::unanswered(&claims.records.turns),
            false => Vec::new(),
        };
        let record = crate::record::call_record(
            end,
            claims,
            &tenant,
            now,
            &self.options.costing,
            !gaps.is_empty(),
        );
        let outcome = record.qualification.outcome;
        let callback_at = record.callbacks.last().map(|c| c.at.clone());
        let call = record.call.clone();
        let body = record
            .to_json()
            .map_err(|e| DialogError::BadRequest(e.to_string()))?;
        let created = store
            .put_if_absent(&key, bytes::Bytes::from(body))
            .await
            .map_err(storage)?;
        // Always (create-only): a report retried after the record was written but the
        // outbox entry was not completes the job; the CRM step is idempotent.
        let entry =
            sva_wire::OutboxEntry::new(&id, call_id, &key, sva_abi::clock::rfc3339(now as i64, 0));
        store
            .put_if_absent(&sva_wire::key::outbox(&id, call_id), json_bytes(&entry))
            .await
            .map_err(storage)?;
        // Advice, not the record: a failure here is logged and the call still ends.
        if !gaps.is_empty() {
            let gaps = sva_wire::CallGaps {
                call: call_id.to_owned(),
                questions: gaps,
            };
            let written = store
                .put(&sva_wire::key::gaps(&id, &day, call_id), json_bytes(&gaps))
                .await;
            if let Err(e) = written {
                tracing::warn!(tenant = %id, call = %call_id, "unanswered questions not kept: {e}");
            }
        }
        tracing::info!(tenant = %id, call = %call_id, created, "call ended");
        if outcome == sva_abi::Outcome::DoNotCall {
            crate::outbound::remember_refusal(store, &id, &call).await?;
        }
        if let Some(desk) = &self.campaigns {
            crate::campaign::record(desk, &id, &call, outcome, now).await;
        }
        Ok(CallEnded {
            record: key,
            created,
            outcome: outcome.as_str().to_owned(),
            callback_at,
        })
    }

    /// Checks size, tenant and signature; returns the tenant.
    pub(crate) async fn verify(
        &self,
        headers: Headers<'_>,
        body: &[u8],
        now: u64,
    ) -> Result<Arc<Tenant>, DialogError> {
        let max = self.options.max_body_bytes;
        if body.len() > max {
            return Err(DialogError::PayloadTooLarge {
                len: body.len(),
                max,
            });
        }
        let id = headers
            .tenant
            .ok_or_else(|| DialogError::BadRequest("the X-SVA-Tenant header is missing".into()))?;
        let tenant = self
            .directory
            .tenant(id)
            .await
            .map_err(DialogError::Storage)?
            .ok_or_else(|| DialogError::UnknownTenant(id.to_owned()))?;
        let verify = |secret: &[u8]| {
            signature::verify(secret, headers.timestamp, headers.signature, body, now)
        };
        if let Err(e) = verify(&tenant.signing_secret) {
            // A replaced secret still in its grace period: VoxEngine may not have the
            // new one yet, and calls in flight must not drop.
            let in_grace = matches!(e, signature::SignatureError::Mismatch)
                && tenant
                    .previous_secrets
                    .iter()
                    .any(|(previous, until)| now < *until && verify(previous).is_ok());
            if !in_grace {
                return Err(e.into());
            }
        }
        if tenant.disabled {
            return Err(DialogError::TenantDisabled(id.to_owned()));
        }
        Ok(tenant)
    }

    /// Checks size, tenant, signature and shape; returns the tenant and the request.
    async fn authenticate(
        &self,
        headers: Headers<'_>,
        body: &[u8],
        now: u64,
    ) -> Result<(Arc<Tenant>, TurnRequest), DialogError> {
        let tenant = self.verify(headers, body, now).await?;
        let id = tenant.context.id.as_str();
        let request: TurnRequest =
            serde_json::from_slice(body).map_err(|e| DialogError::BadRequest(e.to_string()))?;
        if request.tenant != id {
            return Err(DialogError::BadRequest(
                "the body's tenant differs from the X-SVA-Tenant header".into(),
            ));
        }
        if request.call.id.is_empty() || request.call.id.len() > 128 {
            return Err(DialogError::BadRequest(
                "call.id must have 1..=128 characters".into(),
            ));
        }
        Ok((tenant, request))
    }

    /// Opens the token (or starts a call) and checks that the request follows it.
    fn restore(
        &self,
        tenant: &Tenant,
        call: &CallContext,
        seq: u32,
        token: Option<&str>,
        event: &Event,
        now: u64,
    ) -> Result<Claims, DialogError> {
        if matches!(event, Event::CallStarted) {
            if seq != 0 || token.is_some() {
                return Err(DialogError::BadRequest(
                    "call_started must be turn 0 and carry no token".into(),
                ));
            }
            let (version, variant) = tenant.routing.assign(&call.id).ok_or_else(|| {
                DialogError::ScenarioUnavailable(format!(
                    "tenant {} has no active scenario version",
                    tenant.context.id
                ))
            })?;
            return Ok(Claims {
                v: 1,
                tenant: tenant.context.id.clone(),
                call: call.id.clone(),
                version,
                variant,
                seq: 0,
                exp: 0,
                state: sva_abi::State::null(),
                records: Records::default(),
                customer: None,
            });
        }
        if matches!(event, Event::RetrieveResult { .. }) {
            return Err(DialogError::BadRequest(
                "retrieve_result is answered by the host, not sent by VoxEngine".into(),
            ));
        }
        let token = token.ok_or_else(|| {
            DialogError::BadRequest("every turn after call_started needs the token".into())
        })?;
        let claims = token::open(&self.options.token_key, token, now)?;
        if claims.tenant != tenant.context.id {
            return Err(DialogError::TokenMismatch("tenant"));
        }
        if claims.call != call.id {
            return Err(DialogError::TokenMismatch("call"));
        }
        if seq != claims.seq + 1 {
            return Err(DialogError::OutOfOrder {
                last: claims.seq,
                got: seq,
            });
        }
        Ok(claims)
    }

    /// Runs the turn under the turn deadline: the scenario's steps in place (each bounded
    /// by the sandbox's fuel and epoch deadline), the capabilities it asks for awaited.
    /// Past the deadline whatever is still awaited is dropped and the caller hears the
    /// fallback phrase, with the state from before the turn.
    async fn run_in_time(
        &self,
        scenario: ScenarioHandle,
        tenant: &Tenant,
        state: &sva_abi::State,
        event: Event,
        context: &Context,
        call_tokens: u32,
    ) -> Turn {
        let options = TurnOptions {
            limits: self.options.limits.clone(),
            fallback_phrase: tenant.fallback_phrase.clone(),
            ..TurnOptions::default()
        };
        let deadline = self.options.turn_deadline;
        let model = self.models.as_deref().map(|models| {
            let until = tokio::time::Instant::now() + deadline;
            TurnModel::new(models, tenant, until, call_tokens, sva_kit::unix_now())
        });
        let language: &dyn Language = match &model {
            Some(model) => model,
            None => &NoLanguage,
        };
        let turn = run_turn(
            scenario.as_ref(),
            self.knowledge.as_ref(),
            language,
            &options,
            state,
            event,
            context,
        );
        match tokio::time::timeout(deadline, turn).await {
            Ok(turn) => turn,
            Err(_) => {
                let late = StepFailure::new(
                    "turn_deadline",
                    format!("the turn took longer than {} ms", deadline.as_millis()),
                );
                sva_turn::fallback(&options, state, 0, Vec::new(), late)
            }
        }
    }

    /// The capabilities a call is given: those its scenario declares that this
    /// deployment has and the tenant enabled.
    fn capabilities(&self, tenant: &Tenant, declared: &[String]) -> Vec<String> {
        let llm = self.models.is_some()
            && tenant.llm.enabled
            && declared.iter().any(|c| c == sva_abi::LLM_CAPABILITY);
        if llm {
            vec![sva_abi::LLM_CAPABILITY.to_owned()]
        } else {
            Vec::new()
        }
    }

    /// Records the turn in the claims, signs the next token and maps the actions.
    fn answer(
        &self,
        tenant: &Tenant,
        call_id: &str,
        mut claims: Claims,
        turn: Turn,
        mut log: TurnLog,
        now: u64,
    ) -> TurnResponse {
        let mut actions = Vec::with_capacity(turn.actions.len());
        for action in turn.actions {
            match action {
                Action::Say(say) => actions.push(VoxAction::Say {
                    text: say.text,
                    barge_in: say.barge_in,
                    voice: say.voice.unwrap_or_else(|| tenant.voice.clone()),
                }),
                Action::Listen { timeout_ms } => actions.push(VoxAction::Listen { timeout_ms }),
                Action::Transfer(t) => actions.push(VoxAction::Transfer {
                    to: t.to,
                    summary: t.summary,
                    timeout_s: tenant.calls.transfer_timeout_s,
                }),
                Action::Hangup { reason } => actions.push(VoxAction::Hangup { reason }),
                Action::Qualification(q) => claims.records.qualification = q,
                Action::ScheduleCallback { at, note } => claims.records.callbacks.push((at, note)),
                Action::Log { level, message } => tracing::info!(
                    tenant = %tenant.context.id,
                    call = %call_id,
                    level = ?level,
                    "scenario: {message}"
                ),
                // Requests are answered inside the turn and never reach VoxEngine.
                Action::Retrieve(_) | Action::Llm(_) => {}
            }
        }
        // A recorded call is announced before anything else is said.
        let seq = log.seq;
        let options = (seq == 0).then_some(CallOptions {
            record: tenant.calls.record,
        });
        if tenant.calls.record && seq == 0 {
            actions.insert(
                0,
                VoxAction::Say {
                    text: tenant.recording_notice.clone(),
                    barge_in: false,
                    voice: tenant.voice.clone(),
                },
            );
        }
        if turn.failure.is_some() {
            claims.records.failures += 1;
        }
        for action in &actions {
            match action {
                VoxAction::Say { text, .. } => log.said.push(text.clone()),
                VoxAction::Listen { .. } => log.then = "listen".into(),
                VoxAction::Transfer { to, .. } => {
                    log.then = "transfer".into();
                    log.transfer_to = Some(to.clone());
                }
                VoxAction::Hangup { .. } => log.then = "hangup".into(),
            }
        }
        log.steps = turn.steps as u32;
        claims.records.embedding_tokens += turn
            .retrievals
            .iter()
            .map(|r| r.embedding_tokens)
            .sum::<u64>();
        log.knowledge = turn
            .retrievals
            .iter()
            .map(|r| token::Lookup {
                query: r.request.query.clone(),
                sources: r.hits.iter().map(|h| h.source.clone()).collect(),
                error: r.error.clone(),
            })
            .collect();
        for call in &turn.model_calls {
            if let Some(u) = &call.usage {
                claims.records.llm_input_tokens += u64::from(u.prompt_tokens);
                claims.records.llm_output_tokens += u64::from(u.completion_tokens);
                sva_wire::ModelTokens::add(
                    &mut claims.records.llm_models,
                    &u.model,
                    u64::from(u.prompt_tokens),
                    u64::from(u.completion_tokens),
                );
            }
        }
        log.model = turn
            .model_calls
            .iter()
            .map(|c| token::ModelLog {
                id: c.id.clone(),
                task: c.task.to_owned(),
                status: c.status,
                model: c.usage.as_ref().map(|u| u.model.clone()),
                prompt_tokens: c.usage.as_ref().map_or(0, |u| u.prompt_tokens),
                completion_tokens: c.usage.as_ref().map_or(0, |u| u.completion_tokens),
                latency_ms: c.usage.as_ref().map(|u| u.latency_ms),
            })
            .collect();
        log.failure = turn.failure.as_ref().map(|f| f.code.clone());
        let turns = &mut claims.records.turns;
        // A retried turn replaces its own entry instead of adding one.
        turns.retain(|t| t.seq < log.seq);
        turns.push(log);
        if turns.len() > MAX_TURN_LOG {
            let excess = turns.len() - MAX_TURN_LOG;
            turns.drain(..excess);
            claims.records.turns_dropped += excess as u32;
        }
        claims.state = turn.state;
        claims.seq = seq;
        claims.exp = now + token::LIFETIME_S;
        TurnResponse {
            seq,
            token: token::issue(&self.options.token_key, &claims),
            actions,
            options,
        }
    }
}

fn json_bytes(value: &impl serde::Serialize) -> bytes::Bytes {
    bytes::Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}
