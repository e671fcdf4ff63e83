//! What a call becomes in Bitrix24: the standard fields of the contact, the lead or the
//! deal, the transcript comment, the to-dos. Russian, because sales managers read them.
//! Custom fields are [`crate::custom`]'s; who gets a record and where it starts,
//! [`crate::routing`]'s.

use crate::routing::Routing;
use serde_json::{Map, Value, json};
use sva_abi::Outcome;
use sva_wire::CallRecord;

/// `ORIGINATOR_ID` of everything the assistant creates: with `ORIGIN_ID` = our call id it
/// is the key an interrupted attempt is reconciled by.
pub const ORIGINATOR: &str = "sva";

/// Russian names of the qualification slots and outcomes.
fn slot_title(slot: &str) -> &str {
    match slot {
        "need" => "Потребность",
        "budget" => "Бюджет",
        "timeline" => "Сроки",
        "decision_maker" => "Кто принимает решение",
        "company" => "Компания",
        "name" => "Имя",
        "phone" => "Телефон",
        "email" => "E-mail",
        other => other,
    }
}

/// The outcome in words.
pub fn outcome_title(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Qualified => "квалифицирован",
        Outcome::Transferred => "передан менеджеру",
        Outcome::Callback => "просил перезвонить",
        Outcome::NotQualified => "не подходит",
        Outcome::NotInterested => "не заинтересован",
        Outcome::DoNotCall => "просил больше не звонить",
        Outcome::Dropped => "разговор прерван",
        Outcome::InProgress => "разговор не завершён",
    }
}

/// The marker that ties a comment or a to-do to its call (`ORIGIN_ID` for things that
/// have no such field): found in the text, it says an earlier attempt already made it.
pub fn marker(call_id: &str) -> String {
    format!("ID звонка: «{call_id}»")
}

/// A title: the need and who asked.
pub fn title(record: &CallRecord) -> String {
    let who = record
        .slot_text("company")
        .or_else(|| record.slot_text("name"))
        .or_else(|| record.phones().into_iter().next())
        .unwrap_or_else(|| "без номера".into());
    let what = record.slot_text("need").unwrap_or_else(|| {
        if record.is_outbound() {
            "исходящий звонок".into()
        } else {
            "входящий звонок".into()
        }
    });
    let mut title = format!("Голосовой ассистент: {what} — {who}");
    if title.chars().count() > 250 {
        title = title.chars().take(249).collect::<String>() + "…";
    }
    title
}

/// The summary for `COMMENTS`: outcome, score, every slot, the marker.
pub fn summary(record: &CallRecord) -> String {
    let q = &record.qualification;
    let mut lines = vec![format!(
        "Итог звонка: {} (оценка {} из 100).",
        outcome_title(q.outcome),
        q.score
    )];
    for (slot, value) in &q.slots {
        let shown = match (slot.as_str(), record.budget()) {
            ("budget", Some((amount, currency))) => format!("{amount:.0} {currency}"),
            _ => match &value.value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        };
        lines.push(format!("{}: {shown}", slot_title(slot)));
    }
    for callback in &record.callbacks {
        lines.push(format!("Перезвонить: {} {}", callback.at, callback.note));
    }
    if let Some(cost) = &record.cost {
        lines.push(format!(
            "Стоимость звонка: {:.2} {}",
            cost.total, cost.currency
        ));
    }
    lines.push(marker(&record.call.id));
    lines.join("\n")
}

fn multifield(values: impl IntoIterator<Item = String>) -> Value {
    Value::Array(
        values
            .into_iter()
            .map(|v| json!({ "VALUE": v, "VALUE_TYPE": "WORK" }))
            .collect(),
    )
}

/// Whether the call ended in a way a new lead starts as junk (unless the tenant maps
/// the outcome elsewhere).
pub(crate) fn is_junk(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::NotInterested | Outcome::DoNotCall)
}

