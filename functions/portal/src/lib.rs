//! A Bitrix24-compatible sandbox portal.
//!
//! [`Portal`] is an in-process HTTP server (axum) that answers the REST methods our Bitrix24
//! client and CRM step use the way a real portal does (`docs/bitrix24-rest.md`):
//!
//! * **Routes**: `/rest/{user_id}/{code}/{method}[.json][/]` (incoming webhook) and
//!   `/rest/{method}` with `auth=<access_token>` (OAuth app); `/oauth/token/` (refresh with
//!   rotation); `/_sandbox/…` (state, faults, and a page in Russian for people).
//! * **Encodings**: JSON bodies, form bodies and query strings with PHP bracket rules
//!   (the `params` module), merged; method names are case-insensitive.
//! * **Shapes**: ids from `add` as integers, records from `get`/`list` as strings, `[]` for
//!   empty maps, `time` on success only, `next`/`total` on lists, empty-code 400 errors for
//!   legacy CRM validation.
//! * **Limits and faults**: a leaky bucket answering 503 `QUERY_LIMIT_EXCEEDED`, expiring
//!   OAuth tokens, and a fault switch ([`Faults`]) for 503 HTML pages, 500s after the write,
//!   hung responses, dropped connections and per-request latency.
//! * **At least as strict as Bitrix24** (`docs/bitrix24-rest.md` §10): unknown fields and
//!   custom-field values of the wrong type are ignored as a real portal ignores them;
//!   currencies, statuses, sources, pipelines, stages and users are checked against the
//!   portal's lists (dismissed users included); `findbycomm` compares numbers as written;
//!   a finished call cannot be finished again; `attachRecord` downloads the recording.
//!   Every rule cites the doc page it comes from.
//! * **Applications**: the install callback a portal posts to an application's handler
//!   ([`Portal::install_to`]), events with their `application_token`
//!   ([`Portal::send_event`]), `app.info`, `event.bind`.
//! * **Robots** (`bizproc.robot.*`, `bizproc.event.send`): a manager puts the
//!   application's robot on a stage ([`Portal::put_robot_on_stage`]); a record moved
//!   there ([`Portal::move_to_stage`]) makes the portal post the run to the robot's
//!   handler as Bitrix24 does, and the application's answer is kept
//!   ([`Portal::robot_answer`]).

mod batch;
mod bizproc;
mod clock;
mod crm;
mod ctx;
mod directory;
mod error;
mod faults;
mod fields;
mod limit;
mod list;
mod methods;
mod net;
mod oauth;
mod page;
mod params;
mod phone;
mod reference;
mod server;
mod store;
mod telephony;
mod timeline;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

pub use directory::UserFieldType;
pub use error::PortalError;
pub use faults::{Fault, Faults};
pub use limit::RateLimit;
pub use store::Kind as Entity;

use limit::LeakyBucket;
use store::{Kind, Store};

/// How a sandbox portal behaves.
#[derive(Clone)]
pub struct PortalConfig {
    /// The user an incoming webhook acts as (default 1).
    pub webhook_user_id: u64,
    /// The webhook's secret code (default: 16 random hex characters).
    pub webhook_code: String,
    /// The OAuth application's client id.
    pub client_id: String,
    /// The OAuth application's client secret (default: random).
    pub client_secret: String,
    /// How long an access token lives (default 3600 s).
    pub access_token_ttl: Duration,
    /// The portal's leaky bucket (default 2/s, burst 50).
    pub rate: RateLimit,
    /// How long a [`Fault::Hang`] holds the response (default 30 s).
    pub hang: Duration,
    /// When set: the state is loaded from this file at start and saved (temporary file and
    /// rename) after each write.
    pub state_file: Option<PathBuf>,
    /// The simple CRM mode (no leads: `crm.settings.mode.get` answers 2). The sandbox
    /// does not convert leads itself; it only tells a client which mode it is in.
    pub simple_crm: bool,
    /// How long `attachRecord` waits for a recording it downloads (default 10 s).
    pub record_fetch_timeout: Duration,
}

