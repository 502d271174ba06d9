//! Graceful shutdown: on SIGTERM or SIGINT the server tells every session it is going away before
//! it stops, so a trainer sees a close frame with a reason instead of a reset connection.
//!
//! actix-web's own signal handling is switched off (`startup` builds the server with
//! `disable_signals`), because it would stop the workers without telling the sessions first.
//! Instead [`serve_until_signalled`] waits for a signal and runs [`ShutdownHandle::shutdown`],
//! which tests call directly. The order of events:
//!
//! 1. The listener pauses: no new connection is accepted from here on.
//! 2. The supervisor marks itself as shutting down and sends every registered session, WebSocket
//!    and MCP alike, `ForceClose` with [`CloseReason::Shutdown`]. A session in the middle of a
//!    step finishes it first (a step holds the session's mailbox), replies, and then closes: a
//!    WebSocket session sends a close frame (1001 "going away", text "server shutting down"), an
//!    MCP session just ends. A session whose mailbox is already gone is logged with its id and
//!    the error, and the others are still told. A session that registers after this point (its
//!    connection was accepted just before the pause) is closed at once the same way.
//! 3. The HTTP server stops gracefully: the listener is closed, so new connections are refused,
//!    and the workers wait for open connections (sockets finishing their close handshake,
//!    in-flight HTTP requests) for at most the grace period (`--shutdown-grace-secs`); whatever
//!    is still open then is cut.
//! 4. The server future completes and `sqlenv serve` exits with status 0.
//!
//! [`CloseReason::Shutdown`]: crate::supervisor::messages::CloseReason::Shutdown

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::{Addr, MailboxError};
use actix_web::dev::ServerHandle;
use actix_web::rt::time::Instant;

use crate::supervisor::messages::{BeginShutdown, ShutdownNotice};
use crate::supervisor::EpisodeSupervisor;

/// How long a shutdown may take by default. Below `docker stop`'s 10 s (after which Docker sends
/// SIGKILL) and Kubernetes' 30 s termination grace, and well above the 2 s query time limit, so an
/// in-flight step normally finishes.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(8);

/// Stops a running server the graceful way; cheap to clone.
#[derive(Clone)]
pub struct ShutdownHandle {
    server: ServerHandle,
    supervisor: Addr<EpisodeSupervisor>,
}

impl ShutdownHandle {
    pub fn new(server: ServerHandle, supervisor: Addr<EpisodeSupervisor>) -> Self {
        ShutdownHandle { server, supervisor }
    }

    /// Runs the shutdown described in the module documentation and returns once the server has
    /// stopped. The grace period is the server's own shutdown timeout, set when it was built.
    pub async fn shutdown(&self) -> ShutdownNotice {
        run(self).await
    }
}

/// The steps of a shutdown, apart from the server and supervisor that take them, so that their
/// order (this module's own rule; the grace period is actix-server's) is tested without a server.
trait Steps {
    /// Stops accepting connections.
    async fn pause(&self);
    /// Tells every session to close; an error when the supervisor is gone.
    async fn tell_sessions(&self) -> Result<ShutdownNotice, MailboxError>;
    /// Stops the server gracefully, within its grace period.
    async fn stop(&self);
}

impl Steps for ShutdownHandle {
    async fn pause(&self) {
        self.server.pause().await;
    }

    async fn tell_sessions(&self) -> Result<ShutdownNotice, MailboxError> {
        self.supervisor.send(BeginShutdown).await
    }

    async fn stop(&self) {
        self.server.stop(true).await;
    }
}

/// Each step starts once the one before has finished: no session is told before the listener
/// has paused (one accepted later would miss the close), and the server stops only after every
/// session was told (stopping first would cut them without a reason). A supervisor that is gone
/// does not keep the server up.
async fn run(steps: &impl Steps) -> ShutdownNotice {
    let started = Instant::now();
    steps.pause().await;
    let notice = match steps.tell_sessions().await {
        Ok(notice) => notice,
        Err(error) => {
            // Without the supervisor no session can be told; stopping still closes them.
            tracing::error!(%error, "supervisor unavailable; stopping without closing sessions");
            ShutdownNotice::default()
        }
    };
    tracing::info!(
        sessions_told = notice.told,
        sessions_unreachable = notice.unreachable,
        "sessions told to close; stopping the server"
    );
    steps.stop().await;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "server stopped"
    );
    notice
}

