//! The robot «Позвонить клиенту»: a sales manager puts it on a stage of leads or deals,
//! and a record reaching the stage makes the assistant call the customer
//! (`docs/bitrix24.md` «Робот «Позвонить клиенту»»).
//!
//! * [`register`] registers it with `bizproc.robot.add` (or updates it with
//!   `bizproc.robot.update` when the application has it already), `USE_SUBSCRIPTION=Y`:
//!   the business process waits for the call's result.
//! * `POST /v1/crm/robot/{tenant}` ([`ROBOT_PATH`]) is its handler. The portal posts a
//!   run there form-encoded (`workflow_id`, `code`, `document_id[…]`, `document_type[…]`,
//!   `event_token`, `properties[…]`, `use_subscription`, `timeout_duration`, `ts`,
//!   `auth[…]`; `github:bitrix24/b24phpsdk`
//!   `src/Services/Workflows/Robot/Request/IncomingRobotRequest.php`). The run must carry
//!   the application token of the install, as events do (else 401). The handler reads the
//!   number of the lead, deal (its contact, else its company), contact or company the run
//!   is on, checks it, and queues the call through a [`CallStarter`] with the run's
//!   `event_token` and document in `custom_data`. A run it cannot start a call for (no
//!   number, an invalid one, a number on the do-not-call list, no way to start calls) is
//!   answered at once with `bizproc.event.send` (`outcome` = `refused`), so the business
//!   process does not hang.
//! * The second robot, «Не звонить клиенту» ([`DO_NOT_CALL_CODE`]), is registered beside
//!   it and posts to the same handler: every Russian number of the record (a lead's or
//!   deal's contact and company too) goes on the tenant's do-not-call list (source
//!   `bitrix`, by the portal's user), and the run is answered at once (`added`).
//! * When the call ends, the CRM step ([`crate::step`]) writes it onto that lead or deal
//!   and answers the run with `bizproc.event.send`: the outcome, a summary and the call id.
//!
//! Sources: `api-reference/bizproc/bizproc-robot/index`, `…/bizproc-robot-add`,
//! `…/bizproc-robot-update`, `…/bizproc-robot-list`, `…/bizproc-event-send`
//! (`github:bitrix24/b24restdocs`).

use crate::connect::{Connection, Connections};
use crate::install::{InstallError, Posted, check_application_token};
use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use sva_bitrix::{BitrixError, Client, Idempotency};
use sva_kit::storage::DynStore;

/// The robot's code (`CODE`): unique within the application.
pub const ROBOT_CODE: &str = "sva_call_client";

/// The code of the second robot, «Не звонить клиенту»: puts the record's numbers on the
/// tenant's do-not-call list.
pub const DO_NOT_CALL_CODE: &str = "sva_do_not_call";

/// The handler's path, by tenant (both robots).
pub const ROBOT_PATH: &str = "/v1/crm/robot/{tenant}";

/// The `custom_data` key of the run's `event_token`.
pub const EVENT_TOKEN_KEY: &str = "event_token";

/// The `custom_data` key of the document the run is on (`DEAL_12`, `LEAD_5`).
pub const DOCUMENT_KEY: &str = "document";

/// The `outcome` a refused run is answered with.
pub const REFUSED: &str = "refused";

/// The handler's address for a tenant, under `base` (the CRM function's URL).
pub fn robot_url(base: &str, tenant: &str) -> String {
    format!("{}/v1/crm/robot/{tenant}", base.trim_end_matches('/'))
}

