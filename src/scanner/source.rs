//! Reading a migration file: bytes to text (PEP 263), suppression comments, and the
//! line index that turns byte offsets into line/column at the edges.

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_source_file::LineIndex;
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::model::Suppression;

/// The largest migration file the scanner reads (10 MB; real revisions are a few KB, data
/// migrations with inline rows rarely reach 1 MB).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// How [`read_file`] starts the message of a device, FIFO or socket.
pub const NOT_REGULAR: &str = "not a regular file";

/// Read one migration file: only a regular file (a symlink is followed to one), at most
/// [`MAX_FILE_BYTES`]. A device, FIFO or socket named `*.py` is refused before it is opened
/// (opening a FIFO would block, reading `/dev/zero` never ends). The error is one line,
/// without the path.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read the file: {e}"))?;
    check_kind(&meta)?;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    // The path may have been swapped since the first look.
    check_kind(
        &file
            .metadata()
            .map_err(|e| format!("cannot read the file: {e}"))?,
    )?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

fn too_big() -> String {
    format!(
        "larger than {} MB: not read (a migration file is source code, not data)",
        MAX_FILE_BYTES / (1024 * 1024)
    )
}

pub fn check_kind(meta: &std::fs::Metadata) -> Result<(), String> {
    let ft = meta.file_type();
    if ft.is_file() {
        if meta.len() > MAX_FILE_BYTES {
            return Err(too_big());
        }
        return Ok(());
    }
    Err(format!("{NOT_REGULAR} ({}): not read", kind_of(ft)))
}

#[cfg(unix)]
fn kind_of(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn kind_of(ft: std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// The deepest bracket nesting the scanner parses. CPython itself refuses more than 200
/// nested brackets ("too many nested parentheses"), so no importable migration is refused.
pub const MAX_NESTING: usize = 200;

/// The deepest block nesting (indentation levels) the scanner parses; CPython's own limit.
pub const MAX_BLOCKS: usize = 100;

/// The deepest expression the scanner parses, estimated as operators, calls and subscripts
/// chained along one path (`not not …`, `a + a + …`, `a.b.c…`, `f()()…`, `x if c else …`).
/// Each is a level of recursion in the parser or in the tree it builds; real migrations stay
/// far below (a long `and` chain in a data migration is a few dozen).
pub const MAX_EXPRESSION_DEPTH: usize = 1000;

/// One open bracket level of [`too_deep`]'s pass.
#[derive(Default)]
struct Level {
    /// Chain tokens of the current element (since the last `,`).
    ops: usize,
    /// Deepest bracketed sub-expression of the current element.
    inner: usize,
    /// Deepest element of this level so far.
    best: usize,
}

impl Level {
    fn current(&self) -> usize {
        self.ops + self.inner
    }
    fn depth(&self) -> usize {
        self.best.max(self.current())
    }
    fn separate(&mut self) {
        self.best = self.depth();
        self.ops = 0;
        self.inner = 0;
    }
}

/// Where `source` nests deeper than the scanner will parse, with a one-line reason: a cheap
/// pass over the text before the (recursive) parser sees it, so that hostile input gives a
/// finding instead of a stack overflow. Strings and comments are skipped; brackets inside
/// f-strings count.
// long: one byte loop over the hottest path of a scan; its state (levels, indents, `changed`)
// is touched by every arm, and split into calls it would travel through each of them.
#[allow(clippy::too_many_lines)]
#[must_use]
pub fn too_deep(source: &str) -> Option<(TextSize, String)> {
    let bytes = source.as_bytes();
    let at = |i: usize| TextSize::try_from(i).unwrap_or_default();
    let expression = |i: usize| {
        Some((
            at(i),
            format!(
                "expression nested more than {MAX_EXPRESSION_DEPTH} levels deep (operators, \
                 calls or brackets chained): not parsed"
            ),
        ))
    };
    let mut levels: Vec<Level> = vec![Level::default()];
    let mut indents: Vec<usize> = vec![0];
    let mut line_start = true;
    // The depth of the innermost level changed since it was last compared with the limit: the
    // comparison runs only then, not on every byte (the pass is a hot loop of every scan).
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if line_start && levels.len() == 1 {
            line_start = false;
            let width = bytes[i..]
                .iter()
                .take_while(|c| matches!(c, b' ' | b'\t' | b'\x0c'))
                .count();
            let next = bytes.get(i + width).copied();
            if !matches!(next, None | Some(b'\n' | b'\r' | b'#')) {
                while width < *indents.last().unwrap_or(&0) {
                    indents.pop();
                }
                if width > *indents.last().unwrap_or(&0) {
                    indents.push(width);
                }
                if indents.len() > MAX_BLOCKS + 1 {
                    return Some((
                        at(i),
                        format!(
                            "blocks nested more than {MAX_BLOCKS} deep: not parsed (Python \
                                 itself refuses this file)"
                        ),
                    ));
                }
            }
            i += width;
            continue;
        }
        let top = levels.len() - 1;
        match b {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'\'' | b'"' => {
                let (end, inner) = skip_string(bytes, i, is_fstring_prefix(bytes, i));
                if levels.len() + inner > MAX_NESTING + 1 {
                    return Some((at(i), nesting_message()));
                }
                levels[top].inner = levels[top].inner.max(inner);
                changed = true;
                i = end;
                continue;
            }
            b' ' => {
                // A run of spaces changes nothing: compare what the last byte changed, skip it.
                if changed && levels[top].current() > MAX_EXPRESSION_DEPTH {
                    return expression(i);
                }
                changed = false;
                while i < bytes.len() && bytes[i] == b' ' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                levels[top].ops += 1;
                levels.push(Level::default());
                if levels.len() > MAX_NESTING + 1 {
                    return Some((at(i), nesting_message()));
                }
            }
            b')' | b']' | b'}' if levels.len() > 1 => {
                let inner = levels.pop().map_or(0, |l| l.depth());
                let outer = levels.len() - 1;
                levels[outer].inner = levels[outer].inner.max(inner);
                changed = true;
            }
            b',' | b';' => levels[top].separate(),
            b'\n' if levels.len() == 1 => {
                levels[0].separate();
                line_start = true;
            }
            b'\\' => i += 1, // a line continuation: the next line is not a new statement
            b'-' | b'+' | b'~' | b'*' | b'/' | b'%' | b'@' | b'&' | b'|' | b'^' | b'<' | b'>'
            | b'.' => {
                levels[top].ops += 1;
                changed = true;
            }
            _ if b.is_ascii_alphabetic() || b == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                if matches!(
                    &bytes[start..i],
                    b"not"
                        | b"and"
                        | b"or"
                        | b"in"
                        | b"is"
                        | b"await"
                        | b"lambda"
                        | b"if"
                        | b"else"
                        | b"yield"
                ) {
                    levels[top].ops += 1;
                }
                if levels[top].current() > MAX_EXPRESSION_DEPTH {
                    return expression(start);
                }
                continue;
            }
            _ => {}
        }
        if changed
            && levels
                .last()
                .is_some_and(|l| l.current() > MAX_EXPRESSION_DEPTH)
        {
            return expression(i);
        }
        changed = false;
        i += 1;
    }
    None
}

