//! Static checks of the deployment files, for a machine without a Docker engine: the Dockerfile's
//! invariants (multi-stage, non-root, health check, only the served data copied, port 8000), the
//! `.dockerignore`, that everything the build compiles in is inside the build context, and that
//! the ports of `openenv.yaml`, the README's Space front matter and the Kubernetes manifests
//! agree.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A Dockerfile instruction: the keyword (upper case) and its arguments, continuation lines
/// joined.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

/// The build stages, each a list of instructions starting with its `FROM`.
///
/// Parsed here rather than with a crate: the one Dockerfile parser on crates.io,
/// `dockerfile-parser` 0.9, is a pest grammar that brings pest, regex and snafu 0.6 into the test
/// build, has no heredoc support, and its syntax tree would still have to be reduced to what
/// these checks read (a keyword and its arguments, continuation lines joined), which is all this
/// function does.
fn stages() -> Vec<Vec<Instruction>> {
    let text = read("Dockerfile");
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(part) = trimmed.strip_suffix('\\') {
            current.push_str(part);
            current.push(' ');
        } else if !trimmed.starts_with('#') {
            current.push_str(trimmed);
            logical.push(std::mem::take(&mut current));
        }
    }
    let mut stages: Vec<Vec<Instruction>> = Vec::new();
    // `ARG NAME=default` before the first FROM: the base images, which FROM names as `${NAME}`.
    let mut global_args: Vec<(String, String)> = Vec::new();
    for line in logical {
        let (keyword, args) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let mut instruction = Instruction {
            keyword: keyword.to_ascii_uppercase(),
            args: args.trim().to_owned(),
        };
        if instruction.keyword == "ARG" && stages.is_empty() {
            let (name, default) = instruction
                .args
                .split_once('=')
                .expect("a global ARG has a default");
            global_args.push((name.to_owned(), default.to_owned()));
        } else if instruction.keyword == "FROM" {
            for (name, default) in &global_args {
                instruction.args = instruction.args.replace(&format!("${{{name}}}"), default);
            }
            stages.push(vec![instruction]);
        } else {
            stages
                .last_mut()
                .expect("the Dockerfile starts with FROM")
                .push(instruction);
        }
    }
    stages
}

fn find<'a>(stage: &'a [Instruction], keyword: &str) -> Vec<&'a Instruction> {
    stage.iter().filter(|i| i.keyword == keyword).collect()
}

/// The source paths of a COPY (flags and the destination dropped).
fn copy_sources(copy: &Instruction) -> Vec<&str> {
    let words: Vec<&str> = copy
        .args
        .split_whitespace()
        .filter(|w| !w.starts_with("--"))
        .collect();
    words[..words.len() - 1].to_vec()
}

#[test]
fn dockerfile_builds_in_one_stage_and_runs_in_a_slim_one() {
    let stages = stages();
    assert!(stages.len() >= 2, "multi-stage build expected");
    let builder = &stages[0];
    assert!(builder[0].args.starts_with("rust:"), "{:?}", builder[0]);
    assert!(builder[0].args.to_lowercase().ends_with("as builder"));
    let runs: Vec<&str> = find(builder, "RUN")
        .iter()
        .map(|i| i.args.as_str())
        .collect();
    assert!(
        runs.iter()
            .any(|r| r.contains("cargo build --release --locked")),
        "{runs:?}"
    );
    // Dependencies are built from the manifests before the sources arrive (layer caching).
    let copies = find(builder, "COPY");
    let manifests = copies
        .iter()
        .position(|c| copy_sources(c).contains(&"Cargo.lock"))
        .expect("Cargo.lock copied");
    let sources = copies
        .iter()
        .position(|c| copy_sources(c).contains(&"src"))
        .expect("src copied");
    assert!(manifests < sources);
    // Cargo refuses a manifest whose declared targets are missing, so the dependency step,
    // which has only the manifests, must create a dummy for every bench the manifest declares.
    let dependency_step = runs
        .iter()
        .find(|r| r.contains("cargo build") && r.contains("src/main.rs"))
        .expect("a dependency step building a dummy crate");
    let manifest = read("Cargo.toml");
    for bench in manifest.split("[[bench]]").skip(1) {
        let name = bench
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = "))
            .expect("a named bench")
            .trim_matches('"');
        assert!(
            dependency_step.contains(&format!("benches/{name}.rs")),
            "the dependency step lacks a dummy benches/{name}.rs: {dependency_step}"
        );
    }
    // ...and the real build reads the same manifest, so the dummies must still be there then.
    let cleanup = dependency_step
        .split("&&")
        .filter(|command| command.trim().starts_with("rm "))
        .collect::<String>();
    assert!(
        !cleanup.contains("benches"),
        "the dependency step deletes the dummy benches the real build needs: {dependency_step}"
    );

    let runtime = stages.last().unwrap();
    assert!(
        runtime[0].args.starts_with("debian:bookworm-slim"),
        "{:?}",
        runtime[0]
    );
}

