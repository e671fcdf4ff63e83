//! The method table: names (case-insensitive) to handlers, the calling context, and the
//! rules that apply before a handler runs (application-only methods, nested batches).

use serde_json::Value;

use crate::error::ApiError;
use crate::list::Page;
use crate::params::Param;
use crate::store::Kind;
use crate::{Counters, Inner, batch, crm, telephony, timeline};

/// How the caller authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Auth {
    /// An incoming webhook.
    Webhook,
    /// An OAuth application's access token.
    OAuth,
}

/// Who calls, and from where.
pub(crate) struct Ctx<'a> {
    /// The portal.
    pub inner: &'a Inner,
    /// The user the call acts as.
    pub user_id: u64,
    /// Webhook or application.
    pub auth: Auth,
    /// The `Host` the request came to (for URLs in answers).
    pub host: &'a str,
    /// Whether this is a command inside a batch.
    pub in_batch: bool,
}

/// A method's successful answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    /// The `result` member.
    pub result: Value,
    /// `next`, for lists with more rows.
    pub next: Option<u64>,
    /// `total`, for lists.
    pub total: Option<u64>,
}

impl Reply {
    /// A plain result.
    pub(crate) fn value(result: Value) -> Reply {
        Reply {
            result,
            next: None,
            total: None,
        }
    }

    /// A list page.
    pub(crate) fn page(page: Page) -> Reply {
        Reply {
            result: Value::Array(page.rows),
            next: page.next,
            total: Some(page.total),
        }
    }
}

/// A method handler.
pub(crate) type Handler = fn(&Ctx<'_>, &Param) -> Result<Reply, ApiError>;

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
        "batch" => batch::batch,
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
