//! Running a load: open the sessions (a bounded number of handshakes at a time), then either
//! play episodes on all of them at once until the run is over, or (idle mode) reset each once
//! and hold them open; the server's memory is sampled throughout.

use std::cell::{Cell, RefCell};
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{future, stream, StreamExt};

use super::args::{EnvKind, LoadArgs, Until};
use super::faults::{self, FaultReport};
use super::progress::{self, Progress};
use super::report::{mib, ServerMemory};
use super::rss::{self, Sampler};
use super::session::{self, Run};
use super::stats::Recorder;
use crate::agent::client::{ClientError, EpisodeClient};
use crate::catalog::Catalog;

/// How often idle sessions show they are alive while held (a `state` request), well inside the
/// server's default heartbeat timeout of 70 s, since nobody reads their pings meanwhile.
const IDLE_KEEPALIVE: Duration = Duration::from_secs(30);

/// Time given to the server to release closed sessions before idle mode reads its memory again.
const CLOSE_SETTLE: Duration = Duration::from_secs(2);

/// Opens `sessions` sessions spread round-robin over `urls`; the failures are recorded.
async fn connect_all(
    args: &LoadArgs,
    sessions: usize,
    recorder: &RefCell<Recorder>,
) -> Vec<(EpisodeClient, String)> {
    let bar = Progress::connecting(sessions, args.quiet);
    let urls = &args.urls;
    let connected: Vec<_> = stream::iter(0..sessions)
        .map(|i| {
            let url = urls[i % urls.len()].clone();
            async move {
                let client = EpisodeClient::connect(&url).await;
                (client, url)
            }
        })
        .buffer_unordered(args.connect_concurrency.max(1))
        .inspect(|_| bar.inc(1))
        .collect()
        .await;
    bar.finish_and_clear();
    let mut clients = Vec::with_capacity(connected.len());
    for (client, url) in connected {
        match client {
            Ok(client) => clients.push((client, url)),
            Err(e) => recorder.borrow_mut().failure(&e),
        }
    }
    clients
}

/// What the driver hands back to the report.
pub struct Outcome {
    pub recorder: Recorder,
    pub sessions_connected: usize,
    pub connect_secs: f64,
    pub play_secs: f64,
    pub server: Option<ServerMemory>,
    /// With `--faults`: what the fault workers did, and the server's sessions afterwards.
    pub faults: Option<FaultReport>,
}

fn memory_before(pid: Option<u32>) -> u64 {
    pid.and_then(rss::read).map_or(0, |m| m.rss_kib)
}

fn summarise_memory(
    pid: Option<u32>,
    before_kib: u64,
    sampler: Option<Sampler>,
    sessions: usize,
    idle: bool,
) -> Option<ServerMemory> {
    let (pid, sampler) = (pid?, sampler?);
    let samples = sampler.finish(pid);
    let peak = rss::read(pid).map_or(0, |m| m.peak_kib);
    Some(ServerMemory::from_samples(
        pid, before_kib, samples, peak, sessions, idle,
    ))
}

/// Plays episodes on `sessions` sessions until the run is over.
pub async fn active(args: &LoadArgs, sessions: usize, catalog: Option<Arc<Catalog>>) -> Outcome {
    let pid = args.server_pid;
    let before = memory_before(pid);
    let run = Rc::new(Run {
        env: args.env,
        policy: args.policy,
        seed: args.seed,
        echo_steps: args.echo_steps,
        until: args.until(),
        catalog,
        recorder: RefCell::new(Recorder::default()),
        claimed: Cell::new(0),
        started: Cell::new(Instant::now()),
        playing: Cell::new(0),
    });
    let connect_started = Instant::now();
    let clients = connect_all(args, sessions, &run.recorder).await;
    let connect_secs = connect_started.elapsed().as_secs_f64();
    let connected = clients.len();

    let sampler = pid.map(|p| Sampler::start(p, args.rss_interval));
    let progress = Progress::playing(run.until, args.quiet);
    run.started.set(Instant::now());
    let players = future::join_all(
        clients
            .into_iter()
            .map(|(client, url)| {
                let run = run.clone();
                async move { session::play(client, &url, run).await }
            })
            .collect::<Vec<_>>(),
    );
    let ticker = async {
        loop {
            actix_web::rt::time::sleep(progress::REFRESH).await;
            progress.update(&run.recorder.borrow(), run.started.get().elapsed());
        }
    };
    let fault_report = RefCell::new(FaultReport::default());
    let misbehave = async {
        if args.faults > 0 && args.env == EnvKind::Sqlenv {
            faults::inject(&args.urls, args.faults, &fault_report).await;
        }
        future::pending::<()>().await
    };
    future::select(pin!(players), pin!(future::join(ticker, misbehave))).await;
    let play_secs = run.started.get().elapsed().as_secs_f64();
    progress.finish();
    let faults = if args.faults > 0 && args.env == EnvKind::Sqlenv {
        let mut report = fault_report.into_inner();
        (report.server_sessions_after, report.settle_secs) =
            faults::settled_sessions(&args.urls).await;
        Some(report)
    } else {
        None
    };
    let server = summarise_memory(pid, before, sampler, connected, false);
    let recorder = std::mem::take(&mut *run.recorder.borrow_mut());
    Outcome {
        recorder,
        sessions_connected: connected,
        connect_secs,
        play_secs,
        server,
        faults,
    }
}

