//! Benchmarks of the work one step costs the server, each through the library's real functions:
//! parsing a step frame, running and rendering a QUERY (a fresh statement and a kept one),
//! answering DESCRIBE and SAMPLE, scoring a step, verifying an answer and serialising the
//! observation. `cargo bench` measures them; `cargo test --all-targets` runs each once as a
//! smoke test.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use sqlenv::agent::policy::format_answer;
use sqlenv::catalog::question::Question;
use sqlenv::catalog::Catalog;
use sqlenv::database::connection::{open_hardened, open_pool, pool_helpers};
use sqlenv::database::limits::QueryLimits;
use sqlenv::database::query::{run_query, run_query_reading};
use sqlenv::database::render::render_result;
use sqlenv::protocol::action::{ActionType, SqlAction};
use sqlenv::protocol::messages::{ClientMessage, ServerMessage};
use sqlenv::reward::config::RewardConfig;
use sqlenv::reward::verify::{verify_answer, Gold};
use sqlenv::reward::{score, Evidence};
use sqlenv::session::episode::{Begin, Episode, EpisodeRules};

fn catalog() -> Catalog {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
    match Catalog::load(&data) {
        Ok(catalog) => catalog,
        Err(e) => panic!("the bundled data must load: {e}"),
    }
}

/// A served question whose gold result has a few rows and columns: a typical step, not a
/// degenerate one.
fn typical_question(catalog: &Catalog) -> Arc<Question> {
    let served = catalog.questions().served();
    served
        .iter()
        .find(|q| q.gold_answer.len() >= 3 && q.gold_answer[0].len() >= 2)
        .or_else(|| served.first())
        .cloned()
        .unwrap_or_else(|| panic!("no served question"))
}

fn action(action_type: ActionType, argument: &str) -> SqlAction {
    SqlAction {
        action_type,
        argument: argument.to_owned(),
        metadata: None,
    }
}

fn benches(c: &mut Criterion) {
    let catalog = catalog();
    let question = typical_question(&catalog);
    let Some(db) = catalog.database(&question.db_id).cloned() else {
        panic!("the question's database is in the catalog");
    };
    let table = db.tables[0].name.clone();
    let rules = Arc::new(EpisodeRules::default());
    let cfg = RewardConfig::default();
    let shared_cfg = Arc::new(cfg.clone());
    let limits = QueryLimits::default();
    let new_episode = || {
        Episode::new(
            "bench".into(),
            question.clone(),
            db.clone(),
            rules.clone(),
            shared_cfg.clone(),
        )
    };

    let frame = serde_json::json!({
        "type": "step",
        "data": {"action_type": "QUERY", "argument": question.gold_sql},
    })
    .to_string();
    c.bench_function("parse step message", |b| {
        b.iter(|| ClientMessage::parse(std::hint::black_box(&frame)))
    });

    let conn = match open_hardened(&db.path) {
        Ok(conn) => conn,
        Err(e) => panic!("{}: {e}", db.path.display()),
    };
    let cancel = Arc::new(AtomicBool::new(false));
    c.bench_function("run and render QUERY (gold SQL)", |b| {
        b.iter(|| {
            let result = run_query(&conn, &question.gold_sql, &limits, &cancel);
            result.map(|r| render_result(&r, limits.max_rows_shown, &limits))
        })
    });

    // An agent connection keeps the statement from its second run on, with what it reads.
    let pool = match open_pool(&db.path, 1, pool_helpers()) {
        Ok(pool) => pool,
        Err(e) => panic!("{}: {e}", db.path.display()),
    };
    let mut agent = match pool.get() {
        Ok(agent) => agent,
        Err(e) => panic!("{}: {e}", db.path.display()),
    };
    c.bench_function("run and render QUERY (gold SQL, statement kept)", |b| {
        b.iter(|| {
            let output = agent.run(&question.gold_sql, &limits, &cancel);
            output.map(|o| render_result(&o.result, limits.max_rows_shown, &limits))
        })
    });

    for kind in [ActionType::Describe, ActionType::Sample] {
        let step = action(kind, &table);
        c.bench_function(&format!("{} step", kind.as_str()), |b| {
            b.iter_batched(
                new_episode,
                |mut episode| match episode.begin(&step) {
                    Begin::Reply(result) => Some(result),
                    _ => None,
                },
                criterion::BatchSize::SmallInput,
            )
        });
    }

    let gold_output = match run_query_reading(&conn, &question.gold_sql, &limits, &cancel) {
        Ok(r) => r,
        Err(e) => panic!("gold SQL of {}: {e}", question.id),
    };
    c.bench_function("reward of a QUERY (gate and potential vs gold)", |b| {
        b.iter_batched(
            || Evidence::Query {
                output: gold_output.clone(),
                question: question.clone(),
            },
            |evidence| score(&cfg, evidence),
            criterion::BatchSize::SmallInput,
        )
    });

    let answer = format_answer(&question.gold_answer);
    let gold = Gold {
        rows: &question.gold_answer,
        answer_type: question.answer_type,
        ordered: question.is_ordered(),
    };
    c.bench_function("verify a correct answer", |b| {
        b.iter(|| verify_answer(&cfg, std::hint::black_box(&answer), &gold))
    });

    let mut episode = new_episode();
    let Begin::Reply(observation) = episode.begin(&action(ActionType::Describe, &table)) else {
        panic!("a DESCRIBE is answered at once");
    };
    let message = ServerMessage::Observation(observation);
    c.bench_function("serialise an observation frame", |b| {
        b.iter(|| std::hint::black_box(&message).to_json())
    });
}

criterion_group!(hot_paths, benches);
criterion_main!(hot_paths);