/// The fields every created record shares: source, origin, the responsible user, UTM.
fn common(record: &CallRecord, routing: &Routing<'_>, assigned: Option<u64>) -> Map<String, Value> {
    let mut f = Map::new();
    f.insert("SOURCE_ID".into(), json!(routing.source_id()));
    f.insert(
        "SOURCE_DESCRIPTION".into(),
        json!(format!("Голосовой ассистент, звонок {}", record.call.id)),
    );
    f.insert("ORIGINATOR_ID".into(), json!(ORIGINATOR));
    f.insert("ORIGIN_ID".into(), json!(record.call.id));
    f.insert("OPENED".into(), json!("Y"));
    if let Some(user) = assigned {
        f.insert("ASSIGNED_BY_ID".into(), json!(user));
    }
    for (field, value) in routing.utm() {
        f.insert(field.into(), json!(value));
    }
    f
}

/// The amount the caller named, on a lead or a deal.
fn amount(f: &mut Map<String, Value>, record: &CallRecord) {
    if let Some((amount, currency)) = record.budget() {
        f.insert("OPPORTUNITY".into(), json!(amount));
        f.insert("CURRENCY_ID".into(), json!(currency));
        f.insert("IS_MANUAL_OPPORTUNITY".into(), json!("Y"));
    }
}

/// A new contact (a new caller on a portal in the simple CRM mode): named by what the
/// caller said, or by the number — never a placeholder that would pile up.
pub fn contact(record: &CallRecord, routing: &Routing<'_>, assigned: Option<u64>) -> Value {
    let mut f = common(record, routing, assigned);
    let name = record
        .slot_text("name")
        .or_else(|| record.phones().into_iter().next())
        .unwrap_or_else(|| "Без имени".into());
    f.insert("NAME".into(), json!(name));
    f.insert("PHONE".into(), multifield(record.phones()));
    if let Some(email) = record.slot_text("email") {
        f.insert("EMAIL".into(), multifield([email]));
    }
    f.insert(
        "COMMENTS".into(),
        json!(format!(
            "Создан голосовым ассистентом. {}",
            marker(&record.call.id)
        )),
    );
    Value::Object(f)
}

/// The lead for a new caller. It names no contact or company: a lead bound to one is a
/// repeat lead («Повторный лид»), which a first call is not.
pub fn lead(record: &CallRecord, routing: &Routing<'_>, assigned: Option<u64>) -> Value {
    let mut f = common(record, routing, assigned);
    amount(&mut f, record);
    f.insert("TITLE".into(), json!(title(record)));
    if let Some(name) = record.slot_text("name") {
        f.insert("NAME".into(), json!(name));
    }
    if let Some(company) = record.slot_text("company") {
        f.insert("COMPANY_TITLE".into(), json!(company));
    }
    f.insert("PHONE".into(), multifield(record.phones()));
    if let Some(email) = record.slot_text("email") {
        f.insert("EMAIL".into(), multifield([email]));
    }
    f.insert("COMMENTS".into(), json!(summary(record)));
    let outcome = record.outcome();
    if let Some(status) = routing.lead_status(outcome) {
        if is_junk(outcome) {
            f.insert(
                "STATUS_DESCRIPTION".into(),
                json!(format!("Клиент {}", outcome_title(outcome))),
            );
        }
        f.insert("STATUS_ID".into(), json!(status));
    }
    Value::Object(f)
}

/// Where the customer a deal is for is known: a contact, a company, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Customer {
    /// The contact.
    pub contact: Option<u64>,
    /// The company.
    pub company: Option<u64>,
}

/// A new deal for a known customer (or, on a portal in the simple CRM mode, for any
/// caller), in the tenant's pipeline, at the stage the outcome maps to.
pub fn deal(
    record: &CallRecord,
    routing: &Routing<'_>,
    assigned: Option<u64>,
    customer: Customer,
) -> Value {
    let mut f = common(record, routing, assigned);
    amount(&mut f, record);
    f.insert("TITLE".into(), json!(title(record)));
    if let Some(contact) = customer.contact {
        f.insert("CONTACT_IDS".into(), json!([contact]));
    }
    if let Some(company) = customer.company {
        f.insert("COMPANY_ID".into(), json!(company));
    }
    if let Some(category) = routing.deal_category() {
        f.insert("CATEGORY_ID".into(), json!(category));
    }
    if let Some(stage) = routing.deal_stage(record.outcome()) {
        f.insert("STAGE_ID".into(), json!(stage));
    }
    f.insert("COMMENTS".into(), json!(summary(record)));
    Value::Object(f)
}

