//! Application automation rules ("robots"): `bizproc.robot.add`, `.update`, `.list`,
//! `.delete`, and `bizproc.event.send`, by which an application answers a robot that
//! waits for it; plus what the portal does when a manager's robot runs on a stage
//! ([`crate::Portal::put_robot_on_stage`], [`crate::Portal::move_to_stage`]).
//!
//! Sources (`github:bitrix24/b24restdocs`, snapshot 2026-08-21; the page is
//! `https://apidocs.bitrix24.com/<path>.html`):
//! * `api-reference/bizproc/bizproc-robot/index`: the methods «only work in the context
//!   of the installed application»; a robot that waits needs `RETURN_PROPERTIES` and
//!   `USE_SUBSCRIPTION`; the handler gets `EVENT_TOKEN`.
//! * `…/bizproc-robot-add`: «Who can execute the method: administrator»; `CODE` of
//!   `a-z A-Z 0-9 . - _`; `HANDLER` «must have the same domain where the application is
//!   installed»; `USE_SUBSCRIPTION` — the robot does not wait only when it is `N`;
//!   `NAME` a string or `{lang: string}`; property keys start with a letter, then
//!   `a-z A-Z 0-9 _`; property types `bool date datetime double file int select string
//!   text user`; `DOCUMENT_TYPE` one of the CRM triples; `FILTER` of `INCLUDE`/`EXCLUDE`;
//!   `PLACEMENT_HANDLER` «required if `USE_PLACEMENT = 'Y'`»; the error table (codes and
//!   texts copied below).
//! * `…/bizproc-robot-update`: `CODE`, `FIELDS` (at least one; «No fields to update»),
//!   `ERROR_ACTIVITY_NOT_FOUND`. `…/bizproc-robot-list`: the codes. `…/bizproc-robot-delete`:
//!   `ERROR_ACTIVITY_NOT_FOUND` «Activity or Robot not found!».
//! * `…/bizproc-event-send`: `EVENT_TOKEN*`, `RETURN_VALUES`, `LOG_MESSAGE`; «any user»;
//!   only for a robot registered with `USE_SUBSCRIPTION = Y`; an invalid or expired token
//!   is HTTP 403 `ACCESS_DENIED` «Access denied!». The page shows only OAuth calls: a
//!   webhook is refused as by the robot methods (the docs are silent; stricter).
//! * `…/bizproc-robot-add` (and the other robot methods), the error table: a webhook gets
//!   `ACCESS_DENIED` «Application context required»; a non-administrator `ACCESS_DENIED`
//!   «Access denied!».
//! * What a robot's handler receives is not on those pages; the official PHP SDK reads
//!   it (`github:bitrix24/b24phpsdk` `src/Services/Workflows/Robot/Request/IncomingRobotRequest.php`,
//!   `…/Common/WorkflowDocumentId.php`, `…/Common/Auth.php`): a form post
//!   (`api-reference/events/index`: `application/x-www-form-urlencoded`) of
//!   `workflow_id`, `code`, `document_id[0..2]` (`crm`, `CCrmDocumentDeal`, `DEAL_12`),
//!   `document_type[0..2]`, `event_token`, `properties[…]`, `use_subscription` (`Y`/`N`),
//!   `timeout_duration`, `ts` and `auth[…]` (`access_token`, `expires`, `expires_in`,
//!   `scope`, `domain`, `server_endpoint`, `status`, `client_endpoint`, `member_id`,
//!   `user_id`, `refresh_token`, `application_token`).
//!
//! Stricter than the pages, where they are silent: a property's `Type` must be one of
//! the basic types and a `select` must list `Options`; `Required`/`Multiple` are `Y` or
//! `N`; `HANDLER` must be on the host of the application's own handler (the install
//! path) — with no install path known, every handler is refused; `RETURN_VALUES` naming a
//! value the robot did not register, or of the wrong type (`int`, `double`, `bool`,
//! `select`), is refused (`ERROR_ARGUMENT`); a token answered once is spent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::ctx::{Auth, Ctx, Reply};
use crate::error::ApiError;
use crate::params::Param;
use crate::store::Kind;

