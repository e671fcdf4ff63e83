//! What the portal's admin set up, as REST methods: users (`user.get`, `user.current`,
//! `profile`), status lists (`crm.status.list`), deal pipelines (`crm.category.list`),
//! currencies (`crm.currency.list`), custom fields (`crm.*.userfield.list`), and the
//! application's own methods (`app.info`, `event.bind`, `event.get`).

use serde_json::{Value, json};

use crate::clock;
use crate::ctx::{Auth, Ctx, Reply};
use crate::directory::{Directory, User};
use crate::error::ApiError;
use crate::list::{Query, Schema};
use crate::params::Param;
use crate::store::Kind;

/// A user's inner phone number (`UF_PHONE_INNER`).
pub(crate) fn inner_phone(id: u64) -> String {
    if id == 1 {
        "100".into()
    } else {
        format!("1{id:02}")
    }
}

/// A user in the `user.get` form: `ID` a string, `ACTIVE` a JSON boolean
/// (`api-reference/user/user-get`).
fn user(id: u64, u: &User) -> Value {
    json!({
        "ID": id.to_string(),
        "XML_ID": null,
        "ACTIVE": u.active,
        "NAME": u.name,
        "LAST_NAME": "",
        "SECOND_NAME": "",
        "EMAIL": format!("user{id}@sandbox.invalid"),
        "LAST_LOGIN": clock::iso(clock::unix_now()),
        "DATE_REGISTER": "2024-01-01T00:00:00+03:00",
        "IS_ONLINE": if u.active { "Y" } else { "N" },
        "TIME_ZONE": "",
        "TIME_ZONE_OFFSET": (clock::OFFSET_SECS).to_string(),
        "PERSONAL_GENDER": "",
        "UF_DEPARTMENT": [1],
        "UF_PHONE_INNER": inner_phone(id),
        "WORK_PHONE": format!("+7495555{id:04}"),
        "PERSONAL_MOBILE": "",
        "USER_TYPE": "employee",
    })
}

/// `user.current`.
pub(crate) fn user_current(ctx: &Ctx<'_>, _p: &Param) -> Result<Reply, ApiError> {
    ctx.inner.read(|s| {
        let u = s
            .directory
            .users
            .get(&ctx.user_id)
            .cloned()
            .ok_or(ApiError::NoAuth)?;
        Ok(Reply::value(user(ctx.user_id, &u)))
    })
}

/// The ids a `user.get` filter value names: one, or a list.
fn ids_of(p: &Param) -> Vec<u64> {
    if p.is_map() {
        p.values().filter_map(Param::id).collect()
    } else {
        p.id().into_iter().collect()
    }
}

/// `user.get` (`api-reference/user/user-get`, `docs/bitrix24-rest.md` §10): `FILTER`
/// (or `filter`, or top-level keys, as older clients send) by `ID` (one or a list) and
/// `ACTIVE` («со значением true исключает уволенных»); a list, ordered by id, paged by 50.
pub(crate) fn user_get(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    let filter = p.get_any(&["FILTER", "filter"]);
    let arg = |name: &str| {
        filter
            .and_then(|f| f.get_any(&[name, &name.to_ascii_lowercase()]))
            .or_else(|| p.get_any(&[name, &name.to_ascii_lowercase()]))
    };
    let ids = arg("ID").map(ids_of);
    let active = arg("ACTIVE").map(|a| match a {
        Param::Str(s) => !matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "" | "n" | "false" | "0"
        ),
        other => other.flag(),
    });
    let users: Vec<Value> = ctx.inner.read(|s| {
        s.directory
            .users
            .iter()
            .filter(|(id, _)| ids.as_ref().is_none_or(|ids| ids.contains(id)))
            .filter(|(_, u)| active.is_none_or(|a| u.active == a))
            .take(crate::list::PAGE)
            .map(|(id, u)| user(*id, u))
            .collect()
    });
    Ok(Reply::value(Value::Array(users)))
}

/// `profile`.
pub(crate) fn profile(ctx: &Ctx<'_>, _p: &Param) -> Result<Reply, ApiError> {
    let id = ctx.user_id;
    let name = ctx.inner.read(|s| {
        s.directory
            .users
            .get(&id)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    });
    Ok(Reply::value(json!({
        "ID": id.to_string(),
        "ADMIN": id == 1,
        "NAME": name,
        "LAST_NAME": "",
        "PERSONAL_GENDER": "",
        "TIME_ZONE": "",
        "TIME_ZONE_OFFSET": clock::OFFSET_SECS,
    })))
}

