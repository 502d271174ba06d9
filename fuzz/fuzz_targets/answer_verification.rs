//! Any text as the ANSWER to a served question (the first two bytes pick which): verification
//! always reaches a verdict.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sqlenv::catalog::Catalog;

#[path = "../../tests/api/invariants.rs"]
#[allow(dead_code)]
mod invariants;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../data"))
            .expect("the bundled data loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let [a, b, rest @ ..] = data else {
        return;
    };
    let served = catalog().questions().served();
    let question = &served[usize::from(u16::from_le_bytes([*a, *b])) % served.len()];
    if let Ok(answer) = std::str::from_utf8(rest) {
        invariants::check_answer(answer, question);
    }
});
