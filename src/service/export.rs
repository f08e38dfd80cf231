//! The export of every provider in the import format, one batch at a time: the CLI writes the
//! chunks to a file, HTTP streams them.

use super::{Service, ServiceError};
use crate::db::Db;
use crate::ingest::{csv_header_line, csv_row};

/// Providers read from the database per chunk.
const BATCH: i64 = 1000;

/// The CSV in chunks: the header, then the rows of up to [`BATCH`] providers each (any status,
/// every field, confidential ones included), by id. Each chunk is one query, so memory stays
/// flat however large the directory; blocking, so async callers run `next` off their workers.
pub struct Export {
    db: Db,
    /// The last id written; `None` before the header.
    after: Option<i64>,
    done: bool,
    providers: usize,
}

impl Export {
    /// Providers written so far.
    pub fn providers(&self) -> usize {
        self.providers
    }
}

impl Iterator for Export {
    type Item = Result<Vec<u8>, ServiceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let Some(after) = self.after else {
            self.after = Some(0);
            return Some(Ok(csv_header_line()));
        };
        let batch = match self.db.providers_after(after, BATCH) {
            Ok(batch) => batch,
            Err(e) => {
                self.done = true;
                return Some(Err(e.into()));
            }
        };
        self.done = (batch.len() as i64) < BATCH;
        let last = batch.last()?.id.0;
        self.after = Some(last);
        self.providers += batch.len();
        Some(Ok(batch.iter().flat_map(|p| csv_row(&p.data)).collect()))
    }
}

impl Service {
    /// Starts an export by `actor`, which the audit log records (queued: an export never waits
    /// for an import's write lock).
    pub fn export(&self, actor: &str) -> Export {
        let detail = "CSV export of all providers, exact fields included".to_string();
        self.audit.record(actor, "export", detail, 0);
        Export { db: self.db.clone(), after: None, done: false, providers: 0 }
    }
}
