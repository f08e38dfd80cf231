//! A snapshot's records kept in a file, so that a restart reads one file and the rows changed
//! since, instead of every column of every row (at 1M, SQLite alone took 1.8–2.1 s to read
//! them, and converting and packing them as much again).
//!
//! The file is a copy and never the truth. It names the database it was made from (a random id
//! kept in that database) and the change it is current at. A start-up uses it only when the
//! database is the same and has not gone back before that change. It brings the copy up to date
//! from the rows changed since, as every running server brings its snapshot up to date, and
//! falls back to reading every row when the file is absent, damaged (a checksum covers every
//! byte), made by another build, or behind a change that did not mark its rows.
//!
//! The file holds what the snapshot holds, confidential exact points and addresses too: it is
//! written readable by its owner only, like a database file.

use super::Snapshot;
use super::records::Records;
use crate::model::LonLat;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The first bytes of every such file.
const MAGIC: &[u8; 8] = b"BELLMAP\x01";

/// A snapshot's records and points as read back from a file.
pub struct Saved {
    /// The change the records are current at.
    pub version: u64,
    pub records: Records,
    pub points: Vec<LonLat>,
}

/// What must be equal for a file to be read by this build: the crate's version and the sources
/// that decide what the bytes mean (how records are packed, the order of categories and of the
/// enumerations their flags index, how public points are worked out). Any edit to them, even a
/// comment, makes older files unread; that costs one slow start, and a stale layout read as the
/// current one would cost wrong phone numbers.
fn fingerprint() -> u64 {
    let sources = [
        env!("CARGO_PKG_VERSION"),
        include_str!("saved.rs"),
        include_str!("records.rs"),
        include_str!("records/bytes.rs"),
        include_str!("mod.rs"),
        include_str!("../model/category.rs"),
        include_str!("../model/fields.rs"),
        include_str!("../model/provider.rs"),
        include_str!("../model/geo_point.rs"),
        include_str!("../public_point.rs"),
    ];
    // FNV-1a over every byte: stable across builds and platforms, unlike the std hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for source in sources {
        for &b in source.as_bytes().iter().chain(&[0]) {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// Writes `snap` to `path` for the database `database`: into a new file beside it, which then
/// replaces `path` whole, so a reader never sees half a file and a crash leaves the old one
/// (and a `.partial` file the next write replaces). Two processes writing at once can mix
/// their bytes in the new file; its checksum then fails, and it is not read.
pub fn write(path: &Path, database: &str, snap: &Snapshot) -> io::Result<()> {
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&partial)?;
        let mut out = Out::new(BufWriter::with_capacity(1 << 20, file));
        out.bytes(MAGIC)?;
        out.u64(fingerprint())?;
        out.str(database)?;
        out.u64(snap.version)?;
        snap.records.write_to(&mut out)?;
        out.u64(snap.points.len() as u64)?;
        for p in snap.points.iter() {
            out.bytes(&point_bytes(*p))?;
        }
        let file = out.finish()?.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&partial, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

/// The snapshot saved in `path` for the database `database`: `None` when there is no file, or
/// it was made for another database or by another build. A damaged file is an error.
pub fn read(path: &Path, database: &str) -> io::Result<Option<Saved>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let size = file.metadata()?.len();
    let mut input = In::new(BufReader::with_capacity(1 << 20, file), size);
    if &input.array::<8>()? != MAGIC || input.u64()? != fingerprint() {
        return Ok(None);
    }
    if input.string()? != database {
        return Ok(None);
    }
    let version = input.u64()?;
    let records = Records::read_from(&mut input)?;
    let n = input.count(16)?;
    if n != records.len() {
        return Err(invalid("as many points as records"));
    }
    let mut points = Vec::with_capacity(n);
    for _ in 0..n {
        let p = point_of(&input.array::<16>()?);
        if !(p.lon.is_finite() && p.lat.is_finite()) {
            return Err(invalid("finite points"));
        }
        points.push(p);
    }
    input.finish()?;
    Ok(Some(Saved { version, records, points }))
}

/// A point in 16 bytes: longitude, then latitude.
pub(super) fn point_bytes(p: LonLat) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&p.lon.to_le_bytes());
    b[8..].copy_from_slice(&p.lat.to_le_bytes());
    b
}

/// The point `point_bytes` wrote.
pub(super) fn point_of(b: &[u8; 16]) -> LonLat {
    LonLat { lon: f64::from_le_bytes(take(b, 0)), lat: f64::from_le_bytes(take(b, 8)) }
}

/// `N` bytes of `b` from `at`.
pub(super) fn take<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[at..at + N]);
    out
}

/// A damaged file: `what` was expected.
pub(super) fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("not a saved snapshot: expected {what}"))
}

/// Bytes written, with a running checksum that `finish` appends.
pub(super) struct Out<W: Write> {
    w: W,
    crc: crc32fast::Hasher,
}

impl<W: Write> Out<W> {
    fn new(w: W) -> Self {
        Out { w, crc: crc32fast::Hasher::new() }
    }

    pub(super) fn bytes(&mut self, b: &[u8]) -> io::Result<()> {
        self.crc.update(b);
        self.w.write_all(b)
    }

    pub(super) fn u64(&mut self, v: u64) -> io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    pub(super) fn str(&mut self, s: &str) -> io::Result<()> {
        self.u64(s.len() as u64)?;
        self.bytes(s.as_bytes())
    }