impl fmt::Debug for PortalConfig {
    /// Secrets (the webhook code, the client secret) are not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalConfig")
            .field("webhook_user_id", &self.webhook_user_id)
            .field("webhook_code", &"<redacted>")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("access_token_ttl", &self.access_token_ttl)
            .field("rate", &self.rate)
            .field("hang", &self.hang)
            .field("state_file", &self.state_file)
            .field("simple_crm", &self.simple_crm)
            .finish_non_exhaustive()
    }
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            webhook_user_id: 1,
            webhook_code: random_hex(8),
            client_id: "local.sva0000000000000.00000000".into(),
            client_secret: random_hex(25),
            access_token_ttl: Duration::from_secs(3600),
            rate: RateLimit::default(),
            hang: Duration::from_secs(30),
            state_file: None,
            simple_crm: false,
            record_fetch_timeout: Duration::from_secs(10),
        }
    }
}

/// `n` random bytes as hex (from the OS; a time-seeded fallback if that fails).
pub(crate) fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    if getrandom::fill(&mut buf).is_err() {
        let mut x = clock::now().to_bits() ^ u64::from(std::process::id());
        for b in &mut buf {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            *b = (z ^ (z >> 31)) as u8;
        }
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the portal has counted since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PortalStats {
    /// `/rest/` requests received.
    pub requests: u64,
    /// Requests refused by the leaky bucket.
    pub rate_limited: u64,
    /// Requests a fault was injected into.
    pub faults_injected: u64,
    /// Method executions (a batch and each of its commands count).
    pub executed: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub rate_limited: AtomicU64,
    pub faults_injected: AtomicU64,
    pub executed: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The shared state behind a [`Portal`].
pub(crate) struct Inner {
    pub config: PortalConfig,
    store: Mutex<Store>,
    pub bucket: Mutex<LeakyBucket>,
    pub faults: Faults,
    pub counters: Counters,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the store.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        f(&self.lock())
    }

    /// Changes the store; on success the state file (if any) is saved.
    pub(crate) fn write<T, E>(&self, f: impl FnOnce(&mut Store) -> Result<T, E>) -> Result<T, E> {
        let mut store = self.lock();
        let out = f(&mut store)?;
        if let Some(path) = &self.config.state_file
            && let Err(e) = store::save(path, &store)
        {
            tracing::warn!(error = %e, "the sandbox portal could not save its state file");
        }
        Ok(out)
    }

    /// Changes the store with a change that cannot fail.
    pub(crate) fn update<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        match self.write(|s| Ok::<T, std::convert::Infallible>(f(s))) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }
}

/// The sandbox portal: cheap to clone, the state is shared.
#[derive(Clone)]
pub struct Portal {
    inner: Arc<Inner>,
}

