//! One episode's reward account: what its steps did (hygiene, the best potential reached), what
//! has been paid so far, and the settlement that makes the episode's total exactly its return.
//! The timing mode decides only *when* the return is paid, never how much: in `episode_end`
//! every step before the last pays 0, in `per_step` each exploring step pays its hygiene and any
//! rise of the best potential at once and the last step pays the difference.

use crate::reward::components::{ExploreFacts, RewardComponents};
use crate::reward::config::{RewardConfig, RewardTiming};
use crate::reward::shaping::{
    after_done_reward, correct_return, credited_potential, hygiene, unanswered_return,
};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    /// Steps taken, ANSWER included.
    steps: u32,
    hygiene: f64,
    best_potential: f64,
    paid: RewardComponents,
    /// The episode's return, once it has ended.
    settled: Option<RewardComponents>,
}

impl Ledger {
    pub fn new() -> Self {
        Ledger::default()
    }

    /// Records an exploring step and returns what it pays now: nothing in `episode_end`, its
    /// hygiene and the partial credit of any rise of the best credited potential in `per_step`.
    pub fn explore(&mut self, cfg: &RewardConfig, facts: &ExploreFacts) -> RewardComponents {
        self.steps += 1;
        let cost = hygiene(cfg, facts);
        self.hygiene += cost;
        let before = self.best_potential;
        if let Some(p) = facts.potential {
            self.best_potential = before.max(credited_potential(cfg, p));
        }
        let pay = match cfg.reward_timing {
            RewardTiming::EpisodeEnd => RewardComponents::default(),
            RewardTiming::PerStep => RewardComponents {
                operational: cost,
                progress: cfg.partial_credit * (self.best_potential - before),
                terminal: 0.0,
            },
        };
        self.paid.accumulate(&pay);
        pay
    }

    /// Records the ANSWER step, which ends the episode, and returns what it pays: the rest of
    /// the episode's return.
    pub fn answer(&mut self, cfg: &RewardConfig, correct: bool, budget: u32) -> RewardComponents {
        self.steps += 1;
        let target = if correct {
            correct_return(cfg, self.steps, budget)
        } else {
            unanswered_return(cfg, self.hygiene, self.best_potential)
        };
        self.settle(target)
    }

    /// Ends the episode without a correct answer (budget or time used up, a reset) and returns
    /// what is still owed of its return. Ending an ended episode owes nothing.
    pub fn end_unanswered(&mut self, cfg: &RewardConfig) -> RewardComponents {
        if self.settled.is_some() {
            return RewardComponents::default();
        }
        self.settle(unanswered_return(cfg, self.hygiene, self.best_potential))
    }

    /// An action after the end: the penalty, outside the return.
    pub fn after_done(&mut self, cfg: &RewardConfig) -> RewardComponents {
        let pay = after_done_reward(cfg);
        self.paid.accumulate(&pay);
        pay
    }

    fn settle(&mut self, target: RewardComponents) -> RewardComponents {
        let owed = target.minus(&self.paid);
        self.paid.accumulate(&owed);
        self.settled = Some(target);
        owed
    }

    /// Everything paid so far, by layer: all a client can learn from the running total.
    pub fn paid(&self) -> RewardComponents {
        self.paid
    }

    /// The episode's return, once it has ended.
    pub fn episode_return(&self) -> Option<RewardComponents> {
        self.settled
    }

