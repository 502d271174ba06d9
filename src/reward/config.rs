//! The reward's tunable constants: the episode return's terms (correctness, efficiency, partial
//! credit, per-step hygiene), when the return is paid, the penalty for acting after the end and
//! the float tolerance of answer verification, with the defaults the environment ships and the
//! checks that keep a hand-edited configuration inside the declared bounds.

use serde::{Deserialize, Serialize};

/// Paid for a correct ANSWER: every correct episode earns at least this.
pub const DEFAULT_CORRECT: f64 = 1.0;
/// Paid for a wrong ANSWER (and for ending without one).
pub const DEFAULT_WRONG: f64 = 0.0;
/// The most the efficiency term adds to a correct episode (answering at the first step).
pub const DEFAULT_EFFICIENCY: f64 = 0.1;
/// The most an episode without a correct answer can earn: this times its best potential.
pub const DEFAULT_PARTIAL_CREDIT: f64 = 0.1;
/// The lowest potential level that earns partial credit. The levels below it are reached by a
/// result's shape and nearby numbers alone, without one value in common with the gold, which is
/// exactly what threshold probes (`SELECT 2*m UNION ALL SELECT NULL`) measure; from 0.5 up a
/// level needs values shared with the gold.
pub const DEFAULT_PARTIAL_CREDIT_FLOOR: f64 = 0.5;
/// Charged for every exploring step of an episode without a correct answer.
pub const DEFAULT_STEP_COST: f64 = -0.01;
/// Charged, on top of the step cost, for an exploring step that failed.
pub const DEFAULT_ERROR_PENALTY: f64 = -0.01;
/// Charged, on top of the step cost, when the exact same action was already taken.
pub const DEFAULT_REPEAT_PENALTY: f64 = -0.03;
/// Charged for any action sent after the episode is done.
pub const DEFAULT_AFTER_DONE_PENALTY: f64 = -0.1;
/// Number of levels the potential is coarsened to (0, .25, .5, .75, 1).
pub const DEFAULT_PROGRESS_LEVELS: u32 = 5;

/// `partial_credit` may be at most this fraction of `correct`: a failing episode must stay a
/// small, declared fraction of a correct one.
pub const MAX_PARTIAL_CREDIT_SHARE: f64 = 0.25;

/// More levels than this would make the coarsening meaningless.
pub const MAX_PROGRESS_LEVELS: u32 = 1000;

/// When an episode's return is paid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum RewardTiming {
    /// Every step before the last pays 0; the last pays the whole return. Nothing observable
    /// during an episode depends on the gold.
    #[default]
    #[value(name = "episode_end", alias = "episode-end")]
    EpisodeEnd,
    /// Every exploring step pays its hygiene and any rise of the best potential at once; the
    /// last step settles so the episode total is the same return. Leaks the potential per step
    /// (see docs/reward.md): for step-level learners only.
    #[value(name = "per_step", alias = "per-step")]
    PerStep,
}

impl RewardTiming {
    pub fn as_str(self) -> &'static str {
        match self {
            RewardTiming::EpisodeEnd => "episode_end",
            RewardTiming::PerStep => "per_step",
        }
    }
}

/// All reward constants. Missing keys take their defaults; unknown keys (among them the
/// per-step bonuses of earlier versions, `exec_ok`, `new_info`, the clip) are rejected so a
/// stale or mistyped configuration file fails loudly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RewardConfig {
    pub correct: f64,
    pub wrong: f64,
    pub efficiency: f64,
    pub partial_credit: f64,
    pub partial_credit_floor: f64,
    pub step_cost: f64,
    pub error_penalty: f64,
    pub repeat_penalty: f64,
    pub after_done_penalty: f64,
    pub progress_levels: u32,
    pub reward_timing: RewardTiming,
}

impl Default for RewardConfig {
    fn default() -> Self {
        Self {
            correct: DEFAULT_CORRECT,
            wrong: DEFAULT_WRONG,
            efficiency: DEFAULT_EFFICIENCY,
            partial_credit: DEFAULT_PARTIAL_CREDIT,
            partial_credit_floor: DEFAULT_PARTIAL_CREDIT_FLOOR,
            step_cost: DEFAULT_STEP_COST,
            error_penalty: DEFAULT_ERROR_PENALTY,
            repeat_penalty: DEFAULT_REPEAT_PENALTY,
            after_done_penalty: DEFAULT_AFTER_DONE_PENALTY,
            progress_levels: DEFAULT_PROGRESS_LEVELS,
            reward_timing: RewardTiming::default(),
        }
    }
}

