//! Deploying one tenant to a Voximplant account, idempotently.
//!
//! [`deploy`] brings the account to the [`DeployPlan`] and reports, step by step, what it
//! created, updated, deleted or left unchanged, with the ids. Run twice in a row, the
//! second run changes nothing: every step compares before it writes.
//!
//! 1. **Application**: found by its short name among GetApplications' full names
//!    (`short.<account domain>`), else AddApplication.
//! 2. **Scenario**: found by exact name in the application; its script read back with
//!    GetScenarios `with_script` and compared byte for byte; SetScenarioInfo only when it
//!    differs; else AddScenario.
//! 3. **Rules**: the inbound rule (`.*`), then the outbound rule ([`OUTBOUND_RULE_NAME`],
//!    a pattern no inbound call matches; call lists and StartScenarios run it by id), each
//!    found by exact name in the application; created with AddRule bound to the scenario;
//!    when it exists, a drifted pattern is fixed with SetRuleInfo and the binding with
//!    BindScenario (the scenario bound, any other scenario unbound).
//! 4. **Secrets** (application secrets, what `VoxEngine.getSecretValue(name)` reads):
//!    listed with GetSecrets; each present one is read with GetSecretValue and compared in
//!    constant time; SetSecretInfo only when it differs; AddSecret when absent; a planned
//!    absent secret (no fallback number) that exists is removed with DelSecret, so the
//!    script never reads a stale value.
//!
//! Values of secrets are never printed, logged or put in the report or errors.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::api::{RuleUpdate, limits};
use crate::client::Client;
use crate::error::Error;
use crate::secret::Secret;

/// The secret with the dialog function's base URL.
pub const SECRET_FUNCTION_URL: &str = "SVA_FUNCTION_URL";
/// The secret with the tenant id.
pub const SECRET_TENANT: &str = "SVA_TENANT";
/// The secret with the tenant's signing secret.
pub const SECRET_SIGNING_SECRET: &str = "SVA_SIGNING_SECRET";
/// The secret with the caller id for outbound calls and transfers.
pub const SECRET_CALLER_ID: &str = "SVA_CALLER_ID";
/// The optional secret with the fallback number.
pub const SECRET_FALLBACK_NUMBER: &str = "SVA_FALLBACK_NUMBER";

/// The scenario's name in every tenant's application (< 30 characters).
pub const DEFAULT_SCENARIO_NAME: &str = "sva-sales-assistant";
/// The inbound rule's name.
pub const DEFAULT_RULE_NAME: &str = "sva-inbound";
/// The inbound rule's pattern: every number routed to the application.
pub const DEFAULT_RULE_PATTERN: &str = ".*";
/// The outbound rule's name: call lists and StartScenarios run it (by id).
pub const OUTBOUND_RULE_NAME: &str = "sva-outbound";
/// The outbound rule's pattern. A pattern matters for inbound calls only and is matched
/// against the whole destination, the first matching rule running
/// (<https://voximplant.com/docs/gettingstarted/basicconcepts/routing>,
/// <https://voximplant.com/help/faq/what-is-voximplant-application-rule>); a destination
/// is a number (digits, `+`) or a user name (`[a-z0-9][a-z0-9_-]{2,49}`, apiclient-nodejs
/// src/Interfaces.ts:882). Capitals and spaces: no inbound call can match it, so the
/// outbound rule never answers an inbound call whatever the rules' order.
pub const OUTBOUND_RULE_PATTERN: &str = "SVA OUTBOUND ONLY";

/// The values the scenario reads with `VoxEngine.getSecretValue` (see the top of
/// `scenarios/voxengine/sales-assistant.voxengine.js`). `Debug` redacts them all.
#[derive(Clone, Debug)]
pub struct SvaSecrets {
    /// `SVA_FUNCTION_URL`: the dialog function's base URL.
    pub function_url: Secret,
    /// `SVA_TENANT`: the tenant id.
    pub tenant: Secret,
    /// `SVA_SIGNING_SECRET`: the tenant's signing secret.
    pub signing_secret: Secret,
    /// `SVA_CALLER_ID`: a rented number, the caller id of outbound calls and transfers.
    pub caller_id: Secret,
    /// `SVA_FALLBACK_NUMBER`: where callers go when the function cannot answer; `None`
    /// removes it from the application.
    pub fallback_number: Option<Secret>,
}

