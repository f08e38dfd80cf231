//! Opaque page cursors, tied to one snapshot and one query, and signed so they cannot be
//! forged or edited. A cursor binds a digest of its typed request ([`scope`]), never its text,
//! and carries the instant an open filter was evaluated at, so the next page uses it too.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

const MAC_LEN: usize = 16;
/// Snapshot, offset and instant, 8 bytes each.
const PAYLOAD_LEN: usize = 24;
/// The instant of a cursor without one.
const NO_INSTANT: i64 = i64::MIN;

/// Signs and checks cursors. The key is stored in the database, so every process on it
/// signs alike, and the snapshot version is the database's change sequence: a cursor works on
/// any instance and after a restart, for as long as the data have not changed.
pub struct CursorKey([u8; 32]);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub snapshot: u64,
    pub offset: u64,
    /// The instant (seconds since the epoch) an open filter of the paged request was evaluated at.
    pub at: Option<i64>,
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

    fn mac(&self, payload: &[u8], scope: &[u8]) -> [u8; MAC_LEN] {
        let mut h = Sha256::new();
        h.update(self.0);
        h.update(payload);
        h.update(scope);
        let full = h.finalize();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    /// `scope` identifies the request the cursor pages (see [`scope`]).
    pub fn encode(&self, cursor: Cursor, scope: &[u8]) -> String {
        let mut bytes = Vec::with_capacity(PAYLOAD_LEN + MAC_LEN);
        bytes.extend_from_slice(&cursor.snapshot.to_be_bytes());
        bytes.extend_from_slice(&cursor.offset.to_be_bytes());
        bytes.extend_from_slice(&cursor.at.unwrap_or(NO_INSTANT).to_be_bytes());
        let mac = self.mac(&bytes, scope);
        bytes.extend_from_slice(&mac);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(&self, raw: &str, scope: &[u8], current_snapshot: u64) -> Result<Cursor, CursorError> {
        let bytes = payload(raw).ok_or(CursorError::Invalid)?;
        let (payload, mac) = bytes.split_at(PAYLOAD_LEN);
        // Not constant-time: a cursor guards no secret, only consistency of paging.
        if self.mac(payload, scope) != mac {
            return Err(CursorError::Invalid);
        }
        let (snapshot, offset) = (be_u64(&payload[..8]), be_u64(&payload[8..16]));
        if snapshot != current_snapshot {
            return Err(CursorError::Stale);
        }
        Ok(Cursor { snapshot, offset, at: instant_of(payload) })
    }
}

/// A cursor's bytes, if it has the right length.
fn payload(raw: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(raw.trim()).ok().filter(|b| b.len() == PAYLOAD_LEN + MAC_LEN)
}

fn instant_of(payload: &[u8]) -> Option<i64> {
    Some(be_u64(&payload[16..PAYLOAD_LEN]) as i64).filter(|at| *at != NO_INSTANT)
}

/// The instant a cursor carries, read before it is checked: the request is then built with
/// it, and `decode` refuses the cursor unless it was issued for that request and instant.
pub fn instant(raw: &str) -> Option<i64> {
    payload(raw).and_then(|b| instant_of(&b))
}

/// A big-endian u64 from 8 bytes.
fn be_u64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |n, b| n << 8 | u64::from(*b))
}

/// What a cursor is bound to: a digest of its route and of everything `feed` gives it (the
/// typed request but its cursor), so a cursor works only for the request it came from.
pub fn scope(route: &str, feed: impl FnOnce(&mut Sha256)) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((route.len() as u64).to_be_bytes());
    h.update(route.as_bytes());
    feed(&mut h);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_tamper_and_stale() {
        let key = CursorKey::random();
        let c = Cursor { snapshot: 3, offset: 200, at: None };
        let s = key.encode(c, b"q");
        assert_eq!(key.decode(&s, b"q", 3), Ok(c));
        assert_eq!(instant(&s), None);
        let timed = Cursor { at: Some(1_800_000_000), ..c };
        let t = key.encode(timed, b"q");
        assert_eq!(key.decode(&t, b"q", 3), Ok(timed));
        assert_eq!(instant(&t), Some(1_800_000_000));
        assert_eq!(key.decode(&s, b"other query", 3), Err(CursorError::Invalid));
        assert_eq!(key.decode(&s, b"q", 4), Err(CursorError::Stale));
        let mut chars: Vec<char> = s.chars().collect();
        chars[5] = if chars[5] == 'A' { 'B' } else { 'A' };
        assert_eq!(key.decode(&chars.into_iter().collect::<String>(), b"q", 3), Err(CursorError::Invalid));
        assert_eq!(key.decode("not base64!", b"q", 3), Err(CursorError::Invalid));
        assert_eq!(CursorKey::random().decode(&s, b"q", 3), Err(CursorError::Invalid));
    }
}
