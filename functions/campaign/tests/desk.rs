//! Campaigns kept and run over a real object store (a local directory): built once,
//! handed to the dialler, paused, resumed and cancelled; what a call may do at its start
//! (do-not-call, hours, the run, a contact already done) and what its end records.

use async_trait::async_trait;
use jiff::Timestamp;
use std::sync::{Arc, Mutex};
use sva_campaign::desk::{Desk, Dialler, DiallerError, Gate, Run};
use sva_campaign::plan::{Campaign, ContactStatus, VoicemailPolicy};
use sva_wire::outbound::DialRefusal;

/// The dialler is our own seam (Voximplant's call lists behind it are tested in
/// `sva-voximplant`): this one records what it was asked and can be made to fail.
#[derive(Default)]
struct Recorder {
    asked: Mutex<Vec<String>>,
    fail: bool,
}

#[async_trait]
impl Dialler for Recorder {
    async fn create(&self, plan: &sva_campaign::Plan) -> Result<u64, DiallerError> {
        if self.fail {
            return Err(DiallerError("Voximplant: 401".into()));
        }
        self.asked.lock().unwrap().push(plan.call_list_csv());
        Ok(77)
    }
    async fn pause(&self, list: u64) -> Result<(), DiallerError> {
        self.asked.lock().unwrap().push(format!("pause {list}"));
        Ok(())
    }
    async fn resume(&self, list: u64) -> Result<(), DiallerError> {
        self.asked.lock().unwrap().push(format!("resume {list}"));
        Ok(())
    }
    async fn cancel(&self, list: u64) -> Result<(), DiallerError> {
        self.asked.lock().unwrap().push(format!("cancel {list}"));
        Ok(())
    }
}

const FILE: &str = "телефон;имя;заявка;согласие;дата согласия\n\
    +7 (916) 123-45-67;Иван;кондиционер;заявка на сайте;2026-11-30\n\
    8 495 111 22 33;Ольга;сканеры;заявка на сайте;2026-11-30\n\
    8 916 000 00 01;Пётр;принтер;;2026-11-30\n\
    8 903 765 43 21;Анна;терминал;звонок в офис;2026-12-01\n";

/// 2026-12-07 09:00 UTC = 12:00 in Moscow (a Monday).
fn noon_moscow() -> Timestamp {
    "2026-12-07T09:00:00Z".parse().unwrap()
}

fn campaign(id: &str) -> Campaign {
    Campaign::new(id, "Осень", 2)
}

fn desk(dialler: Option<Arc<Recorder>>) -> (tempfile::TempDir, Desk) {
    let dir = tempfile::tempdir().unwrap();
    let store: sva_kit::storage::DynStore = Arc::new(sva_kit::storage::LocalDir::new(dir.path()));
    let dialler = dialler.map(|d| d as Arc<dyn Dialler>);
    (dir, Desk::new(store, dialler))
}

