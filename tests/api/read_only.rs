//! Agents can only read: every kind of write is refused before it runs, with a clear error in an
//! ordinary observation, and the episode goes on.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn writes_and_escapes_are_refused_as_observations() {
    // Room for every probe.
    let app = spawn_app_with(|a| a.step_budget = 80).await;
    let mut ws = app.connect().await;
    ws.reset(json!({"db_id": "singer", "seed": 1})).await;
    let refused = [
        ("INSERT INTO singer (Name) VALUES ('x')", "INSERT"),
        ("UPDATE singer SET Name = 'x'", "UPDATE"),
        ("DELETE FROM singer", "DELETE"),
        ("DROP TABLE singer", "DROP TABLE"),
        ("CREATE TABLE t (a)", "CREATE TABLE"),
        ("CREATE TEMP TABLE t (a)", "CREATE TEMP"),
        ("ALTER TABLE singer ADD COLUMN x", "ALTER TABLE"),
        ("REPLACE INTO singer (Name) VALUES ('x')", "INSERT"),
        ("VACUUM", "refused"),
        ("ATTACH DATABASE '/tmp/x.db' AS x", "ATTACH"),
        ("ATTACH DATABASE 'file:../../etc/passwd' AS x", "ATTACH"),
        ("PRAGMA query_only = 0", "PRAGMA"),
        ("PRAGMA writable_schema = 1", "PRAGMA"),
        ("SELECT load_extension('/tmp/evil')", "load_extension"),
        ("BEGIN", "transaction"),
        ("ANALYZE", "ANALYZE"),
        ("REINDEX", "REINDEX"),
        ("WITH x AS (SELECT 1) DELETE FROM singer", "DELETE"),
    ];
    for (sql, what) in refused {
        let r = ws.step("QUERY", sql).await;
        assert_eq!(r["type"], "observation", "{sql}: {r}");
        let error = r["data"]["observation"]["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{sql} was not refused: {r}"));
        assert!(
            error.to_lowercase().contains(&what.to_lowercase()),
            "{sql}: {error}"
        );
        assert_eq!(r["data"]["done"], false);
    }
    let two = ws.step("QUERY", "SELECT 1; SELECT 2").await;
    assert!(
        two["data"]["observation"]["error"]
            .as_str()
            .unwrap()
            .contains("one statement"),
        "{two}"
    );
    let smuggled = ws.step("QUERY", "SELECT 1; DELETE FROM singer").await;
    assert!(
        smuggled["data"]["observation"]["error"]
            .as_str()
            .unwrap()
            .contains("DELETE"),
        "{smuggled}"
    );

    for sql in [
        "",
        "   ;  ",
        "SELEC nonsense",
        "SELECT * FROM no_such_table",
        "SELECT 'a\u{0}b'",
    ] {
        let r = ws.step("QUERY", sql).await;
        assert!(
            r["data"]["observation"]["error"].is_string(),
            "{sql:?}: {r}"
        );
    }

    // Schema PRAGMAs read, so they are allowed, like DESCRIBE.
    let p = ws.step("QUERY", "PRAGMA table_info(singer)").await;
    assert_eq!(
        p["data"]["observation"]["error"],
        serde_json::Value::Null,
        "{p}"
    );

    // Table names are looked up, never spliced into SQL.
    for name in [
        "singer; DROP TABLE singer",
        "\"singer\" --",
        "../singer",
        "' OR 1=1 --",
    ] {
        let r = ws.step("DESCRIBE", name).await;
        let error = r["data"]["observation"]["error"].as_str().unwrap();
        assert!(
            error.contains("unknown table") && error.contains("singer"),
            "{error}"
        );
    }
    let quoted = ws.step("DESCRIBE", "\"SINGER\"").await;
    assert_eq!(
        quoted["data"]["observation"]["error"],
        serde_json::Value::Null,
        "{quoted}"
    );

    let count = ws.step("QUERY", "SELECT count(*) FROM singer").await;
    assert!(
        count["data"]["observation"]["result"]
            .as_str()
            .unwrap()
            .contains("\n8\n"),
        "{count}"
    );
    ws.close().await;
    app.stop().await;
}

#[actix_web::test]
async fn huge_values_and_texts_are_bounded() {
    // Room for every probe.
    let app = spawn_app_with(|a| a.step_budget = 80).await;
    let mut ws = app.connect().await;
    ws.reset(json!({"db_id": "singer", "seed": 1})).await;
    let big = ws.step("QUERY", "SELECT zeroblob(2000000000)").await;
    assert!(
        big["data"]["observation"]["error"]
            .as_str()
            .unwrap()
            .contains("too big"),
        "{big}"
    );
    let long = ws.step("QUERY", "SELECT printf('%.*c', 500000, 'x')").await;
    let text = long["data"]["observation"]["result"].as_str().unwrap();
    assert!(
        text.len() < 2_000,
        "a long cell is clipped: {} bytes",
        text.len()
    );
    let sql = format!("SELECT 1 -- {}", "y".repeat(1_000_000));
    let r = ws.step("QUERY", &sql).await;
    assert!(
        r["data"]["observation"]["error"]
            .as_str()
            .unwrap()
            .contains("limit is"),
        "{r}"
    );
    ws.close().await;
    app.stop().await;
}
