//! The open-file limit, which caps how many sessions a process can hold (one socket each): the
//! server and the load generator raise their own as far as the OS allows, and the load generator
//! says when that is still too few.

/// Descriptors the load generator needs besides one per session (stdio, the runtime, files).
pub const RESERVED_DESCRIPTORS: u64 = 64;

/// The open-file limit after raising it, and how many sessions it leaves room for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FdBudget {
    /// The soft limit now in force.
    pub limit: u64,
    /// Sessions that fit under it.
    pub max_sessions: usize,
}

/// Raises this process's soft RLIMIT_NOFILE to its hard limit. When it cannot be raised the
/// current limit is kept, so the run goes on with what it has.
pub fn raise() -> FdBudget {
    let limit = rlimit::increase_nofile_limit(u64::MAX)
        .ok()
        .or_else(|| {
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|l| l.0)
        })
        .unwrap_or(1024);
    FdBudget {
        limit,
        max_sessions: usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS))
            .unwrap_or(usize::MAX),
    }
}

/// The soft open-file limit of another process, from `/proc/PID/limits` (Linux only).
pub fn limit_of(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    parse_limits(&text)
}

fn parse_limits(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    match soft {
        "unlimited" => Some(u64::MAX),
        n => n.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_never_lowers_the_limit() {
        let before = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap().0;
        assert!(raise().limit >= before);
    }

    #[test]
    fn proc_limits_are_read() {
        let text = "Limit                     Soft Limit           Hard Limit           Units\n\
                    Max processes             95000                95000                processes\n\
                    Max open files            1024                 524288               files\n";
        assert_eq!(parse_limits(text), Some(1024));
        assert_eq!(parse_limits("nothing"), None);
        assert!(limit_of(std::process::id()).is_some());
    }
}
