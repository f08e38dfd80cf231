//! Single-record admin use cases: read any record, create, edit, redraw a public point. Input
//! comes as values by CSV column and is validated exactly as an import row is.

use super::{FieldProblem, Service, ServiceError};
use crate::ingest::{parse_fields, to_fields};
use crate::model::{Column, LocationPrecision, Provider, ProviderData, Status};
use std::collections::BTreeMap;

/// One change to a stored provider.
#[derive(Debug, Clone)]
pub enum ProviderEdit {
    /// Sets these columns (an empty value clears one) over the stored record.
    Update(BTreeMap<Column, String>),
    /// Takes the provider off the public map; it is kept.
    Deactivate,
    /// Puts it back.
    Reactivate,
}

impl ProviderEdit {
    /// The action named in the audit log.
    fn action(&self) -> &'static str {
        match self {
            ProviderEdit::Update(_) => "provider.update",
            ProviderEdit::Deactivate => "provider.deactivate",
            ProviderEdit::Reactivate => "provider.reactivate",
        }
    }

    /// The stored record as values by column, changed.
    fn apply(self, current: &ProviderData) -> BTreeMap<Column, String> {
        let mut cells = to_fields(current);
        match self {
            ProviderEdit::Update(changes) => {
                // New coordinates are where someone put the provider: exact, unless the same
                // edit says otherwise.
                let moved = changes.contains_key(&Column::Lat) || changes.contains_key(&Column::Lon);
                if moved && !changes.contains_key(&Column::LocationPrecision) {
                    cells.insert(Column::LocationPrecision, LocationPrecision::Exact.as_str().into());
                }
                cells.extend(changes)
            }
            ProviderEdit::Deactivate => _ = cells.insert(Column::Status, Status::Inactive.as_str().into()),
            ProviderEdit::Reactivate => _ = cells.insert(Column::Status, Status::Active.as_str().into()),
        }
        cells
    }
}

/// Validates values by column exactly as an import validates a CSV row.
fn validate(cells: &BTreeMap<Column, String>) -> Result<ProviderData, ServiceError> {
    parse_fields(cells)
        .map_err(|problems| ServiceError::Invalid(problems.into_iter().map(FieldProblem::from).collect()))
}

impl Service {
    /// One provider, any status, every field. Showing a confidential one is audited as a
    /// reveal to `actor`.
    pub fn provider_record(&self, id: i64, actor: &str) -> Result<Provider, ServiceError> {
        let p = self
            .db
            .get_provider(id)?
            .ok_or_else(|| ServiceError::NotFound(format!("no provider has id {id}")))?;
        if p.data.confidential {
            let detail = format!("provider {id} (all fields, via the admin record)");
            self.audit.record(actor, "reveal", detail, 1);
        }
        Ok(p)
    }

    /// Creates one provider from values by column and publishes.
    pub fn create_provider(
        &self,
        cells: &BTreeMap<Column, String>,
        actor: &str,
    ) -> Result<Provider, ServiceError> {
        let data = validate(cells)?;
        let _writer = self.writer();
        let created = self.db.create_provider(&data, actor)?;
        self.refresh()?;
        Ok(created)
    }

    /// Reads provider `id`, applies `edit` and validates the result like an import row, and
    /// writes it: one transaction under the write lock, so no import commits in between; publishes.
    pub fn edit_provider(&self, id: i64, actor: &str, edit: ProviderEdit) -> Result<Provider, ServiceError> {
        let _writer = self.writer();
        let action = edit.action();
        let updated =
            self.db.edit_provider(id, actor, action, |current| validate(&edit.apply(&current.data)))?;
        self.refresh()?;
        Ok(updated)
    }

    /// Draws a new public point for a confidential provider, as an admin asked; publishes.
    pub fn redraw_public_point(&self, id: i64, actor: &str) -> Result<Provider, ServiceError> {
        let _writer = self.writer();
        let updated = self.db.redraw_public_point(id, actor)?;
        self.refresh()?;
        Ok(updated)
    }
}
