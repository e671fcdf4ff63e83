//! Where a portal installs the assistant's application for a tenant, and where its
//! events arrive (`docs/bitrix24.md` §1, `docs/bitrix24-rest.md` §11).
//!
//! * `POST /v1/crm/install/{tenant}/{key}` is the application's install path
//!   («Путь для первоначальной установки» of a local application, or the `ONAPPINSTALL`
//!   handler): Bitrix24 posts the OAuth pair, its lifetime and the `application_token`
//!   there, form-encoded with PHP brackets (`auth[access_token]=…`). The path names the
//!   tenant it was opened for and carries its install key (issued with
//!   `sva crm install`), so nobody else can connect a portal to the tenant. The
//!   install is accepted only from the tenant's own portal (`auth[domain]`), and only
//!   once the portal confirms the access token belongs to an installed application
//!   (`app.info`, asked on the tenant's portal, never on an address from the request).
//!   The pair is stored with the access token's expiry, the application token kept for
//!   the events, and the answer is a page in Russian saying what was connected.
//! * `POST /v1/crm/events/{tenant}` takes the portal's events: each must carry the
//!   application token stored at the install (`api-reference/events/safe-event-handlers`),
//!   else 401. `ONAPPUNINSTALL` forgets the tokens.
//! * With the function's public address known, the install also binds `ONAPPUNINSTALL`
//!   and registers the robot «Позвонить клиенту» ([`crate::robot`]).

use crate::connect::Connections;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use sva_bitrix::{BitrixError, Client, Credentials, Idempotency};
use sva_tenants::secret::same_secret;
use sva_tenants::{CrmAuth, CrmInstall, CrmSecrets, TenantStoreError};

/// The install path, by tenant and install key.
pub const INSTALL_PATH: &str = "/v1/crm/install/{tenant}/{key}";

/// The events path, by tenant.
pub const EVENTS_PATH: &str = "/v1/crm/events/{tenant}";

/// The install handler's address for a tenant, under `base` (the CRM function's URL).
pub fn install_url(base: &str, tenant: &str, key: &str) -> String {
    format!(
        "{}/v1/crm/install/{tenant}/{key}",
        base.trim_end_matches('/')
    )
}

/// The events handler's address for a tenant, under `base`.
pub fn events_url(base: &str, tenant: &str) -> String {
    format!("{}/v1/crm/events/{tenant}", base.trim_end_matches('/'))
}