/// The administrator of a sandbox portal (`directory::DEFAULT_USERS`: user 1).
pub(crate) const ADMIN_USER: u64 = 1;

/// The property types a robot may declare (`bizproc-robot-add`, «Object PROPERTY»).
const TYPES: &[&str] = &[
    "bool", "date", "datetime", "double", "file", "int", "select", "string", "text", "user",
];

/// The CRM document types `DOCUMENT_TYPE` may name (`bizproc-robot-add`).
const DOCUMENT_TYPES: &[(&str, &str)] = &[
    ("CCrmDocumentLead", "LEAD"),
    ("CCrmDocumentDeal", "DEAL"),
    (
        "Bitrix\\Crm\\Integration\\BizProc\\Document\\Quote",
        "QUOTE",
    ),
    (
        "Bitrix\\Crm\\Integration\\BizProc\\Document\\SmartInvoice",
        "SMART_INVOICE",
    ),
];

/// A registered robot.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Robot {
    /// `CODE`.
    pub code: String,
    /// `HANDLER`.
    pub handler: String,
    /// `AUTH_USER_ID`: whose token the handler gets (the registering user when unset).
    pub auth_user_id: u64,
    /// Whether the robot waits for `bizproc.event.send` (all but an explicit `N`).
    pub use_subscription: bool,
    /// `NAME`: a string or `{lang: string}`.
    pub name: Value,
    /// `DESCRIPTION`.
    pub description: Value,
    /// `PROPERTIES`.
    pub properties: Map<String, Value>,
    /// `RETURN_PROPERTIES`.
    pub return_properties: Map<String, Value>,
    /// `DOCUMENT_TYPE`.
    pub document_type: Option<Vec<String>>,
    /// `FILTER`.
    pub filter: Option<Value>,
    /// `USE_PLACEMENT`.
    pub use_placement: bool,
    /// `PLACEMENT_HANDLER`.
    pub placement_handler: Option<String>,
}

/// A robot a manager put on a stage of leads or deals, with the values they set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Placement {
    /// The entity (leads or deals).
    pub kind: Kind,
    /// The stage (`STATUS_ID` of leads, `STAGE_ID` of deals).
    pub stage: String,
    /// The robot's code.
    pub code: String,
    /// The property values.
    pub properties: BTreeMap<String, String>,
    /// How long the robot waits for the application (seconds; 0: as long as it takes).
    pub timeout_duration: u64,
}

/// One run of a robot on a document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Run {
    /// `event_token`.
    pub event_token: String,
    /// The robot's code.
    pub code: String,
    /// The document: (entity, id).
    pub document: (Kind, u64),
    /// When it ran (Unix seconds).
    pub ts: i64,
    /// The timeout (seconds; 0: none).
    pub timeout_duration: u64,
    /// The answer `bizproc.event.send` gave, once given.
    pub answer: Option<Value>,
}

/// The `ACCESS_DENIED` refusals of the robot methods.
fn app_only(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    if ctx.auth == Auth::Webhook {
        return Err(ApiError::denied("Application context required"));
    }
    if ctx.user_id != ADMIN_USER {
        return Err(ApiError::denied("Access denied!"));
    }
    Ok(())
}

fn invalid(description: impl Into<String>) -> ApiError {
    ApiError::coded("ERROR_ACTIVITY_VALIDATION_FAILURE", description)
}

/// Whether `code` is a valid robot code.
fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// Whether `key` is a valid property key: a letter, then letters, digits, `_`.
fn valid_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether a string-or-localized value says something.
fn said(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.trim().is_empty(),
        Value::Object(m) => m.values().any(said),
        Value::Array(a) => a.iter().any(said),
        _ => false,
    }
}

