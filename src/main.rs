//! The `sqlenv` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use sqlenv::catalog::{spider_import, Catalog};
use sqlenv::cli::{Cli, Command, QuestionsCommand};
use sqlenv::startup::Application;

fn main() -> ExitCode {
    let cli = Cli::parse();
    sqlenv::telemetry::init();
    let outcome = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Questions(QuestionsCommand::Validate { data_dir }) => validate(&data_dir),
        Command::Questions(QuestionsCommand::ImportSpider { dev, data_dir, out }) => {
            spider_import::import_spider_dev(&dev, &data_dir)
                .and_then(|questions| {
                    spider_import::write_questions(&out, &questions).map(|()| questions.len())
                })
                .map(|n| println!("wrote {n} questions to {}", out.display()))
                .map_err(|e| e.to_string())
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn serve(args: sqlenv::config::ServeArgs) -> Result<(), String> {
    let config = args.into_config()?;
    actix_web::rt::System::new().block_on(async move {
        let started = std::time::Instant::now();
        let app = Application::build(config.clone()).map_err(|e| e.to_string())?;
        let questions = app.services().catalog.questions();
        tracing::info!(
            port = app.port(),
            databases = app.services().catalog.databases().count(),
            questions = questions.len(),
            served = questions.served().len(),
            not_served_empty_gold = questions.empty_gold(),
            startup_ms = started.elapsed().as_millis() as u64,
            "sqlenv listening on {}:{}",
            config.host,
            app.port()
        );
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

fn validate(data_dir: &std::path::Path) -> Result<(), String> {
    let catalog = Catalog::load(data_dir).map_err(|e| e.to_string())?;
    let questions = catalog.questions();
    println!(
        "ok: {} databases, {} questions ({} served, {} not served: empty gold result)",
        catalog.databases().count(),
        questions.len(),
        questions.served().len(),
        questions.empty_gold()
    );
    Ok(())
}
