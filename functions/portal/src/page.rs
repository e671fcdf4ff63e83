//! `GET /_sandbox/`: a small self-contained page in Russian showing what landed in the
//! sandbox portal (leads, contacts, companies, deals, comments, to-dos, calls). Every
//! value is escaped.

use serde_json::Value;

use crate::Portal;

/// Escapes text for HTML.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A value for a cell: strings as they are, lists of multifield entries as their values.
fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::Object(o) => o
                    .get("VALUE")
                    .or_else(|| o.get("MESSAGE"))
                    .map(|x| cell(Some(x)))
                    .unwrap_or_else(|| i.to_string()),
                other => cell(Some(other)),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

/// A section with a table of `rows`, showing `columns` as (field, Russian header).
fn table(out: &mut String, title: &str, rows: &[Value], columns: &[(&str, &str)]) {
    out.push_str(&format!(
        "<h2>{} <small>({})</small></h2>\n",
        escape(title),
        rows.len()
    ));
    if rows.is_empty() {
        out.push_str("<p class=\"empty\">Пока пусто.</p>\n");
        return;
    }
    out.push_str("<table>\n<tr>");
    for (_, header) in columns {
        out.push_str(&format!("<th>{}</th>", escape(header)));
    }
    out.push_str("</tr>\n");
    for row in rows.iter().rev() {
        out.push_str("<tr>");
        for (field, _) in columns {
            let value = field
                .split('+')
                .map(|f| cell(row.get(f)))
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            out.push_str(&format!("<td>{}</td>", escape(&value)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// Flattens a call for its table row.
fn call_row(c: &Value) -> Value {
    let finish = c.get("FINISH").cloned().unwrap_or(Value::Null);
    let entity = match (c.get("CRM_ENTITY_TYPE"), c.get("CRM_ENTITY_ID")) {
        (Some(Value::String(t)), Some(id)) => format!("{t} #{}", cell(Some(id))),
        _ => String::new(),
    };
    let direction = match c.get("TYPE").and_then(Value::as_u64) {
        Some(1) => "исходящий",
        Some(2) => "входящий",
        Some(3) => "входящий (переадресация)",
        Some(4) => "обратный",
        Some(5) => "информационный",
        _ => "",
    };
    let transcript = c
        .get("TRANSCRIPTS")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .flat_map(|t| {
                    t.get("MESSAGES")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                })
                .map(|m| format!("{}: {}", cell(m.get("SIDE")), cell(m.get("MESSAGE"))))
                .collect::<Vec<_>>()
                .join(" / ")
        })
        .unwrap_or_default();
    let record = c
        .get("RECORD")
        .map(|r| cell(r.get("RECORD_URL").or_else(|| r.get("FILENAME"))))
        .unwrap_or_default();
    serde_json::json!({
        "CALL_ID": c.get("CALL_ID"),
        "PHONE_NUMBER": c.get("PHONE_NUMBER"),
        "DIRECTION": direction,
        "ENTITY": entity,
        "START": c.get("CALL_START_DATE"),
        "DURATION": finish.get("CALL_DURATION").map(|d| cell(Some(d))).unwrap_or_else(|| "идёт".into()),
        "STATUS": finish.get("CALL_FAILED_CODE"),
        "RECORD": record,
        "TRANSCRIPT": transcript,
    })
}

/// The page.
pub(crate) fn render(portal: &Portal) -> String {
    let stats = portal.stats();
    let activities = portal.activities();
    let todos: Vec<Value> = activities
        .iter()
        .filter(|a| a.get("PROVIDER_ID").and_then(Value::as_str) == Some("CRM_TODO"))
        .cloned()
        .collect();
    let call_activities: Vec<Value> = activities
        .iter()
        .filter(|a| a.get("PROVIDER_ID").and_then(Value::as_str) != Some("CRM_TODO"))
        .cloned()
        .collect();
    let calls: Vec<Value> = portal.calls().iter().map(call_row).collect();
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"ru\">\n<head>\n<meta charset=\"utf-8\">\n<title>Песочница Битрикс24</title>\n<style>\nbody{font-family:system-ui,sans-serif;margin:2em;color:#222}\ntable{border-collapse:collapse;margin-bottom:1em;font-size:14px}\nth,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\nth{background:#eef3f8}\n.empty{color:#888}\nsmall{color:#888;font-weight:normal}\n</style>\n</head>\n<body>\n<h1>Песочница Битрикс24</h1>\n",
    );
    out.push_str(&format!(
        "<p>Запросов: {}, отклонено лимитом: {}, сбоев: {}, выполнено методов: {}. <a href=\"/_sandbox/\">Обновить</a> · <a href=\"/_sandbox/state\">JSON</a></p>\n",
        stats.requests, stats.rate_limited, stats.faults_injected, stats.executed
    ));
    table(
        &mut out,
        "Лиды",
        &portal.leads(),
        &[
            ("ID", "ID"),
            ("TITLE", "Название"),
            ("NAME+LAST_NAME", "Имя"),
            ("PHONE", "Телефон"),
            ("EMAIL", "E-mail"),
            ("STATUS_ID", "Статус"),
            ("SOURCE_ID", "Источник"),
            ("ORIGIN_ID", "Внешний ID"),
            ("COMMENTS", "Комментарий"),
            ("DATE_CREATE", "Создан"),
        ],
    );
    table(
        &mut out,
        "Контакты",
        &portal.contacts(),
        &[
            ("ID", "ID"),
            ("NAME+SECOND_NAME+LAST_NAME", "Имя"),
            ("PHONE", "Телефон"),
            ("EMAIL", "E-mail"),
            ("ORIGIN_ID", "Внешний ID"),
            ("DATE_CREATE", "Создан"),
        ],
    );
    table(
        &mut out,
        "Компании",
        &portal.companies(),
        &[
            ("ID", "ID"),
            ("TITLE", "Название"),
            ("PHONE", "Телефон"),
            ("ASSIGNED_BY_ID", "Ответственный"),
            ("DATE_CREATE", "Создана"),
        ],
    );
    table(
        &mut out,
        "Сделки",
        &portal.deals(),
        &[
            ("ID", "ID"),
            ("TITLE", "Название"),
            ("STAGE_ID", "Стадия"),
            ("CATEGORY_ID", "Воронка"),
            ("OPPORTUNITY+CURRENCY_ID", "Сумма"),
            ("CONTACT_IDS", "Контакты"),
            ("COMPANY_ID", "Компания"),
            ("ASSIGNED_BY_ID", "Ответственный"),
            ("ORIGIN_ID", "Внешний ID"),
            ("DATE_CREATE", "Создана"),
        ],
    );
    table(
        &mut out,
        "Комментарии в таймлайне",
        &portal.comments(),
        &[
            ("ID", "ID"),
            ("ENTITY_TYPE+ENTITY_ID", "К чему"),
            ("COMMENT", "Текст"),
            ("CREATED", "Добавлен"),
        ],
    );
    table(
        &mut out,
        "Дела",
        &todos,
        &[
            ("ID", "ID"),
            ("OWNER_TYPE_ID+OWNER_ID", "Владелец (тип, ID)"),
            ("SUBJECT", "Заголовок"),
            ("DESCRIPTION", "Описание"),
            ("DEADLINE", "Крайний срок"),
            ("PING_OFFSETS", "Напомнить за, мин"),
            ("RESPONSIBLE_ID", "Ответственный"),
        ],
    );
    table(
        &mut out,
        "Звонки в CRM",
        &call_activities,
        &[
            ("ID", "ID"),
            ("OWNER_TYPE_ID+OWNER_ID", "Владелец (тип, ID)"),
            ("BINDINGS", "Привязки"),
            ("SUBJECT", "Тема"),
            ("START_TIME", "Начало"),
            ("END_TIME", "Конец"),
            ("COMPLETED", "Завершено"),
        ],
    );
    table(
        &mut out,
        "Звонки телефонии",
        &calls,
        &[
            ("CALL_ID", "ID звонка"),
            ("PHONE_NUMBER", "Номер"),
            ("DIRECTION", "Тип"),
            ("ENTITY", "Привязка"),
            ("START", "Начало"),
            ("DURATION", "Длительность, с"),
            ("STATUS", "Код"),
            ("RECORD", "Запись"),
            ("TRANSCRIPT", "Расшифровка"),
        ],
    );
    out.push_str("</body>\n</html>\n");
    out
}
