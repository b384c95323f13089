//! `mrt fix`: write the `downgrade()` that undoes `upgrade()`.
//!
//! The scanner's model says what each upgrade operation is; its ranges lead back to the call
//! in the source, whose argument text is reused verbatim. Operations are undone in reverse
//! order; `batch_alter_table` blocks stay batch blocks. What cannot be undone (dropped columns
//! and tables, rewritten rows, SQL we cannot invert) becomes a clearly marked comment that says
//! which data cannot come back, never a fake inverse.
//!
//! What the downgrade must restore (a dropped column's definition, the old type, nullability
//! and server default of an altered one, a dropped table with its keys and indexes) comes from
//! the symbolic state the chain's replay leaves before this revision ([`super::chain`]), not
//! from what `upgrade()` happens to state in `existing_*` arguments; those are only read when
//! the file has no chain or the replay does not know. What neither says is a marked comment.
//!
//! Only the downgrade's body is replaced (or a new function appended); every other byte of the
//! file, including its line endings, stays as it was. The file is parsed once: the scan's
//! syntax tree serves both the model and the map back to the source.
//!
//! One file per job: [`source_map`] (calls and blocks of the file), [`undo`] (one upgrade
//! call undone), [`alter`] (`alter_column` back), [`restore`] (dropped tables, indexes and
//! constraints re-created from the chain), [`raw_sql`] (SQL inverted), [`conditions`] (the
//! mirror of an `if has_table(...)` around a step), [`imported`] (a project
//! function that forwards to one `op.*` call), [`helpers`] (a function of the migration that
//! `upgrade()` calls with arguments), [`layout`] (indentation, wrapping, `if` branches
//! on the dialect and the splice into the file).

mod alter;
mod conditions;
mod helpers;
mod imported;
mod layout;
mod listing;
mod raw_sql;
mod restore;
mod source_map;
#[cfg(test)]
mod tests;
mod undo;

pub use listing::missing_lines;

use ruff_python_ast::{ModModule, PySourceType, Stmt, StmtFunctionDef};
use ruff_python_parser::Parsed;
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::chain::Chain;
use super::scan_one_with_syntax;
use crate::Error;
use crate::scanner::model::{BodyKind, Dialects, Framework, Function};
use layout::{header_end, indent_at, render};
use source_map::{Index, imported_from, imported_names, module_names, op_alias, sqlalchemy_alias};
use undo::Gen;

/// What `mrt fix` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// No `downgrade()` at all: one is appended.
    Missing,
    /// `downgrade()` only passes (or holds a docstring / `...`): its body is replaced.
    Noop,
    /// `downgrade()` already does something: the proposal replaces it, `--apply` refuses.
    Replace,
    /// Nothing to do: `upgrade()` changes nothing, or the downgrade already matches.
    Nothing,
}

impl Status {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Missing => "missing",
            Status::Noop => "noop",
            Status::Replace => "replace",
            Status::Nothing => "nothing",
        }
    }
}

/// The proposal: the whole new file text and a one-line summary.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub status: Status,
    pub new_source: String,
    pub message: String,
    /// Upgrade operations that could not be undone (written as comments).
    pub irreversible: usize,
    /// Operations undone by generated code.
    pub reversed: usize,
    /// [`Status::Replace`]: the line of the `def downgrade` that already has code.
    pub existing_line: Option<usize>,
}

/// Marks every comment `mrt fix` writes, so users can grep for what needs their attention.
pub const MARK: &str = "# mrt fix:";

/// One generated piece of the downgrade, before indentation.
#[derive(Clone)]
pub(super) enum Item {
    /// A statement, inside the batch block with this index (None: at function level).
    Stmt(Option<usize>, String),
    /// Comment lines (without `# `), at the level of what surrounds them.
    Comment(Vec<String>),
    /// Items that run only on these dialects, as the upgrade's step they undo:
    /// `if op.get_context().dialect.name == "sqlite":`.
    Branch(Dialects, Vec<Item>),
    /// Items that run only when this test holds: the mirror of the upgrade step's own `if`
    /// ([`conditions`]).
    If(String, Vec<Item>),
}

/// Propose (or compute) the fix for one Alembic file.
pub fn fix_source(path: &str, source: &str) -> Result<Outcome, Error> {
    // A byte order mark is no code (Python skips it, and so does the scanner): fix the text
    // after it, and give it back in front.
    match source.strip_prefix('\u{feff}') {
        Some(text) => fix_text(path, text).map(|mut out| {
            out.new_source.insert(0, '\u{feff}');
            out
        }),
        None => fix_text(path, source),
    }
}