/// The fields of a `crm.status.list` row.
const STATUS_FIELDS: &[&str] = &[
    "ID",
    "ENTITY_ID",
    "STATUS_ID",
    "NAME",
    "NAME_INIT",
    "SORT",
    "SYSTEM",
    "CATEGORY_ID",
    "COLOR",
    "SEMANTICS",
    "EXTRA",
];

/// `crm.status.list` (`api-reference/crm/status/crm-status-list`): every list's rows,
/// filtered by `ENTITY_ID` and the like. `DEAL_STAGE_0` is no list, so it answers an
/// empty one (`tutorials/crm/how-to-get-lists/how-to-get-elements-by-stage-filter`).
pub(crate) fn status_list(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    let query = Query::parse(p, true);
    let rows = ctx.inner.read(|s| {
        s.directory
            .statuses
            .iter()
            .enumerate()
            .map(|(i, st)| {
                let category = st
                    .entity_id
                    .strip_prefix("DEAL_STAGE_")
                    .map(str::to_owned)
                    .or_else(|| (st.entity_id == "DEAL_STAGE").then(|| "0".into()));
                let process = match st.semantics.as_deref() {
                    Some("S") => "success",
                    Some("F") => "failure",
                    _ => "process",
                };
                let row = json!({
                    "ID": (i + 1).to_string(),
                    "ENTITY_ID": st.entity_id,
                    "STATUS_ID": st.status_id,
                    "NAME": st.name,
                    "NAME_INIT": st.name,
                    "SORT": st.sort.to_string(),
                    "SYSTEM": "Y",
                    "CATEGORY_ID": category,
                    "COLOR": null,
                    "SEMANTICS": st.semantics,
                    "EXTRA": {"SEMANTICS": process, "COLOR": null},
                });
                row.as_object().cloned().unwrap_or_default()
            })
            .collect()
    });
    let schema = Schema {
        star: STATUS_FIELDS.to_vec(),
        named_only: &[],
        user_fields: false,
    };
    let page = query.run(rows, &schema);
    Ok(Reply::value(Value::Array(page.rows)))
}

/// `crm.category.list` (`api-reference/crm/universal/category/crm-category-list`): the
/// deal pipelines for `entityTypeId=2`, as `{"categories": […]}`.
pub(crate) fn category_list(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    let entity = p
        .get("entityTypeId")
        .and_then(Param::intval)
        .ok_or_else(|| {
            ApiError::coded("100", "Could not find value for parameter {entityTypeId}")
        })?;
    let categories: Vec<Value> = if entity == 2 {
        ctx.inner.read(|s| {
            s.directory
                .categories
                .iter()
                .map(|(id, name)| {
                    json!({"id": id, "name": name, "sort": (id + 1) * 100, "entityTypeId": 2,
                        "isDefault": if *id == 0 { "Y" } else { "N" }})
                })
                .collect()
        })
    } else {
        Vec::new()
    };
    let total = categories.len() as u64;
    Ok(Reply {
        result: json!({ "categories": categories }),
        next: None,
        total: Some(total),
    })
}

/// `crm.currency.list` (`api-reference/crm/currency/crm-currency-list`).
pub(crate) fn currency_list(ctx: &Ctx<'_>, _p: &Param) -> Result<Reply, ApiError> {
    let rows: Vec<Value> = ctx.inner.read(|s| {
        s.directory
            .currencies
            .iter()
            .enumerate()
            .map(|(i, c)| {
                json!({"CURRENCY": c, "AMOUNT_CNT": "1", "AMOUNT": "1.0000", "SORT": ((i + 1) * 100).to_string(),
                    "BASE": if i == 0 { "Y" } else { "N" }, "FULL_NAME": c, "LID": "ru",
                    "FORMAT_STRING": format!("# {c}"), "DEC_POINT": ".", "THOUSANDS_SEP": " ",
                    "DECIMALS": "2", "DATE_UPDATE": "2024-01-01T00:00:00+03:00"})
            })
            .collect()
    });
    Ok(Reply::value(Value::Array(rows)))
}

