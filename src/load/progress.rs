//! The live progress bar of a load run on stderr: where the run is (episodes or time), steps,
//! steps per second and errors so far. Hidden with `--quiet` or when stderr is not a terminal.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::Until;
use super::stats::Recorder;

/// How often the bar is redrawn.
pub const REFRESH: Duration = Duration::from_millis(250);

pub struct Progress {
    bar: ProgressBar,
    until: Until,
}

impl Progress {
    /// A bar for connecting `sessions` sessions.
    pub fn connecting(sessions: usize, quiet: bool) -> ProgressBar {
        let bar = new_bar(sessions as u64, quiet);
        bar.set_message("connecting");
        bar
    }

    /// A bar for playing until `until`.
    pub fn playing(until: Until, quiet: bool) -> Progress {
        let length = match until {
            Until::Episodes(n) => n,
            Until::Elapsed(d) => d.as_secs().max(1),
        };
        Progress {
            bar: new_bar(length, quiet),
            until,
        }
    }

    pub fn update(&self, recorder: &Recorder, elapsed: Duration) {
        let position = match self.until {
            Until::Episodes(_) => recorder.episodes,
            Until::Elapsed(_) => elapsed.as_secs(),
        };
        self.bar.set_position(position);
        let rate = recorder.steps as f64 / elapsed.as_secs_f64().max(1e-3);
        let errors = recorder.error_frame_total() + recorder.transport_errors;
        self.bar.set_message(format!(
            "{} episodes, {} steps, {rate:.0} steps/s, {errors} errors",
            recorder.episodes, recorder.steps
        ));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn new_bar(length: u64, quiet: bool) -> ProgressBar {
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(length), target);
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