impl fmt::Debug for Portal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Portal")
            .field("config", &self.inner.config)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Portal {
    /// A portal with `config`; reads the state file if one is configured and present.
    pub fn new(config: PortalConfig) -> Result<Portal, PortalError> {
        let mut store = match &config.state_file {
            Some(path) => store::load(path)?.unwrap_or_default(),
            None => Store::default(),
        };
        if store.member_id.is_empty() {
            store.member_id = random_hex(16);
        }
        Ok(Portal {
            inner: Arc::new(Inner {
                bucket: Mutex::new(LeakyBucket::new(config.rate)),
                config,
                store: Mutex::new(store),
                faults: Faults::default(),
                counters: Counters::default(),
            }),
        })
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The routes, to mount at the root of a server: `/rest/…`, `/oauth/token/`, `/_sandbox/…`.
    ///
    /// Mounted in a server of your own, [`Fault::DropAfterWrite`] cannot reach the connection
    /// and holds the response for `hang` instead; [`Portal::start`] and [`Portal::serve`] drop it.
    pub fn router(&self) -> axum::Router {
        server::router(self.clone())
    }

    /// Makes a portal, binds `127.0.0.1:0` and serves it in a tokio task; the server stops
    /// when the returned handle is dropped.
    pub async fn start(config: PortalConfig) -> Result<RunningPortal, PortalError> {
        Portal::new(config)?
            .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
    }

    /// Serves this portal on `addr` (port 0: any free port) until the handle is dropped.
    pub async fn serve(&self, addr: SocketAddr) -> Result<RunningPortal, PortalError> {
        let server = net::Server::start(self.clone(), addr).await?;
        Ok(RunningPortal {
            portal: self.clone(),
            server,
        })
    }

    /// The configuration (webhook code, client id and secret…).
    pub fn config(&self) -> &PortalConfig {
        &self.inner.config
    }

    /// Marks every issued access token as expired: the next REST call with one gets
    /// 401 `expired_token`.
    pub fn expire_access_tokens(&self) {
        self.inner.update(|s| {
            for token in s.tokens.access.values_mut() {
                token.expires = 0.0;
            }
        });
    }

    /// Issues a fresh token pair, as the application install callback would:
    /// `(access_token, refresh_token)`.
    pub fn install_app(&self) -> (String, String) {
        let ttl = self.inner.config.access_token_ttl;
        self.inner.update(|s| {
            let pair = oauth::issue_pair(s, 1, ttl);
            s.application_token.get_or_insert_with(|| random_hex(16));
            (pair.access, pair.refresh)
        })
    }

    /// Installs the application the way Bitrix24 does when a portal administrator saves
    /// a local application whose install path is `handler`: it posts the `ONAPPINSTALL`
    /// payload (`api-reference/common/events/on-app-install`), form-encoded with PHP
    /// brackets (`settings/app-installation/local-apps/installation-callback`), with a
    /// fresh token pair and the application token every later event carries. `portal_url`
    /// is the portal's address as the handler knows it (`auth[domain]`,
    /// `auth[client_endpoint]`). Returns the handler's HTTP status and body.
    pub async fn install_to(
        &self,
        portal_url: &str,
        handler: &str,
    ) -> Result<(u16, String), PortalError> {
        let (access, refresh) = self.install_app();
        // The application's address: robots' handlers must be on its host.
        self.inner
            .update(|s| s.app_handler = Some(handler.to_owned()));
        let ttl = self.inner.config.access_token_ttl.as_secs();
        let mut fields = self.event_auth(portal_url);
        fields.extend([
            ("auth[access_token]".to_owned(), access),
            ("auth[refresh_token]".to_owned(), refresh),
            ("auth[expires_in]".to_owned(), ttl.to_string()),
            (
                "auth[expires]".to_owned(),
                (clock::unix_now() + ttl as i64).to_string(),
            ),
            ("auth[scope]".to_owned(), SCOPE.to_owned()),
            ("auth[user_id]".to_owned(), "1".to_owned()),
        ]);
        let mut body = vec![
            ("event".to_owned(), "ONAPPINSTALL".to_owned()),
            ("data[VERSION]".to_owned(), "1".to_owned()),
            ("data[ACTIVE]".to_owned(), "Y".to_owned()),
            ("data[INSTALLED]".to_owned(), "Y".to_owned()),
            ("data[LANGUAGE_ID]".to_owned(), "ru".to_owned()),
            ("ts".to_owned(), clock::unix_now().to_string()),
        ];
        body.extend(fields);
        post_form(handler, &body).await
    }

    /// Sends event `event` with `data` (flat `key → value` pairs under `data[…]`) to
    /// `handler`, as the portal's queue does: form-encoded, with `auth[application_token]`
    /// and the portal's identity but no tokens (`api-reference/events/index`).
    pub async fn send_event(
        &self,
        portal_url: &str,
        handler: &str,
        event: &str,
        data: &[(&str, &str)],
    ) -> Result<(u16, String), PortalError> {
        let mut body = vec![
            ("event".to_owned(), event.to_owned()),
            ("event_handler_id".to_owned(), "1".to_owned()),
            ("ts".to_owned(), clock::unix_now().to_string()),
        ];
        body.extend(
            data.iter()
                .map(|(k, v)| (format!("data[{k}]"), (*v).to_owned())),
        );
        body.extend(self.event_auth(portal_url));
        post_form(handler, &body).await
    }

    /// The `auth[…]` members every event carries, without tokens.
    fn event_auth(&self, portal_url: &str) -> Vec<(String, String)> {
        let base = portal_url.trim_end_matches('/');
        let domain = base
            .split_once("://")
            .map_or(base, |(_, rest)| rest)
            .to_owned();
        let (member_id, token) = self.inner.read(|s| {
            (
                s.member_id.clone(),
                s.application_token.clone().unwrap_or_default(),
            )
        });
        vec![
            ("auth[domain]".to_owned(), domain),
            ("auth[client_endpoint]".to_owned(), format!("{base}/rest/")),
            (
                "auth[server_endpoint]".to_owned(),
                format!("{base}/oauth/rest/"),
            ),
            ("auth[member_id]".to_owned(), member_id),
            ("auth[status]".to_owned(), "L".to_owned()),
            ("auth[application_token]".to_owned(), token),
        ]
    }

    /// The application token events carry, once the application is installed.
    pub fn application_token(&self) -> Option<String> {
        self.inner.read(|s| s.application_token.clone())
    }

    /// The portal's `member_id`.
    pub fn member_id(&self) -> String {
        self.inner.read(|s| s.member_id.clone())
    }

    /// The handlers bound with `event.bind`: (event, URL).
    pub fn bound_events(&self) -> Vec<(String, String)> {
        self.inner.read(|s| s.handlers.clone())
    }

    /// Defines (or redefines) a custom field of `entity`, as an administrator does in
    /// *CRM → Настройки → Пользовательские поля*; `options` are an enumeration's values.
    /// Returns its id.
    pub fn add_user_field(
        &self,
        entity: Entity,
        name: &str,
        ty: UserFieldType,
        multiple: bool,
        options: &[&str],
    ) -> u64 {
        self.inner.update(|s| {
            s.directory
                .add_user_field(entity, name, ty, multiple, options)
        })
    }

    /// Deletes a custom field of `entity`; its values are gone from every record.
    pub fn remove_user_field(&self, entity: Entity, name: &str) -> bool {
        self.inner.update(|s| {
            let before = s.directory.user_fields.len();
            s.directory
                .user_fields
                .retain(|f| !(f.kind == entity && f.name == name));
            before != s.directory.user_fields.len()
        })
    }

    /// An enumeration field's options: (`ID`, `VALUE`).
    pub fn user_field_options(&self, entity: Entity, name: &str) -> Vec<(u64, String)> {
        self.inner.read(|s| {
            s.directory
                .user_field(entity, name)
                .map(|f| f.options.clone())
                .unwrap_or_default()
        })
    }

    /// Adds an active user; returns the id.
    pub fn add_user(&self, name: &str) -> u64 {
        self.inner.update(|s| {
            let id = s.directory.users.keys().max().map_or(1, |m| m + 1);
            s.directory.users.insert(
                id,
                directory::User {
                    name: name.into(),
                    active: true,
                },
            );
            id
        })
    }

    /// Dismisses a user (or takes one back): a dismissed user keeps their records but
    /// nothing new can be assigned to them.
    pub fn set_user_active(&self, id: u64, active: bool) {
        self.inner.update(|s| {
            if let Some(u) = s.directory.users.get_mut(&id) {
                u.active = active;
            }
        });
    }

    /// Adds a deal pipeline with the default stages (`C{id}:NEW`, …); returns its id.
    pub fn add_deal_category(&self, name: &str) -> u64 {
        self.inner.update(|s| s.directory.add_category(name))
    }

    /// Adds a currency.
    pub fn add_currency(&self, code: &str) {
        self.inner.update(|s| {
            if !s.directory.currencies.iter().any(|c| c == code) {
                s.directory.currencies.push(code.into());
            }
        });
    }

    /// An authorization code (valid 30 s) for `grant_type=authorization_code`.
    pub fn authorization_code(&self) -> String {
        self.inner.update(|s| oauth::issue_code(s, 1))
    }

    /// The fault switch.
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// Seeds a contact as a manager would have created it in the UI (no validation);
    /// returns its id.
    pub fn seed_contact(&self, fields: Value) -> u64 {
        crm::seed(self.inner(), Kind::Contact, &fields)
    }

    /// Seeds a lead as a manager would have created it in the UI; returns its id.
    pub fn seed_lead(&self, fields: Value) -> u64 {
        crm::seed(self.inner(), Kind::Lead, &fields)
    }

    /// Seeds a company as a manager would have created it in the UI; returns its id.
    pub fn seed_company(&self, fields: Value) -> u64 {
        crm::seed(self.inner(), Kind::Company, &fields)
    }

    /// Seeds a deal as a manager would have created it in the UI; returns its id.
    pub fn seed_deal(&self, fields: Value) -> u64 {
        crm::seed(self.inner(), Kind::Deal, &fields)
    }

    fn records(&self, kind: Kind) -> Vec<Value> {
        self.inner.read(|s| {
            s.table(kind)
                .rows
                .values()
                .map(|r| Value::Object(fields::render(kind, r, &s.directory, true)))
                .collect()
        })
    }

    /// Companies in the `crm.company.get` string form.
    pub fn companies(&self) -> Vec<Value> {
        self.records(Kind::Company)
    }

    /// Leads in the `crm.lead.get` string form (multifields and `CONTACT_IDS` included).
    pub fn leads(&self) -> Vec<Value> {
        self.records(Kind::Lead)
    }

    /// Contacts in the `crm.contact.get` string form.
    pub fn contacts(&self) -> Vec<Value> {
        self.records(Kind::Contact)
    }

    /// Deals in the `crm.deal.get` string form (plus `CONTACT_IDS`).
    pub fn deals(&self) -> Vec<Value> {
        self.records(Kind::Deal)
    }

    /// Timeline comments in the `crm.timeline.comment.list` form.
    pub fn comments(&self) -> Vec<Value> {
        self.inner
            .read(|s| s.comments.iter().cloned().map(Value::Object).collect())
    }

    /// Activities (to-dos and calls) in the `crm.activity.list` form, `COMMUNICATIONS` included.
    pub fn activities(&self) -> Vec<Value> {
        self.inner
            .read(|s| s.activities.iter().cloned().map(Value::Object).collect())
    }

    /// External calls: registration, finish data, recording and transcripts.
    pub fn calls(&self) -> Vec<Value> {
        self.inner
            .read(|s| s.calls.iter().map(telephony::snapshot).collect())
    }

    /// Everything, as `GET /_sandbox/state` shows it.
    pub fn state(&self) -> Value {
        serde_json::json!({
            "leads": self.leads(),
            "contacts": self.contacts(),
            "deals": self.deals(),
            "companies": self.companies(),
            "comments": self.comments(),
            "activities": self.activities(),
            "calls": self.calls(),
            "stats": self.stats(),
        })
    }

    /// The counters.
    pub fn stats(&self) -> PortalStats {
        let c = &self.inner.counters;
        PortalStats {
            requests: c.requests.load(Ordering::Relaxed),
            rate_limited: c.rate_limited.load(Ordering::Relaxed),
            faults_injected: c.faults_injected.load(Ordering::Relaxed),
            executed: c.executed.load(Ordering::Relaxed),
        }
    }
}

/// The scopes the sandbox's application is installed with.
const SCOPE: &str = "crm,telephony,user,bizproc";

/// A robot run the portal delivered to the robot's handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RobotDelivery {
    /// The robot's code.
    pub code: String,
    /// The run's `event_token`.
    pub event_token: String,
    /// The handler's HTTP status.
    pub status: u16,
    /// The handler's body.
    pub body: String,
}

