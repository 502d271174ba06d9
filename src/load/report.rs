//! The report of a load run: the figures as one serialisable value (what `--json` writes) and
//! as the text table printed at the end.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::args::{EnvKind, PolicyChoice};
use super::faults::FaultReport;
use super::rss::Sample;
use super::stats::LatencyRow;

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub generated_by: &'static str,
    pub mode: &'static str,
    pub env: EnvKind,
    pub policy: Option<PolicyChoice>,
    pub urls: Vec<String>,
    pub sessions_requested: usize,
    pub sessions_connected: usize,
    /// Set when the open-file limit made the run use fewer sessions than asked for.
    pub limited_by_open_files: Option<String>,
    pub open_file_limit: u64,
    pub connect_secs: f64,
    /// Time from the start of play until the last session finished.
    pub play_secs: f64,
    pub episodes: u64,
    pub steps: u64,
    pub resets: u64,
    pub correct_answers: u64,
    pub steps_per_sec: f64,
    pub episodes_per_sec: f64,
    pub latency: Vec<LatencyRow>,
    pub error_frames: BTreeMap<String, u64>,
    pub transport_errors: u64,
    pub connect_errors: u64,
    pub error_examples: Vec<String>,
    pub server: Option<ServerMemory>,
    /// With `--faults`: the faults played beside the sessions (their errors are not the
    /// sessions' errors above).
    pub faults: Option<FaultReport>,
}

/// The server's memory through the run, in MiB.
#[derive(Debug, Clone, Serialize)]
pub struct ServerMemory {
    pub pid: u32,
    /// Before any session connected.
    pub rss_before_mib: f64,
    /// At the start, middle and end of play (idle mode: of the hold).
    pub rss_start_mib: f64,
    pub rss_mid_mib: f64,
    pub rss_end_mib: f64,
    pub rss_max_sampled_mib: f64,
    /// Idle mode: after every session closed.
    pub rss_after_close_mib: Option<f64>,
    /// The kernel's high-water mark (VmHWM) at the end: the peak over the server's whole life.
    pub peak_rss_mib: f64,
    /// Idle mode: (RSS at the end of the hold - RSS before) / sessions held, in KiB.
    pub kib_per_session: Option<f64>,
    pub samples: Vec<Sample>,
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

impl ServerMemory {
    /// Summarises `samples` taken during play (or the hold).
    pub fn from_samples(
        pid: u32,
        before_kib: u64,
        samples: Vec<Sample>,
        peak_kib: u64,
        sessions: usize,
        idle: bool,
    ) -> ServerMemory {
        let at = |fraction: f64| {
            let last = samples.len().saturating_sub(1);
            let index = ((last as f64) * fraction).round() as usize;
            samples.get(index).map_or(before_kib, |s| s.rss_kib)
        };
        let end = at(1.0);
        let max = samples
            .iter()
            .map(|s| s.rss_kib)
            .max()
            .unwrap_or(before_kib);
        ServerMemory {
            pid,
            rss_before_mib: mib(before_kib),
            rss_start_mib: mib(at(0.0)),
            rss_mid_mib: mib(at(0.5)),
            rss_end_mib: mib(end),
            rss_max_sampled_mib: mib(max),
            rss_after_close_mib: None,
            peak_rss_mib: mib(peak_kib),
            kib_per_session: (sessions > 0 && idle)
                .then(|| (end as f64 - before_kib as f64) / sessions as f64),
            samples,
        }
    }
}

impl Report {
    /// Why `--strict` fails this run: any error (error frames, transport or connect errors) or,
    /// in active mode, no completed episode.
    pub fn strict_failure(&self) -> Option<String> {
        let errors =
            self.error_frames.values().sum::<u64>() + self.transport_errors + self.connect_errors;
        if errors > 0 {
            Some(format!("{errors} errors"))
        } else if self.mode == "active" && self.episodes == 0 {
            Some("no episode was completed".into())
        } else {
            None
        }
    }

