//! The episode supervisor: the registry of live sessions, the capacity limit, and the idle sweep
//! that closes sessions nobody has used for longer than the idle limit. Step budgets and the
//! episode time limit are rules of the episode itself (`session::episode`); dead peers are found
//! by the WebSocket heartbeat (`session::socket`). At shutdown it tells every session to close
//! (see `crate::shutdown`). It also keeps each client's share: a client holding
//! `--max-sessions-per-client` sessions is refused another (see [`fair_share`]).

pub mod activity;
pub mod fair_share;
pub mod messages;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::dev::SendError;
use actix::{Actor, AsyncContext, Context, Handler, Recipient};

use activity::Activity;
use fair_share::{ClientId, ClientSessionLimit, MessageRates};
use messages::*;

use crate::metrics::Metrics;
use crate::protocol::mcp_call::McpCall;

/// Sessions one server holds at once. GRPO opens a connection per generation, so hundreds
/// must fit; an idle session costs a few tens of kilobytes.
pub const DEFAULT_MAX_SESSIONS: usize = 1024;
/// A session with no client message for this long is closed. Long, because a trainer may be
/// silent for minutes while a model generates; dead peers are found by the heartbeat instead.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

struct Entry {
    kind: SessionKind,
    client: ClientId,
    closer: Recipient<ForceClose>,
    activity: Activity,
    mcp: Option<Recipient<McpCall>>,
    reaped: bool,
}

pub struct EpisodeSupervisor {
    sessions: HashMap<String, Entry>,
    max_sessions: usize,
    idle_timeout: Duration,
    /// Sessions per client, for the clients holding any.
    per_client: HashMap<ClientId, usize>,
    max_sessions_per_client: usize,
    /// Clients' message allowances, pruned on every sweep.
    rates: Option<Arc<MessageRates>>,
    started: u64,
    reaped: u64,
    /// Set by [`BeginShutdown`]: a session registering after it is closed straight away.
    shutting_down: bool,
    metrics: Metrics,
}

impl EpisodeSupervisor {
    pub fn new(max_sessions: usize, idle_timeout: Duration) -> Self {
        EpisodeSupervisor {
            sessions: HashMap::new(),
            max_sessions,
            idle_timeout,
            per_client: HashMap::new(),
            max_sessions_per_client: usize::MAX,
            rates: None,
            started: 0,
            reaped: 0,
            shutting_down: false,
            metrics: Metrics::default(),
        }
    }

    /// Reports to `metrics` instead of a private registry.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Limits each client to `max` sessions, and prunes the message allowances of `rates`.
    pub fn with_fair_share(mut self, max: usize, rates: Arc<MessageRates>) -> Self {
        self.max_sessions_per_client = max;
        self.rates = Some(rates);
        self
    }

    /// Forgets a session; true if it was registered.
    fn remove(&mut self, id: &str) -> bool {
        let removed = self.sessions.remove(id);
        if let Some(entry) = &removed {
            if let Some(count) = self.per_client.get_mut(&entry.client) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    self.per_client.remove(&entry.client);
                }
            }
        }
        let known = removed.is_some();
        if known {
            self.metrics.session_closed();
            self.metrics.set_sessions_active(self.sessions.len());
        }
        known
    }

    /// Sends `msg` to every session. A session whose mailbox is gone cannot be closed; it is
    /// logged with the error and dropped from the registry (its `Unregister` will never come),
    /// and the others are still told. Returns (delivered, unreachable).
    fn broadcast(&mut self, msg: &ForceClose) -> (usize, usize) {
        let mut gone = Vec::new();
        for (id, entry) in &self.sessions {
            match entry.closer.try_send(msg.clone()) {
                Ok(()) => {}
                // A close must not be lost to a full mailbox; `do_send` ignores the capacity.
                Err(SendError::Full(msg)) => entry.closer.do_send(msg),
                Err(error @ SendError::Closed(_)) => {
                    tracing::warn!(session = %id, %error, reason = %msg.reason.describe(), "cannot close session");
                    gone.push(id.clone());
                }
            }
        }
        for id in &gone {
            self.remove(id);
        }
        (self.sessions.len(), gone.len())
    }

    /// How often idle sessions are looked for: often enough that none outlives its limit by
    /// more than a quarter of it.
    fn sweep_interval(&self) -> Duration {
        (self.idle_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(30))
    }

    fn sweep(&mut self) {
        if let Some(rates) = &self.rates {
            rates.forget_idle();
        }
        let limit_secs = self.idle_timeout.as_secs();
        for entry in self.sessions.values_mut() {
            if !entry.reaped && entry.activity.idle_for() > self.idle_timeout {
                entry.reaped = true;
                self.reaped += 1;
                self.metrics.session_reaped();
                entry.closer.do_send(ForceClose {
                    reason: CloseReason::Idle { limit_secs },
                });
            }
        }
    }
}