impl Portal {
    /// An access token for `user_id` (a user who opened the application, say): how a test
    /// calls as a user who is not the administrator.
    pub fn access_token_for(&self, user_id: u64) -> String {
        let ttl = self.inner.config.access_token_ttl;
        self.inner
            .update(|s| oauth::issue_pair(s, user_id, ttl).access)
    }

    /// The robots the application registered, as `bizproc.robot.add` took them.
    pub fn robots(&self) -> Vec<Value> {
        self.inner.read(|s| {
            s.robots
                .values()
                .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
                .collect()
        })
    }

    /// Puts robot `code` on stage `stage` of leads or deals with the property values a
    /// manager sets in the automation settings («Роботы» of the stage). `timeout` is how
    /// long the robot waits for the application (`None`: as long as it takes). The values
    /// are checked as the form checks them: required ones set, a list value among its
    /// options, no property the robot lacks; the robot's `DOCUMENT_TYPE` and `FILTER`
    /// must allow the entity.
    pub fn put_robot_on_stage(
        &self,
        entity: Entity,
        stage: &str,
        code: &str,
        values: &[(&str, &str)],
        timeout: Option<Duration>,
    ) -> Result<(), PortalError> {
        if !matches!(entity, Entity::Lead | Entity::Deal) {
            return Err(PortalError::Robot(
                "only leads and deals have stages".into(),
            ));
        }
        let values: std::collections::BTreeMap<String, String> = values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.inner.write(|s| {
            let robot = s
                .robots
                .get(code)
                .ok_or_else(|| PortalError::Robot(format!("no robot {code}")))?;
            if !bizproc::allowed_on(robot, entity) {
                return Err(PortalError::Robot(format!(
                    "robot {code} is not offered on {}",
                    entity.upper()
                )));
            }
            bizproc::check_values(robot, &values).map_err(PortalError::Robot)?;
            if !stage_exists(&s.directory, entity, stage) {
                return Err(PortalError::Robot(format!("no stage {stage}")));
            }
            s.placements.push(bizproc::Placement {
                kind: entity,
                stage: stage.to_owned(),
                code: code.to_owned(),
                properties: values,
                timeout_duration: timeout.map_or(0, |t| t.as_secs()),
            });
            Ok(())
        })
    }

