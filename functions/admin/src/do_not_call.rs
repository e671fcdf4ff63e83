//! A tenant's do-not-call list: numbers its assistant never dials. The scenario's
//! `do_not_call` outcome and Bitrix24 feed it too; here the tenant (or the operator)
//! reads it, adds a number (any common Russian spelling, stored in E.164) and takes one
//! off. Each entry says who added it, when and why.

use crate::openapi::ErrorBody;
use crate::{Admin, AdminError, Caller};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use sva_kit::Json;
use sva_kit::mask::mask_phone;
use sva_tenants::{DoNotCallEntry, DoNotCallSource, NewDoNotCall};
use utoipa::{IntoParams, ToSchema};

/// A number to put on the list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDoNotCallEntry {
    /// The number in any common spelling (`+7 916 123-45-67`, `89161234567`); stored
    /// in E.164.
    pub number: String,
    /// Why (the subscriber's request, a complaint…); at most 500 characters are kept.
    #[serde(default)]
    pub reason: String,
}

/// The number to take off the list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NumberParam {
    /// The number in any common spelling (URL-encode `+` as `%2B`).
    pub number: String,
}

/// `raw` in E.164, or a refusal naming the field.
fn e164(raw: &str) -> Result<String, AdminError> {
    sva_abi::phone::to_e164(raw).ok_or_else(|| {
        AdminError::Invalid(format!(
            "number: {} is not a telephone number",
            mask_phone(raw)
        ))
    })
}

impl Admin {
    /// The tenant's do-not-call list, by number.
    pub async fn do_not_call(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Vec<DoNotCallEntry>, AdminError> {
        self.visible(caller, id).await?;
        Ok(self.tenants.do_not_call_list(id).await?)
    }

    /// Puts a number on the list; the entry and whether it is new (a number already
    /// listed keeps its first entry).
    pub async fn add_do_not_call(
        &self,
        caller: &Caller,
        id: &str,
        new: NewDoNotCallEntry,
    ) -> Result<(DoNotCallEntry, bool), AdminError> {
        self.visible(caller, id).await?;
        let number = e164(&new.number)?;
        let added = self
            .tenants
            .add_do_not_call(
                id,
                NewDoNotCall {
                    number: &number,
                    source: DoNotCallSource::Admin,
                    by: &caller.name(),
                    reason: &new.reason,
                },
            )
            .await?;
        tracing::info!(tenant = %id, by = %caller.name(), number = %mask_phone(&number),
            created = added.1, "do-not-call: number added");
        Ok(added)
    }

    /// Takes a number off the list; its entry, or 404 when it was not on it.
    pub async fn remove_do_not_call(
        &self,
        caller: &Caller,
        id: &str,
        number: &str,
    ) -> Result<DoNotCallEntry, AdminError> {
        self.visible(caller, id).await?;
        let number = e164(number)?;
        let removed = self
            .tenants
            .remove_do_not_call(id, &number)
            .await?
            .ok_or_else(|| AdminError::NotFound("The number is not on the list.".into()))?;
        tracing::info!(tenant = %id, by = %caller.name(), number = %mask_phone(&number),
            "do-not-call: number removed");
        Ok(removed)
    }
}

/// The tenant's do-not-call list.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/do-not-call", tag = "do-not-call",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "Every number on the list, by number", body = Vec<DoNotCallEntry>),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
    ))]
pub async fn list(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<DoNotCallEntry>>, AdminError> {
    admin.do_not_call(&caller, &tenant).await.map(Json)
}

/// Puts a number on the list (201; 200 with the first entry when it was already on it).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/do-not-call", tag = "do-not-call",
    params(("tenant" = String, Path, description = "The tenant id")),
    request_body = NewDoNotCallEntry,
    responses(
        (status = 201, description = "Added", body = DoNotCallEntry),
        (status = 200, description = "Already on the list: its first entry", body = DoNotCallEntry),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
        (status = 422, description = "Not a telephone number", body = ErrorBody),
    ))]
pub async fn add(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Json(new): Json<NewDoNotCallEntry>,
) -> Result<(StatusCode, Json<DoNotCallEntry>), AdminError> {
    let (entry, created) = admin.add_do_not_call(&caller, &tenant, new).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(entry)))
}

/// Takes a number off the list.
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/do-not-call", tag = "do-not-call",
    params(("tenant" = String, Path, description = "The tenant id"), NumberParam),
    responses(
        (status = 200, description = "The entry removed", body = DoNotCallEntry),
        (status = 404, description = "No such tenant for this key, or the number is not on the list", body = ErrorBody),
        (status = 422, description = "Not a telephone number", body = ErrorBody),
    ))]
