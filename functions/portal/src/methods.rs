//! The method table: names (case-insensitive) to handlers, and the rules that apply
//! before a handler runs (application-only methods, what a batch may not run).

use crate::ctx::{Auth, Ctx, Handler, Reply};
use crate::error::ApiError;
use crate::params::Param;
use crate::store::Kind;
use crate::{Counters, batch, bizproc, crm, reference, telephony, timeline};

/// Methods that need an application (OAuth) context: a webhook gets `WRONG_AUTH_TYPE`.
/// `register` and `finish` «работают только в контексте приложения»
/// (`api-reference/telephony/telephony-external-call-register`, `…-finish`); so do
/// `event.bind` and `event.get` (`api-reference/events/event-bind`). `attachRecord` and
/// `attachTranscription` are not among them: their pages show webhook examples
/// (`docs/bitrix24-rest.md` §6).
const APP_ONLY: &[&str] = &[
    "telephony.externalcall.register",
    "telephony.externalcall.finish",
    "event.bind",
    "event.get",
];

/// Methods a batch may not run: a batch (`ERROR_BATCH_METHOD_NOT_ALLOWED` since rest
/// 24.0.0) and file downloads (`settings/how-to-call-rest-api/batch`).
const NOT_IN_BATCH: &[&str] = &["batch", "telephony.externalcall.attachrecord"];

/// The handler of a (lower-case) method name.
fn handler(name: &str) -> Option<Handler> {
    if let Some(h) = crm_handler(name) {
        return Some(h);
    }
    let h: Handler = match name {
        // A batch runs its commands through this table: handed in, so the batch does not
        // depend on the table that lists it.
        "batch" => |c, p| batch::batch(c, p, call),
        "crm.duplicate.findbycomm" => crm::find_by_comm,
        "crm.settings.mode.get" => crm::settings_mode,
        "crm.status.list" => reference::status_list,
        "crm.category.list" => reference::category_list,
        "crm.currency.list" => reference::currency_list,
        "crm.timeline.comment.add" => timeline::comment_add,
        "crm.timeline.comment.list" => timeline::comment_list,
        "crm.activity.todo.add" => timeline::todo_add,
        "crm.activity.list" => timeline::activity_list,
        "crm.activity.get" => timeline::activity_get,
        "crm.activity.binding.add" => timeline::binding_add,
        "crm.activity.binding.list" => timeline::binding_list,
        "telephony.externalcall.register" => telephony::register,
        "telephony.externalcall.finish" => telephony::finish,
        "telephony.externalcall.attachrecord" => telephony::attach_record,
        "telephony.call.attachtranscription" => telephony::attach_transcription,
        "user.current" => reference::user_current,
        "user.get" => reference::user_get,
        "profile" => reference::profile,
        "app.info" => reference::app_info,
        "event.bind" => reference::event_bind,
        "event.get" => reference::event_get,
        "bizproc.robot.add" => bizproc::robot_add,
        "bizproc.robot.update" => bizproc::robot_update,
        "bizproc.robot.list" => bizproc::robot_list,
        "bizproc.robot.delete" => bizproc::robot_delete,
        "bizproc.event.send" => bizproc::event_send,
        _ => return None,
    };
    Some(h)
}

/// The legacy CRM entity methods: `crm.{lead,contact,company,deal}.{add,update,get,list,
/// fields,userfield.list}`.
fn crm_handler(name: &str) -> Option<Handler> {
    let rest = name.strip_prefix("crm.")?;
    let (entity, action) = rest.split_once('.')?;
    let h: Handler = match (entity, action) {
        ("lead", "add") => |c, p| crm::add(c, Kind::Lead, p),
        ("lead", "update") => |c, p| crm::update(c, Kind::Lead, p),
        ("lead", "get") => |c, p| crm::get(c, Kind::Lead, p),
        ("lead", "list") => |c, p| crm::list(c, Kind::Lead, p),
        ("lead", "fields") => |c, p| crm::fields(c, Kind::Lead, p),
        ("lead", "userfield.list") => |c, p| reference::userfield_list(c, Kind::Lead, p),
        ("contact", "add") => |c, p| crm::add(c, Kind::Contact, p),
        ("contact", "update") => |c, p| crm::update(c, Kind::Contact, p),
        ("contact", "get") => |c, p| crm::get(c, Kind::Contact, p),
        ("contact", "list") => |c, p| crm::list(c, Kind::Contact, p),
        ("contact", "fields") => |c, p| crm::fields(c, Kind::Contact, p),
        ("contact", "userfield.list") => |c, p| reference::userfield_list(c, Kind::Contact, p),
        ("company", "add") => |c, p| crm::add(c, Kind::Company, p),
        ("company", "update") => |c, p| crm::update(c, Kind::Company, p),
        ("company", "get") => |c, p| crm::get(c, Kind::Company, p),
        ("company", "list") => |c, p| crm::list(c, Kind::Company, p),
        ("company", "fields") => |c, p| crm::fields(c, Kind::Company, p),
        ("company", "userfield.list") => |c, p| reference::userfield_list(c, Kind::Company, p),
        ("deal", "add") => |c, p| crm::add(c, Kind::Deal, p),
        ("deal", "update") => |c, p| crm::update(c, Kind::Deal, p),
        ("deal", "get") => |c, p| crm::get(c, Kind::Deal, p),
        ("deal", "list") => |c, p| crm::list(c, Kind::Deal, p),
        ("deal", "fields") => |c, p| crm::fields(c, Kind::Deal, p),
        ("deal", "userfield.list") => |c, p| reference::userfield_list(c, Kind::Deal, p),
        _ => return None,
    };
    Some(h)
}

/// Runs a method by name for `ctx`.
pub(crate) fn call(ctx: &Ctx<'_>, name: &str, params: &Param) -> Result<Reply, ApiError> {
    let name = name.trim().to_ascii_lowercase();
    let handler = handler(&name).ok_or(ApiError::MethodNotFound)?;
    if ctx.in_batch && NOT_IN_BATCH.contains(&name.as_str()) {
        return Err(ApiError::BatchMethod);
    }
    if ctx.auth == Auth::Webhook && APP_ONLY.contains(&name.as_str()) {
        return Err(ApiError::WrongAuthType);
    }
    Counters::bump(&ctx.inner.counters.executed);
    handler(ctx, params)
}

/// Whether `name` (any case) is the method that downloads a file by URL before it runs.
pub(crate) fn downloads_record(name: &str) -> bool {
    name.trim()
        .eq_ignore_ascii_case("telephony.externalCall.attachRecord")
}
