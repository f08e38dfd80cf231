//! The commands behind `bellmap ...`.

use crate::app;
use crate::config::{Command, FormatArg, TokenCommand};
use crate::db::Db;
use crate::ingest::hsds;
use crate::model::Role;
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
        Command::Import { file, format, dry_run, fix, geocode } => {
            let hsds = format == Some(FormatArg::Hsds) || format.is_none() && hsds::is_package(&file);
            let package = if hsds {
                match hsds::read_package(&file) {
                    Ok(p) => Some(p),
                    Err(problems) => {
                        for p in &problems {
                            eprintln!("line {} {}: {}", p.line, p.column.as_deref().unwrap_or(""), p.message);
                        }
                        eprintln!("{} problem(s) in the package; nothing was written", problems.len());
                        return Ok(ExitCode::FAILURE);
                    }
                }
            } else {
                None
            };
            let bytes = match &package {
                Some(p) => p.csv.clone(),
                None => std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?,
            };
            let service = Service::for_writes(Db::open(database_url)?);
            let source = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let mut report = service.import(
                bytes,
                &ImportOptions { fixes: fix, geocode, ..ImportOptions::cli(&source, dry_run) },
            )?;
            if let Some(p) = &package {
                report.problems = report.problems.into_iter().map(|x| p.locate(x)).collect();
                report.warnings = report.warnings.into_iter().map(|x| p.locate(x)).collect();
            }
            println!("{}", serde_json::to_string_pretty(&report)?);
            if report.problems.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("{} problem(s) found; nothing was written", report.problems.len());
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Export { format: FormatArg::Hsds, output, include_confidential, dir } => {
            let Some(dir) = dir.or(output) else {
                eprintln!("give the package's directory: bellmap export --format hsds DIR");
                return Ok(ExitCode::FAILURE);
            };
            let service = Service::without_snapshot(Db::open(database_url)?);
            let mut writer = hsds::PackageWriter::create(&dir, include_confidential)?;
            service.for_each_provider::<Box<dyn std::error::Error>>(
                "cli",
                include_confidential,
                |batch| {
                    for p in batch {
                        writer.write(p)?;
                    }
                    Ok(())
                },
            )?;
            let written = writer.finish()?;
            service.audit_queue().flush();
            let view =
                if include_confidential { "every field, confidential included" } else { "public view" };
            eprintln!("wrote an HSDS package of {written} providers ({view}) to {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { output, include_confidential, dir, .. } => {
            if include_confidential || dir.is_some() {
                eprintln!(
                    "--include-confidential and DIR are for --format hsds; the CSV export always has every field"
                );
                return Ok(ExitCode::FAILURE);
            }
            let service = Service::without_snapshot(Db::open(database_url)?);
            let mut out: Box<dyn std::io::Write> = match &output {
                Some(path) => Box::new(
                    std::fs::File::create(path)
                        .map_err(|e| format!("cannot create {}: {e}", path.display()))?,
                ),
                None => Box::new(std::io::stdout().lock()),
            };
            let mut out = std::io::BufWriter::new(&mut out);
            let mut export = service.export("cli");
            for chunk in &mut export {
                out.write_all(&chunk?)?;
            }
            out.flush()?;
            service.audit_queue().flush();
            eprintln!("exported {} providers", export.providers());
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            Db::open(database_url)?;
            println!("migrations are up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { command } => {
            let service = Service::without_snapshot(Db::open(database_url)?);
            match command {
                TokenCommand::Create { name, role } => {
                    let role = Role::from(role);
                    let token = service.create_token(&name, role, "cli")?;
                    eprintln!(
                        "Created {} token '{name}'. Store it now: it is not shown again.",
                        role.as_str()
                    );
                    println!("{token}");
                }
                TokenCommand::List => {
                    for t in service.list_tokens()? {
                        let state =
                            t.revoked_at.map(|at| format!("revoked {at}")).unwrap_or_else(|| "active".into());
                        println!("{}\t{}\tcreated {}\t{state}", t.name, t.role.as_str(), t.created_at);
                    }
                }
                TokenCommand::Revoke { name } => {
                    service.revoke_token(&name, "cli")?;
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
