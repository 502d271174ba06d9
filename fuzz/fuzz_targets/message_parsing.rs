//! Any bytes as a client frame: parsing answers with a message or a well-formed error frame.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/api/invariants.rs"]
#[allow(dead_code)]
mod invariants;

fuzz_target!(|data: &[u8]| {
    // Text frames are UTF-8 by the time they are parsed (the WebSocket layer checks).
    if let Ok(text) = std::str::from_utf8(data) {
        invariants::check_message(text);
    }
});
