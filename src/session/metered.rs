//! A step as the sessions run it: [`host::step`] plus its metrics and a log line in the
//! session's span. The log names the action and how it went, never the argument (SQL text or
//! an answer), which only appears at `trace` level.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

// tokio's clock, like every timing in a session.
use actix_rt::time::Instant;

use super::episode::Episode;
use super::{host, Services};
use crate::metrics::labels::Outcome;
use crate::metrics::Metrics;
use crate::protocol::action::{ActionType, SqlAction};
use crate::protocol::messages::ErrorBody;
use crate::protocol::observation::StepResult;

/// Runs one step of `episode`, recording it under `span` (the session's).
pub async fn step(
    services: &Services,
    episode: &mut Episode,
    action: &SqlAction,
    cancel: &Arc<AtomicBool>,
    span: &tracing::Span,
) -> Result<StepResult, ErrorBody> {
    let kind = action.action_type;
    // Events name their span rather than entering it: a disabled level then costs nothing.
    tracing::trace!(parent: span, action = kind.as_str(), argument = %action.argument, "step");
    let was_done = episode.is_done();
    let started = Instant::now();
    let _in_flight = services.metrics.step_begun();
    let reply = host::step(services, episode, action, cancel).await;
    record(
        span,
        &services.metrics,
        kind,
        was_done,
        started.elapsed(),
        &reply,
    );
    reply
}

fn record(
    span: &tracing::Span,
    metrics: &Metrics,
    kind: ActionType,
    was_done: bool,
    elapsed: Duration,
    reply: &Result<StepResult, ErrorBody>,
) {
    metrics.step(kind, elapsed);
    let result = match reply {
        Ok(result) => result,
        Err(body) => {
            tracing::debug!(parent: span, action = kind.as_str(), code = ?body.code, "step refused");
            return;
        }
    };
    let failed = result.observation.error.is_some();
    if !was_done && result.done {
        // An ANSWER that arrives after the time limit ends the episode unread.
        let answered = kind == ActionType::Answer && !failed;
        let outcome = match answered {
            true if result.observation.reward_components.terminal > 0.0 => Outcome::correct,
            true => Outcome::wrong,
            false => Outcome::unanswered,
        };
        metrics.episode_finished(outcome);
        tracing::debug!(
            parent: span,
            ?outcome,
            steps = result.observation.step_count,
            "episode finished"
        );
    }
    tracing::debug!(
        parent: span,
        action = kind.as_str(),
        ms = elapsed.as_millis() as u64,
        failed,
        done = result.done,
        "step"
    );
}