/// A member of a property by name, any case (`Name`, `NAME`).
fn member<'v>(prop: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    prop.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Checks `PROPERTIES` or `RETURN_PROPERTIES`.
fn properties(v: Option<&Value>) -> Result<Map<String, Value>, ApiError> {
    let Some(v) = v else {
        return Ok(Map::new());
    };
    let map = match v {
        Value::Object(m) => m.clone(),
        Value::Array(a) if a.is_empty() => Map::new(),
        Value::String(s) if s.is_empty() => Map::new(),
        _ => return Err(invalid("Wrong properties array!")),
    };
    for (key, prop) in &map {
        if !valid_key(key) {
            return Err(invalid(format!("Wrong property key {key}!")));
        }
        let Value::Object(prop) = prop else {
            return Err(invalid("Wrong properties array!"));
        };
        if !member(prop, "Name").is_some_and(said) {
            return Err(invalid(format!("Empty property NAME {key}!")));
        }
        let ty = text_of(member(prop, "Type")).unwrap_or_else(|| "string".into());
        if !TYPES.contains(&ty.as_str()) {
            return Err(invalid("Wrong properties array!"));
        }
        let options = member(prop, "Options").and_then(Value::as_object);
        if ty == "select" && options.is_none_or(Map::is_empty) {
            return Err(invalid("Wrong properties array!"));
        }
        for flag in ["Required", "Multiple"] {
            if let Some(v) = text_of(member(prop, flag))
                && !matches!(v.as_str(), "Y" | "N" | "")
            {
                return Err(invalid("Wrong properties array!"));
            }
        }
    }
    Ok(map)
}

/// Checks `HANDLER` (or `PLACEMENT_HANDLER`) against the application's own address.
fn handler_url(ctx: &Ctx<'_>, url: &str) -> Result<String, ApiError> {
    let url = url.trim();
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| ApiError::coded("ERROR_WRONG_HANDLER_URL", "Wrong handler URL"))?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return Err(ApiError::coded(
            "ERROR_UNSUPPORTED_PROTOCOL",
            "Unsupported handler protocol",
        ));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let app_host = ctx.inner.read(|s| s.app_handler.clone()).and_then(|app| {
        app.split_once("://").map(|(_, r)| {
            r.split(['/', '?', '#'])
                .next()
                .unwrap_or_default()
                .to_owned()
        })
    });
    match app_host {
        Some(app) if !host.is_empty() && app.eq_ignore_ascii_case(host) => Ok(url.to_owned()),
        _ => Err(ApiError::coded(
            "ERROR_WRONG_HANDLER_URL",
            "Wrong handler URL",
        )),
    }
}

fn document_type(v: Option<&Value>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(v) = v else { return Ok(None) };
    let wrong = || invalid("Wrong activity DOCUMENT_TYPE!");
    let parts: Vec<String> = v
        .as_array()
        .ok_or_else(wrong)?
        .iter()
        .map(|p| p.as_str().map(str::to_owned))
        .collect::<Option<_>>()
        .ok_or_else(wrong)?;
    let known = parts.len() == 3
        && parts[0] == "crm"
        && (DOCUMENT_TYPES
            .iter()
            .any(|(entity, ty)| parts[1] == *entity && parts[2] == *ty)
            || (parts[1] == "Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic"
                && parts[2].starts_with("DYNAMIC_")));
    if known { Ok(Some(parts)) } else { Err(wrong()) }
}

fn filter(v: Option<&Value>) -> Result<Option<Value>, ApiError> {
    let Some(v) = v else { return Ok(None) };
    let wrong = || invalid("Wrong activity FILTER!");
    let map = v.as_object().ok_or_else(wrong)?;
    for (key, rules) in map {
        if !matches!(key.to_ascii_uppercase().as_str(), "INCLUDE" | "EXCLUDE") {
            return Err(wrong());
        }
        for rule in rules.as_array().ok_or_else(wrong)? {
            let ok = match rule {
                Value::String(s) => !s.is_empty(),
                Value::Array(parts) => !parts.is_empty() && parts.iter().all(Value::is_string),
                _ => false,
            };
            if !ok {
                return Err(wrong());
            }
        }
    }
    Ok(Some(v.clone()))
}