    /// Moves lead or deal `id` to `stage`, as a manager dragging it in the kanban, and
    /// runs the robots put on that stage: each run is posted to the robot's handler the
    /// way Bitrix24's queue posts it (form-encoded; see `bizproc.rs` for the fields and
    /// their source), with a fresh `event_token` and a token of the robot's
    /// `AUTH_USER_ID`. `portal_url` is the portal's address as the handler knows it.
    pub async fn move_to_stage(
        &self,
        portal_url: &str,
        entity: Entity,
        id: u64,
        stage: &str,
    ) -> Result<Vec<RobotDelivery>, PortalError> {
        let field = match entity {
            Entity::Lead => "STATUS_ID",
            Entity::Deal => "STAGE_ID",
            _ => {
                return Err(PortalError::Robot(
                    "only leads and deals have stages".into(),
                ));
            }
        };
        let ttl = self.inner.config.access_token_ttl;
        let runs = self.inner.write(|s| {
            if !stage_exists(&s.directory, entity, stage) {
                return Err(PortalError::Robot(format!("no stage {stage}")));
            }
            let record = s
                .table_mut(entity)
                .rows
                .get_mut(&id)
                .ok_or_else(|| PortalError::Robot(format!("no {} {id}", entity.upper())))?;
            record
                .fields
                .insert(field.to_owned(), Value::String(stage.to_owned()));
            record.modified = clock::unix_now();
            let placements: Vec<bizproc::Placement> = s
                .placements
                .iter()
                .filter(|p| p.kind == entity && p.stage == stage)
                .cloned()
                .collect();
            let mut runs = Vec::new();
            for placement in placements {
                let Some(robot) = s.robots.get(&placement.code).cloned() else {
                    continue;
                };
                let token = format!(
                    "{}.{}|A{}|{}",
                    random_hex(7),
                    &random_hex(4),
                    random_hex(6),
                    random_hex(32)
                );
                let pair = oauth::issue_pair(s, robot.auth_user_id, ttl);
                let now = clock::unix_now();
                s.robot_runs.push(bizproc::Run {
                    event_token: token.clone(),
                    code: robot.code.clone(),
                    document: (entity, id),
                    ts: now,
                    timeout_duration: placement.timeout_duration,
                    answer: None,
                });
                runs.push((robot, placement, token, pair, now));
            }
            Ok(runs)
        })?;
        let mut out = Vec::new();
        for (robot, placement, token, pair, now) in runs {
            let (document_type, document_id) = bizproc::document(entity, id);
            let mut body = vec![
                (
                    "workflow_id".to_owned(),
                    format!("{}.{}", random_hex(7), random_hex(4)),
                ),
                ("code".to_owned(), robot.code.clone()),
            ];
            for (i, part) in document_id.iter().enumerate() {
                body.push((format!("document_id[{i}]"), part.clone()));
            }
            for (i, part) in document_type.iter().enumerate() {
                body.push((format!("document_type[{i}]"), part.clone()));
            }
            body.push(("event_token".to_owned(), token.clone()));
            for (key, value) in bizproc::run_values(&robot, &placement.properties) {
                body.push((format!("properties[{key}]"), value));
            }
            body.extend([
                (
                    "use_subscription".to_owned(),
                    if robot.use_subscription { "Y" } else { "N" }.to_owned(),
                ),
                (
                    "timeout_duration".to_owned(),
                    placement.timeout_duration.to_string(),
                ),
                ("ts".to_owned(), now.to_string()),
                ("auth[access_token]".to_owned(), pair.access),
                (
                    "auth[expires]".to_owned(),
                    (now + ttl.as_secs() as i64).to_string(),
                ),
                ("auth[expires_in]".to_owned(), ttl.as_secs().to_string()),
                ("auth[scope]".to_owned(), SCOPE.to_owned()),
                ("auth[user_id]".to_owned(), robot.auth_user_id.to_string()),
                ("auth[refresh_token]".to_owned(), pair.refresh),
            ]);
            body.extend(self.event_auth(portal_url));
            let (status, text) = post_form(&robot.handler, &body).await?;
            out.push(RobotDelivery {
                code: robot.code,
                event_token: token,
                status,
                body: text,
            });
        }
        Ok(out)
    }

