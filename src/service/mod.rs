//! Use cases: the only door to the store. Handlers and the CLI call these; they touch the
//! database and the snapshot (import: validate → one DB transaction → rebuild → publish; revert,
//! edits, reads of any record, tokens, the audit log, export). Writes are serialised here.

mod access;
mod contact;
mod error;
mod export;
mod feed;
mod imports;
mod providers;
mod replica;
mod saved;

pub use crate::db::{AuditEntry, ImportRecord, TokenInfo};
pub use contact::Contact;
pub use error::{FieldProblem, RevertConflict, ServiceError};
pub use export::Export;
pub use feed::FeedPage;
pub use imports::{Code, Fix, GeocodedRow, ImportOptions, ImportReport, RowProblem, Via};
pub use providers::ProviderEdit;
pub use replica::ReplicaStatus;

use crate::audit_queue::AuditQueue;
use crate::db::{ActiveRows, Db, DbError, Since};
use crate::index::{LiveIndex, Loaded, Loader, Snapshot, on_builder};
use crate::model::Provider;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What the next snapshot needs from `db`: the rows written since `current`, or every active
/// row when a change since did not mark the rows it wrote.
fn read_since(db: &Db, current: &Snapshot) -> Result<Loaded, DbError> {
    Ok(match db.changed_since(current.version as i64)? {
        Since::Rows { seq, rows } => Loaded::Changes(seq as u64, rows),
        Since::Reload => {
            let (seq, loader) = read_active(db)?;
            Loaded::Everything(seq, loader)
        }
    })
}

/// Every active provider, packed as it is read, and the change sequence they are current at.
/// Rows are read from the database on this thread and converted and packed on another, so a
/// start-up's two halves of the work run on two cores.
fn read_active(db: &Db) -> Result<(u64, Loader), DbError> {
    let (send, pages) = std::sync::mpsc::sync_channel::<ActiveRows>(2);
    // How long to make the lists (a write in between only makes them grow once, or shrink).
    let expected = db.count_active()?;
    std::thread::scope(|s| {
        let packer = s.spawn(move || {
            let mut loader = Loader::with_capacity(expected);
            for page in pages {
                for p in page.providers() {
                    loader.push(p?);
                }
            }
            Ok::<_, DbError>(loader)
        });
        // A send fails only once the packer has stopped on a corrupt row, which the join reports.
        let seq = db.load_active_pages(|page| {
            let _ = send.send(page);
        });
        drop(send);
        let loader = packer.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        Ok((seq? as u64, loader?))
    })
}

/// The application's write side. Readers use `index` and never wait.
pub struct Service {
    db: Db,
    audit: AuditQueue,
    index: Arc<LiveIndex>,
    write_lock: Mutex<()>,
    contact: contact::ContactLog,
    /// Where snapshots are read from when not the primary (`DATABASE_READ_URL`).
    replica: Option<replica::Replica>,
    /// false for a command that writes and exits: it never builds a snapshot.
    publishes: bool,
    /// Where the snapshot is saved for the next start-up.
    saved: Option<saved::SavedFile>,
    /// See `restored_from_saved`.
    restored: Option<usize>,
}

impl Service {
    /// Loads every active provider from `db` into a fresh live index.
    pub fn open(db: Db) -> Result<Service, ServiceError> {
        Service::open_saved(db, None)
    }

    /// `open`, starting from the snapshot saved in `file` at the last start-up when it can be
    /// used (the rows changed since are applied), and saving the new one there for the next.
    pub fn open_saved(db: Db, file: Option<std::path::PathBuf>) -> Result<Service, ServiceError> {
        let started = std::time::Instant::now();
        let file = file.map(|path| saved::SavedFile::new(&db, path)).transpose()?;
        let (index, restored) = match file.as_ref().and_then(|f| f.restore(&db)) {
            Some((snapshot, changed)) => (LiveIndex::new(snapshot), Some(changed)),
            None => {
                let (version, loader) = read_active(&db)?;
                tracing::info!(load_ms = started.elapsed().as_millis() as u64, "rows read");
                (LiveIndex::new(on_builder(move || Snapshot::load(version, loader))), None)
            }
        };
        let heap: Vec<String> = index
            .load()
            .heap_bytes()
            .iter()
            .map(|(part, bytes)| format!("{part} {}", bytes / 1_000_000))
            .collect();
        tracing::info!(
            providers = index.load().len(),
            heap_mb = heap.join(", "),
            from = if restored.is_some() { "saved snapshot" } else { "database" },
            changed_since_saved = restored,
            ms = started.elapsed().as_millis() as u64,
            "snapshot loaded"
        );
        if let Some(file) = &file
            && restored != Some(0)
        {
            file.write_later(index.load());
        }
        let mut service = Service::with_index(db, index);
        service.saved = file;
        service.restored = restored;
        Ok(service)
    }

