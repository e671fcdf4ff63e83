//! A campaign desk (`sva-campaign`) over the call-list dialler and Voximplant's stand-in:
//! the campaign becomes one call list of the outbound rule with the contract's CSV; its
//! tasks are worked by the stand-in's dialler; pause, resume and cancel reach the list.

use jiff::Timestamp;
use std::sync::Arc;
use sva_campaign::desk::{Desk, Dialler, Run};
use sva_campaign::plan::Campaign;
use sva_voximplant::standin::{AttemptResult, Report, StandIn};
use sva_voximplant::{CallListDialler, Client, TaskStatus};

/// The columns `sva_campaign::Plan::call_list_csv` writes and the script reads.
const COLUMNS: [&str; 8] = [
    "phone",
    "tenant",
    "campaign",
    "contact",
    "vm",
    "__start_execution_time",
    "__end_execution_time",
    "__start_at",
];

const FILE: &str = "телефон;имя;заявка;согласие;дата согласия\n\
    +7 (916) 123-45-67;Иван;кондиционер;заявка на сайте;2026-11-30\n\
    8 495 111 22 33;Ольга;сканеры;заявка на сайте;2026-11-30\n\
    8 916 000 00 01;Пётр;принтер;;2026-11-30\n\
    8 903 765 43 21;Анна;терминал;звонок в офис;2026-12-01\n";

/// 2026-12-07 09:00 UTC = 12:00 in Moscow (a Monday).
fn noon_moscow() -> Timestamp {
    "2026-12-07T09:00:00Z".parse().unwrap()
}

struct Rig {
    standin: StandIn,
    client: Client,
    rule: u64,
    desk: Desk,
    _dir: tempfile::TempDir,
}

async fn rig() -> Rig {
    let standin = StandIn::start().await.expect("stand-in starts");
    let (client, rule) = standin
        .outbound_rule("sva-demo", "// script")
        .await
        .unwrap();
    standin.set_platform_time(Some(noon_moscow().as_second()));
    standin.expect_columns(Some(&COLUMNS));
    let dir = tempfile::tempdir().unwrap();
    let store: sva_kit::storage::DynStore = Arc::new(sva_kit::storage::LocalDir::new(dir.path()));
    let dialler: Arc<dyn Dialler> = Arc::new(CallListDialler::new(client.clone(), rule));
    Rig {
        standin,
        client,
        rule,
        desk: Desk::new(store, Some(dialler)),
        _dir: dir,
    }
}

async fn create(rig: &Rig, campaign: &Campaign) -> u64 {
    let dnc = |e164: &str| e164 == "+79037654321";
    let summary = rig
        .desk
        .create("demo", campaign, FILE.as_bytes(), dnc, noon_moscow())
        .await
        .expect("created");
    assert_eq!(summary.state.run, Run::Running);
    summary.state.list.expect("a call list")
}

fn status(rig: &Rig, list: u64) -> &'static str {
    rig.standin.state().call_list(list).unwrap().status()
}

