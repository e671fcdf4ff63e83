//! Legacy CRM methods: `crm.{lead,contact,company,deal}.{add,update,get,list,fields}`,
//! `crm.duplicate.findbycomm` and `crm.settings.mode.get`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::ctx::{Ctx, Reply};
use crate::error::ApiError;
use crate::fields;
use crate::list::{Query, Schema};
use crate::params::Param;
use crate::phone::{comparable_phone, normalize_email};
use crate::store::{Kind, Record, Store};
use crate::{Inner, clock};

const FIELDS_NOT_ARRAY: &str = "Parameter 'fields' must be array.";
const BAD_ID: &str = "ID is not defined or invalid.";

fn s(v: impl Into<String>) -> Value {
    Value::String(v.into())
}

/// The defaults a new record starts with, before its `fields` are applied.
fn defaults(kind: Kind, user: u64, now: i64) -> BTreeMap<String, Value> {
    let mut f = BTreeMap::new();
    f.insert("ASSIGNED_BY_ID".into(), s(user.to_string()));
    f.insert("OPENED".into(), s("Y"));
    f.insert("LAST_ACTIVITY_TIME".into(), s(clock::iso(now)));
    f.insert("LAST_ACTIVITY_BY".into(), s(user.to_string()));
    match kind {
        Kind::Lead => {
            f.insert("STATUS_ID".into(), s("NEW"));
            f.insert("CURRENCY_ID".into(), s("RUB"));
            f.insert("OPPORTUNITY".into(), s("0.00"));
            f.insert("IS_MANUAL_OPPORTUNITY".into(), s("N"));
        }
        Kind::Contact => {
            f.insert("TYPE_ID".into(), s("CLIENT"));
            f.insert("EXPORT".into(), s("Y"));
        }
        Kind::Company => {
            f.insert("COMPANY_TYPE".into(), s("CUSTOMER"));
            f.insert("CURRENCY_ID".into(), s("RUB"));
        }
        Kind::Deal => {
            f.insert("CATEGORY_ID".into(), s("0"));
            f.insert("TYPE_ID".into(), s("SALE"));
            f.insert("CURRENCY_ID".into(), s("RUB"));
            f.insert("OPPORTUNITY".into(), s("0.00"));
            f.insert("IS_MANUAL_OPPORTUNITY".into(), s("N"));
            f.insert("TAX_VALUE".into(), s("0.00"));
            f.insert("IS_RECURRING".into(), s("N"));
            f.insert("IS_RETURN_CUSTOMER".into(), s("N"));
            f.insert("IS_REPEATED_APPROACH".into(), s("N"));
            f.insert("BEGINDATE".into(), s(clock::iso_date(now)));
            f.insert("CLOSEDATE".into(), s(clock::iso_date(now + 7 * 86_400)));
        }
    }
    f
}

fn is_blank(rec: &Record, name: &str) -> bool {
    rec.fields
        .get(name)
        .and_then(Value::as_str)
        .is_none_or(|v| v.trim().is_empty())
}

/// A contact needs a first or a last name (https://dev.1c-bitrix.ru/rest_help/crm/contacts/crm_contact_add.php,
/// `docs/bitrix24-rest.md` §4); a company needs its name (`crm.company.fields`:
/// `TITLE` is `isRequired`).
fn check_required(kind: Kind, rec: &Record) -> Result<(), ApiError> {
    if kind == Kind::Contact && is_blank(rec, "NAME") && is_blank(rec, "LAST_NAME") {
        return Err(ApiError::Crm(
            "One of the fields is required: \"First name\" or \"Last name\".".into(),
        ));
    }
    if kind == Kind::Company && is_blank(rec, "TITLE") {
        return Err(ApiError::Crm(
            "The field \"Company name\" is required.".into(),
        ));
    }
    Ok(())
}

