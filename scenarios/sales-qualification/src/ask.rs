//! Asking like a person: a question is never put in the same words twice in a row (the
//! second time it is rephrased, the third time it comes with an example answer), and
//! after the tenant's number of turns in a row that cannot be used the caller is offered
//! a person instead of the next question.

use crate::rules::Rules;
use crate::{Sales, say};
use sva_sdk::{Ctx, Flow};

type C<'a, 'b> = &'a mut Ctx<'b, Sales>;

/// How a question is put: first, rephrased, with an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wording {
    /// The question as first asked (`key`).
    First,
    /// In other words (`key_again`).
    Again,
    /// With an example answer (`key_example`).
    Example,
}

impl Wording {
    /// The wording of the `n`-th asking in a row (0: the first): after the first, the
    /// rephrasing and the example alternate, so no two in a row are the same.
    pub(crate) fn of(n: u8) -> Wording {
        match n {
            0 => Wording::First,
            n if n % 2 == 1 => Wording::Again,
            _ => Wording::Example,
        }
    }

    /// The text key of `question` in this wording.
    pub(crate) fn key(self, question: &str) -> String {
        match self {
            Wording::First => question.to_owned(),
            Wording::Again => [question, "_again"].concat(),
            Wording::Example => [question, "_example"].concat(),
        }
    }
}

/// Counts one more asking of `question` (the text key of its first wording) and returns
/// how to word it: the count goes back to 0 when another question was asked last.
pub(crate) fn next_wording(ctx: C, question: &str) -> Wording {
    let state = ctx.state();
    if state.last_question == question {
        state.asked_again = state.asked_again.saturating_add(1);
    } else {
        state.last_question = question.to_owned();
        state.asked_again = 0;
    }
    Wording::of(state.asked_again)
}

/// Asks `question` (a text key), in other words if it was the last one asked, and waits.
pub(crate) fn ask(ctx: C, question: &str) -> Flow {
    let wording = next_wording(ctx, question);
    say(ctx, &wording.key(question));
    Flow::Wait
}

/// [`ask`] for a question with placeholders (`{last4}`, `{when}`…) filled in.
pub(crate) fn ask_with(ctx: C, question: &str, fill: &[(&str, &str)]) -> Flow {
    let key = next_wording(ctx, question).key(question);
    let mut text = ctx.text_for(&key, crate::texts::default(&key));
    for (placeholder, value) in fill {
        text = text.replace(placeholder, value);
    }
    ctx.say(text);
    Flow::Wait
}

/// A turn the scenario could use: the count of unusable turns starts again.
pub(crate) fn understood(ctx: C) {
    ctx.state().unusable = 0;
}

/// A turn the scenario could not use at the question for `slot`: after the tenant's limit
/// of such turns in a row, a person is offered; before it, the question is asked again
/// in other words, then with an example, then skipped.
pub(crate) fn missed(ctx: C, slot: &str) -> Flow {
    if crate::nodes::take_other(ctx, slot) {
        // Another answer than the one asked for («в апреле» to the budget question):
        // taken, and the question asked again in other words.
        understood(ctx);
        say(ctx, "noted");
        return Flow::Again;
    }
    if let Some(flow) = crate::model::ask(ctx, slot) {
        return flow;
    }
    let limit = Rules::from_settings(&ctx.tenant().settings).misunderstanding_limit;
    let unusable = {
        let state = ctx.state();
        state.unusable = state.unusable.saturating_add(1);
        state.unusable
    };
    if unusable >= limit.max(1) && !ctx.state_ref().escalated {
        return Flow::Goto("escalate");
    }
    if ctx.miss() >= 3 {
        ctx.state().skipped.push(slot.to_owned());
        return crate::nodes::next(ctx);
    }
    if ctx.misses() == 1 {
        say(ctx, "misunderstood");
    }
    Flow::Again
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_askings_in_a_row_are_worded_alike() {
        let wordings: Vec<Wording> = (0..6).map(Wording::of).collect();
        assert_eq!(
            wordings,
            [
                Wording::First,
                Wording::Again,
                Wording::Example,
                Wording::Again,
                Wording::Example,
                Wording::Again
            ]
        );
        assert!(wordings.windows(2).all(|w| w[0] != w[1]));
        assert_eq!(Wording::Again.key("ask_budget"), "ask_budget_again");
        assert_eq!(Wording::Example.key("ask_budget"), "ask_budget_example");
    }
}
