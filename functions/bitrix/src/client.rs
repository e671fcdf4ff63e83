//! [`Client`]: one portal, one set of credentials, one leaky bucket.

use crate::auth::{Credentials, StoredTokens, TokenAnswer, TokenSink, Tokens};
use crate::batch::{Batch, BatchReply, MAX_COMMANDS, form_body};
use crate::error::{BitrixError, Refusal, classify, is_auth_code};
use crate::limit::{LeakyBucket, RateLimit};
use crate::resolve::PublicOnly;
use serde_json::{Value, json};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use sva_kit::outbound::check_url;
use url::Url;

/// Bitrix24's OAuth token server.
pub const TOKEN_URL: &str = "https://oauth.bitrix.info/oauth/token/";

/// Whether a call may be replayed after an ambiguous failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads (`get`, `list`, `findbycomm`) and updates that set fixed values: replaying
    /// them changes nothing.
    Safe,
    /// `*.add`, `externalCall.register`, `batch`: replayed only when the portal surely did
    /// not run them; an ambiguous failure is returned for the caller to reconcile.
    Unsafe,
}

/// How the client behaves; the defaults follow Bitrix24's documented limits.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The client-side leaky bucket (2/s, burst 50).
    pub rate: RateLimit,
    /// How long one request may take (Bitrix24 cuts a request at 60 s).
    pub timeout: Duration,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// The first pause after `QUERY_LIMIT_EXCEEDED` (the refill interval plus 1 s by
    /// default), ×1.5 per attempt.
    pub rate_limit_backoff: Duration,
    /// The pause after `OPERATION_TIME_LIMIT` (at least 10 s by the reference).
    pub operation_limit_wait: Duration,
    /// The first pause after a failure that may be retried (network, 5xx), doubled per
    /// attempt.
    pub backoff: Duration,
    /// The OAuth token server.
    pub token_url: String,
    /// Hosts the operator trusts: they may be on internal addresses and plain http (the
    /// local stack's sandbox portal).
    pub allowed_hosts: Vec<String>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        let rate = RateLimit::default();
        ClientConfig {
            rate,
            timeout: Duration::from_secs(60),
            max_attempts: 4,
            rate_limit_backoff: Duration::from_secs_f64(1.0 / rate.per_second + 1.0),
            operation_limit_wait: Duration::from_secs(10),
            backoff: Duration::from_secs(1),
            token_url: TOKEN_URL.to_owned(),
            allowed_hosts: Vec::new(),
        }
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// `result`.
    pub result: Value,
    /// `next`: the `start` of the next page, when more rows remain.
    pub next: Option<u64>,
    /// `total`: the number of rows a list matched.
    pub total: Option<u64>,
}

/// A Bitrix24 REST client for one portal.
pub struct Client {
    base: RwLock<Url>,
    http: reqwest::Client,
    auth: Auth,
    bucket: LeakyBucket,
    config: ClientConfig,
}

enum Auth {
    Webhook { user_id: u64, code: String },
    OAuth(Arc<OAuth>),
}

