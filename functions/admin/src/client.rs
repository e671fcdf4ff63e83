//! [`AdminClient`]: the admin API from Rust — what `sva tenant` and `sva scenario` run,
//! and what the tests drive the API with.

use crate::{
    CreatedTenant, GapView, HistoryLine, HitView, IssuedKey, NewDoNotCallEntry, NewKey, NewTenant,
    ReplayRequest, RotatedSecret, ScenariosView, SettingsChange, SourceView, SplitRequest,
    TenantSummary, TenantView, Uploaded, VersionView,
};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use sva_tenants::{ApiKeyInfo, DoNotCallEntry, ScenarioRouting};

/// Why a request to the admin API failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The API refused the request and said why.
    #[error("{message} ({status} {code})")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The machine-readable code (`not_found`, `missing_export`, …).
        code: String,
        /// The API's sentence.
        message: String,
    },
    /// The API could not be reached.
    #[error("cannot reach the admin API at {url}: {source}")]
    Unreachable {
        /// The URL.
        url: String,
        /// Why.
        source: reqwest::Error,
    },
    /// The answer was not what the API promises.
    #[error("unexpected answer from the admin API ({status}): {detail}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// What was wrong.
        detail: String,
    },
}

impl ClientError {
    /// The API's error code, if the API answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status, if the API answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } | ClientError::Unexpected { status, .. } => {
                Some(*status)
            }
            ClientError::Unreachable { .. } => None,
        }
    }
}

/// A client of one admin API with one key.
#[derive(Clone)]
pub struct AdminClient {
    base: String,
    key: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient")
            .field("base", &self.base)
            .field("key", &"***")
            .finish()
    }
}

impl AdminClient {
    /// A client of the API at `base` (`http://127.0.0.1:8080`) presenting `key`.
    pub fn new(base: &str, key: &str) -> AdminClient {
        AdminClient {
            base: base.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// The same API with another key.
    pub fn with_key(&self, key: &str) -> AdminClient {
        AdminClient {
            key: key.to_owned(),
            ..self.clone()
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
    }

    /// Sends a request and decodes the answer (or the API's error).
    pub async fn send<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<T, ClientError> {
        let response = request
            .send()
            .await
            .map_err(|source| ClientError::Unreachable {
                url: self.base.clone(),
                source,
            })?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| ClientError::Unexpected {
                status,
                detail: e.to_string(),
            })?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body).map_err(|e| ClientError::Unexpected {
                status,
                detail: e.to_string(),
            });
        }
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let field = |name: &str| error["error"][name].as_str().map(String::from);
        match (field("code"), field("message")) {
            (Some(code), Some(message)) => Err(ClientError::Api {
                status,
                code,
                message,
            }),
            _ => Err(ClientError::Unexpected {
                status,
                detail: String::from_utf8_lossy(&body).chars().take(200).collect(),
            }),
        }
    }

    fn tenant_path(tenant: &str, rest: &str) -> String {
        format!("/v1/tenants/{tenant}{rest}")
    }

    /// `POST /v1/tenants`.
    pub async fn create_tenant(&self, new: &NewTenant) -> Result<CreatedTenant, ClientError> {
        self.send(self.request(Method::POST, "/v1/tenants").json(new))
            .await
    }

    /// `GET /v1/tenants`.
    pub async fn tenants(&self) -> Result<Vec<TenantSummary>, ClientError> {
        self.send(self.request(Method::GET, "/v1/tenants")).await
    }

    /// `GET /v1/tenants/{tenant}`.
    pub async fn tenant(&self, tenant: &str) -> Result<TenantView, ClientError> {
        self.send(self.request(Method::GET, &Self::tenant_path(tenant, "")))
            .await
    }

    /// `PATCH /v1/tenants/{tenant}`.
    pub async fn change_settings(
        &self,
        tenant: &str,
        change: &SettingsChange,
    ) -> Result<TenantView, ClientError> {
        self.send(
            self.request(Method::PATCH, &Self::tenant_path(tenant, ""))
                .json(change),
        )
        .await
    }

