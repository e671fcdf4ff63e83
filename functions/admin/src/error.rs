//! [`AdminError`]: every way an admin request can fail, with its status and code.

use axum::http::StatusCode;
use sva_campaign::{DeskError, SelectionError};
use sva_kit::ApiError;
use sva_retrieval::SourceError;
use sva_retrieval::kb::KbError;
use sva_sandbox::SandboxError;
use sva_tenants::{RoutingError, TenantStoreError};

/// Why an admin request failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No credentials, or not valid ones.
    #[error("a valid API key is required: send `Authorization: Bearer <key>`")]
    Unauthorized,
    /// A tenant key on an operator's endpoint.
    #[error("only the operator may do this")]
    OperatorOnly,
    /// The tenant is disabled; only the operator can act on it.
    #[error("tenant {0} is disabled")]
    TenantDisabled(String),
    /// Nothing by that name, or nothing this key may see (the same answer on purpose).
    #[error("{0}")]
    NotFound(String),
    /// The tenant id is taken.
    #[error("a tenant {0} already exists")]
    TenantExists(String),
    /// A field's value is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// A change of settings was refused.
    #[error("{0}")]
    Settings(#[from] sva_tenants::SettingsError),
    /// The CRM connection names what its portal lacks.
    #[error("the portal lacks what the CRM settings name: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    CrmMismatch(Vec<sva_tenants::CrmProblem>),
    /// The module was refused by validation or its dry run.
    #[error("the module was refused: {0}")]
    Module(SandboxError),
    /// A version prefix matches several versions.
    #[error("{0} matches more than one version; give more of it")]
    AmbiguousVersion(String),
    /// The routing change is not possible now.
    #[error("{0}")]
    Routing(#[from] RoutingError),
    /// Storage or the settings' history failed.
    #[error(transparent)]
    Store(#[from] TenantStoreError),
    /// The sandbox failed on our side (not the module's fault).
    #[error("the scenario sandbox failed: {0}")]
    Sandbox(SandboxError),
    /// A knowledge-base request failed.
    #[error(transparent)]
    Knowledge(sva_retrieval::kb::KbError),
    /// This deployment has no knowledge base.
    #[error("no knowledge base is configured for this deployment")]
    NoKnowledgeBase,
    /// A replay request asks for what cannot be replayed.
    #[error(transparent)]
    Replay(#[from] crate::replays::ReplayRefused),
    /// A campaign operation failed.
    #[error(transparent)]
    Campaign(#[from] sva_campaign::DeskError),
    /// A CRM selection for a campaign cannot be read.
    #[error(transparent)]
    Selection(#[from] sva_campaign::SelectionError),
}

impl From<SandboxError> for AdminError {
    fn from(e: SandboxError) -> Self {
        if e.is_module_fault() {
            AdminError::Module(e)
        } else {
            AdminError::Sandbox(e)
        }
    }
}

impl AdminError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AdminError::Unauthorized => StatusCode::UNAUTHORIZED,
            AdminError::OperatorOnly | AdminError::TenantDisabled(_) => StatusCode::FORBIDDEN,
            AdminError::NotFound(_) => StatusCode::NOT_FOUND,
            AdminError::TenantExists(_) | AdminError::AmbiguousVersion(_) => StatusCode::CONFLICT,
            AdminError::Routing(RoutingError::BadPercent(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            AdminError::Routing(_) => StatusCode::CONFLICT,
            AdminError::Invalid(_) | AdminError::Settings(_) | AdminError::CrmMismatch(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AdminError::Module(SandboxError::ModuleTooLarge { .. }) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            AdminError::Module(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AdminError::Store(e) => match e {
                TenantStoreError::InvalidId(_) | TenantStoreError::UnknownTenant(_) => {
                    StatusCode::NOT_FOUND
                }
                TenantStoreError::TenantExists(_) | TenantStoreError::Contended(_) => {
                    StatusCode::CONFLICT
                }
                TenantStoreError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
                TenantStoreError::Damaged { .. } => StatusCode::INTERNAL_SERVER_ERROR,
                TenantStoreError::InvalidNumber(_) => StatusCode::UNPROCESSABLE_ENTITY,
            },
            AdminError::Sandbox(_) => StatusCode::SERVICE_UNAVAILABLE,
            AdminError::Knowledge(e) => match e {
                KbError::NotFound(_) => StatusCode::NOT_FOUND,
                KbError::TooManySources => StatusCode::CONFLICT,
                KbError::Source(SourceError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
                e if e.is_callers() => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            },
            AdminError::NoKnowledgeBase => StatusCode::SERVICE_UNAVAILABLE,
            AdminError::Replay(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AdminError::Campaign(e) => match e {
                DeskError::Campaign(_) | DeskError::File(_) => StatusCode::UNPROCESSABLE_ENTITY,
                DeskError::Exists(_) | DeskError::State { .. } => StatusCode::CONFLICT,
                DeskError::NotFound(_) => StatusCode::NOT_FOUND,
                DeskError::Dialler(_) | DeskError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
                DeskError::Damaged { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            },
            AdminError::Selection(e) => match e {
                SelectionError::NotConnected(_) => StatusCode::CONFLICT,
                SelectionError::NoSuchStage { .. } | SelectionError::TooMany { .. } => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                SelectionError::Unreachable(_) => StatusCode::SERVICE_UNAVAILABLE,
            },
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AdminError::Unauthorized => "unauthorized",
            AdminError::OperatorOnly => "operator_only",
            AdminError::TenantDisabled(_) => "tenant_disabled",
            AdminError::NotFound(_) => "not_found",
            AdminError::TenantExists(_) => "tenant_exists",
            AdminError::Invalid(_) => "invalid_value",
            AdminError::Settings(e) => e.code(),
            AdminError::CrmMismatch(_) => "crm_mismatch",
            AdminError::Module(e) => e.code(),
            AdminError::AmbiguousVersion(_) => "ambiguous_version",
            AdminError::Routing(e) => match e {
                RoutingError::NothingToRollBack => "nothing_to_roll_back",
                RoutingError::NoActiveVersion => "no_active_version",
                RoutingError::SplitToActive(_) => "split_to_active",
                RoutingError::BadPercent(_) => "bad_percent",
            },
            AdminError::Store(
                TenantStoreError::InvalidId(_) | TenantStoreError::UnknownTenant(_),
            ) => "not_found",
            AdminError::Store(TenantStoreError::Storage(_)) => "storage_unavailable",
            AdminError::Store(e) => e.code(),
            AdminError::Sandbox(_) => "sandbox_unavailable",
            AdminError::Knowledge(e) => e.code(),
            AdminError::NoKnowledgeBase => "knowledge_base_not_configured",
            AdminError::Replay(e) => e.code(),
            AdminError::Campaign(e) => e.code(),
            AdminError::Selection(e) => e.code(),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        let status = e.status();
        if status.is_server_error() {
            // The detail goes to the log (masked), never to the caller.
            tracing::error!(code = e.code(), error = %e, "admin request failed");
            let message = match status {
                StatusCode::SERVICE_UNAVAILABLE => {
                    "A back end is unavailable right now. Please try again shortly."
                }
                _ => sva_kit::error::INTERNAL_MESSAGE,
            };
            return ApiError::new(status, e.code(), message);
        }
        let message = match &e {
            // Unknown tenants read the same as tenants the key may not see.
            AdminError::Store(
                TenantStoreError::InvalidId(_) | TenantStoreError::UnknownTenant(_),
            ) => "No such tenant.".to_owned(),
            _ => e.to_string(),
        };
        ApiError::new(status, e.code(), message)
    }
}

impl axum::response::IntoResponse for AdminError {
    fn into_response(self) -> axum::response::Response {
        ApiError::from(self).into_response()
    }
}
