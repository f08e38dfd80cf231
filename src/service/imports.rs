//! Imports (validate → one DB transaction → rebuild → publish), their history, and reverts.

use super::{ImportRecord, Service, ServiceError};
use crate::db::{ImportMeta, WriteCounts};
pub use crate::ingest::{Code, Fix, GeocodedRow, RowProblem, Via};
use crate::ingest::{ParsedFile, ReadOptions, parse_csv_reading};
use crate::model::ProviderData;
use crate::model::{Geocode, ImportMode, OnError};
use serde::Serialize;
use std::sync::mpsc;

/// Rows handed from the reading thread to the writing one at a time.
const ROWS_PER_BATCH: usize = 1000;
/// Batches the reader may be ahead of the writer (bounds the memory of rows in flight).
const BATCHES_AHEAD: usize = 4;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub mode: ImportMode,
    pub dry_run: bool,
    pub on_error: OnError,
    /// Token name, or "cli".
    pub actor: String,
    /// Where the file came from (file name), for the history.
    pub source: String,
    /// Repairs to apply instead of refusing the rows they fix (each fixed row is a warning).
    pub fixes: Vec<Fix>,
    /// How to place rows without coordinates; `None`: such a row is a problem.
    pub geocode: Option<Geocode>,
}

impl ImportOptions {
    /// An all-or-nothing upsert by the command line.
    pub fn cli(source: &str, dry_run: bool) -> ImportOptions {
        ImportOptions {
            mode: ImportMode::Upsert,
            dry_run,
            on_error: OnError::Abort,
            actor: "cli".into(),
            source: source.into(),
            fixes: Vec::new(),
            geocode: None,
        }
    }
}

/// What an import did, or (dry run, or rejected file) would have done. `Serialize` is for the
/// copy the import history stores; HTTP answers with `http::import_report::ImportReportDto`.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The history entry of a committed import.
    pub import_id: Option<i64>,
    pub mode: ImportMode,
    pub on_error: OnError,
    pub dry_run: bool,
    /// true only when records were committed.
    pub written: bool,
    /// Data rows in the file.
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Providers missing from the file that a replace deactivated.
    pub deactivated: usize,
    /// Rows with at least one problem.
    pub invalid: usize,
    /// Invalid rows left out under on_error=skip.
    pub skipped: usize,
    /// Valid rows placed by the gazetteer (each also has a `geocoded` warning).
    pub geocoded: usize,
    pub geocoded_rows: Vec<GeocodedRow>,
    pub problems: Vec<RowProblem>,
    pub warnings: Vec<RowProblem>,
}

impl Service {
    /// An all-or-nothing upsert, as the command line runs it.
    pub fn import_csv(&self, bytes: &[u8], dry_run: bool) -> Result<ImportReport, ServiceError> {
        self.import(bytes.to_vec(), &ImportOptions::cli("csv", dry_run))
    }

