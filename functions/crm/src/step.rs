//! One call into Bitrix24, one action at a time: [`Step::next`] does the first thing
//! that is not done yet and records it in [`Progress`], which the caller saves before
//! asking for the next. Every add is preceded, when an earlier attempt may have made it,
//! by a lookup of what it would have made (`ORIGIN_ID`, the marker in a comment or
//! to-do, `EXTERNAL_CALL_ID`), so a retry resumes and never duplicates.
//!
//! The order: the caller's contact (known or created) → a lead for an unknown caller,
//! or a deal on the known contact (which gets the e-mail it lacked) → the transcript
//! as a timeline comment → a to-do per booked callback → the call in the call history
//! (OAuth only: register, finish, recording, transcription).
//!
//! Nothing a caller said can cost the lead: a contact the portal refuses is skipped, a
//! lead or deal it refuses is made again with the essential fields, and a call history
//! it refuses is noted and left out.
//!
//! A portal in the simple CRM mode has no leads (Bitrix24 would turn each into a deal
//! and a contact of its own): there every caller gets a deal on their contact.

use crate::fields::{self, Mapping, ORIGINATOR};
use crate::find::{as_id, contact_by_phone};
use serde_json::{Value, json};
use sva_bitrix::{BitrixError, Client, Idempotency};
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

/// The work for one call.
pub struct Step<'a> {
    /// The portal.
    pub client: &'a Client,
    /// The tenant's portal setup.
    pub mapping: &'a Mapping,
    /// The call.
    pub record: &'a CallRecord,
    /// Whether an earlier attempt ran (then every add is looked up first).
    pub retrying: bool,
    /// Whether the portal runs the simple CRM mode: deals, never leads.
    pub simple: bool,
}

use Idempotency::{Safe, Unsafe};

