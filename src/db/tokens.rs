//! API tokens. Only a SHA-256 hash of each token is stored; the token itself is shown once.

use super::audit::write_audit;
use super::rows::now_text;
use super::schema::api_tokens;
use super::write_transaction;
use super::{Db, DbError};
use crate::model::{Caller, Role};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

/// A token's public facts (never the token or its hash).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("a token named '{0}' already exists")]
    NameTaken(String),
    #[error("no active token is named '{0}'")]
    NoSuchToken(String),
    #[error("a token name is 1 to 100 letters, digits, '-', '_' or '.'")]
    BadName,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for TokenError {
    fn from(e: diesel::result::Error) -> Self {
        TokenError::Db(DbError::Query(e))
    }
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl Db {
    /// Creates a token and returns it: the only time it is ever visible.
    pub fn create_token(&self, name: &str, role: Role, actor: &str) -> Result<String, TokenError> {
        let valid = (1..=100).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !valid {
            return Err(TokenError::BadName);
        }
        let bytes: [u8; 32] = rand::random();
        let token = format!("bm_{}", URL_SAFE_NO_PAD.encode(bytes));
        let mut conn = self.pool.get().map_err(DbError::from)?;
        write_transaction::<_, TokenError, _>(&mut conn, |conn| {
            let taken: i64 = api_tokens::table.filter(api_tokens::name.eq(name)).count().get_result(conn)?;
            if taken > 0 {
                return Err(TokenError::NameTaken(name.to_string()));
            }
            diesel::insert_into(api_tokens::table)
                .values((
                    api_tokens::name.eq(name),
                    api_tokens::role.eq(role.as_str()),
                    api_tokens::token_hash.eq(hash(&token)),
                    api_tokens::created_at.eq(now_text()),
                ))
                .execute(conn)?;
            write_audit(conn, actor, "token.create", &format!("token '{name}' ({})", role.as_str()), 0)?;
            Ok(())
        })?;
        Ok(token)
    }

    pub fn list_tokens(&self) -> Result<Vec<TokenInfo>, DbError> {
        let mut conn = self.pool.get()?;
        let rows: Vec<(String, String, String, Option<String>)> = api_tokens::table
            .order(api_tokens::id)
            .select((api_tokens::name, api_tokens::role, api_tokens::created_at, api_tokens::revoked_at))
            .load(&mut conn)?;
        Ok(rows
            .into_iter()
            .filter_map(|(name, role, created_at, revoked_at)| {
                Some(TokenInfo { name, role: Role::parse(&role)?, created_at, revoked_at })
            })
            .collect())
    }

    pub fn revoke_token(&self, name: &str, actor: &str) -> Result<(), TokenError> {
        let mut conn = self.pool.get().map_err(DbError::from)?;
        write_transaction::<_, TokenError, _>(&mut conn, |conn| {
            let n = diesel::update(
                api_tokens::table.filter(api_tokens::name.eq(name)).filter(api_tokens::revoked_at.is_null()),
            )
            .set(api_tokens::revoked_at.eq(now_text()))
            .execute(conn)?;
            if n == 0 {
                return Err(TokenError::NoSuchToken(name.to_string()));
            }
            write_audit(conn, actor, "token.revoke", &format!("token '{name}'"), 0)?;
            Ok(())
        })
    }

    /// The holder of `token`, if it is known and not revoked.
    pub fn authenticate(&self, token: &str) -> Result<Option<Caller>, DbError> {
        let mut conn = self.pool.get()?;
        let row: Option<(String, String)> = api_tokens::table
            .filter(api_tokens::token_hash.eq(hash(token)))
            .filter(api_tokens::revoked_at.is_null())
            .select((api_tokens::name, api_tokens::role))
            .first(&mut conn)
            .optional()?;
        Ok(row.and_then(|(name, role)| Some(Caller { name, role: Role::parse(&role)? })))
    }
}
