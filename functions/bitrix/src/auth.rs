//! Webhook and OAuth credentials, and the one shared refresh of an expired access token.

use async_trait::async_trait;

/// How the client authenticates to the portal.
#[derive(Clone)]
pub enum Credentials {
    /// An incoming webhook: calls go to `/rest/{user_id}/{code}/{method}`. Telephony
    /// methods refuse it (`WRONG_AUTH_TYPE`).
    Webhook {
        /// The webhook creator's user id.
        user_id: u64,
        /// The webhook code (a secret).
        code: String,
    },
    /// An OAuth local application: calls go to `/rest/{method}` with `auth=<access token>`;
    /// the access token lives an hour and is refreshed with the refresh token, which
    /// rotates on every refresh.
    OAuth {
        /// The application's client id.
        client_id: String,
        /// The application's client secret.
        client_secret: String,
        /// The current refresh token.
        refresh_token: String,
        /// An access token, if one is at hand and not expired (else the first call
        /// refreshes): the one stored with its expiry, so a new process does not refresh
        /// (`settings/oauth/auto-renewal`: refreshing more than needed may get an
        /// application blocked).
        access_token: Option<String>,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Webhook { user_id, .. } => f
                .debug_struct("Webhook")
                .field("user_id", user_id)
                .field("code", &"…")
                .finish(),
            Credentials::OAuth { client_id, .. } => f
                .debug_struct("OAuth")
                .field("client_id", client_id)
                .field("secrets", &"…")
                .finish(),
        }
    }
}

/// An OAuth token pair as stored: the refresh token, and the access token with when it
/// expires (Unix seconds) when known.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredTokens {
    /// The refresh token.
    pub refresh_token: String,
    /// The access token.
    pub access_token: Option<String>,
    /// When the access token expires (Unix seconds).
    pub expires_at: Option<u64>,
}

impl std::fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTokens")
            .field("access_token", &self.access_token.as_ref().map(|_| "…"))
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Where rotated tokens are persisted. Bitrix24 invalidates the old refresh token when
/// it issues a new one, so the new one must be stored before the process can forget it;
/// the access token is stored with its expiry so that another process uses it instead
/// of refreshing again.
#[async_trait]
pub trait TokenSink: Send + Sync {
    /// Stores the pair the token server just issued.
    async fn rotated(&self, tokens: &StoredTokens) -> Result<(), String>;

    /// The pair stored now, if the sink can tell: when another process (a second
    /// function instance) refreshed first, the tokens this client holds are dead and the
    /// stored ones are live.
    async fn current(&self) -> Result<Option<StoredTokens>, String> {
        Ok(None)
    }
}

/// The OAuth tokens in use and how many times they were refreshed.
#[derive(Clone)]
pub(crate) struct Tokens {
    /// The access token, if any.
    pub access: Option<String>,
    /// The refresh token.
    pub refresh: String,
    /// Bumped on every refresh: a call that saw `expired_token` with an older
    /// generation just replays with the newer token instead of refreshing again.
    pub generation: u64,
}

/// The token server's answer (`oauth.bitrix.info/oauth/token/`).
#[derive(serde::Deserialize)]
pub(crate) struct TokenAnswer {
    /// The new access token.
    pub access_token: Option<String>,
    /// The new refresh token.
    pub refresh_token: Option<String>,
    /// When the access token expires (Unix seconds).
    pub expires: Option<u64>,
    /// How long the access token lives (seconds).
    pub expires_in: Option<u64>,
    /// An error code (`invalid_grant`, `invalid_client`, …).
    pub error: Option<String>,
    /// The error's description.
    pub error_description: Option<String>,
}
