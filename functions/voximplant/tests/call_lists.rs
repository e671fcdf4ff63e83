//! Call lists: the client against the stand-in for every method and its refusals, and the
//! stand-in's dialler (windows across UTC midnight, retries, requestNextAttempt, a silent
//! task, pause/resume, cancel, max_simultaneous).

use sva_voximplant::standin::{AttemptResult, DialAttempt, NextAttempt, StandIn, TestKey, Window};
use sva_voximplant::{
    CallListCsv, CallListUpdate, Client, Error, NewCallList, Params, TaskRefs, TaskStatus,
};

/// 2027-01-11 00:00:00 UTC.
const DAY0: i64 = 1_799_625_600;
const H: i64 = 3600;

struct Setup {
    standin: StandIn,
    client: Client,
    rule_id: u64,
}

async fn setup() -> Setup {
    let standin = StandIn::start().await.unwrap();
    let client = Client::new(
        &TestKey::primary().service_account_key(),
        &standin.client_config(),
    )
    .unwrap();
    let app = client.add_application("sva-acme").await.unwrap();
    let scenario = client
        .add_scenario(app.application_id, "sva-sales-assistant", "// script")
        .await
        .unwrap();
    let rule_id = client
        .add_rule(app.application_id, "sva-outbound", ".*", &[scenario])
        .await
        .unwrap();
    // The campaign starts at 20:00 UTC.
    standin.set_platform_time(Some(DAY0 + 20 * H));
    standin.clear_requests();
    Setup {
        standin,
        client,
        rule_id,
    }
}

fn api_code(e: &Error) -> i64 {
    e.api_code()
        .unwrap_or_else(|| panic!("not an API error: {e:?}"))
}

/// The columns `sva_campaign::Plan::call_list_csv` writes (phone, tenant, campaign,
/// contact, vm, the window), with a task uuid.
fn csv(rows: &[(&str, &str, &str, &str)]) -> String {
    let mut csv = CallListCsv::new(&[
        "phone",
        "tenant",
        "campaign",
        "contact",
        "vm",
        "__start_execution_time",
        "__end_execution_time",
        "__task_uuid",
    ])
    .unwrap();
    for (phone, start, end, uuid) in rows {
        csv.push(&[*phone, "acme", "c1", uuid, "hangup", start, end, uuid])
            .unwrap();
    }
    csv.to_csv()
}

fn new_list(rule_id: u64, name: &str, file: String) -> NewCallList {
    NewCallList {
        rule_id,
        name: name.into(),
        priority: 0,
        max_simultaneous: 10,
        num_attempts: 3,
        interval_seconds: 3600,
        file_content: file,
        delimiter: None,
        task_priority_strategy: None,
    }
}

/// Whether a dial at `t` is inside the daily window `start..end` (`HH:mm:ss`, UTC): written
/// here from the guide's rule, independently of the stand-in's `Window`.
fn inside(t: i64, start: &str, end: &str) -> bool {
    let secs = |v: &str| -> i64 {
        let p: Vec<i64> = v.split(':').map(|x| x.parse().unwrap()).collect();
        p[0] * 3600 + p[1] * 60 + p[2]
    };
    let (s, e, tod) = (secs(start), secs(end), t.rem_euclid(86_400));
    if s < e {
        s <= tod && tod < e
    } else {
        tod >= s || tod < e
    }
}

