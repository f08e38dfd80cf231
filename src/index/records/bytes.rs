//! Records as bytes, for the saved snapshot (`index::saved`): the dictionary, the chunks of
//! text, every record's fixed members, and the confidential exact points, little-endian.

use super::{Dictionary, Record, Records, TextAt};
use crate::index::saved::{In, Out, invalid, point_bytes, point_of, take};
use crate::model::{Confidential, ProviderId};
use std::io::{self, Read, Write};
use std::sync::Arc;
use time::{Date, OffsetDateTime, UtcOffset};

/// Bytes of one record in the file.
const RECORD: usize = 48;

impl Records {
    pub(in crate::index) fn write_to<W: Write>(&self, out: &mut Out<W>) -> io::Result<()> {
        out.u64(self.dictionary.values.len() as u64)?;
        for value in &self.dictionary.values {
            out.str(value)?;
        }
        out.u64(self.chunks.len() as u64)?;
        for chunk in &self.chunks {
            out.str(chunk.reveal())?;
        }
        out.u64(self.dead as u64)?;
        out.u64(self.items.len() as u64)?;
        for r in &self.items {
            out.bytes(&encode(r))?;
        }
        out.u64(self.exact.len() as u64)?;
        for (id, at) in &self.exact {
            out.bytes(&id.0.to_le_bytes())?;
            out.bytes(&point_bytes(*at.reveal()))?;
        }
        Ok(())
    }

    /// Records as `write_to` wrote them. Every record's text must lie in a chunk and ids must
    /// ascend; what the text holds is trusted to the file's checksum, as a database's rows are
    /// trusted to the database.
    pub(in crate::index) fn read_from<R: Read>(input: &mut In<R>) -> io::Result<Records> {
        let n = input.count(8)?;
        let mut dictionary = Dictionary::default();
        for _ in 0..n {
            let value: Arc<str> = input.string()?.into();
            if dictionary.ids.insert(value.clone(), dictionary.values.len() as u32).is_some() {
                return Err(invalid("each dictionary value once"));
            }
            dictionary.values.push(value);
        }
        let n = input.count(8)?;
        let mut chunks = Vec::with_capacity(n);
        for _ in 0..n {
            chunks.push(Confidential::new(Arc::<str>::from(input.string()?)));
        }
        let dead = usize::try_from(input.u64()?).map_err(|_| invalid("a byte count"))?;
        let n = input.count(RECORD as u64)?;
        let mut items: Vec<Record> = Vec::with_capacity(n);
        for _ in 0..n {
            let r = decode(&input.array::<RECORD>()?)?;
            let in_chunk = chunks.get(r.text.chunk as usize).is_some_and(|c| {
                let text: &str = c.reveal();
                text.is_char_boundary(r.text.start as usize) && (r.text.start as usize) <= text.len()
            });
            if !in_chunk || items.last().is_some_and(|last| last.id >= r.id) {
                return Err(invalid("records by id, each with its text in a chunk"));
            }
            items.push(r);
        }
        let n = input.count(24)?;
        let mut exact = Vec::with_capacity(n);
        for _ in 0..n {
            let id = ProviderId(i64::from_le_bytes(input.array()?));
            exact.push((id, Confidential::new(point_of(&input.array()?))));
        }
        if !exact.is_sorted_by_key(|(id, _)| *id) {
            return Err(invalid("exact points by id"));
        }
        Ok(Records { dictionary: Arc::new(dictionary), chunks, items, exact, dead })
    }
}

fn encode(r: &Record) -> [u8; RECORD] {
    let mut b = [0u8; RECORD];
    b[..8].copy_from_slice(&r.id.0.to_le_bytes());
    let utc = r.updated_at.to_offset(UtcOffset::UTC);
    b[8..16].copy_from_slice(&utc.unix_timestamp().to_le_bytes());
    b[16..20].copy_from_slice(&utc.nanosecond().to_le_bytes());
    b[20..24].copy_from_slice(&r.updated_at.offset().whole_seconds().to_le_bytes());
    b[24..28].copy_from_slice(&r.text.chunk.to_le_bytes());
    b[28..32].copy_from_slice(&r.text.start.to_le_bytes());
    // No date is Julian day i32::MIN, far before any the time crate can hold.
    let day = r.verified_on.map_or(i32::MIN, Date::to_julian_day);
    b[32..36].copy_from_slice(&day.to_le_bytes());
    b[36..40].copy_from_slice(&r.present.to_le_bytes());
    b[40..44].copy_from_slice(&r.shared.to_le_bytes());
    b[44..46].copy_from_slice(&r.categories.to_le_bytes());
    b[46] = r.flags;
    b
}

fn decode(b: &[u8; RECORD]) -> io::Result<Record> {
    let bad = |_| invalid("a record's dates");
    let offset = UtcOffset::from_whole_seconds(i32::from_le_bytes(take(b, 20))).map_err(bad)?;
    let updated_at = OffsetDateTime::from_unix_timestamp(i64::from_le_bytes(take(b, 8)))
        .and_then(|t| t.replace_nanosecond(u32::from_le_bytes(take(b, 16))))
        .map_err(bad)?
        .to_offset(offset);
    let day = i32::from_le_bytes(take(b, 32));
    let verified_on = match day {
        i32::MIN => None,
        day => Some(Date::from_julian_day(day).map_err(bad)?),
    };
    Ok(Record {
        id: ProviderId(i64::from_le_bytes(take(b, 0))),
        updated_at,
        text: TextAt { chunk: u32::from_le_bytes(take(b, 24)), start: u32::from_le_bytes(take(b, 28)) },
        verified_on,
        present: u32::from_le_bytes(take(b, 36)),
        shared: u32::from_le_bytes(take(b, 40)),
        categories: u16::from_le_bytes(take(b, 44)),
        flags: b[46],
    })
}