    /// The report as text: a summary, the latency table (Markdown) and the errors.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let policy = self.policy.map_or(String::new(), |p| {
            format!(", policy {}", serde_json::to_string(&p).unwrap_or_default())
        });
        let _ = writeln!(
            out,
            "{} run against {} ({}{policy})",
            self.mode,
            self.urls.join(", "),
            serde_json::to_string(&self.env)
                .unwrap_or_default()
                .trim_matches('"'),
        );
        let _ = writeln!(
            out,
            "sessions: {} connected of {} requested in {:.2} s (open-file limit {})",
            self.sessions_connected,
            self.sessions_requested,
            self.connect_secs,
            self.open_file_limit
        );
        if let Some(why) = &self.limited_by_open_files {
            let _ = writeln!(out, "LIMITED: {why}");
        }
        let correct = if self.env == EnvKind::Sqlenv && self.mode == "active" {
            format!(" ({} correct answers)", self.correct_answers)
        } else {
            String::new()
        };
        let verb = if self.mode == "idle" {
            "held"
        } else {
            "played"
        };
        let _ = writeln!(
            out,
            "{verb} {:.2} s: {} episodes, {} steps, {} resets{correct}",
            self.play_secs, self.episodes, self.steps, self.resets
        );
        let _ = writeln!(
            out,
            "throughput: {:.0} steps/s, {:.1} episodes/s",
            self.steps_per_sec, self.episodes_per_sec
        );
        if !self.latency.is_empty() {
            out.push_str("\n| request | count | mean ms | p50 ms | p95 ms | p99 ms | max ms |\n");
            out.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
            for r in &self.latency {
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                    r.kind, r.count, r.mean_ms, r.p50_ms, r.p95_ms, r.p99_ms, r.max_ms
                );
            }
            out.push('\n');
        }
        let frames: Vec<String> = self
            .error_frames
            .iter()
            .map(|(code, n)| format!("{code} x{n}"))
            .collect();
        let _ = writeln!(
            out,
            "errors: {} error frames{}, {} transport errors, {} connect errors",
            self.error_frames.values().sum::<u64>(),
            if frames.is_empty() {
                String::new()
            } else {
                format!(" ({})", frames.join(", "))
            },
            self.transport_errors,
            self.connect_errors
        );
        for e in &self.error_examples {
            let _ = writeln!(out, "  e.g. {e}");
        }
        if let Some(m) = &self.server {
            let _ = writeln!(
                out,
                "server pid {} RSS MiB: before {:.1}, start {:.1}, mid {:.1}, end {:.1}, max sampled {:.1}, peak (VmHWM) {:.1}",
                m.pid, m.rss_before_mib, m.rss_start_mib, m.rss_mid_mib, m.rss_end_mib,
                m.rss_max_sampled_mib, m.peak_rss_mib
            );
            if let Some(after) = m.rss_after_close_mib {
                let _ = writeln!(out, "server RSS after every session closed: {after:.1} MiB");
            }
            if let Some(per) = m.kib_per_session {
                let _ = writeln!(out, "server memory per session: {per:.1} KiB");
            }
        }
        if let Some(f) = &self.faults {
            let _ = writeln!(
                out,
                "faults ({} workers, apart from the figures above): {} connections dropped mid-step, {} garbage connections ({} frames, {} answered with an error frame), {} sessions abandoned, {} fault connections refused or cut",
                f.workers, f.dropped_mid_step, f.garbage_connections, f.garbage_frames,
                f.garbage_errors_answered, f.abandoned_sessions, f.fault_transport_errors
            );
            let after = f
                .server_sessions_after
                .map_or("unknown (no /metrics)".to_owned(), |n| n.to_string());
            let _ = writeln!(
                out,
                "server sessions after the run: {after} (read {:.1} s after it)",
                f.settle_secs
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_read_at_start_middle_and_end() {
        let samples: Vec<Sample> = [100u64, 200, 300, 250, 400]
            .iter()
            .enumerate()
            .map(|(i, &kib)| Sample {
                at_secs: i as f64,
                rss_kib: kib * 1024,
            })
            .collect();
        let m = ServerMemory::from_samples(1, 50 * 1024, samples, 500 * 1024, 10, true);
        assert_eq!(
            (m.rss_start_mib, m.rss_mid_mib, m.rss_end_mib),
            (100.0, 300.0, 400.0)
        );
        assert_eq!((m.rss_max_sampled_mib, m.peak_rss_mib), (400.0, 500.0));
        assert_eq!(m.kib_per_session, Some(350.0 * 1024.0 / 10.0));
        let empty = ServerMemory::from_samples(1, 1024, Vec::new(), 1024, 0, true);
        assert_eq!((empty.rss_end_mib, empty.kib_per_session), (1.0, None));
    }
}
