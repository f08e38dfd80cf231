//! The change sequence and the secrets shared by every process on one database.
//!
//! Every transaction that changes a provider calls [`bump`] before it commits, so the sequence
//! moves exactly when the committed data do; a running server polls [`Db::change_seq`] (one
//! indexed row) and rebuilds its snapshot when the value moved.

use super::schema::{change_sequence, server_keys};
use super::{AnyConnection, write_transaction};
use super::{Db, DbError};
use diesel::prelude::*;

/// The sequence inside an open transaction.
pub(super) fn current(conn: &mut AnyConnection) -> QueryResult<i64> {
    change_sequence::table.find(1).select(change_sequence::seq).first(conn)
}

/// Moves the sequence on, inside the writing transaction; returns the new value.
pub(super) fn bump(conn: &mut AnyConnection) -> QueryResult<i64> {
    diesel::update(change_sequence::table.find(1))
        .set(change_sequence::seq.eq(change_sequence::seq + 1))
        .returning(change_sequence::seq)
        .get_result(conn)
}

impl Db {
    /// The sequence of the last committed change.
    pub fn change_seq(&self) -> Result<i64, DbError> {
        let mut conn = self.pool.get()?;
        Ok(current(&mut conn)?)
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
