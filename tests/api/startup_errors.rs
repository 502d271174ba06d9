//! Every way `sqlenv serve` fails to start prints one line, `error: ...`, naming the cause and
//! the fix, and exits 2: no panic, no usage block, nothing a newcomer has to decode.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use crate::helpers::data_dir;

/// Runs the binary and returns its stderr once it has exited; every case here fails before it
/// would listen, so it exits on its own.
fn failing_start(configure: impl FnOnce(&mut Command)) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sqlenv"));
    command
        .env_remove("SQLENV_DATA_DIR")
        .env_remove("PORT")
        .env_remove("SQLENV_HOST")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn");
    configure(&mut command);
    let output = command.output().expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty(), "stdout: {:?}", output.stdout);
    stderr
}

/// The one line of `stderr`, checked to be the only one, an error and free of panics.
fn one_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    lines[0]
}

#[test]
fn a_port_in_use_says_so_and_how_to_choose_another() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let data = data_dir();
    let stderr = failing_start(|c| {
        c.args([
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--data-dir",
        ])
        .arg(&data);
    });
    let line = one_line(&stderr);
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    assert!(line.contains("another process has this port"), "{line}");
    assert!(line.contains("--port"), "{line}");
    drop(taken);
}

#[test]
fn serve_outside_the_repository_points_at_data_dir() {
    let elsewhere = tempfile::tempdir().unwrap();
    let stderr = failing_start(|c| {
        c.current_dir(elsewhere.path())
            .args(["serve", "--port", "0"]);
    });
    let line = one_line(&stderr);
    assert!(line.contains("no SQLEnv data"), "{line}");
    assert!(line.contains("tables.json"), "{line}");
    assert!(line.contains("--data-dir"), "{line}");
    assert!(line.contains("SQLENV_DATA_DIR"), "{line}");
}

#[test]
fn a_missing_data_dir_flag_target_is_the_same_clear_error() {
    let elsewhere = tempfile::tempdir().unwrap();
    let missing = elsewhere.path().join("no-such-dir");
    let stderr = failing_start(|c| {
        c.args(["serve", "--port", "0", "--data-dir"]).arg(&missing);
    });
    let line = one_line(&stderr);
    assert!(line.contains(&missing.display().to_string()), "{line}");
    assert!(line.contains("--data-dir"), "{line}");
}

/// A data directory like the bundled one (links to it) in which one database file is not SQLite.
fn data_with_a_damaged_database(dir: &Path) -> String {
    use std::os::unix::fs::symlink;
    let data = data_dir();
    symlink(data.join("tables.json"), dir.join("tables.json")).unwrap();
    symlink(data.join("questions"), dir.join("questions")).unwrap();
    std::fs::create_dir(dir.join("databases")).unwrap();
    let mut damaged = None;
    let mut entries: Vec<_> = std::fs::read_dir(data.join("databases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let target = dir.join("databases").join(&name);
        if damaged.is_none() {
            std::fs::create_dir(&target).unwrap();
            std::fs::write(target.join(format!("{name}.sqlite")), b"not a database").unwrap();
            damaged = Some(name);
        } else {
            symlink(&path, &target).unwrap();
        }
    }
    damaged.expect("the bundled data has databases")
}

#[test]
fn a_damaged_database_names_the_file_and_how_to_restore_it() {
    let dir = tempfile::tempdir().unwrap();
    let damaged = data_with_a_damaged_database(dir.path());
    let stderr = failing_start(|c| {
        c.args(["serve", "--port", "0", "--data-dir"])
            .arg(dir.path());
    });
    let line = one_line(&stderr);
    assert!(line.contains(&format!("{damaged}.sqlite")), "{line}");
    assert!(line.contains("not SQLite"), "{line}");
    assert!(line.contains("sqlenv questions validate"), "{line}");
}

#[test]
fn a_bad_flag_or_value_is_one_line_naming_it() {
    let unknown = failing_start(|c| {
        c.args(["serve", "--bogus"]);
    });
    let line = one_line(&unknown);
    assert!(line.contains("--bogus"), "{line}");
    assert!(line.contains("--help"), "{line}");

    let bad_value = failing_start(|c| {
        c.args(["serve", "--port", "eighty"]);
    });
    let line = one_line(&bad_value);
    assert!(line.contains("eighty") && line.contains("--port"), "{line}");

    let bad_env = failing_start(|c| {
        c.arg("serve").env("PORT", "eighty");
    });
    assert!(one_line(&bad_env).contains("eighty"), "{bad_env}");
}

#[test]
fn help_still_prints_in_full() {
    let output = Command::new(env!("CARGO_BIN_EXE_sqlenv"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.contains("--data-dir") && help.lines().count() > 10,
        "{help}"
    );
}
