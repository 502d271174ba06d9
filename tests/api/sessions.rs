//! The session lifecycle: capacity, the idle sweep, the dead-peer heartbeat, and that the
//! session count always returns to zero.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use actix::{Actor, Context, Handler, Message};
use futures_util::future::join_all;
use serde_json::json;
use sqlenv::supervisor::activity::Activity;
use sqlenv::supervisor::messages::{CloseReason, ForceClose, Register, SessionKind};
use sqlenv::supervisor::EpisodeSupervisor;

use crate::helpers::*;

#[actix_web::test]
async fn capacity_is_enforced_and_frees_up() {
    let app = spawn_app_with(|a| a.max_sessions = 2).await;
    let mut a = app.connect().await;
    let mut b = app.connect().await;
    assert_eq!(a.reset(json!({"seed": 1})).await["type"], "observation");
    assert_eq!(b.reset(json!({"seed": 2})).await["type"], "observation");

    let mut c = app.connect().await;
    let e = c.recv().await;
    assert_eq!(e["data"]["code"], "CAPACITY_REACHED", "{e}");
    assert_eq!(e["data"]["active_sessions"], 2);
    assert_eq!(e["data"]["max_sessions"], 2);
    c.expect_closed().await;

    a.close().await;
    app.wait_for_sessions(1).await;
    let mut d = app.connect().await;
    assert_eq!(d.reset(json!({"seed": 3})).await["type"], "observation");
    b.close().await;
    d.close().await;
    app.wait_for_sessions(0).await;
    app.stop().await;
}

#[actix_web::test]
async fn idle_sessions_are_closed() {
    let app = spawn_app_with(|a| a.idle_timeout_secs = 0.5).await;
    let mut ws = app.connect().await;
    ws.reset(json!({"seed": 1})).await;
    let reason = ws.expect_closed().await;
    assert!(reason.contains("idle"), "{reason}");
    let stats = app.wait_for_sessions(0).await;
    assert_eq!(stats.sessions_reaped_idle, 1);
    app.stop().await;
}

/// A stand-in session for the supervisor tests: records the closes it is sent.
struct Recorder(Rc<RefCell<Vec<CloseReason>>>);

impl Actor for Recorder {
    type Context = Context<Self>;
}

impl Handler<ForceClose> for Recorder {
    type Result = ();

    fn handle(&mut self, msg: ForceClose, _: &mut Context<Self>) {
        self.0.borrow_mut().push(msg.reason);
    }
}

/// Answered after every message sent before it, so the closes are recorded when it returns.
#[derive(Message)]
#[rtype(result = "()")]
struct Flush;

impl Handler<Flush> for Recorder {
    type Result = ();

    fn handle(&mut self, _: Flush, _: &mut Context<Self>) {}
}

/// The idle sweep on a paused clock: a session that stays quiet is closed after the limit (at the
/// first sweep past it), one that keeps touching its activity clock is never closed. The rule's
/// real-time wiring is `idle_sessions_are_closed`.
#[actix_web::test]
async fn the_idle_sweep_closes_quiet_sessions_and_spares_busy_ones() {
    tokio::time::pause();
    let limit = Duration::from_secs(60);
    let supervisor = EpisodeSupervisor::new(8, limit).start();
    let mut sessions = Vec::new();
    for id in ["quiet", "busy"] {
        let closes = Rc::new(RefCell::new(Vec::new()));
        let session = Recorder(closes.clone()).start();
        let activity = Activity::default();
        let register = Register {
            id: id.into(),
            kind: SessionKind::WebSocket,
            closer: session.clone().recipient(),
            activity: activity.clone(),
            mcp: None,
            client: sqlenv::supervisor::fair_share::ClientId::new(id),
        };
        supervisor.send(register).await.unwrap().unwrap();
        sessions.push((session, activity, closes));
    }
    let [(quiet, _, quiet_closes), (busy, busy_activity, busy_closes)] = &sessions[..] else {
        unreachable!()
    };
    // Sweeps run every quarter of the limit; step the clock by 5 s, the busy session active in
    // every step, up to just under the limit and then past the first sweep after it.
    let step = Duration::from_secs(5);
    let mut elapsed = Duration::ZERO;
    let mut closed_at = None;
    while elapsed < limit + limit / 4 + step {
        tokio::time::advance(step).await;
        elapsed += step;
        busy_activity.touch();
        quiet.send(Flush).await.unwrap();
        if closed_at.is_none() && !quiet_closes.borrow().is_empty() {
            closed_at = Some(elapsed);
        }
    }
    busy.send(Flush).await.unwrap();
    let closed_at = closed_at.expect("the quiet session is closed");
    assert!(
        closed_at > limit && closed_at <= limit + limit / 4 + step,
        "closed after {closed_at:?}"
    );
    assert_eq!(
        *quiet_closes.borrow(),
        [CloseReason::Idle { limit_secs: 60 }]
    );
    assert!(
        busy_closes.borrow().is_empty(),
        "{:?}",
        busy_closes.borrow()
    );
}

#[actix_web::test]
async fn peers_that_stop_answering_pings_are_dropped() {
    let app = spawn_app_with(|a| {
        a.heartbeat_interval_secs = 0.1;
        a.heartbeat_timeout_secs = 0.4;
    })
    .await;
    // A client that never reads answers no ping: like a half-open socket.
    let silent = app.connect().await;
    app.wait_for_sessions(1).await;
    actix_web::rt::time::sleep(Duration::from_millis(800)).await;
    app.wait_for_sessions(0).await;
    drop(silent);

    // One that answers pings (as the Python client does) stays.
    let mut alive = app.connect().await;
    alive.reset(json!({"seed": 1})).await;
    for _ in 0..4 {
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            alive.request(json!({"type": "state"})).await["type"],
            "state"
        );
    }
    alive.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn many_sessions_open_play_and_all_deregister() {
    let app = spawn_app().await;
    let clients = join_all((0..50).map(|i| {
        let app = &app;
        async move {
            let mut ws = app.connect().await;
            ws.reset(json!({"seed": i})).await;
            ws.step("QUERY", "SELECT 1").await;
            ws
        }
    }))
    .await;
    assert_eq!(app.stats().await.active_sessions, 50);
    // Half close politely, half just drop the connection.
    let mut it = clients.into_iter();
    for ws in it.by_ref().take(25) {
        ws.close().await;
    }
    drop(it);
    let stats = app.wait_for_sessions(0).await;
    assert_eq!(stats.sessions_started, 50);
    app.stop().await;
}