    /// `POST /v1/tenants/{tenant}/disable` or `/enable`.
    pub async fn set_disabled(
        &self,
        tenant: &str,
        disabled: bool,
    ) -> Result<TenantView, ClientError> {
        let rest = if disabled { "/disable" } else { "/enable" };
        self.send(self.request(Method::POST, &Self::tenant_path(tenant, rest)))
            .await
    }

    /// `GET /v1/tenants/{tenant}/history`.
    pub async fn history(&self, tenant: &str) -> Result<Vec<HistoryLine>, ClientError> {
        self.send(self.request(Method::GET, &Self::tenant_path(tenant, "/history")))
            .await
    }

    /// `POST /v1/tenants/{tenant}/signing-secret?keep_previous=…`.
    pub async fn rotate_signing_secret(
        &self,
        tenant: &str,
        keep_previous: bool,
    ) -> Result<RotatedSecret, ClientError> {
        let path = Self::tenant_path(
            tenant,
            &format!("/signing-secret?keep_previous={keep_previous}"),
        );
        self.send(self.request(Method::POST, &path)).await
    }

    /// `GET /v1/tenants/{tenant}/keys`.
    pub async fn keys(&self, tenant: &str) -> Result<Vec<ApiKeyInfo>, ClientError> {
        self.send(self.request(Method::GET, &Self::tenant_path(tenant, "/keys")))
            .await
    }

    /// `POST /v1/tenants/{tenant}/keys`.
    pub async fn issue_key(&self, tenant: &str, label: &str) -> Result<IssuedKey, ClientError> {
        let new = NewKey {
            label: label.to_owned(),
        };
        self.send(
            self.request(Method::POST, &Self::tenant_path(tenant, "/keys"))
                .json(&new),
        )
        .await
    }

    /// `DELETE /v1/tenants/{tenant}/keys/{key_id}`.
    pub async fn revoke_key(&self, tenant: &str, key_id: &str) -> Result<ApiKeyInfo, ClientError> {
        let path = Self::tenant_path(tenant, &format!("/keys/{key_id}"));
        self.send(self.request(Method::DELETE, &path)).await
    }

    /// `POST /v1/tenants/{tenant}/scenarios` with the module's bytes.
    pub async fn upload(&self, tenant: &str, wasm: Vec<u8>) -> Result<Uploaded, ClientError> {
        self.send(
            self.request(Method::POST, &Self::tenant_path(tenant, "/scenarios"))
                .header("content-type", "application/wasm")
                .body(wasm),
        )
        .await
    }

    /// `GET /v1/tenants/{tenant}/scenarios`.
    pub async fn scenarios(&self, tenant: &str) -> Result<ScenariosView, ClientError> {
        self.send(self.request(Method::GET, &Self::tenant_path(tenant, "/scenarios")))
            .await
    }

    /// `GET /v1/tenants/{tenant}/scenarios/{version}`.
    pub async fn version(&self, tenant: &str, version: &str) -> Result<VersionView, ClientError> {
        let path = Self::tenant_path(tenant, &format!("/scenarios/{version}"));
        self.send(self.request(Method::GET, &path)).await
    }

    /// `POST /v1/tenants/{tenant}/scenarios/{version}/activate`.
    pub async fn activate(
        &self,
        tenant: &str,
        version: &str,
    ) -> Result<ScenarioRouting, ClientError> {
        let path = Self::tenant_path(tenant, &format!("/scenarios/{version}/activate"));
        self.send(self.request(Method::POST, &path)).await
    }

    /// `POST /v1/tenants/{tenant}/scenarios/rollback`.
    pub async fn roll_back(&self, tenant: &str) -> Result<ScenarioRouting, ClientError> {
        let path = Self::tenant_path(tenant, "/scenarios/rollback");
        self.send(self.request(Method::POST, &path)).await
    }

    /// `POST /v1/tenants/{tenant}/scenarios/{version}/replay`: the tenant's recorded calls
    /// replayed against the version (the [`crate::ReplayReport`] as JSON).
    pub async fn replay(
        &self,
        tenant: &str,
        version: &str,
        request: &ReplayRequest,
    ) -> Result<serde_json::Value, ClientError> {
        let path = Self::tenant_path(tenant, &format!("/scenarios/{version}/replay"));
        self.send(self.request(Method::POST, &path).json(request))
            .await
    }

