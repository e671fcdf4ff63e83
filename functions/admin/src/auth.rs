//! Who is calling: the operator (the key from configuration) or a tenant (one of its
//! API keys), and what each may reach.

use crate::{Admin, AdminError};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::sync::Arc;

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The operator: every tenant, and the operator-only endpoints.
    Operator,
    /// A tenant's API key: that tenant only.
    Tenant {
        /// The key's tenant.
        tenant: String,
        /// The key's id.
        key_id: String,
    },
}

impl Caller {
    /// How changes by this caller are recorded: `operator` or `key:{id}`.
    pub fn name(&self) -> String {
        match self {
            Caller::Operator => "operator".into(),
            Caller::Tenant { key_id, .. } => format!("key:{key_id}"),
        }
    }

    /// Refuses anyone but the operator.
    pub fn operator_only(&self) -> Result<(), AdminError> {
        match self {
            Caller::Operator => Ok(()),
            Caller::Tenant { .. } => Err(AdminError::OperatorOnly),
        }
    }

    /// Whether this caller may see `tenant` at all. Callers that may not get the same
    /// 404 as for a tenant that does not exist.
    pub fn may_see(&self, tenant: &str) -> bool {
        match self {
            Caller::Operator => true,
            Caller::Tenant { tenant: own, .. } => own == tenant,
        }
    }
}

impl FromRequestParts<Arc<Admin>> for Caller {
    type Rejection = AdminError;

    async fn from_request_parts(
        parts: &mut Parts,
        admin: &Arc<Admin>,
    ) -> Result<Caller, AdminError> {
        let presented = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AdminError::Unauthorized)?;
        admin.authenticate(presented).await
    }
}
