//! What proving a gold establishes beyond "it returns its stored answer": the result's column
//! names (rusqlite's `column_names()`), the tie groups of an ordered gold ([`super::ties`]) and
//! suspect ordering or values ([`super::suspects`]). Kept on the loaded question, never in the
//! question file.

use serde::{Deserialize, Serialize};

use super::question::sql_orders_result;
use super::suspects::{result_suspects, Suspect};
use super::ties::{analyse, OrderCheck, TieGroups};
use crate::database::reads::ReadSet;
use crate::database::value::Cell;

/// Facts about a proven gold, attached to its question when the catalog loads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProvenGold {
    /// The gold result's column names, in order.
    pub columns: Vec<String>,
    /// What the tie computation found (unordered golds have none).
    pub order: OrderCheck,
    /// For an ordered gold with ties, the rows each position may hold.
    pub ties: Option<TieGroups>,
    pub suspects: Vec<Suspect>,
    /// The tables and columns the gold SQL reads (the authorizer's reads while it ran).
    pub reads: ReadSet,
}

/// The extra proof of one gold whose SQL returned `rows` with `columns` on `conn`, reading `reads`.
pub fn prove(
    conn: &rusqlite::Connection,
    gold_sql: &str,
    columns: Vec<String>,
    rows: &[Vec<Cell>],
    reads: ReadSet,
) -> ProvenGold {
    let mut suspects = result_suspects(rows);
    if !sql_orders_result(gold_sql) {
        return ProvenGold {
            columns,
            suspects,
            reads,
            ..Default::default()
        };
    }
    let analysis = analyse(conn, gold_sql, columns.len(), rows);
    suspects.extend(analysis.suspects);
    ProvenGold {
        columns,
        order: analysis.check,
        ties: analysis.groups,
        suspects,
        reads,
    }
}
