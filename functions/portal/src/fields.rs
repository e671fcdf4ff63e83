//! The legacy CRM entities' fields: which exist, how input values are stored (everything in
//! Bitrix24's string form), how a record renders for `crm.*.get`, and multifield updates.

use serde_json::{Map, Value, json};

use crate::clock;
use crate::directory::{Directory, UserField, UserFieldType};
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

const COMPANY: &[FieldDef] = &[
    r("ID", Ty::Int),
    w("TITLE", Ty::Str),
    w("COMPANY_TYPE", Ty::Str),
    w("INDUSTRY", Ty::Str),
    w("EMPLOYEES", Ty::Str),
    w("CURRENCY_ID", Ty::Str),
    w("REVENUE", Ty::Money),
    w("COMMENTS", Ty::Str),
    w("OPENED", Ty::Char),
    r("HAS_PHONE", Ty::Char),
    r("HAS_EMAIL", Ty::Char),
    r("HAS_IMOL", Ty::Char),
    w("ASSIGNED_BY_ID", Ty::Int),
    r("CREATED_BY_ID", Ty::Int),
    r("MODIFY_BY_ID", Ty::Int),
    r("DATE_CREATE", Ty::DateTime),
    r("DATE_MODIFY", Ty::DateTime),
    w("LEAD_ID", Ty::Int),
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

/// The standard fields of a kind.
pub(crate) fn defs(kind: Kind) -> &'static [FieldDef] {
    match kind {
        Kind::Lead => LEAD,
        Kind::Contact => CONTACT,
        Kind::Deal => DEAL,
        Kind::Company => COMPANY,
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
/// A record in the `crm.*.get` string form; `snapshot` adds the write-only id lists.
/// Custom fields show only while the portal defines them.
pub(crate) fn render(
    kind: Kind,
    rec: &Record,
    dir: &Directory,
    snapshot: bool,
) -> Map<String, Value> {
    let mut out = Map::new();
    let field = |name: &str| rec.fields.get(name).cloned().unwrap_or(Value::Null);
    let has = |name: &str| rec.multi.get(name).is_some_and(|v| !v.is_empty());
    let status_semantic = || dir.semantics("STATUS", text_of(&field("STATUS_ID")));
    let stage_semantic = || dir.semantics("DEAL_STAGE", text_of(&field("STAGE_ID")));
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
            "STATUS_SEMANTIC_ID" => Value::String(status_semantic().into()),
            "STAGE_SEMANTIC_ID" => Value::String(stage_semantic().into()),
            "CLOSED" => yn(stage_semantic() != "P"),
            // `api-reference/crm/leads/index` («Особенности»): read-only, `Y` whenever a
            // contact or a company is bound.
            "IS_RETURN_CUSTOMER" if kind == Kind::Lead => {
                yn(!field("CONTACT_ID").is_null() || !field("COMPANY_ID").is_null())
            }
            "IS_NEW" => yn(stage_semantic() == "P"),
            "DATE_CLOSED" => {
                if status_semantic() == "P" {
                    Value::Null
                } else {
                    Value::String(clock::iso(rec.modified))
                }
            }
            name => field(name),
        };
        out.insert(d.name.into(), v);
    }
    for uf in dir.user_fields_of(kind) {
        if let Some(v) = rec.fields.get(&uf.name) {
            out.insert(uf.name.clone(), v.clone());
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

/// One value of a custom field in its stored form, or `None` when it does not fit the
/// field's type: `api-reference/data-types` and `api-reference/crm/currency/index`
/// (money is `100|RUB`), `api-reference/crm/universal/crm-item-add` (a list takes the
/// option's `ID`). A value that does not fit is skipped, not refused
/// (`tutorials/crm/how-to-add-crm-objects/how-to-add-lead-with-files`: «метод пропускает
/// … значение в неподходящем формате»); `docs/bitrix24-rest.md` §10.
fn user_value(field: &UserField, dir: &Directory, p: &Param) -> Option<Value> {
    let text = p.text()?;
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let v = match field.ty {
        UserFieldType::String => text.to_owned(),
        UserFieldType::Integer => {
            let n: i64 = text.parse().ok()?;
            n.to_string()
        }
        UserFieldType::Double => {
            let f: f64 = text.parse().ok().filter(|f: &f64| f.is_finite())?;
            f.to_string()
        }
        UserFieldType::Money => {
            let (amount, currency) = text.split_once('|')?;
            let amount: f64 = amount.trim().parse().ok().filter(|f: &f64| f.is_finite())?;
            let currency = currency.trim();
            if !dir.currencies.iter().any(|c| c == currency) {
                return None;
            }
            format!("{amount}|{currency}")
        }
        UserFieldType::Boolean => match text.to_ascii_uppercase().as_str() {
            "Y" | "1" | "TRUE" => "1".into(),
            "N" | "0" | "FALSE" => "0".into(),
            _ => return None,
        },
        UserFieldType::Date => {
            let ok = text.len() == 10 && clock::parse(text).is_some();
            if !ok {
                return None;
            }
            clock::iso_date(clock::parse(text)?)
        }
        UserFieldType::Datetime => clock::iso(clock::parse(text)?),
        UserFieldType::Enumeration => {
            let id: u64 = text.parse().ok()?;
            field.options.iter().find(|(o, _)| *o == id)?;
            id.to_string()
        }
    };
    Some(Value::String(v))
}

/// A custom field's whole value: a list for a multiple field (values that do not fit
/// are dropped), one value otherwise; `None` when nothing fits.
fn user_field_value(field: &UserField, dir: &Directory, p: &Param) -> Option<Value> {
    if p.is_map() {
        let values: Vec<Value> = p
            .values()
            .filter_map(|v| user_value(field, dir, v))
            .collect();
        return match (field.multiple, values.len()) {
            (_, 0) => None,
            (true, _) => Some(Value::Array(values)),
            (false, _) => values.into_iter().next(),
        };
    }
    let one = user_value(field, dir, p)?;
    Some(if field.multiple {
        Value::Array(vec![one])
    } else {
        one
    })
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
    last_multi_id: &mut u64,
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
        // `api-reference/crm/contacts/crm-contact-add`: a bad e-mail is `ERROR_CORE`.
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
            None => {
                *last_multi_id += 1;
                list.push(MultiValue {
                    id: *last_multi_id,
                    value_type: value_type.unwrap_or_else(|| default_value_type(name).into()),
                    value,
                });
            }
        }
    }
    Ok(())
}

/// Applies `fields` to a record: standard writable fields, the portal's custom fields
/// and multifields. Unknown and read-only fields are ignored, as Bitrix24 does
/// (`api-reference/crm/contacts/crm-contact-add`: «Некорректное поле в fields будет
/// проигнорировано»; `api-reference/crm/leads/crm-lead-update`; `docs/bitrix24-rest.md`
/// §10): a `UF_CRM_*` the portal does not define is dropped silently.
pub(crate) fn apply(
    kind: Kind,
    rec: &mut Record,
    input: &Param,
    is_add: bool,
    dir: &Directory,
    last_multi_id: &mut u64,
) -> Result<(), ApiError> {
    for (key, value) in input.entries() {
        if let Some(d) = def(kind, key) {
            // `api-reference/crm/deals/crm-deal-update`: the pipeline is set once.
            if d.read_only || (!is_add && kind == Kind::Deal && key == "CATEGORY_ID") {
                continue;
            }
            if d.ty == Ty::Multi {
                let list = rec.multi.entry(key.clone()).or_default();
                apply_multi(key, list, value, is_add, last_multi_id)?;
                if list.is_empty() {
                    rec.multi.remove(key);
                }
                continue;
            }
            match normalise(d.ty, value) {
                Some(v) => rec.fields.insert(key.clone(), v),
                None => rec.fields.remove(key),
            };
        } else if let Some(uf) = dir.user_field(kind, key) {
            if *value == Param::Null || value.text().is_some_and(|t| t.is_empty()) {
                rec.fields.remove(key);
            } else if let Some(v) = user_field_value(uf, dir, value) {
                rec.fields.insert(key.clone(), v);
            }
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

/// `Неверное значение поля «…»`: how Bitrix24 refuses a value of a reference field.
fn wrong_value(title: &str) -> ApiError {
    ApiError::Crm(format!("Неверное значение поля «{title}»"))
}

/// The integer a record holds in `name`, if any.
fn int_field(rec: &Record, name: &str) -> Option<u64> {
    rec.fields
        .get(name)
        .and_then(Value::as_str)
        .and_then(|v| v.parse().ok())
}

/// Checks the reference fields `input` sets against the portal's lists. The currency
/// rule and its text are documented (`api-reference/crm/deals/crm-deal-add`: «Неверное
/// значение поля «Валюта»», an empty code); for the other lists (statuses, sources,
/// pipelines, stages, users) the docs do not say what a portal does with a value it
/// lacks, and the sandbox takes the stricter reading and refuses it the same way
/// (`docs/bitrix24-rest.md` §10). An inactive user is refused like a missing one, as the
/// telephony methods document (`api-reference/telephony/telephony-external-call-register`).
pub(crate) fn check_references(
    kind: Kind,
    rec: &Record,
    input: &Param,
    dir: &Directory,
) -> Result<(), ApiError> {
    let given = |name: &str| input.get(name).is_some_and(|v| *v != Param::Null);
    let text = |name: &str| rec.fields.get(name).and_then(Value::as_str).unwrap_or("");
    if given("ASSIGNED_BY_ID")
        && !int_field(rec, "ASSIGNED_BY_ID").is_some_and(|u| dir.user_active(u))
    {
        return Err(wrong_value("Ответственный"));
    }
    if given("CURRENCY_ID") && !dir.currencies.iter().any(|c| c == text("CURRENCY_ID")) {
        return Err(wrong_value("Валюта"));
    }
    if given("SOURCE_ID") && kind != Kind::Company && !dir.has_status("SOURCE", text("SOURCE_ID")) {
        return Err(wrong_value("Источник"));
    }
    if kind == Kind::Lead && given("STATUS_ID") && !dir.has_status("STATUS", text("STATUS_ID")) {
        return Err(wrong_value("Стадия"));
    }
    if kind == Kind::Deal {
        let category = int_field(rec, "CATEGORY_ID").unwrap_or(0);
        if given("CATEGORY_ID") && !dir.categories.contains_key(&category) {
            return Err(wrong_value("Воронка"));
        }
        let list = Directory::stage_list(category);
        if given("STAGE_ID") && !dir.has_status(&list, text("STAGE_ID")) {
            return Err(wrong_value("Стадия сделки"));
        }
    }
    Ok(())
}

/// The `type` `crm.*.fields` reports for a standard field, and its `statusType` for
/// fields that take a status list's code (`api-reference/crm/leads/crm-lead-fields`).
fn described_type(kind: Kind, d: &FieldDef) -> (&'static str, Option<&'static str>) {
    match (kind, d.name) {
        (_, "SOURCE_ID") => ("crm_status", Some("SOURCE")),
        (Kind::Lead, "STATUS_ID") => ("crm_status", Some("STATUS")),
        (Kind::Deal, "STAGE_ID") => ("crm_status", Some("DEAL_STAGE")),
        (_, "CURRENCY_ID") => ("crm_currency", None),
        (Kind::Deal, "CATEGORY_ID") => ("crm_category", None),
        (_, "COMPANY_ID") => ("crm_company", None),
        (_, "CONTACT_ID" | "CONTACT_IDS") => ("crm_contact", None),
        (_, name) if name.ends_with("BY_ID") || name == "LAST_ACTIVITY_BY" => ("user", None),
        _ => match d.ty {
            Ty::Str => ("string", None),
            Ty::Int => ("integer", None),
            Ty::Money => ("double", None),
            Ty::Char => ("char", None),
            Ty::Date => ("date", None),
            Ty::DateTime => ("datetime", None),
            Ty::IdList => ("crm_contact", None),
            Ty::Multi => ("crm_multifield", None),
        },
    }
}

/// `crm.*.fields`: the standard fields and the portal's custom fields, whose `title` is
/// their code and whose labels are apart (`api-reference/crm/companies/crm-company-fields`;
/// `docs/bitrix24-rest.md` §10).
pub(crate) fn describe(kind: Kind, dir: &Directory) -> Value {
    let mut out = Map::new();
    for d in defs(kind) {
        let (ty, status_type) = described_type(kind, d);
        let required = (d.name == "NAME" && kind == Kind::Contact)
            || (d.name == "TITLE" && kind == Kind::Company);
        let mut row = json!({
            "type": ty,
            "isRequired": required,
            "isReadOnly": d.read_only,
            "isImmutable": kind == Kind::Deal && d.name == "CATEGORY_ID",
            "isMultiple": matches!(d.ty, Ty::Multi | Ty::IdList),
            "isDynamic": false,
            "title": d.name,
        });
        if let Some(status_type) = status_type {
            row["statusType"] = json!(status_type);
        }
        out.insert(d.name.into(), row);
    }
    for uf in dir.user_fields_of(kind) {
        let mut row = json!({
            "type": uf.ty.code(),
            "isRequired": false,
            "isReadOnly": false,
            "isImmutable": false,
            "isMultiple": uf.multiple,
            "isDynamic": true,
            "title": uf.name,
            "listLabel": uf.label,
            "formLabel": uf.label,
            "filterLabel": uf.label,
            "settings": [],
        });
        if uf.ty == UserFieldType::Enumeration {
            row["items"] = Value::Array(
                uf.options
                    .iter()
                    .map(|(id, value)| json!({"ID": id.to_string(), "VALUE": value}))
                    .collect(),
            );
        }
        out.insert(uf.name.clone(), row);
    }
    Value::Object(out)
}
