//! The reward of a step split into its three layers, and the facts about an exploring step a
//! reward needs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A step's reward by layer; the step pays their sum. Over an episode the layers are: the
/// per-step hygiene (or, for a correct episode, its efficiency term), the partial credit, and
/// the correctness. In the default timing every layer is 0 until the last step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RewardComponents {
    /// Layer 1: how the episode was run. Step costs, failed and repeated actions for an episode
    /// without a correct answer; the efficiency term for a correct one.
    pub operational: f64,
    /// Layer 2: partial credit, `partial_credit` times the best gated potential a QUERY reached
    /// (episodes without a correct answer only).
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

    /// `self - other`, layer by layer: what is still owed of `self` after `other` was paid.
    pub fn minus(&self, other: &RewardComponents) -> RewardComponents {
        RewardComponents {
            operational: self.operational - other.operational,
            progress: self.progress - other.progress,
            terminal: self.terminal - other.terminal,
        }
    }
}

/// What the session knows about an exploring (DESCRIBE, SAMPLE or QUERY) step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExploreFacts {
    /// The action ran without error (a known table for DESCRIBE/SAMPLE, SQL that executed for
    /// QUERY).
    pub executed_ok: bool,
    /// The exact action (type and argument) was taken before in this episode.
    pub repeated: bool,
    /// The gated, coarsened potential of a QUERY's result; `None` for anything else.
    pub potential: Option<f64>,
}
