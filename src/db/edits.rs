//! Single-record admin edits: create, update (also activate/deactivate), read any status.

use super::audit::write_audit;
use super::rows::{ProviderFields, ProviderRow, now_text};
use super::schema::providers;
use super::{Db, DbError, changes};
use crate::model::{Provider, ProviderData};
use diesel::prelude::*;

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("no provider has id {0}")]
    NotFound(i64),
    #[error("external_id '{0}' is already used by provider {1}")]
    ExternalIdTaken(String, i64),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for EditError {
    fn from(e: diesel::result::Error) -> Self {
        EditError::Db(DbError::Query(e))
    }
}

fn owner_of(conn: &mut SqliteConnection, external_id: &str) -> QueryResult<Option<i64>> {
    providers::table
        .filter(providers::external_id.eq(external_id))
        .select(providers::id)
        .first(conn)
        .optional()
}

fn find(conn: &mut SqliteConnection, id: i64) -> Result<Option<Provider>, DbError> {
    let row: Option<ProviderRow> =
        providers::table.find(id).select(ProviderRow::as_select()).first(conn).optional()?;
    Ok(row.map(Provider::try_from).transpose()?)
}

fn load(conn: &mut SqliteConnection, id: i64) -> Result<Provider, EditError> {
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
        conn.immediate_transaction::<_, EditError, _>(|conn| {
            if let Some(other) = owner_of(conn, &data.external_id)? {
                return Err(EditError::ExternalIdTaken(data.external_id.clone(), other));
            }
            let now = now_text();
            let id: i64 = diesel::insert_into(providers::table)
                .values((
                    ProviderFields::from(data),
                    providers::created_at.eq(&now),
                    providers::updated_at.eq(&now),
                ))
                .returning(providers::id)
                .get_result(conn)?;
            write_audit(conn, actor, "provider.create", &format!("provider {id} ({})", data.external_id), 1)?;
            changes::bump(conn)?;
            load(conn, id)
        })
    }

    /// Replaces every field of provider `id`; `action` names the edit in the audit log.
    pub fn update_provider(
        &self,
        id: i64,
        data: &ProviderData,
        actor: &str,
        action: &str,
    ) -> Result<Provider, EditError> {
        let mut conn = self.pool.get().map_err(DbError::from)?;
        conn.immediate_transaction::<_, EditError, _>(|conn| {
            let before = load(conn, id)?;
            if let Some(other) = owner_of(conn, &data.external_id)?.filter(|other| *other != id) {
                return Err(EditError::ExternalIdTaken(data.external_id.clone(), other));
            }
            if before.data == *data {
                return Ok(before);
            }
            diesel::update(providers::table.find(id))
                .set((ProviderFields::from(data), providers::updated_at.eq(now_text())))
                .execute(conn)?;
            write_audit(conn, actor, action, &format!("provider {id} ({})", data.external_id), 1)?;
            changes::bump(conn)?;
            load(conn, id)
        })
    }
}
