//! The timeline: `crm.timeline.comment.add|list`, `crm.activity.todo.add`,
//! `crm.activity.list|get`, and the call activities `telephony.externalCall.finish` makes.

use serde_json::{Map, Value, json};

use crate::clock;
use crate::ctx::{Ctx, Reply};
use crate::error::ApiError;
use crate::list::{Query, Schema};
use crate::params::Param;
use crate::store::{Kind, Store};

/// The fields of a comment in `select: ["*"]`.
const COMMENT_STAR: &[&str] = &[
    "ID",
    "ENTITY_ID",
    "ENTITY_TYPE",
    "CREATED",
    "COMMENT",
    "AUTHOR_ID",
];

/// The fields of an activity in `select: ["*"]`.
const ACTIVITY_STAR: &[&str] = &[
    "ID",
    "OWNER_ID",
    "OWNER_TYPE_ID",
    "TYPE_ID",
    "PROVIDER_ID",
    "PROVIDER_TYPE_ID",
    "PROVIDER_GROUP_ID",
    "ASSOCIATED_ENTITY_ID",
    "SUBJECT",
    "CREATED",
    "LAST_UPDATED",
    "START_TIME",
    "END_TIME",
    "DEADLINE",
    "COMPLETED",
    "STATUS",
    "RESPONSIBLE_ID",
    "PRIORITY",
    "NOTIFY_TYPE",
    "NOTIFY_VALUE",
    "DESCRIPTION",
    "DESCRIPTION_TYPE",
    "DIRECTION",
    "LOCATION",
    "SETTINGS",
    "ORIGINATOR_ID",
    "ORIGIN_ID",
    "AUTHOR_ID",
    "EDITOR_ID",
];

fn s(v: impl ToString) -> Value {
    Value::String(v.to_string())
}

fn missing(name: &str) -> ApiError {
    ApiError::coded(
        "100",
        format!("Could not find value for parameter {{{name}}}"),
    )
}

/// An owner as `crm.timeline.comment.add` names it (`lead`, `deal`, `contact`…).
fn owner_exists(store: &Store, entity_type: &str, id: u64) -> bool {
    Kind::from_name(entity_type).is_some_and(|k| store.exists(k, id))
}

/// `crm.timeline.comment.add`: lower-case `fields` only; the new id as an integer.
pub(crate) fn comment_add(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    let fields = p
        .get("fields")
        .filter(|f| f.is_map())
        .ok_or_else(|| missing("fields"))?;
    let entity_type = fields
        .get("ENTITY_TYPE")
        .and_then(Param::text)
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::coded(
                "INVALID_ARG_VALUE",
                "ENTITY_TYPE is not defined or invalid.",
            )
        })?;
    let known = matches!(
        entity_type.as_str(),
        "lead" | "deal" | "contact" | "company" | "order"
    ) || entity_type
        .strip_prefix("dynamic_")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if !known {
        return Err(ApiError::coded(
            "INVALID_ARG_VALUE",
            "ENTITY_TYPE is not defined or invalid.",
        ));
    }
    let entity_id = fields.get("ENTITY_ID").and_then(Param::id).ok_or_else(|| {
        ApiError::coded("INVALID_ARG_VALUE", "ENTITY_ID is not defined or invalid.")
    })?;
    let comment = fields
        .get("COMMENT")
        .and_then(Param::text)
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| ApiError::coded("INVALID_ARG_VALUE", "COMMENT is empty."))?;
    let files: Vec<Value> = fields
        .get("FILES")
        .map(|f| {
            f.values()
                .filter_map(|file| file.values().next().and_then(Param::text))
                .map(|name| json!({"name": name}))
                .collect()
        })
        .unwrap_or_default();
    ctx.inner.write(|st| {
        if !owner_exists(st, &entity_type, entity_id) {
            return Err(ApiError::coded(
                "OWNER_NOT_FOUND",
                "The owner of the comment is not found.",
            ));
        }
        let id = st.next_comment_id();
        let mut row = Map::new();
        row.insert("ID".into(), s(id));
        row.insert("ENTITY_ID".into(), s(entity_id));
        row.insert("ENTITY_TYPE".into(), s(&entity_type));
        row.insert("CREATED".into(), s(clock::iso(clock::unix_now())));
        row.insert("COMMENT".into(), s(&comment));
        row.insert("AUTHOR_ID".into(), s(ctx.user_id));
        if !files.is_empty() {
            row.insert("FILES".into(), Value::Array(files.clone()));
        }
        st.comments.push(row);
        Ok(Reply::value(json!(id)))
    })
}