/// Why an install or an event was refused.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// No such tenant, no such key, or the tenant connects no OAuth application: the
    /// same answer for each, so the path tells nothing.
    #[error("there is no install for this address")]
    NotFound,
    /// The request is not an install: it lacks the tokens or the portal's name.
    #[error("the install lacks {0}")]
    Incomplete(&'static str),
    /// The install came from another portal than the tenant's.
    #[error("the install is from {got}, the tenant's portal is {expected}")]
    WrongPortal {
        /// The portal the request named.
        got: String,
        /// The tenant's.
        expected: String,
    },
    /// The portal did not confirm the access token.
    #[error("the portal did not confirm the application: {0}")]
    NotConfirmed(String),
    /// An event without the application token of the install.
    #[error("the event does not carry the application's token")]
    WrongToken,
    /// Storage failed.
    #[error("tenant store: {0}")]
    Store(#[from] TenantStoreError),
}

impl InstallError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            InstallError::NotFound => "not_found",
            InstallError::Incomplete(_) => "install_incomplete",
            InstallError::WrongPortal { .. } => "wrong_portal",
            InstallError::NotConfirmed(_) => "not_confirmed",
            InstallError::WrongToken => "wrong_application_token",
            InstallError::Store(_) => "storage",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            InstallError::NotFound => StatusCode::NOT_FOUND,
            InstallError::Incomplete(_) => StatusCode::BAD_REQUEST,
            InstallError::WrongPortal { .. } | InstallError::NotConfirmed(_) => {
                StatusCode::FORBIDDEN
            }
            InstallError::WrongToken => StatusCode::UNAUTHORIZED,
            InstallError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for InstallError {
    fn into_response(self) -> Response {
        if let InstallError::Store(e) = &self {
            tracing::error!(code = self.code(), "the install could not be stored: {e}");
        }
        let body = json!({ "error": self.code(), "message": self.to_string() });
        (self.status(), axum::Json(body)).into_response()
    }
}

/// The install and events handlers.
pub struct Installer {
    connections: Arc<Connections>,
    public_url: Option<String>,
}

impl Installer {
    /// Handlers storing into the tenants of `connections`. With `public_url` (the CRM
    /// function's address as portals reach it), the install also binds `ONAPPUNINSTALL`
    /// to the events handler.
    pub fn new(connections: Arc<Connections>, public_url: Option<String>) -> Installer {
        Installer {
            connections,
            public_url,
        }
    }
}

/// The routes: the install path and the events path.
pub fn router(installer: Arc<Installer>) -> Router {
    Router::new()
        .route(INSTALL_PATH, post(install))
        .route(EVENTS_PATH, post(event))
        .with_state(installer)
}

/// What a portal posted: form fields (PHP bracket names kept whole) or JSON, flattened
/// to `auth[access_token]`-style names.
#[derive(Debug, Default)]
pub(crate) struct Posted(BTreeMap<String, String>);

impl Posted {
    pub(crate) fn parse(headers: &HeaderMap, body: &[u8]) -> Posted {
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.contains("json"));
        let mut out = BTreeMap::new();
        if json {
            if let Ok(v) = serde_json::from_slice::<Value>(body) {
                flatten("", &v, &mut out);
            }
        } else {
            for (k, v) in url::form_urlencoded::parse(body) {
                out.insert(k.into_owned(), v.into_owned());
            }
        }
        Posted(out)
    }

    /// The first of `names` that is present and not empty.
    pub(crate) fn get(&self, names: &[&str]) -> Option<&str> {
        names
            .iter()
            .find_map(|n| self.0.get(*n))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}[{k}]")
                };
                flatten(&name, v, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        Value::Number(n) => {
            out.insert(prefix.to_owned(), n.to_string());
        }
        _ => {}
    }
}

/// The install as posted: the install callback and `ONAPPINSTALL` send `auth[…]`; an
/// application with an interface sends `AUTH_ID`, `REFRESH_ID`… (`settings/oauth/simple-way`).
struct Install {
    domain: String,
    access_token: String,
    refresh_token: String,
    expires_in: u64,
    application_token: Option<String>,
    member_id: String,
    scope: String,
}

impl Install {
    fn from(posted: &Posted, query: &Posted) -> Result<Install, InstallError> {
        let need = |names: &[&str], what| posted.get(names).ok_or(InstallError::Incomplete(what));
        Ok(Install {
            domain: posted
                .get(&["auth[domain]", "DOMAIN"])
                .or_else(|| query.get(&["DOMAIN"]))
                .ok_or(InstallError::Incomplete("the portal's domain"))?
                .to_owned(),
            access_token: need(&["auth[access_token]", "AUTH_ID"], "the access token")?.to_owned(),
            refresh_token: need(&["auth[refresh_token]", "REFRESH_ID"], "the refresh token")?
                .to_owned(),
            expires_in: posted
                .get(&["auth[expires_in]", "AUTH_EXPIRES"])
                .and_then(|s| s.parse().ok())
                .unwrap_or(3600),
            application_token: posted
                .get(&["auth[application_token]", "APPLICATION_TOKEN"])
                .map(str::to_owned),
            member_id: posted
                .get(&["auth[member_id]", "member_id"])
                .unwrap_or_default()
                .to_owned(),
            scope: posted
                .get(&["auth[scope]", "APPLICATION_SCOPE"])
                .unwrap_or_default()
                .to_owned(),
        })
    }
}

/// The host (and port) of a portal's address.
fn host_of(portal: &str) -> String {
    url::Url::parse(portal)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_owned();
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_default()
}