impl Actor for EpisodeSupervisor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(self.sweep_interval(), |act, _| act.sweep());
    }
}

impl Handler<Register> for EpisodeSupervisor {
    type Result = Result<(), Refused>;

    fn handle(&mut self, msg: Register, _: &mut Context<Self>) -> Self::Result {
        if self.shutting_down {
            // Accepted just before the listener paused: registered so that its `Unregister`
            // matches, and closed at once with the shutdown reason so the client learns why.
            msg.closer.do_send(ForceClose {
                reason: CloseReason::Shutdown,
            });
        }
        if self.sessions.len() >= self.max_sessions {
            self.metrics.session_refused();
            return Err(Refused::Capacity(CapacityReached {
                active: self.sessions.len(),
                max: self.max_sessions,
            }));
        }
        let held = self.per_client.get(&msg.client).copied().unwrap_or(0);
        if held >= self.max_sessions_per_client {
            self.metrics.session_refused();
            return Err(Refused::ClientLimit(ClientSessionLimit {
                client: msg.client,
                active: held,
                max: self.max_sessions_per_client,
                idle_secs: self.idle_timeout.as_secs(),
            }));
        }
        self.started += 1;
        *self.per_client.entry(msg.client.clone()).or_default() += 1;
        let entry = Entry {
            kind: msg.kind,
            client: msg.client,
            closer: msg.closer,
            activity: msg.activity,
            mcp: msg.mcp,
            reaped: false,
        };
        self.sessions.insert(msg.id, entry);
        self.metrics.session_opened();
        self.metrics.set_sessions_active(self.sessions.len());
        Ok(())
    }
}

impl Handler<Unregister> for EpisodeSupervisor {
    type Result = ();

    fn handle(&mut self, msg: Unregister, _: &mut Context<Self>) {
        self.remove(&msg.id);
    }
}

impl Handler<FindMcp> for EpisodeSupervisor {
    type Result = Option<Recipient<McpCall>>;

    fn handle(&mut self, msg: FindMcp, _: &mut Context<Self>) -> Self::Result {
        self.sessions.get(&msg.id).and_then(|e| e.mcp.clone())
    }
}

impl Handler<CloseMcp> for EpisodeSupervisor {
    type Result = bool;

    fn handle(&mut self, msg: CloseMcp, _: &mut Context<Self>) -> bool {
        match self.sessions.get(&msg.id) {
            Some(entry) if entry.kind == SessionKind::Mcp => {
                entry.closer.do_send(ForceClose {
                    reason: CloseReason::Requested,
                });
                // Forget it now, so a second close or a call right after says "unknown session".
                self.remove(&msg.id);
                true
            }
            _ => false,
        }
    }
}

impl Handler<ForceClose> for EpisodeSupervisor {
    type Result = ();

    /// Passes a close on to every session.
    fn handle(&mut self, msg: ForceClose, _: &mut Context<Self>) {
        self.broadcast(&msg);
    }
}

impl Handler<BeginShutdown> for EpisodeSupervisor {
    type Result = ShutdownNotice;

    fn handle(&mut self, _: BeginShutdown, _: &mut Context<Self>) -> ShutdownNotice {
        self.shutting_down = true;
        let (told, unreachable) = self.broadcast(&ForceClose {
            reason: CloseReason::Shutdown,
        });
        ShutdownNotice { told, unreachable }
    }
}

impl Handler<GetStats> for EpisodeSupervisor {
    type Result = SessionStats;

