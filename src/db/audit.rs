//! The audit log: who did what to which records, and when.

use super::rows::now_text;
use super::schema::audit_log;
use super::{AnyConnection, write_transaction};
use super::{Db, DbError};
use diesel::prelude::*;

/// One row of the audit log.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    /// Token name, or "cli".
    pub actor: String,
    pub action: String,
    pub detail: String,
    /// How many records the action touched.
    pub records: i64,
}

pub(super) fn write_audit(
    conn: &mut AnyConnection,
    actor: &str,
    action: &str,
    detail: &str,
    records: i64,
) -> QueryResult<usize> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(now_text()),
            audit_log::actor.eq(actor),
            audit_log::action.eq(action),
            audit_log::detail.eq(detail),
            audit_log::records.eq(records),
        ))
        .execute(conn)
}

/// Audit rows of one action, each `(detail, records)`, written in multi-row inserts (as many
/// rows as SQLite's limit on bound variables allows in each).
pub(super) fn write_audits(
    conn: &mut AnyConnection,
    actor: &str,
    action: &str,
    entries: &[(String, i64)],
) -> QueryResult<()> {
    let at = now_text();
    for chunk in entries.chunks(1000) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(detail, records)| {
                (
                    audit_log::at.eq(&at),
                    audit_log::actor.eq(actor),
                    audit_log::action.eq(action),
                    audit_log::detail.eq(detail),
                    audit_log::records.eq(records),
                )
            })
            .collect();
        let insert = diesel::insert_into(audit_log::table).values(values);
        // The derived connection cannot batch inserts; each backend can.
        match conn {
            AnyConnection::Sqlite(c) => insert.execute(c)?,
            AnyConnection::Postgres(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

impl Db {
    /// Records one action outside any other transaction.
    pub fn audit(&self, actor: &str, action: &str, detail: &str, records: i64) -> Result<(), DbError> {
        let mut conn = self.pool.get()?;
        write_transaction::<_, DbError, _>(&mut conn, |conn| {
            Ok(write_audit(conn, actor, action, detail, records)?)
        })?;
        Ok(())
    }

    /// Newest first.
    pub fn list_audit(&self, offset: i64, limit: i64) -> Result<(Vec<AuditEntry>, i64), DbError> {
        let mut conn = self.pool.get()?;
        let total = audit_log::table.count().get_result(&mut conn)?;
        let items = audit_log::table
            .order(audit_log::id.desc())
            .offset(offset)
            .limit(limit)
            .select(AuditEntry::as_select())
            .load(&mut conn)?;
        Ok((items, total))
    }
}