/// CI builds on base images it makes itself (scripts/image-ci.sh), so both stages must take
/// their base from a build argument whose default is the public image.
#[test]
fn base_images_are_build_arguments_defaulting_to_the_public_ones() {
    let text = read("Dockerfile");
    let from_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(
        from_lines,
        [
            "FROM ${BUILDER_IMAGE} AS builder",
            "FROM ${RUNTIME_IMAGE} AS runtime"
        ]
    );
    let script = read("scripts/image-ci.sh");
    for arg in ["BUILDER_IMAGE", "RUNTIME_IMAGE"] {
        assert!(
            script.contains(&format!("--build-arg {arg}=")),
            "image-ci.sh does not set {arg}"
        );
    }
}

#[test]
fn image_ci_builds_the_dockerfile_and_plays_a_strict_episode_from_the_image() {
    use clap::Parser;

    let script = read("scripts/image-ci.sh");
    assert!(script.starts_with("#!/usr/bin/env bash\n"));
    assert!(script.contains("set -euo pipefail"));
    assert!(script.contains("trap cleanup EXIT"));
    assert!(script.contains("podman build --isolation chroot --format docker"));
    assert!(script.contains("buildah run --isolation chroot --user 1000"));
    assert!(script.contains("in_image sqlenv healthcheck"));
    let command = script
        .split("in_image sqlenv load")
        .nth(1)
        .and_then(|rest| rest.split(">&2").next())
        .expect("image-ci.sh runs `sqlenv load` in the image");
    let mut argv = vec!["sqlenv", "load"];
    argv.extend(
        command
            .split_whitespace()
            .filter(|w| *w != "\\")
            .map(|w| w.trim_matches('"')),
    );
    assert!(argv.contains(&"--strict"), "{argv:?}");
    sqlenv::cli::Cli::try_parse_from(&argv).expect("image-ci.sh's load flags parse");
    let ci = read(".ci/run");
    assert!(
        ci.contains("scripts/image-ci.sh"),
        "CI does not build the image"
    );
}

#[test]
fn runtime_stage_is_non_root_healthy_and_holds_only_the_served_data() {
    let stages = stages();
    let runtime = stages.last().unwrap();

    let users = find(runtime, "USER");
    let user = users.last().expect("a USER in the runtime stage");
    assert!(
        !["root", "0", "0:0", "root:root"].contains(&user.args.as_str()),
        "runs as {}",
        user.args
    );
    let position = |keyword: &str| runtime.iter().position(|i| i.keyword == keyword);
    assert!(position("USER") < position("ENTRYPOINT").or(position("CMD")));

    let health = find(runtime, "HEALTHCHECK");
    assert_eq!(health.len(), 1);
    assert!(health[0].args.contains("sqlenv") && health[0].args.contains("healthcheck"));

    let exposed: Vec<&str> = find(runtime, "EXPOSE")
        .iter()
        .map(|i| i.args.as_str())
        .collect();
    assert_eq!(exposed, ["8000"]);
    let env: String = find(runtime, "ENV")
        .iter()
        .map(|i| i.args.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(env.contains("PORT=8000"), "{env}");
    assert!(env.contains("SQLENV_HOST=0.0.0.0"), "{env}");

    let mut copied = Vec::new();
    for copy in find(runtime, "COPY") {
        let sources = copy_sources(copy);
        if copy.args.contains("--from=builder") {
            assert_eq!(sources, ["/build/target/release/sqlenv"], "{copy:?}");
            continue;
        }
        for source in sources {
            assert!(
                source.starts_with("data/") && source != "data/source",
                "the runtime stage copies {source}: only the served data belongs there"
            );
            copied.push(source);
        }
    }
    for needed in [
        "data/tables.json",
        "data/databases",
        "data/questions",
        "data/ATTRIBUTION.md",
        "data/README.md",
    ] {
        assert!(copied.contains(&needed), "{needed} not copied: {copied:?}");
    }
}

#[test]
fn no_stage_copies_the_whole_context_or_dev_files() {
    for stage in stages() {
        for copy in find(&stage, "COPY") {
            for source in copy_sources(copy) {
                let source = source.trim_end_matches('/');
                assert!(source != "." && source != "*", "COPY of the whole context");
                for dev in ["tests", "docs", "notebooks", "scripts", "target", ".git"] {
                    assert!(
                        source != dev && !source.starts_with(&format!("{dev}/")),
                        "{dev} copied"
                    );
                }
            }
        }
    }
}

fn dockerignore() -> Vec<String> {
    read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.trim_start_matches('/').trim_end_matches('/').to_owned())
        .collect()
}

