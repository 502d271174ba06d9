//! The terms of an episode's return, as pure functions of the configuration: the hygiene an
//! exploring step costs, the return of a correct episode, the return of an episode that ends
//! without a correct answer, and the penalty for acting after the end. When these are paid is
//! the business of [`super::ledger`].

use crate::reward::components::{ExploreFacts, RewardComponents};
use crate::reward::config::{RewardConfig, RewardTiming};

/// What an exploring step costs an episode that ends without a correct answer: the step cost,
/// plus the error penalty if it failed, plus the repeat penalty if it repeated an action. Never
/// above 0, so no exploring step pays for itself.
pub fn hygiene(cfg: &RewardConfig, facts: &ExploreFacts) -> f64 {
    let mut total = cfg.step_cost;
    if !facts.executed_ok {
        total += cfg.error_penalty;
    }
    if facts.repeated {
        total += cfg.repeat_penalty;
    }
    total
}

/// `(B - k) / (B - 1)` for an episode of `steps` steps (its ANSWER included) under a budget of
/// `budget`: 1 for an answer at the first step, 0 at the last. A budget of 1 allows only the
/// first step, which counts as fully efficient.
pub fn efficiency_share(steps: u32, budget: u32) -> f64 {
    if budget <= 1 {
        return 1.0;
    }
    let left = budget.saturating_sub(steps.max(1));
    f64::from(left) / f64::from(budget - 1)
}

/// The return of an episode answered correctly at step `steps`: `correct` plus the efficiency
/// term, so at least `correct`, and strictly more the fewer steps it took (with
/// `efficiency > 0`). Hygiene and partial credit do not count: only efficiency ranks correct
/// episodes, so padding an answer with cheap steps always loses.
pub fn correct_return(cfg: &RewardConfig, steps: u32, budget: u32) -> RewardComponents {
    RewardComponents {
        operational: cfg.efficiency * efficiency_share(steps, budget),
        progress: 0.0,
        terminal: cfg.correct,
    }
}

/// The return of an episode that ends without a correct answer (a wrong ANSWER, the budget or
/// time running out, or a reset): `wrong + partial_credit * best_potential + Σ hygiene`, where
/// `best_potential` is the best [`credited_potential`] of the episode's queries; at most
/// `wrong + partial_credit` because hygiene is never positive and the potential at most 1.
pub fn unanswered_return(
    cfg: &RewardConfig,
    hygiene_sum: f64,
    best_potential: f64,
) -> RewardComponents {
    RewardComponents {
        operational: hygiene_sum,
        progress: cfg.partial_credit * sanitize_potential(best_potential),
        terminal: cfg.wrong,
    }
}

/// The part of a potential that counts for partial credit: the level itself from
/// `partial_credit_floor` up, nothing below it.
pub fn credited_potential(cfg: &RewardConfig, p: f64) -> f64 {
    let p = sanitize_potential(p);
    // The levels are computed, so allow for rounding right at the floor.
    if p + 1e-9 >= cfg.partial_credit_floor {
        p
    } else {
        0.0
    }
}

/// Any action sent after the episode is done: outside the episode's return, paid at once.
pub fn after_done_reward(cfg: &RewardConfig) -> RewardComponents {
    RewardComponents {
        terminal: cfg.after_done_penalty,
        ..Default::default()
    }
}

/// The least and the most any one reward the server pays can be under `cfg` and a step budget
/// of `budget`: the range `openenv.yaml` declares and OpenEnv's validator checks. In
/// `episode_end` the last step pays the whole return, from a budget of failed repeats up to a
/// correct answer at once; in `per_step` an exploring step pays its hygiene (or its share of
/// the partial credit), and a correct answer settles everything the steps were charged.
pub fn reward_range(cfg: &RewardConfig, budget: u32) -> (f64, f64) {
    let worst_step = cfg.step_cost + cfg.error_penalty + cfg.repeat_penalty;
    let budget = f64::from(budget.max(1));
    let best_return = cfg.correct + cfg.efficiency;
    let (low, high) = match cfg.reward_timing {
        RewardTiming::EpisodeEnd => (cfg.wrong + budget * worst_step, best_return),
        RewardTiming::PerStep => (
            worst_step + cfg.wrong.min(0.0),
            best_return - (budget - 1.0) * worst_step,
        ),
    };
    (low.min(cfg.after_done_penalty).min(0.0), high.max(0.0))
}