/// One secret of the plan: a value to hold, or `None` for "must not exist".
#[derive(Clone, Debug)]
pub struct PlannedSecret {
    /// The secret's name.
    pub name: String,
    /// Its value, or `None` to remove it.
    pub value: Option<Secret>,
}

/// What the account must hold for one tenant.
#[derive(Clone)]
pub struct DeployPlan {
    /// The application's short name (`sva-{tenant}`): `[a-z][a-z0-9-]{1,64}`.
    pub application: String,
    /// The scenario's name (< 30 characters).
    pub scenario_name: String,
    /// The scenario's JavaScript (< 128 KB).
    pub scenario_script: String,
    /// The rule's name (< 100 characters).
    pub rule_name: String,
    /// The rule's pattern (default `.*`).
    pub rule_pattern: String,
    /// The outbound rule's name (< 100 characters): what call lists and StartScenarios run.
    pub outbound_rule_name: String,
    /// The outbound rule's pattern: one no inbound call's destination matches.
    pub outbound_rule_pattern: String,
    /// The application secrets.
    pub secrets: Vec<PlannedSecret>,
}

impl fmt::Debug for DeployPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeployPlan")
            .field("application", &self.application)
            .field("scenario_name", &self.scenario_name)
            .field(
                "scenario_script",
                &format_args!("{}", script_digest(&self.scenario_script)),
            )
            .field("rule_name", &self.rule_name)
            .field("rule_pattern", &self.rule_pattern)
            .field("outbound_rule_name", &self.outbound_rule_name)
            .field("outbound_rule_pattern", &self.outbound_rule_pattern)
            .field("secrets", &self.secrets)
            .finish()
    }
}

impl DeployPlan {
    /// The plan for one tenant: application `sva-{tenant}`, scenario
    /// [`DEFAULT_SCENARIO_NAME`] with `script`, rule [`DEFAULT_RULE_NAME`] matching every
    /// number, and the five `SVA_*` secrets.
    pub fn sva(tenant: &str, script: impl Into<String>, secrets: SvaSecrets) -> DeployPlan {
        let mut planned = vec![
            PlannedSecret {
                name: SECRET_FUNCTION_URL.into(),
                value: Some(secrets.function_url),
            },
            PlannedSecret {
                name: SECRET_TENANT.into(),
                value: Some(secrets.tenant),
            },
            PlannedSecret {
                name: SECRET_SIGNING_SECRET.into(),
                value: Some(secrets.signing_secret),
            },
            PlannedSecret {
                name: SECRET_CALLER_ID.into(),
                value: Some(secrets.caller_id),
            },
        ];
        planned.push(PlannedSecret {
            name: SECRET_FALLBACK_NUMBER.into(),
            value: secrets.fallback_number,
        });
        DeployPlan {
            application: format!("sva-{tenant}"),
            scenario_name: DEFAULT_SCENARIO_NAME.into(),
            scenario_script: script.into(),
            rule_name: DEFAULT_RULE_NAME.into(),
            rule_pattern: DEFAULT_RULE_PATTERN.into(),
            outbound_rule_name: OUTBOUND_RULE_NAME.into(),
            outbound_rule_pattern: OUTBOUND_RULE_PATTERN.into(),
            secrets: planned,
        }
    }

