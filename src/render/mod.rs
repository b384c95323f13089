//! One diagnostic model, many output formats: `table` (80-column pipes and wide terminals),
//! `json` (the SPEC list), `sarif` (2.1.0, for code-scanning upload) and `github`
//! (workflow annotations). Each renderer is a pure function, snapshot-tested.

mod github;
mod json;
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
        Format::Table => table::render(findings, ctx),
        Format::Json => json::render(findings),
        Format::Sarif => sarif::render(findings, ctx),
        Format::Github => github::render(findings),
    }
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