/// The robot as `bizproc.robot.add` takes it, its handler at `handler`.
pub fn definition(handler: &str) -> Value {
    let outcomes: Map<String, Value> = sva_abi::Outcome::ALL
        .iter()
        .map(|o| {
            (
                o.as_str().to_owned(),
                Value::String(crate::fields::outcome_title(*o).to_owned()),
            )
        })
        .chain([(REFUSED.to_owned(), json!("звонок не начат"))])
        .collect();
    json!({
        "CODE": ROBOT_CODE,
        "HANDLER": handler,
        "USE_SUBSCRIPTION": "Y",
        "NAME": {"ru": "Позвонить клиенту", "en": "Call the customer"},
        "DESCRIPTION": {
            "ru": "Голосовой ассистент звонит клиенту по номеру из карточки и возвращает итог разговора",
            "en": "The voice assistant calls the customer and returns the outcome",
        },
        "PROPERTIES": {
            "phone_type": {
                "Name": {"ru": "Какой номер набрать", "en": "Which number"},
                "Type": "select",
                "Options": {
                    "any": "Первый номер в карточке",
                    "MOBILE": "Мобильный",
                    "WORK": "Рабочий",
                    "HOME": "Домашний",
                },
                "Default": "any",
                "Required": "N",
                "Multiple": "N",
            },
            "campaign": {
                "Name": {"ru": "Кампания (необязательно)", "en": "Campaign (optional)"},
                "Description": {"ru": "Код кампании обзвона, если звонок из неё", "en": "The campaign id"},
                "Type": "string",
                "Required": "N",
                "Multiple": "N",
            },
        },
        "RETURN_PROPERTIES": {
            "outcome": {
                "Name": {"ru": "Итог звонка", "en": "Outcome"},
                "Type": "select",
                "Options": outcomes,
            },
            "summary": {
                "Name": {"ru": "Кратко о разговоре", "en": "Summary"},
                "Type": "text",
            },
            "call_id": {
                "Name": {"ru": "ID звонка", "en": "Call id"},
                "Type": "string",
            },
        },
        "FILTER": {"INCLUDE": [["crm", "CCrmDocumentLead"], ["crm", "CCrmDocumentDeal"]]},
    })
}

/// The robot «Не звонить клиенту» as `bizproc.robot.add` takes it, its handler at
/// `handler` (the same as «Позвонить клиенту»'s): the record's numbers go on the
/// do-not-call list and the run is answered at once with how many.
pub fn do_not_call_definition(handler: &str) -> Value {
    json!({
        "CODE": DO_NOT_CALL_CODE,
        "HANDLER": handler,
        "USE_SUBSCRIPTION": "Y",
        "NAME": {"ru": "Не звонить клиенту", "en": "Do not call the customer"},
        "DESCRIPTION": {
            "ru": "Номера из карточки попадают в список «не звонить»: ассистент их больше не наберёт",
            "en": "The record's numbers go on the do-not-call list",
        },
        "PROPERTIES": {
            "reason": {
                "Name": {"ru": "Причина (необязательно)", "en": "Reason (optional)"},
                "Type": "string",
                "Required": "N",
                "Multiple": "N",
            },
        },
        "RETURN_PROPERTIES": {
            "added": {
                "Name": {"ru": "Номеров добавлено", "en": "Numbers added"},
                "Type": "int",
            },
        },
        "FILTER": {"INCLUDE": [["crm", "CCrmDocumentLead"], ["crm", "CCrmDocumentDeal"]]},
    })
}

/// What [`register`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// The robot was added.
    Added,
    /// The application had it: its settings were brought up to date.
    Updated,
}

/// Registers the robots «Позвонить клиенту» and «Не звонить клиенту» on the portal
/// `client` calls (an OAuth application, as administrator), their handler at `handler`;
/// idempotent: a robot already there is updated. What was done to «Позвонить клиенту».
pub async fn register(client: &Client, handler: &str) -> Result<Registered, BitrixError> {
    let how = register_one(client, ROBOT_CODE, definition(handler)).await?;
    register_one(client, DO_NOT_CALL_CODE, do_not_call_definition(handler)).await?;
    Ok(how)
}

