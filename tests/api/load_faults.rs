//! `sqlenv load --faults` against an in-test server: while the well-behaved sessions play, the
//! fault workers drop connections mid-step, send garbage and abandon sessions; the sessions see
//! no error, every garbage frame is answered with an error frame, and the server's session count
//! read from `/metrics` is back to 0. Counts only, never speed.

use sqlenv::load::execute;

use crate::helpers::*;

#[actix_web::test]
async fn a_soak_with_faults_leaves_the_sessions_unharmed_and_the_server_empty() {
    let app = spawn_app().await;
    let args = load_args(
        &app,
        &[
            "--sessions",
            "4",
            "--episodes",
            "200",
            "--policy",
            "mix",
            "--faults",
            "3",
        ],
    );
    let report = execute(&args).await.unwrap();
    assert_eq!(report.episodes, 200);
    assert_eq!(
        report.error_frames.values().sum::<u64>(),
        0,
        "{}",
        report.to_text()
    );
    assert_eq!(report.transport_errors + report.connect_errors, 0);
    let text = report.to_text();
    assert!(
        text.contains("server sessions after the run: 0 ("),
        "{text}"
    );
    let faults = report.faults.expect("a fault report");
    assert_eq!(faults.workers, 3);
    assert!(faults.dropped_mid_step + faults.garbage_connections + faults.abandoned_sessions > 0);
    assert_eq!(
        faults.garbage_errors_answered, faults.garbage_frames,
        "{faults:?}"
    );
    assert_eq!(faults.server_sessions_after, Some(0.0), "{faults:?}");
    app.wait_for_sessions(0).await;
    app.stop().await;
}
