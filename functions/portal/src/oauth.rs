//! OAuth 2.0 for the sandbox's local application: access tokens (expiring), refresh tokens
//! (rotated on every use), authorization codes, and the `/oauth/token/` endpoint.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::params::Param;
use crate::store::{Store, Token};
use crate::{Inner, clock, random_hex};

/// Refresh tokens live 180 days.
const REFRESH_TTL: f64 = 180.0 * 86_400.0;
/// Authorization codes live 30 s.
const CODE_TTL: f64 = 30.0;

/// A freshly issued pair.
pub(crate) struct Pair {
    /// The access token.
    pub access: String,
    /// The refresh token.
    pub refresh: String,
    /// When the access token expires (Unix seconds).
    pub expires: f64,
}

/// Issues an access and a refresh token for `user`.
pub(crate) fn issue_pair(store: &mut Store, user: u64, ttl: Duration) -> Pair {
    let now = clock::now();
    // Forget what expired more than a day ago.
    store
        .tokens
        .access
        .retain(|_, t| t.expires > now - 86_400.0 || t.expires == 0.0);
    store.tokens.codes.retain(|_, t| t.expires > now);
    let access = random_hex(32);
    let refresh = random_hex(32);
    let expires = now + ttl.as_secs_f64();
    store.tokens.access.insert(
        access.clone(),
        Token {
            user_id: user,
            expires,
        },
    );
    store.tokens.refresh.insert(
        refresh.clone(),
        Token {
            user_id: user,
            expires: now + REFRESH_TTL,
        },
    );
    Pair {
        access,
        refresh,
        expires,
    }
}

/// Issues an authorization code for `user`.
pub(crate) fn issue_code(store: &mut Store, user: u64) -> String {
    let code = random_hex(16);
    store.tokens.codes.insert(
        code.clone(),
        Token {
            user_id: user,
            expires: clock::now() + CODE_TTL,
        },
    );
    code
}

/// The user an access token acts for: 401 `NO_AUTH_FOUND` if unknown, `expired_token` if
/// expired.
pub(crate) fn check_access(store: &Store, token: &str) -> Result<u64, ApiError> {
    let t = store.tokens.access.get(token).ok_or(ApiError::NoAuth)?;
    if t.expires <= clock::now() {
        return Err(ApiError::ExpiredToken);
    }
    Ok(t.user_id)
}

fn oauth_error(status: StatusCode, code: &str, description: &str) -> (StatusCode, Value) {
    (
        status,
        json!({"error": code, "error_description": description}),
    )
}

/// `/oauth/token/`: `grant_type=refresh_token` (rotating) or `authorization_code`.
pub(crate) fn token_endpoint(inner: &Inner, p: &Param, host: &str) -> (StatusCode, Value) {
    let arg = |name: &str| {
        p.get(name)
            .and_then(Param::text)
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    };
    let Some(grant) = arg("grant_type") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The grant type is not set",
        );
    };
    let config = &inner.config;
    if arg("client_id").as_deref() != Some(config.client_id.as_str())
        || arg("client_secret").as_deref() != Some(config.client_secret.as_str())
    {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Invalid client");
    }
    let ttl = config.access_token_ttl;
    let issued = inner.write(|s| {
        let now = clock::now();
        let user = match grant.as_str() {
            "refresh_token" => {
                let token = arg("refresh_token").unwrap_or_default();
                match s.tokens.refresh.remove(&token) {
                    Some(t) if t.expires > now => t.user_id,
                    _ => return Err("Invalid refresh token"),
                }
            }
            "authorization_code" => {
                let code = arg("code").unwrap_or_default();
                match s.tokens.codes.remove(&code) {
                    Some(t) if t.expires > now => t.user_id,
                    _ => return Err("Invalid authorization code"),
                }
            }
            _ => return Err(""),
        };
        Ok((issue_pair(s, user, ttl), user, s.member_id.clone()))
    });
    match issued {
        Ok((pair, user, member_id)) => (
            StatusCode::OK,
            json!({
                "access_token": pair.access,
                "expires": pair.expires.floor() as i64,
                "expires_in": ttl.as_secs(),
                "scope": crate::SCOPE,
                "domain": host,
                "server_endpoint": format!("http://{host}/oauth/rest/"),
                "status": "L",
                "client_endpoint": format!("http://{host}/rest/"),
                "member_id": member_id,
                "user_id": user,
                "refresh_token": pair.refresh,
            }),
        ),
        Err("") => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Unsupported grant type",
        ),
        Err(why) => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why),
    }
}
