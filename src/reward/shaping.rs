//! What each kind of step pays: layers 1 (operational) and 2 (progress) with the per-step clip for
//! exploring steps, layer 3 for ANSWER, and the fixed payouts for acting after the end or running
//! out of steps. Pure functions of the configuration and the facts the session gathered.

use crate::reward::components::{RewardComponents, StepFacts};
use crate::reward::config::{RewardConfig, MAX_PROGRESS_LEVELS};

/// The reward of an exploring step (DESCRIBE, SAMPLE or QUERY).
///
/// The raw total (operational + progress) is clipped to `[clip_min, clip_max]`. The excess is
/// taken from the operational layer first, and only from the part of it pushing in the clipped
/// direction, then from progress: progress keeps its exact potential difference, and so its
/// telescoping sum, whenever the operational layer alone can absorb the clip.
pub fn step_reward(cfg: &RewardConfig, facts: &StepFacts) -> RewardComponents {
    let operational = operational(cfg, facts);
    let progress = match facts.potential_now {
        Some(now) => {
            cfg.progress_weight
                * (sanitize_potential(now) - sanitize_potential(facts.potential_before))
        }
        None => 0.0,
    };
    let (operational, progress) = clip(cfg, operational, progress);
    RewardComponents {
        operational,
        progress,
        terminal: 0.0,
    }
}

/// Layer 1: the sum of the flat bonuses and penalties that apply to this step.
fn operational(cfg: &RewardConfig, facts: &StepFacts) -> f64 {
    let mut total = cfg.step_cost;
    if facts.executed_ok {
        total += cfg.exec_ok;
    }
    if facts.new_information {
        total += cfg.new_info;
    }
    if facts.repeated {
        total += cfg.repeat_penalty;
    }
    total
}

/// A potential outside [0, 1] or not a number can only come from a bug upstream; treating it as
/// the nearest valid value keeps the step's reward inside its declared range.
fn sanitize_potential(p: f64) -> f64 {
    if p.is_nan() {
        0.0
    } else {
        p.clamp(0.0, 1.0)
    }
}

/// Brings `operational + progress` into `[clip_min, clip_max]`, operational layer first.
/// Written with `max`/`min` rather than `f64::clamp`, which panics on an unvalidated range.
fn clip(cfg: &RewardConfig, operational: f64, progress: f64) -> (f64, f64) {
    let raw = operational + progress;
    if raw > cfg.clip_max {
        let excess = raw - cfg.clip_max;
        let from_operational = excess.min(operational.max(0.0));
        (
            operational - from_operational,
            progress - (excess - from_operational),
        )
    } else if raw < cfg.clip_min {
        let deficit = cfg.clip_min - raw;
        let from_operational = deficit.min((-operational).max(0.0));
        (
            operational + from_operational,
            progress + (deficit - from_operational),
        )
    } else {
        (operational, progress)
    }
}

/// An ANSWER pays only its correctness: no operational or progress reward, so answering is never
/// worth more than being right.
pub fn terminal_reward(cfg: &RewardConfig, correct: bool) -> RewardComponents {
    let terminal = if correct { cfg.correct } else { cfg.wrong };
    RewardComponents {
        terminal,
        ..Default::default()
    }
}

/// Any action sent after the episode is done.
pub fn after_done_reward(cfg: &RewardConfig) -> RewardComponents {
    RewardComponents {
        terminal: cfg.after_done_penalty,
        ..Default::default()
    }
}

/// The step budget ran out without an ANSWER: paid like a wrong answer (0.0 by default), so that
/// not answering is never better than answering, whatever `wrong` is set to.
pub fn budget_exhausted_reward(cfg: &RewardConfig) -> RewardComponents {
    RewardComponents {
        terminal: cfg.wrong,
        ..Default::default()
    }
}

