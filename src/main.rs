//! Parse the command line, start logging, call into the library.

use bellmap::config::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

/// mimalloc keeps allocations of one size together, so a snapshot's R-tree is as compact after a
/// long run of imports as on a fresh start (see README "Open now" for what glibc's malloc did).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BELLMAP_LOG").unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match bellmap::cli::run(cli.command.unwrap_or(Command::Serve(cli.serve)), &cli.database_url) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