/// [`fix_source`] of a text without a byte order mark.
fn fix_text(path: &str, source: &str) -> Result<Outcome, Error> {
    let (_file, m, parsed) = scan_one_with_syntax(path, source)?;
    if m.framework == Framework::Django {
        return Err(Error::Usage(format!(
            "{path}: a Django migration: Django reverses its operations itself (give RunPython/RunSQL a reverse); mrt fix writes Alembic downgrade() functions"
        )));
    }
    let no_upgrade = || Error::Usage(format!("{path}: no upgrade() function to reverse"));
    let upgrade = m.upgrade.as_ref().ok_or_else(no_upgrade)?;
    if !upgrade.changes_something() {
        return Ok(nothing(source, "nothing to fix: upgrade() changes nothing"));
    }
    let parsed = parsed.ok_or_else(|| Error::Internal(format!("{path}: no syntax tree")))?;
    let body = &parsed.syntax().body;
    let up_def = find_def(body, "upgrade").ok_or_else(no_upgrade)?;
    let chain = Chain::load(path, source, &m, imported_names(body));
    let index = Index::of(body, &upgrade.ops, source);
    let mut g = Gen::new(source, index, op_alias(body), chain);
    g.sqlalchemy = sqlalchemy_alias(body);
    g.bound = module_names(body);
    g.imports = imported_from(body);
    path.clone_into(&mut g.path);
    g.created.clone_from(&m.created_tables);
    g.defs = body
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some((f.name.as_str(), f)),
            _ => None,
        })
        .collect();
    g.nested_defs = crate::scanner::alembic::nested_functions(body, source);
    let items = g.undo_upgrade(&upgrade.ops);

    // Layout: indentation unit and line ending of the file.
    let unit = up_def
        .body
        .first()
        .map(|s| indent_at(source, s.start()))
        .filter(|u| !u.is_empty())
        .unwrap_or("    ");
    let nl = if source.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let lines = render(&items, unit, &g);
    let Some((status, new_source, existing_line)) = splice(
        path,
        source,
        &parsed,
        m.downgrade.as_ref(),
        up_def,
        &lines,
        nl,
    )?
    else {
        return Ok(nothing(
            source,
            "nothing to fix: downgrade() already undoes upgrade()",
        ));
    };
    // Never hand back a file that does not parse.
    let check = ruff_python_parser::parse_unchecked_source(&new_source, PySourceType::Python);
    if let Some(err) = check.errors().first() {
        return Err(Error::Internal(format!(
            "{path}: the generated downgrade does not parse ({}); please report this",
            err.error
        )));
    }
    let message = match (g.reversed, g.irreversible) {
        (r, 0) => format!("downgrade() undoes all {r} operation(s) of upgrade()"),
        (r, n) => format!(
            "downgrade() undoes {r} operation(s); {n} cannot be undone (see the '{MARK}' comments)"
        ),
    };
    Ok(Outcome {
        status,
        new_source,
        message,
        irreversible: g.irreversible,
        reversed: g.reversed,
        existing_line,
    })
}

fn nothing(source: &str, message: &str) -> Outcome {
    Outcome {
        status: Status::Nothing,
        new_source: source.to_string(),
        message: message.to_string(),
        irreversible: 0,
        reversed: 0,
        existing_line: None,
    }
}

fn find_def<'a>(body: &'a [Stmt], name: &str) -> Option<&'a StmtFunctionDef> {
    body.iter().find_map(|s| match s {
        Stmt::FunctionDef(f) if f.name.as_str() == name => Some(f),
        _ => None,
    })
}

/// The file with the new downgrade body in place of the old one (or a new `downgrade()`
/// appended): the status, the text and, when code is replaced, the line of its `def`. `None`
/// when the downgrade already reads exactly so.
fn splice(
    path: &str,
    source: &str,
    parsed: &Parsed<ModModule>,
    downgrade: Option<&Function>,
    up_def: &StmtFunctionDef,
    lines: &[String],
    nl: &str,
) -> Result<Option<(Status, String, Option<usize>)>, Error> {
    let new_body = lines.join(nl);
    let (Some(down), Some(def)) = (downgrade, find_def(&parsed.syntax().body, "downgrade")) else {
        let header = match header_end(parsed, up_def) {
            Some(end) => {
                let name = up_def.name.range();
                format!(
                    "{}downgrade{}",
                    &source[up_def.start().to_usize()..name.start().to_usize()],
                    &source[name.end().to_usize()..end.to_usize()]
                )
            }
            None => "def downgrade() -> None:".to_string(),
        };
        let mut out = source.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(nl);
        }
        for part in [nl, nl, &header, nl, &new_body, nl] {
            out.push_str(part);
        }
        return Ok(Some((Status::Missing, out, None)));
    };
    let Some(colon) = header_end(parsed, def) else {
        return Err(Error::Internal(format!(
            "{path}: cannot find the end of the downgrade() header"
        )));
    };
    // A comment after the header's colon stays: replace from the end of that line.
    let body_start = def.body.first().map_or(def.end(), Ranged::start);
    let start = source[colon.to_usize()..body_start.to_usize()]
        .find(['\r', '\n'])
        .map_or(colon, |i| colon + TextSize::try_from(i).unwrap_or_default());
    let replaced = TextRange::new(start, def.end());
    let old_body: Vec<&str> = source[replaced]
        .trim_start_matches(['\r', '\n'])
        .lines()
        .map(str::trim_end)
        .collect();
    if old_body == lines.iter().map(|l| l.trim_end()).collect::<Vec<_>>() {
        return Ok(None);
    }
    let (status, line) = if down.body == BodyKind::Empty {
        (Status::Noop, None)
    } else {
        let line = crate::scanner::source::Lines::new(source).line(def.start());
        (Status::Replace, Some(line))
    };
    let mut out = String::with_capacity(source.len() + new_body.len());
    out.push_str(&source[..start.to_usize()]);
    out.push_str(nl);
    out.push_str(&new_body);
    out.push_str(&source[def.end().to_usize()..]);
    Ok(Some((status, out, line)))
}
