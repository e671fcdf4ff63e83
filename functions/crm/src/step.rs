//! One call into Bitrix24, one action at a time: [`Step::next`] does the first thing
//! that is not done yet and records it in [`Progress`], which the caller saves before
//! asking for the next.
//!
//! The order (`docs/bitrix24.md` §3):
//!
//! 1. **Where the call goes** — the caller's contacts, companies and leads are matched
//!    ([`crate::matching`]) and a rule picked: onto an open deal or an open lead, a new
//!    deal for a known contact or company, or — for a new caller — a lead alone (a
//!    contact and a deal on a portal in the simple CRM mode). Who it is assigned to comes
//!    from the routing ([`crate::routing`]). The outbox holds the caller's lease from
//!    here until the lead or deal exists, so two calls of one customer never both create
//!    one; a later attempt decides again unless what an earlier one created is found
//!    (`ORIGIN_ID`).
//! 2. The lead or deal, with the custom fields written in their types; a known contact
//!    gets the e-mail it lacked.
//! 3. The transcript as a timeline comment, then a to-do per booked callback (with
//!    reminders).
//! 4. The call history (OAuth): registered on the lead, or on the deal's contact or
//!    company and then bound to the deal; finished; the recording; the transcription —
//!    which does not wait on the recording.
//!
//! 5. A call a Bitrix24 robot started ([`crate::robot`]) goes onto the robot's lead or
//!    deal in step 1, and last the robot run is answered (`bizproc.event.send`).
//!
//! Nothing a caller said can cost the record: a contact the portal refuses is skipped, a
//! lead or deal it refuses is made again with the essential fields, a custom field it
//! lacks is reported, and a call history it refuses is noted and left out.

use crate::connect::Connection;
use crate::custom;
use crate::fields::{self, Customer, ORIGINATOR};
use crate::matching::{self, Decision, Rule, as_id};
use crate::robot;
use crate::routing::{Rotation, Routing};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use sva_bitrix::{Batch, BitrixError, Client, Idempotency};
use sva_wire::CallRecord;
use sva_wire::outbox::{Progress, Telephony};

/// Whether there is more to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// One more thing was done; call [`Step::next`] again (after saving).
    More,
    /// Everything is done.
    Done,
}

/// The work for one call, for one attempt.
pub struct Step<'a> {
    /// The tenant's portal and settings.
    pub connection: &'a Connection,
    /// The call.
    pub record: &'a CallRecord,
    /// Whether an earlier attempt ran (then every add is looked up first).
    pub retrying: bool,
    /// Whether the portal runs the simple CRM mode: deals, never leads.
    pub simple: bool,
    /// Whose turn it is in the tenant's rotation.
    pub rotation: &'a dyn Rotation,
    /// Whether this attempt decided where the call goes (an earlier attempt's decision
    /// to create is checked again).
    decided: AtomicBool,
}

use Idempotency::{Safe, Unsafe};

/// The rule of a call a robot started on a lead or deal: onto that record.
pub const ROBOT_RULE: &str = "robot_document";

/// What a `finish` of a call the portal no longer has active says.
const CALL_NOT_FOUND: &str = "Call is not found";

