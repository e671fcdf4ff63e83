//! The demo tenant: a fictional warehouse-automation company, «ТехноСклад», running the
//! default sales scenario. Seeding goes through the admin function like any operator
//! would, and is idempotent: an existing tenant keeps its settings and signing secret;
//! the default module is uploaded (validated, precompiled) and activated when it changed
//! — unless someone activated another version since the last seeding, which is kept.

use bytes::Bytes;
use sva_admin::{Admin, AdminError, Caller, NewTenant};
use sva_kit::storage::DynStore;
use sva_retrieval::KnowledgeBase;
use sva_retrieval::kb::KbError;
use sva_tenants::TenantStore;

/// The demo tenant's id.
pub const DEMO_TENANT: &str = "demo";

/// Where the local stack remembers which default version it last activated.
const SEEDED_VERSION_OBJECT: &str = "service/demo-default.version";

/// What a person (or a test) needs to call the demo tenant.
#[derive(Clone, PartialEq, Eq)]
pub struct DemoTenant {
    /// The tenant id.
    pub id: String,
    /// The VoxEngine signing secret.
    pub secret: String,
    /// The active scenario version.
    pub version: String,
}

impl std::fmt::Debug for DemoTenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoTenant")
            .field("id", &self.id)
            .field("secret", &"***")
            .field("version", &self.version)
            .finish()
    }
}

/// The demo tenant as the operator creates it.
pub fn new_tenant() -> NewTenant {
    NewTenant {
        id: DEMO_TENANT.into(),
        company: "ТехноСклад".into(),
        product: "системы автоматизации склада".into(),
        manager_phone: Some("+74951234567".into()),
    }
}

/// Creates the demo tenant if it is missing, uploads `wasm` and activates it unless
/// another version was activated since the last seeding.
pub async fn seed(admin: &Admin, store: &DynStore, wasm: &[u8]) -> Result<DemoTenant, AdminError> {
    let operator = Caller::Operator;
    let tenants = TenantStore::new(store.clone());
    if tenants.settings(DEMO_TENANT).await?.is_none() {
        match admin.create_tenant(&operator, new_tenant()).await {
            Ok(_) | Err(AdminError::TenantExists(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let uploaded = admin
        .upload(&operator, DEMO_TENANT, Bytes::copy_from_slice(wasm))
        .await?;
    let version = uploaded.version.info.version;
    let seeded = store
        .get(SEEDED_VERSION_OBJECT)
        .await
        .map_err(sva_tenants::TenantStoreError::from)?
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned());
    let active = tenants
        .settings(DEMO_TENANT)
        .await?
        .and_then(|s| s.scenario.active);
    // No record of a seeding: a data directory from before this rule; seed it.
    let untouched = active.is_none() || seeded.is_none() || active == seeded;
    if untouched && active.as_deref() != Some(version.as_str()) {
        admin.activate(&operator, DEMO_TENANT, &version).await?;
    }
    if untouched {
        store
            .put(SEEDED_VERSION_OBJECT, Bytes::from(version.clone()))
            .await
            .map_err(sva_tenants::TenantStoreError::from)?;
    }
    let settings = tenants
        .settings(DEMO_TENANT)
        .await?
        .ok_or_else(|| AdminError::NotFound("the demo tenant vanished".into()))?;
    let secret = match tenants.signing_secret(DEMO_TENANT).await? {
        Some(secret) if !secret.is_empty() => secret,
        _ => {
            admin
                .rotate_signing_secret(&operator, DEMO_TENANT, false)
                .await?
                .signing_secret
        }
    };
    Ok(DemoTenant {
        id: DEMO_TENANT.into(),
        secret,
        version: settings.scenario.active.unwrap_or(version),
    })
}

/// Connects the demo tenant to the local stack's sandbox portal at `url` as an OAuth
/// application freshly installed there, with the access token and its expiry (the
/// portal's tokens do not outlive the process). A tenant someone connected to another
/// portal keeps it.
pub async fn connect_sandbox(
    tenants: &TenantStore,
    url: &str,
    portal: &sva_portal::Portal,
) -> Result<(), sva_tenants::TenantStoreError> {
    let Some(settings) = tenants.settings(DEMO_TENANT).await? else {
        return Ok(());
    };
    let ours = |portal_url: &str| {
        portal_url.starts_with("http://127.0.0.1:") || portal_url.starts_with("http://localhost:")
    };
    if settings.crm.as_ref().is_some_and(|c| !ours(&c.portal)) {
        return Ok(());
    }
    let config = portal.config();
    let connection = sva_tenants::CrmConnection {
        client_id: Some(config.client_id.clone()),
        responsible_user_id: Some(1),
        ..sva_tenants::CrmConnection::new(url, sva_tenants::CrmAuth::Oauth)
    };
    let (access, refresh) = portal.install_app();
    let expires_at = sva_kit::unix_now() + config.access_token_ttl.as_secs();
    tenants
        .put_crm_secrets(
            DEMO_TENANT,
            &sva_tenants::CrmSecrets {
                client_secret: Some(config.client_secret.clone()),
                refresh_token: Some(refresh),
                access_token: Some(access),
                access_expires_at: Some(expires_at),
                application_token: portal.application_token(),
                ..sva_tenants::CrmSecrets::default()
            },
        )
        .await?;
    // The tokens are this process's; the connection changes only with the port, and
    // then alone is a revision written (every `make dev` would add one otherwise).
    if settings.crm.as_ref() == Some(&connection) {
        return Ok(());
    }
    tenants
        .update_settings(DEMO_TENANT, "local stack", "CRM sandbox connected", |s| {
            s.crm = Some(connection.clone());
            Ok::<_, sva_tenants::TenantStoreError>(())
        })
        .await?;
    Ok(())
}

/// The demo company's knowledge base (`functions/local/demo/kb/`): products, prices,
/// delivery, payment, warranty, support hours — what callers ask about.
pub const KNOWLEDGE: &[(&str, &[u8])] = &[
    ("company.md", include_bytes!("../demo/kb/company.md")),
    ("delivery.md", include_bytes!("../demo/kb/delivery.md")),
    ("faq.txt", include_bytes!("../demo/kb/faq.txt")),
    (
        "implementation.md",
        include_bytes!("../demo/kb/implementation.md"),
    ),
    ("payment.md", include_bytes!("../demo/kb/payment.md")),
    ("prices.csv", include_bytes!("../demo/kb/prices.csv")),
    ("products.md", include_bytes!("../demo/kb/products.md")),
    ("services.md", include_bytes!("../demo/kb/services.md")),
    ("support.md", include_bytes!("../demo/kb/support.md")),
    ("training.html", include_bytes!("../demo/kb/training.html")),
    ("warranty.md", include_bytes!("../demo/kb/warranty.md")),
];

/// Gives the demo tenant its knowledge base on the first start (a tenant that has
/// sources keeps them, edited or not), and rebuilds the index from the stored sources
/// when the index lost them (its directory was removed).
pub async fn seed_knowledge(kb: &KnowledgeBase) -> Result<(), KbError> {
    let sources = kb.list(DEMO_TENANT).await?;
    if sources.is_empty() {
        for (name, body) in KNOWLEDGE {
            kb.put(DEMO_TENANT, name, Bytes::from_static(body)).await?;
        }
        return Ok(());
    }
    let empty = kb.index().count(DEMO_TENANT).await? == 0;
    if empty {
        kb.reindex(DEMO_TENANT).await?;
    }
    Ok(())
}
