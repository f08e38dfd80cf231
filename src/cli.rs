//! The commands behind `bellmap ...`.

use crate::app;
use crate::config::{Command, TokenCommand};
use crate::db::Db;
use crate::service::{ImportOptions, Service};
use std::io::Write;
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
        Command::Import { file, dry_run, fix } => {
            let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let service = Service::open(Db::open(database_url)?)?;
            let source = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let report = service
                .import(bytes, &ImportOptions { fixes: fix, ..ImportOptions::cli(&source, dry_run) })?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if report.problems.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("{} problem(s) found; nothing was written", report.problems.len());
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Export { output } => {
            let db = Db::open(database_url)?;
            let mut out: Box<dyn std::io::Write> = match &output {
                Some(path) => Box::new(
                    std::fs::File::create(path)
                        .map_err(|e| format!("cannot create {}: {e}", path.display()))?,
                ),
                None => Box::new(std::io::stdout().lock()),
            };
            let mut out = std::io::BufWriter::new(&mut out);
            out.write_all(&crate::ingest::csv_header_line())?;
            let (mut after, mut count) = (0, 0usize);
            loop {
                let batch = db.providers_after(after, 1000)?;
                let Some(last) = batch.last() else { break };
                after = last.id.0;
                for p in &batch {
                    out.write_all(&crate::ingest::csv_row(&p.data))?;
                }
                count += batch.len();
            }
            out.flush()?;
            db.audit("cli", "export", "CSV export of all providers, exact fields included", 0)?;
            eprintln!("exported {count} providers");
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            Db::open(database_url)?;
            println!("migrations are up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { command } => {
            let db = Db::open(database_url)?;
            match command {
                TokenCommand::Create { name, role } => {
                    let token = db.create_token(&name, role, "cli")?;
                    eprintln!(
                        "Created {} token '{name}'. Store it now: it is not shown again.",
                        role.as_str()
                    );
                    println!("{token}");
                }
                TokenCommand::List => {
                    for t in db.list_tokens()? {
                        let state =
                            t.revoked_at.map(|at| format!("revoked {at}")).unwrap_or_else(|| "active".into());
                        println!("{}\t{}\tcreated {}\t{state}", t.name, t.role.as_str(), t.created_at);
                    }
                }
                TokenCommand::Revoke { name } => {
                    db.revoke_token(&name, "cli")?;
                    eprintln!("Revoked token '{name}'.");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sample { count, seed } => {
            let stdout = std::io::stdout();
            crate::sample::write_sample_csv(stdout.lock(), count, seed)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
