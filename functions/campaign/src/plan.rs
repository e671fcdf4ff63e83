//! The campaign: its settings, what its contacts became, the Voximplant call list, and
//! when a contact is tried again.
//!
//! Voximplant's `CreateCallList` takes `max_simultaneous` and `num_attempts` ("Minimum is
//! 1, maximum is 5") and one `interval_seconds` for the whole list
//! (<https://voximplant.com/docs/references/voxengine/voximplantapi/createcalllistrequest>);
//! the intervals per outcome are ours: the script asks `CallList.requestNextAttempt` for
//! [`Plan::next_attempt`]'s time.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::ingest::{Contact, Ingested, Refusal, RefusalCode};
use crate::window::{self, Calendar, Hours, UtcWindow, WindowError};
use crate::zones::{CalleeZone, Registry, ZoneSource};

/// Voximplant's most attempts per task.
pub const MAX_ATTEMPTS: u8 = 5;
/// Our cap on simultaneous calls of one campaign (Voximplant states none; an account's
/// concurrent-call limit is lower than this for most tenants).
pub const MAX_SIMULTANEOUS: u32 = 100;
/// Voximplant's longest list name ("up to 255 characters").
pub const MAX_NAME_CHARS: usize = 255;
/// The shortest retry interval: a minute (a busy line is not free sooner).
pub const MIN_INTERVAL_SECONDS: u32 = 60;
/// The longest retry interval: a week.
pub const MAX_INTERVAL_SECONDS: u32 = 7 * 86_400;
/// The days over which a zone's offsets are taken for the daily window.
pub const HORIZON_DAYS: u16 = 31;
/// How far ahead the first open day is looked for.
pub const SEARCH_DAYS: u16 = 366;

/// What to do when an answering machine picks up: the pre-dial answer's own type, so
/// the campaign's setting goes to the script as it is.
pub use sva_wire::outbound::Voicemail as VoicemailPolicy;

/// Seconds before the next attempt, per outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intervals {
    /// After a busy line.
    pub busy: u32,
    /// After no answer (or a failed call).
    pub no_answer: u32,
    /// After an answering machine (with the `hangup` policy).
    pub voicemail: u32,
}

impl Default for Intervals {
    /// 15 minutes after busy, an hour after no answer, three hours after voicemail.
    fn default() -> Self {
        Self {
            busy: 900,
            no_answer: 3_600,
            voicemail: 10_800,
        }
    }
}

/// A campaign's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// `a-z`, `0-9`, `-`, 1..=40, not starting with `-` (as tenant ids).
    pub id: String,
    /// A name for people (and Voximplant's list name).
    pub name: String,
    /// Local calling hours.
    #[serde(default)]
    pub hours: Hours,
    /// Days off.
    #[serde(default)]
    pub calendar: Calendar,
    /// Simultaneous calls (`max_simultaneous`).
    pub max_simultaneous: u32,
    /// Attempts per contact (`num_attempts`, 1–5).
    pub attempts: u8,
    /// Retry intervals per outcome.
    #[serde(default)]
    pub intervals: Intervals,
    /// What to do on an answering machine.
    #[serde(default)]
    pub voicemail: VoicemailPolicy,
}

/// Why campaign settings are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignError {
    /// The id is not of the allowed alphabet or length.
    #[error("идентификатор кампании — от 1 до 40 символов a-z, 0-9 и «-», не с «-»")]
    BadId,
    /// The tenant id is not valid.
    #[error("идентификатор клиента — от 1 до 40 символов a-z, 0-9 и «-», не с «-»")]
    BadTenant,
    /// The name is empty, too long or has `/` or `\`.
    #[error("название кампании — от 1 до 255 символов, без «/» и «\\»")]
    BadName,
    /// `max_simultaneous` out of 1..=[`MAX_SIMULTANEOUS`].
    #[error("одновременных звонков — от 1 до {MAX_SIMULTANEOUS}")]
    Pace,
    /// `attempts` out of 1..=5.
    #[error("попыток дозвона — от 1 до 5 (ограничение Voximplant)")]
    Attempts,
    /// An interval out of a minute..a week.
    #[error("интервал между попытками ({outcome}) — от минуты до недели")]
    Interval {
        /// Which outcome's.
        outcome: &'static str,
    },
    /// No day of the week has hours.
    #[error("ни в один день недели звонить нельзя")]
    NoOpenDay,
}