/// A potential outside [0, 1] or not a number can only come from a bug upstream; treating it as
/// the nearest valid value keeps the return inside its declared bound.
pub fn sanitize_potential(p: f64) -> f64 {
    if p.is_nan() {
        0.0
    } else {
        p.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-12;

    fn facts(ok: bool, repeated: bool) -> ExploreFacts {
        ExploreFacts {
            executed_ok: ok,
            repeated,
            potential: None,
        }
    }

    #[test]
    fn hygiene_sums_the_penalties() {
        let cfg = RewardConfig::default();
        assert!((hygiene(&cfg, &facts(true, false)) - -0.01).abs() < EPS);
        assert!((hygiene(&cfg, &facts(false, false)) - -0.02).abs() < EPS);
        assert!((hygiene(&cfg, &facts(true, true)) - -0.04).abs() < EPS);
        assert!((hygiene(&cfg, &facts(false, true)) - -0.05).abs() < EPS);
    }

    #[test]
    fn efficiency_falls_linearly_with_steps() {
        assert_eq!(efficiency_share(1, 15), 1.0);
        assert_eq!(efficiency_share(15, 15), 0.0);
        assert!((efficiency_share(2, 15) - 13.0 / 14.0).abs() < EPS);
        assert_eq!(efficiency_share(20, 15), 0.0);
        assert_eq!(efficiency_share(1, 1), 1.0);
        assert_eq!(efficiency_share(0, 15), 1.0);
    }

    #[test]
    fn correct_return_is_correct_plus_efficiency() {
        let cfg = RewardConfig::default();
        let oracle = correct_return(&cfg, 2, 15);
        assert!(
            (oracle.total() - (1.0 + 0.1 * 13.0 / 14.0)).abs() < EPS,
            "{oracle:?}"
        );
        assert_eq!(oracle.terminal, 1.0);
        assert_eq!(oracle.progress, 0.0);
        let padded = correct_return(&cfg, 15, 15);
        assert_eq!(padded.total(), 1.0);
        assert!(padded.total() < oracle.total());
    }

    #[test]
    fn unanswered_return_is_bounded_by_partial_credit() {
        let cfg = RewardConfig::default();
        let r = unanswered_return(&cfg, -0.05, 0.75);
        assert!((r.total() - (0.075 - 0.05)).abs() < EPS, "{r:?}");
        assert_eq!(unanswered_return(&cfg, 0.0, 1.0).total(), 0.1);
        for p in [f64::NAN, -3.0, 7.0, f64::INFINITY] {
            assert!(unanswered_return(&cfg, 0.0, p).total() <= cfg.partial_credit);
        }
        assert_eq!(after_done_reward(&cfg).total(), -0.1);
    }

    #[test]
    fn levels_below_the_floor_earn_no_credit() {
        let cfg = RewardConfig::default();
        assert_eq!(credited_potential(&cfg, 0.25), 0.0);
        assert_eq!(credited_potential(&cfg, 0.5), 0.5);
        assert_eq!(credited_potential(&cfg, 0.4999999999999), 0.4999999999999);
        assert_eq!(credited_potential(&cfg, 1.0), 1.0);
        assert_eq!(credited_potential(&cfg, f64::NAN), 0.0);
        let open = RewardConfig {
            partial_credit_floor: 0.0,
            ..Default::default()
        };
        assert_eq!(credited_potential(&open, 0.25), 0.25);
    }
}
