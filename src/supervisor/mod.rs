//! The episode supervisor: the registry of live sessions, the capacity limit, and the idle sweep
//! that closes sessions nobody has used for longer than the idle limit. Step budgets and the
//! episode time limit are rules of the episode itself (`session::episode`); dead peers are found
//! by the WebSocket heartbeat (`session::socket`).

pub mod activity;
pub mod messages;

use std::collections::HashMap;
use std::time::Duration;

use actix::{Actor, AsyncContext, Context, Handler, Recipient};

use activity::Activity;
use messages::*;

use crate::session::messages::McpCall;

/// Sessions one server holds at once. GRPO opens a connection per generation, so hundreds
/// must fit; an idle session costs a few tens of kilobytes.
pub const DEFAULT_MAX_SESSIONS: usize = 1024;
/// A session with no client message for this long is closed. Long, because a trainer may be
/// silent for minutes while a model generates; dead peers are found by the heartbeat instead.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

struct Entry {
    kind: SessionKind,
    closer: Recipient<ForceClose>,
    activity: Activity,
    mcp: Option<Recipient<McpCall>>,
    reaped: bool,
}

pub struct EpisodeSupervisor {
    sessions: HashMap<String, Entry>,
    max_sessions: usize,
    idle_timeout: Duration,
    started: u64,
    reaped: u64,
}

impl EpisodeSupervisor {
    pub fn new(max_sessions: usize, idle_timeout: Duration) -> Self {
        EpisodeSupervisor {
            sessions: HashMap::new(),
            max_sessions,
            idle_timeout,
            started: 0,
            reaped: 0,
        }
    }

    /// How often idle sessions are looked for: often enough that none outlives its limit by
    /// more than a quarter of it.
    fn sweep_interval(&self) -> Duration {
        (self.idle_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(30))
    }

    fn sweep(&mut self) {
        let limit_secs = self.idle_timeout.as_secs();
        for entry in self.sessions.values_mut() {
            if !entry.reaped && entry.activity.idle_for() > self.idle_timeout {
                entry.reaped = true;
                self.reaped += 1;
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
    type Result = Result<(), CapacityReached>;

    fn handle(&mut self, msg: Register, _: &mut Context<Self>) -> Self::Result {
        if self.sessions.len() >= self.max_sessions {
            return Err(CapacityReached {
                active: self.sessions.len(),
                max: self.max_sessions,
            });
        }
        self.started += 1;
        let entry = Entry {
            kind: msg.kind,
            closer: msg.closer,
            activity: msg.activity,
            mcp: msg.mcp,
            reaped: false,
        };
        self.sessions.insert(msg.id, entry);
        Ok(())
    }
}

impl Handler<Unregister> for EpisodeSupervisor {
    type Result = ();

    fn handle(&mut self, msg: Unregister, _: &mut Context<Self>) {
        self.sessions.remove(&msg.id);
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
                self.sessions.remove(&msg.id);
                true
            }
            _ => false,
        }
    }
}

impl Handler<ForceClose> for EpisodeSupervisor {
    type Result = ();

    /// Passes a close on to every session (used at shutdown).
    fn handle(&mut self, msg: ForceClose, _: &mut Context<Self>) {
        for entry in self.sessions.values() {
            entry.closer.do_send(msg.clone());
        }
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
            sessions_started: self.started,
            sessions_reaped_idle: self.reaped,
        }
    }
}