fn nesting_message() -> String {
    format!(
        "brackets nested more than {MAX_NESTING} deep: not parsed (Python itself refuses this \
         file)"
    )
}

/// Whether the quote at `i` opens an f-string (or t-string): its prefix holds `f` or `t`.
fn is_fstring_prefix(bytes: &[u8], i: usize) -> bool {
    let mut j = i;
    while j > 0 && bytes[j - 1].is_ascii_alphabetic() && i - j < 3 {
        j -= 1;
    }
    if j > 0 && (bytes[j - 1].is_ascii_alphanumeric() || bytes[j - 1] == b'_') {
        return false;
    }
    bytes[j..i]
        .iter()
        .any(|c| matches!(c.to_ascii_lowercase(), b'f' | b't'))
}

/// The end of the string literal opening at `i`, and for an f-string the deepest bracket
/// nesting inside its replacement fields.
fn skip_string(bytes: &[u8], i: usize, fstring: bool) -> (usize, usize) {
    let quote = bytes[i];
    let triple = bytes.len() >= i + 3 && bytes[i + 1] == quote && bytes[i + 2] == quote;
    let mut j = if triple { i + 3 } else { i + 1 };
    let (mut depth, mut deepest) = (0usize, 0usize);
    while j < bytes.len() {
        let b = bytes[j];
        if b == b'\\' {
            j += 2;
            continue;
        }
        if b == quote && (!triple || bytes.get(j + 1..j + 3) == Some(&[quote, quote][..])) {
            return (j + if triple { 3 } else { 1 }, deepest);
        }
        if b == b'\n' && !triple {
            return (j, deepest);
        }
        if fstring {
            match b {
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        j += 1;
    }
    (bytes.len(), deepest)
}

/// How [`decode`] and [`read_file`] start the message of a file that is no source at all.
pub const BINARY: &str = "binary data";

/// Decode a Python source file the way the interpreter would: UTF-8 unless a PEP 263
/// declaration on line 1 or 2 names another codec. The error is one line (without the path).
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        // Python refuses NUL bytes in source whatever the encoding.
        return Err(format!(
            "{BINARY} (a NUL byte at offset {pos}), not Python source"
        ));
    }
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
    for token in tokens {
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
