//! `mrt fix` and `mrt explain`: tools built on the scanner's [`MigrationAST`].
//!
//! Both read one migration file: the scanner classifies its operations, and the byte ranges
//! in the model lead back to the exact source text of every argument, so a generated
//! downgrade repeats the user's own expressions (`sa.String(30)`, `Model.__tablename__`).

pub mod chain;
pub mod explain;
pub mod fix;
#[cfg(test)]
mod tests;

use ruff_python_ast::ModModule;
use ruff_python_parser::Parsed;

use crate::Error;
use crate::rules::Rule;
use crate::scan::{self, FileScan};
use crate::scanner;
use crate::scanner::model::{Framework, MigrationAST};

/// Scan one in-memory file and insist it is a readable migration: bad input is one line.
pub(crate) fn scan_one(path: &str, source: &str) -> Result<(FileScan, MigrationAST), Error> {
    scan_one_with_syntax(path, source).map(|(file, m, _)| (file, m))
}

/// [`scan_one`], with the syntax tree the model was built from.
pub(crate) fn scan_one_with_syntax(
    path: &str,
    source: &str,
) -> Result<(FileScan, MigrationAST, Option<Parsed<ModModule>>), Error> {
    let (mut file, parsed) =
        scan::build::scan_file_with_syntax(path.to_string(), 0, source.as_bytes());
    if let Some(d) = file
        .diagnostics
        .iter()
        .find(|d| matches!(d.rule, Rule::SyntaxError | Rule::UnreadableFile))
    {
        let lines = scanner::source::Lines::new(&file.source);
        let (line, col) = lines.line_col(d.range.start());
        return Err(Error::Usage(format!("{path}:{line}:{col}: {}", d.message)));
    }
    let Some(migration) = file.migration.take() else {
        let why = if source.trim().is_empty() {
            "empty file"
        } else {
            "no revision, upgrade() or Django Migration class"
        };
        return Err(Error::Usage(format!(
            "{path}: not an Alembic or Django migration ({why})"
        )));
    };
    Ok((file, migration, parsed))
}

/// A Python string literal for `s` (double-quoted, escaped).
#[must_use]
pub fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The framework's name as users know it.
#[must_use]
pub fn framework_name(f: Framework) -> &'static str {
    match f {
        Framework::Alembic => "Alembic",
        Framework::Django => "Django",
    }
}

/// Collapse whitespace and cut long text for one-line messages.
#[must_use]
pub fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}
