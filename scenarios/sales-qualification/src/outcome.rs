//! What a call's outcome is, from what was learned (the taxonomy is in
//! `docs/scenario-sdk.md`).

use crate::Sales;
use sva_sdk::Ctx;
use sva_sdk::abi::Outcome;

/// Whether the lead is qualified: the need, a budget or a timeline, and a way to reach
/// the caller (a number said or confirmed, the line the call is on, or an e-mail).
pub(crate) fn qualified(ctx: &Ctx<'_, Sales>) -> bool {
    let has = |slot: &str| ctx.slot(slot).is_some();
    let reachable = has("phone") || has("email") || crate::outbound::contact_number(ctx).is_some();
    has("need") && (has("budget") || has("timeline")) && reachable
}

/// The outcome of a call that ends now, or goes on after a callback was booked: a
/// transfer, a refusal or a do-not-call stays; a qualified lead is `qualified` (with a
/// callback or not); an unqualified one with a callback booked is `callback`; anything
/// else is `otherwise`.
pub(crate) fn ending(ctx: &Ctx<'_, Sales>, otherwise: Outcome) -> Outcome {
    match ctx.outcome() {
        kept @ (Outcome::Transferred | Outcome::DoNotCall | Outcome::NotInterested) => kept,
        _ if qualified(ctx) => Outcome::Qualified,
        _ if !ctx.state_ref().callback_when.is_empty() => Outcome::Callback,
        Outcome::Callback => Outcome::Callback,
        _ => otherwise,
    }
}
