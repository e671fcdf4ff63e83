//! The legacy CRM entities' fields: which exist, how input values are stored (everything in
//! Bitrix24's string form), how a record renders for `crm.*.get`, and multifield updates.

use serde_json::{Map, Value, json};

use crate::clock;
use crate::error::ApiError;
use crate::params::Param;
use crate::store::{Kind, MultiValue, Record};

/// How a field is typed and used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    /// Free text.
    Str,
    /// An integer id or number.
    Int,
    /// Money: rendered with two decimals.
    Money,
    /// `Y`/`N`.
    Char,
    /// A date (rendered as local midnight with offset).
    Date,
    /// A date and time.
    DateTime,
    /// A list of ids (`CONTACT_IDS`), write-only in `get`.
    IdList,
    /// A multifield (`PHONE`…).
    Multi,
}

/// A standard field.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldDef {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// Set by the portal only.
    pub read_only: bool,
}

const fn w(name: &'static str, ty: Ty) -> FieldDef {
    FieldDef {
        name,
        ty,
        read_only: false,
    }
}

const fn r(name: &'static str, ty: Ty) -> FieldDef {
    FieldDef {
        name,
        ty,
        read_only: true,
    }
}

const LEAD: &[FieldDef] = &[
    r("ID", Ty::Int),
    w("TITLE", Ty::Str),
    w("HONORIFIC", Ty::Str),
    w("NAME", Ty::Str),
    w("SECOND_NAME", Ty::Str),
    w("LAST_NAME", Ty::Str),
    w("BIRTHDATE", Ty::Date),
    w("COMPANY_TITLE", Ty::Str),
    w("COMPANY_ID", Ty::Int),
    w("CONTACT_ID", Ty::Int),
    w("CONTACT_IDS", Ty::IdList),
    r("IS_RETURN_CUSTOMER", Ty::Char),
    w("SOURCE_ID", Ty::Str),
    w("SOURCE_DESCRIPTION", Ty::Str),
    w("STATUS_ID", Ty::Str),
    w("STATUS_DESCRIPTION", Ty::Str),
    r("STATUS_SEMANTIC_ID", Ty::Str),
    w("POST", Ty::Str),
    w("ADDRESS", Ty::Str),
    w("ADDRESS_CITY", Ty::Str),
    w("ADDRESS_COUNTRY", Ty::Str),
    w("COMMENTS", Ty::Str),
    w("CURRENCY_ID", Ty::Str),
    w("OPPORTUNITY", Ty::Money),
    w("IS_MANUAL_OPPORTUNITY", Ty::Char),
    w("OPENED", Ty::Char),
    w("ASSIGNED_BY_ID", Ty::Int),
    r("CREATED_BY_ID", Ty::Int),
    r("MODIFY_BY_ID", Ty::Int),
    r("DATE_CREATE", Ty::DateTime),
    r("DATE_MODIFY", Ty::DateTime),
    r("DATE_CLOSED", Ty::DateTime),
    r("HAS_PHONE", Ty::Char),
    r("HAS_EMAIL", Ty::Char),
    r("HAS_IMOL", Ty::Char),
    w("ORIGINATOR_ID", Ty::Str),
    w("ORIGIN_ID", Ty::Str),
    w("UTM_SOURCE", Ty::Str),
    w("UTM_MEDIUM", Ty::Str),
    w("UTM_CAMPAIGN", Ty::Str),
    w("UTM_CONTENT", Ty::Str),
    w("UTM_TERM", Ty::Str),
    r("LAST_ACTIVITY_TIME", Ty::DateTime),
    r("LAST_ACTIVITY_BY", Ty::Int),
    w("PHONE", Ty::Multi),
    w("EMAIL", Ty::Multi),
    w("WEB", Ty::Multi),
    w("IM", Ty::Multi),
];

