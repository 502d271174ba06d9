//! Property tests over the fuzz targets' logic (`invariants`), so every test run covers what
//! the fuzzers check: message parsing, the SQL guard and answer verification.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

use sqlenv::agent::policy::format_answer;

use crate::helpers::{catalog, data_dir};
use crate::invariants::{check_answer, check_message, GuardProbe};

/// JSON-ish text: real frames with mutated parts, and arbitrary strings.
fn frames() -> impl Strategy<Value = String> {
    let action = prop_oneof![
        Just("QUERY".to_owned()),
        Just("DESCRIBE".to_owned()),
        Just("ANSWER".to_owned()),
        Just("SAMPLE".to_owned()),
        "[A-Za-z]{0,8}",
    ];
    let value = prop_oneof![
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(|s| json!(s)),
        Just(json!(null)),
        Just(json!([])),
        Just(json!({})),
    ];
    let structured = (
        prop_oneof![
            Just("step".to_owned()),
            Just("reset".to_owned()),
            Just("state".to_owned()),
            Just("mcp".to_owned()),
            ".{0,6}",
        ],
        action,
        value.clone(),
        value,
    )
        .prop_map(|(kind, action, argument, extra)| {
            json!({
                "type": kind,
                "data": {"action_type": action, "argument": argument, "seed": extra.clone(),
                         "jsonrpc": "2.0", "method": "tools/call", "params": extra}
            })
            .to_string()
        });
    prop_oneof![
        structured.clone(),
        (structured, 0usize..200, ".{0,3}").prop_map(|(s, at, junk)| {
            let mut cut: String = s.chars().take(at).collect();
            cut.push_str(&junk);
            cut
        }),
        ".{0,200}",
        "[\\[\\]{}\",:0-9a-z ]{0,200}",
    ]
}

/// SQL built from keywords, names and punctuation, so that it often parses and sometimes
/// attempts a write, an ATTACH or a PRAGMA.
fn sql() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("SELECT"),
        Just("*"),
        Just("FROM"),
        Just("singer"),
        Just("WHERE"),
        Just("1"),
        Just("="),
        Just(","),
        Just("("),
        Just(")"),
        Just(";"),
        Just("'x'"),
        Just("INSERT"),
        Just("INTO"),
        Just("VALUES"),
        Just("UPDATE"),
        Just("SET"),
        Just("DELETE"),
        Just("DROP"),
        Just("TABLE"),
        Just("CREATE"),
        Just("ATTACH"),
        Just("AS"),
        Just("PRAGMA"),
        Just("user_version"),
        Just("VACUUM"),
        Just("WITH"),
        Just("RECURSIVE"),
        Just("UNION"),
        Just("ALL"),
        Just("Name"),
        Just("load_extension"),
        Just("--"),
        Just("/*"),
        Just("*/"),
        Just("BEGIN"),
        Just("COMMIT"),
        Just("REPLACE"),
        Just("ALTER"),
        Just("x"),
        Just("zeroblob(1000000)"),
        Just("count(*)"),
        Just("LIMIT"),
        Just("\u{0}"),
    ];
    prop_oneof![
        4 => prop::collection::vec(token, 1..16).prop_map(|t| t.join(" ")),
        1 => ".{0,80}",
    ]
}

proptest! {
    // No regression files: a test run writes nothing into the source tree.
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_frame_gets_a_well_formed_answer(text in frames()) {
        check_message(&text);
    }

    #[test]
    fn any_answer_gets_a_verdict(index in any::<prop::sample::Index>(), answer in ".{0,120}") {
        let catalog = catalog();
        let served = catalog.questions().served();
        let question = &served[index.index(served.len())];
        check_answer(&answer, question);
        // The gold itself, however it is decorated, is never an error.
        let gold = format_answer(&question.gold_answer);
        prop_assert!(check_answer(&gold, question).correct, "{}: {gold}", question.id);
        check_answer(&format!("{answer}{gold}"), question);
        check_answer(&format!("[{gold}]{answer}"), question);
    }
}

/// One probe (one private copy of the database) for the whole run, compared byte for byte at
/// the end.
#[test]
fn any_sql_reads_or_is_refused_and_never_writes() {
    let dir = tempfile::tempdir().unwrap();
    let probe = GuardProbe::new(&data_dir(), dir.path().join("singer.sqlite"));
    for sql in [
        "DELETE FROM singer",
        "PRAGMA user_version = 3",
        "VACUUM",
        "SELECT 1",
    ] {
        probe.check_sql(sql);
    }
    let mut runner = TestRunner::new(Config {
        cases: 1_024,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&sql(), |sql| {
            probe.check_sql(&sql);
            Ok(())
        })
        .unwrap();
    probe.assert_unchanged();
}

/// The sampled property above, over every served question: each one can be answered.
#[test]
fn every_served_question_accepts_its_gold_written_out() {
    let catalog = catalog();
    let rejected: Vec<&str> = catalog
        .questions()
        .served()
        .iter()
        .filter(|q| !check_answer(&format_answer(&q.gold_answer), q).correct)
        .map(|q| q.id.as_str())
        .collect();
    assert!(
        rejected.is_empty(),
        "no answer is accepted for {rejected:?}"
    );
}
