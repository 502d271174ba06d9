//! Operational metrics in the Prometheus (OpenMetrics) text format, served at `GET /metrics`.
//! One [`Metrics`] is built with the server and shared through `Services`; the places where
//! things happen call one of its small methods.

pub mod labels;

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use labels::*;

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Step latency buckets: 0.5 ms doubling up to about 8 s, which covers a catalog lookup as well
/// as a query that runs into the default 2 s deadline.
fn step_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.000_5, 2.0, 15)
}

type ActionHistograms = Family<ActionLabels, Histogram, fn() -> Histogram>;

struct Inner {
    registry: Registry,
    sessions_active: Gauge,
    sessions_opened: Counter,
    sessions_closed: Counter,
    sessions_reaped: Counter,
    sessions_refused: Counter,
    episodes_started: Counter,
    episodes_abandoned: Counter,
    episodes_finished: Family<OutcomeLabels, Counter>,
    steps: Family<ActionLabels, Counter>,
    steps_in_flight: Gauge,
    step_seconds: ActionHistograms,
    query_timeouts: Counter,
    query_failures: Family<QueryFailureLabels, Counter>,
    errors: Family<CodeLabels, Counter>,
}

/// A step counted in `steps_in_flight` until dropped, however the step ends (answered, or its
/// future dropped because the client left).
pub struct StepInFlight(Gauge);