    /// `PUT /v1/tenants/{tenant}/scenarios/split` (0 % ends the split).
    pub async fn split(
        &self,
        tenant: &str,
        version: &str,
        percent: u32,
    ) -> Result<ScenarioRouting, ClientError> {
        let path = Self::tenant_path(tenant, "/scenarios/split");
        let request = SplitRequest {
            version: version.to_owned(),
            percent,
        };
        self.send(self.request(Method::PUT, &path).json(&request))
            .await
    }

    /// `GET /v1/tenants/{tenant}/do-not-call`.
    pub async fn do_not_call(&self, tenant: &str) -> Result<Vec<DoNotCallEntry>, ClientError> {
        let path = Self::tenant_path(tenant, "/do-not-call");
        self.send(self.request(Method::GET, &path)).await
    }

    /// `POST /v1/tenants/{tenant}/do-not-call`: the entry (the first one, if the number
    /// was already listed).
    pub async fn add_do_not_call(
        &self,
        tenant: &str,
        new: &NewDoNotCallEntry,
    ) -> Result<DoNotCallEntry, ClientError> {
        let path = Self::tenant_path(tenant, "/do-not-call");
        self.send(self.request(Method::POST, &path).json(new)).await
    }

    /// `DELETE /v1/tenants/{tenant}/do-not-call?number=…`: the entry removed.
    pub async fn remove_do_not_call(
        &self,
        tenant: &str,
        number: &str,
    ) -> Result<DoNotCallEntry, ClientError> {
        let number: String = url::form_urlencoded::byte_serialize(number.as_bytes()).collect();
        let path = Self::tenant_path(tenant, &format!("/do-not-call?number={number}"));
        self.send(self.request(Method::DELETE, &path)).await
    }

    /// `GET /v1/tenants/{tenant}/report?from=…&to=…` (JSON).
    pub async fn report(
        &self,
        tenant: &str,
        from: &str,
        to: &str,
    ) -> Result<serde_json::Value, ClientError> {
        let path = Self::tenant_path(tenant, &format!("/report?from={from}&to={to}"));
        self.send(self.request(Method::GET, &path)).await
    }

    /// `POST /v1/tenants/{tenant}/campaigns?…` with the contact file.
    pub async fn create_campaign(
        &self,
        tenant: &str,
        settings: &crate::NewCampaign,
        file: Vec<u8>,
    ) -> Result<serde_json::Value, ClientError> {
        let path = Self::tenant_path(tenant, &format!("/campaigns?{}", settings.query()));
        self.send(
            self.request(Method::POST, &path)
                .header("content-type", "text/csv")
                .body(file),
        )
        .await
    }

    /// `POST /v1/tenants/{tenant}/campaigns/from-crm`: a campaign from the leads or deals
    /// in a stage of the tenant's Bitrix24.
    pub async fn create_campaign_from_crm(
        &self,
        tenant: &str,
        settings: &crate::NewCampaign,
        selection: &crate::CrmSelectionQuery,
    ) -> Result<serde_json::Value, ClientError> {
        let path = Self::tenant_path(
            tenant,
            &format!(
                "/campaigns/from-crm?{}&{}",
                settings.query(),
                selection.query()
            ),
        );
        self.send(self.request(Method::POST, &path)).await
    }

    /// `GET /v1/tenants/{tenant}/campaigns`.
    pub async fn campaigns(&self, tenant: &str) -> Result<serde_json::Value, ClientError> {
        self.send(self.request(Method::GET, &Self::tenant_path(tenant, "/campaigns")))
            .await
    }

    /// `GET /v1/tenants/{tenant}/campaigns/{campaign}`, or its `/contacts`.
    pub async fn campaign(
        &self,
        tenant: &str,
        campaign: &str,
        contacts: bool,
    ) -> Result<serde_json::Value, ClientError> {
        let rest = format!(
            "/campaigns/{}{}",
            segment(campaign),
            if contacts { "/contacts" } else { "" }
        );
        self.send(self.request(Method::GET, &Self::tenant_path(tenant, &rest)))
            .await
    }