const CONTACT: &[FieldDef] = &[
    r("ID", Ty::Int),
    w("HONORIFIC", Ty::Str),
    w("NAME", Ty::Str),
    w("SECOND_NAME", Ty::Str),
    w("LAST_NAME", Ty::Str),
    w("BIRTHDATE", Ty::Date),
    w("TYPE_ID", Ty::Str),
    w("SOURCE_ID", Ty::Str),
    w("SOURCE_DESCRIPTION", Ty::Str),
    w("POST", Ty::Str),
    w("ADDRESS", Ty::Str),
    w("ADDRESS_CITY", Ty::Str),
    w("ADDRESS_COUNTRY", Ty::Str),
    w("COMMENTS", Ty::Str),
    w("OPENED", Ty::Char),
    w("EXPORT", Ty::Char),
    r("HAS_PHONE", Ty::Char),
    r("HAS_EMAIL", Ty::Char),
    r("HAS_IMOL", Ty::Char),
    w("ASSIGNED_BY_ID", Ty::Int),
    r("CREATED_BY_ID", Ty::Int),
    r("MODIFY_BY_ID", Ty::Int),
    r("DATE_CREATE", Ty::DateTime),
    r("DATE_MODIFY", Ty::DateTime),
    w("COMPANY_ID", Ty::Int),
    w("COMPANY_IDS", Ty::IdList),
    w("LEAD_ID", Ty::Int),
    w("ORIGINATOR_ID", Ty::Str),
    w("ORIGIN_ID", Ty::Str),
    w("ORIGIN_VERSION", Ty::Str),
    w("UTM_SOURCE", Ty::Str),
    w("UTM_MEDIUM", Ty::Str),
    w("UTM_CAMPAIGN", Ty::Str),
    w("UTM_CONTENT", Ty::Str),
    w("UTM_TERM", Ty::Str),
    r("LAST_ACTIVITY_TIME", Ty::DateTime),
    r("LAST_ACTIVITY_BY", Ty::Int),
    w("PHONE", Ty::Multi),
    w("EMAIL", Ty::Multi),
    w("WEB", Ty::Multi),
    w("IM", Ty::Multi),
];

const DEAL: &[FieldDef] = &[
    r("ID", Ty::Int),
    w("TITLE", Ty::Str),
    w("TYPE_ID", Ty::Str),
    w("CATEGORY_ID", Ty::Int),
    w("STAGE_ID", Ty::Str),
    r("STAGE_SEMANTIC_ID", Ty::Str),
    r("IS_NEW", Ty::Char),
    w("IS_RECURRING", Ty::Char),
    w("IS_RETURN_CUSTOMER", Ty::Char),
    w("IS_REPEATED_APPROACH", Ty::Char),
    w("PROBABILITY", Ty::Int),
    w("CURRENCY_ID", Ty::Str),
    w("OPPORTUNITY", Ty::Money),
    w("IS_MANUAL_OPPORTUNITY", Ty::Char),
    w("TAX_VALUE", Ty::Money),
    w("COMPANY_ID", Ty::Int),
    w("CONTACT_ID", Ty::Int),
    w("CONTACT_IDS", Ty::IdList),
    w("QUOTE_ID", Ty::Int),
    w("BEGINDATE", Ty::Date),
    w("CLOSEDATE", Ty::Date),
    w("OPENED", Ty::Char),
    r("CLOSED", Ty::Char),
    w("COMMENTS", Ty::Str),
    w("ASSIGNED_BY_ID", Ty::Int),
    r("CREATED_BY_ID", Ty::Int),
    r("MODIFY_BY_ID", Ty::Int),
    r("DATE_CREATE", Ty::DateTime),
    r("DATE_MODIFY", Ty::DateTime),
    w("SOURCE_ID", Ty::Str),
    w("SOURCE_DESCRIPTION", Ty::Str),
    w("LEAD_ID", Ty::Int),
    w("ADDITIONAL_INFO", Ty::Str),
    w("ORIGINATOR_ID", Ty::Str),
    w("ORIGIN_ID", Ty::Str),
    w("UTM_SOURCE", Ty::Str),
    w("UTM_MEDIUM", Ty::Str),
    w("UTM_CAMPAIGN", Ty::Str),
    w("UTM_CONTENT", Ty::Str),
    w("UTM_TERM", Ty::Str),
    r("LAST_ACTIVITY_TIME", Ty::DateTime),
    r("LAST_ACTIVITY_BY", Ty::Int),
];