fn flag(v: Option<&Value>) -> Option<bool> {
    text_of(v).map(|s| s.eq_ignore_ascii_case("Y"))
}

/// Applies the fields of an add or update to `robot`.
fn apply(ctx: &Ctx<'_>, robot: &mut Robot, f: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(h) = f.get("HANDLER") {
        robot.handler = handler_url(ctx, &text_of(Some(h)).unwrap_or_default())?;
    }
    if let Some(id) = text_of(f.get("AUTH_USER_ID")).and_then(|s| s.parse().ok()) {
        robot.auth_user_id = id;
    }
    if let Some(v) = text_of(f.get("USE_SUBSCRIPTION")) {
        robot.use_subscription = !v.eq_ignore_ascii_case("N");
    }
    if let Some(name) = f.get("NAME") {
        if !said(name) {
            return Err(invalid("Empty activity NAME!"));
        }
        robot.name = name.clone();
    }
    if let Some(d) = f.get("DESCRIPTION") {
        robot.description = d.clone();
    }
    if f.contains_key("PROPERTIES") {
        robot.properties = properties(f.get("PROPERTIES"))?;
    }
    if f.contains_key("RETURN_PROPERTIES") {
        robot.return_properties = properties(f.get("RETURN_PROPERTIES"))?;
    }
    if f.contains_key("DOCUMENT_TYPE") {
        robot.document_type = document_type(f.get("DOCUMENT_TYPE"))?;
    }
    if f.contains_key("FILTER") {
        robot.filter = filter(f.get("FILTER"))?;
    }
    if let Some(v) = flag(f.get("USE_PLACEMENT")) {
        robot.use_placement = v;
    }
    if let Some(h) = f.get("PLACEMENT_HANDLER") {
        robot.placement_handler = Some(handler_url(ctx, &text_of(Some(h)).unwrap_or_default())?);
    }
    if robot.use_placement && robot.placement_handler.is_none() {
        return Err(ApiError::coded(
            "ERROR_WRONG_HANDLER_URL",
            "Wrong handler URL",
        ));
    }
    Ok(())
}

/// The top-level parameters with upper-cased names, as JSON.
fn upper(p: &Param) -> Map<String, Value> {
    match p.upper_keys().to_json() {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn code_of(f: &Map<String, Value>) -> Result<String, ApiError> {
    let code = text_of(f.get("CODE")).unwrap_or_default();
    if code.is_empty() {
        return Err(invalid("Empty activity code!"));
    }
    if !valid_code(&code) {
        return Err(invalid("Wrong activity code!"));
    }
    Ok(code)
}

/// `bizproc.robot.add`.
pub(crate) fn robot_add(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    app_only(ctx)?;
    let f = upper(p);
    if f.keys().all(|k| k == "AUTH") {
        return Err(invalid("Empty data!"));
    }
    let code = code_of(&f)?;
    if !f.contains_key("HANDLER") {
        return Err(ApiError::coded(
            "ERROR_WRONG_HANDLER_URL",
            "Wrong handler URL",
        ));
    }
    if !f.get("NAME").is_some_and(said) {
        return Err(invalid("Empty activity NAME!"));
    }
    let mut robot = Robot {
        code: code.clone(),
        handler: String::new(),
        auth_user_id: ctx.user_id,
        use_subscription: true,
        name: Value::Null,
        description: Value::Null,
        properties: Map::new(),
        return_properties: Map::new(),
        document_type: None,
        filter: None,
        use_placement: false,
        placement_handler: None,
    };
    apply(ctx, &mut robot, &f)?;
    ctx.inner.write(|s| {
        if s.robots.contains_key(&code) {
            return Err(ApiError::coded(
                "ERROR_ACTIVITY_ALREADY_INSTALLED",
                "Activity or Automation rule already installed!",
            ));
        }
        s.robots.insert(code, robot);
        Ok(())
    })?;
    Ok(Reply::value(Value::Bool(true)))
}

/// `bizproc.robot.update`.
pub(crate) fn robot_update(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    app_only(ctx)?;
    let f = upper(p);
    let code = code_of(&f)?;
    let fields: Map<String, Value> = match f.get("FIELDS") {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), v.clone()))
            .collect(),
        _ => Map::new(),
    };
    if fields.is_empty() {
        return Err(invalid("No fields to update"));
    }
    let mut robot = ctx
        .inner
        .read(|s| s.robots.get(&code).cloned())
        .ok_or_else(|| {
            ApiError::coded(
                "ERROR_ACTIVITY_NOT_FOUND",
                "Activity or Automation Rule not found!",
            )
        })?;
    apply(ctx, &mut robot, &fields)?;
    ctx.inner.update(|s| s.robots.insert(code, robot));
    Ok(Reply::value(Value::Bool(true)))
}

