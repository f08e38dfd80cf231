//! Use cases that touch both the database and the snapshot: import (validate → one DB
//! transaction → rebuild → publish), revert and reload. Writes are serialised here.

use crate::audit_queue::AuditQueue;
use crate::db::{Db, DbError, EditError, ImportMeta, ImportMode, RevertError, WriteCounts};
use crate::index::LiveIndex;
pub use crate::ingest::{Code, Fix, RowProblem};
use crate::ingest::{ParsedFile, parse_csv_fixing};
use crate::model::{Provider, ProviderData};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What to do with invalid rows: write nothing, or write the valid rows and report the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    Abort,
    Skip,
}

impl OnError {
    pub fn as_str(self) -> &'static str {
        match self {
            OnError::Abort => "abort",
            OnError::Skip => "skip",
        }
    }
}

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
    pub problems: Vec<RowProblem>,
    pub warnings: Vec<RowProblem>,
}

/// The application's write side. Readers use `index` and never wait.
pub struct Service {
    db: Db,
    audit: AuditQueue,
    index: Arc<LiveIndex>,
    write_lock: Mutex<()>,
}

impl Service {
    /// Loads every active provider from `db` into a fresh live index.
    pub fn open(db: Db) -> Result<Service, ServiceError> {
        let (version, records) = db.load_active()?;
        let index = Arc::new(LiveIndex::new(version as u64, records));
        let audit = AuditQueue::start(db.clone());
        Ok(Service { db, audit, index, write_lock: Mutex::new(()) })
    }

    pub fn index(&self) -> &Arc<LiveIndex> {
        &self.index
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Audit rows for reads (reveals, exports): queued, so readers never wait for an import.
    pub fn audit_queue(&self) -> &AuditQueue {
        &self.audit
    }

    /// One writer at a time, so snapshots are published in commit order.
    fn writer(&self) -> MutexGuard<'_, ()> {
        self.write_lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Rebuilds the snapshot from the database and swaps it in when the change sequence moved
    /// past the published version: after this process's own writes, and when polled, after
    /// writes by any other process on the same database (the CLI, another instance).
    pub fn refresh(&self) -> Result<bool, DbError> {
        let seq = self.db.change_seq()?;
        self.index.publish_if_newer(seq as u64, || self.db.load_active().map(|(v, r)| (v as u64, r)))
    }

    /// Polls the change sequence every `every` on a thread of its own, for as long as the
    /// service lives. A failed poll (the database away) keeps the current snapshot and is retried.
    pub fn watch(self: &Arc<Self>, every: Duration) {
        let service = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("bellmap-watch".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(every);
                    let Some(service) = service.upgrade() else { return };
                    if let Err(e) = service.refresh() {
                        tracing::warn!(error = %e, "cannot check the database for changes");
                    }
                }
            })
            .expect("a thread can be spawned at start-up");
    }

    /// The key cursors are signed with: made once per database, so a cursor from any process
    /// on it (or from before a restart) is understood by every other.
    pub fn cursor_secret(&self) -> Result<[u8; 32], DbError> {
        let hex = self.db.shared_secret("cursor_key", || {
            rand::random::<[u8; 32]>().iter().map(|b| format!("{b:02x}")).collect()
        })?;
        let bytes: Option<Vec<u8>> = (0..hex.len())
            .step_by(2)
            .map(|i| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect();
        bytes
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| DbError::Open("the stored cursor key is not 64 hex digits".into()))
    }

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
            on_error: opts.on_error.as_str().into(),
        };
        let abort = opts.on_error == OnError::Abort;
        let _writer = self.writer();
        let mut outcome: Option<(ImportReport, bool)> = None;
        let (counts, import_id, _) = self.db.import(
            &meta,
            |sink| {
                parse_csv_fixing(&bytes, &opts.fixes, &mut |row, problems_so_far| {
                    if !(abort && problems_so_far > 0) {
                        sink.push(row.data);
                    }
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
        let (mut report, rejected) = outcome.expect("finish ran");
        if !rejected {
            fill(&mut report, counts, import_id);
        }
        if report.written {
            self.refresh()?;
        }
        Ok(report)
    }

    /// Restores the records an import touched to their state before it; publishes.
    pub fn revert(&self, import_id: i64, actor: &str) -> Result<(i64, usize), RevertError> {
        let _writer = self.writer();
        let done = self.db.revert_import(import_id, actor)?;
        self.refresh()?;
        Ok(done)
    }

    /// Creates one provider and publishes.
    pub fn create_provider(&self, data: &ProviderData, actor: &str) -> Result<Provider, EditError> {
        let _writer = self.writer();
        let created = self.db.create_provider(data, actor)?;
        self.refresh()?;
        Ok(created)
    }

    /// Reads provider `id`, lets `change` make its new fields (or refuse), and writes them, in
    /// one transaction under the write lock; publishes.
    pub fn edit_provider<E: From<EditError>>(
        &self,
        id: i64,
        actor: &str,
        action: &str,
        change: impl FnOnce(&Provider) -> Result<ProviderData, E>,
    ) -> Result<Provider, E> {
        let _writer = self.writer();
        let updated = self.db.edit_provider(id, actor, action, change)?;
        self.refresh().map_err(|e| E::from(EditError::Db(e)))?;
        Ok(updated)
    }

    /// Draws a new public point for a confidential provider, as an admin asked; publishes.
    pub fn redraw_public_point(&self, id: i64, actor: &str) -> Result<Provider, EditError> {
        let _writer = self.writer();
        let updated = self.db.redraw_public_point(id, actor)?;
        self.refresh()?;
        Ok(updated)
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
