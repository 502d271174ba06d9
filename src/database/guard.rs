//! The read-only guard: which statements SQLite may prepare for an agent. The authorizer runs
//! while a statement is prepared, so a write is refused before anything executes.

use std::sync::{Arc, Mutex};

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};

use super::reads::ReadSet;

/// PRAGMAs that only read the schema; an agent may use them like DESCRIBE. Every other PRAGMA,
/// and any PRAGMA that assigns a value, is refused.
const SCHEMA_PRAGMAS: &[&str] = &[
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
];

/// SQL functions refused even though they are reads: they reach outside the database file.
const REFUSED_FUNCTIONS: &[&str] = &[
    "load_extension",
    "readfile",
    "writefile",
    "edit",
    "fts3_tokenizer",
];

/// Where the authorizer leaves the name of the first refused operation, so the agent is told
/// what was refused instead of SQLite's generic "not authorized".
pub type RefusalSlot = Arc<Mutex<Option<String>>>;

/// Where the authorizer collects the table data a query reads (see [`ReadSet`]).
pub type ReadLog = Arc<Mutex<ReadSet>>;

/// [`authorize`], also recording every table and column read in `reads`.
pub fn authorize_recording(
    ctx: AuthContext<'_>,
    slot: &RefusalSlot,
    reads: &ReadLog,
) -> Authorization {
    if let AuthAction::Read {
        table_name,
        column_name,
    } = ctx.action
    {
        if let Ok(mut log) = reads.lock() {
            log.insert(table_name, column_name);
        }
    }
    authorize(ctx, slot)
}

/// Decides one authorizer request, recording the first refusal in `slot`.
pub fn authorize(ctx: AuthContext<'_>, slot: &RefusalSlot) -> Authorization {
    match describe_refusal(&ctx.action) {
        None => Authorization::Allow,
        Some(what) => {
            // DDL first edits SQLite's own schema table; name the statement, not that edit.
            if !touches_internal_table(&ctx.action) {
                if let Ok(mut first) = slot.lock() {
                    first.get_or_insert(what);
                }
            }
            Authorization::Deny
        }
    }
}

fn touches_internal_table(action: &AuthAction<'_>) -> bool {
    use AuthAction as A;
    match action {
        A::Insert { table_name } | A::Update { table_name, .. } | A::Delete { table_name } => {
            table_name.to_ascii_lowercase().starts_with("sqlite_")
        }
        _ => false,
    }
}

/// `None` when the action is a read; otherwise a short name of what was attempted.
fn describe_refusal(action: &AuthAction<'_>) -> Option<String> {
    use AuthAction as A;
    match action {
        A::Select | A::Read { .. } | A::Recursive => None,
        A::Function { function_name } => {
            let name = function_name.to_ascii_lowercase();
            REFUSED_FUNCTIONS
                .contains(&name.as_str())
                .then(|| format!("the function {name}()"))
        }
        A::Pragma { pragma_name, .. } => {
            // `PRAGMA table_info(t)` passes `t` as its value, so the name alone decides.
            let name = pragma_name.to_ascii_lowercase();
            (!SCHEMA_PRAGMAS.contains(&name.as_str())).then(|| format!("PRAGMA {name}"))
        }
        A::Insert { .. } => Some("INSERT".into()),
        A::Update { .. } => Some("UPDATE".into()),
        A::Delete { .. } => Some("DELETE".into()),
        A::Attach { .. } => Some("ATTACH".into()),
        A::Detach { .. } => Some("DETACH".into()),
        A::Transaction { .. } => Some("a transaction statement".into()),
        A::Savepoint { .. } => Some("SAVEPOINT".into()),
        A::AlterTable { .. } => Some("ALTER TABLE".into()),
        A::Analyze { .. } => Some("ANALYZE".into()),
        A::Reindex { .. } => Some("REINDEX".into()),
        A::CreateIndex { .. } | A::CreateTempIndex { .. } => Some("CREATE INDEX".into()),
        A::CreateTable { .. } | A::CreateTempTable { .. } => Some("CREATE TABLE".into()),
        A::CreateTrigger { .. } | A::CreateTempTrigger { .. } => Some("CREATE TRIGGER".into()),
        A::CreateView { .. } | A::CreateTempView { .. } => Some("CREATE VIEW".into()),
        A::CreateVtable { .. } => Some("CREATE VIRTUAL TABLE".into()),
        A::DropIndex { .. } | A::DropTempIndex { .. } => Some("DROP INDEX".into()),
        A::DropTable { .. } | A::DropTempTable { .. } => Some("DROP TABLE".into()),
        A::DropTrigger { .. } | A::DropTempTrigger { .. } => Some("DROP TRIGGER".into()),
        A::DropView { .. } | A::DropTempView { .. } => Some("DROP VIEW".into()),
        A::DropVtable { .. } => Some("DROP VIRTUAL TABLE".into()),
        _ => Some("this statement".into()),
    }
}