#[tokio::test]
async fn a_campaign_is_built_kept_handed_to_the_dialler_and_run() {
    let recorder = Arc::new(Recorder::default());
    let (_dir, desk) = desk(Some(Arc::clone(&recorder)));
    let dnc = |e164: &str| e164 == "+79037654321";
    let now = noon_moscow();
    let summary = desk
        .create("demo", &campaign("autumn"), FILE.as_bytes(), dnc, now)
        .await
        .unwrap();
    assert_eq!((summary.rows, summary.contacts), (4, 2));
    assert_eq!(summary.refused.get("no_consent"), Some(&1));
    assert_eq!(summary.refused.get("do_not_call"), Some(&1));
    assert_eq!(summary.state.run, Run::Running);
    assert_eq!(summary.state.list, Some(77));
    let csv = recorder.asked.lock().unwrap()[0].clone();
    assert!(csv.contains("79161234567;demo;autumn;r2;hangup;"), "{csv}");
    assert!(
        !csv.contains("79037654321"),
        "no do-not-call number in the list"
    );

    // The same id again is refused; the first campaign is untouched.
    let again = desk
        .create("demo", &campaign("autumn"), FILE.as_bytes(), dnc, now)
        .await
        .unwrap_err();
    assert_eq!(again.code(), "campaign_exists");

    // At call start: dial within hours, with the scenario's data for the call; not
    // outside hours.
    let gate = desk.gate("demo", "autumn", "r2", now).await.unwrap();
    let Gate::Dial {
        voicemail,
        attempts,
        contact: data,
    } = gate
    else {
        panic!("{gate:?}")
    };
    assert_eq!((voicemail, attempts), (VoicemailPolicy::Hangup, 3));
    // Outside hours: when to try again, and the attempts the campaign still gives (its 3
    // less the call let through above: the call list also took this one, which dialled
    // no one). A callback the contact asked for renews them.
    let night: Timestamp = "2026-12-07T20:00:00Z".parse().unwrap(); // 23:00 in Moscow
    let deferred = |gate: Gate| match gate {
        Gate::Skip {
            reason: DialRefusal::OutsideWindow,
            retry_at: Some(at),
            attempts_left: Some(left),
        } => {
            assert_eq!(at, "2026-12-08T06:00:00Z".parse().unwrap(), "09:00 Moscow");
            left
        }
        other => panic!("{other:?}"),
    };
    let gate = desk.gate("demo", "autumn", "r2", night).await.unwrap();
    assert_eq!(deferred(gate), 2);
    desk.renew_attempts("demo", "autumn", "r2", now)
        .await
        .unwrap();
    let gate = desk.gate("demo", "autumn", "r2", night).await.unwrap();
    assert_eq!(deferred(gate), 3);
    let unknown = desk.gate("demo", "autumn", "r99", now).await.unwrap();
    assert!(matches!(
        unknown,
        Gate::Skip {
            reason: DialRefusal::Unknown,
            ..
        }
    ));
    let other_tenant = desk.gate("acme", "autumn", "r2", now).await.unwrap();
    assert!(
        matches!(
            other_tenant,
            Gate::Skip {
                reason: DialRefusal::Unknown,
                ..
            }
        ),
        "another tenant's campaign is not found"
    );

    // The scenario's data for the call.
    assert_eq!(data["contact_name"], "Иван");
    assert_eq!(data["request"], "кондиционер");
    assert_eq!(data["consent_source"], "заявка на сайте");
    assert_eq!(data["consent_date"], "2026-11-30");

    // A call ends: recorded once however often the end is reported; a done contact is
    // not called again.
    for _ in 0..2 {
        let done = ContactStatus::Done {
            outcome: "qualified".into(),
        };
        assert!(
            desk.record("demo", "autumn", "r2", "c-1", done, now)
                .await
                .unwrap()
        );
    }
    let gate = desk.gate("demo", "autumn", "r2", now).await.unwrap();
    assert!(matches!(
        gate,
        Gate::Skip {
            reason: DialRefusal::Done,
            ..
        }
    ));
    let (contacts, refusals) = desk.contacts("demo", "autumn").await.unwrap();
    assert_eq!(contacts[0].attempts, 1);
    assert_eq!(contacts[0].calls, ["c-1"]);
    assert_eq!(refusals.len(), 2);
    assert!(
        !desk
            .record("demo", "autumn", "r99", "c-2", ContactStatus::Queued, now)
            .await
            .unwrap()
    );

    // Pause, resume, cancel: the dialler is told, calls are gated, the rest cancelled.
    desk.pause("demo", "autumn", now).await.unwrap();
    let gate = desk.gate("demo", "autumn", "r3", now).await.unwrap();
    assert!(matches!(
        gate,
        Gate::Skip {
            reason: DialRefusal::Stopped,
            ..
        }
    ));
    desk.resume("demo", "autumn", now).await.unwrap();
    let cancelled = desk.cancel("demo", "autumn", now).await.unwrap();
    assert_eq!(cancelled.statuses.get("cancelled"), Some(&1));
    assert_eq!(cancelled.statuses.get("done"), Some(&1));
    let resumed = desk.resume("demo", "autumn", now).await.unwrap_err();
    assert_eq!(resumed.code(), "campaign_state");
    assert_eq!(
        recorder.asked.lock().unwrap()[1..],
        ["pause 77", "resume 77", "cancel 77"]
    );
    assert_eq!(desk.list("demo").await.unwrap().len(), 1);
    assert!(desk.list("acme").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_dialler_failure_keeps_nothing_and_no_dialler_keeps_the_campaign_built() {
    let failing = Arc::new(Recorder {
        fail: true,
        ..Recorder::default()
    });
    let (_dir, desk) = desk(Some(failing));
    let err = desk
        .create(
            "demo",
            &campaign("x"),
            FILE.as_bytes(),
            |_| false,
            noon_moscow(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "dialler_failed");
    assert!(
        desk.list("demo").await.unwrap().is_empty(),
        "nothing half-made"
    );

    let (_dir, desk) = desk_without_dialler();
    let built = desk
        .create(
            "demo",
            &campaign("x"),
            FILE.as_bytes(),
            |_| false,
            noon_moscow(),
        )
        .await
        .unwrap();
    assert_eq!(built.state.run, Run::Built);
    let gate = desk.gate("demo", "x", "r2", noon_moscow()).await.unwrap();
    assert!(matches!(
        gate,
        Gate::Skip {
            reason: DialRefusal::Stopped,
            ..
        }
    ));
    // Settings out of Voximplant's limits are refused before anything is read.
    let mut bad = campaign("y");
    bad.attempts = 9;
    let err = desk
        .create("demo", &bad, FILE.as_bytes(), |_| false, noon_moscow())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "attempts");
}

fn desk_without_dialler() -> (tempfile::TempDir, Desk) {
    desk(None)
}