#[tokio::test]
async fn create_append_edit_and_read_back() {
    let s = setup().await;
    let file = csv(&[
        ("79161234567", "06:00:00", "17:00:00", "t-1"),
        ("79161234568", "19:00:00", "05:00:00", "t-2"),
        ("79161234569", "09:00:00", "18:00:00", "t-3"),
    ]);
    let created = s
        .client
        .create_call_list(&new_list(s.rule_id, "acme-c1", file))
        .await
        .unwrap();
    assert_eq!(created.count, 3);
    assert!(!created.batch_id.is_empty());
    let sent = s.standin.requests();
    assert_eq!(sent.last().unwrap().method, "CreateCallList");
    assert!(sent.last().unwrap().refused.is_none());

    let tasks = s.client.all_call_list_tasks(created.list_id).await.unwrap();
    assert_eq!(tasks.len(), 3);
    let t2 = &tasks[1];
    assert_eq!(t2.task_uuid.as_deref(), Some("t-2"));
    assert_eq!(t2.status, TaskStatus::New);
    assert_eq!(t2.status_name, "New");
    assert_eq!(t2.attempts_left, 3);
    assert_eq!(t2.start_execution_time.as_deref(), Some("19:00:00"));
    assert_eq!(t2.finish_execution_time.as_deref(), Some("05:00:00"));
    assert!(t2.last_attempt.is_none() && t2.result_data.is_none());
    let data: serde_json::Value = serde_json::from_str(&t2.custom_data).unwrap();
    assert_eq!(data["phone"], "79161234568");
    assert_eq!(data["contact"], "t-2");

    let appended = s
        .client
        .append_to_call_list(
            created.list_id,
            &csv(&[
                ("79161234570", "09:00:00", "18:00:00", "t-4"),
                ("79161234571", "09:00:00", "18:00:00", "t-5"),
            ]),
            None,
        )
        .await
        .unwrap();
    assert_eq!((appended.list_id, appended.count), (created.list_id, 2));
    assert_ne!(appended.batch_id, created.batch_id);
    assert_eq!(
        s.client
            .all_call_list_tasks(created.list_id)
            .await
            .unwrap()
            .len(),
        5
    );
    // A page of two from the fourth.
    let page = s
        .client
        .get_call_list_details(created.list_id, 2, 3)
        .await
        .unwrap();
    let uuids: Vec<_> = page.iter().map(|t| t.task_uuid.clone().unwrap()).collect();
    assert_eq!(uuids, ["t-4", "t-5"]);

    s.client
        .edit_call_list(
            created.list_id,
            &CallListUpdate {
                name: Some("acme-c1-renamed".into()),
                max_simultaneous: Some(2),
                num_attempts: Some(5),
                interval_seconds: Some(600),
                ..CallListUpdate::default()
            },
        )
        .await
        .unwrap();
    let lists = s.client.get_call_lists(&[], None, 0).await.unwrap();
    assert_eq!(lists.total_count, 1);
    let l = &lists.result[0];
    assert_eq!(l.list_id, created.list_id);
    assert_eq!(l.list_name, "acme-c1-renamed");
    assert_eq!(
        (l.max_simultaneous, l.num_attempts, l.interval_seconds),
        (2, 5, 600)
    );
    assert_eq!(l.rule_id, s.rule_id);
    assert_eq!(l.status, "In progress");
    assert_eq!(l.dt_submit, "2027-01-11 20:00:00");
    assert!(l.dt_complete.is_none());
    // Tasks never attempted take the new number of attempts.
    let tasks = s.client.all_call_list_tasks(created.list_id).await.unwrap();
    assert!(tasks.iter().all(|t| t.attempts_left == 5));
    // Filters.
    assert_eq!(
        s.client
            .get_call_lists(&[created.list_id + 999], None, 0)
            .await
            .unwrap()
            .total_count,
        0
    );
    assert_eq!(
        s.client
            .get_call_lists(&[], Some("renamed"), 0)
            .await
            .unwrap()
            .total_count,
        1
    );
}

#[tokio::test]
async fn the_client_refuses_what_the_reference_forbids_before_sending() {
    let s = setup().await;
    let ok = csv(&[("79161234567", "06:00:00", "17:00:00", "t-1")]);
    let mut bad = Vec::new();
    for (num_attempts, max_simultaneous, name, file) in [
        (0, 1, "x", ok.clone()),
        (6, 1, "x", ok.clone()),
        (3, 0, "x", ok.clone()),
        (3, 1, "a/b", ok.clone()),
        (3, 1, "a\\b", ok.clone()),
        (3, 1, "", ok.clone()),
        (3, 1, "x", " \n".to_owned()),
    ] {
        let mut l = new_list(s.rule_id, name, file);
        l.num_attempts = num_attempts;
        l.max_simultaneous = max_simultaneous;
        bad.push(s.client.create_call_list(&l).await.unwrap_err());
    }
    let mut l = new_list(s.rule_id, &"n".repeat(256), ok.clone());
    l.priority = 1;
    bad.push(s.client.create_call_list(&l).await.unwrap_err());
    let mut l = new_list(s.rule_id, "x", ok.clone());
    l.priority = (1 << 31) + 1;
    bad.push(s.client.create_call_list(&l).await.unwrap_err());
    let mut l = new_list(s.rule_id, "x", ok);
    l.delimiter = Some('"');
    bad.push(s.client.create_call_list(&l).await.unwrap_err());
    bad.push(
        s.client
            .edit_call_list(1, &CallListUpdate::default())
            .await
            .unwrap_err(),
    );
    bad.push(
        s.client
            .edit_call_list(
                1,
                &CallListUpdate {
                    num_attempts: Some(6),
                    ..CallListUpdate::default()
                },
            )
            .await
            .unwrap_err(),
    );
    bad.push(
        s.client
            .cancel_call_list_task(1, TaskRefs::Ids(&[]))
            .await
            .unwrap_err(),
    );
    let many: Vec<u64> = (1..=1001).collect();
    bad.push(
        s.client
            .cancel_call_list_task(1, TaskRefs::Ids(&many))
            .await
            .unwrap_err(),
    );
    bad.push(
        s.client
            .cancel_call_list_task(1, TaskRefs::Uuids(&["not a uuid"]))
            .await
            .unwrap_err(),
    );
    bad.push(
        s.client
            .get_call_list_details(1, 1001, 0)
            .await
            .unwrap_err(),
    );
    for e in &bad {
        assert_eq!(e.code(), "voximplant_invalid_input", "{e}");
    }
    assert!(s.standin.requests().is_empty(), "nothing was sent");
}