pub async fn remove(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(params): Query<NumberParam>,
) -> Result<Json<DoNotCallEntry>, AdminError> {
    admin
        .remove_do_not_call(&caller, &tenant, &params.number)
        .await
        .map(Json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Method, Request};
    use sva_kit::storage::{DynStore, LocalDir};
    use sva_sandbox::{Sandbox, SandboxConfig};
    use sva_tenants::TenantStore;
    use tower::ServiceExt;

    const OPERATOR: &str = "oooooooooooooooooooooooooooooooo";

    async fn admin() -> (tempfile::TempDir, Arc<Admin>) {
        let dir = tempfile::tempdir().unwrap();
        let store: DynStore = Arc::new(LocalDir::new(dir.path()));
        let sandbox = Arc::new(Sandbox::new(SandboxConfig::default()).unwrap());
        let admin = Admin::new(TenantStore::new(store), sandbox, OPERATOR).unwrap();
        for id in ["acme", "other"] {
            admin
                .create_tenant(
                    &Caller::Operator,
                    crate::NewTenant {
                        id: id.into(),
                        company: "Акме".into(),
                        product: "станки".into(),
                        manager_phone: None,
                    },
                )
                .await
                .unwrap();
        }
        (dir, Arc::new(admin))
    }

    async fn send(
        admin: &Arc<Admin>,
        key: &str,
        method: Method,
        uri: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {key}"));
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        let response = crate::router(admin.clone())
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    #[tokio::test]
    async fn a_tenant_adds_lists_and_removes_numbers_in_any_spelling() {
        let (_dir, admin) = admin().await;
        let (_, key) = admin.tenants.issue_key("acme", "crm").await.unwrap();
        let uri = "/v1/tenants/acme/do-not-call";
        let (status, entry) = send(
            &admin,
            &key,
            Method::POST,
            uri,
            Some(serde_json::json!({"number": "8 (916) 123-45-67", "reason": "жалоба"})),
        )
        .await;
        assert_eq!(status, 201, "{entry}");
        assert_eq!(entry["number"], "+79161234567");
        assert_eq!(entry["source"], "admin");
        assert!(entry["by"].as_str().unwrap().starts_with("key:"));
        assert_eq!(entry["reason"], "жалоба");
        // Again: 200 and the first entry.
        let (status, again) = send(
            &admin,
            OPERATOR,
            Method::POST,
            uri,
            Some(serde_json::json!({"number": "+79161234567", "reason": "другое"})),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(again, entry);
        let (status, list) = send(&admin, &key, Method::GET, uri, None).await;
        assert_eq!(status, 200);
        assert_eq!(list, serde_json::json!([entry]));
        let (status, removed) = send(
            &admin,
            &key,
            Method::DELETE,
            &format!("{uri}?number=%2B79161234567"),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(removed, entry);
        let (status, body) = send(
            &admin,
            &key,
            Method::DELETE,
            &format!("{uri}?number=89161234567"),
            None,
        )
        .await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["code"], "not_found");
    }

    #[tokio::test]
    async fn bad_numbers_other_tenants_and_missing_keys_are_refused() {
        let (_dir, admin) = admin().await;
        let (_, key) = admin.tenants.issue_key("acme", "").await.unwrap();
        let (status, body) = send(
            &admin,
            &key,
            Method::POST,
            "/v1/tenants/acme/do-not-call",
            Some(serde_json::json!({"number": "12345"})),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["code"], "invalid_value");
        let (status, body) = send(
            &admin,
            &key,
            Method::POST,
            "/v1/tenants/acme/do-not-call",
            Some(serde_json::json!({"number": "+79161234567", "extra": 1})),
        )
        .await;
        assert!(status == 400 || status == 422, "{status} {body}");
        // Another tenant's list: the same 404 as a tenant that does not exist.
        admin
            .add_do_not_call(
                &Caller::Operator,
                "other",
                NewDoNotCallEntry {
                    number: "+79161234567".into(),
                    reason: String::new(),
                },
            )
            .await
            .unwrap();
        for (method, uri) in [
            (Method::GET, "/v1/tenants/other/do-not-call"),
            (
                Method::DELETE,
                "/v1/tenants/other/do-not-call?number=%2B79161234567",
            ),
            (Method::GET, "/v1/tenants/nobody/do-not-call"),
        ] {
            let (status, body) = send(&admin, &key, method, uri, None).await;
            assert_eq!(status, 404, "{uri}: {body}");
        }
        let (status, _) = send(
            &admin,
            "wrong",
            Method::GET,
            "/v1/tenants/acme/do-not-call",
            None,
        )
        .await;
        assert_eq!(status, 401);
        let listed = admin.do_not_call(&Caller::Operator, "other").await.unwrap();
        assert_eq!(listed.len(), 1, "the other tenant's entry is untouched");
        assert!(
            admin
                .do_not_call(&Caller::Operator, "acme")
                .await
                .unwrap()
                .is_empty()
        );
    }
}
