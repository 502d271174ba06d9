//! What a load run counts while it goes: request latencies per kind (HDR histograms, so
//! percentiles are exact to three significant digits at any count) and the episodes, steps and
//! errors of every session. Sessions share one recorder; they run on one thread.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::agent::client::ClientError;

/// Largest latency a histogram tracks, in microseconds (anything slower is recorded as this).
const MAX_LATENCY_US: u64 = 120_000_000;
/// Distinct transport error messages kept as examples for the report.
const ERROR_EXAMPLES: usize = 5;

/// Latency histograms and counters of a run.
#[derive(Debug)]
pub struct Recorder {
    /// Per request kind (`reset`, `DESCRIBE`, ..., `step` for echo), in microseconds.
    by_kind: BTreeMap<&'static str, Histogram<u64>>,
    /// Every step (not resets).
    steps_latency: Histogram<u64>,
    pub episodes: u64,
    pub steps: u64,
    pub resets: u64,
    pub correct: u64,
    pub error_frames: BTreeMap<String, u64>,
    pub transport_errors: u64,
    pub connect_errors: u64,
    pub error_examples: Vec<String>,
}

// The bounds and precision are constants that hdrhistogram accepts (1 <= low, 2 * low <= high,
// precision <= 5); no input reaches this.
#[allow(clippy::expect_used)]
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("valid histogram bounds")
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            by_kind: BTreeMap::new(),
            steps_latency: histogram(),
            episodes: 0,
            steps: 0,
            resets: 0,
            correct: 0,
            error_frames: BTreeMap::new(),
            transport_errors: 0,
            connect_errors: 0,
            error_examples: Vec::new(),
        }
    }
}

/// Latency figures of one kind of request, in milliseconds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LatencyRow {
    pub kind: String,
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

fn row(kind: &str, h: &Histogram<u64>) -> LatencyRow {
    let ms = |us: u64| us as f64 / 1000.0;
    LatencyRow {
        kind: kind.to_owned(),
        count: h.len(),
        mean_ms: h.mean() / 1000.0,
        p50_ms: ms(h.value_at_quantile(0.50)),
        p95_ms: ms(h.value_at_quantile(0.95)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        max_ms: ms(h.max()),
    }
}

impl Recorder {
    /// Records an answered request; `is_step` is false for resets.
    pub fn request(&mut self, kind: &'static str, is_step: bool, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        self.by_kind
            .entry(kind)
            .or_insert_with(histogram)
            .saturating_record(us);
        if is_step {
            self.steps += 1;
            self.steps_latency.saturating_record(us);
        } else {
            self.resets += 1;
        }
    }

    /// Records a failed request: an error frame by its code, anything else as a transport error.
    pub fn failure(&mut self, error: &ClientError) {
        match error {
            ClientError::Server { code, .. } => {
                *self.error_frames.entry(code.clone()).or_default() += 1;
            }
            ClientError::Connect { .. } => {
                self.connect_errors += 1;
                self.example(error);
            }
            _ => {
                self.transport_errors += 1;
                self.example(error);
            }
        }
    }

    /// Records an error that is not the server's (e.g. data the load generator cannot play).
    pub fn other_failure(&mut self, message: String) {
        self.transport_errors += 1;
        self.keep_example(message);
    }

    fn example(&mut self, error: &ClientError) {
        self.keep_example(error.to_string());
    }

    fn keep_example(&mut self, message: String) {
        if self.error_examples.len() < ERROR_EXAMPLES && !self.error_examples.contains(&message) {
            self.error_examples.push(message);
        }
    }

    pub fn error_frame_total(&self) -> u64 {
        self.error_frames.values().sum()
    }

    /// One row per request kind, then `all steps` over every step.
    pub fn latency_rows(&self) -> Vec<LatencyRow> {
        let order = ["reset", "DESCRIBE", "SAMPLE", "QUERY", "ANSWER", "step"];
        let mut rows: Vec<LatencyRow> = order
            .iter()
            .filter_map(|k| self.by_kind.get(k).map(|h| row(k, h)))
            .collect();
        if !self.steps_latency.is_empty() {
            rows.push(row("all steps", &self.steps_latency));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_recorded_latencies() {
        let mut r = Recorder::default();
        for ms in 1..=100 {
            r.request("QUERY", true, Duration::from_millis(ms));
        }
        r.request("reset", false, Duration::from_micros(300));
        assert_eq!((r.steps, r.resets), (100, 1));
        let rows = r.latency_rows();
        assert_eq!(rows[0].kind, "reset");
        let query = &rows[1];
        assert_eq!((query.kind.as_str(), query.count), ("QUERY", 100));
        assert!((query.p50_ms - 50.0).abs() < 0.1, "{query:?}");
        assert!((query.p99_ms - 99.0).abs() < 0.1, "{query:?}");
        assert!((query.max_ms - 100.0).abs() < 0.1, "{query:?}");
        assert_eq!(rows.last().unwrap().kind, "all steps");
    }

    #[test]
    fn failures_are_told_apart() {
        let mut r = Recorder::default();
        r.failure(&ClientError::Server {
            code: "EXECUTION_ERROR".into(),
            message: "x".into(),
        });
        r.failure(&ClientError::Closed(None));
        r.failure(&ClientError::Connect {
            url: "u".into(),
            message: "refused".into(),
        });
        assert_eq!(r.error_frame_total(), 1);
        assert_eq!((r.transport_errors, r.connect_errors), (1, 1));
        assert_eq!(r.error_examples.len(), 2);
    }
}