/// A lead or deal with the essential fields only — the title, the caller's name and
/// number, the origin (for reconciliation), the customer, everything else in the
/// comments — for a portal that refused a field of the full one.
pub fn minimal(record: &CallRecord, deal: bool, customer: Customer) -> Value {
    let mut f = Map::new();
    f.insert("TITLE".into(), json!(title(record)));
    f.insert("ORIGINATOR_ID".into(), json!(ORIGINATOR));
    f.insert("ORIGIN_ID".into(), json!(record.call.id));
    f.insert("COMMENTS".into(), json!(summary(record)));
    if deal {
        if let Some(id) = customer.contact {
            f.insert("CONTACT_IDS".into(), json!([id]));
        }
        if let Some(id) = customer.company {
            f.insert("COMPANY_ID".into(), json!(id));
        }
    } else {
        if let Some(name) = record.slot_text("name") {
            f.insert("NAME".into(), json!(name));
        }
        f.insert("PHONE".into(), multifield(record.phones()));
    }
    Value::Object(f)
}

/// A callback's time as Bitrix24 wants a deadline: ISO 8601 with seconds and an offset.
/// Scenarios book `2026-11-27T14:00` in the tenant's local time; the offset is the one
/// of the call's own timestamps (Moscow when none has one). A time that is not one
/// (a tenant's scenario may book anything) becomes "as soon as possible": the end of
/// the call.
pub fn deadline(at: &str, record: &CallRecord) -> String {
    let at = at.trim();
    let offset = [&record.ended_at, &record.started_at]
        .into_iter()
        .flatten()
        .find_map(|t| offset_of(t).map(str::to_owned))
        .unwrap_or_else(|| "+03:00".into());
    let Some((local, own_offset)) = parse_local(at) else {
        return record
            .ended_at
            .clone()
            .filter(|t| parse_local(t).is_some_and(|(_, o)| o.is_some()))
            .unwrap_or_else(|| sva_abi::clock::rfc3339(sva_kit::unix_now() as i64, 180));
    };
    format!("{local}{}", own_offset.unwrap_or(&offset))
}

/// `YYYY-MM-DD[THH:MM[:SS]][offset]` → (`YYYY-MM-DDTHH:MM:SS`, the offset if any).
fn parse_local(at: &str) -> Option<(String, Option<&str>)> {
    // Checked byte by byte: every byte looked at is ASCII, so the slices below fall on
    // character boundaries whatever else the text holds.
    let b = at.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let is = |i: usize, c: u8| b.get(i) == Some(&c);
    let date_ok = (0..4).all(digit) && is(4, b'-') && digit(5) && digit(6) && is(7, b'-');
    if !(date_ok && digit(8) && digit(9)) {
        return None;
    }
    let number = |from: usize| u32::from(b[from] - b'0') * 10 + u32::from(b[from + 1] - b'0');
    if !((1..=12).contains(&number(5)) && (1..=31).contains(&number(8))) {
        return None;
    }
    let date = &at[..10];
    if b.len() == 10 {
        return Some((format!("{date}T10:00:00"), None)); // a day alone: the morning
    }
    if !(is(10, b'T') && digit(11) && digit(12) && is(13, b':') && digit(14) && digit(15)) {
        return None;
    }
    if number(11) > 23 || number(14) > 59 {
        return None;
    }
    let hm = &at[11..16];
    let (seconds, rest) = if is(16, b':') {
        if !(digit(17) && digit(18)) || number(17) > 59 {
            return None;
        }
        (&at[17..19], &at[19..])
    } else {
        ("00", &at[16..])
    };
    let own = match rest {
        "" => None,
        "Z" => Some("Z"),
        r => Some(offset_of(r).filter(|o| o.len() == r.len())?),
    };
    Some((format!("{date}T{hm}:{seconds}"), own))
}

