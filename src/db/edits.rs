//! Single-record admin edits: create, update (also activate/deactivate), read any status.

use super::audit::write_audit;
use super::changes::{self, Wrote};
use super::rows::{ProviderFields, ProviderRow, now_text};
use super::schema::providers;
use super::{AnyConnection, write_transaction};
use super::{Db, DbError, public_points};
use crate::model::{Provider, ProviderData};
use diesel::prelude::*;

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("no provider has id {0}")]
    NotFound(i64),
    #[error("external_id '{0}' is already used by provider {1}")]
    ExternalIdTaken(String, i64),
    #[error("provider {0} is not confidential or has an admin-chosen public point, so it has no drawn point")]
    NoDrawnPoint(i64),
    /// The caller's change refused the record (its own error is returned instead).
    #[error("the change was refused")]
    Refused,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for EditError {
    fn from(e: diesel::result::Error) -> Self {
        EditError::Db(DbError::Query(e))
    }
}

fn owner_of(conn: &mut AnyConnection, external_id: &str) -> QueryResult<Option<i64>> {
    providers::table
        .filter(providers::external_id.eq(external_id))
        .select(providers::id)
        .first(conn)
        .optional()
}

fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Provider>, DbError> {
    let row: Option<ProviderRow> =
        providers::table.find(id).select(ProviderRow::as_select()).first(conn).optional()?;
    Ok(row.map(Provider::try_from).transpose()?)
}

fn row(conn: &mut AnyConnection, id: i64) -> Result<ProviderRow, EditError> {
    let row = providers::table.find(id).select(ProviderRow::as_select()).first(conn).optional()?;
    row.ok_or(EditError::NotFound(id))
}

fn load(conn: &mut AnyConnection, id: i64) -> Result<Provider, EditError> {
    find(conn, id)?.ok_or(EditError::NotFound(id))
}

impl Db {
    /// One provider, any status.
    pub fn get_provider(&self, id: i64) -> Result<Option<Provider>, DbError> {
        let mut conn = self.pool.get()?;
        find(&mut conn, id)
    }

    pub fn create_provider(&self, data: &ProviderData, actor: &str) -> Result<Provider, EditError> {
        let mut conn = self.pool.get().map_err(DbError::from)?;
        write_transaction::<_, EditError, _>(&mut conn, |conn| {
            if let Some(other) = owner_of(conn, &data.external_id)? {
                return Err(EditError::ExternalIdTaken(data.external_id.clone(), other));
            }
            let now = now_text();
            let mut row = ProviderRow {
                id: 0,
                fields: ProviderFields::from(data),
                drawn_lat: None,
                drawn_lon: None,
                created_at: now.clone(),
                updated_at: now,
            };
            let drawn = public_points::settle(None, &mut row);
            let seq = changes::next(conn)?;
            let id: i64 = diesel::insert_into(providers::table)
                .values((
                    &row.fields,
                    providers::drawn_lat.eq(row.drawn_lat),
                    providers::drawn_lon.eq(row.drawn_lon),
                    providers::created_at.eq(&row.created_at),
                    providers::updated_at.eq(&row.updated_at),
                    providers::change_seq.eq(seq),
                    providers::created_seq.eq(seq),
                ))
                .returning(providers::id)
                .get_result(conn)?;
            write_audit(conn, actor, "provider.create", &format!("provider {id} ({})", data.external_id), 1)?;
            if let Some(rule) = drawn {
                public_points::audit_draw(conn, actor, id, rule)?;
            }
            changes::bump(conn, Wrote::Marked { seq })?;
            load(conn, id)
        })
    }

    /// Reads provider `id`, lets `change` make its new fields from it (or refuse), and writes
    /// them, all in one transaction: nothing another writer commits can fall between the read
    /// and the write. `action` names the edit in the audit log.
    pub fn edit_provider<E: From<EditError>>(
        &self,
        id: i64,
        actor: &str,
        action: &str,
        change: impl FnOnce(&Provider) -> Result<ProviderData, E>,
    ) -> Result<Provider, E> {
        let mut conn = self.pool.get().map_err(|e| EditError::Db(e.into()))?;
        let mut refused = None;
        let result = write_transaction::<_, EditError, _>(&mut conn, |conn| {
            let old = row(conn, id)?;
            let before = Provider::try_from(old.clone()).map_err(DbError::from)?;
            let data = match change(&before) {
                Ok(data) => data,
                Err(e) => {
                    refused = Some(e);
                    return Err(EditError::Refused);
                }
            };
            if let Some(other) = owner_of(conn, &data.external_id)?.filter(|other| *other != id) {
                return Err(EditError::ExternalIdTaken(data.external_id.clone(), other));
            }
            if before.data == data {
                return Ok(before);
            }
            let mut after =
                ProviderRow { fields: ProviderFields::from(&data), updated_at: now_text(), ..old.clone() };
            let drawn = public_points::settle(Some(&old), &mut after);
            diesel::update(providers::table.find(id))
                .set((
                    &after.fields,
                    providers::drawn_lat.eq(after.drawn_lat),
                    providers::drawn_lon.eq(after.drawn_lon),
                    providers::updated_at.eq(&after.updated_at),
                ))
                .execute(conn)?;
            write_audit(conn, actor, action, &format!("provider {id} ({})", data.external_id), 1)?;
            if let Some(rule) = drawn {
                public_points::audit_draw(conn, actor, id, rule)?;
            }
            changes::bump(conn, Wrote::Rows(&[id]))?;
            load(conn, id)
        });
        match (result, refused) {
            (_, Some(e)) => Err(e),
            (result, None) => result.map_err(E::from),
        }
    }

    /// Draws a new public point for confidential provider `id`, as an admin asked.
    pub fn redraw_public_point(&self, id: i64, actor: &str) -> Result<Provider, EditError> {
        let mut conn = self.pool.get().map_err(DbError::from)?;
        write_transaction::<_, EditError, _>(&mut conn, |conn| {
            let mut row = row(conn, id)?;
            if !row.fields.confidential || row.fields.public_lat.is_some() {
                return Err(EditError::NoDrawnPoint(id));
            }
            let rule = public_points::settle(None, &mut row)
                .expect("a confidential record without an admin point draws");
            diesel::update(providers::table.find(id))
                .set((providers::drawn_lat.eq(row.drawn_lat), providers::drawn_lon.eq(row.drawn_lon)))
                .execute(conn)?;
            public_points::audit_draw(conn, actor, id, rule)?;
            changes::bump(conn, Wrote::Rows(&[id]))?;
            load(conn, id)
        })
    }
}