    pub fn steps(&self) -> u32 {
        self.steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EPS: f64 = 1e-9;

    /// How a generated episode ends.
    #[derive(Debug, Clone, Copy)]
    enum End {
        Answer {
            correct: bool,
        },
        /// The last exploring step used up the budget.
        Budget,
    }

    /// One exploring step: ran, repeated, and the potential level of a QUERY result.
    type Step = (bool, bool, Option<u32>);

    fn step_strategy() -> impl Strategy<Value = Step> {
        (any::<bool>(), any::<bool>(), proptest::option::of(0u32..5))
    }

    fn facts(&(ok, repeated, level): &Step) -> ExploreFacts {
        ExploreFacts {
            executed_ok: ok,
            repeated,
            potential: level.map(|l| f64::from(l) / 4.0),
        }
    }

    /// Plays an episode the way `Episode` drives its ledger; returns every step's pay.
    fn play(cfg: &RewardConfig, steps: &[Step], end: End, budget: u32) -> Vec<RewardComponents> {
        let mut ledger = Ledger::new();
        let mut pays = Vec::new();
        for (i, s) in steps.iter().enumerate() {
            let mut pay = ledger.explore(cfg, &facts(s));
            if matches!(end, End::Budget) && i + 1 == steps.len() {
                pay.accumulate(&ledger.end_unanswered(cfg));
            }
            pays.push(pay);
        }
        if let End::Answer { correct } = end {
            pays.push(ledger.answer(cfg, correct, budget));
        }
        let total: f64 = pays.iter().map(RewardComponents::total).sum();
        assert!((total - ledger.paid().total()).abs() < EPS);
        pays
    }

    fn total(pays: &[RewardComponents]) -> f64 {
        pays.iter().map(RewardComponents::total).sum()
    }

    /// Every configuration `validate` accepts comes up, with both timings.
    fn config_strategy() -> impl Strategy<Value = RewardConfig> {
        (
            (0.1..3.0f64, -1.0..=0.0f64, 0.0..0.5f64, 0.0..0.25f64),
            (-0.1..=0.0f64, -0.1..=0.0f64, -0.1..=0.0f64, 0.0..=1.0f64),
            any::<bool>(),
        )
            .prop_map(
                |(
                    (correct, wrong, efficiency, share),
                    (step_cost, error_penalty, repeat_penalty, partial_credit_floor),
                    per_step,
                )| RewardConfig {
                    correct,
                    wrong,
                    efficiency,
                    partial_credit: share * correct,
                    partial_credit_floor,
                    step_cost,
                    error_penalty,
                    repeat_penalty,
                    reward_timing: if per_step {
                        RewardTiming::PerStep
                    } else {
                        RewardTiming::EpisodeEnd
                    },
                    ..Default::default()
                },
            )
    }

    /// An episode of at most `budget` steps: exploring steps, then how it ends.
    fn episode_strategy() -> impl Strategy<Value = (u32, Vec<Step>, End)> {
        (1u32..=30).prop_flat_map(|budget| {
            let answered = (
                proptest::collection::vec(step_strategy(), 0..budget as usize),
                any::<bool>(),
            )
                .prop_map(|(steps, correct)| (steps, End::Answer { correct }));
            let exhausted = proptest::collection::vec(step_strategy(), budget as usize)
                .prop_map(|steps| (steps, End::Budget));
            (Just(budget), prop_oneof![answered, exhausted])
                .prop_map(|(budget, (steps, end))| (budget, steps, end))
        })
    }

    fn timed(cfg: &RewardConfig, timing: RewardTiming) -> RewardConfig {
        RewardConfig {
            reward_timing: timing,
            ..cfg.clone()
        }
    }

    #[test]
    fn default_episode_end_pays_only_the_last_step() {
        let cfg = RewardConfig::default();
        let steps = [(true, false, Some(4)), (true, false, None)];
        let pays = play(&cfg, &steps, End::Answer { correct: true }, 15);
        assert_eq!(pays[0], RewardComponents::default());
        assert_eq!(pays[1], RewardComponents::default());
        assert!(
            (pays[2].total() - (1.0 + 0.1 * 12.0 / 14.0)).abs() < EPS,
            "{pays:?}"
        );
        // A level under the floor (0.5) earns no partial credit.
        let low = [(true, false, Some(1))];
        let pays = play(&cfg, &low, End::Answer { correct: false }, 15);
        assert!((total(&pays) + 0.01).abs() < EPS, "{pays:?}");
        // Failing with the gold result seen once: the partial credit and two step costs.
        let pays = play(&cfg, &steps, End::Answer { correct: false }, 15);
        assert!((total(&pays) - (0.1 - 0.02)).abs() < EPS, "{pays:?}");
        assert_eq!(pays[2].progress, 0.1);
    }

    #[test]
    fn per_step_pays_as_it_goes_and_settles_the_same_total() {
        let cfg = timed(&RewardConfig::default(), RewardTiming::PerStep);
        let steps = [
            (true, false, Some(2)),
            (true, false, Some(1)),
            (true, false, Some(4)),
        ];
        let pays = play(&cfg, &steps, End::Answer { correct: true }, 15);
        assert!((pays[0].progress - 0.05).abs() < EPS && (pays[0].operational + 0.01).abs() < EPS);
        // A fall of the potential is not charged: only the best level counts.
        assert_eq!(pays[1].progress, 0.0);
        assert!((pays[2].progress - 0.05).abs() < EPS);
        // The answer takes the partial credit back, refunds the step costs, adds efficiency.
        assert!((pays[3].progress + 0.1).abs() < EPS, "{:?}", pays[3]);
        assert!((total(&pays) - (1.0 + 0.1 * 11.0 / 14.0)).abs() < EPS);
    }

    #[test]
    fn ending_twice_owes_nothing_and_after_done_is_charged() {
        let cfg = RewardConfig::default();
        let mut ledger = Ledger::new();
        ledger.explore(&cfg, &facts(&(false, false, None)));
        let owed = ledger.end_unanswered(&cfg);
        assert!((owed.total() + 0.02).abs() < EPS);
        assert_eq!(ledger.end_unanswered(&cfg), RewardComponents::default());
        assert_eq!(ledger.after_done(&cfg).total(), -0.1);
        assert!((ledger.paid().total() + 0.12).abs() < EPS);
        assert_eq!(ledger.episode_return(), Some(owed));
        assert_eq!(ledger.steps(), 1);
    }

    proptest! {
        #[test]
        fn a_faster_correct_answer_earns_at_least_as_much(
            cfg in config_strategy(),
            budget in 2u32..=30,
            a in proptest::collection::vec(step_strategy(), 0..30),
            b in proptest::collection::vec(step_strategy(), 0..30),
        ) {
            prop_assert!(cfg.validate().is_ok());
            let keep = (budget - 1) as usize;
            let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
            let (short, long) = (&short[..short.len().min(keep)], &long[..long.len().min(keep)]);
            let fast = total(&play(&cfg, short, End::Answer { correct: true }, budget));
            let slow = total(&play(&cfg, long, End::Answer { correct: true }, budget));
            prop_assert!(fast + EPS >= slow, "{} steps earn {}, {} steps {}", short.len(), fast, long.len(), slow);
            if cfg.efficiency > 0.0 && short.len() < long.len() {
                prop_assert!(fast > slow, "padding must lose: {} vs {}", fast, slow);
            }
            prop_assert!(slow + EPS >= cfg.correct);
        }

        #[test]
        fn an_episode_without_a_correct_answer_earns_at_most_partial_credit(
            cfg in config_strategy(),
            (budget, steps, end) in episode_strategy(),
        ) {
            let end = match end {
                End::Answer { .. } => End::Answer { correct: false },
                End::Budget => End::Budget,
            };
            let r = total(&play(&cfg, &steps, end, budget));
            prop_assert!(r <= cfg.wrong + cfg.partial_credit + EPS, "{}", r);
            prop_assert!(r <= cfg.partial_credit + EPS);
            prop_assert!(r < cfg.correct);
        }

        #[test]
        fn every_payment_lies_in_the_declared_range(
            cfg in config_strategy(),
            (budget, steps, end) in episode_strategy(),
        ) {
            let (low, high) = crate::reward::shaping::reward_range(&cfg, budget);
            let mut ledger_after = Ledger::new();
            let after = ledger_after.after_done(&cfg).total();
            for pay in play(&cfg, &steps, end, budget).iter().map(RewardComponents::total).chain([after]) {
                prop_assert!(low - EPS <= pay && pay <= high + EPS, "{} outside [{}, {}]", pay, low, high);
            }
        }

        #[test]
        fn both_timings_give_the_same_episode_total(
            cfg in config_strategy(),
            (budget, steps, end) in episode_strategy(),
        ) {
            let late = play(&timed(&cfg, RewardTiming::EpisodeEnd), &steps, end, budget);
            let early = play(&timed(&cfg, RewardTiming::PerStep), &steps, end, budget);
            prop_assert!((total(&late) - total(&early)).abs() < EPS);
            let by_layer = |pays: &[RewardComponents]| pays.iter().fold(
                RewardComponents::default(), |mut acc, p| { acc.accumulate(p); acc });
            let (l, e) = (by_layer(&late), by_layer(&early));
            prop_assert!((l.operational - e.operational).abs() < EPS);
            prop_assert!((l.progress - e.progress).abs() < EPS);
            prop_assert!((l.terminal - e.terminal).abs() < EPS);
        }

        #[test]
        fn nothing_before_the_last_step_pays_in_episode_end_mode(
            cfg in config_strategy(),
            (budget, steps, end) in episode_strategy(),
        ) {
            let pays = play(&timed(&cfg, RewardTiming::EpisodeEnd), &steps, end, budget);
            if let Some((_, before)) = pays.split_last() {
                prop_assert!(before.iter().all(|p| *p == RewardComponents::default()));
            }
        }

        #[test]
        fn per_step_exploring_never_pays_more_than_the_partial_credit_it_reveals(
            cfg in config_strategy(),
            steps in proptest::collection::vec(step_strategy(), 1..30),
        ) {
            let cfg = timed(&cfg, RewardTiming::PerStep);
            let mut ledger = Ledger::new();
            for s in &steps {
                let pay = ledger.explore(&cfg, &facts(s));
                prop_assert!(pay.operational <= 0.0 && pay.progress >= 0.0 && pay.terminal == 0.0);
            }
            prop_assert!(ledger.paid().progress <= cfg.partial_credit + EPS);
        }
    }
}
