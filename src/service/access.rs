//! Who may call: API tokens, and what was done: the audit log; and whether the store answers.

use super::{AuditEntry, Service, ServiceError, TokenInfo};
use crate::model::{Caller, Role};

impl Service {
    /// The holder of `token`, if it is known and not revoked.
    pub fn authenticate(&self, token: &str) -> Result<Option<Caller>, ServiceError> {
        Ok(self.db.authenticate(token)?)
    }

    /// Creates a token and returns it: the only time it is ever visible.
    pub fn create_token(&self, name: &str, role: Role, actor: &str) -> Result<String, ServiceError> {
        Ok(self.db.create_token(name, role, actor)?)
    }

    pub fn list_tokens(&self) -> Result<Vec<TokenInfo>, ServiceError> {
        Ok(self.db.list_tokens()?)
    }

    pub fn revoke_token(&self, name: &str, actor: &str) -> Result<(), ServiceError> {
        Ok(self.db.revoke_token(name, actor)?)
    }

    /// The audit log, newest first, with the total count.
    pub fn audit_log(&self, offset: i64, limit: i64) -> Result<(Vec<AuditEntry>, i64), ServiceError> {
        Ok(self.db.list_audit(offset, limit)?)
    }
}