/// An OAuth application's tokens and how to refresh them. Shared with the refresh task,
/// which runs on its own: a caller that gives up waiting (the dialog's lookup budget)
/// never cuts a refresh between the token server's rotation and the sink's storing.
struct OAuth {
    client_id: String,
    client_secret: String,
    tokens: tokio::sync::Mutex<Tokens>,
    sink: Option<Arc<dyn TokenSink>>,
    http: reqwest::Client,
    token_url: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("portal", &self.portal())
            .field("oauth", &self.is_oauth())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the portal at `portal` (`https://acme.bitrix24.ru`). The URL is
    /// checked against SSRF (`sva_kit::outbound`), and so is every address it resolves to.
    pub fn new(
        portal: &str,
        credentials: Credentials,
        config: ClientConfig,
    ) -> Result<Client, BitrixError> {
        let base = origin(&check_url(portal, &config.allowed_hosts)?);
        check_url(&config.token_url, &config.allowed_hosts)?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .dns_resolver(Arc::new(PublicOnly::new(config.allowed_hosts.clone())))
            .build()
            .map_err(|e| BitrixError::Config(e.to_string()))?;
        let auth = match credentials {
            Credentials::Webhook { user_id, code } => {
                if code.is_empty() || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(BitrixError::Config(
                        "the webhook code must be letters and digits".into(),
                    ));
                }
                Auth::Webhook { user_id, code }
            }
            Credentials::OAuth {
                client_id,
                client_secret,
                refresh_token,
                access_token,
            } => Auth::OAuth(Arc::new(OAuth {
                client_id,
                client_secret,
                tokens: tokio::sync::Mutex::new(Tokens {
                    access: access_token,
                    refresh: refresh_token,
                    generation: 0,
                }),
                sink: None,
                http: http.clone(),
                token_url: config.token_url.clone(),
            })),
        };
        Ok(Client {
            base: RwLock::new(base),
            http,
            auth,
            bucket: LeakyBucket::new(config.rate),
            config,
        })
    }

    /// Hands every rotated refresh token to `sink` (OAuth only).
    pub fn with_token_sink(mut self, sink: Arc<dyn TokenSink>) -> Client {
        if let Auth::OAuth(oauth) = &mut self.auth
            && let Some(oauth) = Arc::get_mut(oauth)
        {
            oauth.sink = Some(sink);
        }
        self
    }

    /// Whether the client uses an OAuth application (telephony methods need one).
    pub fn is_oauth(&self) -> bool {
        matches!(self.auth, Auth::OAuth(_))
    }

    /// The portal's origin (after any rename the portal announced).
    pub fn portal(&self) -> String {
        self.base
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }

    /// Calls `method` with `params` (a JSON object), retrying as `idempotency` allows.
    pub async fn call(
        &self,
        method: &str,
        params: Value,
        idempotency: Idempotency,
    ) -> Result<Reply, BitrixError> {
        if method.is_empty()
            || !method
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.')
        {
            return Err(BitrixError::Config(format!(
                "{method:?} is not a method name"
            )));
        }
        let body = match params {
            Value::Object(_) => params,
            Value::Null => json!({}),
            _ => return Err(BitrixError::Config("params must be a JSON object".into())),
        };
        self.send(method, Body::Json(body), idempotency).await
    }

    /// Runs `batch` in one request (`docs/bitrix24-rest.md` §7). A batch of reads may be
    /// [`Idempotency::Safe`]; one that writes must not be replayed blindly. The batch
    /// itself succeeding says nothing of its commands: each has its result or error in
    /// the [`BatchReply`].
    pub async fn batch(
        &self,
        batch: &Batch,
        idempotency: Idempotency,
    ) -> Result<BatchReply, BitrixError> {
        if batch.is_empty() || batch.len() > MAX_COMMANDS {
            return Err(BitrixError::Config(format!(
                "a batch carries 1..={MAX_COMMANDS} commands, not {}",
                batch.len()
            )));
        }
        let reply = self
            .send("batch", Body::Form(batch.form()), idempotency)
            .await?;
        Ok(BatchReply::from_result(batch, &reply.result))
    }

    /// Sends one request until it has an answer, retrying as `idempotency` allows.
    async fn send(
        &self,
        method: &str,
        params: Body,
        idempotency: Idempotency,
    ) -> Result<Reply, BitrixError> {
        let max = self.config.max_attempts.max(1);
        let mut attempt = 0;
        let mut refreshed = false;
        let mut renewals = 0;
        let mut moved = false;
        let mut rate_pause = self.config.rate_limit_backoff;
        let mut pause = self.config.backoff;
        loop {
            attempt += 1;
            self.bucket.acquire().await;
            let (url, body, generation) = self.request(method, &params).await?;
            let request = match body {
                Body::Json(v) => self.http.post(url).json(&v),
                Body::Form(fields) => self
                    .http
                    .post(url)
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(form_body(&fields)),
            };
            let sent = request.send().await;
            let refusal = match sent {
                Err(e) => {
                    if let Some(refused) = internal_address(&e) {
                        return Err(BitrixError::Blocked(refused));
                    }
                    // A refused connection never reached the portal: always safe to replay.
                    let reached = !e.is_connect();
                    let reason = describe(&e);
                    tracing::debug!(method, attempt, "Bitrix24 request failed: {reason}");
                    if attempt < max && (!reached || idempotency == Idempotency::Safe) {
                        tokio::time::sleep(pause).await;
                        pause = pause.saturating_mul(2);
                        continue;
                    }
                    return Err(if !reached || idempotency == Idempotency::Safe {
                        BitrixError::Exhausted {
                            method: method.into(),
                            code: "unreachable".into(),
                            attempts: attempt,
                        }
                    } else {
                        BitrixError::Ambiguous {
                            method: method.into(),
                            reason,
                        }
                    });
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let location = response
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    match response.bytes().await {
                        Err(e) => {
                            Refusal::Ambiguous(format!("the answer was cut: {}", describe(&e)))
                        }
                        Ok(bytes) if status == 200 => match success(&bytes) {
                            Some(reply) => return Ok(reply),
                            None => classify(status, &bytes, None),
                        },
                        Ok(bytes) => classify(status, &bytes, location.as_deref()),
                    }
                }
            };
            // Not the refusal itself: a redirect's Location carries the webhook code.
            tracing::debug!(
                method,
                attempt,
                refusal = refusal.kind(),
                "Bitrix24 refused"
            );
            match refusal {
                Refusal::RateLimited | Refusal::OperationLimit if attempt < max => {
                    let wait = if refusal == Refusal::RateLimited {
                        let wait = rate_pause;
                        rate_pause = rate_pause.mul_f64(1.5);
                        wait
                    } else {
                        self.config.operation_limit_wait
                    };
                    tokio::time::sleep(wait).await;
                }
                Refusal::RateLimited | Refusal::OperationLimit => {
                    return Err(BitrixError::Exhausted {
                        method: method.into(),
                        code: if refusal == Refusal::RateLimited {
                            "QUERY_LIMIT_EXCEEDED".into()
                        } else {
                            "OPERATION_TIME_LIMIT".into()
                        },
                        attempts: attempt,
                    });
                }
                Refusal::ExpiredToken if !refreshed && renewals < 3 && self.is_oauth() => {
                    // Refused before running: renew once and replay (not an attempt). A
                    // pair another process stored is tried first; only a refresh of our
                    // own counts as the one refresh.
                    if self.refresh(generation).await? == Renewal::Refreshed {
                        refreshed = true;
                    }
                    renewals += 1;
                    attempt -= 1;
                }
                Refusal::ExpiredToken => {
                    return Err(BitrixError::Auth {
                        code: "expired_token".into(),
                        description: "the access token expired again right after a refresh".into(),
                    });
                }
                Refusal::Moved(to) if !moved => {
                    // A renamed portal: check the new host like the old one, re-post there.
                    let current = self.base.read().unwrap_or_else(|e| e.into_inner()).clone();
                    let target = current
                        .join(&to)
                        .map_err(|e| BitrixError::Blocked(format!("redirect to {to:?}: {e}")))?;
                    let checked = check_url(target.as_str(), &self.config.allowed_hosts)?;
                    tracing::info!(to = %origin(&checked), "the Bitrix24 portal moved");
                    *self.base.write().unwrap_or_else(|e| e.into_inner()) = origin(&checked);
                    moved = true;
                    attempt -= 1;
                }
                Refusal::Moved(to) => {
                    let current = self.base.read().unwrap_or_else(|e| e.into_inner()).clone();
                    let shown = current
                        .join(&to)
                        .map(|u| origin(&u).to_string())
                        .unwrap_or_else(|_| "an unreadable address".into());
                    return Err(BitrixError::Blocked(format!(
                        "the portal redirected twice (to {shown})"
                    )));
                }
                Refusal::Ambiguous(reason) => {
                    if idempotency == Idempotency::Safe && attempt < max {
                        tokio::time::sleep(pause).await;
                        pause = pause.saturating_mul(2);
                    } else if idempotency == Idempotency::Safe {
                        return Err(BitrixError::Exhausted {
                            method: method.into(),
                            code: "unavailable".into(),
                            attempts: attempt,
                        });
                    } else {
                        return Err(BitrixError::Ambiguous {
                            method: method.into(),
                            reason,
                        });
                    }
                }
                // An access token a new process read from storage may have been revoked
                // since (an application reinstalled): it is refused like a wrong one.
                // Refused before running, so one refresh and a replay are safe.
                Refusal::Final { ref code, .. }
                    if !refreshed
                        && self.is_oauth()
                        && (code.eq_ignore_ascii_case("NO_AUTH_FOUND")
                            || code.eq_ignore_ascii_case("invalid_token")) =>
                {
                    self.force_refresh().await?;
                    refreshed = true;
                    attempt -= 1;
                }
                Refusal::Final {
                    status,
                    code,
                    description,
                } => {
                    return Err(if is_auth_code(&code) {
                        BitrixError::Auth { code, description }
                    } else {
                        BitrixError::Api {
                            method: method.into(),
                            status,
                            code,
                            description,
                        }
                    });
                }
            }
        }
    }

    /// The URL and body of one request, and the token generation it uses.
    async fn request(&self, method: &str, params: &Body) -> Result<(Url, Body, u64), BitrixError> {
        let base = self.base.read().unwrap_or_else(|e| e.into_inner()).clone();
        let (path, token, generation) = match &self.auth {
            Auth::Webhook { user_id, code } => (format!("rest/{user_id}/{code}/{method}"), None, 0),
            Auth::OAuth(oauth) => {
                let (access, generation) = {
                    let t = oauth.tokens.lock().await;
                    (t.access.clone(), t.generation)
                };
                let (access, generation) = match access {
                    Some(access) => (access, generation),
                    None => {
                        self.refresh(generation).await?;
                        let t = oauth.tokens.lock().await;
                        (t.access.clone().unwrap_or_default(), t.generation)
                    }
                };
                (format!("rest/{method}"), Some(access), generation)
            }
        };
        // The token travels in the body, never in a URL that a proxy might log.
        let body = match (params.clone(), token) {
            (Body::Json(mut v), Some(token)) => {
                v["auth"] = Value::String(token);
                Body::Json(v)
            }
            (Body::Form(mut fields), Some(token)) => {
                fields.push(("auth".into(), token));
                Body::Form(fields)
            }
            (body, None) => body,
        };
        let url = base
            .join(&path)
            .map_err(|e| BitrixError::Config(format!("method URL: {e}")))?;
        Ok((url, body, generation))
    }

    /// Refreshes whatever tokens are held, even if they look fresh (a stored access
    /// token the portal no longer knows).
    async fn force_refresh(&self) -> Result<(), BitrixError> {
        let Auth::OAuth(oauth) = &self.auth else {
            return Ok(());
        };
        let generation = {
            let mut t = oauth.tokens.lock().await;
            t.access = None;
            t.generation
        };
        self.refresh(generation).await.map(|_| ())
    }

    /// Renews the OAuth tokens unless another call already did since `seen`: with the
    /// pair another process stored, if it is newer and not expired, else by a refresh
    /// whose pair goes to the sink before the new access token is used.
    async fn refresh(&self, seen: u64) -> Result<Renewal, BitrixError> {
        let Auth::OAuth(oauth) = &self.auth else {
            return Ok(Renewal::Newer);
        };
        let oauth = Arc::clone(oauth);
        tokio::spawn(async move { oauth.refresh(seen).await })
            .await
            .map_err(|e| BitrixError::Config(format!("the token refresh failed: {e}")))?
    }
}

