//! The commands behind `bellmap ...`.

use crate::app;
use crate::config::Command;
use crate::db::Db;
use crate::service::Service;
use std::process::ExitCode;

/// Runs one command; `Ok(code)` carries the exit status (an import with problems fails).
pub fn run(command: Command, database_url: &str) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match command {
        Command::Serve(args) => {
            let application = app::build(database_url, &args)?;
            tracing::info!(addr = %application.addr, "Bellmap is listening");
            actix_web::rt::System::new().block_on(application.server)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file, dry_run } => {
            let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let service = Service::open(Db::open(database_url)?)?;
            let report = service.import_csv(&bytes, dry_run)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if report.problems.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("{} problem(s) found; nothing was written", report.problems.len());
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Migrate => {
            Db::open(database_url)?;
            println!("migrations are up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Sample { count, seed } => {
            let stdout = std::io::stdout();
            crate::sample::write_sample_csv(stdout.lock(), count, seed)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
