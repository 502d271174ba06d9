//! The question contract and the `sqlenv questions` commands: the shipped files pass, broken
//! files stop the server with a message naming file, record and key, and the CLI refuses bad
//! flag combinations and a missing LLM endpoint.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};
use sqlenv::catalog::Catalog;

use crate::helpers::data_dir;

fn sqlenv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sqlenv"))
        .args(args)
        .env_remove("SQLENV_LLM_URL")
        .env_remove("SQLENV_LLM_MODEL")
        .env_remove("SQLENV_LLM_API_KEY")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run sqlenv")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A data directory with the bundled tables.json and databases (linked) and the given question
/// files; db_list.json lists every bundled database unless a file of that name is given.
fn temp_data(files: &[(&str, Value)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        data_dir().join("tables.json"),
        dir.path().join("tables.json"),
    )
    .unwrap();
    std::os::unix::fs::symlink(data_dir().join("databases"), dir.path().join("databases")).unwrap();
    let questions = dir.path().join("questions");
    std::fs::create_dir(&questions).unwrap();
    std::fs::copy(
        data_dir().join("questions/db_list.json"),
        questions.join("db_list.json"),
    )
    .unwrap();
    for (name, value) in files {
        std::fs::write(questions.join(name), value.to_string()).unwrap();
    }
    dir
}

fn good_record() -> Value {
    json!({
        "id": "t-1", "db_id": "concert_singer", "question": "How many singers are there?",
        "gold_sql": "SELECT count(*) FROM singer", "gold_answer": [[6]],
        "answer_type": "integer", "difficulty": "easy", "source": "template", "split": "eval"
    })
}

fn load_error(dir: &Path) -> String {
    Catalog::load(dir).unwrap_err().to_string()
}