#[test]
fn dockerignore_keeps_dev_files_out_and_build_inputs_in() {
    let ignored = dockerignore();
    for needed in [
        "target",
        ".git",
        "tests",
        "docs",
        "notebooks",
        "scripts",
        "data/source",
        "fuzz",
    ] {
        assert!(
            ignored.iter().any(|l| l == needed),
            "{needed} not ignored: {ignored:?}"
        );
    }
    for input in [
        "src",
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "data",
        "data/databases",
        "data/questions",
    ] {
        assert!(
            !ignored.iter().any(|l| l == input || l == "*"),
            "{input} is ignored but the build needs it"
        );
    }
}

/// Every `include_str!`/`include_bytes!` under src/ names a file the builder stage has: inside
/// src/ or README.md. A file compiled in from elsewhere would break `docker build`.
#[test]
fn everything_compiled_in_is_in_the_build_context() {
    fn visit(dir: &Path, found: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                visit(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for marker in ["include_str!(\"", "include_bytes!(\""] {
                    for piece in text.split(marker).skip(1) {
                        let target = piece.split('"').next().unwrap().to_owned();
                        found.push((path.clone(), target));
                    }
                }
            }
        }
    }
    let root = root().canonicalize().unwrap();
    let mut found = Vec::new();
    visit(&root.join("src"), &mut found);
    assert!(!found.is_empty(), "README.md at least is compiled in");
    for (file, target) in found {
        let resolved = file
            .parent()
            .unwrap()
            .join(&target)
            .canonicalize()
            .unwrap_or_else(|e| panic!("{}: {target}: {e}", file.display()));
        let relative = resolved.strip_prefix(&root).unwrap();
        assert!(
            relative.starts_with("src") || relative == Path::new("README.md"),
            "{} compiles in {}, which the Dockerfile's builder stage does not copy",
            file.display(),
            relative.display()
        );
    }
}

/// `key: value` at the top level of a small YAML document.
fn top_level(yaml: &str, key: &str) -> Option<String> {
    yaml.lines()
        .find_map(|line| line.strip_prefix(&format!("{key}:")))
        .map(|v| v.trim().trim_matches('"').to_owned())
}

#[test]
fn manifest_front_matter_and_kubernetes_agree_on_the_port() {
    let manifest = read("openenv.yaml");
    assert_eq!(top_level(&manifest, "spec_version").as_deref(), Some("1"));
    assert_eq!(top_level(&manifest, "name").as_deref(), Some("sqlenv"));
    assert_eq!(top_level(&manifest, "type").as_deref(), Some("space"));
    let port = top_level(&manifest, "port").expect("openenv.yaml has a port");

    let readme = read("README.md");
    let front = readme
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(front, _)| front)
        .expect("README.md starts with front matter");
    assert_eq!(top_level(front, "app_port"), Some(port.clone()));
    assert_eq!(top_level(front, "sdk").as_deref(), Some("docker"));
    assert_eq!(top_level(front, "base_path").as_deref(), Some("/web"));
    assert_eq!(top_level(front, "license").as_deref(), Some("cc-by-sa-4.0"));
    assert!(front.lines().any(|l| l.trim() == "- openenv"), "{front}");

    let deployment = read("deploy/kubernetes/deployment.yaml");
    assert!(deployment.contains(&format!("containerPort: {port}")));
    assert!(deployment.contains("path: /health"));
    assert_eq!(port, "8000");
}

#[test]
fn smoke_script_is_strict_and_cleans_up() {
    let script = read("scripts/docker-smoke.sh");
    assert!(script.starts_with("#!/usr/bin/env bash\n"));
    assert!(script.contains("set -euo pipefail"));
    assert!(script.contains("trap cleanup EXIT"));
    assert!(script.contains("docker rm --force"));
}

#[test]
fn smoke_script_plays_its_websocket_episode_with_the_strict_load_generator() {
    use clap::Parser;

    let script = read("scripts/docker-smoke.sh");
    let command = script
        .split("exec \"$container\" sqlenv load")
        .nth(1)
        .and_then(|rest| rest.split(">&2").next())
        .expect("the smoke script runs `sqlenv load`");
    let mut argv = vec!["sqlenv", "load"];
    argv.extend(command.split_whitespace().filter(|w| *w != "\\"));
    assert!(argv.contains(&"--strict"), "{argv:?}");
    sqlenv::cli::Cli::try_parse_from(&argv).expect("the smoke script's load flags parse");
}
