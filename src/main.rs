//! The `sqlenv` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;
use sqlenv::cli::{Cli, Command};
use sqlenv::startup::Application;
use tracing::Level;

/// mimalloc rather than the system allocator: a step allocates and frees many small buffers
/// (frames, JSON, result rows), and glibc's malloc took about a tenth of the server's CPU per
/// step and of the load generator's (docs/performance.md, "What was made faster").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit status of every failure to start (clap uses 2 for usage errors too).
const FAILURE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let log_level = match cli.command {
        Command::Serve(_) => Level::INFO,
        _ => Level::WARN,
    };
    sqlenv::telemetry::init_with_default(log_level);
    let outcome = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Eval(args) => sqlenv::agent::eval::run(args).map_err(|e| e.to_string()),
        Command::Load(args) => sqlenv::load::run(args).map_err(|e| e.to_string()),
        // Its own exit statuses: Docker reads 1 as unhealthy and reserves 2.
        Command::Healthcheck(args) => return sqlenv::healthcheck::run_command(&args),
        Command::Questions(command) => sqlenv::questions::run(command).map_err(|e| e.to_string()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(FAILURE)
        }
    }
}

/// `--help` and `--version` print as clap renders them; a bad flag or value is one line: clap's
/// whole message (the problem, what was expected, the usage) joined, without its closing hint,
/// and where the flags are listed.
fn usage_error(error: &clap::Error) -> ExitCode {
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        // Printing help can only fail on a closed stdout; there is nothing left to report to.
        let _ = error.print();
        return ExitCode::from(if error.use_stderr() { FAILURE } else { 0 });
    }
    eprintln!("{}", one_line(&error.render().to_string()));
    ExitCode::from(FAILURE)
}

/// Clap's multi-line message as one line.
fn one_line(rendered: &str) -> String {
    let parts: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect();
    let message = parts.join(" ");
    let message = if message.is_empty() {
        "error: invalid command line".to_owned()
    } else {
        message
    };
    format!("{message} (`sqlenv <command> --help` lists the flags)")
}

fn serve(args: sqlenv::config::ServeArgs) -> Result<(), String> {
    let config = args.into_config().map_err(|e| e.to_string())?;
    // One socket per session: the default soft limit (often 1,024) would refuse sessions long
    // before --max-sessions.
    let files = sqlenv::fd_limit::raise();
    actix_web::rt::System::new().block_on(async move {
        let started = std::time::Instant::now();
        // Listen before the port opens, so an early SIGTERM still shuts down gracefully.
        let signals = sqlenv::shutdown::Signals::listen().map_err(|e| e.to_string())?;
        let app = Application::build(config.clone()).map_err(|e| e.to_string())?;
        let questions = app.services().catalog.questions();
        tracing::info!(
            port = app.port(),
            databases = app.services().catalog.databases().count(),
            questions = questions.len(),
            served = questions.served().len(),
            not_served_empty_gold = questions.empty_gold(),
            not_served_excluded = questions.excluded(),
            startup_ms = started.elapsed().as_millis() as u64,
            open_file_limit = files.limit,
            "sqlenv listening on {}:{}",
            config.host,
            app.port()
        );
        let shutdown = app.shutdown_handle();
        sqlenv::shutdown::serve_until_signalled(app.run_until_stopped(), shutdown, signals)
            .await
            .map_err(|e| e.to_string())
    })
}
