//! The change sequence and the secrets shared by every process on one database.
//!
//! Every transaction that changes a provider calls [`bump`] before it commits, so the sequence
//! moves exactly when the committed data do; a running server polls [`Db::change_seq`] (one
//! indexed row) and rebuilds its snapshot when the value moved.

use super::rows::ProviderRow;
use super::schema::{change_sequence, provider_tombstones, providers, server_keys};
use super::{AnyConnection, write_transaction};
use super::{Db, DbError};
use crate::model::{Change, ChangeKind, FeedPosition, Provider, Status};
use diesel::prelude::*;

/// The sequence inside an open transaction.
pub(super) fn current(conn: &mut AnyConnection) -> QueryResult<i64> {
    change_sequence::table.find(1).select(change_sequence::seq).first(conn)
}

/// A change of more rows than this makes every server reload, rather than apply the rows one
/// by one.
pub const MARKED_MAX: usize = 10_000;

/// The value the next [`bump`] takes. Only a writer, holding the write lock, may ask: it marks
/// the rows it writes with this value as it writes them (`change_seq`, and `created_seq` for
/// new rows), so even a million-row import marks its rows at no extra cost.
pub(super) fn next(conn: &mut AnyConnection) -> QueryResult<i64> {
    Ok(current(conn)? + 1)
}

/// What a change wrote, so every row it wrote carries its mark.
pub(super) enum Wrote<'a> {
    /// These providers, not yet marked: marked here.
    Rows(&'a [i64]),
    /// Every row it wrote is marked with `seq`, the value [`next`] gave.
    Marked { seq: i64 },
    /// As `Marked`, and it deleted rows, leaving tombstones: every server reloads, as a
    /// snapshot is brought up to date from changed rows, and a deleted row is none.
    MarkedAndDeleted { seq: i64 },
}

/// Moves the sequence on, inside the writing transaction, and marks what the change wrote with
/// the new value; returns it. Writers hold the write lock, so no other change can take the
/// same value.
pub(super) fn bump(conn: &mut AnyConnection, wrote: Wrote<'_>) -> QueryResult<i64> {
    let seq: i64 = diesel::update(change_sequence::table.find(1))
        .set(change_sequence::seq.eq(change_sequence::seq + 1))
        .returning(change_sequence::seq)
        .get_result(conn)?;
    match wrote {
        Wrote::Rows(ids) => {
            // A bound variable per id: chunks stay far below either backend's limit.
            for ids in ids.chunks(1_000) {
                diesel::update(providers::table)
                    .set(providers::change_seq.eq(seq))
                    .filter(providers::id.eq_any(ids))
                    .execute(conn)?;
            }
        }
        Wrote::Marked { seq: marked } | Wrote::MarkedAndDeleted { seq: marked } if marked != seq => {
            // Only a writer without the write lock could see another value: refuse the change.
            return Err(diesel::result::Error::QueryBuilderError(
                format!("rows were marked with change {marked}, but the change is {seq}").into(),
            ));
        }
        Wrote::Marked { .. } => {}
        Wrote::MarkedAndDeleted { .. } => {
            diesel::update(change_sequence::table.find(1))
                .set(change_sequence::reload_seq.eq(seq))
                .execute(conn)?;
        }
    }
    Ok(seq)
}

