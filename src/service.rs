//! Use cases that touch both the database and the snapshot: import (validate → one DB
//! transaction → rebuild → publish) and reload.

use crate::db::{Db, DbError, WriteCounts};
use crate::index::LiveIndex;
use crate::ingest::{RowProblem, parse_csv};
use serde::Serialize;
use std::sync::{Arc, Mutex};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What an import did, or (dry run, or rejected file) would have done.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// true only when the records were committed.
    pub written: bool,
    /// Data rows in the file.
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rows with at least one problem.
    pub invalid: usize,
    pub problems: Vec<RowProblem>,
    pub warnings: Vec<String>,
}

/// The application's write side. Writes are serialised; readers use `index` and never wait.
pub struct Service {
    db: Db,
    index: Arc<LiveIndex>,
    write_lock: Mutex<()>,
}

impl Service {
    /// Loads every active provider from `db` into a fresh live index.
    pub fn open(db: Db) -> Result<Service, ServiceError> {
        let index = Arc::new(LiveIndex::new(db.load_active()?));
        Ok(Service { db, index, write_lock: Mutex::new(()) })
    }

    pub fn index(&self) -> &Arc<LiveIndex> {
        &self.index
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Validates a whole CSV file; when every row is valid, upserts all of them in one
    /// transaction and publishes a new snapshot. Any invalid row means nothing is written.
    pub fn import_csv(&self, bytes: &[u8], dry_run: bool) -> Result<ImportReport, ServiceError> {
        let parsed = parse_csv(bytes);
        let invalid_lines: std::collections::BTreeSet<u64> = parsed.problems.iter().map(|p| p.line).collect();
        let mut report = ImportReport {
            dry_run,
            written: false,
            rows: parsed.row_count,
            created: 0,
            updated: 0,
            unchanged: 0,
            invalid: invalid_lines.len(),
            problems: parsed.problems,
            warnings: parsed.warnings,
        };
        if !report.problems.is_empty() {
            return Ok(report);
        }
        let records: Vec<_> = parsed.rows.into_iter().map(|r| r.data).collect();
        let _guard = self.write_lock.lock().unwrap_or_else(|e| e.into_inner());
        let WriteCounts { created, updated, unchanged } = self.db.upsert(&records, dry_run)?;
        (report.created, report.updated, report.unchanged) = (created, updated, unchanged);
        if !dry_run {
            report.written = true;
            self.index.publish(self.db.load_active()?);
        }
        Ok(report)
    }

    /// Seeds an empty database (first start) from `csv`. Returns the report when it seeded.
    pub fn seed_if_empty(&self, csv: &[u8]) -> Result<Option<ImportReport>, ServiceError> {
        if self.db.count_providers()? > 0 {
            return Ok(None);
        }
        self.import_csv(csv, false).map(Some)
    }
}