    fn finish(mut self) -> io::Result<W> {
        let crc = self.crc.finalize();
        self.w.write_all(&crc.to_le_bytes())?;
        Ok(self.w)
    }
}

/// Bytes read, checked against the checksum at the end by `finish`.
pub(super) struct In<R: Read> {
    r: R,
    crc: crc32fast::Hasher,
    /// Bytes of the file not yet read: no count may promise more items than they can hold.
    left: u64,
}

impl<R: Read> In<R> {
    fn new(r: R, size: u64) -> Self {
        In { r, crc: crc32fast::Hasher::new(), left: size }
    }

    pub(super) fn array<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut b = [0u8; N];
        self.r.read_exact(&mut b)?;
        self.crc.update(&b);
        self.left = self.left.saturating_sub(N as u64);
        Ok(b)
    }

    pub(super) fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A count of items of at least `item_bytes` bytes each, which the rest of the file can
    /// hold: a damaged count is an error here, not a huge allocation before the checksum.
    pub(super) fn count(&mut self, item_bytes: u64) -> io::Result<usize> {
        let n = self.u64()?;
        (n.checked_mul(item_bytes).is_some_and(|bytes| bytes <= self.left))
            .then_some(n as usize)
            .ok_or_else(|| invalid("a count the file can hold"))
    }

    pub(super) fn string(&mut self) -> io::Result<String> {
        let n = self.count(1)?;
        let mut b = vec![0u8; n];
        self.r.read_exact(&mut b)?;
        self.crc.update(&b);
        self.left -= n as u64;
        String::from_utf8(b).map_err(|_| invalid("UTF-8 text"))
    }

    /// The checksum matches every byte read, and nothing follows it.
    fn finish(mut self) -> io::Result<()> {
        let computed = self.crc.clone().finalize();
        let mut stored = [0u8; 4];
        self.r.read_exact(&mut stored)?;
        if u32::from_le_bytes(stored) != computed {
            return Err(invalid("the checksum of its bytes"));
        }
        if self.r.read(&mut [0u8; 1])? != 0 {
            return Err(invalid("its end after the checksum"));
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::Provider;

    /// Every record, exact point and public point of `a` is `b`'s, slot by slot.
    pub(crate) fn assert_same(a: &Snapshot, b: &Snapshot) {
        assert_eq!(a.version, b.version);
        assert_eq!(a.records.len(), b.records.len());
        for (slot, (x, y)) in a.records.iter().zip(b.records.iter()).enumerate() {
            assert!(x == y, "slot {slot}: {:?} and {:?} differ", x.id(), y.id());
        }
        assert_eq!(a.points[..], b.points[..]);
        assert_eq!(a.tree.size(), b.tree.size());
    }

    fn sample() -> Vec<Provider> {
        let providers = crate::sample::providers(3_000, 11);
        assert!(providers.iter().filter(|p| p.data.confidential).count() > 5, "some are confidential");
        providers
    }

    #[test]
    fn a_saved_snapshot_reads_back_as_itself_and_takes_later_changes_as_the_original_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.snapshot");
        let providers = sample();
        let snap = Snapshot::build(7, providers.clone());
        write(&path, "db-1", &snap).unwrap();
        let saved = || read(&path, "db-1").unwrap().expect("the file is this database's");
        let restored = Snapshot::restore(saved(), 7, Vec::new());
        assert_same(&snap, &restored);
        // An edit packs against the dictionary read back: values found there stay shared.
        let mut changed: Vec<Provider> = providers[100..110].to_vec();
        for p in &mut changed {
            p.data.name.push_str(" (moved)");
        }
        changed[0].data.status = crate::model::Status::Inactive;
        let mut added = providers[0].clone();
        added.id = crate::model::ProviderId(90_000);
        changed.push(added);
        let edited = snap.with_changes(8, changed.clone());
        assert_same(&edited, &restored.with_changes(8, changed.clone()));
        assert_same(&edited, &Snapshot::restore(saved(), 8, changed));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by its owner only: {mode:o}");
        }
    }

    #[test]
    fn a_file_of_another_database_or_none_is_not_read_and_a_damaged_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.snapshot");
        assert!(read(&path, "db-1").unwrap().is_none(), "no file");
        write(&path, "db-1", &Snapshot::build(3, sample())).unwrap();
        assert!(read(&path, "db-2").unwrap().is_none(), "another database's");
        let bytes = std::fs::read(&path).unwrap();
        let mut other_build = bytes.clone();
        other_build[8] ^= 1;
        std::fs::write(&path, &other_build).unwrap();
        assert!(read(&path, "db-1").unwrap().is_none(), "another build's");
        let damaged = |bytes: Vec<u8>| {
            std::fs::write(&path, &bytes).unwrap();
            read(&path, "db-1")
        };
        assert!(damaged(bytes[..bytes.len() - 1].to_vec()).is_err(), "cut short");
        assert!(damaged([&bytes[..], &[0]].concat()).is_err(), "a byte after the end");
        // One byte changed anywhere past the header: never read as a snapshot, never a panic.
        let header = 8 + 8 + 8 + "db-1".len();
        for k in 0..300 {
            let at = header + (bytes.len() - header) * k / 300;
            let mut one = bytes.clone();
            one[at] = one[at].wrapping_add(1 + k as u8 % 200);
            assert!(damaged(one).is_err(), "byte {at} of {} changed", bytes.len());
        }
        assert!(damaged(bytes).unwrap().is_some(), "and the file as written reads");
    }
}
