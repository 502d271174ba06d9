//! Opening SQLite files read-only: the pool of agent connections per database, and the plain
//! read-only connection the catalog uses to read schemas at start-up.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{limits::Limit, Connection, OpenFlags};
use scheduled_thread_pool::ScheduledThreadPool;

use super::agent_connection::AgentManager;
use super::guard;
use super::limits::MAX_VALUE_BYTES;

/// A database's pool of agent connections.
pub type Pool = r2d2::Pool<AgentManager>;

/// How long taking a connection may wait. A worker holds one connection at a time and a pool
/// has one per worker; a session's thread borrows an idle one for at most
/// [`super::dispatch::INLINE_BUDGET`]. So a long wait only ever means opening the file fails
/// (it was removed): give up quickly rather than hold the worker for r2d2's default 30 s.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// Read-only, no shared cache, no mutex (each connection is used by one thread at a time), and
/// URI names so `immutable=1` applies: SQLite then takes no locks and never writes beside the file.
fn read_only_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI
}

fn immutable_uri(path: &Path) -> String {
    format!("file:{}?mode=ro&immutable=1", path.display())
}

/// Opens a read-only connection for trusted start-up work (schemas, gold answers).
pub fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(immutable_uri(path), read_only_flags())?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// Builds the pool of agent connections for one database file. Every connection is read-only
/// three times over: opened read-only, `query_only` on, and an authorizer that permits reads only
/// (an [`AgentConnection`](super::agent_connection::AgentConnection)'s, which also records what
/// each query read and refused).
/// Connections open lazily (`min_idle` 0), when a query first needs one, so a database nobody
/// plays costs no connection. `helpers` runs r2d2's background work for all pools. No
/// connection is tested when it is checked out (r2d2 runs an empty statement by default): a
/// read-only connection to a local file that never changes does not go stale, and the test cost
/// a twentieth of a step's server time.
pub fn open_pool(
    path: &Path,
    max_size: u32,
    helpers: Arc<ScheduledThreadPool>,
) -> Result<Pool, r2d2::Error> {
    let manager = SqliteConnectionManager::file(immutable_uri(path))
        .with_flags(read_only_flags())
        .with_init(harden);
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .test_on_check_out(false)
        .connection_timeout(CONNECTION_TIMEOUT)
        .thread_pool(helpers)
        .build(AgentManager(manager))
}

/// Threads of the helper pool all databases' connection pools share: r2d2 only uses them to
/// open and reap connections in the background.
pub const POOL_HELPER_THREADS: usize = 2;

/// The helper pool to pass to [`open_pool`].
pub fn pool_helpers() -> Arc<ScheduledThreadPool> {
    Arc::new(
        ScheduledThreadPool::builder()
            .num_threads(POOL_HELPER_THREADS)
            .thread_name_pattern("r2d2-worker-{}")
            .build(),
    )
}

/// Opens one connection hardened exactly like the pool's, for start-up checks that must prove
/// what agents will be able to run (the gold SQL).
pub fn open_hardened(path: &Path) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open_with_flags(immutable_uri(path), read_only_flags())?;
    harden(&mut conn)?;
    Ok(conn)
}

fn harden(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "query_only", true)?;
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)?;
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)?;
    let slot = guard::RefusalSlot::default();
    conn.authorizer(Some(move |ctx: rusqlite::hooks::AuthContext<'_>| {
        guard::authorize(ctx, &slot)
    }))?;
    Ok(())
}
