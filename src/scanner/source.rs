//! Reading a migration file: bytes to text (PEP 263), suppression comments, and the
//! line index that turns byte offsets into line/column at the edges.

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_source_file::LineIndex;
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::model::Suppression;

/// Decode a Python source file the way the interpreter would: UTF-8 unless a PEP 263
/// declaration on line 1 or 2 names another codec. The error is one line (without the path).
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let codec = coding_declaration(bytes).map(|c| c.to_ascii_lowercase().replace('_', "-"));
    match codec.as_deref() {
        None | Some("utf-8" | "utf8" | "utf-8-sig") => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text.to_string()),
            Err(err) => Err(format!(
                "not valid UTF-8 (byte 0x{:02x} at offset {}) and no PEP 263 coding declaration \
                 names another encoding",
                bytes[err.valid_up_to()],
                err.valid_up_to()
            )),
        },
        Some("latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" | "iso-latin-1") => {
            Ok(bytes.iter().map(|&b| char::from(b)).collect())
        }
        Some("cp1252" | "windows-1252") => Ok(bytes.iter().map(|&b| cp1252(b)).collect()),
        Some("ascii" | "us-ascii") => {
            if let Some(pos) = bytes.iter().position(|b| !b.is_ascii()) {
                Err(format!("declares coding ascii but byte {pos} is not ASCII"))
            } else {
                Ok(String::from_utf8_lossy(bytes).into_owned())
            }
        }
        Some(other) => Err(format!(
            "declares coding '{other}', which the scanner cannot decode (use UTF-8)"
        )),
    }
}

/// The codec named by a `coding[:=]` comment on one of the first two lines.
fn coding_declaration(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|&b| b == b'\n').take(2) {
        let line = String::from_utf8_lossy(line);
        let trimmed = line.trim_start();
        if !trimmed.starts_with('#') {
            continue;
        }
        if let Some(pos) = trimmed.find("coding") {
            let rest = &trimmed[pos + "coding".len()..];
            let Some(rest) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('=')) else {
                continue;
            };
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            if !name.is_empty() {
                return Some(name);
            }
        }
    }
    None
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20ac}', '\u{81}', '\u{201a}', '\u{192}', '\u{201e}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{2c6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8d}', '\u{17d}',
        '\u{8f}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2022}', '\u{2013}',
        '\u{2014}', '\u{2dc}', '\u{2122}', '\u{161}', '\u{203a}', '\u{153}', '\u{9d}', '\u{17e}',
        '\u{178}',
    ];
    if (0x80..0xa0).contains(&b) {
        HIGH[usize::from(b - 0x80)]
    } else {
        char::from(b)
    }
}

/// Every `# mrt: ignore`, `# mrt: ignore[CODES]` and `# noqa: MRT...` comment. Comments come
/// from the token stream, so text inside strings never counts.
#[must_use]
pub fn suppressions(source: &str, tokens: &Tokens) -> Vec<Suppression> {
    let mut out = Vec::new();
    for token in tokens.iter() {
        if token.kind() != TokenKind::Comment {
            continue;
        }
        let range = token.range();
        let text = &source[range];
        if let Some(codes) = parse_suppression(text) {
            out.push(Suppression { range, codes });
        }
    }
    out
}

/// `Some(codes)` when the comment is a suppression (empty codes = every rule).
fn parse_suppression(comment: &str) -> Option<Vec<String>> {
    let lower = comment.to_ascii_lowercase();
    if let Some(pos) = lower.find("mrt:") {
        let rest = lower[pos + 4..].trim_start();
        if let Some(rest) = rest.strip_prefix("ignore") {
            let rest = rest.trim_start();
            if let Some(inner) = rest.strip_prefix('[') {
                let inner = inner.split(']').next().unwrap_or("");
                return Some(split_codes(inner));
            }
            return Some(Vec::new());
        }
    }
    if let Some(pos) = lower.find("noqa:") {
        let codes: Vec<String> = split_codes(&lower[pos + 5..])
            .into_iter()
            .filter(|c| c.starts_with("MRT"))
            .collect();
        if !codes.is_empty() {
            return Some(codes);
        }
    }
    None
}

fn split_codes(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .map(|c| c.trim().to_ascii_uppercase())
        .take_while(|c| !c.starts_with('#'))
        .filter(|c| !c.is_empty())
        .collect()
}

/// Byte offsets to 1-based line and column (columns count characters).
pub struct Lines<'a> {
    index: LineIndex,
    source: &'a str,
}

impl<'a> Lines<'a> {
    #[must_use]
    pub fn new(source: &'a str) -> Self {
        Lines {
            index: LineIndex::from_source_text(source),
            source,
        }
    }

    /// 1-based (line, column) of a byte offset.
    #[must_use]
    pub fn line_col(&self, offset: TextSize) -> (usize, usize) {
        let lc = self.index.line_column(offset, self.source);
        (lc.line.get(), lc.column.get())
    }

    /// 1-based line of a byte offset.
    #[must_use]
    pub fn line(&self, offset: TextSize) -> usize {
        self.index.line_index(offset).get()
    }

    /// First and last 1-based lines a range touches.
    #[must_use]
    pub fn line_span(&self, range: TextRange) -> (usize, usize) {
        let end = if range.end() > range.start() {
            range.end() - TextSize::from(1)
        } else {
            range.end()
        };
        (self.line(range.start()), self.line(end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppression_forms() {
        assert_eq!(parse_suppression("# mrt: ignore"), Some(vec![]));
        assert_eq!(
            parse_suppression("# mrt: ignore[MRT001, mrt004]"),
            Some(vec!["MRT001".to_string(), "MRT004".to_string()])
        );
        assert_eq!(
            parse_suppression("# noqa: E501, MRT002"),
            Some(vec!["MRT002".to_string()])
        );
        assert_eq!(parse_suppression("# noqa: E501"), None);
        assert_eq!(parse_suppression("# a normal comment"), None);
    }

    #[test]
    fn decoding_honours_pep263() {
        assert_eq!(
            decode(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n").unwrap(),
            "# -*- coding: latin-1 -*-\nx = 'é'\n"
        );
        let err = decode(b"x = '\xe9'\n").unwrap_err();
        assert!(err.contains("not valid UTF-8"), "{err}");
        assert!(
            decode(b"# coding: koi8-r\n")
                .unwrap_err()
                .contains("koi8-r")
        );
    }
}
