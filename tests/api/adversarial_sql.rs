//! Hostile SQL beyond `read_only` and `limits`: escapes to the file system, writing PRAGMAs,
//! extensions, queries that never end or explode, huge values and texts. Each is an ordinary
//! observation with a clear error (or a small result), and the session and the pool go on.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::*;

const FOREVER: &str =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

/// The observation's error text, failing if there is none.
fn error_of(frame: &Value) -> String {
    assert_eq!(frame["type"], "observation", "{frame}");
    frame["data"]["observation"]["error"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error: {frame}"))
        .to_owned()
}

#[actix_web::test]
async fn escapes_to_the_file_system_are_refused_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = |name: &str| dir.path().join(name).display().to_string();
    let world = data_dir().join("databases/world_1/world_1.sqlite");
    let app = spawn_app_with(|a| a.step_budget = 80).await;
    let mut ws = app.connect().await;
    ws.reset(json!({"db_id": "singer", "seed": 1})).await;
    let probes = [
        (
            format!("ATTACH DATABASE '{}' AS x", target("a.db")),
            "ATTACH",
        ),
        ("ATTACH DATABASE ':memory:' AS m".to_owned(), "ATTACH"),
        ("ATTACH DATABASE '' AS m".to_owned(), "ATTACH"),
        (format!("ATTACH '{}' AS w", world.display()), "ATTACH"),
        (
            format!("ATTACH 'file:{}?mode=rwc' AS x", target("b.db")),
            "ATTACH",
        ),
        ("DETACH DATABASE main".to_owned(), "DETACH"),
        (format!("VACUUM INTO '{}'", target("c.db")), "refused"),
        (format!("VACUUM main INTO '{}'", target("d.db")), "refused"),
        (
            format!("SELECT writefile('{}', 'x')", target("e.txt")),
            "writefile",
        ),
        ("SELECT readfile('/etc/passwd')".to_owned(), "readfile"),
        (
            "SELECT load_extension('libc.so.6', 'system')".to_owned(),
            "load_extension",
        ),
        ("SELECT load_extension('')".to_owned(), "load_extension"),
        (
            "SELECT fts3_tokenizer('simple', x'00')".to_owned(),
            "fts3_tokenizer",
        ),
        ("CREATE VIRTUAL TABLE t USING fts5(a)".to_owned(), "refused"),
        ("SAVEPOINT s".to_owned(), "SAVEPOINT"),
        ("COMMIT".to_owned(), "transaction"),
    ];
    for (sql, what) in &probes {
        let error = error_of(&ws.step("QUERY", sql).await);
        // A function SQLite was built without is refused as unknown, which is just as good.
        assert!(
            error.to_lowercase().contains(&what.to_lowercase())
                || error.contains("no such function"),
            "{sql}: {error}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files were written: {left:?}");
    ws.step("DESCRIBE", "singer").await;
    let ok = ws.step("QUERY", "SELECT count(*) FROM singer").await;
    assert_eq!(ok["data"]["observation"]["error"], Value::Null, "{ok}");
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn writing_pragmas_are_refused_and_reading_ones_stay_harmless() {
    let app = spawn_app_with(|a| a.step_budget = 80).await;
    let mut ws = app.connect().await;
    ws.reset(json!({"db_id": "singer", "seed": 1})).await;
    for sql in [
        "PRAGMA journal_mode = WAL",
        "PRAGMA main.journal_mode = DELETE",
        "PRAGMA user_version = 7",
        "PRAGMA schema_version = 1",
        "PRAGMA application_id = 1",
        "PRAGMA locking_mode = EXCLUSIVE",
        "PRAGMA mmap_size = 1000000000",
        "PRAGMA cache_size = -2000000",
        "PRAGMA temp_store = MEMORY",
        "PRAGMA temp_store_directory = '/tmp'",
        "PRAGMA foreign_keys = OFF",
        "PRAGMA ignore_check_constraints = 1",
        "PRAGMA trusted_schema = 1",
        "PRAGMA hard_heap_limit = 1",
        "PRAGMA max_page_count = 1",
        "PRAGMA synchronous = OFF",
        "PRAGMA wal_checkpoint(TRUNCATE)",
        "PRAGMA optimize",
        "PRAGMA incremental_vacuum",
        "PRAGMA integrity_check",
        "PRAGMA shrink_memory",
        "PRAGMA main.page_size = 512",
    ] {
        let error = error_of(&ws.step("QUERY", sql).await);
        assert!(error.contains("PRAGMA"), "{sql}: {error}");
    }
    // Still read-only afterwards: the first refusal did not loosen anything.
    let write = error_of(&ws.step("QUERY", "DELETE FROM singer").await);
    assert!(write.contains("DELETE"), "{write}");
    let info = ws.step("QUERY", "PRAGMA table_info(singer)").await;
    assert_eq!(info["data"]["observation"]["error"], Value::Null, "{info}");
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn statements_and_texts_that_try_the_parser_are_refused_cleanly() {
    let app = spawn_app_with(|a| a.step_budget = 80).await;
    let mut ws = app.connect().await;
    ws.reset(json!({"db_id": "singer", "seed": 1})).await;

    for sql in [
        "SELECT 1; SELECT 2;",
        "SELECT 1;\nATTACH 'x.db' AS x",
        "SELECT 1 /* ; */; PRAGMA user_version = 1",
        "SELECT ';'; DROP TABLE singer",
    ] {
        let error = error_of(&ws.step("QUERY", sql).await);
        assert!(
            error.contains("one statement")
                || error.contains("refused")
                || error.contains("PRAGMA"),
            "{sql}: {error}"
        );
    }
    // A semicolon inside a string is not a second statement.
    let quoted = ws.step("QUERY", "SELECT ';' AS s").await;
    assert_eq!(
        quoted["data"]["observation"]["error"],
        Value::Null,
        "{quoted}"
    );

    // Deep nesting hits SQLite's expression depth limit: an SQL error, not a stack overflow.
    let deep = format!("SELECT {}1{}", "(".repeat(20_000), ")".repeat(20_000));
    let error = error_of(&ws.step("QUERY", &deep).await);
    assert!(error.starts_with("SQL error"), "{error}");
    let deep = format!("SELECT {}1", "- ".repeat(30_000));
    assert!(error_of(&ws.step("QUERY", &deep).await).starts_with("SQL error"));

    // Texts just under the SQL limit are read; one over it is refused unread.
    let in_list = (0..9_000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!("SELECT count(*) FROM singer WHERE Singer_ID IN ({in_list})");
    assert!(sql.len() < 64 * 1024);
    let r = ws.step("QUERY", &sql).await;
    assert_eq!(r["data"]["observation"]["error"], Value::Null, "{r}");
    let megabyte = format!("SELECT '{}'", "z".repeat(1 << 20));
    let frame = ws.step("QUERY", &megabyte).await;
    assert!(error_of(&frame).contains("limit is 65536 bytes"), "{frame}");
    assert!(
        frame.to_string().len() < 8_192,
        "the text is not echoed back"
    );

    // NUL bytes: refused in SQL, harmless in names and answers; invalid UTF-8 read from the
    // database comes back as replacement characters.
    assert!(error_of(&ws.step("QUERY", "SELECT 1\u{0}; DROP TABLE singer").await).contains("NUL"));
    let nul_name = ws.step("DESCRIBE", "singer\u{0}").await;
    assert!(error_of(&nul_name).contains("unknown table"));
    let bytes = ws
        .step("QUERY", "SELECT CAST(x'c328ff' AS TEXT) AS t, x'00ff' AS b")
        .await;
    let result = bytes["data"]["observation"]["result"].as_str().unwrap();
    assert!(
        result.contains('\u{fffd}') && result.contains("<blob 2 bytes>"),
        "{result}"
    );
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn huge_generated_values_stay_small_on_the_wire() {
    let app = spawn_app_with(|a| {
        a.step_budget = 80;
        a.query_timeout_ms = 1_000;
    })
    .await;
    let mut ws = app.connect().await;
    ws.reset(json!({"db_id": "world_1", "seed": 1})).await;
    for sql in [
        "SELECT zeroblob(999999)",
        "SELECT randomblob(999999), randomblob(999999)",
        "SELECT zeroblob(1000001)",
        "SELECT length(zeroblob(2000000000))",
        "SELECT printf('%.*c', 999999, 'x')",
        "SELECT replace(hex(zeroblob(400000)), '0', 'ab')",
        "SELECT group_concat(Name, Name) FROM city a, city b",
        "WITH RECURSIVE c(x) AS (SELECT 'x' UNION ALL SELECT x || x FROM c LIMIT 40) SELECT max(length(x)) FROM c",
        "WITH RECURSIVE c(x, s) AS (SELECT 1, 'x' UNION ALL SELECT x + 1, printf('%.*c', 900000, 'y') FROM c LIMIT 5000) SELECT x, s FROM c",
        "SELECT upper(printf('%.*c', 999999, 'ü'))",
        "SELECT char(0), char(1114111), char(-1)",
    ] {
        let frame = ws.step("QUERY", sql).await;
        assert_eq!(frame["type"], "observation", "{sql}: {frame}");
        let size = frame.to_string().len();
        assert!(size < 16 * 1024, "{sql}: a {size}-byte reply");
        let obs = &frame["data"]["observation"];
        assert!(
            obs["error"].is_string() || obs["result"].is_string(),
            "{sql}: {frame}"
        );
    }
    let ok = ws.step("QUERY", "SELECT count(*) FROM city").await;
    assert!(ok["data"]["observation"]["result"]
        .as_str()
        .unwrap()
        .contains("4079"));
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn runaway_queries_time_out_and_give_their_connections_back() {
    // Two workers, so two runaway queries occupy every pooled connection at once.
    let app = spawn_app_with(|a| {
        a.db_workers = Some(2);
        a.query_timeout_ms = 400;
    })
    .await;
    let runaways = [
        FOREVER,
        // The largest tables, multiplied: a cartesian product far too big to count in time.
        "SELECT count(*) FROM city a, city b, countrylanguage c",
        "SELECT a.Name FROM city a, city b, country c ORDER BY random() LIMIT 1",
        "SELECT count(DISTINCT a.Name || b.Name || c.Name) FROM city a, city b, country c",
    ];
    for round in runaways.chunks(2) {
        let replies = join_all(round.iter().map(|sql| {
            let app = &app;
            async move {
                let mut ws = app.connect().await;
                ws.reset(json!({"db_id": "world_1", "seed": 1})).await;
                let r = ws.step("QUERY", sql).await;
                ws.close().await;
                r
            }
        }))
        .await;
        for (sql, r) in round.iter().zip(&replies) {
            assert_eq!(error_of(r), "query timed out after 400 ms", "{sql}");
        }
    }
    // More concurrent queries than the pool holds: every one gets a connection.
    let replies = join_all((0..6).map(|i| {
        let app = &app;
        async move {
            let mut ws = app.connect().await;
            ws.reset(json!({"db_id": "world_1", "seed": i})).await;
            let r = ws.step("QUERY", "SELECT count(*) FROM city").await;
            ws.close().await;
            r
        }
    }))
    .await;
    for r in replies {
        assert!(
            r["data"]["observation"]["result"]
                .as_str()
                .unwrap_or_default()
                .contains("4079"),
            "{r}"
        );
    }
    assert_eq!(app.metric("sqlenv_query_timeouts_total").await, 4.0);
    app.wait_for_sessions(0).await;
    assert!(app.healthy().await);
    app.stop().await;
}

#[actix_web::test]
async fn a_big_cartesian_product_comes_back_truncated() {
    let app = spawn_app().await;
    let mut ws = app.connect().await;
    ws.reset(json!({"db_id": "world_1", "seed": 1})).await;
    let r = ws
        .step(
            "QUERY",
            "SELECT a.*, b.* FROM city a, country b LIMIT 200000",
        )
        .await;
    let result = r["data"]["observation"]["result"].as_str().unwrap();
    assert!(
        result.contains("(200000 rows; showing the first"),
        "{result}"
    );
    assert!(r.to_string().len() < 12 * 1024);
    ws.close().await;
    app.stop().await;
}