/// `bizproc.robot.list`: the codes.
pub(crate) fn robot_list(ctx: &Ctx<'_>, _p: &Param) -> Result<Reply, ApiError> {
    app_only(ctx)?;
    let codes = ctx
        .inner
        .read(|s| s.robots.keys().cloned().map(Value::String).collect());
    Ok(Reply::value(Value::Array(codes)))
}

/// `bizproc.robot.delete`: the robot and the places managers put it.
pub(crate) fn robot_delete(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    app_only(ctx)?;
    let code = code_of(&upper(p))?;
    ctx.inner.write(|s| {
        if s.robots.remove(&code).is_none() {
            return Err(ApiError::coded(
                "ERROR_ACTIVITY_NOT_FOUND",
                "Activity or Robot not found!",
            ));
        }
        s.placements.retain(|pl| pl.code != code);
        Ok(())
    })?;
    Ok(Reply::value(Value::Bool(true)))
}

/// Whether `value` fits a return property's declared type.
fn fits(prop: &Value, value: &Value) -> bool {
    let Value::Object(prop) = prop else {
        return true;
    };
    let ty = text_of(member(prop, "Type")).unwrap_or_else(|| "string".into());
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => if *b { "Y" } else { "N" }.into(),
        Value::Null => return true,
        _ => return false,
    };
    match ty.as_str() {
        "int" => text.trim().parse::<i64>().is_ok(),
        "double" => text.trim().parse::<f64>().is_ok(),
        "bool" => matches!(text.as_str(), "Y" | "N"),
        "select" => member(prop, "Options")
            .and_then(Value::as_object)
            .is_some_and(|o| o.contains_key(&text)),
        _ => true,
    }
}

/// `bizproc.event.send`: the application's answer to a robot that waits.
pub(crate) fn event_send(ctx: &Ctx<'_>, p: &Param) -> Result<Reply, ApiError> {
    // The token goes to the application's handler and the page's examples are OAuth
    // calls; whether a webhook may answer an application's robot is not said: refused,
    // as the robot methods refuse a webhook [stricter than documented].
    if ctx.auth == Auth::Webhook {
        return Err(ApiError::denied("Application context required"));
    }
    let f = upper(p);
    let token = text_of(f.get("EVENT_TOKEN")).unwrap_or_default();
    let denied = || ApiError::denied("Access denied!");
    let values = match f.get("RETURN_VALUES") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Array(a)) if a.is_empty() => Map::new(),
        Some(_) => return Err(ApiError::Argument("RETURN_VALUES must be an object".into())),
    };
    let log = text_of(f.get("LOG_MESSAGE")).unwrap_or_default();
    let now = crate::clock::unix_now();
    ctx.inner.write(|s| {
        let index = s
            .robot_runs
            .iter()
            .position(|r| !token.is_empty() && r.event_token == token)
            .ok_or_else(denied)?;
        let run = &s.robot_runs[index];
        let robot = s.robots.get(&run.code).ok_or_else(denied)?;
        let expired = run.timeout_duration > 0 && now > run.ts + run.timeout_duration as i64;
        if run.answer.is_some() || expired || !robot.use_subscription {
            return Err(denied());
        }
        for (key, value) in &values {
            let prop = robot
                .return_properties
                .get(key)
                .ok_or_else(|| ApiError::Argument(format!("Unknown return value {key}")))?;
            if !fits(prop, value) {
                return Err(ApiError::Argument(format!(
                    "Wrong value of return property {key}"
                )));
            }
        }
        s.robot_runs[index].answer = Some(json!({
            "return_values": values,
            "log_message": log,
            "user_id": ctx.user_id,
            "at": now,
        }));
        Ok(())
    })?;
    Ok(Reply::value(Value::Bool(true)))
}

