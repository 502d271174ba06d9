//! Spider at full scale: splits by database (a training reset never lands on a dev schema, an
//! eval reset never on a training one), every training database playable, the robustness sets
//! selectable at reset and played at 100% by the oracle, and the documented counts equal to what
//! the data holds.

use std::collections::BTreeMap;

use serde_json::json;
use sqlenv::agent::eval::{episode_questions, evaluate};
use sqlenv::agent::policy::PolicyKind;
use sqlenv::catalog::question::{Question, Split};
use sqlenv::catalog::sets::QuestionSet;

use crate::helpers::*;

/// Each database's split as `db_list.json` lists it.
fn db_splits() -> BTreeMap<String, String> {
    let list: BTreeMap<String, Vec<String>> = serde_json::from_str(
        &std::fs::read_to_string(data_dir().join("questions/db_list.json")).unwrap(),
    )
    .unwrap();
    list.into_iter()
        .flat_map(|(split, dbs)| dbs.into_iter().map(move |db| (db, split.clone())))
        .collect()
}

const SEEDS: u64 = 300;

#[actix_web::test]
async fn reset_splits_never_cross_databases() {
    let splits = db_splits();
    assert_eq!(splits.values().filter(|s| *s == "train").count(), 137);
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    let cases = [
        json!({"split": "train"}),
        json!({"split": "eval"}),
        json!({"split": "train", "set": "spider"}),
        json!({"split": "eval", "set": "spider-syn"}),
        json!({"split": "eval", "set": "spider-dk"}),
    ];
    for case in cases {
        let split = case["split"].as_str().unwrap().to_owned();
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..SEEDS {
            let mut data = case.clone();
            data["seed"] = json!(seed);
            let r = ws.reset(data).await;
            assert_eq!(r["type"], "observation", "{case} seed {seed}: {r}");
            let db = r["data"]["observation"]["db_id"]
                .as_str()
                .unwrap()
                .to_owned();
            assert_eq!(splits[&db], split, "{case} seed {seed} gave {db}");
            seen.insert(db);
        }
        // Many seeds reach many databases, not one by accident.
        assert!(seen.len() > 5, "{case}: only {seen:?}");
    }
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn every_training_database_resets_by_db_id() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    let r = ws.reset(json!({"db_id": "chinook_1", "seed": 3})).await;
    let obs = &r["data"]["observation"];
    assert_eq!(obs["db_id"], "chinook_1", "{r}");
    assert!(obs["question_id"]
        .as_str()
        .unwrap()
        .starts_with("spider-train-"));
    let catalog = catalog();
    let mut trained: Vec<&str> = catalog
        .questions()
        .served_in(Split::Train, Some(QuestionSet::Spider))
        .iter()
        .map(|q| q.db_id.as_str())
        .collect();
    trained.dedup();
    trained.sort_unstable();
    trained.dedup();
    assert_eq!(trained.len(), 137);
    for db in trained {
        let r = ws.reset(json!({"db_id": db, "split": "train"})).await;
        assert_eq!(r["data"]["observation"]["db_id"], db, "{r}");
    }
    // A robustness set is an eval set: asking for it in training is an error that names it.
    let r = ws
        .reset(json!({"split": "train", "set": "spider-syn"}))
        .await;
    assert_eq!(r["type"], "error", "{r}");
    assert!(
        r["data"]["message"]
            .as_str()
            .unwrap()
            .contains("set=spider-syn"),
        "{r}"
    );
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn eval_resets_leave_out_variants_and_generated_questions_unless_asked() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    for seed in 0..100 {
        let r = ws.reset(json!({"split": "eval", "seed": seed})).await;
        let id = r["data"]["observation"]["question_id"].as_str().unwrap();
        assert!(id.starts_with("spider-dev-"), "{id}");
    }
    for (set, prefix) in [
        ("spider-syn", "spider-syn-"),
        ("spider-realistic", "spider-realistic-"),
        ("spider-dk", "spider-dk-"),
        ("template", "template-"),
    ] {
        let r = ws
            .reset(json!({"split": "eval", "seed": 1, "set": set}))
            .await;
        let id = r["data"]["observation"]["question_id"].as_str().unwrap();
        assert!(id.starts_with(prefix), "{set}: {id}");
    }
    let r = ws.reset(json!({"set": "spider-syn!"})).await;
    assert_eq!(r["type"], "error", "{r}");
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn the_published_reset_schema_documents_the_set() {
    let app = spawn_app().await;
    let (status, openapi) = app.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    let text = openapi.to_string();
    for set in QuestionSet::ALL {
        assert!(text.contains(&format!("\"{}\"", set.as_str())), "{set:?}");
    }
    app.stop().await;
}

/// The oracle answers every question of every robustness set: their golds are right on the
/// databases they name, Spider-DK's modified ones included.
#[actix_web::test]
async fn oracle_answers_every_robustness_question() {
    let app = spawn_app().await;
    let catalog = catalog();
    let url = format!("ws://127.0.0.1:{}/ws", app.port);
    for set in QuestionSet::ROBUSTNESS {
        let questions = episode_questions(&catalog, Split::Eval, Some(set), None).unwrap();
        assert!(questions.len() > 400, "{set:?}: {}", questions.len());
        let reports = evaluate(
            &[PolicyKind::Oracle],
            &questions,
            &catalog,
            &url,
            7,
            4,
            false,
        )
        .await
        .unwrap();
        let failed: Vec<&str> = reports[0]
            .episodes
            .iter()
            .filter(|e| !e.correct)
            .map(|e| e.question_id.as_str())
            .collect();
        assert!(
            failed.is_empty(),
            "{set:?}: the oracle failed on {failed:?}"
        );
        assert_eq!(reports[0].episodes.len(), questions.len());
    }
    app.stop().await;
}

/// The counts in the READMEs are the data's: `sqlenv questions stats --sets` prints the table
/// both carry.
#[test]
fn the_readmes_carry_the_counts_of_the_data() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sqlenv"))
        .args(["questions", "stats", "--sets", "--data-dir"])
        .arg(data_dir())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    let catalog = catalog();
    let served = |split: Split| {
        catalog
            .questions()
            .served()
            .iter()
            .filter(|q| q.split == split)
            .count()
    };
    assert!(
        table.contains(&format!("({}) |", served(Split::Train)))
            && table.contains(&format!("({}) |\n", served(Split::Eval))),
        "{table}"
    );
    for readme in ["README.md", "data/README.md"] {
        let path = data_dir().parent().unwrap().join(readme);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(&table),
            "{readme} must carry the output of `sqlenv questions stats --sets`:\n{table}"
        );
    }
}

/// Question ids say their set, so a record's origin is readable anywhere it appears.
#[test]
fn ids_name_their_source() {
    let catalog = catalog();
    let by_prefix = |q: &Question| {
        let source = q.source.as_str().replace('_', "-");
        let prefix = match q.source {
            sqlenv::catalog::question::Source::Spider => "spider-dev-".to_owned(),
            s if s.is_generated() => format!("{}-", q.source.as_str()),
            _ => format!("{source}-"),
        };
        q.id.starts_with(&prefix)
    };
    let wrong: Vec<&str> = catalog
        .questions()
        .served()
        .iter()
        .filter(|q| !by_prefix(q))
        .map(|q| q.id.as_str())
        .take(5)
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
}