impl RewardConfig {
    /// Checks that every constant is finite and has the sign its role implies, and that the
    /// bounds of docs/reward.md hold: a correct episode earns at least `correct`, an episode
    /// without a correct answer at most `wrong + partial_credit`, which is below `correct` and
    /// at most a quarter of it. The message names the field.
    pub fn validate(&self) -> Result<(), RewardConfigError> {
        use RewardConfigError as E;
        self.check_finite()?;
        self.check_signs()?;
        if self.correct <= 0.0 {
            // Clients (and `sqlenv eval`) read a positive terminal layer as a correct answer.
            return Err(E::CorrectNotPositive(self.correct));
        }
        let most_partial = MAX_PARTIAL_CREDIT_SHARE * self.correct;
        if self.partial_credit > most_partial {
            return Err(E::PartialCreditTooLarge {
                partial_credit: self.partial_credit,
                most: most_partial,
            });
        }
        if self.correct <= self.wrong + self.partial_credit {
            return Err(E::CorrectNotAboveFailing {
                correct: self.correct,
                failing: self.wrong + self.partial_credit,
            });
        }
        if !(2..=MAX_PROGRESS_LEVELS).contains(&self.progress_levels) {
            return Err(E::ProgressLevels(self.progress_levels));
        }
        if !(0.0..=1.0).contains(&self.partial_credit_floor) {
            return Err(E::PartialCreditFloor(self.partial_credit_floor));
        }
        Ok(())
    }

