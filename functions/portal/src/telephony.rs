//! External telephony (`api-reference/telephony/index`, `docs/bitrix24-rest.md` §6):
//! `telephony.externalCall.register|finish` (application context only),
//! `telephony.externalCall.attachRecord` and `telephony.call.attachTranscription` (a
//! webhook may call them: their pages show webhook examples). Finishing a call makes the
//! CRM call activity; a finished call is no longer an active one.

use base64::Engine;
use serde_json::{Value, json};

use crate::crm::insert;
use crate::ctx::{Ctx, Fetched, Reply};
use crate::error::ApiError;
use crate::params::Param;
use crate::phone::normalize_phone;
use crate::reference::{active_user, inner_phone};
use crate::store::{Call, Kind, Store};
use crate::timeline::{activity_row, push_activity};
use crate::{clock, random_hex};

/// How long a re-registration returns the same call.
const DEDUP_SECS: i64 = 30 * 60;

fn text(p: &Param, name: &str) -> Option<String> {
    p.get(name)
        .and_then(Param::text)
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// `USER_ID` or `USER_PHONE_INNER`; a dismissed user is «User is not found or is not
/// active» (`api-reference/telephony/telephony-external-call-register`).
fn resolve_user(ctx: &Ctx<'_>, p: &Param) -> Result<u64, ApiError> {
    let user = if let Some(id) = p.get("USER_ID").filter(|v| !matches!(v, Param::Null)) {
        id.id()
    } else if let Some(inner) = text(p, "USER_PHONE_INNER") {
        ctx.inner.read(|s| {
            s.directory
                .users
                .keys()
                .copied()
                .find(|u| inner_phone(*u) == inner)
        })
    } else {
        return Err(ApiError::Core(
            "USER_ID or USER_PHONE_INNER should be set".into(),
        ));
    };
    user.filter(|u| ctx.inner.read(|s| active_user(&s.directory, *u)))
        .ok_or_else(|| ApiError::Core("User is not found or is not active".into()))
}

/// The first contact, company, then lead whose phone matches `phone` after
/// normalisation: what `register` binds a call to when it is given no CRM entity.
fn find_by_phone(store: &Store, phone: &str) -> Option<(Kind, u64)> {
    let needle = normalize_phone(phone)?;
    [Kind::Contact, Kind::Company, Kind::Lead]
        .into_iter()
        .find_map(|kind| {
            store
                .table(kind)
                .rows
                .values()
                .find(|r| {
                    r.multi.get("PHONE").is_some_and(|v| {
                        v.iter()
                            .any(|m| normalize_phone(&m.value).as_deref() == Some(needle.as_str()))
                    })
                })
                .map(|r| (kind, r.id))
        })
}

fn crm_type(entity: Option<(Kind, u64)>) -> Value {
    entity.map_or(Value::Null, |(k, _)| Value::String(k.upper().into()))
}

fn crm_id(entity: Option<(Kind, u64)>) -> Value {
    entity.map_or(Value::Null, |(_, id)| json!(id))
}

/// `telephony.externalCall.register`.
pub(crate) fn register(ctx: &Ctx<'_>, raw: &Param) -> Result<Reply, ApiError> {
    let p = raw.upper_keys();
    let user = resolve_user(ctx, &p)?;
    let phone = text(&p, "PHONE_NUMBER")
        .filter(|n| normalize_phone(n).is_some())
        .ok_or_else(|| ApiError::Core("Unsupported phone number format".into()))?;
    let call_type = p
        .get("TYPE")
        .and_then(Param::intval)
        .filter(|t| (1..=5).contains(t))
        .ok_or_else(|| ApiError::Core("Unknown TYPE".into()))? as u8;
    let now = clock::unix_now();
    let start = text(&p, "CALL_START_DATE")
        .and_then(|d| clock::parse(&d))
        .unwrap_or(now);
    let line = text(&p, "LINE_NUMBER");
    let external = text(&p, "EXTERNAL_CALL_ID");
    let crm_create = p.get("CRM_CREATE").is_some_and(Param::flag);
    let source = text(&p, "CRM_SOURCE").unwrap_or_else(|| "CALL".into());
    let given = text(&p, "CRM_ENTITY_TYPE")
        .and_then(|t| Kind::from_name(&t))
        .zip(p.get("CRM_ENTITY_ID").and_then(Param::id));
    ctx.inner.write(|st| {
        if let Some(existing) = st.calls.iter().find(|c| {
            c.finished.is_none()
                && c.user_id == user
                && c.phone_number == phone
                && c.call_type == call_type
                && c.line_number == line
                && c.external_call_id == external
                && now.saturating_sub(c.registered) <= DEDUP_SECS
        }) {
            return Ok(Reply::value(existing.registered_result.clone()));
        }
        let mut entity = given
            .filter(|(k, id)| *k != Kind::Deal && st.exists(*k, *id))
            .or_else(|| find_by_phone(st, &phone));
        let mut created_lead = None;
        if entity.is_none() && crm_create {
            let direction = if matches!(call_type, 2 | 3) {
                "Входящий звонок"
            } else {
                "Исходящий звонок"
            };
            let fields = Param::from_json(&json!({
                "TITLE": format!("{phone} - {direction}"),
                "SOURCE_ID": source,
                "ASSIGNED_BY_ID": user,
                "PHONE": [{"VALUE": phone, "VALUE_TYPE": "WORK"}],
            }));
            let id = insert(st, Kind::Lead, &fields, user, false)?;
            created_lead = Some(id);
            entity = Some((Kind::Lead, id));
        }
        let call_id = format!("externalCall.{}.{now}", random_hex(16));
        let created: Vec<Value> = created_lead
            .map(|id| vec![json!({"ENTITY_TYPE": "LEAD", "ENTITY_ID": id})])
            .unwrap_or_default();
        let result = json!({
            "CALL_ID": call_id,
            "CRM_CREATED_LEAD": created_lead,
            "CRM_CREATED_ENTITIES": created,
            "CRM_ENTITY_TYPE": crm_type(entity),
            "CRM_ENTITY_ID": crm_id(entity),
        });
        st.calls.push(Call {
            id: st.calls.len() as u64 + 1,
            call_id,
            user_id: user,
            phone_number: phone.clone(),
            line_number: line.clone(),
            call_type,
            start,
            registered: now,
            external_call_id: external.clone(),
            crm: entity,
            created_lead,
            registered_result: result.clone(),
            finished: None,
            activity_id: None,
            record: None,
            transcripts: Vec::new(),
        });
        Ok(Reply::value(result))
    })
}

/// The standard reason of a status code.
fn failed_reason(code: &str) -> &'static str {
    match code {
        "200" => "Success call",
        "304" => "Skipped call",
        "603" => "Call declined",
        "603-S" => "Call canceled",
        "486" => "Busy",
        "480" => "Temporarily unavailable",
        "484" | "503" => "Invalid number",
        "402" => "Insufficient funds",
        "403" => "Forbidden",
        "404" => "Wrong number",
        "423" => "Blocked",
        _ => "Other",
    }
}