/// Opens `sessions` sessions, resets each once, holds them for `--hold`, then closes them.
pub async fn idle(args: &LoadArgs, sessions: usize) -> Outcome {
    let pid = args.server_pid;
    let before = memory_before(pid);
    let recorder = RefCell::new(Recorder::default());
    let connect_started = Instant::now();
    let clients = connect_all(args, sessions, &recorder).await;
    let reset_one = |(mut client, url): (EpisodeClient, String)| {
        let recorder = &recorder;
        async move {
            let sent = Instant::now();
            let reset = match args.env {
                EnvKind::Sqlenv => client.reset(&Seed { seed: args.seed }).await.map(drop),
                EnvKind::Echo => client.reset_any(&serde_json::Map::new()).await.map(drop),
            };
            match reset {
                Ok(()) => {
                    recorder
                        .borrow_mut()
                        .request("reset", false, sent.elapsed());
                    Some((client, url))
                }
                Err(e) => {
                    recorder.borrow_mut().failure(&e);
                    None
                }
            }
        }
    };
    let clients: Vec<EpisodeClient> = stream::iter(clients)
        .map(reset_one)
        .buffer_unordered(args.connect_concurrency.max(1))
        .filter_map(|c| async move { c.map(|(client, _)| client) })
        .collect()
        .await;
    let connect_secs = connect_started.elapsed().as_secs_f64();
    let held = clients.len();

    let sampler = pid.map(|p| Sampler::start(p, args.rss_interval));
    let hold_started = Instant::now();
    let clients = hold(clients, args, &recorder).await;
    let play_secs = hold_started.elapsed().as_secs_f64();
    let mut server = summarise_memory(pid, before, sampler, held, true);

    future::join_all(clients.into_iter().map(|c| async move {
        let _ = c.close().await;
    }))
    .await;
    if let (Some(memory), Some(pid)) = (server.as_mut(), pid) {
        actix_web::rt::time::sleep(CLOSE_SETTLE).await;
        memory.rss_after_close_mib = rss::read(pid).map(|m| mib(m.rss_kib));
    }
    Outcome {
        recorder: recorder.into_inner(),
        sessions_connected: held,
        connect_secs,
        play_secs,
        server,
        faults: None,
    }
}

#[derive(serde::Serialize)]
struct Seed {
    seed: u64,
}

/// Waits out the hold; SQLEnv sessions send a `state` request every [`IDLE_KEEPALIVE`], which
/// also answers the pings queued meanwhile. A session that fails it is dropped and counted.
async fn hold(
    mut clients: Vec<EpisodeClient>,
    args: &LoadArgs,
    recorder: &RefCell<Recorder>,
) -> Vec<EpisodeClient> {
    let until = Instant::now() + args.hold;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return clients;
        }
        actix_web::rt::time::sleep(left.min(IDLE_KEEPALIVE)).await;
        if args.env != EnvKind::Sqlenv || Instant::now() >= until {
            continue;
        }
        let checked = future::join_all(clients.into_iter().map(|mut c| async move {
            let state: Result<_, ClientError> = c.state().await;
            state.map(|_| c)
        }))
        .await;
        clients = Vec::with_capacity(checked.len());
        for c in checked {
            match c {
                Ok(c) => clients.push(c),
                Err(e) => recorder.borrow_mut().failure(&e),
            }
        }
    }
}

/// Whether the run's stop condition can be met at all.
pub fn check_until(until: Until) -> Result<(), String> {
    match until {
        Until::Episodes(0) => Err("--episodes must be at least 1".into()),
        Until::Elapsed(d) if d.is_zero() => Err("--duration must be above 0".into()),
        _ => Ok(()),
    }
}