#[tokio::test]
async fn a_campaign_becomes_a_call_list_of_the_outbound_rule_and_is_worked() {
    let rig = rig().await;
    let mut campaign = Campaign::new("autumn", "Осень", 2);
    campaign.intervals.busy = 1_200;
    campaign.intervals.no_answer = 600;
    let list = create(&rig, &campaign).await;

    let st = rig.standin.state();
    let l = st.call_list(list).expect("the list");
    assert_eq!(l.name, "Осень [demo:autumn]");
    assert_eq!(l.rule_id, rig.rule);
    assert_eq!(l.max_simultaneous, 2);
    assert_eq!(l.num_attempts, 3);
    assert_eq!(l.interval_seconds, 600, "the shortest interval");
    assert_eq!(l.columns, COLUMNS);
    // Two contacts: one without consent and one on the do-not-call list are refused.
    assert_eq!(l.tasks.len(), 2);
    let first = &l.tasks[0];
    assert_eq!(first.column("phone"), Some("79161234567"));
    assert_eq!(first.column("tenant"), Some("demo"));
    assert_eq!(first.column("campaign"), Some("autumn"));
    assert_eq!(first.column("vm"), Some("hangup"));
    let row: serde_json::Value = serde_json::from_str(&first.custom_data).unwrap();
    assert_eq!(row["contact"], first.column("contact").unwrap());

    // The dialler works it: the first answers, the second never does.
    let start = noon_moscow().as_second();
    let attempts = rig
        .standin
        .simulate(list, start + 4 * 3600, |task, _, _| AttemptResult {
            duration_s: 60,
            report: if task.row == 0 {
                Report::Result("answered".into())
            } else {
                Report::Error("no_answer".into())
            },
        })
        .unwrap();
    assert_eq!(attempts.iter().filter(|a| a.row == 0).count(), 1);
    let second: Vec<i64> = attempts
        .iter()
        .filter(|a| a.row == 1)
        .map(|a| a.at)
        .collect();
    assert_eq!(second.len(), 3, "three attempts");
    assert!(second.windows(2).all(|w| w[1] - w[0] >= 600 + 60));
    let tasks = rig.client.all_call_list_tasks(list).await.unwrap();
    assert_eq!(tasks[0].status, TaskStatus::Processed);
    assert_eq!(tasks[1].status, TaskStatus::Error);
    assert_eq!(status(&rig, list), "Completed");

    // A finished list: pause, resume and cancel have nothing to do and do not fail.
    let now = noon_moscow();
    rig.desk.pause("demo", "autumn", now).await.expect("pause");
    rig.desk
        .resume("demo", "autumn", now)
        .await
        .expect("resume");
    rig.desk
        .cancel("demo", "autumn", now)
        .await
        .expect("cancel");
}

#[tokio::test]
async fn pause_resume_and_cancel_reach_the_list() {
    let rig = rig().await;
    let list = create(&rig, &Campaign::new("winter", "Зима", 1)).await;
    let now = noon_moscow();
    let start = now.as_second();
    // One attempt of the first contact (no answer) under way, then a pause.
    let before = rig
        .standin
        .simulate(list, start + 10, |_, _, _| AttemptResult {
            duration_s: 20,
            report: Report::Error("no_answer".into()),
        })
        .unwrap();
    assert_eq!(before.len(), 1);
    let paused = rig.desk.pause("demo", "winter", now).await.unwrap();
    assert_eq!(paused.state.run, Run::Paused);
    assert_eq!(status(&rig, list), "Canceled");
    // Paused twice at the platform: the desk's second pause is a no-op, but the dialler's
    // own pause of a stopped list is accepted too.
    let dialler = CallListDialler::new(rig.client.clone(), rig.rule);
    dialler
        .pause(list)
        .await
        .expect("a stopped list stays stopped");
    assert!(
        rig.standin
            .simulate(list, start + 7200, |_, _, _| unreachable!("paused"))
            .unwrap()
            .is_empty()
    );
    let resumed = rig.desk.resume("demo", "winter", now).await.unwrap();
    assert_eq!(resumed.state.run, Run::Running);
    assert_eq!(status(&rig, list), "In progress");
    dialler
        .resume(list)
        .await
        .expect("a running list stays running");

    // Cancel: the tasks not finished are cancelled one by one, for good.
    let cancelled = rig.desk.cancel("demo", "winter", now).await.unwrap();
    assert_eq!(cancelled.state.run, Run::Cancelled);
    let tasks = rig.client.all_call_list_tasks(list).await.unwrap();
    assert!(
        tasks.iter().all(|t| t.status == TaskStatus::Canceled),
        "{tasks:?}"
    );
    assert_eq!(rig.client.recover_call_list(list).await.ok(), None);
    assert!(
        rig.standin
            .simulate(list, start + 86_400, |_, _, _| unreachable!("cancelled"))
            .unwrap()
            .is_empty()
    );
    let cancels: Vec<_> = rig
        .standin
        .requests()
        .into_iter()
        .filter(|r| r.method == "CancelCallListTask")
        .collect();
    assert_eq!(cancels.len(), 1);
    assert!(cancels[0].refused.is_none());
}