fn call_mut<'a>(st: &'a mut Store, call_id: &str) -> Option<&'a mut Call> {
    st.calls.iter_mut().find(|c| c.call_id == call_id)
}

/// `telephony.externalCall.finish`: makes the call activity. A call that was never
/// registered is `ERROR_CORE` (the method's page); one already finished is no longer
/// active and is refused as a live portal does (b24-rest-docs issue #175: an empty code
/// and the text without its closing parenthesis; `docs/bitrix24-rest.md` §6).
pub(crate) fn finish(ctx: &Ctx<'_>, raw: &Param) -> Result<Reply, ApiError> {
    let p = raw.upper_keys();
    let not_found = || {
        ApiError::Core("Call is not found (call should be registered prior to finishing)".into())
    };
    let call_id = text(&p, "CALL_ID").ok_or_else(not_found)?;
    match ctx.inner.read(|st| {
        st.calls
            .iter()
            .find(|c| c.call_id == call_id)
            .map(|c| c.finished.is_some())
    }) {
        None => return Err(not_found()),
        Some(true) => {
            return Err(ApiError::Crm(
                "Call is not found (call should be registered prior to finishing".into(),
            ));
        }
        Some(false) => {}
    }
    let user = resolve_user(ctx, &p)?;
    let duration = p
        .get("DURATION")
        .and_then(Param::intval)
        .unwrap_or(0)
        .max(0);
    let status =
        text(&p, "STATUS_CODE").unwrap_or_else(|| if duration > 0 { "200" } else { "304" }.into());
    let reason = text(&p, "FAILED_REASON").unwrap_or_else(|| failed_reason(&status).into());
    let cost = p
        .get("COST")
        .and_then(Param::text)
        .and_then(|c| c.trim().parse::<f64>().ok())
        .filter(|c| c.is_finite())
        .unwrap_or(0.0);
    let currency = text(&p, "COST_CURRENCY").unwrap_or_else(|| "RUB".into());
    let vote = p
        .get("VOTE")
        .and_then(Param::intval)
        .filter(|v| (1..=5).contains(v));
    let record_url = text(&p, "RECORD_URL");
    ctx.inner.write(|st| {
        let call = call_mut(st, &call_id).ok_or_else(not_found)?.clone();
        let now = clock::unix_now();
        let inbound = matches!(call.call_type, 2 | 3);
        let mut activity_id = None;
        if let Some((kind, id)) = call.crm.filter(|(k, id)| st.exists(*k, *id)) {
            let mut row = activity_row((kind, id), 2, ("VOXIMPLANT_CALL", "CALL"), user, now);
            let subject = if inbound {
                format!("Входящий звонок {}", call.phone_number)
            } else {
                format!("Исходящий звонок {}", call.phone_number)
            };
            let completed = !(inbound && status != "200");
            row.insert("SUBJECT".into(), json!(subject));
            row.insert("DIRECTION".into(), json!(if inbound { "1" } else { "2" }));
            row.insert("START_TIME".into(), json!(clock::iso(call.start)));
            row.insert(
                "END_TIME".into(),
                json!(clock::iso(call.start.saturating_add(duration))),
            );
            row.insert("DEADLINE".into(), json!(clock::iso(call.start)));
            row.insert("COMPLETED".into(), json!(if completed { "Y" } else { "N" }));
            row.insert("STATUS".into(), json!(if completed { "2" } else { "1" }));
            row.insert("ORIGIN_ID".into(), json!(format!("VI_{}", call.call_id)));
            row.insert(
                "COMMUNICATIONS".into(),
                json!([{
                    "ID": "0",
                    "TYPE": "PHONE",
                    "VALUE": call.phone_number,
                    "ENTITY_ID": id.to_string(),
                    "ENTITY_TYPE_ID": kind.type_id().to_string(),
                }]),
            );
            activity_id = Some(push_activity(st, row));
            if call.created_lead == Some(id)
                && kind == Kind::Lead
                && let Some(lead) = st.leads.rows.get_mut(&id)
            {
                lead.fields
                    .insert("ASSIGNED_BY_ID".into(), json!(user.to_string()));
            }
        }
        let result = json!({
            "ID": call.id,
            "CALL_ID": call.call_id,
            "CALL_TYPE": call.call_type,
            "CALL_CATEGORY": "external",
            "PORTAL_USER_ID": user,
            "PORTAL_NUMBER": call.line_number.clone().unwrap_or_default(),
            "PHONE_NUMBER": call.phone_number,
            "EXTERNAL_CALL_ID": call.external_call_id,
            "CALL_DURATION": duration,
            "CALL_START_DATE": clock::iso(call.start),
            "CALL_STATUS": i32::from(status == "200"),
            "CALL_FAILED_CODE": status,
            "CALL_FAILED_REASON": reason,
            "CALL_RECORD_URL": record_url.clone().unwrap_or_default(),
            "CALL_VOTE": vote,
            "COST": cost,
            "COST_CURRENCY": currency,
            "CRM_ENTITY_TYPE": crm_type(call.crm),
            "CRM_ENTITY_ID": crm_id(call.crm),
            "CRM_ACTIVITY_ID": activity_id,
            "REST_APP_ID": null,
            "REST_APP_NAME": null,
            "TRANSCRIPT_ID": null,
            "TRANSCRIPT_PENDING": "N",
            "SESSION_ID": null,
            "REDIAL_ATTEMPT": null,
            "COMMENT": null,
            "RECORD_FILE_ID": null,
        });
        if let Some(c) = call_mut(st, &call_id) {
            c.finished = Some(result.clone());
            c.activity_id = activity_id;
            if let Some(url) = record_url {
                c.record = Some(json!({"RECORD_URL": url}));
            }
        }
        Ok(Reply::value(result))
    })
}

