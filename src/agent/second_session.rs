//! The second-session probe: a policy that opens a second session, resets it to the question
//! the first session shows (`question_id` is in every observation), and probes there, where
//! wrong answers cost the first episode nothing. It reads step rewards and, since the default
//! timing pays nothing before the end, whole probe episodes: one probe QUERY, then a junk
//! ANSWER whose reward reveals whether the episode's best potential rose. Then it answers in the
//! first session. Like the single-session probes it never reads the question record.

use serde::Serialize;

use super::client::EpisodeClient;
use super::policy::{result_cells, FixedAnswer};
use super::probe::{
    candidates_sql, membership_sql, signalled, threshold_sql, Membership, Threshold,
    CANDIDATE_PAGES,
};
use super::runner::{play_from, EpisodeRecord, RunError};
use crate::catalog::schema::Database;
use crate::catalog::Catalog;
use crate::protocol::action::{ActionType, SqlAction};

/// Ends a probe episode: certainly wrong, so its reward is the partial credit alone.
const JUNK_ANSWER: &str = "no answer";

/// Bisection steps over text candidates (up to 128 candidates).
const MEMBERSHIP_PROBES: usize = 7;

fn step(action_type: ActionType, argument: impl Into<String>) -> SqlAction {
    SqlAction {
        action_type,
        argument: argument.into(),
        metadata: None,
    }
}

/// Plays one episode on `client` (reset with `reset`), after probing its question in a second
/// session to `url`.
pub async fn play<P: Serialize>(
    client: &mut EpisodeClient,
    url: &str,
    catalog: &Catalog,
    reset: &P,
) -> Result<EpisodeRecord, RunError> {
    let first = client.reset(reset).await?;
    let question_id = first.observation.question_id.clone();
    let answer = match catalog.database(&first.observation.db_id) {
        Some(db) => {
            let mut probe = EpisodeClient::connect(url).await?;
            let answer = probe_answer(&mut probe, &question_id, db).await?;
            // The probing is done; a failed close handshake changes nothing.
            let _ = probe.close().await;
            answer
        }
        None => "0".to_owned(),
    };
    let mut policy = FixedAnswer(answer);
    play_from(client, &mut policy, catalog, first, &mut |_, _| {}).await
}

/// One probe episode: reset to the question, run `sql`, end with a junk answer. Yes when either
/// the QUERY's own reward or the episode's final reward shows a potential above 0.
async fn probe_episode(
    probe: &mut EpisodeClient,
    question_id: &str,
    sql: String,
) -> Result<bool, RunError> {
    probe
        .reset(&serde_json::json!({ "question_id": question_id }))
        .await?;
    let queried = probe.step(&step(ActionType::Query, sql)).await?;
    let ended = probe.step(&step(ActionType::Answer, JUNK_ANSWER)).await?;
    Ok(signalled(&queried.observation) || signalled(&ended.observation))
}

/// Threshold probing for a number, then membership probing over the database's text values.
async fn probe_answer(
    probe: &mut EpisodeClient,
    question_id: &str,
    db: &std::sync::Arc<Database>,
) -> Result<String, RunError> {
    let mut number = Threshold::default();
    while let Some(m) = number.next() {
        let yes = probe_episode(probe, question_id, threshold_sql(db, m)).await?;
        number.record(m, yes);
    }
    if number.found() {
        return Ok(number.estimate().to_string());
    }
    // One episode collects the candidate values (the results are data, not reward).
    let mut text = Membership::default();
    probe
        .reset(&serde_json::json!({ "question_id": question_id }))
        .await?;
    for page in 0..CANDIDATE_PAGES {
        let Some(sql) = candidates_sql(db, page) else {
            break;
        };
        let shown = probe.step(&step(ActionType::Query, sql)).await?;
        if shown.done {
            break;
        }
        text.add(result_cells(&shown.observation.result));
    }
    probe.step(&step(ActionType::Answer, JUNK_ANSWER)).await?;
    for _ in 0..MEMBERSHIP_PROBES {
        let Some(half) = text.next() else { break };
        let sql = membership_sql(db, half);
        let yes = probe_episode(probe, question_id, sql).await?;
        text.record(yes);
    }
    Ok(text.estimate().unwrap_or("0").to_owned())
}
