//! The generated downgrade laid out as the file writes it: indentation, `with` blocks for
//! batch operations, long calls split one argument per line, comments wrapped.

use ruff_python_ast::token::TokenKind;
use ruff_python_ast::{Expr, ModModule, StmtFunctionDef};
use ruff_python_parser::Parsed;
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::undo::Gen;
use super::{Item, MARK};
use crate::scanner::model::Dialects;

/// Indentation of the line holding `offset`.
pub(super) fn indent_at(source: &str, offset: TextSize) -> &str {
    let at = offset.to_usize();
    let start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &source[start..];
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..n]
}

/// The end of a `def` header: just after its `:` token.
pub(super) fn header_end(parsed: &Parsed<ModModule>, def: &StmtFunctionDef) -> Option<TextSize> {
    let body_start = def.body.first()?.start();
    parsed
        .tokens()
        .iter()
        .rfind(|t| {
            t.kind() == TokenKind::Colon && t.start() >= def.name.end() && t.end() <= body_start
        })
        .map(Ranged::end)
}
/// Indent the items; consecutive statements of one batch block share a `with` block.
pub(super) fn render(items: &[Item], unit: &str, g: &Gen<'_>) -> Vec<String> {
    let mut lines = Vec::new();
    if !render_into(items, unit, unit, g, &mut lines) {
        lines.push(format!("{unit}pass"));
    }
    // One entry per physical line; text copied from a CRLF file loses its `\r` here and
    // gets the file's line ending back when joined.
    lines
        .iter()
        .flat_map(|l| l.split('\n'))
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect()
}

/// [`render`] at `indent`: whether any statement was written.
fn render_into(
    items: &[Item],
    indent: &str,
    unit: &str,
    g: &Gen<'_>,
    lines: &mut Vec<String>,
) -> bool {
    let mut open: Option<usize> = None;
    let mut has_stmt = false;
    for item in items {
        match item {
            Item::Stmt(batch, text) => {
                has_stmt = true;
                if *batch != open {
                    open = *batch;
                    if let Some(b) = batch {
                        let block = &g.index.batches[*b];
                        let call = g.header(block);
                        if block.var.is_empty() {
                            lines.push(format!("{indent}with {call}:"));
                        } else {
                            lines.push(format!("{indent}with {call} as {}:", block.var));
                        }
                    }
                }
                let at = if batch.is_some() {
                    format!("{indent}{unit}")
                } else {
                    indent.to_string()
                };
                lines.push(wrap(text, &at, unit));
            }
            Item::Comment(text) => {
                open = None;
                let room = MAX_LINE
                    .saturating_sub(indent.len() + MARK.len() + 1)
                    .max(40);
                for line in text {
                    // Code hints (indented) stay whole; sentences wrap like prose.
                    let parts = if line.starts_with(' ') {
                        vec![line.clone()]
                    } else {
                        word_wrap(line, room)
                    };
                    for part in parts {
                        lines.push(format!("{indent}{MARK} {part}").trim_end().to_string());
                    }
                }
            }
            Item::Branch(dialects, inner) => {
                open = None;
                lines.push(format!(
                    "{indent}if {}:",
                    dialect_condition(&g.op_name, *dialects)
                ));
                has_stmt |= render_into(inner, &format!("{indent}{unit}"), unit, g, lines);
            }
            Item::If(test, inner) => {
                open = None;
                lines.push(format!("{indent}if {test}:"));
                has_stmt |= render_into(inner, &format!("{indent}{unit}"), unit, g, lines);
            }
        }
    }
    has_stmt
}

/// The test that holds on exactly `dialects`, as SQLAlchemy names them:
/// `op.get_context().dialect.name == "sqlite"`, `... in ("mysql", "mariadb")`, or, when it
/// takes in the dialects mrt has no name for, `... != "sqlite"`.
fn dialect_condition(op_name: &str, dialects: Dialects) -> String {
    const NAMES: [(Dialects, &[&str]); 4] = [
        (Dialects::POSTGRES, &["postgresql"]),
        (Dialects::MYSQL, &["mysql", "mariadb"]),
        (Dialects::SQLITE, &["sqlite"]),
        (Dialects::MSSQL, &["mssql"]),
    ];
    let negated = dialects.and(Dialects::OTHER) == Dialects::OTHER;
    let listed = if negated {
        dialects.complement()
    } else {
        dialects
    };
    let names: Vec<String> = NAMES
        .iter()
        .filter(|(d, _)| listed.and(*d) == *d)
        .flat_map(|(_, n)| n.iter().map(|n| format!("\"{n}\"")))
        .collect();
    let subject = format!("{op_name}.get_context().dialect.name");
    match (names.as_slice(), negated) {
        ([one], false) => format!("{subject} == {one}"),
        ([one], true) => format!("{subject} != {one}"),
        (_, false) => format!("{subject} in ({})", names.join(", ")),
        (_, true) => format!("{subject} not in ({})", names.join(", ")),
    }
}

/// Greedy word wrap; a word longer than `width` gets a line of its own.
fn word_wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

/// Longest generated line before a call is split one argument per line (black's style).
pub(super) const MAX_LINE: usize = 99;

/// `indent + stmt`, or, when too long, the call split one argument per line.
pub(super) fn wrap(stmt: &str, indent: &str, unit: &str) -> String {
    wrap_at(stmt, indent, unit, MAX_LINE)
}

pub(super) fn wrap_at(stmt: &str, indent: &str, unit: &str, max: usize) -> String {
    if indent.len() + stmt.len() <= max || stmt.contains('\n') {
        return format!("{indent}{stmt}");
    }
    let Ok(parsed) = ruff_python_parser::parse_expression(stmt) else {
        return format!("{indent}{stmt}");
    };
    let Expr::Call(call) = &*parsed.syntax().body else {
        return format!("{indent}{stmt}");
    };
    let mut ranges: Vec<TextRange> = call.arguments.args.iter().map(Ranged::range).collect();
    ranges.extend(call.arguments.keywords.iter().map(Ranged::range));
    ranges.sort_by_key(ruff_text_size::Ranged::start);
    let mut out = format!("{indent}{}(\n", &stmt[call.func.range()]);
    for r in ranges {
        out.push_str(&format!("{indent}{unit}{},\n", &stmt[r]));
    }
    out.push_str(&format!("{indent})"));
    out
}