/// The most an episode of at most `steps` exploring steps can collect before its terminal reward,
/// over every sequence of facts and of potentials on the coarsened levels. Computed exactly by
/// dynamic programming over the potential level reached; the best facts (ran, new, not repeated)
/// dominate because the clipped total never decreases when the operational layer grows.
pub fn max_exploring_return(cfg: &RewardConfig, steps: u32) -> f64 {
    let levels = cfg.progress_levels.clamp(2, MAX_PROGRESS_LEVELS) as usize;
    let level = |i: usize| i as f64 / (levels - 1) as f64;
    let best_facts = |before: usize, now: usize| StepFacts {
        executed_ok: true,
        new_information: true,
        repeated: false,
        potential_before: level(before),
        potential_now: Some(level(now)),
    };
    // best[i]: the largest return of an episode so far whose last potential is level i.
    let mut best: Vec<Option<f64>> = vec![None; levels];
    best[0] = Some(0.0);
    let mut overall = 0.0_f64;
    for _ in 0..steps {
        let mut next: Vec<Option<f64>> = vec![None; levels];
        for (before, value) in best.iter().enumerate() {
            let Some(value) = value else { continue };
            for (now, slot) in next.iter_mut().enumerate() {
                let total = value + step_reward(cfg, &best_facts(before, now)).total();
                if slot.is_none_or(|s| total > s) {
                    *slot = Some(total);
                }
            }
        }
        best = next;
        overall = best.iter().flatten().fold(overall, |acc, v| acc.max(*v));
    }
    overall
}