/// `crm.timeline.comment.list`: the filter must name `ENTITY_ID` and `ENTITY_TYPE`.
pub(crate) fn comment_list(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    let filter = p.legacy("filter");
    let names = |field: &str| {
        filter.is_some_and(|f| {
            f.entries()
                .iter()
                .any(|(k, _)| k.trim_start_matches(['=', '@']).eq_ignore_ascii_case(field))
        })
    };
    for field in ["ENTITY_ID", "ENTITY_TYPE"] {
        if !names(field) {
            return Err(ApiError::Crm(format!("{field} is not defined or invalid.")));
        }
    }
    let query = Query::parse(p, true);
    let rows = ctx.inner.read(|st| st.comments.clone());
    let schema = Schema {
        star: COMMENT_STAR.to_vec(),
        named_only: &["FILES"],
        user_fields: false,
    };
    Ok(Reply::page(query.run(rows, &schema)))
}

/// Stores an activity row (its `ID` is assigned here); returns the id.
pub(crate) fn push_activity(st: &mut Store, mut row: Map<String, Value>) -> u64 {
    let id = st.next_activity_id();
    row.insert("ID".into(), s(id));
    st.activities.push(row);
    id
}

/// The common skeleton of an activity row.
pub(crate) fn activity_row(
    owner: (Kind, u64),
    type_id: u8,
    provider: (&str, &str),
    user: u64,
    now: i64,
) -> Map<String, Value> {
    let mut row = Map::new();
    let now = s(clock::iso(now));
    for (k, v) in [
        ("OWNER_ID", s(owner.1)),
        ("OWNER_TYPE_ID", s(owner.0.type_id())),
        ("TYPE_ID", s(type_id)),
        ("PROVIDER_ID", s(provider.0)),
        ("PROVIDER_TYPE_ID", s(provider.1)),
        ("PROVIDER_GROUP_ID", Value::Null),
        ("ASSOCIATED_ENTITY_ID", s(0)),
        ("SUBJECT", s("")),
        ("CREATED", now.clone()),
        ("LAST_UPDATED", now.clone()),
        ("START_TIME", now.clone()),
        ("END_TIME", now.clone()),
        ("DEADLINE", now),
        ("COMPLETED", s("N")),
        ("STATUS", s(1)),
        ("RESPONSIBLE_ID", s(user)),
        ("PRIORITY", s(2)),
        ("NOTIFY_TYPE", s(0)),
        ("NOTIFY_VALUE", s(0)),
        ("DESCRIPTION", s("")),
        ("DESCRIPTION_TYPE", s(1)),
        ("DIRECTION", s(0)),
        ("LOCATION", s("")),
        ("SETTINGS", Value::Array(Vec::new())),
        ("ORIGINATOR_ID", Value::Null),
        ("ORIGIN_ID", Value::Null),
        ("AUTHOR_ID", s(user)),
        ("EDITOR_ID", s(user)),
        ("COMMUNICATIONS", Value::Array(Vec::new())),
        ("BINDINGS", json!([binding(owner.0, owner.1)])),
    ] {
        row.insert(k.into(), v);
    }
    row
}

/// A required integer argument of a controller-style method.
fn int_arg(p: &Param, name: &str) -> Result<i64, ApiError> {
    let v = p.get(name).ok_or_else(|| missing(name))?;
    let text = v.text().unwrap_or_default();
    let t = text.trim();
    if t.is_empty()
        || !t
            .trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        return Err(ApiError::coded(
            "100",
            format!(
                "Invalid value {t} to match with parameter {{{name}}}. Should be value of type int."
            ),
        ));
    }
    Ok(v.intval().unwrap_or(0))
}

/// `pingOffsets`: minutes before the deadline to remind at, integers 0 or more; `[]`
/// (no reminders) when left out (`api-reference/crm/timeline/activities/todo/crm-activity-todo-add`).
fn ping_offsets(p: &Param) -> Result<Vec<i64>, ApiError> {
    let Some(offsets) = p.get("pingOffsets") else {
        return Ok(Vec::new());
    };
    let items: Vec<&Param> = if offsets.is_map() {
        offsets.values().collect()
    } else {
        vec![offsets]
    };
    items
        .into_iter()
        .map(|v| {
            v.text()
                .and_then(|t| t.trim().parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    ApiError::coded(
                        "100",
                        "Invalid value to match with parameter {pingOffsets}. Should be value of type array of int.",
                    )
                })
        })
        .collect()
}