/// The `+HH:MM` / `-HH:MM` at the end of `t`.
fn offset_of(t: &str) -> Option<&str> {
    let tail = t.get(t.len().checked_sub(6)?..)?;
    let b = tail.as_bytes();
    (matches!(b[0], b'+' | b'-')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3] == b':'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit())
    .then_some(tail)
}

/// The transcript as a timeline comment (BB-code, as the timeline shows it).
pub fn transcript_comment(record: &CallRecord) -> String {
    let mut text = format!(
        "[B]Разговор с голосовым ассистентом[/B] ({} с, {})\n",
        record.duration_s,
        outcome_title(record.outcome())
    );
    for exchange in &record.transcript {
        if !exchange.caller.is_empty() {
            text.push_str(&format!("Клиент: {}\n", exchange.caller));
        }
        for phrase in &exchange.assistant {
            text.push_str(&format!("Ассистент: {phrase}\n"));
        }
    }
    if let Some(url) = &record.recording_url {
        text.push_str(&format!("Запись: {url}\n"));
    }
    text.push_str(&marker(&record.call.id));
    text
}

/// The transcript for `telephony.call.attachTranscription`: the assistant is `User`
/// (our side), the caller `Client`; times in seconds from the start.
pub fn transcription_messages(record: &CallRecord) -> Value {
    let mut messages = Vec::new();
    let exchanges = &record.transcript;
    for (i, exchange) in exchanges.iter().enumerate() {
        let start = exchange.at_ms / 1000;
        let stop = exchanges
            .get(i + 1)
            .map(|next| next.at_ms / 1000)
            .unwrap_or(u64::from(record.duration_s))
            .max(start + 1);
        if !exchange.caller.is_empty() {
            messages.push(json!({"SIDE": "Client", "START_TIME": start, "STOP_TIME": stop, "MESSAGE": exchange.caller}));
        }
        let said = exchange.assistant.join(" ");
        if !said.is_empty() {
            messages.push(
                json!({"SIDE": "User", "START_TIME": start, "STOP_TIME": stop, "MESSAGE": said}),
            );
        }
    }
    Value::Array(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ended_at: Option<&str>) -> CallRecord {
        serde_json::from_value(json!({
            "tenant": "acme",
            "call": {"id": "c-1"},
            "ended_at": ended_at,
        }))
        .unwrap()
    }

    #[test]
    fn deadlines_get_seconds_and_the_calls_offset() {
        let yekaterinburg = record(Some("2026-11-26T09:15:00+05:00"));
        assert_eq!(
            deadline("2026-11-27T14:00", &yekaterinburg),
            "2026-11-27T14:00:00+05:00"
        );
        assert_eq!(
            deadline("2026-11-27", &yekaterinburg),
            "2026-11-27T10:00:00+05:00"
        );
        assert_eq!(
            deadline("2026-11-27T14:00:00+03:00", &yekaterinburg),
            "2026-11-27T14:00:00+03:00"
        );
        assert_eq!(
            deadline("2026-11-27T14:00", &record(None)),
            "2026-11-27T14:00:00+03:00"
        );
        assert_eq!(
            deadline("2026-11-27T14:00Z", &yekaterinburg),
            "2026-11-27T14:00:00Z"
        );
        // Not a time (a scenario may book anything): as soon as possible.
        for junk in [
            "1234ёё",
            "2026-13-45T10:00",
            "2026-11-27T99:99",
            "2026-11-27Tёё",
            "2026-11-27T14:00:ё",
            "завтра",
            "2026-11-27T",
            "2026-11-27T14",
            "2026-11-27T14:00+0",
            "ёёёёёёёёёёёёёёё",
        ] {
            assert_eq!(
                deadline(junk, &yekaterinburg),
                "2026-11-26T09:15:00+05:00",
                "{junk}"
            );
        }
    }

    #[test]
    fn the_marker_of_one_call_is_not_found_in_another() {
        assert!(!marker("c-10").contains(&marker("c-1")));
    }
}