/// Sends CreateCallList over a valid default set of parameters, `extra` replacing or
/// adding some, through the client's transport (token and form right), and returns the
/// refusal.
async fn create_raw(s: &Setup, extra: &[(&str, &str)], file: &str) -> Error {
    let mut fields: Vec<(String, String)> = vec![
        ("rule_id".into(), s.rule_id.to_string()),
        ("priority".into(), "0".into()),
        ("max_simultaneous".into(), "1".into()),
        ("num_attempts".into(), "1".into()),
        (
            "name".into(),
            format!("list-{}", s.standin.requests().len()),
        ),
        ("file_content".into(), file.to_owned()),
    ];
    for (k, v) in extra {
        fields.retain(|(name, _)| name != k);
        fields.push(((*k).to_owned(), (*v).to_owned()));
    }
    let p = fields
        .into_iter()
        .fold(Params::new(), |p, (k, v)| p.text(&k, v));
    s.client
        .call_value("CreateCallList", &p)
        .await
        .expect_err("refused")
}

#[tokio::test]
async fn the_stand_in_refuses_what_the_reference_refuses() {
    let s = setup().await;
    let good = "phone;__start_execution_time;__end_execution_time\n79161234567;06:00:00;17:00:00\n";
    // Files.
    let files = [
        ("phone\n", "a header and no rows"),
        ("", "empty"),
        (
            "phone;__start_execution_time\n7916;06:00:00\n",
            "window columns go together",
        ),
        (
            "phone;__start_execution_time;__end_execution_time\n7916;6:00:00;17:00:00\n",
            "HH:mm:ss",
        ),
        (
            "phone;__start_execution_time;__end_execution_time\n7916;06:00:00;24:00:00\n",
            "hour 24",
        ),
        (
            "phone;__start_execution_time;__end_execution_time\n7916;06:00:00;06:00:00\n",
            "empty window",
        ),
        (
            "phone;__start_execution_time;__end_execution_time\n7916;;\n",
            "no window values",
        ),
        ("phone;__start_at\n7916;tomorrow\n", "__start_at"),
        ("phone;__start_at\n7916;-5\n", "negative __start_at"),
        ("phone;__task_uuid\n7916;a b\n", "uuid charset"),
        ("phone;__task_uuid\n7916;x\n7917;x\n", "uuid repeated"),
        (
            &format!("phone;__task_uuid\n7916;{}\n", "u".repeat(41)),
            "uuid too long",
        ),
        ("phone;__priority\n7916;1\n", "unknown __ column"),
        ("phone;task_priority\n7916;1\n", "unmodelled column"),
        ("phone;call_schedule\n7916;[]\n", "unmodelled column"),
        (
            "phone;next_attempt_time\n7916;2027-01-01T00:00:00+03:00\n",
            "unmodelled column",
        ),
        ("phone;phone\n7916;7917\n", "repeated column"),
        ("phone; vm\n7916;x\n", "spaces in a name"),
        ("phone;;vm\n7916;;x\n", "empty name"),
        ("phone;vm\n7916\n", "short row"),
        ("phone;vm\n7916;x;y\n", "long row"),
    ];
    for (file, why) in &files {
        let e = create_raw(&s, &[], file).await;
        assert_eq!(api_code(&e), 101, "{why}: {e}");
    }
    // Parameters.
    let params: [(&[(&str, &str)], i64); 13] = [
        (&[("num_attempts", "0")], 101),
        (&[("num_attempts", "6")], 101),
        (&[("max_simultaneous", "0")], 101),
        (&[("priority", "2147483649")], 101),
        (&[("name", "a/b")], 101),
        (&[("rule_id", "999999")], 101),
        (&[("encoding", "cp1251")], 101),
        (&[("delimiter", ";;")], 101),
        (&[("escape", "\\")], 101),
        (&[("task_priority_strategy", "random")], 101),
        (&[("server_location", "ru")], 101),
        (&[("interval_seconds", "-1")], 101),
        (&[("unknown", "1")], 101),
    ];
    for (extra, code) in params {
        let e = create_raw(&s, extra, good).await;
        assert_eq!(api_code(&e), code, "{extra:?}: {e}");
    }
    // The file in another delimiter, declared, is taken.
    s.client
        .call_value(
            "CreateCallList",
            &Params::new()
                .num("rule_id", s.rule_id)
                .text("priority", "0")
                .text("max_simultaneous", "1")
                .text("num_attempts", "1")
                .text("name", "comma")
                .text("delimiter", ",")
                .text("file_content", "phone,vm\n79161234567,\"a,b\"\n"),
        )
        .await
        .unwrap();
    // A duplicate name.
    let e = create_raw(&s, &[("name", "comma")], good).await;
    assert_eq!(api_code(&e), 101);
    // A rule without a scenario.
    let app = s.client.find_applications("sva-acme").await.unwrap()[0].application_id;
    let bound = s.standin.edit(|st| {
        let r = st
            .rules
            .iter_mut()
            .find(|r| r.application_id == app)
            .unwrap();
        std::mem::take(&mut r.scenario_ids)
    });
    let e = create_raw(&s, &[("name", "no-scenario")], good).await;
    assert_eq!(api_code(&e), 101);
    s.standin.edit(|st| {
        st.rules
            .iter_mut()
            .find(|r| r.application_id == app)
            .unwrap()
            .scenario_ids = bound;
    });
    // Nothing refused was stored: one list (the comma one).
    assert_eq!(s.standin.state().call_lists.len(), 1);
    let list_id = s.standin.state().call_lists[0].id;

    // Unknown lists: 251 (documented for EditCallList), in every method.
    let missing = list_id + 1000;
    let errors = [
        s.client
            .append_to_call_list(missing, "phone\n7916\n", None)
            .await
            .unwrap_err(),
        s.client
            .edit_call_list(
                missing,
                &CallListUpdate {
                    priority: Some(1),
                    ..CallListUpdate::default()
                },
            )
            .await
            .unwrap_err(),
        s.client
            .cancel_call_list_task(missing, TaskRefs::Ids(&[1]))
            .await
            .unwrap_err(),
        s.client
            .stop_call_list_processing(missing)
            .await
            .unwrap_err(),
        s.client.recover_call_list(missing).await.unwrap_err(),
        s.client
            .get_call_list_details(missing, 10, 0)
            .await
            .unwrap_err(),
    ];
    for e in &errors {
        assert_eq!(api_code(e), 251, "{e}");
    }
    // Appending: the same rules, the list's own columns, and a uuid already in the list.
    let uuids = s
        .client
        .create_call_list(&new_list(
            s.rule_id,
            "uuids",
            "phone;__task_uuid\n7916;u-1\n".into(),
        ))
        .await
        .unwrap()
        .list_id;
    for file in [
        "phone;__task_uuid\n7917;u-1\n",
        "phone;__task_uuid;__x\n7917;u-2;1\n",
        "phone;__task_uuid;vm\n7917;u-2;x\n",
        "phone;__task_uuid\n",
    ] {
        let e = s
            .client
            .append_to_call_list(uuids, file, None)
            .await
            .unwrap_err();
        assert_eq!(api_code(&e), 101, "{file}: {e}");
    }
    s.client
        .append_to_call_list(uuids, "phone;__task_uuid\n7917;u-2\n", None)
        .await
        .unwrap();
    // Details only as JSON; count 1..1000.
    for extra in [
        vec![("output", "csv")],
        vec![],
        vec![("output", "json"), ("count", "1001")],
        vec![("output", "json"), ("batch_id", "nope")],
    ] {
        let mut p = Params::new().num("list_id", list_id);
        for (k, v) in &extra {
            p = p.text(k, *v);
        }
        let e = s
            .client
            .call_value("GetCallListDetails", &p)
            .await
            .unwrap_err();
        assert_eq!(api_code(&e), 101, "{extra:?}: {e}");
    }
    // CancelCallListTask: account_id required and this account's; one of ids/uuids.
    for p in [
        Params::new().num("list_id", list_id).text("tasks_ids", "1"),
        Params::new()
            .num("account_id", 1)
            .num("list_id", list_id)
            .text("tasks_ids", "1"),
        Params::new()
            .num("account_id", s.client.account_id())
            .num("list_id", list_id),
        Params::new()
            .num("account_id", s.client.account_id())
            .num("list_id", list_id)
            .text("tasks_ids", "1")
            .text("tasks_uuids", "u-1"),
    ] {
        let e = s
            .client
            .call_value("CancelCallListTask", &p)
            .await
            .unwrap_err();
        assert_eq!(api_code(&e), 101, "{e}");
    }
    // A task id not in the list.
    let e = s
        .client
        .cancel_call_list_task(list_id, TaskRefs::Ids(&[1]))
        .await
        .unwrap_err();
    assert_eq!(api_code(&e), 101);
    // Recovering a list that is not stopped; stopping twice.
    assert_eq!(
        api_code(&s.client.recover_call_list(list_id).await.unwrap_err()),
        101
    );
    s.client.stop_call_list_processing(list_id).await.unwrap();
    assert_eq!(
        api_code(
            &s.client
                .stop_call_list_processing(list_id)
                .await
                .unwrap_err()
        ),
        101
    );
    // Every refusal is recorded with its reason.
    let refused = s
        .standin
        .requests()
        .into_iter()
        .filter(|r| r.refused.is_some())
        .count();
    assert!(refused >= files.len() + 13, "{refused}");
}