impl<'a> Step<'a> {
    /// The work for `record` on `connection`.
    pub fn new(
        connection: &'a Connection,
        record: &'a CallRecord,
        retrying: bool,
        simple: bool,
        rotation: &'a dyn Rotation,
    ) -> Step<'a> {
        Step {
            connection,
            record,
            retrying,
            simple,
            rotation,
            decided: AtomicBool::new(false),
        }
    }

    fn client(&self) -> &Client {
        &self.connection.client
    }

    fn routing(&self) -> Routing<'_> {
        Routing::new(&self.connection.crm)
    }

    /// Does the next thing; see the module docs for the order.
    pub async fn next(&self, p: &mut Progress) -> Result<Next, BitrixError> {
        if self.crm_next(p).await? == Next::More {
            return Ok(Next::More);
        }
        if p.robot_answer.is_none()
            && let Some(token) = self.robot_token()
        {
            self.answer_robot(p, token).await?;
            return Ok(Next::More);
        }
        Ok(Next::Done)
    }

    /// The `event_token` of the Bitrix24 robot run the call came from.
    fn robot_token(&self) -> Option<&str> {
        self.record
            .call
            .custom_data
            .get(robot::EVENT_TOKEN_KEY)
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
    }

    /// Answers the robot run: the outcome, a summary and the call id. A token the portal
    /// no longer takes (answered, expired, the robot removed) is noted, not retried.
    async fn answer_robot(&self, p: &mut Progress, token: &str) -> Result<(), BitrixError> {
        let outcome = self.record.qualification.outcome;
        let values = json!({
            "outcome": outcome.as_str(),
            "summary": fields::summary(self.record),
            "call_id": self.record.call.id,
        });
        let log = format!(
            "Голосовой ассистент: звонок {} завершён, итог — {}",
            self.record.call.id,
            fields::outcome_title(outcome)
        );
        match robot::answer(self.client(), token, values, &log).await {
            Ok(()) => p.robot_answer = Some("sent".into()),
            Err(e) if e.is_transient() => return Err(e),
            Err(e) => {
                tracing::warn!(call = %self.record.call.id, "the robot run was not answered: {e}");
                p.robot_answer = Some(format!("не отправлено: {e}"));
            }
        }
        Ok(())
    }

    /// The CRM work proper, one thing at a time.
    async fn crm_next(&self, p: &mut Progress) -> Result<Next, BitrixError> {
        if p.skipped.is_some() {
            return Ok(Next::Done);
        }
        let phones = self.record.phones();
        if p.owner().is_none() {
            if phones.is_empty() && self.record.qualification.slots.is_empty() {
                p.skipped = Some("no number and nothing said".into());
                return Ok(Next::Done);
            }
            self.toward_owner(p, &phones).await?;
            return Ok(Next::More);
        }
        if p.contact_known == Some(true) && !p.contact_updated {
            if let Err(e) = self.complete_contact(p).await {
                if !is_refusal(&e) {
                    return Err(e);
                }
                tracing::info!(call = %self.record.call.id, "the contact kept its e-mail: {e}");
            }
            p.contact_updated = true;
            return Ok(Next::More);
        }
        let (owner_type, owner_id) = p.owner().unwrap_or(("lead", 0));
        if p.comment_id.is_none() {
            p.comment_id = Some(self.comment(owner_type, owner_id).await?);
            return Ok(Next::More);
        }
        // Callbacks before the call history: a manager's to-do matters more, and a
        // telephony refusal must not keep it from being made.
        if p.todo_ids.len() < self.record.callbacks.len() {
            let index = p.todo_ids.len();
            let id = self.todo(index, p, owner_type, owner_id).await?;
            p.todo_ids.push(id);
            return Ok(Next::More);
        }
        if p.telephony_skipped.is_none() && !telephony_done(p) {
            self.call_history(p, &phones).await?;
            return Ok(Next::More);
        }
        Ok(Next::Done)
    }

    /// One step toward the lead or deal: where the call goes, then the contact (simple
    /// CRM mode), then the record.
    async fn toward_owner(&self, p: &mut Progress, phones: &[String]) -> Result<(), BitrixError> {
        if p.rule.is_some() && !self.decided.load(Ordering::Relaxed) {
            // An earlier attempt decided to create and did not finish: what it made is
            // ours; otherwise the world may have changed since, so decide again.
            if self.adopt_ours(p).await? {
                return Ok(());
            }
            forget_decision(p);
        }
        if p.rule.is_none() {
            if self.onto_robot_document(p).await? {
                return Ok(());
            }
            return self.decide(p, phones).await;
        }
        if p.rule.as_deref() == Some(Rule::NewContactAndDeal.code())
            && p.contact_id.is_none()
            && p.contact_failed.is_none()
        {
            return self.create_contact(p).await;
        }
        self.create_owner(p).await
    }

    /// A call a robot started on a lead or deal goes onto that record (its contact's or
    /// company's call history for a deal); `false` when the call came from no robot, or
    /// from one on a contact or company, or the record is gone (then the caller is
    /// matched as usual).
    async fn onto_robot_document(&self, p: &mut Progress) -> Result<bool, BitrixError> {
        let Some(document) = self
            .record
            .call
            .custom_data
            .get(robot::DOCUMENT_KEY)
            .and_then(Value::as_str)
            .and_then(robot::Document::parse)
            .filter(|d| matches!(d.entity, "LEAD" | "DEAL"))
        else {
            return Ok(false);
        };
        let found = match robot::record_of(self.client(), document.entity, document.id).await {
            Ok(record) => record,
            Err(e) if e.is_not_found() => return Ok(false),
            Err(e) => return Err(e),
        };
        let id_of = |field: &str| as_id(&found[field]);
        p.rule = Some(ROBOT_RULE.into());
        p.attached = true;
        p.assigned_id = id_of("ASSIGNED_BY_ID");
        if document.entity == "DEAL" {
            p.deal_id = Some(document.id);
            p.contact_id = id_of("CONTACT_ID");
            p.company_id = id_of("COMPANY_ID");
        } else {
            p.lead_id = Some(document.id);
        }
        self.decided.store(true, Ordering::Relaxed);
        tracing::info!(call = %self.record.call.id, document = %document.key(), "the call goes onto the robot's record");
        Ok(true)
    }

    /// Matches the caller and records where the call goes and who it is assigned to.
    async fn decide(&self, p: &mut Progress, phones: &[String]) -> Result<(), BitrixError> {
        let routing = self.routing();
        let found = matching::find(self.client(), phones).await?;
        let known = matching::look(self.client(), &found, &routing.candidates()).await?;
        let decision = matching::decide(&known, self.simple);
        let turn = if routing.needs_turn(decision.own_manager, &known.active) {
            Some(self.rotation.turn(&self.record.tenant).await)
        } else {
            None
        };
        record_decision(p, &decision);
        p.contact_known = Some(known.contact.is_some());
        p.assigned_id = routing.assignee(decision.own_manager, &known.active, turn);
        if decision.rule == Rule::NewContactAndDeal && phones.is_empty() {
            p.contact_failed = Some("номер клиента неизвестен: контакт не создан".into());
        }
        self.decided.store(true, Ordering::Relaxed);
        tracing::info!(call = %self.record.call.id, rule = decision.rule.code(), "where the call goes");
        Ok(())
    }

    /// The contact of a new caller on a portal in the simple CRM mode. One the portal
    /// refuses (a misheard e-mail) must not cost the deal.
    async fn create_contact(&self, p: &mut Progress) -> Result<(), BitrixError> {
        let fields = fields::contact(self.record, &self.routing(), p.assigned_id);
        match self.add("crm.contact.add", fields).await {
            Ok(id) => p.contact_id = Some(id),
            Err(e) if is_refusal(&e) => p.contact_failed = Some(e.to_string()),
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// The lead (a new caller, classic CRM) or the deal. When the portal refuses it (a
    /// currency it lacks), it is made again with the essential fields, the rest in the
    /// comments.
    async fn create_owner(&self, p: &mut Progress) -> Result<(), BitrixError> {
        let deal = p.rule.as_deref() != Some(Rule::NewLead.code());
        let customer = Customer {
            contact: p.contact_id,
            company: p.company_id,
        };
        let routing = self.routing();
        let (add, entity, mut full) = match deal {
            true => (
                "crm.deal.add",
                "deals",
                fields::deal(self.record, &routing, p.assigned_id, customer),
            ),
            false => (
                "crm.lead.add",
                "leads",
                fields::lead(self.record, &routing, p.assigned_id),
            ),
        };
        let portal_fields = self.connection.custom_fields().await?;
        let described = if deal {
            &portal_fields.deal
        } else {
            &portal_fields.lead
        };
        let (custom, problems) =
            custom::values(self.record, &self.connection.crm.fields, described, entity);
        if let Value::Object(map) = &mut full {
            map.extend(custom);
        }
        p.field_problems = problems;
        let id = match self.add(add, full).await {
            Ok(id) => id,
            Err(e) if is_refusal(&e) => {
                tracing::warn!(call = %self.record.call.id, "{add} refused a field; made with the essentials: {e}");
                let mut minimal = fields::minimal(self.record, deal, customer);
                let note = format!("\nПортал не принял часть полей: {e}");
                if let Some(comments) = minimal
                    .get_mut("COMMENTS")
                    .and_then(|c| c.as_str().map(|c| c.to_owned() + &note))
                {
                    minimal["COMMENTS"] = Value::String(comments);
                }
                p.minimal = Some(e.to_string());
                self.add(add, minimal).await?
            }
            Err(e) => return Err(e),
        };
        if deal {
            p.deal_id = Some(id);
        } else {
            p.lead_id = Some(id);
        }
        Ok(())
    }

    /// Takes what an earlier attempt of this call created (`ORIGIN_ID`): its lead or deal
    /// (then the call's place is settled), or its contact (then only the deal is left).
    async fn adopt_ours(&self, p: &mut Progress) -> Result<bool, BitrixError> {
        let mut batch = Batch::new();
        let filter = json!({
            "filter": { "=ORIGINATOR_ID": ORIGINATOR, "=ORIGIN_ID": self.record.call.id },
            "select": ["ID"], "order": { "ID": "ASC" }, "start": -1,
        });
        for (key, method) in [
            ("lead", "crm.lead.list"),
            ("deal", "crm.deal.list"),
            ("contact", "crm.contact.list"),
        ] {
            batch.add(key, method, &filter);
        }
        let reply = self.client().batch(&batch, Safe).await?;
        let first = |key: &str| -> Result<Option<u64>, BitrixError> {
            Ok(reply
                .take(key)?
                .as_array()
                .and_then(|rows| rows.first())
                .and_then(|row| as_id(&row["ID"])))
        };
        if let Some(id) = first("deal")? {
            p.deal_id = Some(id);
            return Ok(true);
        }
        if let Some(id) = first("lead")? {
            p.lead_id = Some(id);
            return Ok(true);
        }
        if let Some(id) = first("contact")?
            && p.rule.as_deref() == Some(Rule::NewContactAndDeal.code())
        {
            p.contact_id = Some(id);
            self.decided.store(true, Ordering::Relaxed);
            return Ok(true);
        }
        Ok(false)
    }

    /// Gives a known contact the e-mail the caller dictated, if it lacks it. A new
    /// multifield entry is an add, so it is checked against the contact every time.
    async fn complete_contact(&self, p: &Progress) -> Result<(), BitrixError> {
        let (Some(id), Some(email)) = (p.contact_id, self.record.slot_text("email")) else {
            return Ok(());
        };
        let contact = self
            .client()
            .call("crm.contact.get", json!({ "id": id }), Safe)
            .await?;
        let has = contact
            .result
            .get("EMAIL")
            .and_then(Value::as_array)
            .is_some_and(|emails| {
                emails.iter().any(|e| {
                    e.get("VALUE")
                        .and_then(Value::as_str)
                        .is_some_and(|v| v.eq_ignore_ascii_case(&email))
                })
            });
        if !has {
            self.client()
                .call(
                    "crm.contact.update",
                    json!({ "id": id, "fields": { "EMAIL": [{ "VALUE": email, "VALUE_TYPE": "WORK" }] } }),
                    Unsafe,
                )
                .await?;
        }
        Ok(())
    }

    /// Adds a record; its id.
    async fn add(&self, add: &str, fields: Value) -> Result<u64, BitrixError> {
        let reply = self
            .client()
            .call(
                add,
                json!({ "fields": fields, "params": { "REGISTER_SONET_EVENT": "Y" } }),
                Unsafe,
            )
            .await?;
        as_id(&reply.result).ok_or_else(|| unexpected(add, &reply.result))
    }

    /// The transcript on the lead's or deal's timeline.
    async fn comment(&self, owner_type: &str, owner_id: u64) -> Result<u64, BitrixError> {
        let marker = fields::marker(&self.record.call.id);
        if self.retrying {
            let reply = self
                .client()
                .call(
                    "crm.timeline.comment.list",
                    // The newest first: a record the call was attached to may have pages
                    // of older comments.
                    json!({ "filter": { "ENTITY_ID": owner_id, "ENTITY_TYPE": owner_type }, "select": ["ID", "COMMENT"], "order": { "ID": "DESC" } }),
                    Safe,
                )
                .await?;
            if let Some(id) = find_marked(&reply.result, "COMMENT", &marker) {
                return Ok(id);
            }
        }
        // `fields` in lower case: the only spelling crm 23.100+ accepts
        // (`docs/bitrix24-rest.md` §6).
        let reply = self
            .client()
            .call(
                "crm.timeline.comment.add",
                json!({ "fields": {
                    "ENTITY_ID": owner_id,
                    "ENTITY_TYPE": owner_type,
                    "COMMENT": fields::transcript_comment(self.record),
                } }),
                Unsafe,
            )
            .await?;
        as_id(&reply.result).ok_or_else(|| unexpected("crm.timeline.comment.add", &reply.result))
    }

    /// A to-do for the responsible manager for booked callback `index`, reminding them
    /// as the tenant set (`pingOffsets`).
    async fn todo(
        &self,
        index: usize,
        p: &Progress,
        owner_type: &str,
        owner_id: u64,
    ) -> Result<u64, BitrixError> {
        let callback = &self.record.callbacks[index];
        let marker = format!(
            "{} (перезвон {})",
            fields::marker(&self.record.call.id),
            index + 1
        );
        let owner_type_id = if owner_type == "deal" { 2 } else { 1 };
        if self.retrying {
            let reply = self
                .client()
                .call(
                    "crm.activity.list",
                    json!({
                        "filter": { "OWNER_TYPE_ID": owner_type_id, "OWNER_ID": owner_id, "PROVIDER_ID": "CRM_TODO" },
                        "select": ["ID", "DESCRIPTION"],
                        "order": { "ID": "DESC" },
                    }),
                    Safe,
                )
                .await?;
            if let Some(id) = find_marked(&reply.result, "DESCRIPTION", &marker) {
                return Ok(id);
            }
        }
        let mut description = String::from("Клиент просил перезвонить");
        if !callback.note.is_empty() {
            description.push_str(&format!(": {}", callback.note));
        }
        description.push_str(&format!(".\n{marker}"));
        let mut params = json!({
            "ownerTypeId": owner_type_id,
            "ownerId": owner_id,
            "deadline": fields::deadline(&callback.at, self.record),
            "title": "Перезвонить клиенту",
            "description": description,
            "pingOffsets": self.routing().reminders(),
        });
        if let Some(user) = p.assigned_id {
            params["responsibleId"] = json!(user);
        }
        let reply = self
            .client()
            .call("crm.activity.todo.add", params, Unsafe)
            .await?;
        reply
            .result
            .get("id")
            .and_then(as_id)
            .ok_or_else(|| unexpected("crm.activity.todo.add", &reply.result))
    }

    /// The call history, one action per call: register, finish, bind to the deal,
    /// recording, transcription. What the portal refuses for good (an inactive user, a
    /// number format, a missing scope) is noted and the rest goes on.
    async fn call_history(&self, p: &mut Progress, phones: &[String]) -> Result<(), BitrixError> {
        if !self.client().is_oauth() {
            p.telephony_skipped =
                Some("вебхук не может писать историю звонков: нужно OAuth-приложение".into());
            return Ok(());
        }
        let Some(phone) = phones.first() else {
            p.telephony_skipped = Some("номер клиента неизвестен".into());
            return Ok(());
        };
        match self.telephony(p, phone).await {
            Ok(()) => Ok(()),
            Err(e) if !e.is_transient() => {
                p.telephony_skipped = Some(format!("история звонков не записана: {e}"));
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The next telephony action.
    async fn telephony(&self, p: &mut Progress, phone: &str) -> Result<(), BitrixError> {
        let user = p
            .assigned_id
            .or(self.connection.crm.responsible_user_id)
            .unwrap_or(1);
        let Some(call) = p.telephony.as_mut() else {
            return self.register(p, phone, user).await;
        };
        if !call.finished {
            return self.finish(call, user).await;
        }
        if p.deal_id.is_some() && !call.bound {
            let deal = p.deal_id.unwrap_or(0);
            return self.bind(call, deal).await;
        }
        if !call.record_attached {
            return self.attach_record(call).await;
        }
        self.attach_transcription(call).await
    }

    /// Registers the call on the lead, or on the deal's contact or company: the call
    /// history takes no deal (`CRM_ENTITY_TYPE` is `CONTACT`, `COMPANY` or `LEAD`,
    /// `docs/bitrix24-rest.md` §6). A deal with neither is left out rather than bound to
    /// whoever else has the number.
    async fn register(&self, p: &mut Progress, phone: &str, user: u64) -> Result<(), BitrixError> {
        let entity = match (p.lead_id, p.deal_id, p.contact_id, p.company_id) {
            (Some(lead), None, _, _) => ("LEAD", lead),
            (_, Some(_), Some(contact), _) => ("CONTACT", contact),
            (_, Some(_), None, Some(company)) => ("COMPANY", company),
            _ => {
                p.telephony_skipped = Some(
                    "у сделки нет контакта или компании: звонок не записан, чтобы не попасть в чужую карточку"
                        .into(),
                );
                return Ok(());
            }
        };
        // Re-registering the same EXTERNAL_CALL_ID (with the same number, user and line)
        // within 30 minutes may return the call already registered.
        let mut params = json!({
            "USER_ID": user,
            "PHONE_NUMBER": phone,
            "TYPE": if self.record.is_outbound() { 1 } else { 2 },
            "CRM_CREATE": 0,
            "CRM_ENTITY_TYPE": entity.0,
            "CRM_ENTITY_ID": entity.1,
            "SHOW": 0,
            "ADD_TO_CHAT": 0,
            "EXTERNAL_CALL_ID": self.record.call.id,
        });
        if let Some(line) = self.line_number() {
            params["LINE_NUMBER"] = json!(line);
        }
        if let Some(start) = &self.record.started_at {
            params["CALL_START_DATE"] = json!(start);
        }
        let reply = self
            .client()
            .call("telephony.externalCall.register", params, Unsafe)
            .await?;
        let call_id = reply
            .result
            .get("CALL_ID")
            .and_then(Value::as_str)
            .ok_or_else(|| unexpected("telephony.externalCall.register", &reply.result))?;
        p.telephony = Some(Telephony {
            call_id: call_id.to_owned(),
            ..Telephony::default()
        });
        Ok(())
    }

    /// `LINE_NUMBER`, which the docs recommend always: the tenant's, else the number the
    /// customer called (or was called from).
    fn line_number(&self) -> Option<String> {
        let own = match self.record.call.direction {
            sva_abi::Direction::Inbound => self.record.call.callee.as_deref(),
            sva_abi::Direction::Outbound => self.record.call.caller.as_deref(),
        };
        self.connection
            .crm
            .line_number
            .clone()
            .or_else(|| own.map(str::to_owned))
    }

    /// Finishes the call, which makes its activity. A finish whose answer was lost is
    /// sent again: a finished call is no longer active, so the portal answers "Call is
    /// not found" (with an empty code or `ERROR_CORE`, `docs/bitrix24-rest.md` §6) and
    /// that means the first one landed — never retried forever.
    async fn finish(&self, call: &mut Telephony, user: u64) -> Result<(), BitrixError> {
        let mut params = json!({
            "CALL_ID": call.call_id,
            "USER_ID": user,
            "DURATION": self.record.duration_s,
            "STATUS_CODE": if self.record.duration_s > 0 { "200" } else { "304" },
            "ADD_TO_CHAT": 0,
        });
        if let Some(cost) = &self.record.cost {
            params["COST"] = json!(cost.total);
            params["COST_CURRENCY"] = json!(cost.currency);
        }
        match self
            .client()
            .call("telephony.externalCall.finish", params, Unsafe)
            .await
        {
            Ok(reply) => {
                call.activity_id = reply.result.get("CRM_ACTIVITY_ID").and_then(as_id);
                call.finished = true;
            }
            Err(e) if e.is_ambiguous() => {
                call.finish_uncertain = true;
                call.note = Some(format!("finish: {e}"));
            }
            Err(e) if call.finish_uncertain && is_call_not_found(&e) => {
                call.note = Some("finish: ответ потерян, но портал звонок уже завершил".into());
                call.finished = true;
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Binds the call activity to the deal: registered on the deal's contact or company,
    /// it must also be in the deal's history (`crm.activity.binding.add`, which refuses
    /// a binding twice: that is done too).
    async fn bind(&self, call: &mut Telephony, deal: u64) -> Result<(), BitrixError> {
        let activity = match call.activity_id {
            Some(id) => Some(id),
            None => self.call_activity(&call.call_id).await?,
        };
        let Some(activity) = activity else {
            call.note = Some("звонок не найден в делах: к сделке не привязан".into());
            call.bound = true;
            return Ok(());
        };
        call.activity_id = Some(activity);
        match self
            .client()
            .call(
                "crm.activity.binding.add",
                json!({ "activityId": activity, "entityTypeId": 2, "entityId": deal }),
                Safe,
            )
            .await
        {
            Ok(_) => {}
            Err(BitrixError::Api { code, .. }) if code == "ACTIVITY_IS_ALREADY_BOUND" => {}
            Err(e) => return Err(e),
        }
        call.bound = true;
        Ok(())
    }

    /// The activity `finish` made, when its answer was lost: telephony activities carry
    /// `ORIGIN_ID` = `VI_{CALL_ID}` (vendor behaviour, `docs/bitrix24-rest.md` §6).
    async fn call_activity(&self, call_id: &str) -> Result<Option<u64>, BitrixError> {
        let reply = self
            .client()
            .call(
                "crm.activity.list",
                json!({ "filter": { "ORIGIN_ID": format!("VI_{call_id}") }, "select": ["ID"] }),
                Safe,
            )
            .await?;
        Ok(reply
            .result
            .as_array()
            .and_then(|rows| rows.first())
            .and_then(|r| as_id(&r["ID"])))
    }

    /// Attaches the recording by URL, named `.mp3` or `.wav` (`FILENAME`: a URL without
    /// such a name is refused). What the portal cannot fetch (a private URL) is noted:
    /// the transcription goes on without it. A repeat replaces: safe to replay.
    async fn attach_record(&self, call: &mut Telephony) -> Result<(), BitrixError> {
        if let Some(url) = &self.record.recording_url {
            let result = self
                .client()
                .call(
                    "telephony.externalCall.attachRecord",
                    json!({ "CALL_ID": call.call_id, "RECORD_URL": url, "FILENAME": record_name(&self.record.call.id, url) }),
                    Safe,
                )
                .await;
            match result {
                Ok(_) => {}
                Err(e) if !e.is_transient() => {
                    call.record_note = Some(format!("запись не прикреплена: {e}"));
                }
                Err(e) => return Err(e),
            }
        }
        call.record_attached = true;
        Ok(())
    }

    /// The transcription on the finished call (`telephony.call.attachTranscription`).
    async fn attach_transcription(&self, call: &mut Telephony) -> Result<(), BitrixError> {
        let messages = fields::transcription_messages(self.record);
        if messages.as_array().is_none_or(Vec::is_empty) {
            call.transcript = Some("empty".into());
            return Ok(());
        }
        match self
            .client()
            .call(
                "telephony.call.attachTranscription",
                json!({ "CALL_ID": call.call_id, "MESSAGES": messages }),
                Unsafe,
            )
            .await
        {
            Ok(_) => call.transcript = Some("attached".into()),
            Err(e) if e.is_ambiguous() => call.transcript = Some("uncertain".into()),
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

/// Records a decision in the progress: the rule, the record attached to or the
/// customer a new deal is for.
fn record_decision(p: &mut Progress, d: &Decision) {
    p.rule = Some(d.rule.code().to_owned());
    p.attached = d.attach.is_some();
    p.contact_id = d.customer.contact;
    p.company_id = d.customer.company;
    p.manager_id = d.own_manager;
    match d.attach {
        Some(("deal", id)) => p.deal_id = Some(id),
        Some((_, id)) => p.lead_id = Some(id),
        None => {}
    }
}

/// Forgets an earlier attempt's decision to create (nothing of it was created).
fn forget_decision(p: &mut Progress) {
    p.rule = None;
    p.attached = false;
    p.contact_known = None;
    p.contact_id = None;
    p.company_id = None;
    p.manager_id = None;
    p.assigned_id = None;
    p.contact_failed = None;
}

/// The recording's file name: the URL's, when it is `.mp3` or `.wav`, else the call's.
fn record_name(call_id: &str, url: &str) -> String {
    let name = url
        .split(['?', '#'])
        .next()
        .and_then(|path| path.rsplit('/').next())
        .unwrap_or("");
    let lower = name.to_ascii_lowercase();
    if !name.is_empty() && (lower.ends_with(".mp3") || lower.ends_with(".wav")) {
        name.to_owned()
    } else {
        format!("{call_id}.mp3")
    }
}

fn telephony_done(p: &Progress) -> bool {
    p.telephony.as_ref().is_some_and(|t| t.transcript.is_some())
}

/// Whether this is the portal's "Call is not found" of a call it no longer has active.
fn is_call_not_found(e: &BitrixError) -> bool {
    matches!(e, BitrixError::Api { description, .. } if description.starts_with(CALL_NOT_FOUND))
}

/// The id of the row whose `field` holds `marker`.
fn find_marked(rows: &Value, field: &str, marker: &str) -> Option<u64> {
    rows.as_array()?
        .iter()
        .find(|row| {
            row.get(field)
                .and_then(Value::as_str)
                .is_some_and(|text| text.contains(marker))
        })
        .and_then(|row| row.get("ID"))
        .and_then(as_id)
}

/// Whether the portal refused the request as such (a field, a value): the same request
/// will be refused again, but a smaller one may pass.
fn is_refusal(e: &BitrixError) -> bool {
    matches!(e, BitrixError::Api { status, .. } if *status < 500) && !e.is_not_found()
}

fn unexpected(method: &str, result: &Value) -> BitrixError {
    let mut shown = result.to_string();
    let mut cut = shown.len().min(200);
    while !shown.is_char_boundary(cut) {
        cut -= 1;
    }
    shown.truncate(cut);
    BitrixError::Ambiguous {
        method: method.into(),
        reason: format!("an answer without an id: {shown}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_keeps_its_name_or_gets_the_calls() {
        assert_eq!(record_name("c-1", "https://r.example/a/b.WAV?x=1"), "b.WAV");
        assert_eq!(record_name("c-1", "https://r.example/rec?id=5"), "c-1.mp3");
        assert_eq!(record_name("c-1", ""), "c-1.mp3");
    }

    #[test]
    fn a_finished_call_is_recognised_in_either_spelling() {
        for code in ["", "ERROR_CORE"] {
            let e = BitrixError::Api {
                method: "telephony.externalCall.finish".into(),
                status: 400,
                code: code.into(),
                description: "Call is not found (call should be registered prior to finishing"
                    .into(),
            };
            assert!(is_call_not_found(&e));
        }
    }
}
