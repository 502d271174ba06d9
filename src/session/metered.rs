//! A step as the sessions run it: [`host::step`] plus its metrics and a log line in the
//! session's span. The log names the action and how it went, never the argument (SQL text or
//! an answer), which only appears at `trace` level.

use std::time::Instant;

use actix::fut::ActorFutureExt;

use super::host::{self, EpisodeHost, StepFuture};
use crate::metrics::labels::Outcome;
use crate::protocol::action::{ActionType, SqlAction};

/// Runs one step of `act`'s episode, recording it under `span` (the session's).
pub fn step<A: EpisodeHost>(act: &mut A, action: SqlAction, span: tracing::Span) -> StepFuture<A> {
    let kind = action.action_type;
    span.in_scope(|| {
        tracing::trace!(action = kind.as_str(), argument = %action.argument, "step");
    });
    let was_done = act.episode_mut().map(|e| e.is_done());
    let started = Instant::now();
    Box::pin(host::step(act, action).map(move |reply, act, _| {
        let elapsed = started.elapsed();
        let metrics = &act.services().metrics;
        metrics.step(kind, elapsed);
        let _entered = span.enter();
        match &reply {
            Ok(result) => {
                let failed = result.observation.error.is_some();
                if was_done == Some(false) && result.done {
                    // An ANSWER that arrives after the time limit ends the episode unread.
                    let answered = kind == ActionType::Answer && !failed;
                    let outcome = match answered {
                        true if result.observation.reward_components.terminal > 0.0 => {
                            Outcome::correct
                        }
                        true => Outcome::wrong,
                        false => Outcome::unanswered,
                    };
                    metrics.episode_finished(outcome);
                    tracing::debug!(
                        ?outcome,
                        steps = result.observation.step_count,
                        "episode finished"
                    );
                }
                tracing::debug!(
                    action = kind.as_str(),
                    ms = elapsed.as_millis() as u64,
                    failed,
                    done = result.done,
                    "step"
                );
            }
            Err(body) => {
                tracing::debug!(action = kind.as_str(), code = ?body.code, "step refused");
            }
        }
        reply
    }))
}
