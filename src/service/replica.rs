//! Snapshots from a read replica (`DATABASE_READ_URL`): writes and the change-sequence poll go
//! to the primary; every snapshot is read from the replica, in one transaction (sequence and rows
//! together), and published only once the replica's sequence has reached the one the primary
//! reported. Until then the current snapshot stays and the replica is tried again every
//! [`RETRY`] until the next poll, so a reader never sees an older snapshot after a newer one.
//!
//! After this instance's own write the same rule applies (the write's answer comes from the
//! primary; the snapshot waits for the replica): one source for every snapshot keeps their
//! reads off the primary, which is what the replica is for, and keeps versions monotonic
//! without mixing two databases' states.

use super::{Service, ServiceError};
use crate::db::Db;
use crate::index::{LiveIndex, Loaded, Snapshot};
use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often a replica that is behind is tried again between polls.
pub const RETRY: Duration = Duration::from_millis(100);

pub(super) struct Replica {
    db: Db,
    /// The newest change sequence the primary reported (a poll, or this instance's write).
    primary_seq: AtomicU64,
    /// The replica's sequence when last read.
    replica_seq: AtomicU64,
    /// The primary's sequence the replica must reach before the next publish. It is not raised
    /// while a wait is under way, so a primary that keeps moving cannot starve publishing.
    target: AtomicU64,
}

impl Replica {
    /// The database snapshots are read from.
    pub(super) fn db(&self) -> &Db {
        &self.db
    }
}

/// How far the replica is, for /ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaStatus {
    /// The replica's change sequence when last read.
    pub sequence: u64,
    /// Changes the primary has that the replica had not, then.
    pub behind_by: u64,
}

impl Service {
    /// Like [`Service::open`], with snapshots built from `replica` while `primary` takes the
    /// writes and is polled.
    pub fn open_with_replica(primary: Db, replica: Db) -> Result<Service, ServiceError> {
        let primary_seq = primary.change_seq()? as u64;
        let (version, loader) = super::read_active(&replica)?;
        let snapshot = crate::index::on_builder(move || Snapshot::load(version, loader));
        let mut service = Service::with_index(primary, LiveIndex::new(snapshot));
        service.replica = Some(Replica {
            db: replica,
            primary_seq: AtomicU64::new(primary_seq),
            replica_seq: AtomicU64::new(version),
            target: AtomicU64::new(primary_seq),
        });
        Ok(service)
    }

    /// Where the replica is; `None` without one.
    pub fn replica_status(&self) -> Option<ReplicaStatus> {
        self.replica.as_ref().map(|r| {
            let sequence = r.replica_seq.load(Ordering::Acquire);
            ReplicaStatus {
                sequence,
                behind_by: r.primary_seq.load(Ordering::Acquire).saturating_sub(sequence),
            }
        })
    }

    /// `refresh` with a replica: the primary is at `seq`.
    pub(super) fn refresh_from_replica(&self, replica: &Replica, seq: u64) -> Result<bool, ServiceError> {
        replica.primary_seq.fetch_max(seq, Ordering::AcqRel);
        let published = self.index.version();
        // A new wait starts only once the previous one is over (its target published).
        let _ = replica.target.fetch_update(Ordering::AcqRel, Ordering::Acquire, |target| {
            (target <= published && seq > published).then_some(seq)
        });
        self.catch_up(replica)
    }

    /// Publishes the replica's state if it has reached the target; `false` while it has not
    /// (or nothing is waited for).
    fn catch_up(&self, replica: &Replica) -> Result<bool, ServiceError> {
        let target = replica.target.load(Ordering::Acquire);
        if target <= self.index.version() {
            return Ok(false);
        }
        let seq = replica.db.change_seq()? as u64;
        replica.replica_seq.store(seq, Ordering::Release);
        if seq < target {
            return Ok(false);
        }
        let db = &replica.db;
        self.index.publish_if_newer(seq, |current| {
            let loaded = super::read_since(db, current)?;
            let version = match &loaded {
                Loaded::Everything(v, _) | Loaded::Changes(v, _) => *v,
            };
            replica.replica_seq.fetch_max(version, Ordering::AcqRel);
            // A replica read that went back below the target (another replica behind one
            // address) is not published: version 0 is never newer than the published one.
            Ok::<_, ServiceError>(if version < target { Loaded::Changes(0, Vec::new()) } else { loaded })
        })
    }

    /// The watch loop's pause of `every`: meanwhile, a replica that is behind is tried again
    /// every [`RETRY`]. `false` once the service is gone.
    pub(super) fn pause(service: &Weak<Service>, every: Duration) -> bool {
        let end = Instant::now() + every;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(RETRY));
            let Some(service) = service.upgrade() else { return false };
            if let Some(replica) = &service.replica {
                // Debug only: the poll's own try reports a replica that is away, once a poll.
                if let Err(e) = service.catch_up(replica) {
                    tracing::debug!(error = %e, "cannot read the replica");
                }
            }
        }
    }
}