impl CampaignError {
    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadId => "bad_id",
            Self::BadTenant => "bad_tenant",
            Self::BadName => "bad_name",
            Self::Pace => "pace",
            Self::Attempts => "attempts",
            Self::Interval { .. } => "interval",
            Self::NoOpenDay => "no_open_day",
        }
    }
}

/// Whether an id is 1..=40 of `a-z`, `0-9`, `-`, not starting with `-`.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && !id.starts_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Campaign {
    /// A campaign with the defaults: 09:00–20:00, no calendar, 3 attempts, the default
    /// intervals, hang up on voicemail.
    pub fn new(id: &str, name: &str, max_simultaneous: u32) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            hours: Hours::default(),
            calendar: Calendar::default(),
            max_simultaneous,
            attempts: 3,
            intervals: Intervals::default(),
            voicemail: VoicemailPolicy::Hangup,
        }
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), CampaignError> {
        if !valid_id(&self.id) {
            return Err(CampaignError::BadId);
        }
        let chars = self.name.trim().chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS || self.name.contains(['/', '\\']) {
            return Err(CampaignError::BadName);
        }
        if !(1..=MAX_SIMULTANEOUS).contains(&self.max_simultaneous) {
            return Err(CampaignError::Pace);
        }
        if !(1..=MAX_ATTEMPTS).contains(&self.attempts) {
            return Err(CampaignError::Attempts);
        }
        for (outcome, seconds) in [
            ("busy", self.intervals.busy),
            ("no_answer", self.intervals.no_answer),
            ("voicemail", self.intervals.voicemail),
        ] {
            if !(MIN_INTERVAL_SECONDS..=MAX_INTERVAL_SECONDS).contains(&seconds) {
                return Err(CampaignError::Interval { outcome });
            }
        }
        if !self.hours.any_open() {
            return Err(CampaignError::NoOpenDay);
        }
        Ok(())
    }
}

/// How an attempt ended, as far as retrying goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// A person answered and the dialog ended (qualified or not).
    Answered,
    /// The line was busy.
    Busy,
    /// Nobody answered.
    NoAnswer,
    /// An answering machine answered.
    Voicemail,
    /// The call failed (network, operator).
    Failed,
    /// The callee asked to be called back at `at`.
    Callback {
        /// When.
        at: Timestamp,
    },
    /// The callee asked not to be called again.
    DoNotCall,
}

/// Where a contact of a campaign stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ContactStatus {
    /// Waiting for its window.
    Queued,
    /// Finished with an outcome (`answered`, `callback`, `not_interested`, …).
    Done {
        /// The scenario's outcome.
        outcome: String,
    },
    /// Refused when the campaign was built.
    Refused {
        /// Why.
        code: RefusalCode,
    },
    /// Put on the do-not-call list during the campaign: never called again.
    DoNotCall,
    /// Every attempt failed.
    Failed {
        /// The last attempt's reason (`busy`, `no_answer`, `voicemail`, `failed`).
        reason: String,
    },
    /// The campaign was cancelled before the contact was reached.
    Cancelled,
}

impl ContactStatus {
    /// The status's name, as stored (`queued`, `done`, `do_not_call`, …).
    pub fn name(&self) -> &'static str {
        match self {
            ContactStatus::Queued => "queued",
            ContactStatus::Done { .. } => "done",
            ContactStatus::Refused { .. } => "refused",
            ContactStatus::DoNotCall => "do_not_call",
            ContactStatus::Failed { .. } => "failed",
            ContactStatus::Cancelled => "cancelled",
        }
    }
}

/// A contact with its id in the campaign and its calling time (stored as JSON between
/// the build and the pre-dial check).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedContact {
    /// The contact's id in the campaign (`r` and its line in the file).
    pub id: String,
    /// What the file said.
    pub contact: Contact,
    /// The callee's zone(s).
    pub zone: CalleeZone,
    /// The daily UTC window.
    pub window: UtcWindow,
    /// The first instant the contact may be called.
    pub start_at: Timestamp,
    /// Where it stands.
    pub status: ContactStatus,
}