/// The standard fields of a kind.
pub(crate) fn defs(kind: Kind) -> &'static [FieldDef] {
    match kind {
        Kind::Lead => LEAD,
        Kind::Contact => CONTACT,
        Kind::Deal => DEAL,
    }
}

/// The definition of a standard field.
pub(crate) fn def(kind: Kind, name: &str) -> Option<&'static FieldDef> {
    defs(kind).iter().find(|d| d.name == name)
}

/// The multifields of a kind (none for deals).
pub(crate) fn multi_names(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Deal => &[],
        _ => &["PHONE", "EMAIL", "WEB", "IM"],
    }
}

/// The fields `select: ["*"]` means: the standard scalar fields a `get` shows.
pub(crate) fn star_names(kind: Kind) -> Vec<&'static str> {
    defs(kind)
        .iter()
        .filter(|d| !matches!(d.ty, Ty::Multi | Ty::IdList))
        .map(|d| d.name)
        .collect()
}

fn yn(b: bool) -> Value {
    Value::String(if b { "Y" } else { "N" }.into())
}

/// A record in the `crm.*.get` string form; `snapshot` adds the write-only id lists.
pub(crate) fn render(kind: Kind, rec: &Record, snapshot: bool) -> Map<String, Value> {
    let mut out = Map::new();
    let field = |name: &str| rec.fields.get(name).cloned().unwrap_or(Value::Null);
    let has = |name: &str| rec.multi.get(name).is_some_and(|v| !v.is_empty());
    for d in defs(kind) {
        if d.ty == Ty::Multi || (d.ty == Ty::IdList && !snapshot) {
            continue;
        }
        let v = match d.name {
            "ID" => Value::String(rec.id.to_string()),
            "DATE_CREATE" => Value::String(clock::iso(rec.created)),
            "DATE_MODIFY" => Value::String(clock::iso(rec.modified)),
            "CREATED_BY_ID" => Value::String(rec.created_by.to_string()),
            "MODIFY_BY_ID" => Value::String(rec.modified_by.to_string()),
            "HAS_PHONE" => yn(has("PHONE")),
            "HAS_EMAIL" => yn(has("EMAIL")),
            "HAS_IMOL" => yn(false),
            "STATUS_SEMANTIC_ID" => Value::String(lead_semantic(&field("STATUS_ID")).into()),
            "STAGE_SEMANTIC_ID" => Value::String(deal_semantic(&field("STAGE_ID")).into()),
            "CLOSED" => yn(deal_semantic(&field("STAGE_ID")) != "P"),
            "IS_RETURN_CUSTOMER" if kind == Kind::Lead => {
                yn(!field("CONTACT_ID").is_null() || !field("COMPANY_ID").is_null())
            }
            "IS_NEW" => yn(deal_semantic(&field("STAGE_ID")) == "P"),
            "DATE_CLOSED" => {
                if lead_semantic(&field("STATUS_ID")) == "P" {
                    Value::Null
                } else {
                    Value::String(clock::iso(rec.modified))
                }
            }
            name => field(name),
        };
        out.insert(d.name.into(), v);
    }
    for (k, v) in &rec.fields {
        if k.starts_with("UF_") {
            out.insert(k.clone(), v.clone());
        }
    }
    for name in multi_names(kind) {
        if let Some(values) = rec.multi.get(*name).filter(|v| !v.is_empty()) {
            let list = values
                .iter()
                .map(|m| {
                    json!({"ID": m.id.to_string(), "VALUE_TYPE": m.value_type, "VALUE": m.value, "TYPE_ID": name})
                })
                .collect();
            out.insert((*name).into(), Value::Array(list));
        }
    }
    out
}

fn text_of(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// `P` (in progress), `S` (success) or `F` (failure) for a lead status.
fn lead_semantic(status: &Value) -> &'static str {
    match text_of(status) {
        "CONVERTED" => "S",
        "JUNK" => "F",
        _ => "P",
    }
}