impl Step<'_> {
    /// Does the next thing; see the module docs for the order.
    pub async fn next(&self, p: &mut Progress) -> Result<Next, BitrixError> {
        let phones = self.record.phones();
        if p.skipped.is_some() {
            return Ok(Next::Done);
        }
        if p.contact_known.is_none() {
            if phones.is_empty() && self.record.qualification.slots.is_empty() {
                p.skipped = Some("no number and nothing said".into());
                return Ok(Next::Done);
            }
            self.find_contact(p, &phones).await?;
            return Ok(Next::More);
        }
        let known = p.contact_known == Some(true);
        if !known && p.contact_id.is_none() && p.contact_failed.is_none() && !phones.is_empty() {
            let fields = fields::contact(self.record, self.mapping);
            match self
                .add("crm.contact.add", "crm.contact.list", fields)
                .await
            {
                Ok(id) => p.contact_id = Some(id),
                // A field the portal refuses (a misheard e-mail) must not cost the lead:
                // it goes on without a contact; the lead has the number.
                Err(e) if is_refusal(&e) => p.contact_failed = Some(e.to_string()),
                Err(e) => return Err(e),
            }
            return Ok(Next::More);
        }
        if known && !p.contact_updated {
            if let Err(e) = self.complete_contact(p).await {
                if !is_refusal(&e) {
                    return Err(e);
                }
                tracing::info!(call = %self.record.call.id, "the contact kept its e-mail: {e}");
            }
            p.contact_updated = true;
            return Ok(Next::More);
        }
        if p.owner().is_none() {
            self.create_owner(p, known).await?;
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
            if !self.client.is_oauth() {
                p.telephony_skipped =
                    Some("вебхук не может писать историю звонков: нужно OAuth-приложение".into());
            } else if phones.is_empty() {
                p.telephony_skipped = Some("номер клиента неизвестен".into());
            } else {
                match self.telephony(p, &phones[0], owner_type, owner_id).await {
                    Ok(()) => {}
                    // An inactive user, a number format the portal refuses, a missing
                    // scope: the lead and its transcript are there; say why and go on.
                    Err(e) if !e.is_transient() => {
                        p.telephony_skipped = Some(format!("история звонков не записана: {e}"));
                    }
                    Err(e) => return Err(e),
                }
            }
            return Ok(Next::More);
        }
        Ok(Next::Done)
    }

    /// The lead (an unknown caller) or the deal (a known contact). When the portal
    /// refuses a field (a currency it lacks, a custom field, an inactive user), it is
    /// made again with the essential fields only, everything else in the comments.
    async fn create_owner(&self, p: &mut Progress, known: bool) -> Result<(), BitrixError> {
        let deal = self.simple || (known && p.contact_id.is_some());
        let (add, list, full, minimal) = match deal {
            true => (
                "crm.deal.add",
                "crm.deal.list",
                fields::deal(self.record, self.mapping, p.contact_id, p.manager_id),
                fields::minimal(self.record, p.contact_id, true),
            ),
            false => (
                "crm.lead.add",
                "crm.lead.list",
                fields::lead(self.record, self.mapping, p.contact_id),
                fields::minimal(self.record, p.contact_id, false),
            ),
        };
        let id = match self.add(add, list, full).await {
            Ok(id) => id,
            Err(e) if is_refusal(&e) => {
                tracing::warn!(call = %self.record.call.id, "{add} refused a field; made with the essentials: {e}");
                let mut minimal = minimal;
                let note = format!("\nПортал не принял часть полей: {e}");
                if let Some(comments) = minimal
                    .get_mut("COMMENTS")
                    .and_then(|c| c.as_str().map(|c| c.to_owned() + &note))
                {
                    minimal["COMMENTS"] = Value::String(comments);
                }
                p.minimal = Some(e.to_string());
                self.add(add, list, minimal).await?
            }
            Err(e) => return Err(e),
        };
        if add == "crm.deal.add" {
            p.deal_id = Some(id);
        } else {
            p.lead_id = Some(id);
        }
        Ok(())
    }

    /// Decides once whether the caller is a known contact: a contact an earlier attempt
    /// of this call created is ours, not "known".
    async fn find_contact(&self, p: &mut Progress, phones: &[String]) -> Result<(), BitrixError> {
        if self.retrying
            && let Some(id) = self.find_ours("crm.contact.list").await?
        {
            p.contact_id = Some(id);
            p.contact_known = Some(false);
            return Ok(());
        }
        if phones.is_empty() {
            p.contact_known = Some(false);
            return Ok(());
        }
        match contact_by_phone(self.client, phones).await? {
            Some((id, contact)) => {
                p.manager_id = contact.get("ASSIGNED_BY_ID").and_then(as_id);
                p.contact_id = Some(id);
                p.contact_known = Some(true);
            }
            None => p.contact_known = Some(false),
        }
        Ok(())
    }

    /// Gives a known contact the e-mail the caller dictated, if it lacks it. A new
    /// multifield entry is an add, so it is checked against the contact every time.
    async fn complete_contact(&self, p: &Progress) -> Result<(), BitrixError> {
        let (Some(id), Some(email)) = (p.contact_id, self.record.slot_text("email")) else {
            return Ok(());
        };
        let contact = self
            .client
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
            self.client
                .call(
                    "crm.contact.update",
                    json!({ "id": id, "fields": { "EMAIL": [{ "VALUE": email, "VALUE_TYPE": "WORK" }] } }),
                    Unsafe,
                )
                .await?;
        }
        Ok(())
    }

    /// The id of the record of this call an earlier attempt made, by `ORIGIN_ID`.
    async fn find_ours(&self, list: &str) -> Result<Option<u64>, BitrixError> {
        let reply = self
            .client
            .call(
                list,
                json!({
                    "filter": { "=ORIGINATOR_ID": ORIGINATOR, "=ORIGIN_ID": self.record.call.id },
                    "select": ["ID"],
                    "order": { "ID": "ASC" },
                    "start": -1,
                }),
                Safe,
            )
            .await?;
        Ok(reply
            .result
            .as_array()
            .and_then(|rows| rows.first())
            .and_then(|row| row.get("ID"))
            .and_then(as_id))
    }

    /// Adds a record unless an earlier attempt already did.
    async fn add(&self, add: &str, list: &str, fields: Value) -> Result<u64, BitrixError> {
        if self.retrying
            && let Some(id) = self.find_ours(list).await?
        {
            return Ok(id);
        }
        let reply = self
            .client
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
                .client
                .call(
                    "crm.timeline.comment.list",
                    json!({ "filter": { "ENTITY_ID": owner_id, "ENTITY_TYPE": owner_type }, "select": ["ID", "COMMENT"] }),
                    Safe,
                )
                .await?;
            if let Some(id) = find_marked(&reply.result, "COMMENT", &marker) {
                return Ok(id);
            }
        }
        let reply = self
            .client
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

    /// The call history, one action per call: register, finish, recording, transcript.
    async fn telephony(
        &self,
        p: &mut Progress,
        phone: &str,
        owner_type: &str,
        owner_id: u64,
    ) -> Result<(), BitrixError> {
        let user = p
            .manager_id
            .or(self.mapping.responsible_user_id)
            .unwrap_or(1);
        let Some(call) = p.telephony.as_mut() else {
            // Re-registering the same EXTERNAL_CALL_ID within 30 minutes returns the
            // call already registered: that is this step's reconciliation.
            let (entity_type, entity_id) = match (owner_type, p.contact_id) {
                ("deal", Some(contact)) => ("CONTACT", contact),
                _ => ("LEAD", owner_id),
            };
            let mut params = json!({
                "USER_ID": user,
                "PHONE_NUMBER": phone,
                "TYPE": if self.record.is_outbound() { 1 } else { 2 },
                "CRM_CREATE": 0,
                "CRM_ENTITY_TYPE": entity_type,
                "CRM_ENTITY_ID": entity_id,
                "SHOW": 0,
                "ADD_TO_CHAT": 0,
                "EXTERNAL_CALL_ID": self.record.call.id,
            });
            if let Some(start) = &self.record.started_at {
                params["CALL_START_DATE"] = json!(start);
            }
            let reply = self
                .client
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
            return Ok(());
        };
        if !call.finished {
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
            // Finishing creates the call activity: never replayed after a lost answer
            // (a second finish would make a second activity or fail as "not found").
            match self
                .client
                .call("telephony.externalCall.finish", params, Unsafe)
                .await
            {
                Ok(_) => {}
                Err(e) if e.is_ambiguous() => call.note = Some(format!("finish: {e}")),
                Err(e) => return Err(e),
            }
            call.finished = true;
            return Ok(());
        }
        if !call.record_attached {
            if let Some(url) = &self.record.recording_url {
                // A repeated attach replaces the recording: safe to replay.
                self.client
                    .call(
                        "telephony.externalCall.attachRecord",
                        json!({ "CALL_ID": call.call_id, "RECORD_URL": url }),
                        Safe,
                    )
                    .await?;
            }
            call.record_attached = true;
            return Ok(());
        }
        let messages = fields::transcription_messages(self.record);
        if messages.as_array().is_none_or(Vec::is_empty) {
            call.transcript = Some("empty".into());
            return Ok(());
        }
        match self
            .client
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

    /// A to-do for the responsible manager for booked callback `index`.
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
                .client
                .call(
                    "crm.activity.list",
                    json!({
                        "filter": { "OWNER_TYPE_ID": owner_type_id, "OWNER_ID": owner_id, "PROVIDER_ID": "CRM_TODO" },
                        "select": ["ID", "DESCRIPTION"],
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
        });
        if let Some(user) = p.manager_id.or(self.mapping.responsible_user_id) {
            params["responsibleId"] = json!(user);
        }
        let reply = self
            .client
            .call("crm.activity.todo.add", params, Unsafe)
            .await?;
        reply
            .result
            .get("id")
            .and_then(as_id)
            .ok_or_else(|| unexpected("crm.activity.todo.add", &reply.result))
    }
}

fn telephony_done(p: &Progress) -> bool {
    p.telephony.as_ref().is_some_and(|t| t.transcript.is_some())
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
