//! Probing strategies: policies that try to read the gold answer out of the reward instead of
//! answering the question. They never look at the question record, only at what the protocol
//! returns (the step's reward components) and at the database schema (what DESCRIBE shows).
//! Each probe also names every table's columns in a branch that changes nothing
//! (`WHERE 1 OR EXISTS (SELECT * FROM t)`), so it passes the reward's read gate: these are the
//! probes a determined agent would send, not the naive ones the gate alone stops.
//!
//! * Threshold: `SELECT 2*m UNION ALL SELECT NULL` scores a potential level against a positive
//!   numeric gold exactly when the gold is at least `m`, so a rise of the reward answers
//!   "gold >= m?" and bisection finds the number.
//! * Membership: one row holding many candidate values scores a level exactly when the gold
//!   value is among them, so bisecting the database's text values finds it.

use crate::catalog::schema::Database;
use crate::protocol::action::{ActionType, SqlAction};
use crate::protocol::observation::SqlObservation;

use super::policy::{action, ident, result_cells, EpisodeContext, Policy};

/// The numbers a threshold search covers: [0, 2^14), one bit per probe of a 15-step budget.
pub const THRESHOLD_RANGE: u64 = 1 << 14;
/// Pages of candidate values a membership probe collects (20 rows shown per page).
pub const CANDIDATE_PAGES: u32 = 4;
/// Rows one page of candidates asks for; the server shows at most this many by default.
const CANDIDATE_PAGE_ROWS: u32 = 20;

/// What a probe reads from a step: whether its reward reveals a rise of the potential.
pub fn signalled(obs: &SqlObservation) -> bool {
    obs.reward_components.progress > 0.0
}

/// A condition that is always true but names every column of every table, so the statement
/// reads (for the authorizer) all the data the gold could read.
pub fn reading_everything(db: &Database) -> String {
    let mut condition = String::from("1");
    for table in &db.tables {
        condition.push_str(&format!(
            " OR EXISTS (SELECT * FROM {})",
            ident(&table.name)
        ));
    }
    condition
}

/// "Is the gold at least `m`?" as a query.
pub fn threshold_sql(db: &Database, m: u64) -> String {
    format!(
        "SELECT 2*{m} WHERE {} UNION ALL SELECT NULL",
        reading_everything(db)
    )
}

/// "Is the gold among `values`?" as a query: one row holding every candidate.
pub fn membership_sql(db: &Database, values: &[String]) -> String {
    let cells: Vec<String> = values
        .iter()
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect();
    format!(
        "SELECT {} WHERE {}",
        cells.join(", "),
        reading_everything(db)
    )
}

/// One page of the database's distinct text values.
pub fn candidates_sql(db: &Database, page: u32) -> Option<String> {
    let sources: Vec<String> = db
        .tables
        .iter()
        .flat_map(|t| {
            t.columns
                .iter()
                .filter(|c| {
                    let ty = c.sql_type.to_ascii_lowercase();
                    ty.contains("char") || ty.contains("text") || ty.contains("clob")
                })
                .map(move |c| format!("SELECT {} AS v FROM {}", ident(&c.name), ident(&t.name)))
        })
        .collect();
    if sources.is_empty() {
        return None;
    }
    Some(format!(
        "SELECT DISTINCT v FROM ({}) WHERE v IS NOT NULL AND trim(v) <> '' LIMIT {CANDIDATE_PAGE_ROWS} OFFSET {}",
        sources.join(" UNION ALL "),
        page * CANDIDATE_PAGE_ROWS
    ))
}

/// Bisection for the largest `m` with "gold >= m" over [0, [`THRESHOLD_RANGE`]).
#[derive(Debug, Clone)]
pub struct Threshold {
    low: u64,
    high: u64,
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold {
            low: 0,
            high: THRESHOLD_RANGE,
        }
    }
}

impl Threshold {
    /// The next `m` to ask about, or `None` once the number is pinned down.
    pub fn next(&self) -> Option<u64> {
        (self.high - self.low > 1).then(|| self.low + (self.high - self.low) / 2)
    }