/// Adds robot `code` as `robot`, or updates it when the application has it.
async fn register_one(
    client: &Client,
    code: &str,
    robot: Value,
) -> Result<Registered, BitrixError> {
    let listed = client
        .call("bizproc.robot.list", json!({}), Idempotency::Safe)
        .await?;
    let present = listed
        .result
        .as_array()
        .is_some_and(|codes| codes.iter().any(|c| c == code));
    if !present {
        match client
            .call("bizproc.robot.add", robot.clone(), Idempotency::Unsafe)
            .await
        {
            Ok(_) => return Ok(Registered::Added),
            // Added meanwhile (or by an add whose answer was lost): update it.
            Err(e) if e.code() == "ERROR_ACTIVITY_ALREADY_INSTALLED" || e.is_ambiguous() => {}
            Err(e) => return Err(e),
        }
    }
    let mut fields = robot;
    if let Some(map) = fields.as_object_mut() {
        map.remove("CODE");
    }
    client
        .call(
            "bizproc.robot.update",
            json!({ "CODE": code, "FIELDS": fields }),
            Idempotency::Safe,
        )
        .await?;
    Ok(Registered::Updated)
}

/// Why a call could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The platform refused the call for good (a number it will not dial).
    #[error("the call was refused: {0}")]
    Refused(String),
    /// The platform could not be reached or failed.
    #[error("the call could not be started: {0}")]
    Unavailable(String),
}

impl StartError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            StartError::Refused(_) => "call_refused",
            StartError::Unavailable(_) => "call_unavailable",
        }
    }
}

/// Starts an outbound call of the assistant. `phone` is E.164 (`+79161234567`);
/// `custom_data` is what the call's `call.custom_data` must carry back into the call
/// record ([`EVENT_TOKEN_KEY`], [`DOCUMENT_KEY`], `tenant`, `campaign`). Returns the
/// call's id as the platform gave it.
#[async_trait]
pub trait CallStarter: Send + Sync {
    /// Queues the call.
    async fn start(
        &self,
        tenant: &str,
        phone: &str,
        custom_data: &Map<String, Value>,
    ) -> Result<String, StartError>;
}

/// The robot's handler.
pub struct Robots {
    connections: Arc<Connections>,
    store: DynStore,
    starter: Option<Arc<dyn CallStarter>>,
}

impl Robots {
    /// A handler starting calls with `starter`; without one every run is answered at
    /// once that calls cannot be started. `store` keeps which runs started a call, so a
    /// run the portal's queue delivers twice is called once.
    pub fn new(
        connections: Arc<Connections>,
        store: DynStore,
        starter: Option<Arc<dyn CallStarter>>,
    ) -> Robots {
        Robots {
            connections,
            store,
            starter,
        }
    }
}

/// The route.
pub fn router(robots: Arc<Robots>) -> Router {
    Router::new()
        .route(ROBOT_PATH, post(run))
        .with_state(robots)
}

/// Why a run was not taken.
#[derive(Debug, thiserror::Error)]
pub enum RobotError {
    /// The run does not carry the install's application token.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// Not a run of our robot, or one without its token or document.
    #[error("not a run of the robot: {0}")]
    NotARun(&'static str),
    /// The store failed.
    #[error("storage: {0}")]
    Store(String),
    /// The tenant's portal cannot be reached to read the record or answer.
    #[error("the portal cannot be used: {0}")]
    Portal(String),
}

impl RobotError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RobotError::Install(e) => e.code(),
            RobotError::NotARun(_) => "not_a_robot_run",
            RobotError::Portal(_) => "crm_unavailable",
            RobotError::Store(_) => "storage",
        }
    }
}

impl IntoResponse for RobotError {
    fn into_response(self) -> Response {
        if let RobotError::Install(e) = self {
            return e.into_response();
        }
        let status = match self {
            RobotError::Portal(_) | RobotError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        let body = json!({ "error": self.code(), "message": self.to_string() });
        (status, axum::Json(body)).into_response()
    }
}

/// A CRM document: its entity (`LEAD`, `DEAL`, `CONTACT`, `COMPANY`) and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// `LEAD`, `DEAL`, `CONTACT` or `COMPANY`.
    pub entity: &'static str,
    /// The id.
    pub id: u64,
}

