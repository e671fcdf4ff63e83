//! Where each document is stored: one function per key, so no other crate spells a path.
//!
//! ```text
//! calls/{tenant}/{yyyy-mm-dd}/{call}.json        the call record (create-only)
//! outbox/crm/{tenant}/{call}.json                the call's pending CRM work
//! outbox/lease/crm/{tenant}/{call}/{n:06}.json   who took attempt n (create-only)
//! outbox/lease/crm-caller/{tenant}/{number}/{n:06}.json
//!                                                who decides for a caller now (create-only)
//! outbox/state/crm/{tenant}/rotation.json        whose turn it is in the tenant's rotation
//! outbox/dead/crm/{tenant}/{call}.json           CRM work that could not be done
//! crm/{tenant}/{yyyy-mm-dd}/{call}.json          what the CRM step did (filed by call day)
//! kb-gaps/{tenant}/{yyyy-mm-dd}/{call}.json      questions the knowledge base missed
//! ```
//!
//! The call's day is the record's: the day the call started, in the tenant's time zone.
//! The tenants' own objects (`tenants/{tenant}/…`) are laid out by `sva-tenants` and the
//! knowledge base's sources by `sva-retrieval`: they do not cross functions as documents.

/// Where a tenant's call records of `day` (`YYYY-MM-DD`) are.
pub fn calls_prefix(tenant: &str, day: &str) -> String {
    format!("calls/{tenant}/{day}/")
}

/// The call record of `call`, started on `day`.
pub fn call_record(tenant: &str, day: &str, call: &str) -> String {
    format!("{}{call}.json", calls_prefix(tenant, day))
}

/// The day (`YYYY-MM-DD`) of a call record's key, if the key is one.
pub fn day_of_call_record(key: &str) -> Option<&str> {
    let mut parts = key.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("calls"), Some(tenant), Some(day), Some(name))
            if !tenant.is_empty() && is_day(day) && name.ends_with(".json") =>
        {
            Some(day)
        }
        _ => None,
    }
}

/// Whether `day` looks like `YYYY-MM-DD`.
pub fn is_day(day: &str) -> bool {
    let b = day.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Where pending CRM work is (every tenant).
pub const OUTBOX_PREFIX: &str = "outbox/crm/";

/// A call's pending CRM work.
pub fn outbox(tenant: &str, call: &str) -> String {
    format!("{OUTBOX_PREFIX}{tenant}/{call}.json")
}

/// The tenant and call of an outbox entry's key; `None` for any other key.
pub fn parse_outbox(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(OUTBOX_PREFIX)?.strip_suffix(".json")?;
    let (tenant, call) = rest.split_once('/')?;
    (!tenant.is_empty() && !call.is_empty() && !call.contains('/')).then_some((tenant, call))
}

/// Where CRM work that could not be done is kept, with why (every tenant).
pub const DEAD_PREFIX: &str = "outbox/dead/crm/";

/// A call's dead letter.
pub fn dead_letter(tenant: &str, call: &str) -> String {
    format!("{DEAD_PREFIX}{tenant}/{call}.json")
}

/// Where the leases on a call's attempts are.
pub fn lease_prefix(tenant: &str, call: &str) -> String {
    format!("outbox/lease/crm/{tenant}/{call}/")
}

/// The lease on attempt `attempt` of a call: only one worker can create it.
pub fn lease(tenant: &str, call: &str, attempt: u32) -> String {
    format!("{}{attempt:06}.json", lease_prefix(tenant, call))
}

/// Where the leases on deciding for one caller are (`caller`: the number's digits): one
/// worker at a time matches a caller's records and creates what they lack, so two calls
/// of one customer never both create a lead.
pub fn caller_lease_prefix(tenant: &str, caller: &str) -> String {
    format!("outbox/lease/crm-caller/{tenant}/{caller}/")
}

/// The `n`th lease on deciding for a caller: only one worker can create it.
pub fn caller_lease(tenant: &str, caller: &str, n: u32) -> String {
    format!("{}{n:06}.json", caller_lease_prefix(tenant, caller))
}

/// Whose turn it is in the tenant's rotation of users.
pub fn crm_rotation(tenant: &str) -> String {
    format!("outbox/state/crm/{tenant}/rotation.json")
}

/// Where the CRM step's results for a tenant's day are.
pub fn crm_results_prefix(tenant: &str, day: &str) -> String {
    format!("crm/{tenant}/{day}/")
}

/// What the CRM step did for a call, filed under the day of its record's key
/// (`undated` for a record key of another shape), so a report lists a day's calls that
/// reached the CRM with one listing.
pub fn crm_result(tenant: &str, record_key: &str, call: &str) -> String {
    let day = day_of_call_record(record_key).unwrap_or("undated");
    format!("{}{call}.json", crm_results_prefix(tenant, day))
}

/// Where a tenant's unanswered questions are kept, a day a folder.
pub fn gaps_prefix(tenant: &str) -> String {
    format!("kb-gaps/{tenant}/")
}

/// The unanswered questions of one call.
pub fn gaps(tenant: &str, day: &str, call: &str) -> String {
    format!("{}{day}/{call}.json", gaps_prefix(tenant))
}

/// The call id of any key ending in `{call}.json`.
pub fn call_of(key: &str) -> Option<&str> {
    key.rsplit('/').next()?.strip_suffix(".json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_laid_out_as_documented() {
        assert_eq!(
            call_record("acme", "2026-12-01", "c-1"),
            "calls/acme/2026-12-01/c-1.json"
        );
        assert_eq!(outbox("acme", "c-1"), "outbox/crm/acme/c-1.json");
        assert_eq!(dead_letter("acme", "c-1"), "outbox/dead/crm/acme/c-1.json");
        assert_eq!(
            lease("acme", "c-1", 3),
            "outbox/lease/crm/acme/c-1/000003.json"
        );
        assert_eq!(
            crm_result("acme", "calls/acme/2026-12-01/c-1.json", "c-1"),
            "crm/acme/2026-12-01/c-1.json"
        );
        assert_eq!(
            crm_result("acme", "elsewhere/c-1.json", "c-1"),
            "crm/acme/undated/c-1.json"
        );
        assert_eq!(
            gaps("acme", "2026-12-01", "c-1"),
            "kb-gaps/acme/2026-12-01/c-1.json"
        );
        assert_eq!(call_of("crm/acme/2026-12-01/c-1.json"), Some("c-1"));
    }

    #[test]
    fn outbox_keys_are_parsed_back_and_others_refused() {
        assert_eq!(parse_outbox(&outbox("acme", "c-1")), Some(("acme", "c-1")));
        for other in [
            "outbox/dead/crm/acme/c-1.json",
            "outbox/crm/acme/x/c-1.json",
            "outbox/crm/acme/c-1",
            "outbox/crm//c-1.json",
        ] {
            assert_eq!(parse_outbox(other), None, "{other}");
        }
    }

    #[test]
    fn a_record_key_gives_its_day() {
        assert_eq!(
            day_of_call_record("calls/acme/2026-12-01/c-1.json"),
            Some("2026-12-01")
        );
        for other in [
            "calls/acme/2026-1-01/c.json",
            "crm/acme/2026-12-01/c.json",
            "calls/acme/2026-12-01",
        ] {
            assert_eq!(day_of_call_record(other), None, "{other}");
        }
        assert!(is_day("2026-12-01"));
        assert!(!is_day("2026/12/01"));
    }
}