/// The `document_type` and `document_id` triples of a CRM record.
pub(crate) fn document(kind: Kind, id: u64) -> ([String; 3], [String; 3]) {
    let entity = match kind {
        Kind::Lead => "CCrmDocumentLead",
        Kind::Deal => "CCrmDocumentDeal",
        Kind::Contact => "CCrmDocumentContact",
        Kind::Company => "CCrmDocumentCompany",
    };
    let ty = kind.upper();
    (
        ["crm".into(), entity.into(), ty.into()],
        ["crm".into(), entity.into(), format!("{ty}_{id}")],
    )
}

/// Whether a robot may be put on records of `kind`: its `DOCUMENT_TYPE` and `FILTER`.
pub(crate) fn allowed_on(robot: &Robot, kind: Kind) -> bool {
    let (ty, _) = document(kind, 0);
    if let Some(dt) = &robot.document_type
        && dt[1] != ty[1]
    {
        return false;
    }
    let matches = |rule: &Value| match rule {
        Value::String(s) => s == "b24" || s == &ty[0],
        Value::Array(parts) => parts
            .iter()
            .zip(ty.iter())
            .all(|(p, t)| p.as_str() == Some(t.as_str())),
        _ => false,
    };
    let rules = |name: &str| -> Vec<Value> {
        robot
            .filter
            .as_ref()
            .and_then(|f| f.as_object())
            .and_then(|f| f.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .and_then(|(_, v)| v.as_array().cloned())
            .unwrap_or_default()
    };
    let include = rules("INCLUDE");
    let exclude = rules("EXCLUDE");
    (include.is_empty() || include.iter().any(matches)) && !exclude.iter().any(matches)
}

/// Checks the values a manager sets on a robot: required ones set, a `select` one of its
/// options, no value the robot does not declare.
pub(crate) fn check_values(robot: &Robot, values: &BTreeMap<String, String>) -> Result<(), String> {
    for key in values.keys() {
        if !robot.properties.contains_key(key) {
            return Err(format!("the robot has no property {key}"));
        }
    }
    for (key, prop) in &robot.properties {
        let Value::Object(prop) = prop else { continue };
        let value = values
            .get(key)
            .cloned()
            .or_else(|| text_of(member(prop, "Default")))
            .unwrap_or_default();
        let required = text_of(member(prop, "Required")).is_some_and(|r| r == "Y");
        if required && value.is_empty() {
            return Err(format!("property {key} is required"));
        }
        if !value.is_empty() && !fits(&Value::Object(prop.clone()), &Value::String(value)) {
            return Err(format!("property {key} has a value it does not allow"));
        }
    }
    Ok(())
}

/// The property values a run sends: the manager's, else the declared defaults.
pub(crate) fn run_values(
    robot: &Robot,
    values: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    robot
        .properties
        .iter()
        .filter_map(|(key, prop)| {
            let default = prop.as_object().and_then(|p| text_of(member(p, "Default")));
            values
                .get(key)
                .cloned()
                .or(default)
                .map(|v| (key.clone(), v))
        })
        .collect()
}