/// `P`, `S` or `F` for a deal stage (`WON`, `C1:WON`, `LOSE`, `APOLOGY`).
fn deal_semantic(stage: &Value) -> &'static str {
    let s = text_of(stage);
    let bare = s.rsplit(':').next().unwrap_or(s);
    match bare {
        "WON" => "S",
        "LOSE" | "APOLOGY" => "F",
        _ => "P",
    }
}

/// A scalar in its stored string form, by field type; `None` clears the field.
fn normalise(ty: Ty, p: &Param) -> Option<Value> {
    if let Param::Map(_) = p {
        return match ty {
            Ty::IdList => Some(id_list(p)),
            _ => Some(list_of_texts(p)),
        };
    }
    if *p == Param::Null {
        return None;
    }
    let text = match p {
        Param::Bool(b) if matches!(ty, Ty::Char) => return Some(yn(*b)),
        other => other.text().unwrap_or_default(),
    };
    let v = match ty {
        Ty::Str | Ty::DateTime | Ty::Multi => text,
        Ty::Int => {
            if text.trim().is_empty() {
                return None;
            }
            let n = p.intval().unwrap_or(0);
            n.to_string()
        }
        Ty::Money => {
            let f: f64 = text.trim().parse().unwrap_or(0.0);
            let f = if f.is_finite() { f } else { 0.0 };
            format!("{f:.2}")
        }
        Ty::Char => match text.trim().to_ascii_uppercase().as_str() {
            "Y" | "1" | "TRUE" | "YES" => "Y".into(),
            _ => "N".into(),
        },
        Ty::Date => {
            if text.trim().is_empty() {
                return None;
            }
            clock::parse(&text).map_or(text, clock::iso_date)
        }
        Ty::IdList => return Some(id_list(p)),
    };
    Some(Value::String(v))
}

/// Ids from a list (or one scalar), zeros and junk dropped.
fn id_list(p: &Param) -> Value {
    let items: Vec<&Param> = if p.is_map() {
        p.values().collect()
    } else {
        vec![p]
    };
    Value::Array(
        items
            .into_iter()
            .filter_map(Param::id)
            .map(|id| Value::String(id.to_string()))
            .collect(),
    )
}

/// A list value (multiple user fields) with its scalars as strings.
fn list_of_texts(p: &Param) -> Value {
    Value::Array(
        p.values()
            .map(|v| v.text().map_or_else(|| v.to_json(), Value::String))
            .collect(),
    )
}

/// Whether an e-mail address is plausible.
fn valid_email(v: &str) -> bool {
    let Some((local, domain)) = v.trim().split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !v.trim().contains(char::is_whitespace)
        && !domain.contains('@')
}

/// The default `VALUE_TYPE` of a multifield.
fn default_value_type(name: &str) -> &'static str {
    if name == "IM" { "OTHER" } else { "WORK" }
}

/// Applies a multifield input to a record's values (`docs/bitrix24-rest.md` §3): an entry without `ID`
/// adds; `{ID, VALUE}` replaces; `{ID, DELETE:"Y"}`, `{ID, VALUE:""}` or `{ID}` deletes.
fn apply_multi(
    name: &str,
    list: &mut Vec<MultiValue>,
    input: &Param,
    is_add: bool,
    next_id: &mut dyn FnMut() -> u64,
) -> Result<(), ApiError> {
    if !input.is_map() {
        return Ok(());
    }
    for item in input.values() {
        if !item.is_map() {
            continue;
        }
        let id = if is_add {
            None
        } else {
            item.get("ID").and_then(Param::id)
        };
        let value = item.get("VALUE").and_then(Param::text).unwrap_or_default();
        let value_type = item
            .get("VALUE_TYPE")
            .and_then(Param::text)
            .map(|t| t.trim().to_ascii_uppercase())
            .filter(|t| !t.is_empty());
        let delete = item
            .get("DELETE")
            .and_then(Param::text)
            .is_some_and(|d| d.trim().eq_ignore_ascii_case("Y"));
        if name == "EMAIL" && !delete && !value.is_empty() && !valid_email(&value) {
            return Err(ApiError::Core(format!(
                "E-mail address \"{value}\" is incorrect."
            )));
        }
        match id {
            Some(id) => {
                if let Some(pos) = list.iter().position(|m| m.id == id) {
                    if delete || value.is_empty() {
                        list.remove(pos);
                    } else {
                        list[pos].value = value;
                        if let Some(t) = value_type {
                            list[pos].value_type = t;
                        }
                    }
                }
            }
            None if delete || value.is_empty() => {}
            None => list.push(MultiValue {
                id: next_id(),
                value_type: value_type.unwrap_or_else(|| default_value_type(name).into()),
                value,
            }),
        }
    }
    Ok(())
}

