//! The method table: names (case-insensitive) to handlers, and the rules that apply
//! before a handler runs (application-only methods, nested batches).

use crate::ctx::{Auth, Ctx, Handler, Reply};
use crate::error::ApiError;
use crate::params::Param;
use crate::store::Kind;
use crate::{Counters, batch, crm, telephony, timeline};

/// Methods that need an application (OAuth) context: a webhook gets `WRONG_AUTH_TYPE`.
const APP_ONLY: &[&str] = &[
    "telephony.externalcall.register",
    "telephony.externalcall.finish",
    "telephony.externalcall.attachrecord",
    "telephony.call.attachtranscription",
];

/// The handler of a (lower-case) method name.
fn handler(name: &str) -> Option<Handler> {
    let h: Handler = match name {
        // A batch runs its commands through this table: handed in, so the batch does not
        // depend on the table that lists it.
        "batch" => |c, p| batch::batch(c, p, call),
        "crm.duplicate.findbycomm" => crm::find_by_comm,
        "crm.lead.add" => |c, p| crm::add(c, Kind::Lead, p),
        "crm.lead.update" => |c, p| crm::update(c, Kind::Lead, p),
        "crm.lead.get" => |c, p| crm::get(c, Kind::Lead, p),
        "crm.lead.list" => |c, p| crm::list(c, Kind::Lead, p),
        "crm.lead.fields" => |c, p| crm::fields(c, Kind::Lead, p),
        "crm.contact.add" => |c, p| crm::add(c, Kind::Contact, p),
        "crm.contact.update" => |c, p| crm::update(c, Kind::Contact, p),
        "crm.contact.get" => |c, p| crm::get(c, Kind::Contact, p),
        "crm.contact.list" => |c, p| crm::list(c, Kind::Contact, p),
        "crm.contact.fields" => |c, p| crm::fields(c, Kind::Contact, p),
        "crm.deal.add" => |c, p| crm::add(c, Kind::Deal, p),
        "crm.deal.update" => |c, p| crm::update(c, Kind::Deal, p),
        "crm.deal.get" => |c, p| crm::get(c, Kind::Deal, p),
        "crm.deal.list" => |c, p| crm::list(c, Kind::Deal, p),
        "crm.deal.fields" => |c, p| crm::fields(c, Kind::Deal, p),
        "crm.settings.mode.get" => crm::settings_mode,
        "crm.timeline.comment.add" => timeline::comment_add,
        "crm.timeline.comment.list" => timeline::comment_list,
        "crm.activity.todo.add" => timeline::todo_add,
        "crm.activity.list" => timeline::activity_list,
        "crm.activity.get" => timeline::activity_get,
        "telephony.externalcall.register" => telephony::register,
        "telephony.externalcall.finish" => telephony::finish,
        "telephony.externalcall.attachrecord" => telephony::attach_record,
        "telephony.call.attachtranscription" => telephony::attach_transcription,
        "user.current" => crm::user_current,
        "user.get" => crm::user_get,
        "profile" => crm::profile,
        _ => return None,
    };
    Some(h)
}

/// Runs a method by name for `ctx`.
pub(crate) fn call(ctx: &Ctx<'_>, name: &str, params: &Param) -> Result<Reply, ApiError> {
    let name = name.trim().to_ascii_lowercase();
    let handler = handler(&name).ok_or(ApiError::MethodNotFound)?;
    if ctx.in_batch && name == "batch" {
        return Err(ApiError::BatchMethod);
    }
    if ctx.auth == Auth::Webhook && APP_ONLY.contains(&name.as_str()) {
        return Err(ApiError::WrongAuthType);
    }
    Counters::bump(&ctx.inner.counters.executed);
    handler(ctx, params)
}