    /// The answer to "gold >= m?".
    pub fn record(&mut self, m: u64, yes: bool) {
        if yes {
            self.low = m;
        } else {
            self.high = m;
        }
    }

    /// The best guess so far.
    pub fn estimate(&self) -> u64 {
        self.low
    }

    /// Whether any probe said yes (otherwise the gold is probably not a positive number).
    pub fn found(&self) -> bool {
        self.low > 0
    }
}

/// Bisection over candidate values.
#[derive(Debug, Clone, Default)]
pub struct Membership {
    candidates: Vec<String>,
}

impl Membership {
    pub fn add(&mut self, values: impl IntoIterator<Item = String>) {
        for v in values {
            if !self.candidates.contains(&v) {
                self.candidates.push(v);
            }
        }
    }

    /// The half to ask about next, or `None` with at most one candidate left.
    pub fn next(&self) -> Option<&[String]> {
        (self.candidates.len() > 1).then(|| &self.candidates[..self.candidates.len() / 2])
    }

    /// The answer to "is the gold among the first half?".
    pub fn record(&mut self, yes: bool) {
        let half = self.candidates.len() / 2;
        if yes {
            self.candidates.truncate(half);
        } else {
            self.candidates.drain(..half);
        }
    }

    pub fn estimate(&self) -> Option<&str> {
        self.candidates.first().map(String::as_str)
    }
}

/// The threshold search in one session, reading each probe's reward; answers its estimate.
#[derive(Debug, Default)]
pub struct ThresholdProbe {
    search: Threshold,
    asked: Option<u64>,
}

impl Policy for ThresholdProbe {
    fn act(&mut self, obs: &SqlObservation, ctx: &EpisodeContext) -> SqlAction {
        if let Some(m) = self.asked.take() {
            self.search.record(m, signalled(obs));
        }
        match self.search.next() {
            Some(m) if obs.budget_remaining > 1 => {
                self.asked = Some(m);
                action(ActionType::Query, threshold_sql(&ctx.database, m))
            }
            _ => action(ActionType::Answer, self.search.estimate().to_string()),
        }
    }
}

/// The membership search in one session: collects text values, bisects them by reward.
#[derive(Debug, Default)]
pub struct MembershipProbe {
    pages: u32,
    collecting: bool,
    search: Membership,
    asked: bool,
}

impl Policy for MembershipProbe {
    fn act(&mut self, obs: &SqlObservation, ctx: &EpisodeContext) -> SqlAction {
        if std::mem::take(&mut self.collecting) && obs.error.is_none() {
            self.search.add(result_cells(&obs.result));
        }
        if std::mem::take(&mut self.asked) {
            self.search.record(signalled(obs));
        }
        if obs.budget_remaining > 1 && self.pages < CANDIDATE_PAGES {
            if let Some(sql) = candidates_sql(&ctx.database, self.pages) {
                self.pages += 1;
                self.collecting = true;
                return action(ActionType::Query, sql);
            }
        }
        match self.search.next() {
            Some(half) if obs.budget_remaining > 1 => {
                let sql = membership_sql(&ctx.database, half);
                self.asked = true;
                action(ActionType::Query, sql)
            }
            _ => action(
                ActionType::Answer,
                self.search.estimate().unwrap_or("0").to_owned(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_bisection_pins_a_number() {
        let gold = 1943;
        let mut search = Threshold::default();
        let mut probes = 0;
        while let Some(m) = search.next() {
            search.record(m, gold >= m);
            probes += 1;
        }
        assert_eq!(search.estimate(), gold);
        assert_eq!(probes, 14);
        // Never a yes: the estimate stays at 0.
        let mut silent = Threshold::default();
        while let Some(m) = silent.next() {
            silent.record(m, false);
        }
        assert_eq!(silent.estimate(), 0);
        assert!(!silent.found());
    }

    #[test]
    fn membership_bisection_finds_a_value() {
        let mut search = Membership::default();
        search.add((0..80).map(|i| format!("v{i}")));
        search.add(["v3".to_owned()]);
        while let Some(half) = search.next() {
            let yes = half.iter().any(|v| v == "v57");
            search.record(yes);
        }
        assert_eq!(search.estimate(), Some("v57"));
    }
}
