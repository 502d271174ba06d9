//! `sqlenv load` against an in-test server: a short bounded run whose report must add up
//! (every oracle episode is a reset and two steps, nothing failed), and an idle hold that reads
//! the server's memory. Counts only: speed is measured by benchmarks, never asserted.

use sqlenv::load::execute;

use crate::helpers::*;

#[actix_web::test]
async fn oracle_load_report_adds_up() {
    let app = spawn_app().await;
    let args = load_args(&app, &["--sessions", "4", "--episodes", "60"]);
    let report = execute(&args).await.unwrap();
    assert_eq!(report.sessions_connected, 4);
    assert_eq!(report.episodes, 60);
    assert_eq!(report.resets, report.episodes);
    assert_eq!(report.steps, 2 * report.episodes, "{}", report.to_text());
    assert_eq!(report.error_frames.values().sum::<u64>(), 0);
    assert_eq!((report.transport_errors, report.connect_errors), (0, 0));
    assert_eq!(report.strict_failure(), None);
    let count = |kind: &str| {
        report
            .latency
            .iter()
            .find(|r| r.kind == kind)
            .map_or(0, |r| r.count)
    };
    assert_eq!(count("reset"), 60);
    assert_eq!(count("QUERY"), 60);
    assert_eq!(count("ANSWER"), 60);
    assert_eq!(count("all steps"), 120);
    for row in &report.latency {
        assert!(
            row.p50_ms <= row.p99_ms && row.p99_ms <= row.max_ms,
            "{row:?}"
        );
    }
    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["steps"], 120);
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn explore_episodes_are_five_cheap_steps_and_a_right_answer() {
    let app = spawn_app().await;
    let args = load_args(
        &app,
        &["--sessions", "3", "--episodes", "30", "--policy", "explore"],
    );
    let report = execute(&args).await.unwrap();
    assert_eq!(report.strict_failure(), None, "{}", report.to_text());
    assert_eq!((report.episodes, report.steps), (30, 150));
    // The gold answer after four steps that never show it: every episode is answered right.
    assert_eq!(report.correct_answers, 30, "{}", report.to_text());
    for (kind, count) in [
        ("DESCRIBE", 30),
        ("SAMPLE", 30),
        ("QUERY", 60),
        ("ANSWER", 30),
    ] {
        let row = report.latency.iter().find(|r| r.kind == kind);
        assert_eq!(row.map(|r| r.count), Some(count), "{kind}");
    }
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn random_and_mixed_loads_end_every_episode_without_errors() {
    let app = spawn_app().await;
    for policy in ["random", "mix"] {
        let args = load_args(
            &app,
            &["--sessions", "3", "--episodes", "30", "--policy", policy],
        );
        let report = execute(&args).await.unwrap();
        assert_eq!(report.episodes, 30, "{policy}");
        assert_eq!(report.resets, 30, "{policy}");
        // Every episode takes at least one step and at most the budget.
        assert!(
            (30..=30 * 15).contains(&report.steps),
            "{policy}: {}",
            report.to_text()
        );
        let latency_steps: u64 = report
            .latency
            .iter()
            .filter(|r| r.kind != "reset" && r.kind != "all steps")
            .map(|r| r.count)
            .sum();
        assert_eq!(latency_steps, report.steps, "{policy}");
        assert_eq!(report.error_frames.values().sum::<u64>(), 0, "{policy}");
        assert_eq!(report.transport_errors, 0, "{policy}");
    }
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn idle_sessions_are_held_and_the_server_memory_is_read() {
    let app = spawn_app().await;
    // The server runs in this process, so this process's memory is the server's.
    let pid = std::process::id().to_string();
    let args = load_args(
        &app,
        &[
            "--sessions",
            "5",
            "--idle",
            "--hold",
            "300ms",
            "--rss-interval",
            "50ms",
            "--server-pid",
            &pid,
        ],
    );
    let report = execute(&args).await.unwrap();
    assert_eq!(report.mode, "idle");
    assert_eq!((report.sessions_connected, report.resets), (5, 5));
    assert_eq!((report.episodes, report.steps), (0, 0));
    let memory = report.server.unwrap();
    assert!(memory.peak_rss_mib >= memory.rss_end_mib && memory.rss_end_mib > 0.0);
    assert!(memory.kib_per_session.is_some() && memory.rss_after_close_mib.is_some());
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn an_unreachable_server_is_an_error() {
    // Nothing listens on port 1 of the loopback address.
    let args = parse_load(&[
        "load",
        "--url",
        "ws://127.0.0.1:1/ws",
        "--quiet",
        "--sessions",
        "2",
        "--duration",
        "1s",
    ]);
    let err = execute(&args).await.unwrap_err().to_string();
    assert!(err.contains("no session could connect"), "{err}");
}

#[actix_web::test]
async fn strict_mode_fails_a_run_with_error_frames() {
    // Echo actions (`{"message": ...}`) are not SQLEnv actions: every step is an error frame.
    let app = spawn_app().await;
    let args = load_args(
        &app,
        &["--env", "echo", "--sessions", "2", "--episodes", "4"],
    );
    let report = execute(&args).await.unwrap();
    assert!(
        report.error_frames.values().sum::<u64>() > 0,
        "{}",
        report.to_text()
    );
    let why = report
        .strict_failure()
        .expect("a run with error frames fails --strict");
    assert!(why.ends_with("errors"), "{why}");
    app.wait_for_sessions(0).await;
    app.stop().await;
}