/// Applies `fields` to a record: standard writable fields, `UF_*` fields and multifields;
/// unknown and read-only fields are ignored, as Bitrix24 does.
pub(crate) fn apply(
    kind: Kind,
    rec: &mut Record,
    input: &Param,
    is_add: bool,
    next_multi_id: &mut dyn FnMut() -> u64,
) -> Result<(), ApiError> {
    for (key, value) in input.entries() {
        if let Some(d) = def(kind, key) {
            if d.read_only || (!is_add && kind == Kind::Deal && key == "CATEGORY_ID") {
                continue;
            }
            if d.ty == Ty::Multi {
                let list = rec.multi.entry(key.clone()).or_default();
                apply_multi(key, list, value, is_add, next_multi_id)?;
                if list.is_empty() {
                    rec.multi.remove(key);
                }
                continue;
            }
            match normalise(d.ty, value) {
                Some(v) => rec.fields.insert(key.clone(), v),
                None => rec.fields.remove(key),
            };
        } else if key.starts_with("UF_") {
            match normalise(Ty::Str, value) {
                Some(v) => rec.fields.insert(key.clone(), v),
                None => rec.fields.remove(key),
            };
        }
    }
    // `CONTACT_IDS` and the deprecated `CONTACT_ID` describe the same binding.
    if def(kind, "CONTACT_IDS").is_some() {
        let ids_given = input.get("CONTACT_IDS").is_some();
        if ids_given {
            let first = rec
                .fields
                .get("CONTACT_IDS")
                .and_then(|v| v.as_array())
                .and_then(|a| a.first().cloned());
            match first {
                Some(f) => rec.fields.insert("CONTACT_ID".into(), f),
                None => rec.fields.remove("CONTACT_ID"),
            };
        } else if input.get("CONTACT_ID").is_some() {
            match rec.fields.get("CONTACT_ID").cloned() {
                Some(id) => rec
                    .fields
                    .insert("CONTACT_IDS".into(), Value::Array(vec![id])),
                None => rec.fields.remove("CONTACT_IDS"),
            };
        }
    }
    Ok(())
}

/// `crm.*.fields`: a static description of the standard fields.
pub(crate) fn describe(kind: Kind) -> Value {
    let mut out = Map::new();
    for d in defs(kind) {
        let ty = match d.ty {
            Ty::Str => "string",
            Ty::Int => {
                if d.name.ends_with("BY_ID") || d.name == "LAST_ACTIVITY_BY" {
                    "user"
                } else {
                    "integer"
                }
            }
            Ty::Money => "double",
            Ty::Char => "char",
            Ty::Date => "date",
            Ty::DateTime => "datetime",
            Ty::IdList => "crm_contact",
            Ty::Multi => "crm_multifield",
        };
        let required = d.name == "NAME" && kind == Kind::Contact;
        out.insert(
            d.name.into(),
            json!({
                "type": ty,
                "isRequired": required,
                "isReadOnly": d.read_only,
                "isImmutable": kind == Kind::Deal && d.name == "CATEGORY_ID",
                "isMultiple": matches!(d.ty, Ty::Multi | Ty::IdList),
                "isDynamic": false,
                "title": d.name,
            }),
        );
    }
    Value::Object(out)
}