/// A built campaign.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// The settings.
    pub campaign: Campaign,
    /// The tenant.
    pub tenant: String,
    /// The contacts to call, in file order.
    pub contacts: Vec<PlannedContact>,
    /// The rows refused (by the file's checks and for want of a window), in file order.
    pub refusals: Vec<Refusal>,
    /// Data rows of the file: `contacts.len() + refusals.len()`.
    pub data_rows: usize,
    /// Blank rows of the file.
    pub blank_rows: usize,
}

impl Plan {
    /// Builds a campaign from a read file: each contact's zone (the file's `timezone` over
    /// the registry), window and first calling time from `now`. A
    /// contact the hours leave no time for is refused (`no_window`).
    pub fn build(
        campaign: &Campaign,
        tenant: &str,
        ingested: Ingested,
        registry: &Registry,
        now: Timestamp,
    ) -> Result<Self, CampaignError> {
        campaign.validate()?;
        if !valid_id(tenant) {
            return Err(CampaignError::BadTenant);
        }
        let Ingested {
            contacts,
            mut refusals,
            data_rows,
            blank_rows,
            ..
        } = ingested;
        let mut windows: HashMap<Vec<String>, Result<UtcWindow, WindowError>> = HashMap::new();
        let mut planned = Vec::with_capacity(contacts.len());
        for contact in contacts {
            let zone = registry.resolve(&contact.phone, contact.timezone.as_deref());
            let window = *windows
                .entry(zone.names.clone())
                .or_insert_with(|| window::daily_window(&zone, &campaign.hours, now, HORIZON_DAYS));
            let start_at = window.ok().and_then(|w| {
                window::next_open(
                    &zone,
                    &campaign.hours,
                    &campaign.calendar,
                    &w,
                    now,
                    SEARCH_DAYS,
                )
                .map(|t| (w, t))
            });
            match start_at {
                Some((window, start_at)) => planned.push(PlannedContact {
                    id: format!("r{}", contact.row),
                    contact,
                    zone,
                    window,
                    start_at,
                    status: ContactStatus::Queued,
                }),
                None => refusals.push(Refusal {
                    row: contact.row,
                    code: RefusalCode::NoWindow,
                    reason: no_window_reason(&zone),
                }),
            }
        }
        refusals.sort_by_key(|r| r.row);
        Ok(Self {
            campaign: campaign.clone(),
            tenant: tenant.to_owned(),
            contacts: planned,
            refusals,
            data_rows,
            blank_rows,
        })
    }

    /// The call list for `CreateCallList`/`AppendToCallList`: `;`, UTF-8, a header row,
    /// columns `phone;tenant;campaign;contact;vm;__start_execution_time;__end_execution_time;__start_at`
    /// (`phone` is E.164 without `+`, as `callPSTN` takes it; `__start_at` a UNIX
    /// timestamp in seconds, as the `start_at` of Voximplant's editable call lists:
    /// <https://voximplant.com/docs/guides/solutions/editable-call-lists>). Queued contacts only.
    pub fn call_list_csv(&self) -> String {
        let mut out = String::from(
            "phone;tenant;campaign;contact;vm;__start_execution_time;__end_execution_time;__start_at\n",
        );
        for c in self
            .contacts
            .iter()
            .filter(|c| c.status == ContactStatus::Queued)
        {
            // Every field is digits, ids of [a-z0-9-], `hangup`/`message` or HH:mm:ss:
            // nothing needs quoting.
            out.push_str(&format!(
                "{};{};{};{};{};{};{};{}\n",
                c.contact.phone.trim_start_matches('+'),
                self.tenant,
                self.campaign.id,
                c.id,
                self.campaign.voicemail.as_str(),
                c.window.start_execution_time(),
                c.window.end_execution_time(),
                c.start_at.as_second(),
            ));
        }
        out
    }