/// Creates a record from `fields`; `validate` applies the portal's required-field rules.
pub(crate) fn insert(
    store: &mut Store,
    kind: Kind,
    input: &Param,
    user: u64,
    validate: bool,
) -> Result<u64, ApiError> {
    let now = clock::unix_now();
    let mut rec = Record {
        id: 0,
        created: now,
        modified: now,
        created_by: user,
        modified_by: user,
        fields: defaults(kind, user, now),
        multi: BTreeMap::new(),
    };
    fields::apply(
        kind,
        &mut rec,
        input,
        true,
        &store.directory,
        &mut store.last_multi_id,
    )?;
    if validate {
        check_required(kind, &rec)?;
        fields::check_references(kind, &rec, input, &store.directory)?;
    }
    let id = store.table_mut(kind).next_id();
    rec.id = id;
    if is_blank(&rec, "TITLE") && matches!(kind, Kind::Lead | Kind::Deal) {
        let title = match kind {
            Kind::Lead => format!("Lead #{id}"),
            _ => format!("Deal #{id}"),
        };
        rec.fields.insert("TITLE".into(), s(title));
    }
    if kind == Kind::Deal {
        let category = rec
            .fields
            .get("CATEGORY_ID")
            .and_then(Value::as_str)
            .map(crate::params::php_intval)
            .filter(|c| *c >= 0)
            .unwrap_or(0);
        rec.fields
            .insert("CATEGORY_ID".into(), s(category.to_string()));
        // `api-reference/crm/deals/crm-deal-add`: the pipeline's first stage by default.
        if is_blank(&rec, "STAGE_ID") {
            let stage = crate::directory::Directory::stage_id(category as u64, "NEW");
            rec.fields.insert("STAGE_ID".into(), s(stage));
        }
    }
    store.table_mut(kind).rows.insert(id, rec);
    Ok(id)
}

/// `Portal::seed_*`: a record as a manager would have made it in the UI.
pub(crate) fn seed(inner: &Inner, kind: Kind, fields: &Value) -> u64 {
    let input = Param::from_json(fields);
    inner.update(|s| {
        insert(s, kind, &input, 1, false).unwrap_or_else(|_| {
            // Only an invalid e-mail can fail without validation: seed without multifields.
            let mut bare = Param::map();
            for (k, v) in input.entries() {
                if !fields::multi_names(kind).contains(&k.as_str()) {
                    bare.insert(k.clone(), v.clone());
                }
            }
            insert(s, kind, &bare, 1, false).unwrap_or(0)
        })
    })
}

fn fields_arg(p: &Param) -> Result<&Param, ApiError> {
    p.legacy("fields")
        .filter(|f| f.is_map())
        .ok_or_else(|| ApiError::Crm(FIELDS_NOT_ARRAY.into()))
}

fn id_arg(p: &Param) -> Result<u64, ApiError> {
    p.legacy("id")
        .and_then(Param::id)
        .ok_or_else(|| ApiError::Crm(BAD_ID.into()))
}

/// `crm.*.add`: the new id as an integer.
pub(crate) fn add(ctx: &Ctx<'_>, kind: Kind, p: &Param) -> Result<Reply, ApiError> {
    let input = fields_arg(p)?;
    let id = ctx
        .inner
        .write(|s| insert(s, kind, input, ctx.user_id, true))?;
    Ok(Reply::value(json!(id)))
}

/// `crm.*.update`: `true`.
pub(crate) fn update(ctx: &Ctx<'_>, kind: Kind, p: &Param) -> Result<Reply, ApiError> {
    let id = id_arg(p)?;
    let input = fields_arg(p)?;
    ctx.inner.write(|s| {
        let mut rec = s
            .table(kind)
            .rows
            .get(&id)
            .cloned()
            .ok_or_else(ApiError::not_found)?;
        fields::apply(
            kind,
            &mut rec,
            input,
            false,
            &s.directory,
            &mut s.last_multi_id,
        )?;
        let names_given = ["NAME", "LAST_NAME", "TITLE"]
            .iter()
            .any(|n| input.get(n).is_some());
        if names_given {
            check_required(kind, &rec)?;
        }
        fields::check_references(kind, &rec, input, &s.directory)?;
        rec.modified = clock::unix_now();
        rec.modified_by = ctx.user_id;
        s.table_mut(kind).rows.insert(id, rec);
        Ok(Reply::value(Value::Bool(true)))
    })
}

/// `crm.*.get`: the record in its string form.
pub(crate) fn get(ctx: &Ctx<'_>, kind: Kind, p: &Param) -> Result<Reply, ApiError> {
    let id = id_arg(p)?;
    ctx.inner.read(|s| {
        let rec = s
            .table(kind)
            .rows
            .get(&id)
            .ok_or_else(ApiError::not_found)?;
        Ok(Reply::value(Value::Object(fields::render(
            kind,
            rec,
            &s.directory,
            false,
        ))))
    })
}

