//! One diagnostic model, many output formats: `table` (80-column pipes and wide terminals),
//! `json` (the SPEC list), `sarif` (2.1.0, for code-scanning upload) and `github`
//! (workflow annotations). Each renderer is a pure function, snapshot-tested.

mod github;
pub mod json;
pub mod revision_graph;
mod sarif;
mod table;

use crate::Error;
use crate::diagnostic::{Finding, Severity};

/// An output format of `mrt check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Github,
}

impl Format {
    pub fn parse(name: &str) -> Result<Format, Error> {
        match name.to_ascii_lowercase().as_str() {
            "table" | "text" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "github" => Ok(Format::Github),
            other => Err(Error::Usage(format!(
                "--format: unknown format '{other}' (choose table, json, sarif or github)"
            ))),
        }
    }
}

/// What renderers need besides the findings.
#[derive(Clone, Debug)]
pub struct Context {
    /// Terminal width in columns (80 for pipes).
    pub width: usize,
    pub files: usize,
    pub strict: bool,
    pub version: String,
}

/// Render findings in the chosen format. The text always ends with a newline.
#[must_use]
pub fn render(findings: &[Finding], format: Format, ctx: &Context) -> String {
    match format {
        Format::Table => table::render(&printable(findings), ctx),
        Format::Json => json::render(findings),
        Format::Sarif => sarif::render(findings, ctx),
        Format::Github => github::render(&printable(findings)),
    }
}

/// Findings whose text is safe to print on a terminal: control characters from migration
/// strings (an ESC starting an escape sequence, a carriage return, a newline) are shown as
/// `\x1b`-style escapes instead of being sent raw. JSON and SARIF escape them themselves.
fn printable(findings: &[Finding]) -> Vec<Finding> {
    findings
        .iter()
        .map(|f| Finding {
            revision: escape_controls(&f.revision),
            file: escape_controls(&f.file),
            pattern: escape_controls(&f.pattern),
            message: escape_controls(&f.message),
            fix: f.fix.as_deref().map(escape_controls),
            ..f.clone()
        })
        .collect()
}

/// [`escape_controls`] line by line: the newlines of a multi-line text stay.
#[must_use]
pub fn escape_controls_by_line(text: &str) -> String {
    text.split('\n')
        .map(escape_controls)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` with every control character written as an escape (`\x1b`, `\n`, `\u{9b}`).
#[must_use]
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `mrt check`'s exit code: 1 on errors, or on warnings with `--strict`.
#[must_use]
pub fn exit_code(findings: &[Finding], strict: bool) -> i32 {
    let errors = findings.iter().any(|f| f.severity == Severity::Error);
    let warnings = findings.iter().any(|f| f.severity == Severity::Warning);
    i32::from(errors || (strict && warnings))
}

#[cfg(test)]
mod tests;