#[tokio::test]
async fn cancel_stop_and_recover_through_the_client() {
    let s = setup().await;
    let created = s
        .client
        .create_call_list(&new_list(
            s.rule_id,
            "acme-c2",
            csv(&[
                ("79161234567", "06:00:00", "17:00:00", "t-1"),
                ("79161234568", "06:00:00", "17:00:00", "t-2"),
                ("79161234569", "06:00:00", "17:00:00", "t-3"),
                ("79161234560", "06:00:00", "17:00:00", "t-4"),
            ]),
        ))
        .await
        .unwrap();
    let tasks = s.client.all_call_list_tasks(created.list_id).await.unwrap();
    let out = s
        .client
        .cancel_call_list_task(created.list_id, TaskRefs::Ids(&[tasks[0].task_id]))
        .await
        .unwrap();
    assert!(out.result && out.error_msg.is_none());
    let out = s
        .client
        .cancel_call_list_task(created.list_id, TaskRefs::Uuids(&["t-2"]))
        .await
        .unwrap();
    assert!(out.result);
    // Cancelling a finished task again: result false with the reason, nothing changed.
    let out = s
        .client
        .cancel_call_list_task(created.list_id, TaskRefs::Uuids(&["t-2", "t-3"]))
        .await
        .unwrap();
    assert!(!out.result);
    assert!(out.error_msg.is_some());
    let statuses: Vec<_> = s
        .client
        .all_call_list_tasks(created.list_id)
        .await
        .unwrap()
        .iter()
        .map(|t| t.status)
        .collect();
    assert_eq!(
        statuses,
        [
            TaskStatus::Canceled,
            TaskStatus::Canceled,
            TaskStatus::New,
            TaskStatus::New
        ]
    );
    // Stop: the waiting tasks are cancelled, the list "Canceled"; recover restores them
    // (not the two cancelled one by one).
    s.client
        .stop_call_list_processing(created.list_id)
        .await
        .unwrap();
    let l = s
        .client
        .get_call_lists(&[created.list_id], None, 0)
        .await
        .unwrap();
    assert_eq!(l.result[0].status, "Canceled");
    let tasks = s.client.all_call_list_tasks(created.list_id).await.unwrap();
    assert!(tasks.iter().all(|t| t.status == TaskStatus::Canceled));
    assert_eq!(
        s.client.recover_call_list(created.list_id).await.unwrap(),
        2
    );
    let tasks = s.client.all_call_list_tasks(created.list_id).await.unwrap();
    let statuses: Vec<_> = tasks.iter().map(|t| t.status).collect();
    assert_eq!(
        statuses,
        [
            TaskStatus::Canceled,
            TaskStatus::Canceled,
            TaskStatus::New,
            TaskStatus::New
        ]
    );
    let l = s
        .client
        .get_call_lists(&[created.list_id], None, 0)
        .await
        .unwrap();
    assert_eq!(l.result[0].status, "In progress");
}