    /// `POST /v1/tenants/{tenant}/campaigns/{campaign}/run`.
    pub async fn change_run(
        &self,
        tenant: &str,
        campaign: &str,
        run: crate::RunChange,
    ) -> Result<serde_json::Value, ClientError> {
        let rest = format!("/campaigns/{}/run", segment(campaign));
        let run = match run {
            crate::RunChange::Pause => "pause",
            crate::RunChange::Resume => "resume",
            crate::RunChange::Cancel => "cancel",
        };
        self.send(
            self.request(Method::POST, &Self::tenant_path(tenant, &rest))
                .json(&serde_json::json!({ "run": run })),
        )
        .await
    }

    /// `GET /v1/tenants/{tenant}/kb/sources`.
    pub async fn sources(&self, tenant: &str) -> Result<Vec<SourceView>, ClientError> {
        let path = Self::tenant_path(tenant, "/kb/sources");
        self.send(self.request(Method::GET, &path)).await
    }

    /// `PUT /v1/tenants/{tenant}/kb/sources/{name}` with the file's bytes.
    pub async fn put_source(
        &self,
        tenant: &str,
        name: &str,
        body: Vec<u8>,
    ) -> Result<SourceView, ClientError> {
        let path = Self::tenant_path(tenant, &format!("/kb/sources/{}", segment(name)));
        self.send(
            self.request(Method::PUT, &path)
                .header("content-type", "application/octet-stream")
                .body(body),
        )
        .await
    }

    /// `DELETE /v1/tenants/{tenant}/kb/sources/{name}`.
    pub async fn delete_source(&self, tenant: &str, name: &str) -> Result<(), ClientError> {
        let path = Self::tenant_path(tenant, &format!("/kb/sources/{}", segment(name)));
        self.send::<serde_json::Value>(self.request(Method::DELETE, &path))
            .await
            .map(drop)
    }

    /// `GET /v1/tenants/{tenant}/kb/search?q=…&limit=…`.
    pub async fn search_knowledge(
        &self,
        tenant: &str,
        question: &str,
        limit: usize,
    ) -> Result<Vec<HitView>, ClientError> {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", question)
            .append_pair("limit", &limit.to_string())
            .finish();
        let path = Self::tenant_path(tenant, &format!("/kb/search?{query}"));
        self.send(self.request(Method::GET, &path)).await
    }

    /// `POST /v1/tenants/{tenant}/kb/reindex`: every stored source indexed again; the
    /// passages now in the index.
    pub async fn reindex_knowledge(&self, tenant: &str) -> Result<usize, ClientError> {
        let path = Self::tenant_path(tenant, "/kb/reindex");
        let done: crate::Reindexed = self.send(self.request(Method::POST, &path)).await?;
        Ok(done.passages)
    }

    /// `GET /v1/tenants/{tenant}/kb/gaps?since=…`.
    pub async fn knowledge_gaps(
        &self,
        tenant: &str,
        since: &str,
    ) -> Result<Vec<GapView>, ClientError> {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("since", since)
            .finish();
        let path = Self::tenant_path(tenant, &format!("/kb/gaps?{query}"));
        self.send(self.request(Method::GET, &path)).await
    }
}

/// `text` as one path segment: everything but `A-Z a-z 0-9 . - _` percent-encoded, so a
/// name such as `../keys/x` stays a name and never walks to another endpoint.
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_') {
            out.push(byte as char);
        } else if byte == b'.' && !text.bytes().all(|b| b == b'.') {
            out.push('.');
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::segment;

    #[test]
    fn a_name_is_one_segment() {
        assert_eq!(segment("prices.csv"), "prices.csv");
        assert_eq!(segment("../keys/K1"), "..%2Fkeys%2FK1");
        assert_eq!(segment(".."), "%2E%2E");
        assert_eq!(segment("цены.md"), "%D1%86%D0%B5%D0%BD%D1%8B.md");
    }
}