    /// What the application answered a robot run with `bizproc.event.send`:
    /// `{"return_values", "log_message", "user_id", "at"}`; `None` while it has not.
    pub fn robot_answer(&self, event_token: &str) -> Option<Value> {
        self.inner.read(|s| {
            s.robot_runs
                .iter()
                .find(|r| r.event_token == event_token)
                .and_then(|r| r.answer.clone())
        })
    }
}

/// Whether `stage` is a lead status, or a stage of some deal pipeline.
fn stage_exists(dir: &directory::Directory, entity: Entity, stage: &str) -> bool {
    match entity {
        Entity::Lead => dir.has_status("STATUS", stage),
        _ => dir
            .statuses
            .iter()
            .any(|s| s.entity_id.starts_with("DEAL_STAGE") && s.status_id == stage),
    }
}

/// A portal being served; dropping it stops the server and closes its connections.
pub struct RunningPortal {
    portal: Portal,
    server: net::Server,
}

impl fmt::Debug for RunningPortal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningPortal")
            .field("url", &self.url())
            .finish()
    }
}

impl RunningPortal {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The portal.
    pub fn portal(&self) -> &Portal {
        &self.portal
    }

    /// The incoming webhook URL: `{url}/rest/{user_id}/{code}/`.
    pub fn webhook_url(&self) -> String {
        let c = self.portal.config();
        format!(
            "{}/rest/{}/{}/",
            self.url(),
            c.webhook_user_id,
            c.webhook_code
        )
    }
}

impl std::ops::Deref for RunningPortal {
    type Target = Portal;

    fn deref(&self) -> &Portal {
        &self.portal
    }
}

/// Posts `fields` form-encoded (`application/x-www-form-urlencoded`, PHP brackets kept in
/// the names) to `url`: how Bitrix24 delivers install callbacks and events.
async fn post_form(url: &str, fields: &[(String, String)]) -> Result<(u16, String), PortalError> {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let sent = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| PortalError::Deliver(e.to_string()))?;
    let status = sent.status().as_u16();
    let text = sent
        .text()
        .await
        .map_err(|e| PortalError::Deliver(e.to_string()))?;
    Ok((status, text))
}

/// Percent-encodes a form component (everything but unreserved characters).
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
