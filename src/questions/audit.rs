//! `sqlenv questions audit`: which golds a strict grader would look at twice. It loads the catalog
//! as the server does and lists, from what proving each gold found ([`ProvenGold`]):
//!
//! - golds with ties (rows with equal sort keys; `cut` when a LIMIT picks some of a tie): these
//!   are handled by the tie groups, so any tied row or order is accepted;
//! - ordered golds whose tie groups could not be derived (the strict order stands), with why;
//! - suspect golds (text sorted as numbers, NULL-like text in a sort key or the result), each
//!   with its exclusion from `questions/exclusions.json` or `NOT EXCLUDED`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;

use super::error::QuestionsError;
use crate::catalog::proven::ProvenGold;
use crate::catalog::questions::is_empty_gold;
use crate::catalog::ties::OrderCheck;
use crate::catalog::Catalog;

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// Directory with tables.json, databases/ and questions/.
    #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Fail (exit non-zero) when a suspect gold is neither excluded nor fixed.
    #[arg(long)]
    pub strict: bool,
}

/// One suspect gold and what is done about it.
#[derive(Debug, Clone, PartialEq)]
pub struct SuspectGold {
    pub id: String,
    pub findings: Vec<String>,
    /// The exclusion's reason, or `None` when the gold is still served.
    pub excluded: Option<String>,
}

/// What the audit found over the loaded, non-empty golds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Audit {
    pub golds: usize,
    pub ordered: usize,
    pub strict: usize,
    /// Ids of golds with ties, and whether a LIMIT/OFFSET cuts one.
    pub tied: Vec<(String, bool)>,
    /// Ids of ordered golds without tie groups, and why.
    pub fallbacks: Vec<(String, String)>,
    pub suspects: Vec<SuspectGold>,
}

impl Audit {
    /// Suspect golds that are still served.
    pub fn unresolved(&self) -> impl Iterator<Item = &SuspectGold> {
        self.suspects.iter().filter(|s| s.excluded.is_none())
    }
}

/// Audits every loaded question with a non-empty gold, in id order.
pub fn audit(catalog: &Catalog) -> Audit {
    let bank = catalog.questions();
    let mut questions: Vec<_> = bank
        .all()
        .filter(|q| !is_empty_gold(&q.gold_answer))
        .collect();
    questions.sort_by(|a, b| a.id.cmp(&b.id));
    let mut out = Audit {
        golds: questions.len(),
        ..Audit::default()
    };
    for q in questions {
        let ProvenGold {
            order, suspects, ..
        } = &q.proven;
        match order {
            OrderCheck::Unordered => {}
            OrderCheck::Strict => out.strict += 1,
            OrderCheck::Tied { cut } => out.tied.push((q.id.clone(), *cut)),
            OrderCheck::Fallback(why) => out.fallbacks.push((q.id.clone(), why.clone())),
        }
        if *order != OrderCheck::Unordered {
            out.ordered += 1;
        }
        if !suspects.is_empty() {
            out.suspects.push(SuspectGold {
                id: q.id.clone(),
                findings: suspects.iter().map(|s| s.describe()).collect(),
                excluded: bank.exclusion(&q.id).map(str::to_owned),
            });
        }
    }
    out
}

/// The audit as text, one finding a line.
pub fn render(audit: &Audit) -> String {
    let mut s = String::new();
    let cut = audit.tied.iter().filter(|(_, c)| *c).count();
    let _ = writeln!(
        s,
        "{} golds, {} ordered: {} strict, {} with ties ({} cut by a LIMIT/OFFSET), {} without tie groups",
        audit.golds,
        audit.ordered,
        audit.strict,
        audit.tied.len(),
        cut,
        audit.fallbacks.len()
    );
    let _ = writeln!(
        s,
        "\nties (handled by the tie groups: any tied row or order is accepted):"
    );
    for (id, cut) in &audit.tied {
        let what = if *cut {
            "a LIMIT cuts a tie"
        } else {
            "rows tie"
        };
        let _ = writeln!(s, "  {id}: {what}");
    }
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, why) in &audit.fallbacks {
        *reasons.entry(why.as_str()).or_default() += 1;
    }
    let _ = writeln!(s, "\nordered golds kept in strict order (no tie groups):");
    for (why, n) in reasons {
        let _ = writeln!(s, "  {n} x {why}");
    }
    let _ = writeln!(
        s,
        "\nsuspect golds: {} ({} excluded, {} not excluded):",
        audit.suspects.len(),
        audit.suspects.len() - audit.unresolved().count(),
        audit.unresolved().count()
    );
    for suspect in &audit.suspects {
        let status = match &suspect.excluded {
            Some(reason) => format!("excluded: {reason}"),
            None => "NOT EXCLUDED".to_owned(),
        };
        let _ = writeln!(
            s,
            "  {}: {} [{status}]",
            suspect.id,
            suspect.findings.join("; ")
        );
    }
    s
}

pub fn run(args: &AuditArgs) -> Result<(), QuestionsError> {
    let catalog = Catalog::load(&args.data_dir)?;
    let found = audit(&catalog);
    print!("{}", render(&found));
    let open = found.unresolved().count();
    if args.strict && open > 0 {
        return Err(QuestionsError::Usage(format!(
            "{open} suspect gold(s) are neither excluded nor fixed"
        )));
    }
    Ok(())
}
