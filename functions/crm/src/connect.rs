//! A tenant's Bitrix24 client, made from its CRM connection and secrets, kept while
//! they do not change. OAuth tokens are kept in the secrets with the access token's
//! expiry: a new process uses the stored access token instead of refreshing, and every
//! rotated pair is written back before it is used.

use crate::custom::{self, Described};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use sva_bitrix::{Batch, Client, ClientConfig, Credentials, Idempotency, StoredTokens, TokenSink};
use sva_tenants::{CrmAuth, CrmConnection, CrmSecrets, TenantStore};

/// Why a tenant has no usable CRM client.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// No such tenant.
    #[error("tenant {0} does not exist")]
    NoTenant(String),
    /// The tenant has not connected a portal.
    #[error("tenant {0} has no CRM connection")]
    NotConfigured(String),
    /// A secret the connection needs is not set.
    #[error("the CRM connection of tenant {tenant} lacks {what}")]
    Incomplete {
        /// The tenant.
        tenant: String,
        /// What is missing.
        what: &'static str,
    },
    /// The client refused the connection (a blocked URL, a bad webhook code).
    #[error(transparent)]
    Client(#[from] sva_bitrix::BitrixError),
    /// The tenant store failed.
    #[error("tenant store: {0}")]
    Store(String),
}

impl ConnectError {
    /// A stable machine-readable code.
    pub fn code(&self) -> String {
        match self {
            ConnectError::NoTenant(_) => "tenant_not_found".into(),
            ConnectError::NotConfigured(_) => "crm_not_configured".into(),
            ConnectError::Incomplete { .. } => "crm_incomplete".into(),
            ConnectError::Client(e) => e.code(),
            ConnectError::Store(_) => "storage".into(),
        }
    }

    /// Whether trying later may work without a person changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, ConnectError::Store(_))
    }
}

/// A variable of the environment that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct EnvError {
    /// The variable.
    pub name: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// The Bitrix24 client settings from the environment (`lookup` is `std::env::var`):