#[test]
fn shipped_question_files_pass_validate() {
    let data = data_dir();
    let out = sqlenv(&[
        "questions",
        "validate",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("ok: "),
        "{}",
        text(&out.stdout)
    );
    for name in ["template.json", "procedural.json"] {
        let path = data.join("questions").join(name);
        let out = sqlenv(&["questions", "validate", path.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
    }
}

#[test]
fn generated_files_cover_every_original_database_at_easy_and_medium() {
    // The generated files cover the databases bundled first: those of Spider's dev questions
    // and student_assessment (see data/README.md).
    let dev: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(data_dir().join("questions/spider_dev.json")).unwrap(),
    )
    .unwrap();
    let mut list: Vec<String> = dev
        .iter()
        .map(|q| q["db_id"].as_str().unwrap().to_owned())
        .chain(["student_assessment".to_owned()])
        .collect();
    list.sort();
    list.dedup();
    assert_eq!(list.len(), 20);
    let mut questions: Vec<Value> = Vec::new();
    for name in ["template.json", "procedural.json"] {
        let file: Vec<Value> = serde_json::from_str(
            &std::fs::read_to_string(data_dir().join("questions").join(name)).unwrap(),
        )
        .unwrap();
        questions.extend(file);
    }
    for db in &list {
        for difficulty in ["easy", "medium"] {
            assert!(
                questions
                    .iter()
                    .any(|q| q["db_id"] == *db && q["difficulty"] == difficulty),
                "no generated {difficulty} question for {db}"
            );
        }
    }
}

#[test]
fn the_server_refuses_a_broken_question_file() {
    let mut bad = good_record();
    bad["gold_sql"] = json!("SELECT count(*) FROM no_such_table");
    let dir = temp_data(&[("broken.json", json!([bad]))]);
    let err = load_error(dir.path());
    assert!(err.contains("broken.json") && err.contains("t-1"), "{err}");
    assert!(err.contains("gold_sql"), "{err}");

    let mut args = crate::helpers::test_args();
    args.data_dir = dir.path().to_owned();
    let err = sqlenv::startup::Application::build(args.into_config().unwrap())
        .err()
        .expect("the server must not start")
        .to_string();
    assert!(err.contains("broken.json"), "{err}");
}

#[test]
fn legacy_answer_keys_are_refused_naming_gold_answer() {
    for key in ["_ground_truth", "_ground_truths"] {
        let mut record = good_record();
        let answer = record["gold_answer"].take();
        record.as_object_mut().unwrap().remove("gold_answer");
        record[key] = answer;
        let dir = temp_data(&[("legacy.json", json!([good_record(), record]))]);
        let err = load_error(dir.path());
        assert!(
            err.contains("legacy.json") && err.contains("record 1") && err.contains(key),
            "{err}"
        );
        assert!(err.contains("gold_answer"), "{err}");
    }
}

#[test]
fn unknown_keys_are_refused() {
    let mut record = good_record();
    record["hint"] = json!("singers");
    let dir = temp_data(&[("unknown.json", json!([record]))]);
    let err = load_error(dir.path());
    assert!(
        err.contains("unknown.json") && err.contains("t-1") && err.contains("hint"),
        "{err}"
    );
}

#[test]
fn a_gold_answer_that_does_not_match_its_sql_is_refused() {
    let mut record = good_record();
    record["gold_answer"] = json!([[7]]);
    let dir = temp_data(&[("wrong.json", json!([record]))]);
    let err = load_error(dir.path());
    assert!(
        err.contains("wrong.json") && err.contains("t-1") && err.contains("gold_answer"),
        "{err}"
    );
}

#[test]
fn a_database_missing_from_db_list_is_refused() {
    let dir = temp_data(&[
        ("q.json", json!([good_record()])),
        ("db_list.json", json!({"train": [], "eval": ["singer"]})),
    ]);
    let err = load_error(dir.path());
    assert!(err.contains("db_list.json") && err.contains("t-1"), "{err}");

    let dir = temp_data(&[
        ("q.json", json!([good_record()])),
        (
            "db_list.json",
            json!({"train": [], "eval": ["concert_singer", "wta_1"]}),
        ),
    ]);
    let err = load_error(dir.path());
    assert!(
        err.contains("db_list.json") && err.contains("wta_1"),
        "{err}"
    );
}

/// Spider's split is by database: a question on a dev database is never a training question.
#[test]
fn a_split_other_than_its_databases_is_refused() {
    let mut record = good_record();
    record["split"] = json!("train");
    let dir = temp_data(&[("q.json", json!([record]))]);
    let err = load_error(dir.path());
    assert!(
        err.contains("t-1")
            && err.contains("split")
            && err.contains("'concert_singer' is a eval database"),
        "{err}"
    );
}

#[test]
fn validate_reports_every_problem() {
    let mut wrong = good_record();
    wrong["id"] = json!("t-2");
    wrong["gold_answer"] = json!([[7]]);
    let mut unknown = good_record();
    unknown["id"] = json!("t-3");
    unknown["extra_key"] = json!(1);
    let dir = temp_data(&[
        ("a.json", json!([good_record(), wrong])),
        ("b.json", json!([unknown])),
    ]);
    let out = sqlenv(&[
        "questions",
        "validate",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("a.json") && err.contains("t-2") && err.contains("gold_answer"),
        "{err}"
    );
    assert!(
        err.contains("b.json") && err.contains("t-3") && err.contains("extra_key"),
        "{err}"
    );
    assert!(err.contains("2 problem"), "{err}");
}

#[test]
fn conflicting_mode_flags_fail_listing_the_modes() {
    let out = sqlenv(&[
        "questions",
        "generate",
        "--template",
        "--procedural",
        "--out",
        "/tmp/never.json",
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("cannot be used with"), "{err}");
    for flag in ["--template", "--procedural", "--llm-gen", "--all"] {
        assert!(err.contains(flag), "{flag} missing in: {err}");
    }
    let out = sqlenv(&["questions", "generate", "--out", "/tmp/never.json"]);
    assert!(!out.status.success(), "a mode is required");
}

#[test]
fn inspect_requires_a_source_and_lists_the_values() {
    let out = sqlenv(&["questions", "inspect"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("--source"), "{err}");
    for value in ["spider", "template", "procedural", "llm_gen", "all"] {
        assert!(err.contains(value), "{value} missing in: {err}");
    }
    let data = data_dir();
    let out = sqlenv(&[
        "questions",
        "inspect",
        "--source",
        "template",
        "--db",
        "singer",
        "--limit",
        "2",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("template-singer-"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn llm_gen_without_an_endpoint_fails_at_once() {
    let out = sqlenv(&[
        "questions",
        "generate",
        "--llm-gen",
        "--data-dir",
        "/nonexistent",
        "--out",
        "/tmp/never.json",
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    // It names what to set, and fails before touching the (missing) data directory.
    assert!(
        err.contains("SQLENV_LLM_URL") && err.contains("SQLENV_LLM_MODEL"),
        "{err}"
    );
    assert!(!err.contains("/nonexistent"), "{err}");
}

/// A one-request chat-completions server on a free loopback port; returns its URL and a handle
/// yielding the request body it received.
fn canned_llm(content: &str) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let reply = json!({
        "id": "chatcmpl-test", "object": "chat.completion", "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}]
    })
    .to_string();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
            reply.len()
        )
        .unwrap();
        String::from_utf8(body).unwrap()
    });
    (url, handle)
}

#[test]
fn llm_gen_proves_what_the_model_writes() {
    let content = json!({"questions": [
        {"question": "How many singers are there?", "sql": "SELECT count(*) FROM singer"},
        {"question": "Which singers are from Mars?", "sql": "SELECT Name FROM singer WHERE Citizenship = 'Mars'"},
        {"question": "Broken?", "sql": "SELECT nothing FROM nowhere"},
        {"question": "What is the oldest birth year?", "sql": "SELECT min(Birth_Year) FROM singer"}
    ]})
    .to_string();
    let (url, server) = canned_llm(&format!("```json\n{content}\n```"));
    let out_dir = tempfile::tempdir().unwrap();
    let out_file = out_dir.path().join("llm.json");
    let data = data_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_sqlenv"))
        .args([
            "questions",
            "generate",
            "--llm-gen",
            "--db",
            "singer",
            "--count",
            "5",
        ])
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "--out",
            out_file.to_str().unwrap(),
        ])
        .env("SQLENV_LLM_URL", &url)
        .env("SQLENV_LLM_MODEL", "test-model")
        .env("SQLENV_LLM_API_KEY", "k")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let request: Value = serde_json::from_str(&server.join().unwrap()).unwrap();
    assert_eq!(request["model"], "test-model");
    let prompt = request["messages"][1]["content"].as_str().unwrap();
    assert!(
        prompt.contains("Table singer") && prompt.contains("Birth_Year"),
        "{prompt}"
    );

    let written: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    let ids: Vec<&str> = written.iter().map(|q| q["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["llm_gen-singer-0000", "llm_gen-singer-0001"],
        "{written:?}"
    );
    assert!(written.iter().all(|q| q["source"] == "llm_gen"));
    assert_eq!(written[0]["gold_answer"], json!([[8]]));
    assert_eq!(written[0]["difficulty"], "easy");
    // What was written passes the same validation as every question file.
    let out = sqlenv(&[
        "questions",
        "validate",
        "--data-dir",
        data.to_str().unwrap(),
        out_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn template_generation_is_deterministic_for_a_seed() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir();
    let run = |name: &str, seed: &str| -> String {
        let path: PathBuf = dir.path().join(name);
        let out = sqlenv(&[
            "questions",
            "generate",
            "--all",
            "--db",
            "pets_1",
            "--count",
            "12",
            "--seed",
            seed,
            "--data-dir",
            data.to_str().unwrap(),
            "--out",
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        std::fs::read_to_string(path).unwrap()
    };
    let a = run("a.json", "7");
    assert_eq!(a, run("b.json", "7"));
    assert_ne!(a, run("c.json", "8"));
    let questions: Vec<Value> = serde_json::from_str(&a).unwrap();
    assert!(questions.iter().any(|q| q["source"] == "template"));
    assert!(questions.iter().any(|q| q["source"] == "procedural"));
}

#[test]
fn stats_and_export() {
    let data = data_dir();
    let out = sqlenv(&[
        "questions",
        "stats",
        "--gaps",
        "--target",
        "1",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("student_assessment") && stdout.contains("== gaps"),
        "{stdout}"
    );

    let dir = tempfile::tempdir().unwrap();
    let out = sqlenv(&[
        "questions",
        "export",
        "--data-dir",
        data.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let card = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
    assert!(
        card.contains("license: cc-by-sa-4.0") && card.contains("Spider"),
        "{card}"
    );
    let lines = |name: &str| {
        std::fs::read_to_string(dir.path().join(name))
            .unwrap()
            .lines()
            .count()
    };
    assert_eq!(
        lines("train.jsonl") + lines("eval.jsonl"),
        crate::helpers::question_file_total()
    );
}

/// The difficulty rule grades most of Spider's own questions as Spider did.
#[test]
fn the_difficulty_rule_mostly_agrees_with_spider() {
    let file: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(data_dir().join("questions/spider_dev.json")).unwrap(),
    )
    .unwrap();
    let agree = file
        .iter()
        .filter(|q| {
            let d = sqlenv::questions::difficulty::difficulty_of(q["gold_sql"].as_str().unwrap());
            q["difficulty"] == d.as_str()
        })
        .count();
    let share = agree as f64 / file.len() as f64;
    eprintln!(
        "difficulty rule agrees with Spider on {agree} of {} ({share:.3})",
        file.len()
    );
    assert!(share > 0.9, "{share}");
}