/// `crm.*.list`.
pub(crate) fn list(ctx: &Ctx<'_>, kind: Kind, p: &Param) -> Result<Reply, ApiError> {
    let query = Query::parse(p, true);
    let rows: Vec<Map<String, Value>> = ctx.inner.read(|s| {
        s.table(kind)
            .rows
            .values()
            .map(|r| fields::render(kind, r, &s.directory, false))
            .collect()
    });
    let schema = Schema {
        star: fields::star_names(kind),
        named_only: fields::multi_names(kind),
        user_fields: true,
    };
    Ok(Reply::page(query.run(rows, &schema)))
}

/// `crm.*.fields`.
pub(crate) fn fields(ctx: &Ctx<'_>, kind: Kind, _p: &Param) -> Result<Reply, ApiError> {
    Ok(Reply::value(
        ctx.inner.read(|s| fields::describe(kind, &s.directory)),
    ))
}

/// What `findbycomm` compares of a value of `field` (PHONE or EMAIL).
fn comparable(field: &str, v: &str) -> Option<String> {
    if field == "PHONE" {
        comparable_phone(v)
    } else {
        normalize_email(v)
    }
}

/// The records of `kind` whose `field` (PHONE or EMAIL) matches `needle`.
fn matches(store: &Store, kind: Kind, field: &str, needle: &str, limit: usize) -> Vec<u64> {
    let normalise = |v: &str| comparable(field, v);
    store
        .table(kind)
        .rows
        .values()
        .filter(|r| {
            r.multi.get(field).is_some_and(|values| {
                values
                    .iter()
                    .any(|m| normalise(&m.value).as_deref() == Some(needle))
            })
        })
        .map(|r| r.id)
        .take(limit)
        .collect()
}

/// `crm.duplicate.findbycomm` (`api-reference/crm/duplicates/crm-duplicate-find-by-comm`,
/// `docs/bitrix24-rest.md` §5): `{"CONTACT":[ids],…}`, or `[]` when nothing matches; at
/// most 20 values, 20 matches per value; numbers compared as written.
pub(crate) fn find_by_comm(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    let ty = p
        .legacy("type")
        .and_then(Param::text)
        .map(|t| t.trim().to_ascii_uppercase())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::Crm("Communication type is not defined.".into()))?;
    if ty != "PHONE" && ty != "EMAIL" {
        return Err(ApiError::Crm(format!(
            "Communication type '{ty}' is not supported in current context."
        )));
    }
    let values = p
        .legacy("values")
        .filter(|v| v.is_map())
        .ok_or_else(|| ApiError::Crm("Communication values is not defined.".into()))?;
    let entity = p
        .legacy("entity_type")
        .and_then(Param::text)
        .map(|t| t.trim().to_ascii_uppercase())
        .filter(|t| !t.is_empty());
    let kinds: Vec<Kind> = match entity.as_deref() {
        None => vec![Kind::Lead, Kind::Contact, Kind::Company],
        Some("LEAD") => vec![Kind::Lead],
        Some("CONTACT") => vec![Kind::Contact],
        Some("COMPANY") => vec![Kind::Company],
        Some(other) => {
            return Err(ApiError::Crm(format!(
                "Entity type '{other}' is not supported in current context."
            )));
        }
    };
    let mut needles: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for v in values.values() {
        let Some(raw) = v.as_str() else { continue };
        if !seen.insert(raw.to_owned()) {
            continue;
        }
        if seen.len() > 20 {
            break;
        }
        if let Some(n) = comparable(&ty, raw).filter(|n| !needles.contains(n)) {
            needles.push(n);
        }
    }
    let found = ctx.inner.read(|s| {
        let mut out = Map::new();
        for kind in kinds {
            let mut ids = BTreeSet::new();
            for needle in &needles {
                ids.extend(matches(s, kind, &ty, needle, 20));
            }
            if !ids.is_empty() {
                out.insert(
                    kind.upper().into(),
                    json!(ids.into_iter().collect::<Vec<_>>()),
                );
            }
            // «Если для одного типа объекта найдено 20 и более дубликатов, другие типы
            // не возвращаются» (same page, «Особенности работы метода»).
            if out
                .values()
                .any(|ids| ids.as_array().is_some_and(|a| a.len() >= 20))
            {
                break;
            }
        }
        out
    });
    Ok(Reply::value(if found.is_empty() {
        Value::Array(Vec::new())
    } else {
        Value::Object(found)
    }))
}

/// `crm.settings.mode.get`: 1, classic mode.
pub(crate) fn settings_mode(ctx: &Ctx<'_>, _p: &Param) -> Result<Reply, ApiError> {
    Ok(Reply::value(json!(if ctx.inner.config.simple_crm {
        2
    } else {
        1
    })))
}