///
/// * `SVA_CRM_ALLOWED_HOSTS` — comma-separated hosts a portal may be on although not
///   public (empty by default);
/// * `SVA_BITRIX_RATE` — requests per second and burst per portal, `2/50` by default
///   (`5/250` for Enterprise portals);
/// * `SVA_BITRIX_TOKEN_URL` — the OAuth token server (`https://oauth.bitrix.info/oauth/token/`).
pub fn client_config_from_env(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<ClientConfig, EnvError> {
    let env = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let mut client = ClientConfig {
        allowed_hosts: env("SVA_CRM_ALLOWED_HOSTS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(String::from)
            .collect(),
        ..ClientConfig::default()
    };
    if let Some(rate) = env("SVA_BITRIX_RATE") {
        let (per_second, burst) = rate
            .split_once('/')
            .and_then(|(r, b)| Some((r.trim().parse().ok()?, b.trim().parse().ok()?)))
            .filter(|(r, _): &(f64, u32)| *r > 0.0)
            .ok_or_else(|| EnvError {
                name: "SVA_BITRIX_RATE",
                reason: format!("{rate:?} is not like 2/50 (requests per second / burst)"),
            })?;
        client.rate = sva_bitrix::RateLimit { per_second, burst };
    }
    if let Some(url) = env("SVA_BITRIX_TOKEN_URL") {
        client.token_url = url;
    }
    Ok(client)
}

/// How long what `crm.<entity>.fields` said is trusted before it is asked again: a
/// custom field deleted in the portal is noticed within it.
pub const FIELD_TTL: Duration = Duration::from_secs(300);

/// A stored access token is used only with at least this long to live.
const ACCESS_MARGIN_S: u64 = 60;

/// The custom fields of the entities the assistant creates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortalFields {
    /// Of leads.
    pub lead: Described,
    /// Of deals.
    pub deal: Described,
}

/// The portal's custom fields as read at an instant.
type ReadFields = (Instant, Arc<PortalFields>);

/// A tenant's client and how its portal is set up.
#[derive(Clone)]
pub struct Connection {
    /// The client.
    pub client: Arc<Client>,
    /// The tenant's CRM settings (routing, custom fields).
    pub crm: Arc<CrmConnection>,
    /// The portal's CRM mode, asked once (`crm.settings.mode.get`).
    mode: Arc<tokio::sync::OnceCell<u8>>,
    /// The portal's custom fields, and when they were read.
    fields: Arc<tokio::sync::Mutex<Option<ReadFields>>>,
    field_ttl: Duration,
}

impl Connection {
    /// The custom fields of leads and deals (one request, read again after the field
    /// TTL); empty when the tenant maps none.
    pub async fn custom_fields(&self) -> Result<Arc<PortalFields>, sva_bitrix::BitrixError> {
        if self.crm.fields.is_empty() {
            return Ok(Arc::default());
        }
        let mut cached = self.fields.lock().await;
        if let Some((at, fields)) = cached.as_ref()
            && at.elapsed() < self.field_ttl
        {
            return Ok(fields.clone());
        }
        let fields = Arc::new(read_fields(&self.client).await?);
        *cached = Some((Instant::now(), fields.clone()));
        Ok(fields)
    }

    /// Whether the portal runs the simple CRM mode (no leads: every new lead is turned
    /// into a deal at once), asked once per connection.
    pub async fn simple_mode(&self) -> Result<bool, sva_bitrix::BitrixError> {
        let mode = self
            .mode
            .get_or_try_init(|| async {
                let reply = self
                    .client
                    .call(
                        "crm.settings.mode.get",
                        serde_json::json!({}),
                        sva_bitrix::Idempotency::Safe,
                    )
                    .await?;
                Ok::<u8, sva_bitrix::BitrixError>(match &reply.result {
                    serde_json::Value::Number(n) => n.as_u64().unwrap_or(1) as u8,
                    serde_json::Value::String(s) => s.parse().unwrap_or(1),
                    _ => 1,
                })
            })
            .await?;
        Ok(*mode == 2)
    }
}

/// The custom fields of leads and deals, in one request.
pub async fn read_fields(client: &Client) -> Result<PortalFields, sva_bitrix::BitrixError> {
    let mut batch = Batch::new();
    batch
        .add("lead", "crm.lead.fields", &serde_json::json!({}))
        .add("deal", "crm.deal.fields", &serde_json::json!({}));
    let reply = client.batch(&batch, Idempotency::Safe).await?;
    Ok(PortalFields {
        lead: custom::describe(reply.take("lead")?),
        deal: custom::describe(reply.take("deal")?),
    })
}

/// Clients per tenant, made again when the tenant's settings or secrets change.
pub struct Connections {
    tenants: TenantStore,
    config: ClientConfig,
    field_ttl: Duration,
    cache: Mutex<HashMap<String, (String, Connection)>>,
    /// Held while a client is made, so concurrent entries of one tenant share one client
    /// (two clients refreshing one OAuth token would kill each other's refresh token).
    making: tokio::sync::Mutex<()>,
}

impl Connections {
    /// Clients configured by `config` (rate, timeouts, token server, allowed hosts).
    pub fn new(tenants: TenantStore, config: ClientConfig) -> Connections {
        Connections {
            tenants,
            config,
            field_ttl: FIELD_TTL,
            cache: Mutex::new(HashMap::new()),
            making: tokio::sync::Mutex::new(()),
        }
    }

    /// Reads the portals' custom fields again after `ttl` ([`FIELD_TTL`] by default).
    pub fn with_field_ttl(mut self, ttl: Duration) -> Connections {
        self.field_ttl = ttl;
        self
    }

    /// The tenant store the connections are read from.
    pub fn tenants(&self) -> &TenantStore {
        &self.tenants
    }

    /// The client settings every connection uses.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The tenant's connection.
    pub async fn get(&self, tenant: &str) -> Result<Connection, ConnectError> {
        let settings = self
            .tenants
            .settings(tenant)
            .await
            .map_err(|e| ConnectError::Store(e.to_string()))?
            .ok_or_else(|| ConnectError::NoTenant(tenant.into()))?;
        let crm = settings
            .crm
            .clone()
            .ok_or_else(|| ConnectError::NotConfigured(tenant.into()))?;
        let stamp = format!(
            "{}/{}",
            settings.revision,
            settings
                .secrets_changed_at
                .get("crm")
                .map(String::as_str)
                .unwrap_or("")
        );
        if let Some(connection) = self.cached(tenant, &stamp) {
            return Ok(connection);
        }
        let _making = self.making.lock().await;
        if let Some(connection) = self.cached(tenant, &stamp) {
            return Ok(connection);
        }
        let secrets = self
            .tenants
            .crm_secrets(tenant)
            .await
            .map_err(|e| ConnectError::Store(e.to_string()))?;
        let incomplete = |what| ConnectError::Incomplete {
            tenant: tenant.into(),
            what,
        };
        let credentials = match crm.auth {
            CrmAuth::Webhook => Credentials::Webhook {
                user_id: crm
                    .webhook_user_id
                    .ok_or_else(|| incomplete("webhook_user_id"))?,
                code: secrets
                    .webhook_code
                    .clone()
                    .ok_or_else(|| incomplete("webhook_code"))?,
            },
            CrmAuth::Oauth => {
                let access = secrets
                    .live_access_token(sva_kit::unix_now(), ACCESS_MARGIN_S)
                    .map(str::to_owned);
                // Right after an install the application's id and secret may not be
                // entered yet: the installed access token works for its hour, and a
                // refresh without them fails with `invalid_client`.
                let needed = |value: Option<String>, what| match (value, &access) {
                    (Some(v), _) => Ok(v),
                    (None, Some(_)) => Ok(String::new()),
                    (None, None) => Err(incomplete(what)),
                };
                Credentials::OAuth {
                    client_id: needed(crm.client_id.clone(), "client_id")?,
                    client_secret: needed(secrets.client_secret.clone(), "client_secret")?,
                    refresh_token: secrets
                        .refresh_token
                        .clone()
                        .ok_or_else(|| incomplete("refresh_token"))?,
                    access_token: access,
                }
            }
        };
        let sink = Arc::new(StoredTokenPair {
            tenants: self.tenants.clone(),
            tenant: tenant.into(),
        });
        let client =
            Client::new(&crm.portal, credentials, self.config.clone())?.with_token_sink(sink);
        let connection = Connection {
            client: Arc::new(client),
            crm: Arc::new(crm),
            mode: Arc::new(tokio::sync::OnceCell::new()),
            fields: Arc::default(),
            field_ttl: self.field_ttl,
        };
        self.lock()
            .insert(tenant.into(), (stamp, connection.clone()));
        Ok(connection)
    }

    fn cached(&self, tenant: &str, stamp: &str) -> Option<Connection> {
        match self.lock().get(tenant) {
            Some((seen, connection)) if seen == stamp => Some(connection.clone()),
            _ => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Connection)>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Keeps a rotated OAuth pair, with the access token's expiry, in the tenant's CRM
/// secrets; the pair stored there is what another process of the tenant uses.
struct StoredTokenPair {
    tenants: TenantStore,
    tenant: String,
}

#[async_trait]
impl TokenSink for StoredTokenPair {
    async fn current(&self) -> Result<Option<StoredTokens>, String> {
        let secrets = self
            .tenants
            .crm_secrets(&self.tenant)
            .await
            .map_err(|e| e.to_string())?;
        Ok(secrets.refresh_token.map(|refresh_token| StoredTokens {
            refresh_token,
            access_token: secrets.access_token,
            expires_at: secrets.access_expires_at,
        }))
    }

    async fn rotated(&self, tokens: &StoredTokens) -> Result<(), String> {
        let current = self
            .tenants
            .crm_secrets(&self.tenant)
            .await
            .map_err(|e| e.to_string())?;
        let change = CrmSecrets {
            refresh_token: Some(tokens.refresh_token.clone()),
            access_token: Some(tokens.access_token.clone().unwrap_or_default()),
            access_expires_at: tokens.expires_at,
            ..CrmSecrets::default()
        };
        self.tenants
            .put_crm_secrets(&self.tenant, &current.merged(&change))
            .await
            .map_err(|e| e.to_string())
    }
}