/// Checks that, with an episode of at most `max_steps` exploring steps, the gold answer earns the
/// most: answering correctly at once beats the best episode that ends with a wrong answer.
pub fn check_budget(cfg: &RewardConfig, max_steps: u32) -> Result<(), String> {
    cfg.validate()?;
    let best_wrong = cfg.wrong + max_exploring_return(cfg, max_steps);
    if cfg.correct <= best_wrong {
        return Err(format!(
            "correct = {} must exceed the best return of a wrong-answer episode of {max_steps} steps ({best_wrong:.4})",
            cfg.correct
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EPS: f64 = 1e-12;

    fn facts(ok: bool, new: bool, repeated: bool, before: f64, now: Option<f64>) -> StepFacts {
        StepFacts {
            executed_ok: ok,
            new_information: new,
            repeated,
            potential_before: before,
            potential_now: now,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < EPS
    }

    #[test]
    fn operational_layer_sums_flags() {
        let cfg = RewardConfig::default();
        let r = step_reward(&cfg, &facts(true, true, false, 0.0, None));
        assert!(close(r.operational, 0.01), "{r:?}");
        assert_eq!(r.progress, 0.0);
        assert_eq!(r.terminal, 0.0);
        let r = step_reward(&cfg, &facts(false, false, false, 0.0, None));
        assert!(close(r.operational, -0.02));
        let r = step_reward(&cfg, &facts(true, false, true, 0.0, None));
        assert!(close(r.operational, -0.03));
        let r = step_reward(&cfg, &facts(false, false, true, 0.0, None));
        assert!(close(r.operational, -0.05));
    }

    #[test]
    fn progress_is_weighted_potential_difference() {
        let cfg = RewardConfig::default();
        let r = step_reward(&cfg, &facts(true, true, false, 0.25, Some(0.75)));
        assert!(close(r.progress, 0.075), "{r:?}");
        let r = step_reward(&cfg, &facts(true, false, false, 0.75, Some(0.5)));
        assert!(close(r.progress, -0.0375), "{r:?}");
        let r = step_reward(&cfg, &facts(true, false, false, 0.75, None));
        assert_eq!(r.progress, 0.0);
    }

    #[test]
    fn upper_clip_takes_operational_first() {
        let cfg = RewardConfig::default();
        // 0.01 operational + 0.15 progress = 0.16 > 0.15: the operational layer gives up 0.01.
        let r = step_reward(&cfg, &facts(true, true, false, 0.0, Some(1.0)));
        assert!(close(r.total(), 0.15), "{r:?}");
        assert!(close(r.progress, 0.15));
        assert!(close(r.operational, 0.0));
        // A smaller clip also eats into progress.
        let cfg = RewardConfig {
            clip_max: 0.1,
            ..Default::default()
        };
        let r = step_reward(&cfg, &facts(true, true, false, 0.0, Some(1.0)));
        assert!(close(r.total(), 0.1) && close(r.operational, 0.0) && close(r.progress, 0.1));
    }

    #[test]
    fn lower_clip_relieves_penalties_first() {
        let cfg = RewardConfig::default();
        // -0.02 + 0.02 - 0.15 = -0.15: exactly the floor, a full drop is charged in full.
        let r = step_reward(&cfg, &facts(true, false, false, 1.0, Some(0.0)));
        assert!(close(r.total(), -0.15) && close(r.progress, -0.15) && close(r.operational, 0.0));
        // -0.05 operational - 0.0375 progress = -0.0875: within range, untouched.
        let r = step_reward(&cfg, &facts(false, false, true, 0.25, Some(0.0)));
        assert!(close(r.operational, -0.05) && close(r.progress, -0.0375));
        // A repeated query that ran, Φ 0.5 -> 0: -0.03 - 0.075 = -0.105, untouched.
        let r = step_reward(&cfg, &facts(true, false, true, 0.5, Some(0.0)));
        assert!(close(r.total(), -0.105) && close(r.progress, -0.075));
        // A repeat with a full drop: -0.03 - 0.15 = -0.18; the repeat penalty gives back 0.03.
        let r = step_reward(&cfg, &facts(true, false, true, 1.0, Some(0.0)));
        assert!(close(r.total(), -0.15) && close(r.progress, -0.15) && close(r.operational, 0.0));
    }

    #[test]
    fn narrow_lower_clip_cuts_progress() {
        // The Python SQLEnv's clip_min of -0.10 (refused by `validate`): a full drop is charged
        // only -0.10, the rise back paid +0.15, so each down-up pair nets +0.05.
        let python = RewardConfig {
            clip_min: -0.10,
            ..Default::default()
        };
        let down = step_reward(&python, &facts(true, false, false, 1.0, Some(0.0)));
        assert!(close(down.total(), -0.10) && close(down.progress, -0.10));
        let up = step_reward(&python, &facts(true, false, false, 0.0, Some(1.0)));
        assert!(close(up.total(), 0.15));
        assert!(close(max_exploring_return(&python, 15), 0.5));
        assert!(python.validate().is_err());
    }

    #[test]
    fn insane_potentials_stay_in_range() {
        let cfg = RewardConfig::default();
        for (before, now) in [
            (f64::NAN, Some(f64::NAN)),
            (-5.0, Some(7.0)),
            (0.0, Some(f64::INFINITY)),
        ] {
            let r = step_reward(&cfg, &facts(true, true, false, before, now));
            assert!(
                r.total().is_finite() && r.total() <= cfg.clip_max + EPS,
                "{r:?}"
            );
        }
        // An unvalidated, inverted clip range must not panic.
        let bad = RewardConfig {
            clip_min: 1.0,
            clip_max: -1.0,
            ..Default::default()
        };
        let _ = step_reward(&bad, &facts(true, true, false, 0.0, Some(1.0)));
    }

    #[test]
    fn terminal_payouts() {
        let cfg = RewardConfig::default();
        assert_eq!(
            terminal_reward(&cfg, true),
            RewardComponents {
                terminal: 1.0,
                ..Default::default()
            }
        );
        assert_eq!(terminal_reward(&cfg, false).total(), 0.0);
        assert_eq!(after_done_reward(&cfg).terminal, -0.1);
        assert_eq!(after_done_reward(&cfg).operational, 0.0);
        assert_eq!(budget_exhausted_reward(&cfg).total(), 0.0);
        let harsh = RewardConfig {
            wrong: -0.5,
            ..Default::default()
        };
        assert_eq!(budget_exhausted_reward(&harsh).terminal, -0.5);
    }

    #[test]
    fn default_return_bound_over_fifteen_steps() {
        let cfg = RewardConfig::default();
        // Progress telescopes to at most 0.15 and each step's operational layer adds at most
        // 0.01: 15 * 0.01 + 0.15 = 0.30.
        let bound = max_exploring_return(&cfg, 15);
        assert!(close(bound, 0.30), "{bound}");
        assert_eq!(max_exploring_return(&cfg, 0), 0.0);
        assert!(close(max_exploring_return(&cfg, 1), 0.15));
        assert_eq!(check_budget(&cfg, 15), Ok(()));
        assert_eq!(check_budget(&cfg, 60), Ok(()));
        // 100 * 0.01 + 0.15 = 1.15: exploring could out-earn the gold answer.
        assert!(check_budget(&cfg, 100).is_err());
    }

    #[test]
    fn wide_clip_restores_telescoping_bound() {
        // With clip_min below every possible raw step, a drop is charged in full and the return is
        // only the operational surplus plus one progress_weight.
        let cfg = RewardConfig {
            clip_min: -0.25,
            clip_max: 0.25,
            ..Default::default()
        };
        let bound = max_exploring_return(&cfg, 15);
        assert!(close(bound, 15.0 * 0.01 + 0.15), "{bound}");
    }

    /// One step of a generated episode: the flags and the level of the result (None: not a
    /// successful QUERY).
    fn step_strategy(levels: u32) -> impl Strategy<Value = (bool, bool, bool, Option<u32>)> {
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(0..levels),
        )
    }

    /// Any configuration `validate` might see: every constant drawn around its role's sign, so
    /// both valid and invalid ones come up.
    fn config_strategy() -> impl Strategy<Value = RewardConfig> {
        (
            (0.0..0.1f64, 0.0..0.1f64, -0.1..0.0f64, -0.1..0.0f64),
            (0.0..0.4f64, 2u32..12),
            (-0.5..0.0f64, 0.0..0.5f64),
            (0.5..3.0f64, -0.5..0.0f64),
        )
            .prop_map(
                |(
                    (exec_ok, new_info, repeat_penalty, step_cost),
                    (progress_weight, progress_levels),
                    (clip_min, clip_max),
                    (correct, wrong),
                )| RewardConfig {
                    exec_ok,
                    new_info,
                    repeat_penalty,
                    step_cost,
                    progress_weight,
                    progress_levels,
                    clip_min,
                    clip_max,
                    correct,
                    wrong,
                    ..Default::default()
                },
            )
    }

    /// Plays `steps` on `cfg`, checking each step stays in the clip range; returns the sum of
    /// progress, the sum of totals and the last potential.
    fn play(
        cfg: &RewardConfig,
        steps: &[(bool, bool, bool, Option<u32>)],
    ) -> Result<(f64, f64, f64), TestCaseError> {
        let top = f64::from(cfg.progress_levels - 1);
        let (mut potential, mut progress_sum, mut total_sum) = (0.0, 0.0, 0.0);
        for &(ok, new, repeated, level) in steps {
            let now = level.map(|l| f64::from(l.min(cfg.progress_levels - 1)) / top);
            let r = step_reward(cfg, &facts(ok, new, repeated, potential, now));
            prop_assert!(r.total() >= cfg.clip_min - EPS && r.total() <= cfg.clip_max + EPS);
            prop_assert_eq!(r.terminal, 0.0);
            progress_sum += r.progress;
            total_sum += r.total();
            if let Some(n) = now {
                potential = n;
            }
        }
        Ok((progress_sum, total_sum, potential))
    }

    proptest! {
        #[test]
        fn default_episodes_telescope_and_respect_the_bound(
            steps in proptest::collection::vec(step_strategy(5), 0..=15),
        ) {
            let cfg = RewardConfig::default();
            let (progress_sum, total_sum, potential) = play(&cfg, &steps)?;
            prop_assert!((progress_sum - cfg.progress_weight * potential).abs() < 1e-9);
            prop_assert!(progress_sum <= cfg.progress_weight + 1e-9);
            prop_assert!(total_sum <= max_exploring_return(&cfg, steps.len() as u32) + 1e-9);
            prop_assert!(total_sum <= 0.30 + 1e-9);
        }

        #[test]
        fn every_valid_config_telescopes_exactly(
            cfg in config_strategy(),
            steps in proptest::collection::vec(step_strategy(12), 0..=30),
        ) {
            // Widen the clip just enough to be valid, so nearly every case is played.
            let cfg = RewardConfig {
                clip_min: cfg.clip_min.min(-cfg.progress_weight),
                clip_max: cfg.clip_max.max(cfg.progress_weight),
                ..cfg
            };
            prop_assume!(cfg.validate().is_ok());
            let (progress_sum, total_sum, potential) = play(&cfg, &steps)?;
            prop_assert!(
                (progress_sum - cfg.progress_weight * potential).abs() < 1e-9,
                "progress {} != {} * {}", progress_sum, cfg.progress_weight, potential
            );
            prop_assert!(total_sum <= max_exploring_return(&cfg, steps.len() as u32) + 1e-9);
        }

        #[test]
        fn validate_refuses_every_clip_that_cuts_progress(cfg in config_strategy()) {
            if !cfg.clip_preserves_progress() {
                prop_assert!(cfg.validate().is_err());
            }
        }

        #[test]
        fn upper_clip_never_inflates_progress(
            ok in any::<bool>(), new in any::<bool>(), rep in any::<bool>(),
            before in 0u32..5, now in 0u32..5,
        ) {
            let cfg = RewardConfig::default();
            let (b, n) = (f64::from(before) / 4.0, f64::from(now) / 4.0);
            let r = step_reward(&cfg, &facts(ok, new, rep, b, Some(n)));
            let exact = cfg.progress_weight * (n - b);
            // Progress keeps its sign and is never pushed beyond its exact value upwards.
            prop_assert!(r.progress <= exact.max(0.0) + EPS);
            prop_assert!(r.progress * exact >= -EPS);
        }
    }
}
