//! The reward's tunable constants: every payout of the three layers, the per-step clip and the
//! float tolerance of answer verification, with the defaults the environment ships and the checks
//! that keep a hand-edited configuration inside the declared reward range.

use serde::{Deserialize, Serialize};

/// Paid when an exploring action ran without error.
pub const DEFAULT_EXEC_OK: f64 = 0.02;
/// Paid for the first DESCRIBE/SAMPLE of a table or a QUERY whose result was not seen before.
pub const DEFAULT_NEW_INFO: f64 = 0.01;
/// Charged when the exact same action was already taken in the episode.
pub const DEFAULT_REPEAT_PENALTY: f64 = -0.03;
/// Charged on every exploring step, so exploring is never free.
pub const DEFAULT_STEP_COST: f64 = -0.02;
/// Scale of the potential-based progress layer: an episode's progress sums to at most this.
pub const DEFAULT_PROGRESS_WEIGHT: f64 = 0.15;
/// Number of levels the potential is coarsened to (0, .25, .5, .75, 1), so it cannot be hill-climbed.
pub const DEFAULT_PROGRESS_LEVELS: u32 = 5;
/// Lowest total an exploring step can pay. Equal to `-DEFAULT_PROGRESS_WEIGHT`, so the clip never
/// cuts a drop of the potential and progress telescopes (see `clip_preserves_progress`).
pub const DEFAULT_CLIP_MIN: f64 = -0.15;
/// Highest total an exploring step can pay.
pub const DEFAULT_CLIP_MAX: f64 = 0.15;
/// Paid for a correct ANSWER.
pub const DEFAULT_CORRECT: f64 = 1.0;
/// Paid for a wrong ANSWER (and for running out of steps without one).
pub const DEFAULT_WRONG: f64 = 0.0;
/// Charged for any action sent after the episode is done.
pub const DEFAULT_AFTER_DONE_PENALTY: f64 = -0.1;
/// Relative tolerance when a float answer is compared with the gold value.
pub const DEFAULT_FLOAT_REL_TOL: f64 = 0.01;

/// More levels than this would make the coarsening meaningless (and the return bound of
/// `shaping::max_exploring_return` slow to compute).
pub const MAX_PROGRESS_LEVELS: u32 = 1000;

/// All reward constants. Missing keys take their defaults; unknown keys are rejected so a typo in a
/// configuration file fails loudly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RewardConfig {
    pub exec_ok: f64,
    pub new_info: f64,
    pub repeat_penalty: f64,
    pub step_cost: f64,
    pub progress_weight: f64,
    pub progress_levels: u32,
    pub clip_min: f64,
    pub clip_max: f64,
    pub correct: f64,
    pub wrong: f64,
    pub after_done_penalty: f64,
    pub float_rel_tol: f64,
}

impl Default for RewardConfig {
    fn default() -> Self {
        Self {
            exec_ok: DEFAULT_EXEC_OK,
            new_info: DEFAULT_NEW_INFO,
            repeat_penalty: DEFAULT_REPEAT_PENALTY,
            step_cost: DEFAULT_STEP_COST,
            progress_weight: DEFAULT_PROGRESS_WEIGHT,
            progress_levels: DEFAULT_PROGRESS_LEVELS,
            clip_min: DEFAULT_CLIP_MIN,
            clip_max: DEFAULT_CLIP_MAX,
            correct: DEFAULT_CORRECT,
            wrong: DEFAULT_WRONG,
            after_done_penalty: DEFAULT_AFTER_DONE_PENALTY,
            float_rel_tol: DEFAULT_FLOAT_REL_TOL,
        }
    }
}

