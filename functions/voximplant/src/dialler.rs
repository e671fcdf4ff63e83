//! [`CallListDialler`]: a campaign ([`sva_campaign::Plan`]) becomes one Voximplant call
//! list run by the outbound rule; pause, resume and cancel map onto the call-list methods
//! ([`crate::call_lists`]; sources and the platform's rules in `docs/voximplant.md`
//! "Call lists").
//!
//! * **create** → CreateCallList with the plan's CSV (`Plan::call_list_csv`: the campaign
//!   contract's columns), the list named `{campaign name} [{tenant}:{campaign id}]` (the
//!   name cut so the whole stays within 255 characters), the campaign's `max_simultaneous`
//!   and attempts, and `interval_seconds` = the shortest of the campaign's intervals (the
//!   script asks for each outcome's own time with `CallList.requestNextAttempt`). A list of
//!   the same campaign left by an earlier create that failed (the desk discards a campaign
//!   whose create failed, so such a list is an orphan) is stopped first, and the new list
//!   is named `[{tenant}:{id}#n]`, so its rows are never dialled twice. A create whose
//!   answer was lost (timeout, broken connection) is looked up by its name and adopted.
//! * **pause** → StopCallListProcessing; **resume** → RecoverCallList. Each is idempotent:
//!   a refusal is accepted when GetCallLists shows the list already as asked (stopped:
//!   "Canceled"; running or finished: "In progress" / "Completed").
//! * **cancel** → the tasks not finished are cancelled one by one (CancelCallListTask, up
//!   to 1000 a request; a batch that meets a task finished meanwhile is read again and
//!   retried), then the list is stopped if it still runs. Tasks cancelled one by one stay
//!   cancelled if someone recovers the list by hand. A paused list (stopped: its waiting
//!   tasks already show "Canceled") is left stopped: a stopped task cannot be cancelled
//!   one by one (the reference: only unfinished tasks), the desk never resumes a cancelled
//!   campaign, and the pre-dial check refuses its calls.

use async_trait::async_trait;
use sva_campaign::Plan;
use sva_campaign::desk::{Dialler, DiallerError};

use crate::call_lists::{CallListInfo, NewCallList, TaskRefs};
use crate::client::Client;
use crate::error::Error;

/// Voximplant's longest list name (apiclient-nodejs src/Interfaces.ts:1118-1121).
const MAX_NAME_CHARS: usize = 255;
/// How many times cancel reads the tasks again after meeting one finished meanwhile.
const CANCEL_ROUNDS: usize = 3;

/// `status` of `CallListType`: running.
const IN_PROGRESS: &str = "In progress";
/// `status`: stopped by StopCallListProcessing.
const CANCELED: &str = "Canceled";
/// `status`: every task finished.
const COMPLETED: &str = "Completed";

/// Campaigns as Voximplant call lists of one outbound rule.
#[derive(Clone, Debug)]
pub struct CallListDialler {
    client: Client,
    rule_id: u64,
    priority: u64,
}

impl CallListDialler {
    /// Lists run by `rule_id` (the deploy's outbound rule), priority 0 (the highest).
    pub fn new(client: Client, rule_id: u64) -> CallListDialler {
        CallListDialler {
            client,
            rule_id,
            priority: 0,
        }
    }

    /// Another list priority (0 ..= 2^31, 0 the highest), for every campaign.
    pub fn with_priority(mut self, priority: u64) -> CallListDialler {
        self.priority = priority;
        self
    }

    /// The rule the lists run.
    pub fn rule_id(&self) -> u64 {
        self.rule_id
    }

    /// A campaign's list name: `{name} [{tenant}:{id}]`, or `[{tenant}:{id}#n]` for its
    /// `n`-th list (n ≥ 2); the name is shortened so the whole has at most 255 characters.
    /// Campaign names have no `/` or `\` (the campaign checks), ids are `[a-z0-9-]`.
    pub fn list_name(plan: &Plan, n: usize) -> String {
        let tag = if n <= 1 {
            format!("[{}:{}]", plan.tenant, plan.campaign.id)
        } else {
            format!("[{}:{}#{n}]", plan.tenant, plan.campaign.id)
        };
        let room = MAX_NAME_CHARS.saturating_sub(tag.chars().count() + 1);
        let name: String = plan.campaign.name.trim().chars().take(room).collect();
        format!("{} {tag}", name.trim_end())
    }

    /// The list's `interval_seconds`: the shortest of the campaign's intervals.
    pub fn interval_seconds(plan: &Plan) -> u32 {
        let i = plan.campaign.intervals;
        i.busy.min(i.no_answer).min(i.voicemail)
    }

    /// The list as GetCallLists shows it.
    async fn info(&self, list: u64) -> Result<Option<CallListInfo>, Error> {
        let page = self.client.get_call_lists(&[list], None, 0).await?;
        Ok(page.result.into_iter().find(|l| l.list_id == list))
    }

    /// Every list whose name contains `part` (all pages).
    async fn lists_containing(&self, part: &str) -> Result<Vec<CallListInfo>, Error> {
        let mut all: Vec<CallListInfo> = Vec::new();
        for _ in 0..1000 {
            let page = self
                .client
                .get_call_lists(&[], Some(part), all.len() as u64)
                .await?;
            let got = page.result.len();
            all.extend(page.result);
            if got == 0 || all.len() as u64 >= page.total_count {
                break;
            }
        }
        Ok(all)
    }

