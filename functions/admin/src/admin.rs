//! The admin function itself: what it works on, and who may see which tenant. The
//! operations are in the resource modules (`tenants`, `settings`, `keys`, `scenarios`,
//! `knowledge`, `reports`); each checks its [`Caller`] first.

use crate::{AdminError, Caller};
use std::sync::Arc;
use sva_sandbox::Sandbox;
use sva_tenants::secret::same_secret;
use sva_tenants::{CrmCheck, TenantSettings, TenantStore, validate_tenant_id};

/// The operator key's minimum length.
pub const MIN_OPERATOR_KEY: usize = 32;

/// The admin function.
pub struct Admin {
    pub(crate) tenants: TenantStore,
    pub(crate) sandbox: Arc<Sandbox>,
    operator_key: String,
    pub(crate) allowed_hosts: Vec<String>,
    knowledge: Option<sva_retrieval::KnowledgeBase>,
    pub(crate) crm_check: Option<Arc<dyn CrmCheck>>,
    pub(crate) campaigns: Arc<sva_campaign::desk::Desk>,
    pub(crate) crm_selection: Option<Arc<dyn sva_campaign::CrmSelection>>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("operator_key", &"***")
            .field("allowed_hosts", &self.allowed_hosts)
            .finish_non_exhaustive()
    }
}

impl Admin {
    /// The admin function over `tenants`, validating uploads in `sandbox`.
    /// `operator_key` must have at least [`MIN_OPERATOR_KEY`] characters.
    pub fn new(
        tenants: TenantStore,
        sandbox: Arc<Sandbox>,
        operator_key: impl Into<String>,
    ) -> Result<Admin, AdminError> {
        let operator_key = operator_key.into();
        if operator_key.len() < MIN_OPERATOR_KEY {
            return Err(AdminError::Invalid(format!(
                "the operator key must have at least {MIN_OPERATOR_KEY} characters"
            )));
        }
        let campaigns = Arc::new(sva_campaign::desk::Desk::new(tenants.store().clone(), None));
        Ok(Admin {
            campaigns,
            tenants,
            sandbox,
            operator_key,
            allowed_hosts: Vec::new(),
            knowledge: None,
            crm_check: None,
            crm_selection: None,
        })
    }

    /// Checks a tenant's CRM connection against its portal when it is saved (custom
    /// fields, statuses, stages, users); without it only the static rules apply.
    pub fn with_crm_check(mut self, check: Arc<dyn CrmCheck>) -> Admin {
        self.crm_check = Some(check);
        self
    }

    /// Reads campaigns' CRM selections (leads or deals in a stage) through `selection`;
    /// without it `POST …/campaigns/from-crm` answers `crm_unreachable`.
    pub fn with_crm_selection(mut self, selection: Arc<dyn sva_campaign::CrmSelection>) -> Admin {
        self.crm_selection = Some(selection);
        self
    }

    /// Runs campaigns through `dialler` (Voximplant's call lists); without it campaigns
    /// are built and kept, and nothing is called.
    pub fn with_dialler(mut self, dialler: Arc<dyn sva_campaign::Dialler>) -> Admin {
        self.campaigns = Arc::new(sva_campaign::desk::Desk::new(
            self.tenants.store().clone(),
            Some(dialler),
        ));
        self
    }

    /// Hosts a CRM portal may be on although they are not public (the local stack's
    /// CRM sandbox): `host` or `host:port`.
    pub fn with_allowed_hosts(mut self, hosts: Vec<String>) -> Admin {
        self.allowed_hosts = hosts;
        self
    }

    /// Serves the tenants' knowledge bases from `knowledge` (without it the knowledge
    /// endpoints answer `knowledge_base_not_configured`).
    pub fn with_knowledge(mut self, knowledge: sva_retrieval::KnowledgeBase) -> Admin {
        self.knowledge = Some(knowledge);
        self
    }

    /// The knowledge base, or the error that says there is none.
    pub(crate) fn knowledge(&self) -> Result<&sva_retrieval::KnowledgeBase, AdminError> {
        self.knowledge.as_ref().ok_or(AdminError::NoKnowledgeBase)
    }

    /// The largest module an upload may carry.
    pub fn max_module_bytes(&self) -> usize {
        self.sandbox.limits().max_module_bytes
    }

    /// Who presents `key`: the operator, a tenant's valid key, or nobody.
    pub async fn authenticate(&self, key: &str) -> Result<Caller, AdminError> {
        if same_secret(key, &self.operator_key) {
            return Ok(Caller::Operator);
        }
        match self.tenants.authenticate(key).await? {
            Some((tenant, key_id)) => Ok(Caller::Tenant { tenant, key_id }),
            None => Err(AdminError::Unauthorized),
        }
    }

    /// The tenant's settings if `caller` may act on it: 404 for a tenant it may not
    /// see, exactly as for one that does not exist; 403 for a tenant key of a disabled
    /// tenant.
    pub(crate) async fn visible(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<TenantSettings, AdminError> {
        let missing = || AdminError::NotFound("No such tenant.".into());
        if !caller.may_see(id) || validate_tenant_id(id).is_err() {
            return Err(missing());
        }
        let settings = self.tenants.settings(id).await?.ok_or_else(missing)?;
        if settings.disabled && *caller != Caller::Operator {
            return Err(AdminError::TenantDisabled(id.to_owned()));
        }
        Ok(settings)
    }
}

/// Now, as Unix seconds.
pub(crate) fn now_secs() -> i64 {
    sva_kit::unix_now() as i64
}