/// `crm.activity.todo.add`
/// (`api-reference/crm/timeline/activities/todo/crm-activity-todo-add`): `{"id": N}`;
/// the owner must exist (`OWNER_NOT_FOUND`), the deadline must be a time
/// (`WRONG_DATETIME_FORMAT`). The docs do not say what a dismissed `responsibleId` gets:
/// the sandbox refuses it (`NOT_FOUND`), the stricter reading (`docs/bitrix24-rest.md` §10).
pub(crate) fn todo_add(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    let owner_type = int_arg(p, "ownerTypeId")?;
    let owner_id = int_arg(p, "ownerId")?;
    let deadline_text = p
        .get("deadline")
        .and_then(Param::text)
        .ok_or_else(|| missing("deadline"))?;
    let deadline = clock::parse(&deadline_text).ok_or_else(|| {
        ApiError::coded(
            "WRONG_DATETIME_FORMAT",
            format!("Wrong datetime format: {deadline_text}"),
        )
    })?;
    let title = p.get("title").and_then(Param::text).unwrap_or_default();
    let description = p
        .get("description")
        .and_then(Param::text)
        .unwrap_or_default();
    let responsible = p
        .get("responsibleId")
        .and_then(Param::id)
        .unwrap_or(ctx.user_id);
    let ping_offsets = ping_offsets(p)?;
    ctx.inner.write(|st| {
        if !st.directory.user_active(responsible) {
            return Err(ApiError::coded("NOT_FOUND", "Responsible user not found."));
        }
        let owner = Kind::from_type_id(owner_type)
            .filter(|k| owner_id > 0 && st.exists(*k, owner_id as u64))
            .ok_or_else(|| ApiError::coded("OWNER_NOT_FOUND", "Owner not found."))?;
        let now = clock::unix_now();
        let mut row = activity_row(
            (owner, owner_id as u64),
            6,
            ("CRM_TODO", "TODO"),
            ctx.user_id,
            now,
        );
        let deadline = s(clock::iso(deadline));
        row.insert("SUBJECT".into(), s(title));
        row.insert("DESCRIPTION".into(), s(description));
        row.insert("RESPONSIBLE_ID".into(), s(responsible));
        row.insert("PING_OFFSETS".into(), json!(ping_offsets));
        row.insert("START_TIME".into(), deadline.clone());
        row.insert("END_TIME".into(), deadline.clone());
        row.insert("DEADLINE".into(), deadline);
        let id = push_activity(st, row);
        Ok(Reply::value(json!({"id": id})))
    })
}

fn activity_schema() -> Schema {
    Schema {
        star: ACTIVITY_STAR.to_vec(),
        named_only: &["COMMUNICATIONS", "BINDINGS", "PING_OFFSETS"],
        user_fields: false,
    }
}

/// One binding of an activity, as `crm.activity.binding.list` shows it.
fn binding(kind: Kind, id: u64) -> Value {
    json!({"entityTypeId": kind.type_id(), "entityId": id})
}

/// The activity `activityId` names, or `NOT_FOUND`.
fn activity_index(st: &Store, p: &Param) -> Result<usize, ApiError> {
    let id = int_arg(p, "activityId")?;
    st.activities
        .iter()
        .position(|a| a.get("ID").and_then(Value::as_str) == Some(id.to_string().as_str()))
        .ok_or_else(|| ApiError::coded("NOT_FOUND", "Элемент не найден"))
}

/// `crm.activity.binding.add`
/// (`api-reference/crm/timeline/activities/binding/crm-activity-binding-add`): binds an
/// activity to one more CRM record, `true`; an existing binding is
/// `ACTIVITY_IS_ALREADY_BOUND`, a missing record `NOT_FOUND`.
pub(crate) fn binding_add(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    let entity_type = int_arg(p, "entityTypeId")?;
    let entity_id = int_arg(p, "entityId")?;
    ctx.inner.write(|st| {
        let index = activity_index(st, p)?;
        let kind = Kind::from_type_id(entity_type)
            .filter(|k| entity_id > 0 && st.exists(*k, entity_id as u64))
            .ok_or_else(|| ApiError::coded("NOT_FOUND", "Элемент не найден"))?;
        let wanted = binding(kind, entity_id as u64);
        let bindings = st.activities[index]
            .entry("BINDINGS")
            .or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(list) = bindings else {
            return Err(ApiError::Internal);
        };
        if list.contains(&wanted) {
            return Err(ApiError::coded(
                "ACTIVITY_IS_ALREADY_BOUND",
                "Дело уже привязано к этому элементу",
            ));
        }
        list.push(wanted);
        Ok(Reply::value(Value::Bool(true)))
    })
}

/// `crm.activity.binding.list`: the records an activity is bound to.
pub(crate) fn binding_list(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    ctx.inner.read(|st| {
        let index = activity_index(st, p)?;
        let list = st.activities[index]
            .get("BINDINGS")
            .cloned()
            .unwrap_or(Value::Array(Vec::new()));
        Ok(Reply::value(list))
    })
}

/// `crm.activity.list`.
pub(crate) fn activity_list(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    let query = Query::parse(p, true);
    let rows = ctx.inner.read(|st| st.activities.clone());
    Ok(Reply::page(query.run(rows, &activity_schema())))
}

/// `crm.activity.get`.
pub(crate) fn activity_get(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    let id = p
        .legacy("id")
        .and_then(Param::id)
        .ok_or_else(|| ApiError::Crm("ID is not defined or invalid.".into()))?;
    ctx.inner.read(|st| {
        st.activities
            .iter()
            .find(|a| a.get("ID").and_then(Value::as_str) == Some(id.to_string().as_str()))
            .map(|a| Reply::value(Value::Object(a.clone())))
            .ok_or_else(ApiError::not_found)
    })
}