    /// How the snapshot was made at start-up: `Some(rows applied)` from a saved snapshot,
    /// `None` from every row.
    pub fn restored_from_saved(&self) -> Option<usize> {
        self.restored
    }

    /// Waits until the snapshot being saved for the next start-up is written.
    pub fn wait_for_saved(&self) {
        if let Some(file) = &self.saved {
            file.wait();
        }
    }

    /// A service for one command that serves no reads (tokens, export): its snapshot stays
    /// empty, so opening it costs nothing however large the directory.
    pub fn without_snapshot(db: Db) -> Service {
        Service::with_index(db, LiveIndex::new(Snapshot::build(0, Vec::<Provider>::new())))
    }

    /// A service for one command that writes and exits (the CLI import): it loads no snapshot
    /// and builds none after its writes, which running servers pick up through the change
    /// sequence as they do any other process's.
    pub fn for_writes(db: Db) -> Service {
        Service { publishes: false, ..Service::without_snapshot(db) }
    }

    fn with_index(db: Db, index: LiveIndex) -> Service {
        let audit = AuditQueue::start(db.clone());
        Service {
            db,
            audit,
            index: Arc::new(index),
            write_lock: Mutex::new(()),
            contact: contact::ContactLog::new(),
            replica: None,
            publishes: true,
            saved: None,
            restored: None,
        }
    }

    pub fn index(&self) -> &Arc<LiveIndex> {
        &self.index
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
    pub fn refresh(&self) -> Result<bool, ServiceError> {
        if !self.publishes {
            return Ok(false);
        }
        let seq = self.db.change_seq()?;
        if let Some(replica) = &self.replica {
            return self.refresh_from_replica(replica, seq as u64);
        }
        let mut reloaded = false;
        let published = self.index.publish_if_newer(seq as u64, |current| {
            let loaded = read_since(&self.db, current)?;
            reloaded = matches!(loaded, Loaded::Everything(..));
            Ok::<_, DbError>(loaded)
        })?;
        // After every row was read (a bulk change), the saved snapshot is saved again: the
        // next start-up could not have applied that change row by row either.
        if let Some(file) = self.saved.as_ref().filter(|_| published && reloaded) {
            file.write_later(self.index.load());
        }
        Ok(published)
    }

    /// Polls the change sequence every `every` on a thread of its own, for as long as the
    /// service lives. A failed poll (the database away) keeps the current snapshot and is retried.
    pub fn watch(self: &Arc<Self>, every: Duration) {
        let service = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("bellmap-watch".into())
            .spawn(move || {
                loop {
                    if !Service::pause(&service, every) {
                        return;
                    }
                    let Some(service) = service.upgrade() else { return };
                    match service.refresh() {
                        Ok(_) => service.contact.answered(),
                        Err(e) => {
                            service.contact.failed();
                            tracing::warn!(error = %e, "cannot check the database for changes");
                        }
                    }
                }
            })
            .expect("a thread can be spawned at start-up");
    }

    /// The database as the change poll last found it (for `/ready`; no database call).
    pub fn database_contact(&self) -> Contact {
        self.contact.now()
    }

    /// The key cursors are signed with: made once per database, so a cursor from any process
    /// on it (or from before a restart) is understood by every other.
    pub fn cursor_secret(&self) -> Result<[u8; 32], ServiceError> {
        let hex = self.db.shared_secret("cursor_key", || {
            rand::random::<[u8; 32]>().iter().map(|b| format!("{b:02x}")).collect()
        })?;
        let bytes: Option<Vec<u8>> = (0..hex.len())
            .step_by(2)
            .map(|i| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect();
        bytes
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| ServiceError::Internal("the stored cursor key is not 64 hex digits".into()))
    }
}
