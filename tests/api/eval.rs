//! Acceptance of the reward from the outside: scripted policies play every served question of
//! the eval split over real WebSocket sessions (`sqlenv::agent`), and what they earn must rank
//! honest play above every gaming strategy.

use sqlenv::agent::client::EpisodeClient;
use sqlenv::agent::eval::{episode_questions, evaluate, PolicyReport};
use sqlenv::agent::policy::PolicyKind;
use sqlenv::agent::runner::DoneReason;
use sqlenv::catalog::question::Split;
use sqlenv::protocol::action::{ActionType, SqlAction};
use sqlenv::reward::config::RewardConfig;

use crate::helpers::*;

/// Sessions played at once: keeps a policy's pass over the eval split around a second.
const CONCURRENCY: usize = 4;
const SEED: u64 = 7;

/// Plays `policies` over every served eval question, one episode each, on a fresh server.
async fn play(policies: &[PolicyKind]) -> Vec<PolicyReport> {
    let app = spawn_app().await;
    let catalog = catalog();
    let questions = episode_questions(&catalog, Split::Eval, None, None).unwrap();
    let url = format!("ws://127.0.0.1:{}/ws", app.port);
    let reports = evaluate(
        policies,
        &questions,
        &catalog,
        &url,
        SEED,
        CONCURRENCY,
        false,
    )
    .await
    .unwrap();
    app.stop().await;
    for r in &reports {
        assert_eq!(r.episodes.len(), questions.len(), "{}", r.policy);
    }
    reports
}

#[actix_web::test]
async fn oracle_answers_every_eval_question() {
    let reports = play(&[PolicyKind::Oracle]).await;
    let oracle = &reports[0];
    let failed: Vec<&str> = oracle
        .episodes
        .iter()
        .filter(|e| !e.correct)
        .map(|e| e.question_id.as_str())
        .collect();
    assert!(failed.is_empty(), "the oracle failed on {failed:?}");
    assert_eq!(oracle.overall.accuracy, 1.0);
    assert!(oracle.overall.mean_return >= 1.0, "{:?}", oracle.overall);
    assert!(oracle
        .episodes
        .iter()
        .all(|e| e.steps == 2 && e.done_reason == DoneReason::Answered));
}

#[actix_web::test]
async fn random_policy_earns_little() {
    let reports = play(&[PolicyKind::Random]).await;
    let random = &reports[0].overall;
    assert!(random.mean_return < 0.15, "{random:?}");
    assert!(random.accuracy < 0.2, "{random:?}");
}

/// Accuracy points a probing policy may be above `random` (docs/reward.md).
const PROBE_ACCURACY_MARGIN: f64 = 0.03;
/// Mean return a gaming policy may be above `random`.
const GAMING_RETURN_MARGIN: f64 = 0.1;

#[actix_web::test]
async fn no_gaming_or_probing_strategy_out_earns_honest_play() {
    let mut policies = vec![PolicyKind::Random];
    policies.extend(
        PolicyKind::ALL
            .into_iter()
            .filter(|k| k.is_gaming() && *k != PolicyKind::PaddedOracle),
    );
    let reports = play(&policies).await;
    let random = reports[0].overall;
    let bound = RewardConfig::default().partial_credit;
    for r in &reports[1..] {
        let s = r.overall;
        assert!(
            s.mean_return <= random.mean_return + GAMING_RETURN_MARGIN,
            "{} earns {:.4} on average, more than random's {:.4} + {GAMING_RETURN_MARGIN}",
            r.policy,
            s.mean_return,
            random.mean_return
        );
        // The declared bound: an episode without a correct answer earns at most partial_credit.
        let worst = r
            .episodes
            .iter()
            .filter(|e| !e.correct)
            .map(|e| e.total_return)
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(
            worst <= bound + 1e-9,
            "{} earned {worst:.4} unanswered",
            r.policy
        );
        // Nothing is paid before the end in the default timing.
        assert!(
            r.episodes
                .iter()
                .filter(|e| e.done_reason == DoneReason::Answered)
                .all(|e| e.return_before_answer == 0.0),
            "{} was paid before its answer",
            r.policy
        );
        let policy = PolicyKind::from_name(r.policy).unwrap();
        if policy.is_probing() {
            assert!(
                s.accuracy <= random.accuracy + PROBE_ACCURACY_MARGIN,
                "{} answers {:.1}% correctly, random {:.1}%",
                r.policy,
                100.0 * s.accuracy,
                100.0 * random.accuracy
            );
        }
    }
}

