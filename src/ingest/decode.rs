//! Decoding: a file's bytes → text (UTF-8, or Windows-1252 with a warning), or one problem
//! saying what the file is instead (PDF, workbook, UTF-16, binary data).

use super::csv_file::ParsedFile;
use super::problem::{Code, problem};
use super::records::count_breaks;
use std::borrow::Cow;

/// Turns the file's bytes into text, or explains (as one problem) why it cannot be read as CSV.
pub(super) fn decode<'b>(bytes: &'b [u8], out: &mut ParsedFile) -> Option<Cow<'b, str>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(message) = other_format(bytes) {
        out.problems.push(problem(1, None, None, Code::NotCsv, message));
        return None;
    }
    if looks_binary(bytes) {
        out.problems.push(problem(
            1,
            None,
            None,
            Code::BinaryData,
            "this is not a CSV file: it is mostly binary data (such as an image, a database or a program), \
             not text; in Excel use File › Save As › CSV UTF-8 (Comma delimited)",
        ));
        return None;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => Cow::Borrowed(t),
        Err(e) => {
            let line = 1 + count_breaks(&bytes[..e.valid_up_to()]);
            if !plausible_windows_1252(bytes) {
                out.problems.push(problem(
                    line,
                    None,
                    None,
                    Code::NotUtf8,
                    format!(
                        "line {line} contains bytes that are not UTF-8 text, and the file is not Windows-1252 \
                         text either (it may mix encodings or be damaged); save it from your spreadsheet as \
                         'CSV UTF-8' and try again"
                    ),
                ));
                return None;
            }
            out.warnings.push(problem(
                line,
                None,
                None,
                Code::Windows1252,
                format!(
                    "the file is not UTF-8, so it was read as Windows-1252 (what older Excel saves as 'CSV'); \
                     the first character that is not UTF-8 is on line {line}. Check that accented letters look \
                     right, and next time save as 'CSV UTF-8'"
                ),
            ));
            encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0
        }
    };
    Some(text)
}

/// Recognises files that are certainly not CSV by their first bytes.
fn other_format(b: &[u8]) -> Option<&'static str> {
    Some(if b.starts_with(b"%PDF-") {
        "this is a PDF, not CSV; open the table in Excel (or copy it there) and use File › Save As › \
         CSV UTF-8 (Comma delimited)"
    } else if b.starts_with(b"PK\x03\x04")
        && b.get(30..).is_some_and(|r| r.starts_with(b"mimetypeapplication/vnd.oasis.opendocument"))
    {
        "this is an OpenDocument spreadsheet (.ods), not CSV; in LibreOffice use File › Save As › \
         Text CSV (UTF-8)"
    } else if b.starts_with(b"PK\x03\x04") {
        "this is an Excel workbook (.xlsx, a zip file), not CSV; in Excel use File › Save As › \
         CSV UTF-8 (Comma delimited)"
    } else if b.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        "this is an Excel 97-2003 workbook (.xls), not CSV; in Excel use File › Save As › \
         CSV UTF-8 (Comma delimited)"
    } else if b.starts_with(b"\xFF\xFE") || b.starts_with(b"\xFE\xFF") {
        "this file is UTF-16 text (what Excel calls 'Unicode Text'), not CSV UTF-8; in Excel use File › \
         Save As › CSV UTF-8 (Comma delimited)"
    } else {
        return None;
    })
}

/// Control bytes that never occur in text: NUL and the other C0 controls except tab, LF, FF, CR.
fn is_binary_byte(c: u8) -> bool {
    (c < 0x20 && !matches!(c, b'\t' | b'\n' | 0x0c | b'\r')) || c == 0x7f
}

/// More than 5% of the first 64 KiB are control bytes: binary data, or UTF-16 without a BOM.
fn looks_binary(b: &[u8]) -> bool {
    let sample = &b[..b.len().min(64 * 1024)];
    sample.iter().filter(|c| is_binary_byte(**c)).count() * 20 > sample.len()
}

/// Text saved as Windows-1252: none of the five bytes 1252 leaves undefined, and no valid
/// multi-byte UTF-8 sequence. (Such a sequence means a UTF-8 file with a few damaged bytes,
/// which reading as 1252 would garble everywhere else.)
fn plausible_windows_1252(b: &[u8]) -> bool {
    !b.iter().any(|c| matches!(c, 0x81 | 0x8d | 0x8f | 0x90 | 0x9d))
        && b.utf8_chunks().all(|chunk| chunk.valid().is_ascii())
}
