//! What every method handler gets and gives: the calling context (portal, user, way in)
//! and a successful answer.

use serde_json::Value;

use crate::Inner;
use crate::error::ApiError;
use crate::list::Page;
use crate::params::Param;

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
    /// The file the server downloaded for the method before it ran (`attachRecord`'s
    /// `RECORD_URL`).
    pub fetched: Option<&'a Fetched>,
}

/// The outcome of downloading a file a method names by URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fetched {
    /// Downloaded: its size in bytes.
    Body(usize),
    /// Refused with this HTTP status (0 when no answer came).
    Failed(u16),
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
