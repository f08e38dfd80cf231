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
    /// Every provider (any status), [`BATCH`] at a time by id, handed to `each`: for the HSDS
    /// data package. The audit log records `actor` and whether exact fields were included.
    pub fn for_each_provider<E: From<ServiceError>>(
        &self,
        actor: &str,
        exact: bool,
        mut each: impl FnMut(&[crate::model::Provider]) -> Result<(), E>,
    ) -> Result<usize, E> {
        let detail = if exact {
            "HSDS data package of all providers, exact fields included"
        } else {
            "HSDS data package, public view"
        };
        self.audit.record(actor, "export", detail.to_string(), 0);
        let mut after = 0;
        let mut count = 0;
        loop {
            let batch = self.db.providers_after(after, BATCH).map_err(|e| E::from(e.into()))?;
            each(&batch)?;
            count += batch.len();
            match batch.last() {
                Some(p) if batch.len() as i64 == BATCH => after = p.id.0,
                _ => return Ok(count),
            }
        }
    }

    /// Starts an export by `actor`, which the audit log records (queued: an export never waits
    /// for an import's write lock).
    pub fn export(&self, actor: &str) -> Export {
        let detail = "CSV export of all providers, exact fields included".to_string();
        self.audit.record(actor, "export", detail, 0);
        Export { db: self.db.clone(), after: None, done: false, providers: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_is_the_csv_of_every_provider_in_chunks_of_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db").display().to_string()).unwrap();
        let service = Service::open(db.clone()).unwrap();
        service.import_csv(crate::app::SAMPLE_CSV, false).unwrap();
        let all = db.load_all().unwrap();
        assert!(all.len() > 2 * BATCH as usize, "the sample spans several batches");

        let mut export = service.export("test");
        let chunks: Vec<Vec<u8>> = (&mut export).collect::<Result<_, _>>().unwrap();
        assert_eq!(chunks[0], csv_header_line(), "the header comes first, alone");
        assert_eq!(chunks.len(), 1 + all.len().div_ceil(BATCH as usize));
        assert_eq!(export.providers(), all.len());
        let mut whole = Vec::new();
        crate::ingest::write_csv(&mut whole, all.iter().map(|p| &p.data)).unwrap();
        assert_eq!(chunks.concat(), whole);

        service.audit_queue().flush();
        let (audit, _) = db.list_audit(0, 1).unwrap();
        assert_eq!((audit[0].action.as_str(), audit[0].actor.as_str()), ("export", "test"));
    }
}
