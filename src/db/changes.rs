//! The change sequence and the secrets shared by every process on one database.
//!
//! Every transaction that changes a provider calls [`bump`] before it commits, so the sequence
//! moves exactly when the committed data do; a running server polls [`Db::change_seq`] (one
//! indexed row) and rebuilds its snapshot when the value moved.

use super::rows::ProviderRow;
use super::schema::{change_sequence, provider_versions, providers, server_keys};
use super::{AnyConnection, write_transaction};
use super::{Db, DbError};
use crate::model::Provider;
use diesel::prelude::*;

/// The sequence inside an open transaction.
pub(super) fn current(conn: &mut AnyConnection) -> QueryResult<i64> {
    change_sequence::table.find(1).select(change_sequence::seq).first(conn)
}

/// A change of more rows than this makes every server reload, rather than apply the rows one
/// by one (marking them would cost the writer as much as the reload costs the readers).
pub const MARKED_MAX: usize = 10_000;

/// Which providers a change wrote, so a running server can apply just those rows.
pub(super) enum Wrote<'a> {
    /// These providers.
    Rows(&'a [i64]),
    /// The `count` providers import `id` kept versions of or created.
    Import { id: i64, count: usize },
    /// Rows that cannot be listed (deleted ones) or too many: every server reloads.
    Everything,
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
        Wrote::Rows(ids) if ids.len() <= MARKED_MAX => {
            diesel::update(providers::table)
                .set(providers::change_seq.eq(seq))
                .filter(providers::id.eq_any(ids))
                .execute(conn)?;
        }
        Wrote::Import { id, count } if count <= MARKED_MAX => {
            let kept: Vec<i64> = provider_versions::table
                .filter(provider_versions::import_id.eq(id))
                .select(provider_versions::provider_id)
                .load(conn)?;
            // The records it created are not among the versions: runs of ids.
            let created: Vec<i64> =
                super::imports::created_by(conn, id)?.into_iter().map(|(id, _)| id).collect();
            // A bound variable per id: chunks stay far below either backend's limit.
            for ids in kept.chunks(1_000).chain(created.chunks(1_000)) {
                diesel::update(providers::table)
                    .set(providers::change_seq.eq(seq))
                    .filter(providers::id.eq_any(ids))
                    .execute(conn)?;
            }
        }
        _ => {
            diesel::update(change_sequence::table.find(1))
                .set(change_sequence::reload_seq.eq(seq))
                .execute(conn)?;
        }
    }
    Ok(seq)
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
