//! Opaque page cursors, tied to one snapshot and one query, and signed so they cannot be
//! forged or edited.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

const MAC_LEN: usize = 16;

/// Signs and checks cursors. The key is stored in the database, so every process on it
/// signs alike, and the snapshot version is the database's change sequence: a cursor works on
/// any instance and after a restart, for as long as the data have not changed.
pub struct CursorKey([u8; 32]);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub snapshot: u64,
    pub offset: u64,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("is not a cursor this server issued for this query; start again without a cursor")]
    Invalid,
    #[error("the directory changed since this cursor was issued; start again without a cursor")]
    Stale,
}

impl CursorKey {
    pub fn new(key: [u8; 32]) -> CursorKey {
        CursorKey(key)
    }

    pub fn random() -> CursorKey {
        CursorKey(rand::random())
    }

    fn mac(&self, payload: &[u8], query: &str) -> [u8; MAC_LEN] {
        let mut h = Sha256::new();
        h.update(self.0);
        h.update(payload);
        h.update(query.as_bytes());
        let full = h.finalize();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    /// `query` is a canonical description of the request (everything but the cursor).
    pub fn encode(&self, cursor: Cursor, query: &str) -> String {
        let mut bytes = Vec::with_capacity(16 + MAC_LEN);
        bytes.extend_from_slice(&cursor.snapshot.to_be_bytes());
        bytes.extend_from_slice(&cursor.offset.to_be_bytes());
        let mac = self.mac(&bytes, query);
        bytes.extend_from_slice(&mac);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(&self, raw: &str, query: &str, current_snapshot: u64) -> Result<Cursor, CursorError> {
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| CursorError::Invalid)?;
        if bytes.len() != 16 + MAC_LEN {
            return Err(CursorError::Invalid);
        }
        let (payload, mac) = bytes.split_at(16);
        // Not constant-time: a cursor guards no secret, only consistency of paging.
        if self.mac(payload, query) != mac {
            return Err(CursorError::Invalid);
        }
        let snapshot = u64::from_be_bytes(payload[..8].try_into().expect("8 bytes"));
        let offset = u64::from_be_bytes(payload[8..].try_into().expect("8 bytes"));
        if snapshot != current_snapshot {
            return Err(CursorError::Stale);
        }
        Ok(Cursor { snapshot, offset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_tamper_and_stale() {
        let key = CursorKey::random();
        let c = Cursor { snapshot: 3, offset: 200 };
        let s = key.encode(c, "q");
        assert_eq!(key.decode(&s, "q", 3), Ok(c));
        assert_eq!(key.decode(&s, "other query", 3), Err(CursorError::Invalid));
        assert_eq!(key.decode(&s, "q", 4), Err(CursorError::Stale));
        let mut chars: Vec<char> = s.chars().collect();
        chars[5] = if chars[5] == 'A' { 'B' } else { 'A' };
        assert_eq!(key.decode(&chars.into_iter().collect::<String>(), "q", 3), Err(CursorError::Invalid));
        assert_eq!(key.decode("not base64!", "q", 3), Err(CursorError::Invalid));
        assert_eq!(CursorKey::random().decode(&s, "q", 3), Err(CursorError::Invalid));
    }
}