    /// The lists an earlier create of this campaign left: names ending in its tag.
    async fn earlier_lists(&self, plan: &Plan) -> Result<Vec<CallListInfo>, Error> {
        let stem = format!("[{}:{}", plan.tenant, plan.campaign.id);
        let ours = |name: &str| {
            name.rsplit_once(&stem).is_some_and(|(_, rest)| {
                rest == "]"
                    || rest
                        .strip_prefix('#')
                        .and_then(|r| r.strip_suffix(']'))
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
        };
        Ok(self
            .lists_containing(&stem)
            .await?
            .into_iter()
            .filter(|l| ours(&l.list_name))
            .collect())
    }

    async fn create_list(&self, plan: &Plan) -> Result<u64, Error> {
        let csv = plan.call_list_csv();
        if csv.lines().count() < 2 {
            return Err(Error::InvalidInput(
                "the campaign has no queued contact to call".into(),
            ));
        }
        let earlier = self.earlier_lists(plan).await?;
        for orphan in earlier.iter().filter(|l| l.status == IN_PROGRESS) {
            tracing::warn!(
                list = orphan.list_id,
                campaign = %plan.campaign.id,
                "stopping a call list an earlier failed create left"
            );
            self.stop(orphan.list_id).await?;
        }
        let mut n = earlier.len() + 1;
        let mut name = Self::list_name(plan, n);
        while earlier.iter().any(|l| l.list_name == name) {
            n += 1;
            name = Self::list_name(plan, n);
        }
        let list = NewCallList {
            rule_id: self.rule_id,
            name: name.clone(),
            priority: self.priority,
            max_simultaneous: plan.campaign.max_simultaneous,
            num_attempts: u32::from(plan.campaign.attempts),
            interval_seconds: Self::interval_seconds(plan),
            file_content: csv,
            delimiter: None,
            task_priority_strategy: None,
        };
        match self.client.create_call_list(&list).await {
            Ok(created) => Ok(created.list_id),
            Err(e) if e.may_have_run() => {
                // The answer was lost: the list may exist. Adopt it if it does.
                let found: Vec<CallListInfo> = self
                    .lists_containing(&name)
                    .await?
                    .into_iter()
                    .filter(|l| l.list_name == name)
                    .collect();
                match found.as_slice() {
                    [one] => Ok(one.list_id),
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// StopCallListProcessing; a refusal is fine when the list is stopped or finished.
    async fn stop(&self, list: u64) -> Result<(), Error> {
        let done = self.client.stop_call_list_processing(list).await.map(drop);
        self.settled(list, done, &[CANCELED, COMPLETED]).await
    }

    /// RecoverCallList; a refusal is fine when the list runs or is finished.
    async fn recover(&self, list: u64) -> Result<(), Error> {
        let done = self.client.recover_call_list(list).await.map(drop);
        self.settled(list, done, &[IN_PROGRESS, COMPLETED]).await
    }

    /// A run change's answer: a refusal is fine when GetCallLists shows the list in one
    /// of the `wanted` statuses already (a change made before, or the list finished).
    async fn settled(
        &self,
        list: u64,
        done: Result<(), Error>,
        wanted: &[&str],
    ) -> Result<(), Error> {
        let Err(e) = done else {
            return Ok(());
        };
        match self.info(list).await? {
            Some(l) if wanted.contains(&l.status.as_str()) => Ok(()),
            _ => Err(e),
        }
    }

    async fn cancel_list(&self, list: u64) -> Result<(), Error> {
        let Some(info) = self.info(list).await? else {
            return Err(Error::InvalidInput(format!("no call list {list}")));
        };
        if info.status != IN_PROGRESS {
            // Stopped (a paused campaign) or finished: nothing will be dialled.
            return Ok(());
        }
        'rounds: for round in 0..CANCEL_ROUNDS {
            let pending: Vec<u64> = self
                .client
                .all_call_list_tasks(list)
                .await?
                .into_iter()
                .filter(|t| !t.status.is_final())
                .map(|t| t.task_id)
                .collect();
            for chunk in pending.chunks(1000) {
                let outcome = self
                    .client
                    .cancel_call_list_task(list, TaskRefs::Ids(chunk))
                    .await?;
                if !outcome.result {
                    // A task finished meanwhile; read the tasks again.
                    tracing::info!(list, round, reason = ?outcome.error_msg, "cancel retried");
                    continue 'rounds;
                }
            }
            break;
        }
        match self.info(list).await? {
            Some(l) if l.status == IN_PROGRESS => self.stop(list).await,
            _ => Ok(()),
        }
    }
}

fn failed(e: Error) -> DiallerError {
    DiallerError(e.to_string())
}

#[async_trait]
impl Dialler for CallListDialler {
    async fn create(&self, plan: &Plan) -> Result<u64, DiallerError> {
        self.create_list(plan).await.map_err(failed)
    }

    async fn pause(&self, list: u64) -> Result<(), DiallerError> {
        self.stop(list).await.map_err(failed)
    }

    async fn resume(&self, list: u64) -> Result<(), DiallerError> {
        self.recover(list).await.map_err(failed)
    }

    async fn cancel(&self, list: u64) -> Result<(), DiallerError> {
        self.cancel_list(list).await.map_err(failed)
    }
}
