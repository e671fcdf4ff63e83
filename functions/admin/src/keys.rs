//! A tenant's credentials: its API keys (issued by the operator, shown once, stored
//! hashed, revocable) and the signing secret its VoxEngine application signs turns
//! with (rotated with a grace period, or at once for a leaked one).

use crate::admin::now_secs;
use crate::openapi::ErrorBody;
use crate::{Admin, AdminError, Caller};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use sva_kit::Json;
use sva_tenants::ApiKeyInfo;
use sva_tenants::secret::random_hex;
use utoipa::ToSchema;

/// A new API key.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// What the key is for.
    #[serde(default)]
    pub label: String,
}

/// An issued API key: the key itself exists only in this answer.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedKey {
    /// Its description.
    pub info: ApiKeyInfo,
    /// The key: send it as `Authorization: Bearer <key>`.
    pub key: String,
}
crate::debug_without!(IssuedKey, key, info);

/// A new signing secret: shown only in this answer.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct RotatedSecret {
    /// The secret VoxEngine must sign with from now on.
    pub signing_secret: String,
    /// Until when the replaced secret is still accepted (RFC 3339, UTC): deploy the new
    /// one to the VoxEngine application before then. None when the old secrets were
    /// revoked at once.
    pub previous_valid_until: Option<String>,
}
crate::debug_without!(RotatedSecret, signing_secret, previous_valid_until);

/// The longest label a key may have, in characters.
const MAX_LABEL: usize = 100;

impl Admin {
    /// Issues an API key for the tenant (operator only).
    pub async fn issue_key(
        &self,
        caller: &Caller,
        id: &str,
        new: NewKey,
    ) -> Result<IssuedKey, AdminError> {
        self.visible(caller, id).await?;
        caller.operator_only()?;
        if new.label.chars().count() > MAX_LABEL {
            return Err(AdminError::Invalid(format!(
                "the label is longer than {MAX_LABEL} characters"
            )));
        }
        let (info, key) = self.tenants.issue_key(id, &new.label).await?;
        tracing::info!(tenant = %id, key = %info.id, "API key issued");
        Ok(IssuedKey { info, key })
    }

    /// The tenant's API keys, without their secrets.
    pub async fn keys(&self, caller: &Caller, id: &str) -> Result<Vec<ApiKeyInfo>, AdminError> {
        self.visible(caller, id).await?;
        Ok(self.tenants.keys(id).await?)
    }

    /// Revokes one of the tenant's API keys (operator only).
    pub async fn revoke_key(
        &self,
        caller: &Caller,
        id: &str,
        key_id: &str,
    ) -> Result<ApiKeyInfo, AdminError> {
        self.visible(caller, id).await?;
        caller.operator_only()?;
        let info = self
            .tenants
            .revoke_key(id, key_id)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("No API key {key_id}.")))?;
        tracing::info!(tenant = %id, key = %key_id, "API key revoked");
        Ok(info)
    }

    /// Replaces the tenant's VoxEngine signing secret; the new one is in the answer
    /// only. With `keep_previous` the old one is still accepted for an hour
    /// ([`SIGNING_GRACE_S`](sva_tenants::SIGNING_GRACE_S)), so calls in flight go on
    /// while the new one is deployed; without it (a leaked secret) every old one stops
    /// working at once.
    pub async fn rotate_signing_secret(
        &self,
        caller: &Caller,
        id: &str,
        keep_previous: bool,
    ) -> Result<RotatedSecret, AdminError> {
        self.visible(caller, id).await?;
        let now = now_secs();
        let what = match keep_previous {
            true => "rotate signing secret",
            false => "rotate signing secret, old ones revoked",
        };
        self.tenants
            .update_with(id, &caller.name(), what, true, |s| {
                let at = sva_abi::clock::rfc3339(now, 0);
                s.secrets_changed_at.insert("signing".into(), at);
                Ok::<_, AdminError>(())
            })
            .await?;
        let secret = random_hex(32);
        let until = self
            .tenants
            .rotate_signing_secret(id, &secret, now as u64, keep_previous)
            .await?;
        tracing::info!(tenant = %id, by = %caller.name(), keep_previous, "signing secret rotated");
        Ok(RotatedSecret {
            signing_secret: secret,
            previous_valid_until: until.map(|u| sva_abi::clock::rfc3339(u as i64, 0)),
        })
    }
}

type Answer<T> = Result<Json<T>, AdminError>;

/// The tenant's API keys, without their secrets.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/keys", tag = "keys",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The keys", body = Vec<ApiKeyInfo>),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
    ))]
pub async fn keys(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<Vec<ApiKeyInfo>> {
    admin.keys(&caller, &tenant).await.map(Json)
}

/// Issues an API key for the tenant; the key is shown only in this answer (operator only).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/keys", tag = "keys",
    params(("tenant" = String, Path, description = "The tenant id")),
    request_body = NewKey,
    responses(
        (status = 201, description = "The key", body = IssuedKey),
        (status = 403, description = "Not the operator", body = ErrorBody),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
    ))]
pub async fn issue_key(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Json(new): Json<NewKey>,
) -> Result<(StatusCode, Json<IssuedKey>), AdminError> {
    let issued = admin.issue_key(&caller, &tenant, new).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Revokes an API key (operator only).
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/keys/{key_id}", tag = "keys",
    params(
        ("tenant" = String, Path, description = "The tenant id"),
        ("key_id" = String, Path, description = "The key id"),
    ),
    responses(
        (status = 200, description = "The revoked key", body = ApiKeyInfo),
        (status = 403, description = "Not the operator", body = ErrorBody),
        (status = 404, description = "No such tenant or key", body = ErrorBody),
    ))]
pub async fn revoke_key(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path((tenant, key_id)): Path<(String, String)>,
) -> Answer<ApiKeyInfo> {
    admin.revoke_key(&caller, &tenant, &key_id).await.map(Json)
}

/// How to rotate a signing secret.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RotateParams {
    /// Keep the old secret valid for an hour (default `true`); `false` for a leaked
    /// secret: every old one stops working at once.
    #[serde(default = "yes")]
    pub keep_previous: bool,
}

fn yes() -> bool {
    true
}

/// Replaces the VoxEngine signing secret; the new one is shown only in this answer.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/signing-secret", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant id"), RotateParams),
    responses(
        (status = 200, description = "The new secret", body = RotatedSecret),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
    ))]
pub async fn rotate_secret(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(params): Query<RotateParams>,
) -> Answer<RotatedSecret> {
    admin
        .rotate_signing_secret(&caller, &tenant, params.keep_previous)
        .await
        .map(Json)
}
