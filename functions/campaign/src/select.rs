//! Where a campaign built from a CRM selection gets its records: the tenant's Bitrix24
//! portal in production (`sva-crm` implements [`CrmSelection`]); the admin function only
//! knows this abstraction.

use crate::ingest::{CrmEntity, SelectedContact};
use async_trait::async_trait;

/// The most records one selection may bring (as many as one upload may have rows).
pub const MAX_SELECTED: usize = crate::ingest::MAX_ROWS;

/// Reads the leads or deals in a stage of a tenant's CRM.
#[async_trait]
pub trait CrmSelection: Send + Sync {
    /// The records of `entity` in `stage` (a lead's `STATUS_ID`, a deal's `STAGE_ID`; a
    /// deal's pipeline `category`, `0` when `None`), oldest first, with their phones,
    /// names, titles, creation dates and sources.
    async fn select(
        &self,
        tenant: &str,
        entity: CrmEntity,
        stage: &str,
        category: Option<u64>,
    ) -> Result<Vec<SelectedContact>, SelectionError>;
}

/// Why a selection cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// The tenant has no CRM connection (or it lacks a secret).
    #[error("у клиента не подключён Bitrix24: {0}")]
    NotConnected(String),
    /// The stage is not one of the portal's (or of the deal pipeline's).
    #[error("в Bitrix24 нет стадии {stage:?}{}", .category.map(|c| format!(" в воронке {c}")).unwrap_or_default())]
    NoSuchStage {
        /// The stage asked for.
        stage: String,
        /// The deal pipeline asked for.
        category: Option<u64>,
    },
    /// More records than one campaign may have.
    #[error("в стадии больше {max} записей: разделите их на несколько кампаний")]
    TooMany {
        /// [`MAX_SELECTED`].
        max: usize,
    },
    /// The portal refused or could not be reached.
    #[error("Bitrix24 не ответил: {0}")]
    Unreachable(String),
}

impl SelectionError {
    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SelectionError::NotConnected(_) => "crm_not_configured",
            SelectionError::NoSuchStage { .. } => "crm_no_such_stage",
            SelectionError::TooMany { .. } => "too_many_rows",
            SelectionError::Unreachable(_) => "crm_unreachable",
        }
    }
}
