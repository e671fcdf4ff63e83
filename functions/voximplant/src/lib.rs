//! Voximplant's Management HTTP API for provisioning a tenant.
//!
//! * [`Client`]: one service account ([`ServiceAccountKey`], the JSON key file Voximplant
//!   issues), a fresh short-lived RS256 JWT per request, the `cmd` form the official
//!   clients post, the `{"error":{"code","msg"}}` envelope as a typed [`Error`]. The
//!   methods deploy needs are typed in [`api`], the call-list methods in [`call_lists`],
//!   StartScenarios in [`scenarios`]; any other method goes through [`Client::call`] with a
//!   [`Params`] list.
//! * [`CallListDialler`]: a campaign (`sva_campaign`) as a call list of the outbound rule.
//! * [`Outbound`]: the client and outbound rule a function reads from its environment.
//! * [`deploy()`]: an idempotent deploy of a [`DeployPlan`] (application, scenario, the
//!   inbound and outbound rules, application secrets) with a [`DeployReport`] of what it did.
//! * `standin` (feature `standin`): a strict in-process stand-in of the API for tests.
//!
//! The platform facts used, with their sources, are in `docs/voximplant.md`,
//! "Management API (provisioning)".
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use sva_voximplant::{Client, ClientConfig, DeployPlan, Secret, SvaSecrets, deploy};
//! let client = Client::from_key_file("/secure/voximplant-key.json", &ClientConfig::default())?;
//! let plan = DeployPlan::sva(
//!     "acme",
//!     std::fs::read_to_string("scenarios/voxengine/sales-assistant.voxengine.js")?,
//!     SvaSecrets {
//!         function_url: Secret::new("https://fn.example.com"),
//!         tenant: Secret::new("acme"),
//!         signing_secret: Secret::new("…"),
//!         caller_id: Secret::new("+74950000000"),
//!         fallback_number: None,
//!     },
//! );
//! let report = deploy(&client, &plan).await?;
//! print!("{report}");
//! # Ok(()) }
//! ```

pub mod api;
pub mod call_lists;
pub mod client;
pub mod credentials;
pub mod deploy;
pub mod dialler;
pub mod error;
pub mod outbound;
pub mod scenarios;
pub mod secret;
#[cfg(feature = "standin")]
pub mod standin;

pub use api::{
    AddedApplication, ApplicationInfo, Page, RuleInfo, RuleUpdate, ScenarioInfo, SecretInfo,
};
pub use call_lists::{
    AppendedTasks, CallListCsv, CallListInfo, CallListTask, CallListUpdate, CancelOutcome,
    CreatedCallList, NewCallList, TaskPriorityStrategy, TaskRefs, TaskStatus,
};
pub use client::{Client, ClientConfig, DEFAULT_BASE_URL, Params};
pub use credentials::ServiceAccountKey;
pub use deploy::{
    Action, DeployError, DeployPlan, DeployReport, PlannedSecret, Resource, Step, SvaSecrets,
    deploy,
};
pub use dialler::CallListDialler;
pub use error::Error;
pub use outbound::Outbound;
pub use scenarios::{
    MAX_SCRIPT_CUSTOM_DATA_BYTES, ScenarioStart, StartedSession, check_script_custom_data,
};
pub use secret::Secret;