    /// Checks every documented limit before anything is sent.
    pub fn validate(&self) -> Result<(), Error> {
        limits::application_name(&self.application)?;
        limits::scenario_name(&self.scenario_name)?;
        limits::scenario_script(&self.scenario_script)?;
        limits::rule_name(&self.rule_name)?;
        limits::rule_pattern(&self.rule_pattern)?;
        limits::rule_name(&self.outbound_rule_name)?;
        limits::rule_pattern(&self.outbound_rule_pattern)?;
        if self.outbound_rule_name == self.rule_name {
            return Err(Error::InvalidInput(format!(
                "the inbound and outbound rules are both named {:?}",
                self.rule_name
            )));
        }
        let mut seen = std::collections::BTreeSet::new();
        for s in &self.secrets {
            limits::secret_name(&s.name)?;
            if !seen.insert(s.name.as_str()) {
                return Err(Error::InvalidInput(format!(
                    "secret {:?} is planned twice",
                    s.name
                )));
            }
            if let Some(v) = &s.value {
                if v.is_empty() {
                    return Err(Error::InvalidInput(format!(
                        "secret {:?} is empty; plan it as absent instead",
                        s.name
                    )));
                }
                limits::secret_value(&s.name, v.char_len())?;
            }
        }
        Ok(())
    }
}

/// What a step was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// The application.
    Application,
    /// The scenario.
    Scenario,
    /// The rule.
    Rule,
    /// An application secret.
    Secret,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Application => "application",
            Resource::Scenario => "scenario",
            Resource::Rule => "rule",
            Resource::Secret => "secret",
        })
    }
}

/// What a step did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// It did not exist and was made.
    Created,
    /// It existed and differed; it was changed.
    Updated,
    /// It was already as planned (for a secret planned absent: it was absent).
    Unchanged,
    /// It existed and was planned absent; it was removed.
    Deleted,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Unchanged => "unchanged",
            Action::Deleted => "deleted",
        })
    }
}

/// One step of a deploy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What it was about.
    pub resource: Resource,
    /// Its name.
    pub name: String,
    /// Its id on the platform (none for a secret that is absent).
    pub id: Option<u64>,
    /// What was done.
    pub action: Action,
    /// What changed or was compared (never a secret value).
    pub detail: Option<String>,
}

/// What a deploy did, step by step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeployReport {
    /// The application's id, once known.
    pub application_id: Option<u64>,
    /// The scenario's id, once known.
    pub scenario_id: Option<u64>,
    /// The inbound rule's id, once known.
    pub rule_id: Option<u64>,
    /// The outbound rule's id, once known: what StartScenarios and CreateCallList take
    /// (`SVA_VOXIMPLANT_OUTBOUND_RULE_ID`).
    pub outbound_rule_id: Option<u64>,
    /// The steps in order.
    pub steps: Vec<Step>,
}

impl DeployReport {
    /// Whether any step changed the account.
    pub fn changed(&self) -> bool {
        self.steps.iter().any(|s| s.action != Action::Unchanged)
    }

    /// The step about `resource` named `name`.
    pub fn step(&self, resource: Resource, name: &str) -> Option<&Step> {
        self.steps
            .iter()
            .find(|s| s.resource == resource && s.name == name)
    }

    fn push(
        &mut self,
        resource: Resource,
        name: &str,
        id: Option<u64>,
        action: Action,
        detail: Option<String>,
    ) {
        tracing::info!(%resource, name, ?id, %action, "voximplant deploy step");
        self.steps.push(Step {
            resource,
            name: name.to_owned(),
            id,
            action,
            detail,
        });
    }
}

impl fmt::Display for DeployReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.steps {
            let id = s.id.map_or_else(|| "-".to_owned(), |id| id.to_string());
            write!(
                f,
                "{:<11} {:<22} id {:<10} {}",
                s.resource, s.name, id, s.action
            )?;
            if let Some(d) = &s.detail {
                write!(f, " ({d})")?;
            }
            writeln!(f)?;
        }
        if let Some(id) = self.outbound_rule_id {
            writeln!(f, "{}={id}", crate::outbound::ENV_OUTBOUND_RULE_ID)?;
        }
        Ok(())
    }
}

/// A deploy that stopped part way: what failed, and what had been done before.
#[derive(Debug, thiserror::Error)]
#[error("deploy stopped at {step}: {source}")]
pub struct DeployError {
    /// The step that failed (`plan`, `application`, `scenario`, `rule`, `secret NAME`).
    pub step: String,
    /// The steps done before it.
    pub done: DeployReport,
    /// Why.
    #[source]
    pub source: Error,
}

impl DeployError {
    /// The machine-readable code of the cause.
    pub fn code(&self) -> &'static str {
        self.source.code()
    }
}