#[actix_web::test]
async fn padding_an_answer_earns_less_than_answering_at_once() {
    let reports = play(&[PolicyKind::Oracle, PolicyKind::PaddedOracle]).await;
    let (oracle, padded) = (&reports[0], &reports[1]);
    assert_eq!(padded.overall.accuracy, 1.0, "{:?}", padded.overall);
    assert!(
        padded.overall.mean_return < oracle.overall.mean_return,
        "padded {:.4} vs oracle {:.4}",
        padded.overall.mean_return,
        oracle.overall.mean_return
    );
    for (o, p) in oracle.episodes.iter().zip(&padded.episodes) {
        assert_eq!(o.question_id, p.question_id);
        assert!(
            p.steps > o.steps && p.total_return < o.total_return,
            "{p:?} vs {o:?}"
        );
    }
}

#[actix_web::test]
async fn evaluation_is_reproducible() {
    let a = play(&[PolicyKind::Random, PolicyKind::AnswerGuessing]).await;
    let b = play(&[PolicyKind::Random, PolicyKind::AnswerGuessing]).await;
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.episodes, y.episodes, "{}", x.policy);
    }
}

#[actix_web::test]
async fn client_plays_an_episode_and_reports_state_and_errors() {
    let app = spawn_app().await;
    let q = question_where(|q| q.db_id == "concert_singer");
    let mut client = EpisodeClient::connect(&format!("ws://127.0.0.1:{}/ws", app.port))
        .await
        .unwrap();
    // A step before any reset is an error frame, which the client turns into an error.
    let describe = SqlAction {
        action_type: ActionType::Describe,
        argument: "singer".into(),
        metadata: None,
    };
    let err = client.step(&describe).await.unwrap_err().to_string();
    assert!(err.contains("reset"), "{err}");
    let reset = client
        .reset(&serde_json::json!({"question_id": q.id}))
        .await
        .unwrap();
    assert_eq!(reset.observation.question_id, q.id);
    let step = client.step(&describe).await.unwrap();
    assert!(step.observation.result.contains("Singer_ID"));
    let state = client.state().await.unwrap();
    assert_eq!(state.step_count, 1);
    assert_eq!(state.question_id.as_deref(), Some(q.id.as_str()));
    client.close().await.unwrap();
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[test]
fn a_reward_config_outside_the_bounds_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reward.json");
    // A failing episode could earn half of a correct one.
    std::fs::write(&path, r#"{"partial_credit": 0.5}"#).unwrap();
    let mut args = test_args();
    args.reward_config = Some(path.clone());
    let err = args.into_config().unwrap_err().to_string();
    assert!(err.contains("partial_credit"), "{err}");
    // The bounds hold for every budget: a long one is fine.
    let mut args = test_args();
    args.step_budget = 100;
    assert!(args.into_config().is_ok());
}

/// Running out of steps pays `wrong`, as an answer would: with a negative `wrong`, a policy that
/// never answers must not escape it.
#[actix_web::test]
async fn running_out_of_steps_pays_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reward.json");
    std::fs::write(&path, r#"{"wrong": -0.5}"#).unwrap();
    let app = spawn_app_with(|a| a.reward_config = Some(path.clone())).await;
    let catalog = catalog();
    let questions = episode_questions(&catalog, Split::Eval, None, Some(3)).unwrap();
    let url = format!("ws://127.0.0.1:{}/ws", app.port);
    let report = sqlenv::agent::eval::run_policy(
        PolicyKind::SampleSpam,
        &questions,
        &catalog,
        &url,
        SEED,
        1,
        false,
    )
    .await
    .unwrap();
    for e in &report {
        assert_eq!(e.done_reason, DoneReason::BudgetExhausted, "{e:?}");
        assert_eq!(e.steps, 15);
    }
    let mut client = EpisodeClient::connect(&url).await.unwrap();
    client
        .reset(&serde_json::json!({"question_id": questions[0].id}))
        .await
        .unwrap();
    let table = &catalog.database(&questions[0].db_id).unwrap().tables[0].name;
    let sample = SqlAction {
        action_type: ActionType::Sample,
        argument: table.clone(),
        metadata: None,
    };
    for _ in 0..14 {
        let r = client.step(&sample).await.unwrap();
        assert_eq!(r.observation.reward_components.terminal, 0.0);
    }
    let last = client.step(&sample).await.unwrap();
    assert!(last.done);
    assert_eq!(last.observation.reward_components.terminal, -0.5);
    let state = client.state().await.unwrap();
    assert_eq!(state.reward_totals.terminal, -0.5);
    client.close().await.unwrap();
    app.stop().await;
}
