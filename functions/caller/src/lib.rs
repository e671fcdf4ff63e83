//! A telephone stand-in that speaks the turn protocol (`docs/turn-protocol.md`) from
//! VoxEngine's side: it signs every request with the tenant's secret, carries the state
//! token from answer to request, numbers the turns, keeps the transcript and sends the
//! end-of-call report. `sva call`, the end-to-end tests and the load generator use it, so
//! they exercise the dialog function exactly as a real call does.

use std::time::Instant;
use sva_abi::clock::{unix_now, unix_now_f64};
use sva_abi::{CallContext, Direction, Event};
use sva_wire::signature;
use sva_wire::turn::{
    AsrUsage, CallEnd, CallEnded, TranscriptEntry, TurnRequest, TurnResponse, VoxAction,
};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallerError {
    /// The function could not be reached or answered garbage.
    #[error("the dialog function did not answer: {0}")]
    Transport(#[from] reqwest::Error),
    /// The function refused the request.
    #[error("the dialog function refused the request ({status} {code}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The machine-readable code.
        code: String,
        /// The sentence.
        message: String,
    },
    /// The call is over; nothing more can be said.
    #[error("the call has ended")]
    Ended,
}

/// A tenant's line into the dialog function.
#[derive(Debug, Clone)]
pub struct Phone {
    http: reqwest::Client,
    base: String,
    tenant: String,
    secret: Vec<u8>,
}

impl Phone {
    /// A phone calling the function at `base` (e.g. `http://127.0.0.1:8080`) as `tenant`.
    pub fn new(base: &str, tenant: &str, secret: &[u8]) -> Phone {
        Phone {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            tenant: tenant.to_owned(),
            secret: secret.to_vec(),
        }
    }

    /// Uses `client` (to share a connection pool between many phones).
    pub fn with_client(mut self, client: reqwest::Client) -> Phone {
        self.http = client;
        self
    }

    /// Places a call: sends `call_started` and returns the call with its first answer.
    pub async fn dial(&self, call: CallContext) -> Result<Call, CallerError> {
        let mut call = Call {
            phone: self.clone(),
            info: call,
            seq: 0,
            token: None,
            started: Instant::now(),
            started_at: rfc3339_now(),
            transcript: Vec::new(),
            last: None,
            tts_chars: 0,
            asr_sessions: 0,
            asr_seconds: Vec::new(),
            ended: false,
        };
        call.send(Event::CallStarted, String::new()).await?;
        Ok(call)
    }