/// A finished call, or `ERROR_CORE` with the method's own text.
fn finished_call<'a>(
    st: &'a mut Store,
    call_id: &str,
    missing: &str,
) -> Result<&'a mut Call, ApiError> {
    call_mut(st, call_id)
        .filter(|c| c.finished.is_some())
        .ok_or_else(|| ApiError::Core(missing.to_owned()))
}

/// `attachRecord`'s text for a call that is not (yet) in the statistics.
const NOT_IN_STATISTICS: &str =
    "Call is not found in the statistic table. Looks like it is not finished yet.";

fn set_in_result(call: &mut Call, key: &str, value: Value) {
    if let Some(Value::Object(result)) = call.finished.as_mut() {
        result.insert(key.into(), value);
    }
}

/// The file name at the end of a URL's path.
fn name_in_url(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let name = path.rsplit('/').next()?.trim();
    (!name.is_empty() && !path.ends_with("//")).then(|| name.to_owned())
}

/// `telephony.externalCall.attachRecord`
/// (`api-reference/telephony/telephony-external-call-attach-record`): after finish,
/// `RECORD_URL` (the portal downloads it: `{"FILE_ID"}`, or «Server returns HTTP error
/// code N»), `FILENAME` + `FILE_CONTENT` (base64: `{"FILE_ID"}`), or `FILENAME` alone (an
/// upload URL). The name — `FILENAME`, else the URL's — must end in `.wav` or `.mp3`. A
/// repeat call replaces the recording. Every refusal is `ERROR_CORE` with the page's text.
pub(crate) fn attach_record(ctx: &Ctx<'_>, raw: &Param) -> Result<Reply, ApiError> {
    let p = raw.upper_keys();
    let call_id = text(&p, "CALL_ID").unwrap_or_default();
    let url = text(&p, "RECORD_URL");
    let given_name = text(&p, "FILENAME");
    let content = p.get("FILE_CONTENT").and_then(Param::text);
    if url.is_none() && given_name.is_none() {
        return Err(ApiError::Core(
            "Required parameters are not set. Request should contain or URL or FILENAME parameter"
                .into(),
        ));
    }
    ctx.inner.read(|st| {
        st.calls
            .iter()
            .find(|c| c.call_id == call_id && c.finished.is_some())
            .map(|_| ())
            .ok_or_else(|| ApiError::Core(NOT_IN_STATISTICS.into()))
    })?;
    let filename = given_name
        .or_else(|| url.as_deref().and_then(name_in_url))
        .ok_or_else(|| ApiError::Core("File name is empty".into()))?;
    let lower = filename.to_ascii_lowercase();
    if !(lower.ends_with(".mp3") || lower.ends_with(".wav")) {
        return Err(ApiError::Core(
            "Wrong file extension. Only wav and mp3 are allowed".into(),
        ));
    }
    let size = match (&content, &url) {
        (Some(c), _) => {
            let compact: String = c.chars().filter(|ch| !ch.is_whitespace()).collect();
            if compact.is_empty() {
                return Err(ApiError::Core("File content is empty.".into()));
            }
            let engine = base64::engine::general_purpose::STANDARD;
            let bytes = engine.decode(compact.as_bytes()).map_err(|_| {
                ApiError::Core(
                    "File content is not properly encoded. Base64 encoding is expected.".into(),
                )
            })?;
            Some(bytes.len())
        }
        (None, Some(_)) => match ctx.fetched {
            Some(Fetched::Body(size)) => Some(*size),
            Some(Fetched::Failed(status)) => {
                return Err(ApiError::Core(format!(
                    "Server returns HTTP error code {status}"
                )));
            }
            None => return Err(ApiError::Core("Server returns HTTP error code 0".into())),
        },
        (None, None) => None,
    };
    let host = ctx.host.to_owned();
    ctx.inner.write(|st| {
        finished_call(st, &call_id, NOT_IN_STATISTICS)?;
        st.last_file_id += 1;
        let file_id = st.last_file_id;
        let call = finished_call(st, &call_id, NOT_IN_STATISTICS)?;
        let (record, result) = match size {
            Some(size) => (
                json!({"FILENAME": filename, "SIZE": size, "FILE_ID": file_id, "RECORD_URL": url}),
                json!({"FILE_ID": file_id}),
            ),
            None => (
                json!({"FILENAME": filename, "PENDING_UPLOAD": true}),
                json!({
                    "uploadUrl": format!("http://{host}/_sandbox/upload/{}", call.call_id),
                    "fieldName": "file",
                }),
            ),
        };
        if let Some(url) = record.get("RECORD_URL").filter(|u| !u.is_null()) {
            set_in_result(call, "CALL_RECORD_URL", url.clone());
        }
        if let Some(id) = record.get("FILE_ID") {
            set_in_result(call, "RECORD_FILE_ID", id.clone());
        }
        call.record = Some(record);
        Ok(Reply::value(result))
    })
}

