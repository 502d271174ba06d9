//! The bundled databases are byte-identical to the Spider files recorded in ATTRIBUTION.md.

use sha2::{Digest, Sha256};

use crate::helpers::data_dir;

#[test]
fn database_files_match_their_recorded_hashes() {
    let attribution = std::fs::read_to_string(data_dir().join("ATTRIBUTION.md")).unwrap();
    let mut checked = 0;
    for line in attribution.lines() {
        // Rows of the hash table: | `databases/<db>/<db>.sqlite` | bytes | `sha256` |
        let cells: Vec<&str> = line
            .split('|')
            .map(|c| c.trim().trim_matches('`'))
            .collect();
        if cells.len() < 4 || !cells[1].starts_with("databases/") || cells[3].len() != 64 {
            continue;
        }
        let bytes = std::fs::read(data_dir().join(cells[1])).unwrap();
        let digest = format!("{:x}", Sha256::digest(&bytes));
        assert_eq!(digest, cells[3], "{} changed", cells[1]);
        checked += 1;
    }
    let bundled = std::fs::read_dir(data_dir().join("databases"))
        .unwrap()
        .count();
    assert_eq!(bundled, 159);
    assert_eq!(
        checked, bundled,
        "every bundled database has a recorded hash"
    );
}
