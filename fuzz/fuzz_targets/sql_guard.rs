//! Any text as an agent's QUERY on a private copy of a bundled database: it reads or is
//! refused, and the file never changes.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/api/invariants.rs"]
#[allow(dead_code)]
mod invariants;

fn probe() -> &'static invariants::GuardProbe {
    static PROBE: OnceLock<invariants::GuardProbe> = OnceLock::new();
    PROBE.get_or_init(|| {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR"));
        // Under the fuzz crate's own target directory, overwritten by each run.
        let copy = fuzz.join("target").join("sql_guard-singer.sqlite");
        invariants::GuardProbe::new(&fuzz.join("../data"), copy)
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(sql) = std::str::from_utf8(data) {
        probe().check_sql(sql);
    }
});