/// Keeps the deletion of `ids` by change `seq` for the change feed.
pub(super) fn bury(conn: &mut AnyConnection, ids: &[i64], seq: i64) -> QueryResult<()> {
    for ids in ids.chunks(1_000) {
        let rows: Vec<_> = ids
            .iter()
            .map(|id| (provider_tombstones::provider_id.eq(id), provider_tombstones::change_seq.eq(seq)))
            .collect();
        // The derived connection has no multi-row insert; both backends spell this one alike.
        let insert = diesel::insert_into(provider_tombstones::table).values(rows);
        match conn {
            AnyConnection::Sqlite(c) => insert.execute(c)?,
            AnyConnection::Postgres(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

/// A page of the change feed.
#[derive(Debug)]
pub enum Feed {
    Page {
        changes: Vec<Change>,
        more: bool,
    },
    /// The position is older than the feed's history (deletions before it left no trace): the
    /// mirror must start again from 0.
    Expired {
        feed_from: i64,
    },
}

/// What changed after a snapshot's version: the rows to apply, or a reload.
#[derive(Debug)]
pub enum Since {
    /// Every provider (any status) written after the version, by id, current at `seq`.
    Rows { seq: i64, rows: Vec<Provider> },
    /// A change after the version did not mark its rows: load everything.
    Reload,
}

impl Db {
    /// The sequence of the last committed change.
    pub fn change_seq(&self) -> Result<i64, DbError> {
        let mut conn = self.pool.get()?;
        Ok(current(&mut conn)?)
    }

    /// The providers written after change `version`, read in one transaction with the sequence
    /// they are current at; `Reload` when a change since did not mark its rows.
    pub fn changed_since(&self, version: i64) -> Result<Since, DbError> {
        let mut conn = self.pool.get()?;
        let found = conn.transaction::<_, diesel::result::Error, _>(|conn| {
            super::read_snapshot(conn)?;
            let (seq, reload): (i64, i64) = change_sequence::table
                .find(1)
                .select((change_sequence::seq, change_sequence::reload_seq))
                .first(conn)?;
            if reload > version {
                return Ok(None);
            }
            let rows: Vec<ProviderRow> = providers::table
                .filter(providers::change_seq.gt(version))
                .order(providers::id)
                .limit(MARKED_MAX as i64 + 1)
                .select(ProviderRow::as_select())
                .load(conn)?;
            Ok((rows.len() <= MARKED_MAX).then_some((seq, rows)))
        })?;
        let Some((seq, rows)) = found else { return Ok(Since::Reload) };
        let rows = rows.into_iter().map(Provider::try_from).collect::<Result<_, _>>()?;
        Ok(Since::Rows { seq, rows })
    }

    /// The change feed after `from`, up to change `until` (the published snapshot's version, so
    /// that every entry is already visible in public answers): at most `limit` entries, each
    /// provider at its latest change, in (change, id) order, and whether more follow.
    pub fn feed(&self, from: FeedPosition, until: i64, limit: usize) -> Result<Feed, DbError> {
        let mut conn = self.pool.get()?;
        Ok(conn.transaction::<_, diesel::result::Error, _>(|conn| {
            super::read_snapshot(conn)?;
            let feed_from: i64 =
                change_sequence::table.find(1).select(change_sequence::feed_from).first(conn)?;
            if from.seq > 0 && from.seq < feed_from {
                return Ok(Feed::Expired { feed_from });
            }
            let n = limit as i64 + 1;
            // The rest of change `from.seq`, then the changes after it: each an index range.
            let mut rows: Vec<(i64, i64, i64, String)> = providers::table
                .filter(providers::change_seq.eq(from.seq).and(providers::id.gt(from.id)))
                .filter(providers::change_seq.le(until))
                .order(providers::id)
                .limit(n)
                .select((providers::id, providers::change_seq, providers::created_seq, providers::status))
                .load(conn)?;
            rows.extend(
                providers::table
                    .filter(providers::change_seq.gt(from.seq))
                    .filter(providers::change_seq.le(until))
                    .order((providers::change_seq, providers::id))
                    .limit(n)
                    .select((providers::id, providers::change_seq, providers::created_seq, providers::status))
                    .load::<(i64, i64, i64, String)>(conn)?,
            );
            let mut buried: Vec<(i64, i64)> = provider_tombstones::table
                .filter(provider_tombstones::change_seq.eq(from.seq))
                .filter(provider_tombstones::provider_id.gt(from.id))
                .filter(provider_tombstones::change_seq.le(until))
                .order(provider_tombstones::provider_id)
                .limit(n)
                .select((provider_tombstones::provider_id, provider_tombstones::change_seq))
                .load(conn)?;
            buried.extend(
                provider_tombstones::table
                    .filter(provider_tombstones::change_seq.gt(from.seq))
                    .filter(provider_tombstones::change_seq.le(until))
                    .order((provider_tombstones::change_seq, provider_tombstones::provider_id))
                    .limit(n)
                    .select((provider_tombstones::provider_id, provider_tombstones::change_seq))
                    .load::<(i64, i64)>(conn)?,
            );
            let mut changes: Vec<Change> = rows
                .into_iter()
                .map(|(id, seq, created_seq, status)| {
                    let kind = if status != Status::Active.as_str() {
                        ChangeKind::Deactivated
                    } else if created_seq == seq {
                        ChangeKind::Created
                    } else {
                        ChangeKind::Updated
                    };
                    Change { seq, id, kind }
                })
                .chain(buried.into_iter().map(|(id, seq)| Change { seq, id, kind: ChangeKind::Deleted }))
                .collect();
            changes.sort_unstable_by_key(|c| FeedPosition { seq: c.seq, id: c.id });
            let more = changes.len() > limit;
            changes.truncate(limit);
            Ok(Feed::Page { changes, more })
        })?)
    }

    /// The secret named `name`, made by `generate` the first time any process asks. Concurrent
    /// first callers race on the insert; all of them read back the one value that won.
    pub fn shared_secret(&self, name: &str, generate: impl FnOnce() -> String) -> Result<String, DbError> {
        let mut conn = self.pool.get()?;
        let insert = diesel::insert_into(server_keys::table)
            .values((server_keys::name.eq(name), server_keys::value.eq(generate())))
            .on_conflict_do_nothing();
        // The derived connection has no upsert clause; both backends spell this one alike.
        write_transaction::<_, DbError, _>(&mut conn, |conn| {
            Ok(match conn {
                AnyConnection::Sqlite(c) => insert.execute(c)?,
                AnyConnection::Postgres(c) => insert.execute(c)?,
            })
        })?;
        Ok(server_keys::table.find(name).select(server_keys::value).first(&mut conn)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("feed.db").display().to_string()).unwrap();
        let csv = "external_id,name,categories,lat,lon,country\n\
            a,Feed A,shelter,26.83,80.91,IN\nb,Feed B,helpline,26.86,80.95,IN\n";
        let parsed = crate::ingest::parse_csv(csv.as_bytes());
        let meta = crate::db::ImportMeta {
            actor: "test".into(),
            source: "t.csv".into(),
            mode: crate::model::ImportMode::Upsert,
            on_error: crate::model::OnError::Abort,
        };
        db.import(
            &meta,
            |sink| parsed.rows.into_iter().for_each(|r| sink.push(r.data)),
            |_, _, _| Some("{}".into()),
        )
        .unwrap();
        (dir, db)
    }

    /// Deletions before the feed existed left no tombstones: a position older than the feed's
    /// history cannot be answered, except 0, a mirror starting empty.
    #[test]
    fn positions_before_the_feeds_history_are_expired_but_zero_is_not() {
        let (_dir, db) = seeded();
        let seq = db.change_seq().unwrap();
        let mut conn = db.pool.get().unwrap();
        diesel::update(change_sequence::table.find(1))
            .set(change_sequence::feed_from.eq(seq))
            .execute(&mut conn)
            .unwrap();
        let page = |since: i64| db.feed(FeedPosition::after_change(since), seq, 10).unwrap();
        assert!(matches!(page(seq - 1), Feed::Expired { feed_from } if feed_from == seq));
        match page(0) {
            Feed::Page { changes, more } => {
                assert_eq!(changes.len(), 2);
                assert!(!more);
                assert!(changes.iter().all(|c| c.kind == ChangeKind::Created && c.seq == seq));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(page(seq), Feed::Page { changes, .. } if changes.is_empty()));
        // Entries past `until` (a snapshot not yet published) wait for it.
        assert!(matches!(db.feed(FeedPosition::after_change(0), seq - 1, 10).unwrap(),
            Feed::Page { changes, .. } if changes.is_empty()));
    }
}