impl RewardConfig {
    /// Checks that every payout is finite, has the sign its role implies, that the clip leaves
    /// progress exact, and that a correct answer pays more than anything else a single step can
    /// pay. The message names the field.
    pub fn validate(&self) -> Result<(), String> {
        self.check_finite()?;
        self.check_signs()?;
        if self.clip_min > 0.0 || self.clip_max < 0.0 {
            return Err(format!(
                "clip range [{}, {}] must contain 0 (clip_min <= 0 <= clip_max)",
                self.clip_min, self.clip_max
            ));
        }
        if !self.clip_preserves_progress() {
            return Err(format!(
                "clip range [{}, {}] must contain [-progress_weight, progress_weight] = [{}, {}]: \
                 a narrower clip cuts into progress, which then no longer telescopes and can be \
                 farmed by moving the potential down and up again",
                self.clip_min, self.clip_max, -self.progress_weight, self.progress_weight
            ));
        }
        if !(2..=MAX_PROGRESS_LEVELS).contains(&self.progress_levels) {
            return Err(format!(
                "progress_levels = {} must be between 2 and {MAX_PROGRESS_LEVELS}",
                self.progress_levels
            ));
        }
        if !(0.0..1.0).contains(&self.float_rel_tol) {
            return Err(format!(
                "float_rel_tol = {} must be in [0, 1)",
                self.float_rel_tol
            ));
        }
        self.check_correct_pays_most()
    }

    /// True when the clip can never cut into the progress layer: a step's progress lies in
    /// `[-progress_weight, progress_weight]`, and the clip takes from the operational layer first,
    /// so progress keeps its exact value, and an episode's progress telescopes, on every step.
    /// `validate` requires it: with a narrower clip a large potential drop is only partly charged
    /// while the rise back is paid in full, so oscillating earns (see docs/reward.md).
    pub fn clip_preserves_progress(&self) -> bool {
        self.clip_min <= -self.progress_weight && self.progress_weight <= self.clip_max
    }

