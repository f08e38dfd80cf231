//! Start-up from the snapshot saved at the last one (`index::saved`): the file, brought up to
//! date from the rows changed since, or nothing, and every row is read.

use crate::db::{Db, Since};
use crate::index::{Snapshot, on_builder, saved};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Where this service keeps its snapshot between runs, and the database it is kept for.
pub(super) struct SavedFile {
    path: PathBuf,
    /// The database's own id (made once, kept in it): a file made for another database is
    /// never read, whatever its change number.
    database: String,
    /// The saves begun and not yet waited for.
    writing: Mutex<Vec<JoinHandle<()>>>,
    /// The version last saved: held while saving, so two saves of this process never write the
    /// same `.partial` file at once, and one never replaces a later snapshot with an earlier.
    saved: Arc<Mutex<Option<u64>>>,
}

impl SavedFile {
    pub(super) fn new(db: &Db, path: PathBuf) -> Result<SavedFile, crate::db::DbError> {
        let database = db.shared_secret("database_id", || {
            rand::random::<[u8; 16]>().iter().map(|b| format!("{b:02x}")).collect()
        })?;
        Ok(SavedFile { path, database, writing: Mutex::default(), saved: Arc::default() })
    }

    /// The saved snapshot with every change since applied, current at the database's last
    /// change, and how many rows were applied; `None` when the file cannot be used (then every
    /// row is read, as without a file).
    pub(super) fn restore(&self, db: &Db) -> Option<(Snapshot, usize)> {
        let path = self.path.display().to_string();
        let saved = match saved::read(&self.path, &self.database) {
            Ok(Some(saved)) => saved,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(path, error = %e, "the saved snapshot cannot be read; reading every row");
                return None;
            }
        };
        let since = db.changed_since(saved.version as i64);
        let (seq, rows) = match since {
            Ok(Since::Rows { seq, rows }) if seq as u64 >= saved.version => (seq as u64, rows),
            Ok(Since::Rows { seq, .. }) => {
                // The database is behind the file: restored from a backup, say.
                tracing::warn!(
                    path,
                    saved = saved.version,
                    database = seq,
                    "the saved snapshot is ahead of the database; reading every row"
                );
                return None;
            }
            Ok(Since::Reload) => {
                tracing::info!(
                    path,
                    "a change since the saved snapshot did not mark its rows; reading every row"
                );
                return None;
            }
            Err(e) => {
                tracing::warn!(path, error = %e, "cannot read the changes since the saved snapshot; reading every row");
                return None;
            }
        };
        let changed = rows.len();
        let snapshot = on_builder(move || Snapshot::restore(saved, seq, rows));
        Some((snapshot, changed))
    }

    /// Saves `snap` on a thread of its own, so start-up does not wait for the disk; a failure
    /// only costs the next start-up its shortcut.
    pub(super) fn write_later(&self, snap: Arc<Snapshot>) {
        let (path, database) = (self.path.clone(), self.database.clone());
        let saved = self.saved.clone();
        let spawned = std::thread::Builder::new().name("snapshot-file".into()).spawn(move || {
            let mut saved = saved.lock().unwrap_or_else(|e| e.into_inner());
            if saved.is_some_and(|v| v >= snap.version) {
                return;
            }
            let started = std::time::Instant::now();
            match saved::write(&path, &database, &snap) {
                Ok(()) => {
                    *saved = Some(snap.version);
                    let ms = started.elapsed().as_millis() as u64;
                    tracing::info!(path = %path.display(), version = snap.version, ms, "snapshot saved");
                }
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot save the snapshot"),
            }
        });
        match spawned {
            Ok(handle) => {
                let mut writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
                writing.retain(|h| !h.is_finished());
                writing.push(handle);
            }
            Err(e) => tracing::warn!(error = %e, "cannot save the snapshot"),
        }
    }

    /// Waits for the saves begun by `write_later`.
    pub(super) fn wait(&self) {
        let handles = std::mem::take(&mut *self.writing.lock().unwrap_or_else(|e| e.into_inner()));
        for handle in handles {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::db::Db;
    use crate::index::Snapshot;
    use crate::index::saved::{self, tests::assert_same};
    use crate::model::Column;
    use crate::service::{ProviderEdit, Service};
    use std::collections::BTreeMap;
    use std::path::Path;

    /// A server started on `url` from the file, and what reading every row gives: the same.
    fn restart(url: &str, file: &Path) -> Service {
        let service = Service::open_saved(Db::open(url).unwrap(), Some(file.to_path_buf())).unwrap();
        service.wait_for_saved();
        let every_row = Service::open(Db::open(url).unwrap()).unwrap();
        assert_same(&every_row.index().load(), &service.index().load());
        service
    }

    fn csv(count: usize, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        crate::sample::write_sample_csv(&mut out, count, seed).unwrap();
        out
    }

    #[test]
    fn a_restart_from_the_saved_snapshot_serves_what_reading_every_row_serves() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("b.db").display());
        let file = dir.path().join("b.db.snapshot");

        let first = restart(&url, &file);
        assert_eq!(first.restored_from_saved(), None, "no file yet");
        let report = first.import_csv(&csv(400, 3), false).unwrap();
        assert!(report.written && report.created == 400, "{report:?}");
        drop(first);

        // Saved before the import: its 400 rows are applied, and the result saved.
        let second = restart(&url, &file);
        assert_eq!(second.restored_from_saved(), Some(400));
        let snap = second.index().load();
        let shown = snap.records.len();
        let ids: Vec<i64> = (0..3).map(|slot| snap.records.id(slot).0).collect();
        let rename = BTreeMap::from([(Column::Name, "Renamed after the save".to_string())]);
        second.edit_provider(ids[0], "test", ProviderEdit::Update(rename)).unwrap();
        second.edit_provider(ids[1], "test", ProviderEdit::Deactivate).unwrap();
        drop(second);

        let third = restart(&url, &file);
        assert_eq!(third.restored_from_saved(), Some(2), "the two edited rows");
        assert_eq!(third.index().load().records.get(0).name(), "Renamed after the save");
        assert_eq!(third.index().load().records.len(), shown - 1, "the deactivated one is off the map");
        drop(third);
        let fourth = restart(&url, &file);
        assert_eq!(fourth.restored_from_saved(), Some(0), "nothing changed since the last save");

        // A revert deletes the rows an import made: deleted rows cannot be applied. Made by
        // another process (the CLI), the next start reads every row...
        let later = String::from_utf8(csv(20, 9)).unwrap().replace("sample-", "later-");
        let import_id = fourth.import_csv(later.as_bytes(), false).unwrap().import_id.unwrap();
        drop(fourth);
        let cli = Service::for_writes(Db::open(&url).unwrap());
        cli.revert(import_id, "test").unwrap();
        drop(cli);
        let fifth = restart(&url, &file);
        assert_eq!(fifth.restored_from_saved(), None, "every row read");
        assert_eq!(fifth.index().load().records.len(), shown - 1);
        // ...and made by a running server, that server reads every row and saves the result.
        let import_id = fifth.import_csv(later.as_bytes(), false).unwrap().import_id.unwrap();
        fifth.revert(import_id, "test").unwrap();
        fifth.wait_for_saved();
        drop(fifth);
        let sixth = restart(&url, &file);
        assert_eq!(sixth.restored_from_saved(), Some(0), "saved after the revert");
        assert_eq!(sixth.index().load().records.len(), shown - 1);
    }

    #[test]
    fn a_file_for_another_database_or_ahead_of_this_one_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
        let file = dir.path().join("a.snapshot");
        let a = Service::open_saved(Db::open(&url("a.db")).unwrap(), Some(file.clone())).unwrap();
        a.import_csv(&csv(50, 4), false).unwrap();
        drop(a);
        assert_eq!(restart(&url("a.db"), &file).restored_from_saved(), Some(50));

        // Another database with as many changes: the file names the first.
        let b = Service::open(Db::open(&url("b.db")).unwrap()).unwrap();
        b.import_csv(&csv(60, 5), false).unwrap();
        drop(b);
        let on_b = restart(&url("b.db"), &file);
        assert_eq!(on_b.restored_from_saved(), None);
        assert_eq!(on_b.index().load().records.len(), 60);
        drop(on_b);

        // A file current at a change this database has not reached (it was restored from a
        // backup, say): its records are not this database's.
        let db = Db::open(&url("b.db")).unwrap();
        let id = db.shared_secret("database_id", String::new).unwrap();
        let ahead = Snapshot::build(db.change_seq().unwrap() as u64 + 5, crate::sample::providers(20, 6));
        saved::write(&file, &id, &ahead).unwrap();
        let on_b = restart(&url("b.db"), &file);
        assert_eq!(on_b.restored_from_saved(), None);
        assert_eq!(on_b.index().load().records.len(), 60);
    }
}