    /// A contact by its id in the campaign.
    pub fn contact(&self, id: &str) -> Option<&PlannedContact> {
        // Ids are `r<row>` and contacts are kept in row order: found by halving (this
        // runs at every outbound turn and pre-dial check), by a scan for any other id.
        let by_row = id
            .strip_prefix('r')
            .and_then(|row| row.parse::<usize>().ok())
            .and_then(|row| {
                self.contacts
                    .binary_search_by_key(&row, |c| c.contact.row)
                    .ok()
            })
            .map(|i| &self.contacts[i])
            .filter(|c| c.id == id);
        by_row.or_else(|| self.contacts.iter().find(|c| c.id == id))
    }

    /// When to try a contact again after `outcome` at `now`: the outcome's interval later
    /// (a callback at its time), moved to the next open moment of the contact's window;
    /// `None` when the outcome is final or no open moment comes within a year.
    pub fn next_attempt(
        &self,
        contact: &PlannedContact,
        outcome: Outcome,
        now: Timestamp,
    ) -> Option<Timestamp> {
        let c = &self.campaign;
        let earliest = match outcome {
            Outcome::Answered | Outcome::DoNotCall => return None,
            Outcome::Voicemail if c.voicemail == VoicemailPolicy::Message => return None,
            Outcome::Busy => now
                .saturating_add(SignedDuration::from_secs(c.intervals.busy.into()))
                .ok()?,
            Outcome::NoAnswer | Outcome::Failed => now
                .saturating_add(SignedDuration::from_secs(c.intervals.no_answer.into()))
                .ok()?,
            Outcome::Voicemail => now
                .saturating_add(SignedDuration::from_secs(c.intervals.voicemail.into()))
                .ok()?,
            Outcome::Callback { at } => at.max(now),
        };
        window::next_open(
            &contact.zone,
            &c.hours,
            &c.calendar,
            &contact.window,
            earliest,
            SEARCH_DAYS,
        )
    }

    /// The pre-dial check's answer for a contact at `now`: `Ok(())` to dial, or the time
    /// to retry at (`None`: never within a year).
    pub fn may_dial(
        &self,
        contact: &PlannedContact,
        now: Timestamp,
    ) -> Result<(), Option<Timestamp>> {
        let c = &self.campaign;
        if contact.window.contains(now)
            && window::is_open(&contact.zone, &c.hours, &c.calendar, now)
        {
            return Ok(());
        }
        Err(window::next_open(
            &contact.zone,
            &c.hours,
            &c.calendar,
            &contact.window,
            now,
            SEARCH_DAYS,
        ))
    }
}