impl OAuth {
    async fn refresh(&self, seen: u64) -> Result<Renewal, BitrixError> {
        let mut tokens = self.tokens.lock().await;
        if tokens.generation != seen && tokens.access.is_some() {
            return Ok(Renewal::Newer);
        }
        if let Some(stored) = self.stored().await {
            let fresh = stored
                .expires_at
                .is_some_and(|at| at > sva_kit::unix_now() + ADOPT_MARGIN_S);
            if fresh && stored.access_token.is_some() && stored.access_token != tokens.access {
                tokens.access = stored.access_token;
                tokens.refresh = stored.refresh_token;
                tokens.generation += 1;
                return Ok(Renewal::Adopted);
            }
            // Whatever its access token, the stored refresh token is the live one.
            tokens.refresh = stored.refresh_token;
        }
        let mut answer = self.token_request(&tokens.refresh).await?;
        // `invalid_grant`: another process may have rotated the token first; the one it
        // stored is the live one (give it a moment to land).
        let mut round = 0;
        while answer.error.as_deref() == Some("invalid_grant") && round < 3 {
            if let Some(stored) = self.stored().await
                && stored.refresh_token != tokens.refresh
            {
                tokens.refresh = stored.refresh_token;
                answer = self.token_request(&tokens.refresh).await?;
                continue;
            }
            round += 1;
            if self.sink.is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200 * round)).await;
        }
        let expires_at = answer.expires.or_else(|| {
            answer
                .expires_in
                .map(|s| sva_kit::unix_now().saturating_add(s))
        });
        match (answer.access_token, answer.refresh_token) {
            (Some(access), Some(refresh)) if answer.error.is_none() => {
                if let Some(sink) = &self.sink {
                    // The old refresh token is dead now: keep trying to store the new one.
                    let pair = StoredTokens {
                        refresh_token: refresh.clone(),
                        access_token: Some(access.clone()),
                        expires_at,
                    };
                    let mut stored = Err(String::new());
                    for _ in 0..3 {
                        stored = sink.rotated(&pair).await;
                        if stored.is_ok() {
                            break;
                        }
                    }
                    if let Err(e) = stored {
                        tracing::error!(
                            "the rotated Bitrix24 refresh token could not be stored: {e}; \
                             the app will need to be authorized again after a restart"
                        );
                    }
                }
                tokens.access = Some(access);
                tokens.refresh = refresh;
                tokens.generation += 1;
                Ok(Renewal::Refreshed)
            }
            // Another process may still be storing the token it got: worth a later try,
            // and after the worker's last attempt a dead letter says what to do.
            _ if answer.error.as_deref() == Some("invalid_grant") && self.sink.is_some() => {
                Err(BitrixError::Exhausted {
                    method: "oauth/token".into(),
                    code: "invalid_grant".into(),
                    attempts: round as u32 + 1,
                })
            }
            _ => Err(BitrixError::Auth {
                code: answer.error.unwrap_or_else(|| "invalid_grant".into()),
                description: answer
                    .error_description
                    .unwrap_or_else(|| "the token server gave no tokens".into()),
            }),
        }
    }

    /// The pair the sink holds now, if it can tell.
    async fn stored(&self) -> Option<StoredTokens> {
        self.sink.as_ref()?.current().await.ok().flatten()
    }

    /// One request to the token server.
    async fn token_request(&self, refresh_token: &str) -> Result<TokenAnswer, BitrixError> {
        let mut url = Url::parse(&self.token_url)
            .map_err(|e| BitrixError::Config(format!("token URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("grant_type", "refresh_token")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", &self.client_secret)
            .append_pair("refresh_token", refresh_token);
        let unreachable = |e: reqwest::Error| BitrixError::Exhausted {
            method: "oauth/token".into(),
            code: format!("token_server_unreachable: {}", describe(&e)),
            attempts: 1,
        };
        let response = self.http.get(url).send().await.map_err(unreachable)?;
        let bytes = response.bytes().await.map_err(unreachable)?;
        serde_json::from_slice(&bytes).map_err(|_| BitrixError::Exhausted {
            method: "oauth/token".into(),
            code: "token_server_answer".into(),
            attempts: 1,
        })
    }
}

/// A request's parameters: a JSON object, or form fields in order (a batch).
#[derive(Clone)]
enum Body {
    Json(Value),
    Form(Vec<(String, String)>),
}

/// How the access token was renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Renewal {
    /// Another call of this process already had a newer one.
    Newer,
    /// The pair another process stored was taken.
    Adopted,
    /// This process refreshed.
    Refreshed,
}

/// A stored access token is taken only if it has at least this long to live.
const ADOPT_MARGIN_S: u64 = 60;

/// A success body: `{"result": …, "time": …}` with `next` and `total` on lists.
fn success(bytes: &[u8]) -> Option<Reply> {
    let mut v: Value = serde_json::from_slice(bytes).ok()?;
    let object = v.as_object_mut()?;
    if object.contains_key("error") {
        return None;
    }
    let result = object.remove("result")?;
    Some(Reply {
        result,
        next: object.get("next").and_then(Value::as_u64),
        total: object.get("total").and_then(Value::as_u64),
    })
}

/// `scheme://host[:port]/`.
fn origin(url: &Url) -> Url {
    let mut origin = url.clone();
    origin.set_path("/");
    origin.set_query(None);
    origin.set_fragment(None);
    origin
}

/// The resolver's refusal of an internal address, if that is why the request failed.
fn internal_address(e: &reqwest::Error) -> Option<String> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<crate::resolve::InternalAddress>() {
            return Some(refused.to_string());
        }
        source = s.source();
    }
    None
}

/// A reqwest error without its URL (which holds the webhook code).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection refused or unreachable"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut"
    } else if e.is_request() {
        "the request failed"
    } else {
        "transport error"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}