/// Creates a list from raw CSV with these settings; returns its id.
async fn list_of(
    s: &Setup,
    name: &str,
    file: &str,
    attempts: u32,
    interval: u32,
    simultaneous: u32,
) -> u64 {
    let mut l = new_list(s.rule_id, name, file.to_owned());
    l.num_attempts = attempts;
    l.interval_seconds = interval;
    l.max_simultaneous = simultaneous;
    s.client.create_call_list(&l).await.unwrap().list_id
}

#[tokio::test]
async fn no_attempt_falls_outside_a_window_even_across_utc_midnight() {
    let s = setup().await;
    let file = "phone;__start_execution_time;__end_execution_time\n\
                79160000001;22:00:00;02:00:00\n\
                79160000002;06:00:00;09:00:00\n\
                79160000003;23:30:00;00:30:00\n\
                79160000004;00:00:00;23:59:59\n";
    let list = list_of(&s, "windows", file, 5, 2 * 3600, 10).await;
    let log = s
        .standin
        .simulate(list, DAY0 + 6 * 86_400, |_, _, _| {
            AttemptResult::error(90, "no answer")
        })
        .unwrap();
    let windows = [
        ("22:00:00", "02:00:00"),
        ("06:00:00", "09:00:00"),
        ("23:30:00", "00:30:00"),
        ("00:00:00", "23:59:59"),
    ];
    for a in &log {
        let (st, en) = windows[a.row];
        assert!(
            inside(a.at, st, en),
            "row {} dialled at {} outside {st}..{en}",
            a.row,
            a.at
        );
    }
    // Each row used its five attempts.
    for row in 0..4 {
        assert_eq!(log.iter().filter(|a| a.row == row).count(), 5, "row {row}");
    }
    // The wrapping window: 22:00, then 00:01:30 (after midnight); 02:03 is closed, so the
    // third attempt waits for 22:00 the next day.
    let row0: Vec<i64> = log.iter().filter(|a| a.row == 0).map(|a| a.at).collect();
    assert_eq!(
        row0,
        [
            DAY0 + 22 * H,
            DAY0 + 24 * H + 90, // 00:01:30: the first attempt's 90 s, then 2 h
            DAY0 + 86_400 + 22 * H,
            DAY0 + 86_400 + 24 * H + 90,
            DAY0 + 2 * 86_400 + 22 * H,
        ]
    );
    // The first attempt of the all-day row starts at once (20:00).
    assert_eq!(log.iter().find(|a| a.row == 3).unwrap().at, DAY0 + 20 * H);
    // The 23:30..00:30 window: attempts 2 h apart never fit in one night.
    let row2: Vec<i64> = log.iter().filter(|a| a.row == 2).map(|a| a.at).collect();
    assert_eq!(row2[0], DAY0 + 23 * H + 1800);
    assert!(row2.windows(2).all(|w| w[1] - w[0] >= 2 * H));
    // Details: all five attempts used, "Error" with the last report.
    let tasks = s.client.all_call_list_tasks(list).await.unwrap();
    for t in &tasks {
        assert_eq!(t.status, TaskStatus::Error);
        assert_eq!(t.attempts_left, 0);
        assert_eq!(t.result_data.as_deref(), Some("no answer"));
        assert!(t.last_attempt.is_some());
    }
    let l = s.client.get_call_lists(&[list], None, 0).await.unwrap();
    assert_eq!(l.result[0].status, "Completed");
    assert!(l.result[0].dt_complete.is_some());
}