fn script_digest(script: &str) -> String {
    let digest = Sha256::digest(script.as_bytes());
    format!(
        "sha256 {}…, {} bytes",
        &hex::encode(digest)[..12],
        script.len()
    )
}

/// Brings the account to `plan`; see the module documentation.
pub async fn deploy(client: &Client, plan: &DeployPlan) -> Result<DeployReport, DeployError> {
    let mut report = DeployReport::default();
    if let Err(e) = plan.validate() {
        return Err(DeployError {
            step: "plan".into(),
            done: report,
            source: e,
        });
    }
    macro_rules! at {
        ($step:expr, $e:expr) => {
            match $e {
                Ok(v) => v,
                Err(source) => {
                    return Err(DeployError {
                        step: $step.into(),
                        done: report,
                        source,
                    });
                }
            }
        };
    }

    // 1. The application.
    let apps = at!(
        "application",
        client.find_applications(&plan.application).await
    );
    let app_id = match apps.as_slice() {
        [] => {
            let added = at!(
                "application",
                client.add_application(&plan.application).await
            );
            report.push(
                Resource::Application,
                &plan.application,
                Some(added.application_id),
                Action::Created,
                Some(added.application_name),
            );
            added.application_id
        }
        [one] => {
            report.push(
                Resource::Application,
                &plan.application,
                Some(one.application_id),
                Action::Unchanged,
                Some(one.application_name.clone()),
            );
            one.application_id
        }
        many => at!(
            "application",
            Err(Error::Ambiguous {
                what: "application",
                name: plan.application.clone(),
                count: many.len(),
            })
        ),
    };
    report.application_id = Some(app_id);

    // 2. The scenario.
    let scenarios = at!(
        "scenario",
        client.find_scenarios(app_id, &plan.scenario_name).await
    );
    let wanted = script_digest(&plan.scenario_script);
    let scenario_id = match scenarios.as_slice() {
        [] => {
            let id = at!(
                "scenario",
                client
                    .add_scenario(app_id, &plan.scenario_name, &plan.scenario_script)
                    .await
            );
            report.push(
                Resource::Scenario,
                &plan.scenario_name,
                Some(id),
                Action::Created,
                Some(wanted),
            );
            id
        }
        [one] => {
            let id = one.scenario_id;
            let current = at!("scenario", client.get_scenario_script(app_id, id).await);
            match current {
                Some(text) if text == plan.scenario_script => {
                    report.push(
                        Resource::Scenario,
                        &plan.scenario_name,
                        Some(id),
                        Action::Unchanged,
                        Some(wanted),
                    );
                }
                other => {
                    at!(
                        "scenario",
                        client.set_scenario_script(id, &plan.scenario_script).await
                    );
                    let was = other.map_or_else(
                        || "the platform returned no script".to_owned(),
                        |t| script_digest(&t),
                    );
                    report.push(
                        Resource::Scenario,
                        &plan.scenario_name,
                        Some(id),
                        Action::Updated,
                        Some(format!("{was} → {wanted}")),
                    );
                }
            }
            id
        }
        many => at!(
            "scenario",
            Err(Error::Ambiguous {
                what: "scenario",
                name: plan.scenario_name.clone(),
                count: many.len(),
            })
        ),
    };
    report.scenario_id = Some(scenario_id);

    // 3. The rules, each bound to the scenario and nothing else: inbound, then outbound.
    let rule_id = at!(
        "rule",
        ensure_rule(
            client,
            &mut report,
            app_id,
            scenario_id,
            &plan.rule_name,
            &plan.rule_pattern
        )
        .await
    );
    report.rule_id = Some(rule_id);
    let outbound = at!(
        "outbound rule",
        ensure_rule(
            client,
            &mut report,
            app_id,
            scenario_id,
            &plan.outbound_rule_name,
            &plan.outbound_rule_pattern
        )
        .await
    );
    report.outbound_rule_id = Some(outbound);

    // 4. The secrets.
    let existing = at!("secrets", client.list_secrets(app_id).await);
    for planned in &plan.secrets {
        let step = format!("secret {}", planned.name);
        let found: Vec<_> = existing
            .iter()
            .filter(|s| s.secret_name == planned.name)
            .collect();
        match (found.as_slice(), &planned.value) {
            ([], Some(value)) => {
                let id = at!(step, client.add_secret(app_id, &planned.name, value).await);
                report.push(
                    Resource::Secret,
                    &planned.name,
                    Some(id),
                    Action::Created,
                    None,
                );
            }
            ([], None) => {
                report.push(
                    Resource::Secret,
                    &planned.name,
                    None,
                    Action::Unchanged,
                    Some("absent, as planned".into()),
                );
            }
            ([one], Some(value)) => {
                let current = at!(step, client.get_secret_value(app_id, one.secret_id).await);
                if current.ct_eq(value) {
                    report.push(
                        Resource::Secret,
                        &planned.name,
                        Some(one.secret_id),
                        Action::Unchanged,
                        None,
                    );
                } else {
                    at!(
                        step,
                        client
                            .set_secret_value(app_id, one.secret_id, &planned.name, value)
                            .await
                    );
                    report.push(
                        Resource::Secret,
                        &planned.name,
                        Some(one.secret_id),
                        Action::Updated,
                        Some("value changed".into()),
                    );
                }
            }
            ([one], None) => {
                at!(step, client.del_secret(app_id, one.secret_id).await);
                report.push(
                    Resource::Secret,
                    &planned.name,
                    Some(one.secret_id),
                    Action::Deleted,
                    Some("planned absent".into()),
                );
            }
            (many, _) => at!(
                step,
                Err(Error::Ambiguous {
                    what: "secret",
                    name: planned.name.clone(),
                    count: many.len(),
                })
            ),
        }
    }
    Ok(report)
}