#[tokio::test]
async fn cancelling_a_paused_campaign_leaves_its_list_stopped() {
    let rig = rig().await;
    let list = create(&rig, &Campaign::new("spring", "Весна", 1)).await;
    let now = noon_moscow();
    rig.desk.pause("demo", "spring", now).await.unwrap();
    rig.desk.cancel("demo", "spring", now).await.unwrap();
    assert_eq!(status(&rig, list), "Canceled");
    let tasks = rig.client.all_call_list_tasks(list).await.unwrap();
    assert!(tasks.iter().all(|t| t.status == TaskStatus::Canceled));
    assert!(
        rig.standin
            .simulate(list, now.as_second() + 86_400, |_, _, _| unreachable!())
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_orphan_list_of_a_failed_create_is_stopped_and_the_new_one_named_apart() {
    let rig = rig().await;
    // A list an earlier create left (its answer lost, the campaign discarded).
    let csv = "phone;tenant;campaign;contact;vm;__start_execution_time;__end_execution_time;__start_at\n\
               79161234567;demo;summer;r2;hangup;06:00:00;17:00:00;0\n";
    let orphan = rig
        .client
        .create_call_list(&sva_voximplant::NewCallList {
            rule_id: rig.rule,
            name: "Лето [demo:summer]".into(),
            priority: 0,
            max_simultaneous: 1,
            num_attempts: 1,
            interval_seconds: 60,
            file_content: csv.into(),
            delimiter: None,
            task_priority_strategy: None,
        })
        .await
        .unwrap()
        .list_id;
    // Another campaign whose id starts alike is not touched.
    let other = rig
        .client
        .create_call_list(&sva_voximplant::NewCallList {
            name: "Лето 2 [demo:summer-2]".into(),
            rule_id: rig.rule,
            priority: 0,
            max_simultaneous: 1,
            num_attempts: 1,
            interval_seconds: 60,
            file_content: csv.into(),
            delimiter: None,
            task_priority_strategy: None,
        })
        .await
        .unwrap()
        .list_id;
    let list = create(&rig, &Campaign::new("summer", "Лето", 1)).await;
    assert_ne!(list, orphan);
    assert_eq!(status(&rig, orphan), "Canceled");
    assert_eq!(status(&rig, other), "In progress");
    assert_eq!(
        rig.standin.state().call_list(list).unwrap().name,
        "Лето [demo:summer#2]"
    );
}

#[tokio::test]
async fn a_failing_dialler_keeps_nothing_and_names_are_cut_to_255() {
    let rig = rig().await;
    // The outbound rule lost its scenario: CreateCallList is refused, the campaign is not kept.
    let kept = rig.standin.edit(|st| {
        let r = st.rules.iter_mut().find(|r| r.id == rig.rule).unwrap();
        std::mem::take(&mut r.scenario_ids)
    });
    let e = rig
        .desk
        .create(
            "demo",
            &Campaign::new("fall", "Осень", 1),
            FILE.as_bytes(),
            |_| false,
            noon_moscow(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "dialler_failed");
    assert!(rig.desk.list("demo").await.unwrap().is_empty());
    rig.standin.edit(|st| {
        st.rules
            .iter_mut()
            .find(|r| r.id == rig.rule)
            .unwrap()
            .scenario_ids = kept;
    });
    // The same id again works now, with a name of 255 characters at most.
    let long = "Ж".repeat(255);
    let list = create(&rig, &Campaign::new("fall", &long, 1)).await;
    let name = rig.standin.state().call_list(list).unwrap().name.clone();
    assert_eq!(name.chars().count(), 255);
    assert!(name.ends_with(" [demo:fall]"), "{name}");
}

/// Number blocks with their real UTC offsets (hours): geographic codes whose subject is
/// known (Kaliningrad, Moscow, Yekaterinburg, Novosibirsk, Vladivostok, Kamchatka), and a
/// code no subject has — the callee could be anywhere in Russia (UTC+2 … UTC+12).
const BLOCKS: &[(&str, &[i64])] = &[
    ("4012", &[2]),
    ("495", &[3]),
    ("343", &[5]),
    ("383", &[7]),
    ("423", &[10]),
    ("4152", &[12]),
    ("300", &[2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
];

#[tokio::test]
async fn a_thousand_row_campaign_is_dialled_only_in_local_hours_and_never_a_listed_number() {
    let rig = rig().await;
    // 1,000 rows: every tenth a bad number, every tenth (+1) a number on the do-not-call
    // list, every tenth (+2) without consent, the rest in seven zones.
    let mut file = String::from("телефон;имя;согласие;дата согласия\n");
    let mut zones = std::collections::HashMap::new();
    let mut listed = std::collections::HashSet::new();
    for i in 0..1000usize {
        let (code, offsets) = BLOCKS[i % BLOCKS.len()];
        let national = format!("{code}{:0width$}", 100_000 + i, width = 10 - code.len());
        let e164 = format!("+7{national}");
        let phone = match i % 10 {
            0 => format!("8 {}", &national[..6]), // too short
            _ if i % 3 == 0 => format!("8 ({}) {}", &national[..3], &national[3..]),
            _ => e164.clone(),
        };
        let consent = if i % 10 == 2 {
            ""
        } else {
            "заявка на сайте"
        };
        if i % 10 == 1 {
            listed.insert(e164.clone());
        }
        zones.insert(national.clone(), offsets);
        file.push_str(&format!("{phone};Клиент {i};{consent};2026-11-30\n"));
    }
    let campaign = Campaign::new("big", "Тысяча", 10);
    let summary = rig
        .desk
        .create(
            "demo",
            &campaign,
            file.as_bytes(),
            |e164| listed.contains(e164),
            noon_moscow(),
        )
        .await
        .expect("created");
    // Every row accounted for, each refusal with its reason.
    let refused: usize = summary.refused.values().sum();
    assert_eq!(summary.rows, 1000);
    assert_eq!(summary.contacts + refused, 1000);
    assert_eq!(summary.refused["invalid_number"], 100);
    assert_eq!(summary.refused["do_not_call"], 100);
    assert_eq!(summary.refused["no_consent"], 100);
    let list = summary.state.list.expect("a call list");

    // A week of the platform's dialling: answered, busy or never answering by row.
    let start = noon_moscow().as_second();
    let attempts = rig
        .standin
        .simulate(list, start + 7 * 86_400, |task, _, _| AttemptResult {
            duration_s: 90,
            report: match task.row % 3 {
                0 => Report::Result("answered".into()),
                1 => Report::Error("busy".into()),
                _ => Report::Error("no_answer".into()),
            },
        })
        .unwrap();
    let st = rig.standin.state();
    let tasks = &st.call_list(list).unwrap().tasks;
    assert_eq!(tasks.len(), summary.contacts, "every contact is a task");
    let mut dialled = std::collections::HashSet::new();
    for a in &attempts {
        let phone = tasks[a.row].column("phone").unwrap().to_owned();
        let national = &phone[1..];
        assert!(
            !listed.contains(&format!("+{phone}")),
            "a listed number dialled"
        );
        // 09:00–20:00 local, in every zone the callee may be in.
        for offset in zones[national] {
            let minute = (a.at + offset * 3600).rem_euclid(86_400) / 60;
            assert!(
                (9 * 60..20 * 60).contains(&minute),
                "{phone} called at {}:{:02} local (UTC{offset:+})",
                minute / 60,
                minute % 60
            );
        }
        dialled.insert(a.row);
    }
    assert_eq!(
        dialled.len(),
        tasks.len(),
        "every contact was tried within the week"
    );
}