    /// Validates a CSV file and writes it in one transaction, a batch of rows at a time, then
    /// publishes a new snapshot. Under `Abort`, any invalid row means nothing is written (rows
    /// are no longer sent to the database once a problem is found, and the transaction is rolled
    /// back); under `Skip`, the valid rows are written. The file is dropped before the new
    /// snapshot is built, so memory peaks at about the old plus the new snapshot.
    pub fn import(&self, bytes: Vec<u8>, opts: &ImportOptions) -> Result<ImportReport, ServiceError> {
        let meta = ImportMeta {
            actor: opts.actor.clone(),
            source: opts.source.clone(),
            mode: opts.mode,
            on_error: opts.on_error,
        };
        let abort = opts.on_error == OnError::Abort;
        let read =
            ReadOptions { fixes: opts.fixes.clone(), geocode: opts.geocode == Some(Geocode::Gazetteer) };
        let _writer = self.writer();
        let mut outcome: Option<(ImportReport, bool)> = None;
        let (counts, import_id, _) = self.db.import(
            &meta,
            |sink| {
                // The file is read and validated on a thread of its own while this one writes
                // what it has read so far; rows go across in batches, a few batches ahead at most.
                std::thread::scope(|scope| {
                    let (rows, received) = mpsc::sync_channel::<Vec<ProviderData>>(BATCHES_AHEAD);
                    let (bytes, read) = (&bytes, &read);
                    let reader = scope.spawn(move || {
                        let mut batch = Vec::with_capacity(ROWS_PER_BATCH);
                        let parsed = parse_csv_reading(bytes, read, &mut |row, problems_so_far| {
                            if !(abort && problems_so_far > 0) {
                                batch.push(row.data);
                                if batch.len() == ROWS_PER_BATCH {
                                    // A send fails only when the writer is gone (it panicked).
                                    let full =
                                        std::mem::replace(&mut batch, Vec::with_capacity(ROWS_PER_BATCH));
                                    let _ = rows.send(full);
                                }
                            }
                        });
                        let _ = rows.send(batch);
                        parsed
                    });
                    for batch in received {
                        batch.into_iter().for_each(|row| sink.push(row));
                    }
                    reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
            },
            |parsed, counts, id| {
                let r = new_report(parsed, opts);
                // A file-level problem (line 1: header, encoding) stops any import; so does any
                // row problem under abort. A dry run never commits.
                let file_level = r.problems.iter().any(|p| p.line <= 1) || parsed.row_count == 0;
                let rejected = !r.problems.is_empty() && (abort || file_level);
                let mut stored = r.clone();
                fill(&mut stored, counts, Some(id));
                outcome = Some((r, rejected));
                (!rejected && !opts.dry_run)
                    .then(|| serde_json::to_string(&stored).expect("reports serialise"))
            },
        )?;
        drop(bytes);
        let (mut report, rejected) =
            outcome.ok_or_else(|| ServiceError::Internal("the import finished without a report".into()))?;
        if !rejected {
            fill(&mut report, counts, import_id);
        }
        if report.written {
            self.refresh()?;
        }
        Ok(report)
    }

    /// Restores the records an import touched to their state before it; publishes. Returns
    /// the history entry of the revert and how many records it restored.
    pub fn revert(&self, import_id: i64, actor: &str) -> Result<(i64, usize), ServiceError> {
        let _writer = self.writer();
        let done = self.db.revert_import(import_id, actor)?;
        self.refresh()?;
        Ok(done)
    }

    /// Import history, newest first, with the total count.
    pub fn list_imports(&self, offset: i64, limit: i64) -> Result<(Vec<ImportRecord>, i64), ServiceError> {
        Ok(self.db.list_imports(offset, limit)?)
    }

    /// One entry of the import history, with its report.
    pub fn import_report(&self, id: i64) -> Result<ImportRecord, ServiceError> {
        self.db.get_import(id)?.ok_or_else(|| ServiceError::NotFound(format!("import {id} does not exist")))
    }

    /// Seeds an empty database (first start) from `csv`. Returns the report when it seeded.
    pub fn seed_if_empty(&self, csv: &[u8]) -> Result<Option<ImportReport>, ServiceError> {
        if self.db.count_providers()? > 0 {
            return Ok(None);
        }
        self.import(csv.to_vec(), &ImportOptions::cli("seed", false)).map(Some)
    }
}

fn new_report(parsed: &ParsedFile, opts: &ImportOptions) -> ImportReport {
    let invalid_lines: std::collections::BTreeSet<u64> = parsed.problems.iter().map(|p| p.line).collect();
    ImportReport {
        import_id: None,
        mode: opts.mode,
        on_error: opts.on_error,
        dry_run: opts.dry_run,
        written: false,
        rows: parsed.row_count,
        created: 0,
        updated: 0,
        unchanged: 0,
        deactivated: 0,
        invalid: invalid_lines.len(),
        skipped: if opts.on_error == OnError::Skip { invalid_lines.len() } else { 0 },
        geocoded: parsed.geocoded.len(),
        geocoded_rows: parsed.geocoded.clone(),
        problems: parsed.problems.clone(),
        warnings: parsed.warnings.clone(),
    }
}

fn fill(report: &mut ImportReport, counts: WriteCounts, import_id: Option<i64>) {
    report.created = counts.created;
    report.updated = counts.updated;
    report.unchanged = counts.unchanged;
    report.deactivated = counts.deactivated;
    report.import_id = import_id;
    report.written = import_id.is_some();
}