impl Drop for StepInFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The server's metrics; cheap to clone (one shared registry).
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("sqlenv");
        let inner = Inner {
            sessions_active: Gauge::default(),
            sessions_opened: Counter::default(),
            sessions_closed: Counter::default(),
            sessions_reaped: Counter::default(),
            sessions_refused: Counter::default(),
            episodes_started: Counter::default(),
            episodes_abandoned: Counter::default(),
            episodes_finished: Family::default(),
            steps: Family::default(),
            steps_in_flight: Gauge::default(),
            step_seconds: Family::new_with_constructor(|| Histogram::new(step_buckets())),
            query_timeouts: Counter::default(),
            query_failures: Family::default(),
            errors: Family::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "sessions_active",
            "Sessions open now (WebSocket and MCP)",
            inner.sessions_active.clone(),
        );
        r.register(
            "sessions_opened",
            "Sessions accepted",
            inner.sessions_opened.clone(),
        );
        r.register(
            "sessions_closed",
            "Sessions ended, however they ended",
            inner.sessions_closed.clone(),
        );
        r.register(
            "sessions_reaped",
            "Sessions closed by the idle sweep",
            inner.sessions_reaped.clone(),
        );
        r.register(
            "sessions_refused",
            "Connections refused with CAPACITY_REACHED",
            inner.sessions_refused.clone(),
        );
        r.register(
            "episodes_started",
            "Episodes started by a reset",
            inner.episodes_started.clone(),
        );
        r.register(
            "episodes_abandoned",
            "Episodes a reset ended before they were done (they count as ended unanswered)",
            inner.episodes_abandoned.clone(),
        );
        r.register(
            "episodes_finished",
            "Episodes ended, by outcome",
            inner.episodes_finished.clone(),
        );
        r.register("steps", "Steps taken, by action", inner.steps.clone());
        r.register(
            "steps_in_flight",
            "Steps begun and not yet answered (a QUERY running, a score pending)",
            inner.steps_in_flight.clone(),
        );
        r.register(
            "step_duration_seconds",
            "Time from a step's arrival to its observation, by action",
            inner.step_seconds.clone(),
        );
        r.register(
            "query_timeouts",
            "QUERYs interrupted at the query time limit",
            inner.query_timeouts.clone(),
        );
        r.register(
            "query_failures",
            "QUERYs that produced no result, by reason",
            inner.query_failures.clone(),
        );
        r.register(
            "errors",
            "Protocol error frames sent, by error code",
            inner.errors.clone(),
        );
        // Every action's series exists from the start, so a rate over them is defined at once.
        for action in [
            Action::DESCRIBE,
            Action::SAMPLE,
            Action::QUERY,
            Action::ANSWER,
        ] {
            let labels = ActionLabels { action };
            inner.steps.get_or_create_owned(&labels);
            inner.step_seconds.get_or_create_owned(&labels);
        }
        Metrics(Arc::new(Inner { registry, ..inner }))
    }

    /// The exposition text of every metric.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::with_capacity(4096);
        encode(&mut out, &self.0.registry)?;
        Ok(out)
    }

    pub fn set_sessions_active(&self, n: usize) {
        self.0.sessions_active.set(n as i64);
    }

    pub fn session_opened(&self) {
        self.0.sessions_opened.inc();
    }

    pub fn session_closed(&self) {
        self.0.sessions_closed.inc();
    }

    pub fn session_reaped(&self) {
        self.0.sessions_reaped.inc();
    }

    pub fn session_refused(&self) {
        self.0.sessions_refused.inc();
    }

    pub fn episode_started(&self) {
        self.0.episodes_started.inc();
    }

    /// A reset ended a running episode: it counts as abandoned and as finished unanswered.
    pub fn episode_abandoned(&self) {
        self.0.episodes_abandoned.inc();
        self.episode_finished(Outcome::unanswered);
    }

    pub fn episode_finished(&self, outcome: Outcome) {
        self.0
            .episodes_finished
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// A step has begun; it counts as in flight until the returned guard is dropped.
    pub fn step_begun(&self) -> StepInFlight {
        self.0.steps_in_flight.inc();
        StepInFlight(self.0.steps_in_flight.clone())
    }

    /// One step of `action` answered after `elapsed`.
    pub fn step(&self, action: impl Into<Action>, elapsed: Duration) {
        let labels = ActionLabels {
            action: action.into(),
        };
        self.0.steps.get_or_create(&labels).inc();
        self.0
            .step_seconds
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// A finished query: failures are counted by reason, timeouts also on their own.
    pub fn query<T, E>(&self, outcome: &Result<T, E>)
    where
        for<'e> &'e E: Into<QueryFailure>,
    {
        if let Err(e) = outcome {
            let reason = e.into();
            if reason == QueryFailure::timeout {
                self.0.query_timeouts.inc();
            }
            self.0
                .query_failures
                .get_or_create(&QueryFailureLabels { reason })
                .inc();
        }
    }

    /// An error frame sent to a client.
    pub fn error(&self, code: impl Into<Code>) {
        self.0
            .errors
            .get_or_create(&CodeLabels { code: code.into() })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for a timed-out query's error.
    struct Failed;

    impl From<&Failed> for QueryFailure {
        fn from(_: &Failed) -> Self {
            QueryFailure::timeout
        }
    }

    #[test]
    fn counters_show_up_in_the_text() {
        let m = Metrics::new();
        m.step(Action::QUERY, Duration::from_millis(3));
        m.error(Code::INVALID_JSON);
        m.query::<(), _>(&Err(Failed));
        m.set_sessions_active(2);
        let text = m.render().unwrap();
        assert!(
            text.contains("sqlenv_steps_total{action=\"QUERY\"} 1"),
            "{text}"
        );
        assert!(text.contains("sqlenv_errors_total{code=\"INVALID_JSON\"} 1"));
        assert!(text.contains("sqlenv_query_timeouts_total 1"));
        assert!(text.contains("sqlenv_query_failures_total{reason=\"timeout\"} 1"));
        assert!(text.contains("sqlenv_sessions_active 2"));
        assert!(text.contains("sqlenv_step_duration_seconds_count{action=\"QUERY\"} 1"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn a_step_is_in_flight_until_its_guard_drops() {
        let m = Metrics::new();
        let in_flight = |m: &Metrics| {
            let text = m.render().unwrap();
            text.lines()
                .find_map(|l| l.strip_prefix("sqlenv_steps_in_flight "))
                .map(str::to_owned)
        };
        let first = m.step_begun();
        let second = m.step_begun();
        assert_eq!(in_flight(&m).as_deref(), Some("2"));
        drop(first);
        assert_eq!(in_flight(&m).as_deref(), Some("1"));
        drop(second);
        assert_eq!(in_flight(&m).as_deref(), Some("0"));
    }
}