    /// POSTs a signed `body` and reads the JSON answer.
    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: Vec<u8>,
    ) -> Result<T, CallerError> {
        let now = unix_now();
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("x-sva-tenant", &self.tenant)
            .header("x-sva-timestamp", now.to_string())
            .header("x-sva-signature", signature::sign(&self.secret, now, &body))
            .body(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        if status != 200 {
            // The kit's error shape: {"error": {"code": "...", "message": "..."}}.
            let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
                Ok(body) => (body.error.code, body.error.message),
                Err(_) => (String::new(), text),
            };
            return Err(CallerError::Refused {
                status,
                code,
                message,
            });
        }
        serde_json::from_str(&text).map_err(|e| CallerError::Refused {
            status,
            code: "bad_answer".into(),
            message: e.to_string(),
        })
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(serde::Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

/// The phrases of an answer, in order.
fn phrases(response: &TurnResponse) -> impl Iterator<Item = &str> {
    response.actions.iter().filter_map(|a| match a {
        VoxAction::Say { text, .. } => Some(text.as_str()),
        _ => None,
    })
}

/// How long a silent turn listens before `no_input`, seconds.
const SILENCE_S: f64 = 5.0;

/// A call in progress.
#[derive(Debug)]
pub struct Call {
    phone: Phone,
    info: CallContext,
    seq: u32,
    token: Option<String>,
    started: Instant,
    started_at: String,
    transcript: Vec<TranscriptEntry>,
    last: Option<TurnResponse>,
    tts_chars: u32,
    asr_sessions: u32,
    /// Audio seconds of each recognition session (estimated: the simulator has no audio).
    asr_seconds: Vec<f64>,
    ended: bool,
}

impl Call {
    /// The caller says `text` (recognised with confidence 0.9).
    pub async fn say(&mut self, text: &str) -> Result<&TurnResponse, CallerError> {
        self.asr_sessions += 1;
        // Russian speech runs at about 14 characters a second, plus the pause
        // recognition waits for before it ends the utterance.
        self.asr_seconds
            .push(text.chars().count() as f64 / 14.0 + 1.0);
        let event = Event::Utterance {
            text: text.to_owned(),
            confidence: 0.9,
        };
        self.send(event, text.to_owned()).await
    }

    /// The caller stays silent until the listen timeout.
    pub async fn silence(&mut self) -> Result<&TurnResponse, CallerError> {
        self.asr_sessions += 1;
        self.asr_seconds.push(SILENCE_S);
        self.send(Event::NoInput, String::new()).await
    }

    /// Sends any event (DTMF, barge-in, a failed transfer).
    pub async fn event(&mut self, event: Event) -> Result<&TurnResponse, CallerError> {
        self.send(event, String::new()).await
    }

    /// The last answer.
    pub fn last(&self) -> Option<&TurnResponse> {
        self.last.as_ref()
    }

    /// What the assistant said in the last answer, joined.
    pub fn heard(&self) -> String {
        self.last
            .iter()
            .flat_map(phrases)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// How the last answer ends the turn: `listen`, `transfer` or `hangup`.
    pub fn next_step(&self) -> Option<&VoxAction> {
        self.last.as_ref().and_then(|r| r.actions.last())
    }

    /// Whether the assistant ended the call (hang-up or transfer).
    pub fn is_over(&self) -> bool {
        self.ended
            || matches!(
                self.next_step(),
                Some(VoxAction::Hangup { .. } | VoxAction::Transfer { .. })
            )
    }

    /// The call's id.
    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// The transcript so far.
    pub fn transcript(&self) -> &[TranscriptEntry] {
        &self.transcript
    }

    /// Ends the call and sends the end-of-call report, as VoxEngine does from
    /// `AppEvents.Terminating`.
    pub async fn hang_up(mut self, reason: &str) -> Result<CallEnded, CallerError> {
        self.ended = true;
        let token = self.token.clone().ok_or(CallerError::Ended)?;
        let end = CallEnd {
            tenant: self.phone.tenant.clone(),
            call: self.info.clone(),
            token,
            started_at: Some(self.started_at.clone()),
            duration_s: self.duration_s(),
            telephony_cost: None,
            // As VoxEngine: one recognition session (one ASR object) for the call.
            asr: Some(AsrUsage {
                sessions: u32::from(self.asr_sessions > 0),
                session_seconds: match self.asr_seconds.is_empty() {
                    true => Vec::new(),
                    false => vec![self.asr_seconds.iter().sum::<f64>()],
                },
                seconds: self.asr_seconds.iter().sum::<f64>().round() as u32,
                cost: None,
            }),
            tts_chars: self.tts_chars,
            tts_requests: Vec::new(), // the function counts the transcript's phrases
            recording_url: None,
            transcript: std::mem::take(&mut self.transcript),
            end_reason: reason.to_owned(),
        };
        let body = serde_json::to_vec(&end).unwrap_or_default();
        let path = format!("/v1/calls/{}/end", self.info.id);
        self.phone.post(&path, body).await
    }

    /// The call's length: the wall clock, or — a simulated call being faster than a
    /// real one — the time its speech would take (the caller's recognised audio and
    /// the assistant's phrases at about 14 characters a second), whichever is longer.
    fn duration_s(&self) -> u32 {
        let spoken = self.asr_seconds.iter().sum::<f64>() + f64::from(self.tts_chars) / 14.0;
        (self.started.elapsed().as_secs_f64().max(spoken)).round() as u32
    }

    async fn send(&mut self, event: Event, said: String) -> Result<&TurnResponse, CallerError> {
        if self.ended {
            return Err(CallerError::Ended);
        }
        let seq = if self.token.is_some() {
            self.seq + 1
        } else {
            0
        };
        let request = TurnRequest {
            tenant: self.phone.tenant.clone(),
            call: self.info.clone(),
            seq,
            event,
            token: self.token.clone(),
        };
        let body = serde_json::to_vec(&request).unwrap_or_default();
        let sent = Instant::now();
        let response: TurnResponse = self.phone.post("/v1/turn", body).await?;
        let assistant: Vec<String> = phrases(&response).map(str::to_owned).collect();
        self.tts_chars += assistant
            .iter()
            .map(|s| s.chars().count() as u32)
            .sum::<u32>();
        self.transcript.push(TranscriptEntry {
            seq,
            at_ms: self.started.elapsed().as_millis() as u64,
            caller: said,
            assistant,
            latency_ms: sent.elapsed().as_millis() as u32,
        });
        self.seq = seq;
        self.token = Some(response.token.clone());
        Ok(self.last.insert(response))
    }
}

/// A qualification call as callers speak: from the need to "write it down", the
/// default scenario qualifies the lead in seven utterances.
pub const QUALIFICATION: &[&str] = &[
    "здравствуйте нам нужна система учета для склада",
    "где-то полтора миллиона рублей",
    "хотим запустить в следующем месяце",
    "нет решает генеральный директор",
    "меня зовут ольга петровна",
    "техносклад плюс",
    "да записывайте",
];

/// A fresh inbound call from `caller` with a unique id.
pub fn inbound(caller: &str) -> CallContext {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = (unix_now_f64() * 1e9) as u128;
    CallContext {
        id: format!("sim-{nanos:x}-{n}"),
        direction: Direction::Inbound,
        caller: Some(caller.to_owned()),
        callee: Some("+74950000000".to_owned()),
        custom_data: serde_json::Map::new(),
    }
}

fn rfc3339_now() -> String {
    sva_abi::clock::rfc3339(unix_now() as i64, 180)
}