/// `crm.{lead,deal,contact,company}.userfield.list`
/// (`api-reference/crm/leads/userfield/crm-lead-userfield-list`): every scalar a string,
/// `LIST` for enumerations; filtered by `FIELD_NAME`, `USER_TYPE_ID` and the like.
pub(crate) fn userfield_list(ctx: &Ctx<'_>, kind: Kind, p: &Param) -> Result<Reply, ApiError> {
    let query = Query::parse(p, true);
    let entity = format!("CRM_{}", kind.upper());
    let rows = ctx.inner.read(|s| {
        s.directory
            .user_fields_of(kind)
            .map(|f| {
                let mut row = json!({
                    "ID": f.id.to_string(),
                    "ENTITY_ID": entity,
                    "FIELD_NAME": f.name,
                    "USER_TYPE_ID": f.ty.code(),
                    "XML_ID": null,
                    "SORT": "100",
                    "MULTIPLE": if f.multiple { "Y" } else { "N" },
                    "MANDATORY": "N",
                    "SHOW_FILTER": "N",
                    "SHOW_IN_LIST": "Y",
                    "EDIT_IN_LIST": "Y",
                    "IS_SEARCHABLE": "N",
                    "SETTINGS": {},
                    "EDIT_FORM_LABEL": f.label,
                    "LIST_COLUMN_LABEL": f.label,
                    "LIST_FILTER_LABEL": f.label,
                });
                if !f.options.is_empty() {
                    row["LIST"] = Value::Array(
                        f.options
                            .iter()
                            .enumerate()
                            .map(|(i, (id, value))| {
                                json!({"ID": id.to_string(), "SORT": ((i + 1) * 10).to_string(),
                                    "VALUE": value, "DEF": "N", "XML_ID": id.to_string()})
                            })
                            .collect(),
                    );
                }
                row.as_object().cloned().unwrap_or_default()
            })
            .collect()
    });
    let schema = Schema {
        star: vec![
            "ID",
            "ENTITY_ID",
            "FIELD_NAME",
            "USER_TYPE_ID",
            "XML_ID",
            "SORT",
            "MULTIPLE",
            "MANDATORY",
            "SHOW_FILTER",
            "SHOW_IN_LIST",
            "EDIT_IN_LIST",
            "IS_SEARCHABLE",
            "SETTINGS",
            "EDIT_FORM_LABEL",
            "LIST_COLUMN_LABEL",
            "LIST_FILTER_LABEL",
            "LIST",
        ],
        named_only: &[],
        user_fields: false,
    };
    let page = query.run(rows, &schema);
    Ok(Reply::value(Value::Array(page.rows)))
}

/// `app.info` (`api-reference/common/system/app-info`): the application the access token
/// belongs to. A webhook is no application: `ACCESS_DENIED` «Application context
/// required», as the page's error example shows.
pub(crate) fn app_info(ctx: &Ctx<'_>, _p: &Param) -> Result<Reply, ApiError> {
    if ctx.auth == Auth::Webhook {
        return Err(ApiError::coded(
            "ACCESS_DENIED",
            "Access denied! Application context required",
        ));
    }
    Ok(Reply::value(json!({
        "ID": 1,
        "CODE": ctx.inner.config.client_id,
        "VERSION": 1,
        "STATUS": "L",
        "INSTALLED": true,
        "PAYMENT_EXPIRED": "N",
        "DAYS": null,
        "LANGUAGE_ID": "ru",
        "LICENSE": "ru_pro100",
        "LICENSE_TYPE": "pro100",
        "LICENSE_FAMILY": "pro",
    })))
}

/// The events the sandbox knows (`api-reference/events/events`).
const EVENTS: &[&str] = &[
    "ONAPPINSTALL",
    "ONAPPUNINSTALL",
    "ONCRMLEADADD",
    "ONCRMDEALADD",
];

/// `event.bind` (`api-reference/events/event-bind`, application context only): binds
/// `handler` to `event`; an unknown event is `ERROR_EVENT_NOT_FOUND`.
pub(crate) fn event_bind(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    let text = |name: &str| {
        p.get_any(&[name, &name.to_ascii_uppercase()])
            .and_then(Param::text)
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    };
    let event = text("event")
        .map(|e| e.to_ascii_uppercase())
        .filter(|e| EVENTS.contains(&e.as_str()))
        .ok_or_else(|| ApiError::coded("ERROR_EVENT_NOT_FOUND", "Event not found"))?;
    let handler =
        text("handler").ok_or_else(|| ApiError::coded("ERROR_ARGUMENT", "Handler is empty"))?;
    ctx.inner.update(|s| {
        if !s.handlers.iter().any(|(e, h)| *e == event && *h == handler) {
            s.handlers.push((event, handler));
        }
    });
    Ok(Reply::value(Value::Bool(true)))
}

/// `event.get`: the bound handlers.
pub(crate) fn event_get(ctx: &Ctx<'_>, _p: &Param) -> Result<Reply, ApiError> {
    let rows = ctx.inner.read(|s| {
        s.handlers
            .iter()
            .map(|(event, handler)| json!({"event": event, "handler": handler, "auth_type": "0", "offline": 0}))
            .collect()
    });
    Ok(Reply::value(Value::Array(rows)))
}

/// Whether user `id` exists and still works here.
pub(crate) fn active_user(dir: &Directory, id: u64) -> bool {
    dir.user_active(id)
}