#[tokio::test]
async fn retries_follow_the_interval_and_a_result_ends_the_task() {
    let s = setup().await;
    let file = "phone;__task_uuid\n79160000001;a\n79160000002;b\n79160000003;c\n";
    let list = list_of(&s, "retries", file, 3, 600, 10).await;
    let log = s
        .standin
        .simulate(list, DAY0 + 86_400, |task, attempt, _| {
            match (task.uuid.as_deref(), attempt) {
                // a: busy, busy, then answered.
                (Some("a"), 1 | 2) => AttemptResult::error(30, "busy"),
                (Some("a"), _) => AttemptResult::result(200, r#"{"outcome":"qualified"}"#),
                // b: the script reports nothing: success after one attempt.
                (Some("b"), _) => AttemptResult::silent(60),
                // c: fails every time.
                _ => AttemptResult::error(10, "failed"),
            }
        })
        .unwrap();
    let at =
        |uuid: usize| -> Vec<i64> { log.iter().filter(|a| a.row == uuid).map(|a| a.at).collect() };
    let t0 = DAY0 + 20 * H;
    assert_eq!(at(0), [t0, t0 + 30 + 600, t0 + 2 * (30 + 600)]);
    assert_eq!(at(1), [t0]);
    assert_eq!(at(2), [t0, t0 + 610, t0 + 1220]);
    assert_eq!(
        log.iter().map(|a| a.attempt).max(),
        Some(3),
        "never more than num_attempts"
    );
    let tasks = s.client.all_call_list_tasks(list).await.unwrap();
    assert_eq!(tasks[0].status, TaskStatus::Processed);
    assert_eq!(
        tasks[0].result_data.as_deref(),
        Some(r#"{"outcome":"qualified"}"#)
    );
    assert_eq!(tasks[0].attempts_left, 0);
    assert_eq!(tasks[1].status, TaskStatus::Processed);
    assert_eq!(tasks[1].status_name, "Processed");
    assert!(tasks[1].result_data.is_none());
    assert_eq!(tasks[1].attempts_left, 2);
    assert_eq!(tasks[2].status, TaskStatus::Error);
    assert_eq!(tasks[2].result_data.as_deref(), Some("failed"));
    assert_eq!(
        tasks[2].last_attempt.as_deref(),
        Some("2027-01-11 20:20:20")
    );
}

#[tokio::test]
async fn request_next_attempt_reschedules_the_task() {
    let s = setup().await;
    let file = "phone;__start_execution_time;__end_execution_time;__task_uuid\n\
                79160000001;06:00:00;18:00:00;callback\n\
                79160000002;06:00:00;18:00:00;last\n\
                79160000003;06:00:00;18:00:00;past\n\
                79160000004;06:00:00;18:00:00;window\n\
                79160000005;06:00:00;18:00:00;empty-window\n\
                79160000006;06:00:00;18:00:00;too-many\n";
    let list = list_of(&s, "next", file, 3, 900, 10).await;
    // The list starts at 20:00: nothing until 06:00 the next day.
    let day1 = DAY0 + 86_400;
    let callback_at = DAY0 + 2 * 86_400 + 10 * H; // "call me back the day after, at 10"
    let log = s
        .standin
        .simulate(list, DAY0 + 5 * 86_400, |task, attempt, at| {
            let next = |n: NextAttempt| AttemptResult::next_attempt(100, n);
            match (task.uuid.as_deref().unwrap(), attempt) {
                ("callback", 1) => next(NextAttempt {
                    error: "callback".into(),
                    at: Some(callback_at),
                    ..NextAttempt::default()
                }),
                ("last", 1) => next(NextAttempt {
                    error: "do not retry".into(),
                    attempts_left: Some(0),
                    ..NextAttempt::default()
                }),
                ("past", 1) => next(NextAttempt {
                    error: "past".into(),
                    at: Some(at - 3600),
                    ..NextAttempt::default()
                }),
                ("empty-window", 1) => next(NextAttempt {
                    error: "bad window".into(),
                    window: Some(Window {
                        start: 7 * 3600,
                        end: 7 * 3600,
                    }),
                    ..NextAttempt::default()
                }),
                ("too-many", 1) => next(NextAttempt {
                    error: "more than a list gives".into(),
                    attempts_left: Some(9),
                    ..NextAttempt::default()
                }),
                ("window", 1) => next(NextAttempt {
                    error: "evening".into(),
                    window: Some(Window {
                        start: 19 * 3600,
                        end: 21 * 3600,
                    }),
                    ..NextAttempt::default()
                }),
                _ => AttemptResult::result(100, "done"),
            }
        })
        .unwrap();
    let at =
        |row: usize| -> Vec<i64> { log.iter().filter(|a| a.row == row).map(|a| a.at).collect() };
    assert_eq!(at(0), [day1 + 6 * H, callback_at]);
    assert_eq!(at(1), [day1 + 6 * H]);
    // A time in the past falls back to the report time plus the interval.
    assert_eq!(at(2), [day1 + 6 * H, day1 + 6 * H + 100 + 900]);
    // A new window applies to the next attempts.
    assert_eq!(at(3), [day1 + 6 * H, day1 + 19 * H]);
    // An empty window is not applied: the attempt counts as failed, retried in the old one.
    assert_eq!(at(4), [day1 + 6 * H, day1 + 6 * H + 100 + 900]);
    // Nor are more attempts than a list may give (1..5): the attempt counts as failed.
    assert_eq!(at(5), [day1 + 6 * H, day1 + 6 * H + 100 + 900]);
    let tasks = s.client.all_call_list_tasks(list).await.unwrap();
    assert_eq!(tasks[4].start_execution_time.as_deref(), Some("06:00:00"));
    assert_eq!(tasks[0].status, TaskStatus::Processed);
    assert_eq!(tasks[0].attempts_left, 1);
    assert_eq!(tasks[1].status, TaskStatus::Error);
    assert_eq!(tasks[1].result_data.as_deref(), Some("do not retry"));
    assert_eq!(tasks[3].start_execution_time.as_deref(), Some("19:00:00"));
    assert_eq!(tasks[5].attempts_left, 1, "3, less the two attempts made");
}

#[tokio::test]
async fn max_simultaneous_and_start_at_pace_the_list() {
    let s = setup().await;
    let t0 = DAY0 + 20 * H;
    let file = format!(
        "phone;__start_at\n1;{t0}\n2;{t0}\n3;{t0}\n4;{t0}\n5;{}\n",
        t0 + 5 * H
    );
    let list = list_of(&s, "pace", &file, 1, 0, 2).await;
    let log = s
        .standin
        .simulate(list, t0 + 10 * H, |_, _, _| {
            // The outcome may read the stand-in while the dialler runs.
            assert_eq!(s.standin.state().call_lists.len(), 1);
            AttemptResult::result(600, "ok")
        })
        .unwrap();
    let starts: Vec<(usize, i64)> = log.iter().map(|a| (a.row, a.at)).collect();
    assert_eq!(
        starts,
        [
            (0, t0),
            (1, t0),
            (2, t0 + 600),
            (3, t0 + 600),
            (4, t0 + 5 * H)
        ]
    );
    // Never more than two at once.
    for a in &log {
        let running = log
            .iter()
            .filter(|b| b.at <= a.at && a.at < b.at + 600)
            .count();
        assert!(running <= 2);
    }
}

#[tokio::test]
async fn pause_resume_and_cancel_during_a_campaign() {
    let s = setup().await;
    let t0 = DAY0 + 20 * H;
    let file = "phone;__task_uuid\n1;a\n2;b\n3;c\n4;d\n";
    let list = list_of(&s, "pause", file, 2, 3600, 1).await;
    let mut outcome =
        |_: &sva_voximplant::standin::Task, _: u32, _: i64| AttemptResult::error(600, "no answer");
    // One line: a at 20:00, b at 20:10; stop at 20:15 while b runs.
    let first = s.standin.simulate(list, t0 + 900, &mut outcome).unwrap();
    assert_eq!(first.iter().map(|a| a.row).collect::<Vec<_>>(), [0, 1]);
    s.client.stop_call_list_processing(list).await.unwrap();
    // Nothing is dialled while stopped; b's running attempt ends and it is cancelled too.
    let paused = s.standin.simulate(list, t0 + 5 * H, &mut outcome).unwrap();
    assert!(paused.is_empty());
    let tasks = s.client.all_call_list_tasks(list).await.unwrap();
    assert!(
        tasks.iter().all(|t| t.status == TaskStatus::Canceled),
        "{tasks:?}"
    );
    // Cancel c for good, then resume: a, b and d come back.
    let c = tasks[2].task_id;
    assert_eq!(s.client.recover_call_list(list).await.unwrap(), 4);
    let out = s
        .client
        .cancel_call_list_task(list, TaskRefs::Ids(&[c]))
        .await
        .unwrap();
    assert!(out.result);
    let rest = s.standin.simulate(list, t0 + 24 * H, &mut outcome).unwrap();
    let rows: Vec<usize> = rest.iter().map(|a| a.row).collect();
    assert!(
        !rows.contains(&2),
        "a cancelled task is never dialled: {rows:?}"
    );
    // Resumed at 01:00 (the list's clock): d's first attempt, then the retries of a and b.
    assert_eq!(rest[0].at, t0 + 5 * H);
    assert_eq!(rest[0].row, 3, "first attempts go first");
    assert_eq!(rows.iter().filter(|&&r| r == 0).count(), 1);
    assert_eq!(rows.iter().filter(|&&r| r == 3).count(), 2);
    let tasks = s.client.all_call_list_tasks(list).await.unwrap();
    let statuses: Vec<_> = tasks.iter().map(|t| t.status).collect();
    assert_eq!(
        statuses,
        [
            TaskStatus::Error,
            TaskStatus::Error,
            TaskStatus::Canceled,
            TaskStatus::Error
        ]
    );
    let all: Vec<&DialAttempt> = first.iter().chain(&rest).collect();
    assert_eq!(all.len(), 2 + 4);
}

#[tokio::test]
async fn a_thousand_rows_are_all_accounted_for_inside_their_windows() {
    let s = setup().await;
    // Windows of every shape: local 09:00-20:00 in UTC+2 .. UTC+12 (some across midnight).
    let mut csv = CallListCsv::new(&[
        "phone",
        "contact",
        "__start_execution_time",
        "__end_execution_time",
        "__task_uuid",
    ])
    .unwrap();
    let mut windows = Vec::new();
    for i in 0..1000u32 {
        let offset = 2 + i % 11; // UTC+2 .. UTC+12
        let start = format!("{:02}:00:00", (24 + 9 - offset) % 24);
        let end = format!("{:02}:00:00", (24 + 20 - offset) % 24);
        csv.push(&[
            format!("7916{i:07}"),
            format!("c{i}"),
            start.clone(),
            end.clone(),
            format!("t-{i}"),
        ])
        .unwrap();
        windows.push((start, end));
    }
    let mut l = new_list(s.rule_id, "big", csv.to_csv());
    l.max_simultaneous = 20;
    l.num_attempts = 3;
    l.interval_seconds = 1800;
    let list = s.client.create_call_list(&l).await.unwrap().list_id;
    let mut sessions: Vec<(i64, i64)> = Vec::new();
    let log = s
        .standin
        .simulate(list, DAY0 + 7 * 86_400, |task, attempt, at| {
            let i: u32 = task.uuid.as_deref().unwrap()[2..].parse().unwrap();
            let result = match (i % 4, attempt) {
                (0, _) => AttemptResult::result(180, "answered"),
                (1, _) => AttemptResult::silent(40),
                (2, 1) => AttemptResult::error(30, "busy"),
                (2, _) => AttemptResult::result(120, "answered"),
                _ => AttemptResult::error(45, "no answer"),
            };
            sessions.push((at, at + i64::from(result.duration_s)));
            result
        })
        .unwrap();
    for a in &log {
        let (st, en) = &windows[a.row];
        assert!(inside(a.at, st, en), "row {} at {}", a.row, a.at);
    }
    // Never more than max_simultaneous sessions at once.
    for &(start, _) in &sessions {
        let running = sessions
            .iter()
            .filter(|&&(s0, e0)| s0 <= start && start < e0)
            .count();
        assert!(running <= 20, "{running} sessions at {start}");
    }
    assert!(
        sessions.iter().any(|&(s0, _)| sessions
            .iter()
            .filter(|&&(s1, e1)| s1 <= s0 && s0 < e1)
            .count()
            == 20),
        "the list used its 20 lines"
    );
    let tasks = s.client.all_call_list_tasks(list).await.unwrap();
    assert_eq!(tasks.len(), 1000);
    let count = |st: TaskStatus| tasks.iter().filter(|t| t.status == st).count();
    assert_eq!(count(TaskStatus::Processed), 750);
    assert_eq!(count(TaskStatus::Error), 250);
    assert_eq!(log.len(), 250 + 250 + 2 * 250 + 3 * 250);
    let l = s.client.get_call_lists(&[list], None, 0).await.unwrap();
    assert_eq!(l.result[0].status, "Completed");
}

#[tokio::test]
async fn a_test_can_hold_uploads_to_the_contract_columns() {
    let s = setup().await;
    let contract = [
        "phone",
        "tenant",
        "campaign",
        "contact",
        "vm",
        "__start_execution_time",
        "__end_execution_time",
        "__task_uuid",
    ];
    s.standin.expect_columns(Some(&contract));
    let ok = s
        .client
        .create_call_list(&new_list(
            s.rule_id,
            "contract",
            csv(&[("79161234567", "06:00:00", "17:00:00", "t-1")]),
        ))
        .await
        .unwrap();
    let e = s
        .client
        .create_call_list(&new_list(
            s.rule_id,
            "other",
            "tenant;phone\nacme;79161234567\n".into(),
        ))
        .await
        .unwrap_err();
    assert_eq!(api_code(&e), 101);
    s.standin.expect_columns(None);
    s.client
        .create_call_list(&new_list(
            s.rule_id,
            "other",
            "tenant;phone\nacme;79161234567\n".into(),
        ))
        .await
        .unwrap();
    assert_eq!(s.standin.state().call_lists[0].id, ok.list_id);
}