/// `POST /_sandbox/upload/{call_id}`: the upload `attachRecord` with a bare `FILENAME` asks for.
pub(crate) fn upload(inner: &crate::Inner, call_id: &str, size: usize) -> Result<u64, ApiError> {
    inner.write(|st| {
        finished_call(st, call_id, NOT_IN_STATISTICS)?;
        st.last_file_id += 1;
        let file_id = st.last_file_id;
        let call = finished_call(st, call_id, NOT_IN_STATISTICS)?;
        let filename = call
            .record
            .as_ref()
            .and_then(|r| r.get("FILENAME").cloned())
            .unwrap_or(Value::Null);
        call.record = Some(json!({"FILENAME": filename, "SIZE": size, "FILE_ID": file_id}));
        set_in_result(call, "RECORD_FILE_ID", json!(file_id));
        Ok(file_id)
    })
}

/// `telephony.call.attachTranscription`
/// (`api-reference/telephony/telephony-call-attach-transcription`): a finished call's
/// transcript, `{"TRANSCRIPT_ID": n}`; every refusal is `ERROR_CORE` with the page's text.
pub(crate) fn attach_transcription(ctx: &Ctx<'_>, raw: &Param) -> Result<Reply, ApiError> {
    let p = raw.upper_keys();
    let call_id =
        text(&p, "CALL_ID").ok_or_else(|| ApiError::Core("CALL_ID should be set".into()))?;
    let messages = p
        .get("MESSAGES")
        .filter(|m| m.is_map())
        .ok_or_else(|| ApiError::Core("MESSAGES should be an array".into()))?;
    let mut parsed = Vec::new();
    for (i, m) in messages.values().enumerate() {
        let bad = |what: &str| ApiError::Core(format!("MESSAGES[{i}][{what}"));
        let side = match m
            .get("SIDE")
            .and_then(Param::text)
            .map(|s| s.trim().to_ascii_lowercase())
        {
            Some(s) if s == "user" => "User",
            Some(s) if s == "client" => "Client",
            _ => return Err(bad("SIDE] should be either Client or User")),
        };
        let number = |name: &str| {
            m.get(name)
                .and_then(Param::text)
                .and_then(|t| t.trim().parse::<f64>().ok())
                .filter(|n| n.is_finite())
        };
        let start = number("START_TIME")
            .filter(|n| *n >= 0.0)
            .ok_or_else(|| bad("START_TIME] should be greater or equal to zero"))?;
        let stop = number("STOP_TIME")
            .filter(|n| *n >= 1.0)
            .ok_or_else(|| bad("STOP_TIME] should be greater than zero"))?;
        let message = m
            .get("MESSAGE")
            .and_then(Param::text)
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| bad("MESSAGE] is empty"))?;
        parsed.push(
            json!({"SIDE": side, "START_TIME": start, "STOP_TIME": stop, "MESSAGE": message}),
        );
    }
    let cost = p
        .get("COST")
        .and_then(Param::text)
        .and_then(|c| c.trim().parse::<f64>().ok())
        .filter(|c| c.is_finite());
    let missing = format!("Call {call_id} is not found. Is it finished?");
    ctx.inner.write(|st| {
        finished_call(st, &call_id, &missing)?;
        st.last_transcript_id += 1;
        let transcript_id = st.last_transcript_id;
        let call = finished_call(st, &call_id, &missing)?;
        call.transcripts.push(json!({
            "TRANSCRIPT_ID": transcript_id,
            "COST": cost,
            "MESSAGES": parsed,
        }));
        set_in_result(call, "TRANSCRIPT_ID", json!(transcript_id));
        Ok(Reply::value(json!({"TRANSCRIPT_ID": transcript_id})))
    })
}

/// A call as `Portal::calls` shows it.
pub(crate) fn snapshot(c: &Call) -> Value {
    json!({
        "ID": c.id,
        "CALL_ID": c.call_id,
        "USER_ID": c.user_id,
        "PHONE_NUMBER": c.phone_number,
        "LINE_NUMBER": c.line_number,
        "TYPE": c.call_type,
        "EXTERNAL_CALL_ID": c.external_call_id,
        "CALL_START_DATE": clock::iso(c.start),
        "CRM_ENTITY_TYPE": crm_type(c.crm),
        "CRM_ENTITY_ID": crm_id(c.crm),
        "CRM_CREATED_LEAD": c.created_lead,
        "CRM_ACTIVITY_ID": c.activity_id,
        "FINISHED": c.finished.is_some(),
        "FINISH": c.finished,
        "RECORD": c.record,
        "TRANSCRIPTS": c.transcripts,
    })
}