    fn fields(&self) -> [(&'static str, f64); 11] {
        [
            ("exec_ok", self.exec_ok),
            ("new_info", self.new_info),
            ("repeat_penalty", self.repeat_penalty),
            ("step_cost", self.step_cost),
            ("progress_weight", self.progress_weight),
            ("clip_min", self.clip_min),
            ("clip_max", self.clip_max),
            ("correct", self.correct),
            ("wrong", self.wrong),
            ("after_done_penalty", self.after_done_penalty),
            ("float_rel_tol", self.float_rel_tol),
        ]
    }

    fn check_finite(&self) -> Result<(), String> {
        match self.fields().into_iter().find(|(_, v)| !v.is_finite()) {
            Some((name, v)) => Err(format!("{name} = {v} must be a finite number")),
            None => Ok(()),
        }
    }

    /// Bonuses must not turn into penalties and vice versa, otherwise the shaping rewards the
    /// opposite of what it names (and the return bound assumes this monotonicity). A wrong answer
    /// must never pay: otherwise answering anything, even nothing, would be rewarded.
    fn check_signs(&self) -> Result<(), String> {
        let non_negative = [
            ("exec_ok", self.exec_ok),
            ("new_info", self.new_info),
            ("progress_weight", self.progress_weight),
        ];
        let non_positive = [
            ("repeat_penalty", self.repeat_penalty),
            ("step_cost", self.step_cost),
            ("wrong", self.wrong),
            ("after_done_penalty", self.after_done_penalty),
        ];
        if let Some((name, v)) = non_negative.into_iter().find(|(_, v)| *v < 0.0) {
            return Err(format!("{name} = {v} must be >= 0"));
        }
        if let Some((name, v)) = non_positive.into_iter().find(|(_, v)| *v > 0.0) {
            return Err(format!("{name} = {v} must be <= 0"));
        }
        Ok(())
    }

    /// The gold answer must earn the most: more than a wrong answer and more than the best any
    /// single exploring step can pay. (Whole-episode returns are checked against a step budget by
    /// `shaping::check_budget`.)
    fn check_correct_pays_most(&self) -> Result<(), String> {
        if self.correct <= self.wrong {
            return Err(format!(
                "correct = {} must be greater than wrong = {}",
                self.correct, self.wrong
            ));
        }
        if self.correct <= self.clip_max {
            return Err(format!(
                "correct = {} must be greater than clip_max = {}, the most one exploring step pays",
                self.correct, self.clip_max
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_match_constants() {
        let cfg = RewardConfig::default();
        assert_eq!(cfg.validate(), Ok(()));
        assert_eq!(cfg.exec_ok, 0.02);
        assert_eq!(cfg.progress_levels, 5);
        assert_eq!(cfg.clip_min, -0.15);
        assert_eq!(cfg.clip_min, -cfg.progress_weight);
        assert_eq!(cfg.correct, 1.0);
    }

    #[test]
    fn missing_keys_default_and_unknown_keys_fail() {
        let cfg: RewardConfig = serde_json::from_str(r#"{"correct": 2.0}"#).unwrap();
        assert_eq!(cfg.correct, 2.0);
        assert_eq!(cfg.step_cost, DEFAULT_STEP_COST);
        assert!(serde_json::from_str::<RewardConfig>(r#"{"corect": 2.0}"#).is_err());
    }

    #[test]
    fn clip_preserves_progress_only_when_wide_enough() {
        assert!(RewardConfig::default().clip_preserves_progress());
        let wide = RewardConfig {
            clip_min: -0.25,
            clip_max: 0.25,
            ..Default::default()
        };
        assert!(wide.clip_preserves_progress());
        assert_eq!(wide.validate(), Ok(()));
        let narrow_top = RewardConfig {
            clip_max: 0.1,
            ..Default::default()
        };
        assert!(!narrow_top.clip_preserves_progress());
    }

    #[test]
    fn rejects_clip_that_cuts_progress() {
        // The Python SQLEnv's clip: a full drop is charged -0.10, the rise back paid +0.15.
        let python = RewardConfig {
            clip_min: -0.10,
            ..Default::default()
        };
        let err = python.validate().unwrap_err();
        assert!(
            err.contains("progress_weight") && err.contains("telescope"),
            "{err}"
        );
        let narrow_top = RewardConfig {
            clip_max: 0.1,
            ..Default::default()
        };
        assert!(narrow_top.validate().unwrap_err().contains("telescope"));
        // A smaller progress weight fits the narrower clip again.
        let light = RewardConfig {
            clip_min: -0.10,
            progress_weight: 0.10,
            ..Default::default()
        };
        assert_eq!(light.validate(), Ok(()));
    }

    #[test]
    fn rejects_non_finite() {
        let cfg = RewardConfig {
            new_info: f64::NAN,
            ..Default::default()
        };
        let err = cfg.validate().unwrap_err();
        assert!(err.contains("new_info"), "{err}");
        let cfg = RewardConfig {
            clip_max: f64::INFINITY,
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().contains("clip_max"));
    }

    #[test]
    fn rejects_clip_range_without_zero() {
        let cfg = RewardConfig {
            clip_min: 0.01,
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().contains("clip"));
        let cfg = RewardConfig {
            clip_max: -0.01,
            ..Default::default()
        };
        assert!(cfg.validate().is_err());
        // A zero-width clip is valid only without a progress layer to preserve.
        let cfg = RewardConfig {
            clip_min: 0.0,
            clip_max: 0.0,
            progress_weight: 0.0,
            ..Default::default()
        };
        assert_eq!(cfg.validate(), Ok(()));
    }

    #[test]
    fn rejects_bad_levels_and_tolerance() {
        for levels in [0, 1, MAX_PROGRESS_LEVELS + 1] {
            let cfg = RewardConfig {
                progress_levels: levels,
                ..Default::default()
            };
            assert!(cfg.validate().unwrap_err().contains("progress_levels"));
        }
        let cfg = RewardConfig {
            progress_levels: 2,
            ..Default::default()
        };
        assert_eq!(cfg.validate(), Ok(()));
        for tol in [-0.1, 1.0, 5.0] {
            let cfg = RewardConfig {
                float_rel_tol: tol,
                ..Default::default()
            };
            assert!(cfg.validate().unwrap_err().contains("float_rel_tol"));
        }
        let cfg = RewardConfig {
            float_rel_tol: 0.0,
            ..Default::default()
        };
        assert_eq!(cfg.validate(), Ok(()));
    }

    #[test]
    fn rejects_wrong_signs() {
        let cfg = RewardConfig {
            step_cost: 0.01,
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().contains("step_cost"));
        let cfg = RewardConfig {
            exec_ok: -0.01,
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().contains("exec_ok"));
        let cfg = RewardConfig {
            wrong: 0.1,
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().contains("wrong"));
        let cfg = RewardConfig {
            after_done_penalty: 0.5,
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().contains("after_done_penalty"));
    }

    #[test]
    fn correct_must_pay_most() {
        let cfg = RewardConfig {
            correct: 0.0,
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().contains("correct"));
        let cfg = RewardConfig {
            correct: 0.1,
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().contains("clip_max"));
    }
}