    fn fields(&self) -> [(&'static str, f64); 9] {
        [
            ("partial_credit_floor", self.partial_credit_floor),
            ("correct", self.correct),
            ("wrong", self.wrong),
            ("efficiency", self.efficiency),
            ("partial_credit", self.partial_credit),
            ("step_cost", self.step_cost),
            ("error_penalty", self.error_penalty),
            ("repeat_penalty", self.repeat_penalty),
            ("after_done_penalty", self.after_done_penalty),
        ]
    }

    fn check_finite(&self) -> Result<(), RewardConfigError> {
        match self.fields().into_iter().find(|(_, v)| !v.is_finite()) {
            Some((name, value)) => Err(RewardConfigError::NotFinite { name, value }),
            None => Ok(()),
        }
    }

    /// Bonuses must not turn into penalties and vice versa: the bounds assume that no exploring
    /// step ever pays more than 0 and that a wrong answer never pays.
    fn check_signs(&self) -> Result<(), RewardConfigError> {
        let non_negative = [
            ("efficiency", self.efficiency),
            ("partial_credit", self.partial_credit),
        ];
        let non_positive = [
            ("wrong", self.wrong),
            ("step_cost", self.step_cost),
            ("error_penalty", self.error_penalty),
            ("repeat_penalty", self.repeat_penalty),
            ("after_done_penalty", self.after_done_penalty),
        ];
        if let Some((name, value)) = non_negative.into_iter().find(|(_, v)| *v < 0.0) {
            return Err(RewardConfigError::Negative { name, value });
        }
        if let Some((name, value)) = non_positive.into_iter().find(|(_, v)| *v > 0.0) {
            return Err(RewardConfigError::Positive { name, value });
        }
        Ok(())
    }
}

/// Why a reward configuration is refused; each message names the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RewardConfigError {
    #[error("{name} = {value} must be a finite number")]
    NotFinite { name: &'static str, value: f64 },
    #[error("{name} = {value} must be >= 0")]
    Negative { name: &'static str, value: f64 },
    #[error("{name} = {value} must be <= 0")]
    Positive { name: &'static str, value: f64 },
    #[error("correct = {0} must be > 0")]
    CorrectNotPositive(f64),
    #[error(
        "partial_credit = {partial_credit} must be at most {MAX_PARTIAL_CREDIT_SHARE} * correct = \
         {most}: an episode without a correct answer must earn only a small fraction of one"
    )]
    PartialCreditTooLarge { partial_credit: f64, most: f64 },
    #[error(
        "correct = {correct} must be greater than wrong + partial_credit = {failing}, the most \
         an episode without a correct answer earns"
    )]
    CorrectNotAboveFailing { correct: f64, failing: f64 },
    #[error("progress_levels = {0} must be between 2 and {MAX_PROGRESS_LEVELS}")]
    ProgressLevels(u32),
    #[error("partial_credit_floor = {0} must be in [0, 1]")]
    PartialCreditFloor(f64),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(edit: impl FnOnce(&mut RewardConfig)) -> RewardConfig {
        let mut cfg = RewardConfig::default();
        edit(&mut cfg);
        cfg
    }

    #[test]
    fn defaults_are_valid_and_match_constants() {
        let cfg = RewardConfig::default();
        assert_eq!(cfg.validate(), Ok(()));
        assert_eq!(cfg.correct, 1.0);
        assert_eq!(cfg.partial_credit, 0.1);
        assert_eq!(cfg.efficiency, 0.1);
        assert_eq!(cfg.progress_levels, 5);
        assert_eq!(cfg.reward_timing, RewardTiming::EpisodeEnd);
    }

    #[test]
    fn missing_keys_default_and_unknown_keys_fail() {
        let cfg: RewardConfig =
            serde_json::from_str(r#"{"correct": 2.0, "reward_timing": "per_step"}"#).unwrap();
        assert_eq!(cfg.correct, 2.0);
        assert_eq!(cfg.reward_timing, RewardTiming::PerStep);
        assert_eq!(cfg.step_cost, DEFAULT_STEP_COST);
        assert!(serde_json::from_str::<RewardConfig>(r#"{"corect": 2.0}"#).is_err());
        // The per-step bonuses padding farmed are gone, and a file still setting them fails.
        assert!(serde_json::from_str::<RewardConfig>(r#"{"exec_ok": 0.02}"#).is_err());
        assert!(serde_json::from_str::<RewardConfig>(r#"{"reward_timing": "later"}"#).is_err());
    }

    #[test]
    fn rejects_non_finite() {
        let err = with(|c| c.efficiency = f64::NAN)
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("efficiency"), "{err}");
        let err = with(|c| c.step_cost = f64::NEG_INFINITY)
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("step_cost"), "{err}");
    }

    #[test]
    fn rejects_wrong_signs() {
        for (name, cfg) in [
            ("step_cost", with(|c| c.step_cost = 0.01)),
            ("error_penalty", with(|c| c.error_penalty = 0.01)),
            ("repeat_penalty", with(|c| c.repeat_penalty = 0.01)),
            ("wrong", with(|c| c.wrong = 0.1)),
            ("after_done_penalty", with(|c| c.after_done_penalty = 0.5)),
            ("efficiency", with(|c| c.efficiency = -0.1)),
            ("partial_credit", with(|c| c.partial_credit = -0.1)),
        ] {
            let err = cfg.validate().unwrap_err().to_string();
            assert!(err.contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn partial_credit_stays_a_small_fraction_of_correct() {
        assert_eq!(with(|c| c.partial_credit = 0.25).validate(), Ok(()));
        let err = with(|c| c.partial_credit = 0.26)
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("partial_credit"), "{err}");
        let err = with(|c| c.correct = 0.0)
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("correct"), "{err}");
        // A large wrong penalty still leaves correct above the failing bound.
        assert_eq!(with(|c| c.wrong = -2.0).validate(), Ok(()));
    }

    #[test]
    fn rejects_bad_levels_and_floor() {
        for levels in [0, 1, MAX_PROGRESS_LEVELS + 1] {
            let err = with(|c| c.progress_levels = levels)
                .validate()
                .unwrap_err()
                .to_string();
            assert!(err.contains("progress_levels"), "{err}");
        }
        assert_eq!(with(|c| c.progress_levels = 2).validate(), Ok(()));
        for floor in [-0.1, 1.5, f64::NAN] {
            let err = with(|c| c.partial_credit_floor = floor)
                .validate()
                .unwrap_err()
                .to_string();
            assert!(err.contains("partial_credit_floor"), "{err}");
        }
    }
}