    fn handle(&mut self, _: GetStats, _: &mut Context<Self>) -> SessionStats {
        let websocket = self
            .sessions
            .values()
            .filter(|e| e.kind == SessionKind::WebSocket)
            .count();
        SessionStats {
            active_sessions: self.sessions.len(),
            websocket_sessions: websocket,
            mcp_sessions: self.sessions.len() - websocket,
            max_sessions: self.max_sessions,
            max_sessions_per_client: self.max_sessions_per_client.min(self.max_sessions),
            clients: self.per_client.len(),
            sessions_started: self.started,
            sessions_reaped_idle: self.reaped,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use actix::{ActorContext, Addr};

    use super::*;
    use crate::protocol::messages::ErrorCode;

    /// A stand-in session that records the closes it is sent.
    struct Probe(Arc<Mutex<Vec<CloseReason>>>);

    impl Actor for Probe {
        type Context = Context<Self>;
    }

    impl Handler<ForceClose> for Probe {
        type Result = ();

        fn handle(&mut self, msg: ForceClose, ctx: &mut Context<Self>) {
            self.0.lock().unwrap().push(msg.reason);
            ctx.stop();
        }
    }

    fn register(id: &str, closer: Recipient<ForceClose>) -> Register {
        register_as(id, "test", closer)
    }

    fn register_as(id: &str, client: &str, closer: Recipient<ForceClose>) -> Register {
        Register {
            id: id.into(),
            kind: SessionKind::WebSocket,
            client: ClientId::new(client),
            closer,
            activity: Activity::default(),
            mcp: None,
        }
    }

    async fn settle() {
        actix::clock::sleep(Duration::from_millis(50)).await;
    }

    #[actix::test]
    async fn shutdown_closes_every_live_session_and_skips_dead_ones() {
        let supervisor = EpisodeSupervisor::new(8, DEFAULT_IDLE_TIMEOUT).start();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let live: Addr<Probe> = Probe(seen.clone()).start();
        let dead: Addr<Probe> = Probe(Arc::default()).start();
        supervisor
            .send(register("live", live.recipient()))
            .await
            .unwrap()
            .unwrap();
        supervisor
            .send(register("dead", dead.clone().recipient()))
            .await
            .unwrap()
            .unwrap();
        // Stop the second one without telling the supervisor: its mailbox is gone.
        dead.do_send(ForceClose {
            reason: CloseReason::Requested,
        });
        drop(dead);
        settle().await;

        let notice = supervisor.send(BeginShutdown).await.unwrap();
        assert_eq!(
            notice,
            ShutdownNotice {
                told: 1,
                unreachable: 1
            }
        );
        settle().await;
        assert_eq!(*seen.lock().unwrap(), vec![CloseReason::Shutdown]);
    }

    #[actix::test]
    async fn a_client_at_its_share_is_refused_until_one_of_its_sessions_ends() {
        let rates = MessageRates::new(fair_share::FairShareLimits::default());
        let supervisor = EpisodeSupervisor::new(8, DEFAULT_IDLE_TIMEOUT)
            .with_fair_share(2, rates)
            .start();
        let probe = || Probe(Arc::default()).start().recipient();
        for id in ["a1", "a2"] {
            supervisor
                .send(register_as(id, "a", probe()))
                .await
                .unwrap()
                .unwrap();
        }
        let refused = supervisor
            .send(register_as("a3", "a", probe()))
            .await
            .unwrap()
            .unwrap_err();
        let Refused::ClientLimit(limit) = &refused else {
            panic!("{refused:?}");
        };
        assert_eq!((limit.active, limit.max), (2, 2));
        assert_eq!(refused.error_body().code, ErrorCode::ClientSessionLimit);
        // Another client is not affected.
        supervisor
            .send(register_as("b1", "b", probe()))
            .await
            .unwrap()
            .unwrap();
        supervisor.do_send(Unregister { id: "a1".into() });
        supervisor
            .send(register_as("a3", "a", probe()))
            .await
            .unwrap()
            .unwrap();
        let stats = supervisor.send(GetStats).await.unwrap();
        assert_eq!((stats.active_sessions, stats.clients), (3, 2));
        for id in ["a2", "a3", "b1"] {
            supervisor.do_send(Unregister { id: id.into() });
        }
        assert_eq!(supervisor.send(GetStats).await.unwrap().clients, 0);
    }

    #[actix::test]
    async fn a_session_registering_during_shutdown_is_closed_at_once() {
        let supervisor = EpisodeSupervisor::new(8, DEFAULT_IDLE_TIMEOUT).start();
        supervisor.send(BeginShutdown).await.unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let late = Probe(seen.clone()).start();
        supervisor
            .send(register("late", late.recipient()))
            .await
            .unwrap()
            .unwrap();
        settle().await;
        assert_eq!(*seen.lock().unwrap(), vec![CloseReason::Shutdown]);
    }
}
