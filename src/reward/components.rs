//! The reward of one step, split into the three layers a trainer can log or reweight, and the
//! facts about a step that the session gathers for the reward to be computed from.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One step's reward by layer. `total()` is what the step pays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RewardComponents {
    /// Layer 1: did the action run, did it bring something new, was it a repeat, the step cost.
    pub operational: f64,
    /// Layer 2: potential-based progress of a QUERY's result towards the gold result.
    pub progress: f64,
    /// Layer 3: the answer's correctness (and the penalty for acting after the episode ended).
    pub terminal: f64,
}

impl RewardComponents {
    pub fn total(&self) -> f64 {
        self.operational + self.progress + self.terminal
    }

    /// Adds another step's components, for the episode totals.
    pub fn accumulate(&mut self, other: &RewardComponents) {
        self.operational += other.operational;
        self.progress += other.progress;
        self.terminal += other.terminal;
    }
}

/// What the session knows about an exploring (non-ANSWER) step: all a reward needs besides the
/// query result itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepFacts {
    /// The action ran without error (a known table for DESCRIBE/SAMPLE, SQL that executed for QUERY).
    pub executed_ok: bool,
    /// First DESCRIBE/SAMPLE of a table, or a QUERY whose result was not seen before.
    pub new_information: bool,
    /// The exact action (type and argument) was taken before in this episode.
    pub repeated: bool,
    /// Potential of the last successful QUERY of the episode (0 before any).
    pub potential_before: f64,
    /// Potential of this step's result, for a successful QUERY only.
    pub potential_now: Option<f64>,
}