/// Finds the rule `name` in the application and brings it to `pattern`, bound to
/// `scenario_id` and nothing else (AddRule, SetRuleInfo, BindScenario as needed); the
/// step goes into `report`. Its id.
async fn ensure_rule(
    client: &Client,
    report: &mut DeployReport,
    app_id: u64,
    scenario_id: u64,
    name: &str,
    pattern: &str,
) -> Result<u64, Error> {
    let rules = client.find_rules(app_id, name).await?;
    match rules.as_slice() {
        [] => {
            let id = client
                .add_rule(app_id, name, pattern, &[scenario_id])
                .await?;
            report.push(
                Resource::Rule,
                name,
                Some(id),
                Action::Created,
                Some(format!("pattern {pattern:?}, scenario {scenario_id}")),
            );
            Ok(id)
        }
        [rule] => {
            let id = rule.rule_id;
            let mut changes = Vec::new();
            if rule.rule_pattern != pattern {
                let update = RuleUpdate {
                    rule_pattern: Some(pattern.to_owned()),
                    ..RuleUpdate::default()
                };
                client.set_rule_info(id, &update).await?;
                changes.push(format!("pattern {:?} → {pattern:?}", rule.rule_pattern));
            }
            let bound: Vec<u64> = rule.scenarios.iter().map(|s| s.scenario_id).collect();
            if !bound.contains(&scenario_id) {
                client
                    .bind_scenarios(app_id, id, &[scenario_id], true)
                    .await?;
                changes.push(format!("bound scenario {scenario_id}"));
            }
            let extra: Vec<u64> = bound
                .iter()
                .copied()
                .filter(|&s| s != scenario_id)
                .collect();
            if !extra.is_empty() {
                client.bind_scenarios(app_id, id, &extra, false).await?;
                changes.push(format!("unbound scenarios {extra:?}"));
            }
            if changes.is_empty() {
                report.push(
                    Resource::Rule,
                    name,
                    Some(id),
                    Action::Unchanged,
                    Some(format!("pattern {pattern:?}, scenario {scenario_id}")),
                );
            } else {
                report.push(
                    Resource::Rule,
                    name,
                    Some(id),
                    Action::Updated,
                    Some(changes.join("; ")),
                );
            }
            Ok(id)
        }
        many => Err(Error::Ambiguous {
            what: "rule",
            name: name.to_owned(),
            count: many.len(),
        }),
    }
}