impl Document {
    /// Reads `DEAL_12` (the third part of `document_id`).
    pub fn parse(s: &str) -> Option<Document> {
        let (entity, id) = s.trim().rsplit_once('_')?;
        let entity = match entity.to_ascii_uppercase().as_str() {
            "LEAD" => "LEAD",
            "DEAL" => "DEAL",
            "CONTACT" => "CONTACT",
            "COMPANY" => "COMPANY",
            _ => return None,
        };
        Some(Document {
            entity,
            id: id.parse().ok().filter(|id| *id > 0)?,
        })
    }

    /// `DEAL_12`.
    pub fn key(&self) -> String {
        format!("{}_{}", self.entity, self.id)
    }
}

/// A refusal, said to the business process.
struct Refusal {
    code: &'static str,
    summary: String,
}

async fn run(
    State(robots): State<Arc<Robots>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<Value>, RobotError> {
    let posted = Posted::parse(&headers, &body);
    check_application_token(robots.connections.tenants(), &tenant, &posted).await?;
    let code = posted.get(&["code"]);
    if code == Some(DO_NOT_CALL_CODE) {
        return do_not_call_run(&robots, &tenant, &posted).await;
    }
    if code != Some(ROBOT_CODE) {
        return Err(RobotError::NotARun("another robot's code"));
    }
    let (token, document, connection) = run_of(&robots, &tenant, &posted).await?;
    let client = &connection.client;
    let phone_type = posted.get(&["properties[phone_type]"]).unwrap_or("any");
    let started = match number_of(client, &document, phone_type).await {
        Err(e) if e.is_transient() => return Err(RobotError::Portal(e.to_string())),
        Err(e) => Err(Refusal {
            code: "no_document",
            summary: format!(
                "Звонок не начат: карточка {} недоступна ({e}).",
                document.key()
            ),
        }),
        Ok(None) => Err(Refusal {
            code: "no_phone",
            summary: "Звонок не начат: в карточке нет номера телефона.".into(),
        }),
        Ok(Some(raw)) => match start(&robots, &tenant, &raw, &token, &document, &posted).await? {
            Some(started) => started,
            None => {
                tracing::info!(tenant, document = %document.key(), "a robot run delivered again");
                return Ok(axum::Json(json!({ "ok": true, "duplicate": true })));
            }
        },
    };
    match started {
        Ok(call_id) => {
            tracing::info!(tenant, document = %document.key(), call = %call_id, "the robot queued a call");
            Ok(axum::Json(json!({ "ok": true, "call_id": call_id })))
        }
        Err(refusal) => {
            tracing::info!(tenant, document = %document.key(), reason = refusal.code, "the robot's call was refused");
            let values = json!({ "outcome": REFUSED, "summary": refusal.summary, "call_id": "" });
            match answer(client, &token, values, &refusal.summary).await {
                Ok(()) => {}
                // Answered already: the run was delivered twice.
                Err(e) if e.code() == "ACCESS_DENIED" => {
                    tracing::info!(tenant, "the refused run was answered before: {e}");
                }
                Err(e) => return Err(RobotError::Portal(e.to_string())),
            }
            Ok(axum::Json(
                json!({ "ok": true, "refused": refusal.code, "message": refusal.summary }),
            ))
        }
    }
}

/// A run's `event_token`, its CRM document and the tenant's portal connection.
async fn run_of(
    robots: &Robots,
    tenant: &str,
    posted: &Posted,
) -> Result<(String, Document, Connection), RobotError> {
    let token = posted
        .get(&["event_token"])
        .ok_or(RobotError::NotARun("no event_token"))?
        .to_owned();
    let document = posted
        .get(&["document_id[2]"])
        .and_then(Document::parse)
        .ok_or(RobotError::NotARun("no CRM document"))?;
    let connection = robots
        .connections
        .get(tenant)
        .await
        .map_err(|e| RobotError::Portal(e.to_string()))?;
    Ok((token, document, connection))
}

/// A run of «Не звонить клиенту»: every Russian number of the record (a deal's: its
/// contact's and company's) goes on the tenant's do-not-call list (source `bitrix`, by the
/// portal's user), and the run is answered at once with how many were added.
async fn do_not_call_run(
    robots: &Robots,
    tenant: &str,
    posted: &Posted,
) -> Result<axum::Json<Value>, RobotError> {
    let (token, document, connection) = run_of(robots, tenant, posted).await?;
    let client = &connection.client;
    let numbers = match all_numbers_of(client, &document).await {
        Ok(numbers) => numbers,
        Err(e) if e.is_transient() => return Err(RobotError::Portal(e.to_string())),
        Err(_) => Vec::new(),
    };
    let by = match posted.get(&["auth[user_id]"]) {
        Some(user) => format!("Bitrix24, пользователь {user}, робот «Не звонить клиенту»"),
        None => "Bitrix24, робот «Не звонить клиенту»".to_owned(),
    };
    let reason = posted
        .get(&["properties[reason]"])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map_or_else(|| format!("карточка {}", document.key()), str::to_owned);
    let mut added = 0u32;
    for raw in &numbers {
        let Ok(number) = sva_abi::phone::russian_e164(raw) else {
            continue;
        };
        let new = sva_tenants::NewDoNotCall {
            number: &number,
            source: sva_tenants::DoNotCallSource::Bitrix,
            by: &by,
            reason: &reason,
        };
        let (_, fresh) = robots
            .connections
            .tenants()
            .add_do_not_call(tenant, new)
            .await
            .map_err(|e| RobotError::Portal(e.to_string()))?;
        added += u32::from(fresh);
    }
    let log = if numbers.is_empty() {
        "В карточке нет номера телефона: в список «не звонить» ничего не добавлено.".to_owned()
    } else {
        format!("В список «не звонить» добавлено номеров: {added}.")
    };
    tracing::info!(tenant, document = %document.key(), added, "the do-not-call robot ran");
    match answer(client, &token, json!({ "added": added }), &log).await {
        Ok(()) => {}
        // Answered already: the run was delivered twice.
        Err(e) if e.code() == "ACCESS_DENIED" => {}
        Err(e) => return Err(RobotError::Portal(e.to_string())),
    }
    Ok(axum::Json(json!({ "ok": true, "added": added })))
}

/// Every number of a contact or company; of a lead or deal, its own and its contact's
/// and company's.
pub async fn all_numbers_of(
    client: &Client,
    document: &Document,
) -> Result<Vec<String>, BitrixError> {
    let record = record_of(client, document.entity, document.id).await?;
    let mut out = crate::phones::numbers(&record);
    for (field, entity) in [("CONTACT_ID", "CONTACT"), ("COMPANY_ID", "COMPANY")] {
        if document.entity != "DEAL" && document.entity != "LEAD" {
            break;
        }
        if let Some(id) = crate::matching::as_id(&record[field]) {
            out.extend(crate::phones::numbers(
                &record_of(client, entity, id).await?,
            ));
        }
    }
    Ok(out)
}

/// A run's reference: its `event_token`'s SHA-256, hex (64 characters). What a call's
/// custom data carries instead of the token when the token does not fit
/// ([`crate::voximplant`]).
pub fn run_ref(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Where a run that started a call is marked (by its reference).
fn run_key(tenant: &str, reference: &str) -> String {
    format!("robots/{tenant}/{reference}.json")
}

/// Puts the run's `event_token` back into a call's custom data that carries the run's
/// reference ([`crate::voximplant::ROBOT_REF_KEY`]) instead: read from the mark the
/// handler wrote when it queued the call. `true` when it did; custom data with a token,
/// without a reference, with a malformed one or one no run of `tenant` has is left as it
/// is.
pub async fn restore_event_token(
    store: &DynStore,
    tenant: &str,
    custom_data: &mut Map<String, Value>,
) -> Result<bool, sva_kit::storage::StorageError> {
    let has_token = custom_data
        .get(EVENT_TOKEN_KEY)
        .and_then(Value::as_str)
        .is_some_and(|t| !t.is_empty());
    let Some(reference) = custom_data
        .get(crate::voximplant::ROBOT_REF_KEY)
        .and_then(Value::as_str)
        .filter(|r| {
            r.len() == 64
                && r.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    else {
        return Ok(false);
    };
    if has_token {
        return Ok(false);
    }
    let Some(body) = store.get(&run_key(tenant, reference)).await? else {
        tracing::warn!(
            tenant,
            "a call names a robot run this tenant has no mark of"
        );
        return Ok(false);
    };
    let mark: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match mark.get(EVENT_TOKEN_KEY).and_then(Value::as_str) {
        // The mark must be the token's: its hash is the reference.
        Some(token) if run_ref(token) == reference => {
            custom_data.insert(EVENT_TOKEN_KEY.into(), json!(token));
            Ok(true)
        }
        _ => {
            tracing::warn!(tenant, "a robot run's mark has no matching event_token");
            Ok(false)
        }
    }
}

/// Checks the number and starts the call; `None` when this run started one already.
async fn start(
    robots: &Robots,
    tenant: &str,
    raw: &str,
    token: &str,
    document: &Document,
    posted: &Posted,
) -> Result<Option<Result<String, Refusal>>, RobotError> {
    Ok(Some(match checked(robots, tenant, raw).await? {
        Err(refusal) => Err(refusal),
        Ok((phone, starter)) => {
            // The token is kept with the mark: a call whose custom data has room for its
            // reference only gets it back from here (`restore_event_token`).
            let mark = json!({
                "document": document.key(),
                "at": sva_kit::unix_now(),
                EVENT_TOKEN_KEY: token,
            });
            let first = robots
                .store
                .put_if_absent(
                    &run_key(tenant, &run_ref(token)),
                    Bytes::from(mark.to_string()),
                )
                .await
                .map_err(|e| RobotError::Store(e.to_string()))?;
            if !first {
                return Ok(None);
            }
            queue(starter.as_ref(), tenant, &phone, token, document, posted).await
        }
    }))
}

/// The number in E.164 and the starter, or why no call is made: a number that is not
/// one, one on the tenant's do-not-call list, no outbound calls set up.
async fn checked(
    robots: &Robots,
    tenant: &str,
    raw: &str,
) -> Result<Result<(String, Arc<dyn CallStarter>), Refusal>, RobotError> {
    let Some(phone) = sva_abi::phone::to_e164(raw) else {
        return Ok(Err(Refusal {
            code: "invalid_phone",
            summary: "Звонок не начат: номер в карточке не похож на телефонный.".into(),
        }));
    };
    let listed = robots
        .connections
        .tenants()
        .is_do_not_call(tenant, &phone)
        .await
        .map_err(|e| RobotError::Store(e.to_string()))?;
    if listed {
        return Ok(Err(Refusal {
            code: "do_not_call",
            summary: "Звонок не начат: клиент просил больше не звонить.".into(),
        }));
    }
    let Some(starter) = robots.starter.clone() else {
        return Ok(Err(Refusal {
            code: "not_configured",
            summary: "Звонок не начат: исходящие звонки ассистента не настроены.".into(),
        }));
    };
    Ok(Ok((phone, starter)))
}

/// Queues the call with the run's token and document in `custom_data`.
async fn queue(
    starter: &dyn CallStarter,
    tenant: &str,
    phone: &str,
    token: &str,
    document: &Document,
    posted: &Posted,
) -> Result<String, Refusal> {
    let mut custom = Map::new();
    custom.insert("tenant".into(), json!(tenant));
    custom.insert(EVENT_TOKEN_KEY.into(), json!(token));
    custom.insert(DOCUMENT_KEY.into(), json!(document.key()));
    if let Some(campaign) = posted.get(&["properties[campaign]"]) {
        custom.insert("campaign".into(), json!(campaign));
    }
    starter
        .start(tenant, phone, &custom)
        .await
        .map_err(|e| Refusal {
            code: e.code(),
            summary: match e {
                StartError::Refused(_) => "Звонок не начат: номер не может быть набран.".into(),
                StartError::Unavailable(_) => {
                    "Звонок не начат: телефония недоступна, попробуйте позже.".into()
                }
            },
        })
}

/// The number to call: of a lead, contact or company, the one of `phone_type` (`any`:
/// the first); of a deal, and of a lead without a number of its own (a repeat lead), its
/// contact's, else its company's — as a campaign's selection reads a lead
/// ([`crate::selection`]).
pub async fn number_of(
    client: &Client,
    document: &Document,
    phone_type: &str,
) -> Result<Option<String>, BitrixError> {
    let record = record_of(client, document.entity, document.id).await?;
    if document.entity != "DEAL" {
        let own = pick(&record, phone_type);
        if own.is_some() || document.entity != "LEAD" {
            return Ok(own);
        }
    }
    let id_of = |field: &str| crate::matching::as_id(&record[field]);
    if let Some(contact) = id_of("CONTACT_ID") {
        let found = pick(&record_of(client, "CONTACT", contact).await?, phone_type);
        if found.is_some() {
            return Ok(found);
        }
    }
    if let Some(company) = id_of("COMPANY_ID") {
        return Ok(pick(
            &record_of(client, "COMPANY", company).await?,
            phone_type,
        ));
    }
    Ok(None)
}

/// A CRM record by `crm.<entity>.get` (`entity` upper-case, as a document names it).
pub(crate) async fn record_of(
    client: &Client,
    entity: &str,
    id: u64,
) -> Result<Value, BitrixError> {
    let method = format!("crm.{}.get", entity.to_ascii_lowercase());
    client
        .call(&method, json!({ "id": id }), Idempotency::Safe)
        .await
        .map(|r| r.result)
}

/// The number of `phone_type` among a record's `PHONE`; `any`, or a type the record
/// lacks, takes the first.
fn pick(record: &Value, phone_type: &str) -> Option<String> {
    let phones = crate::phones::multifield(&record["PHONE"]);
    phones
        .iter()
        .find(|(ty, _)| ty.eq_ignore_ascii_case(phone_type))
        .or_else(|| phones.first())
        .map(|(_, v)| (*v).to_owned())
}

/// Answers a run: `bizproc.event.send` with `values` and `log`.
pub async fn answer(
    client: &Client,
    event_token: &str,
    values: Value,
    log: &str,
) -> Result<(), BitrixError> {
    client
        .call(
            "bizproc.event.send",
            json!({ "event_token": event_token, "return_values": values, "log_message": log }),
            // A second answer to a spent token is refused (ACCESS_DENIED), never doubled.
            Idempotency::Safe,
        )
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_id_names_the_record() {
        assert_eq!(
            Document::parse("DEAL_165752"),
            Some(Document {
                entity: "DEAL",
                id: 165752
            })
        );
        assert_eq!(
            Document::parse("LEAD_5").map(|d| d.key()),
            Some("LEAD_5".into())
        );
        for bad in ["DEAL_", "DEAL_0", "TASK_2", "2", "DYNAMIC_1032_4", ""] {
            assert_eq!(Document::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_number_of_the_chosen_type_else_the_first() {
        let record = json!({"PHONE": [
            {"VALUE": "+74950000000", "VALUE_TYPE": "WORK"},
            {"VALUE": "8 916 123-45-67", "VALUE_TYPE": "MOBILE"},
        ]});
        assert_eq!(pick(&record, "MOBILE").as_deref(), Some("8 916 123-45-67"));
        assert_eq!(pick(&record, "any").as_deref(), Some("+74950000000"));
        assert_eq!(pick(&record, "HOME").as_deref(), Some("+74950000000"));
        assert_eq!(pick(&json!({"PHONE": []}), "any"), None);
    }

    #[test]
    fn the_robot_returns_every_outcome_the_scenario_has() {
        let robot = definition("https://crm.example.ru/v1/crm/robot/acme");
        let options = robot["RETURN_PROPERTIES"]["outcome"]["Options"]
            .as_object()
            .unwrap();
        assert!(options.contains_key("do_not_call") && options.contains_key(REFUSED));
        assert_eq!(options.len(), sva_abi::Outcome::ALL.len() + 1);
    }
}
