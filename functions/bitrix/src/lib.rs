//! A Bitrix24 REST client for the CRM step.
//!
//! [`Client::call`] sends one method to one portal, the way `docs/bitrix24-rest.md`
//! says a careful client must:
//!
//! * **Authentication** ([`Credentials`]): an incoming webhook
//!   (`/rest/{user_id}/{code}/{method}`) or an OAuth local application (`/rest/{method}`
//!   with `auth=`). On `401 expired_token` the access token is renewed — with the pair
//!   another process stored if it is newer, else by one refresh that concurrent calls
//!   share — and the rotated pair is handed to a [`TokenSink`] so it is persisted, with
//!   the access token's expiry, before it is needed again.
//! * **Batches** ([`Batch`]): up to 50 methods in one request, commands encoded as PHP
//!   reads them, later ones referring to earlier results.
//! * **Rate** ([`limit::LeakyBucket`]): a client-side leaky bucket per portal (2 requests/s,
//!   burst 50 by default), so the portal's own bucket rarely answers
//!   `QUERY_LIMIT_EXCEEDED`; when it does, the call backs off ×1.5 per attempt and retries.
//! * **Retries only where they are safe** ([`Idempotency`]): a request refused before it
//!   ran (`QUERY_LIMIT_EXCEEDED`, `OPERATION_TIME_LIMIT`, `expired_token`, a refused
//!   connection) is always replayed; an ambiguous failure (timeout, dropped connection,
//!   5xx, an HTML body) is replayed only for reads and fixed-value updates. An `add`
//!   answered ambiguously comes back as [`BitrixError::Ambiguous`], for the caller to
//!   reconcile (`ORIGIN_ID`, `EXTERNAL_CALL_ID`) before it tries again.
//! * **Errors typed by code** ([`BitrixError`]), including the empty code legacy `crm.*`
//!   methods use for "Not found" and validation.
//! * **SSRF**: the portal URL is checked when the client is made, every name is resolved
//!   by [`resolve::PublicOnly`], which refuses private, loopback, link-local and
//!   metadata addresses (the connection goes to the checked address), and redirects are
//!   not followed: a `302` from a renamed portal is checked and re-posted by hand.

pub mod auth;
pub mod batch;
pub mod client;
pub mod error;
pub mod limit;
pub mod resolve;

pub use auth::{Credentials, StoredTokens, TokenSink};
pub use batch::{Batch, BatchReply};
pub use client::{Client, ClientConfig, Idempotency, Reply};
pub use error::BitrixError;
pub use limit::RateLimit;
