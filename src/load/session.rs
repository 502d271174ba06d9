//! One load session: plays episodes back to back over its WebSocket until the run says stop,
//! timing every request. An error frame ends only the episode; a broken connection is reopened
//! a few times before the session gives up.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::args::{EnvKind, PolicyChoice, Until};
use super::stats::Recorder;
use crate::agent::client::{ClientError, EpisodeClient};
use crate::agent::eval::episode_seed;
use crate::agent::runner::{play_episode_timed, Exchange, RunError};
use crate::catalog::Catalog;

/// Times a session reopens a lost connection before it gives up: a few, so a server restart is
/// survived, and not forever, so a server refusing sessions does not turn into a connect storm.
const MAX_RECONNECTS: u32 = 3;

/// What every session of a run shares. All sessions run on one thread, so plain cells do.
pub struct Run {
    pub env: EnvKind,
    pub policy: PolicyChoice,
    pub seed: u64,
    pub echo_steps: u32,
    pub until: Until,
    /// The local copy of the server's data the policies read (sqlenv only).
    pub catalog: Option<Arc<Catalog>>,
    pub recorder: RefCell<Recorder>,
    /// Episodes claimed so far; also the index of the next one.
    pub claimed: Cell<u64>,
    /// When play started (set after every session connected).
    pub started: Cell<Instant>,
    /// Sessions still playing.
    pub playing: Cell<usize>,
}

impl Run {
    /// Takes the next episode's index, or `None` when the run is over.
    fn claim(&self) -> Option<u64> {
        let index = self.claimed.get();
        let more = match self.until {
            Until::Episodes(n) => index < n,
            Until::Elapsed(d) => self.started.get().elapsed() < d,
        };
        more.then(|| {
            self.claimed.set(index + 1);
            index
        })
    }
}

/// How an episode went wrong.
enum Failed {
    /// The session is still usable (an error frame, or a question it could not play).
    Episode,
    /// The connection is gone.
    Connection,
}

/// Plays episodes on `client` until the run is over, then closes the session.
pub async fn play(mut client: EpisodeClient, url: &str, run: Rc<Run>) {
    run.playing.set(run.playing.get() + 1);
    let mut reconnects = 0;
    while let Some(index) = run.claim() {
        let outcome = match run.env {
            EnvKind::Sqlenv => sqlenv_episode(&mut client, index, &run).await,
            EnvKind::Echo => echo_episode(&mut client, &run).await,
        };
        if let Err(Failed::Connection) = outcome {
            if reconnects == MAX_RECONNECTS {
                run.playing.set(run.playing.get().saturating_sub(1));
                return;
            }
            reconnects += 1;
            match EpisodeClient::connect(url).await {
                Ok(fresh) => client = fresh,
                Err(e) => {
                    run.recorder.borrow_mut().failure(&e);
                    run.playing.set(run.playing.get().saturating_sub(1));
                    return;
                }
            }
        }
    }
    run.playing.set(run.playing.get().saturating_sub(1));
    // The figures are in; a failed close handshake changes none of them.
    let _ = client.close().await;
}

fn record_failure(run: &Run, error: &ClientError) -> Failed {
    run.recorder.borrow_mut().failure(error);
    match error {
        // The server closes the socket after these two.
        ClientError::Server { code, .. }
            if code != "CAPACITY_REACHED" && code != "SESSION_ERROR" =>
        {
            Failed::Episode
        }
        _ => Failed::Connection,
    }
}

/// The reset keyword arguments of a load episode: a seed, so the server draws the question.
#[derive(Serialize)]
struct SeededReset {
    seed: u64,
}

async fn sqlenv_episode(client: &mut EpisodeClient, index: u64, run: &Run) -> Result<(), Failed> {
    let Some(catalog) = &run.catalog else {
        run.recorder
            .borrow_mut()
            .other_failure("no local catalog to play SQLEnv episodes with".into());
        return Err(Failed::Episode);
    };
    let kind = run.policy.for_episode(index);
    let seed = episode_seed(run.seed, kind, index as usize);
    let mut policy = kind.build(seed);
    let mut timed = |exchange: Exchange, elapsed| {
        let (name, is_step) = match exchange {
            Exchange::Reset => ("reset", false),
            Exchange::Step(action) => (action.as_str(), true),
        };
        run.recorder.borrow_mut().request(name, is_step, elapsed);
    };
    let reset = SeededReset { seed };
    match play_episode_timed(client, policy.as_mut(), catalog, &reset, &mut timed).await {
        Ok(record) => {
            let mut recorder = run.recorder.borrow_mut();
            recorder.episodes += 1;
            recorder.correct += u64::from(record.correct);
            Ok(())
        }
        Err(RunError::Client(e)) => Err(record_failure(run, &e)),
        Err(e @ RunError::UnknownQuestion { .. }) => {
            run.recorder.borrow_mut().other_failure(e.to_string());
            Err(Failed::Episode)
        }
    }
}

/// The action of the OpenEnv reference echo environment (`openenv init`'s template).
#[derive(Serialize)]
pub struct EchoAction<'a> {
    pub message: &'a str,
}

/// What the echo sessions send: about the size of a short SQL query.
const ECHO_MESSAGE: &str = "SELECT count(*) FROM singer WHERE age > 30";

async fn echo_episode(client: &mut EpisodeClient, run: &Run) -> Result<(), Failed> {
    let sent = Instant::now();
    client
        .reset_any(&serde_json::Map::new())
        .await
        .map_err(|e| record_failure(run, &e))?;
    run.recorder
        .borrow_mut()
        .request("reset", false, sent.elapsed());
    let action = EchoAction {
        message: ECHO_MESSAGE,
    };
    for _ in 0..run.echo_steps {
        let sent = Instant::now();
        client
            .step_any(&action)
            .await
            .map_err(|e| record_failure(run, &e))?;
        run.recorder
            .borrow_mut()
            .request("step", true, sent.elapsed());
    }
    run.recorder.borrow_mut().episodes += 1;
    Ok(())
}
