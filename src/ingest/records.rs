//! Records: text → RFC 4180 records with the physical line each starts on.

/// One record as read: the line it starts on and its cells, untrimmed.
pub(super) struct RawRecord {
    pub(super) line: u64,
    pub(super) cells: Vec<String>,
    /// The line where a quoted cell opened that never closed (it ran to the end of the file).
    pub(super) unclosed_quote: Option<u64>,
}

/// RFC 4180 records read as the `csv` crate reads them (see the module documentation), but
/// with true line numbers (the crate's are off after empty lines) and unclosed quotes reported.
/// One pass over the bytes: every delimiter is ASCII, so slicing between them keeps UTF-8 intact.
pub(super) struct Records<'t> {
    pub(super) text: &'t [u8],
    pub(super) pos: usize,
    pub(super) line: u64,
}

/// Line breaks in `b`: LF, CRLF, or a CR alone (old Mac spreadsheets), each counted once.
pub(super) fn count_breaks(b: &[u8]) -> u64 {
    b.iter()
        .enumerate()
        .filter(|(i, c)| **c == b'\n' || (**c == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count() as u64
}

impl Iterator for Records<'_> {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        let b = self.text;
        while let Some(c @ (b'\r' | b'\n')) = b.get(self.pos) {
            self.line += u64::from(*c == b'\n' || b.get(self.pos + 1) != Some(&b'\n'));
            self.pos += 1;
        }
        if self.pos >= b.len() {
            return None;
        }
        let mut record = RawRecord { line: self.line, cells: Vec::new(), unclosed_quote: None };
        loop {
            let mut cell: Vec<u8> = Vec::new();
            if b.get(self.pos) == Some(&b'"') {
                let open = self.line;
                self.pos += 1;
                loop {
                    let rest = &b[self.pos..];
                    let Some(i) = rest.iter().position(|c| *c == b'"') else {
                        self.line += count_breaks(rest);
                        cell.extend_from_slice(rest);
                        self.pos = b.len();
                        record.unclosed_quote = Some(open);
                        break;
                    };
                    self.line += count_breaks(&rest[..i]);
                    cell.extend_from_slice(&rest[..i]);
                    self.pos += i + 1;
                    if b.get(self.pos) == Some(&b'"') {
                        cell.push(b'"');
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
            }
            // Unquoted text, or text after a closing quote (kept, as the csv crate does).
            let rest = &b[self.pos..];
            let end = rest.iter().position(|c| matches!(c, b',' | b'\r' | b'\n')).unwrap_or(rest.len());
            cell.extend_from_slice(&rest[..end]);
            self.pos += end;
            record.cells.push(
                String::from_utf8(cell)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            );
            match b.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'\r') => {
                    self.pos += 1;
                    if b.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.line += 1;
                    return Some(record);
                }
                Some(_) => {
                    self.pos += 1;
                    self.line += 1;
                    return Some(record);
                }
                None => return Some(record),
            }
        }
    }
}