/// The signals that start a shutdown, listened for from before the server is built so that a
/// signal arriving as soon as the port answers is never handled the default way (killing the
/// process without a shutdown).
pub struct Signals {
    #[cfg(unix)]
    terminate: actix_web::rt::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: actix_web::rt::signal::unix::Signal,
}

impl Signals {
    /// Starts listening for SIGTERM and SIGINT (Ctrl-C elsewhere). Must run inside the runtime.
    pub fn listen() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use actix_web::rt::signal::unix::{signal, SignalKind};
            Ok(Signals {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    /// Waits for the next signal and names it.
    pub async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            std::future::poll_fn(|cx| {
                if self.terminate.poll_recv(cx).is_ready() {
                    std::task::Poll::Ready("SIGTERM")
                } else if self.interrupt.poll_recv(cx).is_ready() {
                    std::task::Poll::Ready("SIGINT")
                } else {
                    std::task::Poll::Pending
                }
            })
            .await
        }
        #[cfg(not(unix))]
        {
            match actix_web::rt::signal::ctrl_c().await {
                Ok(()) => "Ctrl-C",
                // No signal can be listened for: never start a shutdown from here.
                Err(_) => std::future::pending().await,
            }
        }
    }
}

/// Runs `server` (the future of a running server, `Application::run_until_stopped`) until it
/// stops; the first signal starts the graceful shutdown through `shutdown`. It takes the server's
/// parts rather than the `Application`, so this module does not depend on the one that builds
/// the server.
pub async fn serve_until_signalled(
    server: impl Future<Output = std::io::Result<()>>,
    shutdown: ShutdownHandle,
    mut signals: Signals,
) -> std::io::Result<()> {
    let started = Arc::new(AtomicBool::new(false));
    let watcher = {
        let started = started.clone();
        actix_web::rt::spawn(async move {
            let signal = signals.recv().await;
            tracing::info!(signal, "shutting down");
            started.store(true, Ordering::SeqCst);
            shutdown.shutdown().await;
        })
    };
    let outcome = server.await;
    if started.load(Ordering::SeqCst) {
        // The server future can finish a moment before `shutdown` returns; let it finish its log.
        let _ = watcher.await;
    } else {
        watcher.abort();
    }
    outcome
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use tokio::time::sleep;

    use super::*;

    const PAUSE: Duration = Duration::from_millis(50);
    const TELL: Duration = Duration::from_millis(300);
    const GRACE: Duration = Duration::from_secs(8);

    /// Steps that take a set time each (on the paused clock) and note when they start and end.
    struct Recorded {
        started: Instant,
        supervisor: Result<ShutdownNotice, MailboxError>,
        events: RefCell<Vec<(&'static str, Duration)>>,
    }

    impl Recorded {
        fn new(supervisor: Result<ShutdownNotice, MailboxError>) -> Self {
            Recorded {
                started: Instant::now(),
                supervisor,
                events: RefCell::default(),
            }
        }

        fn note(&self, event: &'static str) {
            let at = self.started.elapsed();
            self.events.borrow_mut().push((event, at));
        }

        async fn take(&self, step: &'static str, end: &'static str, lasts: Duration) {
            self.note(step);
            sleep(lasts).await;
            self.note(end);
        }
    }

    impl Steps for Recorded {
        async fn pause(&self) {
            self.take("pause", "paused", PAUSE).await;
        }

        async fn tell_sessions(&self) -> Result<ShutdownNotice, MailboxError> {
            self.take("tell", "told", TELL).await;
            self.supervisor
        }

        async fn stop(&self) {
            self.take("stop", "stopped", GRACE).await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn each_step_starts_when_the_one_before_has_finished() {
        let told = ShutdownNotice {
            told: 3,
            unreachable: 1,
        };
        let steps = Recorded::new(Ok(told));
        assert_eq!(run(&steps).await, told);
        let events = steps.events.into_inner();
        assert_eq!(
            events,
            [
                ("pause", Duration::ZERO),
                ("paused", PAUSE),
                ("tell", PAUSE),
                ("told", PAUSE + TELL),
                ("stop", PAUSE + TELL),
                ("stopped", PAUSE + TELL + GRACE),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_supervisor_that_is_gone_does_not_keep_the_server_up() {
        let steps = Recorded::new(Err(MailboxError::Closed));
        assert_eq!(run(&steps).await, ShutdownNotice::default());
        let names: Vec<_> = steps.events.into_inner().iter().map(|e| e.0).collect();
        assert_eq!(
            names,
            ["pause", "paused", "tell", "told", "stop", "stopped"]
        );
    }
}