async fn install(
    State(installer): State<Arc<Installer>>,
    Path((tenant, key)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Html<String>, InstallError> {
    let tenants = installer.connections.tenants();
    let settings = tenants
        .settings(&tenant)
        .await
        .map_err(|e| match e {
            TenantStoreError::InvalidId(_) => InstallError::NotFound,
            other => InstallError::Store(other),
        })?
        .ok_or(InstallError::NotFound)?;
    let crm = settings
        .crm
        .filter(|c| c.auth == CrmAuth::Oauth)
        .ok_or(InstallError::NotFound)?;
    let secrets = tenants.crm_secrets(&tenant).await?;
    let expected_key = secrets
        .install_key
        .as_deref()
        .ok_or(InstallError::NotFound)?;
    if !same_secret(&key, expected_key) {
        return Err(InstallError::NotFound);
    }
    let posted = Posted::parse(&headers, &body);
    let query = Posted::parse(&HeaderMap::new(), query.unwrap_or_default().as_bytes());
    let install = Install::from(&posted, &query)?;
    let expected = host_of(&crm.portal);
    if !install.domain.eq_ignore_ascii_case(&expected) {
        return Err(InstallError::WrongPortal {
            got: install.domain,
            expected,
        });
    }
    confirm(&installer.connections, &crm, &install).await?;
    let now = sva_kit::unix_now();
    let change = CrmSecrets {
        refresh_token: Some(install.refresh_token.clone()),
        access_token: Some(install.access_token.clone()),
        access_expires_at: Some(now + install.expires_in),
        application_token: install.application_token.clone(),
        ..CrmSecrets::default()
    };
    tenants
        .put_crm_secrets(&tenant, &secrets.merged(&change))
        .await?;
    let mut status = tenants.crm_status(&tenant).await?;
    status.install = Some(CrmInstall {
        installed_at: sva_abi::clock::rfc3339(now as i64, 0),
        domain: install.domain.clone(),
        member_id: install.member_id.clone(),
        scope: install.scope.clone(),
        uninstalled_at: None,
    });
    tenants.put_crm_status(&tenant, &status).await?;
    secrets_changed(tenants, &tenant, "crm application installed").await?;
    if let Some(base) = &installer.public_url {
        match install_client(&installer.connections, &crm.portal, &install) {
            Ok(client) => {
                bind_uninstall(&client, base, &tenant).await;
                register_robot(&client, base, &tenant).await;
            }
            Err(e) => tracing::warn!(tenant, "no client with the install's token: {e}"),
        }
    }
    tracing::info!(tenant, domain = %install.domain, "the Bitrix24 application was installed");
    Ok(Html(installed_page(&install)))
}

/// Asks the tenant's portal whether the access token belongs to an installed application
/// (`app.info`; with the tenant's `client_id` set, it must be that application).
async fn confirm(
    connections: &Connections,
    crm: &sva_tenants::CrmConnection,
    install: &Install,
) -> Result<(), InstallError> {
    let not_confirmed = |e: &dyn std::fmt::Display| InstallError::NotConfirmed(e.to_string());
    // No refresh token: a confirmation never spends one.
    let client = Client::new(
        &crm.portal,
        Credentials::OAuth {
            client_id: crm.client_id.clone().unwrap_or_default(),
            client_secret: String::new(),
            refresh_token: String::new(),
            access_token: Some(install.access_token.clone()),
        },
        connections.config().clone(),
    )
    .map_err(|e| not_confirmed(&e))?;
    let info = client
        .call("app.info", json!({}), Idempotency::Safe)
        .await
        .map_err(|e| not_confirmed(&e))?;
    let installed = info.result["INSTALLED"] != json!(false);
    let code = info.result["CODE"].as_str().unwrap_or_default();
    let ours = crm
        .client_id
        .as_deref()
        .is_none_or(|id| code.is_empty() || code == id);
    if !(installed && ours) {
        return Err(InstallError::NotConfirmed(format!(
            "the token belongs to application {code:?}"
        )));
    }
    Ok(())
}

/// A client of `portal` with the access token the install brought (what the install
/// itself does on the portal).
fn install_client(
    connections: &Connections,
    portal: &str,
    install: &Install,
) -> Result<Client, BitrixError> {
    Client::new(
        portal,
        Credentials::OAuth {
            client_id: String::new(),
            client_secret: String::new(),
            refresh_token: String::new(),
            access_token: Some(install.access_token.clone()),
        },
        connections.config().clone(),
    )
}

/// Registers the robot «Позвонить клиенту» ([`crate::robot`]) with its handler under
/// `base` (best effort: the install stands without it; the next install registers it).
async fn register_robot(client: &Client, base: &str, tenant: &str) {
    match crate::robot::register(client, &crate::robot::robot_url(base, tenant)).await {
        Ok(how) => tracing::info!(tenant, ?how, "the robot is registered"),
        Err(e) => tracing::warn!(tenant, "the robot could not be registered: {e}"),
    }
}

/// Binds `ONAPPUNINSTALL` to the events handler (best effort: the install stands
/// without it).
async fn bind_uninstall(client: &Client, base: &str, tenant: &str) {
    let bound = client
        .call(
            "event.bind",
            json!({ "event": "ONAPPUNINSTALL", "handler": events_url(base, tenant) }),
            Idempotency::Safe,
        )
        .await;
    if let Err(e) = bound {
        tracing::warn!(tenant, "ONAPPUNINSTALL could not be bound: {e}");
    }
}

/// Checks that what a portal posted carries the application token stored at the
/// install (`api-reference/events/safe-event-handlers`); the tenant's CRM secrets.
pub(crate) async fn check_application_token(
    tenants: &sva_tenants::TenantStore,
    tenant: &str,
    posted: &Posted,
) -> Result<CrmSecrets, InstallError> {
    let secrets = match tenants.crm_secrets(tenant).await {
        Ok(secrets) => secrets,
        Err(TenantStoreError::InvalidId(_)) => return Err(InstallError::WrongToken),
        Err(e) => return Err(e.into()),
    };
    let token = posted
        .get(&["auth[application_token]"])
        .ok_or(InstallError::WrongToken)?;
    let expected = secrets
        .application_token
        .as_deref()
        .ok_or(InstallError::WrongToken)?;
    if !same_secret(token, expected) {
        return Err(InstallError::WrongToken);
    }
    Ok(secrets)
}

/// Marks the CRM secrets changed, so every process makes its client again.
async fn secrets_changed(
    tenants: &sva_tenants::TenantStore,
    tenant: &str,
    what: &str,
) -> Result<(), InstallError> {
    let now = sva_abi::clock::rfc3339(sva_kit::unix_now() as i64, 0);
    tenants
        .update_with(tenant, "bitrix24", what, true, |s| {
            s.secrets_changed_at.insert("crm".into(), now.clone());
            Ok::<_, TenantStoreError>(())
        })
        .await?;
    Ok(())
}

/// What the portal's administrator sees after the install (an application with an
/// interface shows it in its frame).
fn installed_page(install: &Install) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let scope = if install.scope.is_empty() {
        "не указаны".to_owned()
    } else {
        escape(&install.scope)
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Голосовой ассистент подключён</title></head>\n<body>\n<h1>Голосовой ассистент подключён</h1>\n<p>Портал: {}. Права приложения: {scope}.</p>\n<p>Звонки ассистента теперь попадают в CRM этого портала: лиды, сделки, история звонков и дела. Проверить подключение: <code>sva crm status</code>.</p>\n</body></html>\n",
        escape(&install.domain)
    )
}

async fn event(
    State(installer): State<Arc<Installer>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<Value>, InstallError> {
    let tenants = installer.connections.tenants();
    let posted = Posted::parse(&headers, &body);
    let secrets = check_application_token(tenants, &tenant, &posted).await?;
    let name = posted
        .get(&["event"])
        .unwrap_or_default()
        .to_ascii_uppercase();
    if name == "ONAPPUNINSTALL" {
        let forget = CrmSecrets {
            refresh_token: Some(String::new()),
            access_token: Some(String::new()),
            application_token: Some(String::new()),
            ..CrmSecrets::default()
        };
        tenants
            .put_crm_secrets(&tenant, &secrets.merged(&forget))
            .await?;
        let mut status = tenants.crm_status(&tenant).await?;
        if let Some(install) = status.install.as_mut() {
            install.uninstalled_at = Some(sva_abi::clock::rfc3339(sva_kit::unix_now() as i64, 0));
        }
        tenants.put_crm_status(&tenant, &status).await?;
        secrets_changed(tenants, &tenant, "crm application removed").await?;
        tracing::info!(tenant, "the Bitrix24 application was removed");
    }
    Ok(axum::Json(json!({ "ok": true, "event": name })))
}