/// The sentence of a `no_window` refusal.
fn no_window_reason(zone: &CalleeZone) -> String {
    match zone.source {
        ZoneSource::Unknown => "Часовой пояс номера неизвестен, а часы звонков слишком короткие, чтобы попасть в них в любом поясе России (UTC+2…UTC+12): укажите часовой пояс в столбце «часовой пояс» или расширьте часы.".to_owned(),
        _ => format!(
            "В часовом поясе абонента ({}) в заданные часы и дни звонить некогда: проверьте часы звонков и календарь.",
            zone.names.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ingest;
    use jiff::civil::Date;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn file() -> &'static str {
        "телефон;имя;согласие;дата согласия\n\
         +7 401 212-34-56;Калининград;сайт;2026-01-01\n\
         +7 415 212-34-56;Камчатка;сайт;2026-01-01\n\
         +7 300 123-45-67;Неизвестный;сайт;2026-01-01\n\
         плохой;Нет;сайт;2026-01-01\n"
    }

    fn plan(campaign: &Campaign, now: Timestamp) -> Plan {
        let ingested = ingest(file().as_bytes(), Date::new(2026, 12, 7).unwrap(), |_| {
            false
        })
        .unwrap();
        Plan::build(campaign, "acme", ingested, Registry::shipped(), now).unwrap()
    }

    #[test]
    fn a_status_name_is_its_stored_tag() {
        for status in [
            ContactStatus::Queued,
            ContactStatus::Done {
                outcome: "qualified".into(),
            },
            ContactStatus::Refused {
                code: RefusalCode::NoWindow,
            },
            ContactStatus::DoNotCall,
            ContactStatus::Failed {
                reason: "busy".into(),
            },
            ContactStatus::Cancelled,
        ] {
            let stored = serde_json::to_value(&status).unwrap();
            assert_eq!(stored["status"], status.name(), "{status:?}");
        }
    }

    #[test]
    fn the_call_list_is_the_contracts_csv() {
        let campaign = Campaign::new("leads-dec", "Декабрьские заявки", 5);
        let plan = plan(&campaign, ts("2026-12-07T07:30:00Z"));
        let csv = plan.call_list_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "phone;tenant;campaign;contact;vm;__start_execution_time;__end_execution_time;__start_at"
        );
        assert_eq!(lines.len(), 1 + plan.contacts.len());
        let now = ts("2026-12-07T07:30:00Z").as_second();
        // Kaliningrad (UTC+2) at 09:30 local: open now.
        assert_eq!(
            lines[1],
            format!("74012123456;acme;leads-dec;r2;hangup;07:00:00;17:59:59;{now}")
        );
        // Kamchatka (UTC+12) at 19:30 local: open now, its window runs over UTC midnight.
        assert_eq!(
            lines[2],
            format!("74152123456;acme;leads-dec;r3;hangup;21:00:00;07:59:59;{now}")
        );
        assert_eq!(plan.refusals.len(), 1);
        assert_eq!(plan.data_rows, plan.contacts.len() + plan.refusals.len());
    }

    #[test]
    fn a_window_too_short_for_an_unknown_zone_is_a_refusal_with_a_reason() {
        let mut campaign = Campaign::new("c", "c", 1);
        campaign.hours = Hours::weekly(
            Some("10:00-18:00".parse().unwrap()),
            Some("10:00-18:00".parse().unwrap()),
        );
        let now = ts("2026-12-07T07:30:00Z");
        let ingested = ingest(file().as_bytes(), Date::new(2026, 12, 7).unwrap(), |_| {
            false
        })
        .unwrap();
        let unknown_row = 4;
        let plan = Plan::build(&campaign, "acme", ingested, Registry::shipped(), now).unwrap();
        let r = plan
            .refusals
            .iter()
            .find(|r| r.row == unknown_row)
            .expect("refused");
        assert_eq!(r.code, RefusalCode::NoWindow);
        assert!(r.reason.contains("UTC+2"), "{}", r.reason);
        assert!(plan.contact("r4").is_none());
        // Known zones still get their 10:00–18:00.
        assert_eq!(
            plan.contact("r2").unwrap().window.start_execution_time(),
            "08:00:00"
        );
        assert_eq!(plan.data_rows, plan.contacts.len() + plan.refusals.len());
    }

    #[test]
    fn retries_follow_the_outcome_and_the_window() {
        let campaign = Campaign::new("c", "c", 1);
        let now = ts("2026-12-07T07:30:00Z");
        let plan = plan(&campaign, now);
        let kaliningrad = plan.contact("r2").unwrap();
        assert_eq!(
            plan.next_attempt(kaliningrad, Outcome::Busy, now),
            Some(ts("2026-12-07T07:45:00Z"))
        );
        assert_eq!(
            plan.next_attempt(kaliningrad, Outcome::NoAnswer, now),
            Some(ts("2026-12-07T08:30:00Z"))
        );
        // 17:30 UTC + 3 h is after 20:00 Kaliningrad: the next morning, 09:00 local.
        assert_eq!(
            plan.next_attempt(kaliningrad, Outcome::Voicemail, ts("2026-12-07T17:30:00Z")),
            Some(ts("2026-12-08T07:00:00Z"))
        );
        // A callback asked for at 23:00 local goes to 09:00 the next day.
        assert_eq!(
            plan.next_attempt(
                kaliningrad,
                Outcome::Callback {
                    at: ts("2026-12-07T21:00:00Z")
                },
                now
            ),
            Some(ts("2026-12-08T07:00:00Z"))
        );
        assert_eq!(plan.next_attempt(kaliningrad, Outcome::Answered, now), None);
        assert_eq!(
            plan.next_attempt(kaliningrad, Outcome::DoNotCall, now),
            None
        );
        assert_eq!(plan.may_dial(kaliningrad, now), Ok(()));
        assert_eq!(
            plan.may_dial(kaliningrad, ts("2026-12-07T19:00:00Z")),
            Err(Some(ts("2026-12-08T07:00:00Z")))
        );
    }

    #[test]
    fn settings_are_validated_with_codes() {
        let ok = Campaign::new("leads-1", "Заявки", 10);
        assert_eq!(ok.validate(), Ok(()));
        let cases: Vec<(Campaign, &str)> = vec![
            (
                Campaign {
                    id: "Bad_Id".into(),
                    ..ok.clone()
                },
                "bad_id",
            ),
            (
                Campaign {
                    name: "a/b".into(),
                    ..ok.clone()
                },
                "bad_name",
            ),
            (
                Campaign {
                    name: " ".into(),
                    ..ok.clone()
                },
                "bad_name",
            ),
            (
                Campaign {
                    max_simultaneous: 0,
                    ..ok.clone()
                },
                "pace",
            ),
            (
                Campaign {
                    attempts: 6,
                    ..ok.clone()
                },
                "attempts",
            ),
            (
                Campaign {
                    attempts: 0,
                    ..ok.clone()
                },
                "attempts",
            ),
            (
                Campaign {
                    intervals: Intervals {
                        busy: 10,
                        ..Intervals::default()
                    },
                    ..ok.clone()
                },
                "interval",
            ),
            (
                Campaign {
                    hours: Hours::weekly(None, None),
                    ..ok.clone()
                },
                "no_open_day",
            ),
        ];
        for (campaign, code) in cases {
            let err = campaign.validate().unwrap_err();
            assert_eq!(err.code(), code);
            assert!(!err.to_string().is_empty());
        }
        let ingested = Ingested::default();
        assert_eq!(
            Plan::build(
                &ok,
                "Acme",
                ingested,
                Registry::shipped(),
                ts("2026-12-07T07:30:00Z")
            )
            .unwrap_err(),
            CampaignError::BadTenant
        );
    }

    #[test]
    fn a_plan_survives_storage() {
        let campaign = Campaign::new("c", "c", 1);
        let now = ts("2026-12-07T07:30:00Z");
        let plan = plan(&campaign, now);
        let json = serde_json::to_string(&plan).unwrap();
        assert!(
            json.contains(r#""window":{"start":"21:00:00","end":"07:59:59"}"#),
            "{json}"
        );
        let back: Plan = serde_json::from_str(&json).unwrap();
        assert_eq!(back.call_list_csv(), plan.call_list_csv());
        let (a, b) = (plan.contact("r4").unwrap(), back.contact("r4").unwrap());
        assert_eq!(b.zone.zones.len(), 11);
        for t in [
            "2026-12-07T07:30:00Z",
            "2026-12-07T19:00:00Z",
            "2026-12-08T07:10:00Z",
        ] {
            assert_eq!(back.may_dial(b, ts(t)), plan.may_dial(a, ts(t)), "{t}");
        }
        let bad = json.replace("Asia/Kamchatka", "Asia/Atlantis");
        assert!(serde_json::from_str::<Plan>(&bad).is_err());
    }

    #[test]
    fn statuses_and_settings_serialise() {
        let json = serde_json::to_value(ContactStatus::Refused {
            code: RefusalCode::DoNotCall,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"status": "refused", "code": "do_not_call"})
        );
        let campaign: Campaign = serde_json::from_value(serde_json::json!({
            "id": "c1", "name": "Заявки", "max_simultaneous": 3, "attempts": 2,
            "hours": {"days": ["08:00-22:00","08:00-22:00","08:00-22:00","08:00-22:00","08:00-22:00", null, null]},
            "calendar": {"days_off": ["2027-01-01"]},
            "voicemail": "message"
        }))
        .unwrap();
        assert_eq!(campaign.validate(), Ok(()));
        assert_eq!(campaign.voicemail, VoicemailPolicy::Message);
        assert!(campaign.calendar.is_off(Date::new(2027, 1, 1).unwrap()));
    }
}
