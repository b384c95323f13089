//! What `mrt fix` lists when `downgrade()` already has code: the statements of the generated
//! downgrade the existing one lacks. Statements are compared by their syntax tree, so
//! formatting does not matter, and a statement is always listed with all its lines.

use ruff_python_ast::comparable::ComparableStmt;
use ruff_python_ast::{Stmt, StmtFunctionDef};
use ruff_text_size::Ranged;

use crate::scanner::source::Lines;

/// The lines of the generated downgrade (in `new`) that the existing one (in `old`) lacks:
/// whole missing statements, the header of a `with` block above its missing statements, and
/// the comments the existing body does not carry. `line` is the 1-based line of
/// `def downgrade` in both texts. When either text does not parse, every indented line after
/// `line` in `new`.
#[must_use]
pub fn missing_lines(old: &str, new: &str, line: usize) -> Vec<String> {
    let (old, new) = (
        old.trim_start_matches('\u{feff}'),
        new.trim_start_matches('\u{feff}'),
    );
    let (Ok(old_module), Ok(new_module)) = (
        ruff_python_parser::parse_module(old),
        ruff_python_parser::parse_module(new),
    ) else {
        return everything_after(new, line);
    };
    let (old_lines, new_lines) = (Lines::new(old), Lines::new(new));
    let (Some(old_def), Some(new_def)) = (
        def_at(&old_module.syntax().body, &old_lines, line),
        def_at(&new_module.syntax().body, &new_lines, line),
    ) else {
        return everything_after(new, line);
    };
    let mut have = Vec::new();
    for stmt in &old_def.body {
        every_statement(stmt, &mut |s| have.push(ComparableStmt::from(s)));
    }
    let (first, last) = old_lines.line_span(old_def.range());
    let have_text: Vec<&str> = old
        .lines()
        .skip(first)
        .take(last - first)
        .map(str::trim)
        .collect();
    let span = |s: &Stmt| new_lines.line_span(s.range());
    let mut shown = std::collections::BTreeSet::new();
    let mut covered = std::collections::HashSet::new();
    for stmt in &new_def.body {
        let (a, b) = span(stmt);
        covered.extend(a..=b);
        if matches!(stmt, Stmt::Pass(_)) || have.contains(&ComparableStmt::from(stmt)) {
            continue;
        }
        if let Stmt::With(with) = stmt
            && let Some(head) = with.body.first()
        {
            let missing: Vec<&Stmt> = with
                .body
                .iter()
                .filter(|s| !have.contains(&ComparableStmt::from(*s)))
                .collect();
            if missing.is_empty() {
                continue;
            }
            shown.extend(a..span(head).0); // the `with` header
            for s in missing {
                let (c, d) = span(s);
                shown.extend(c..=d);
            }
        } else {
            shown.extend(a..=b);
        }
    }
    let text: Vec<&str> = new.lines().collect();
    let (_, def_end) = new_lines.line_span(new_def.range());
    for number in line + 1..=def_end {
        let Some(l) = text.get(number - 1).map(|l| l.trim()) else {
            break;
        };
        if !covered.contains(&number) && l.starts_with('#') && !have_text.contains(&l) {
            shown.insert(number);
        }
    }
    shown
        .into_iter()
        .filter_map(|n| text.get(n - 1).map(|l| l.trim_end().to_string()))
        .collect()
}

/// The top-level function whose `def` is on `line`.
fn def_at<'a>(body: &'a [Stmt], lines: &Lines<'_>, line: usize) -> Option<&'a StmtFunctionDef> {
    body.iter().find_map(|s| match s {
        Stmt::FunctionDef(def) if lines.line(def.name.range().start()) == line => Some(def),
        _ => None,
    })
}

/// `stmt` and every statement nested in it.
fn every_statement<'a>(stmt: &'a Stmt, visit: &mut dyn FnMut(&'a Stmt)) {
    visit(stmt);
    let mut all = |body: &'a [Stmt]| {
        for s in body {
            every_statement(s, visit);
        }
    };
    match stmt {
        Stmt::With(s) => all(&s.body),
        Stmt::If(s) => {
            all(&s.body);
            for clause in &s.elif_else_clauses {
                all(&clause.body);
            }
        }
        Stmt::For(s) => {
            all(&s.body);
            all(&s.orelse);
        }
        Stmt::While(s) => {
            all(&s.body);
            all(&s.orelse);
        }
        Stmt::Try(s) => {
            all(&s.body);
            for handler in &s.handlers {
                let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
                all(&h.body);
            }
            all(&s.orelse);
            all(&s.finalbody);
        }
        Stmt::FunctionDef(s) => all(&s.body),
        _ => {}
    }
}

/// Every indented, non-blank line after `line` (the texts could not be compared).
fn everything_after(new: &str, line: usize) -> Vec<String> {
    new.lines()
        .skip(line)
        .filter(|l| !l.trim().is_empty() && l.starts_with(char::is_whitespace))
        .map(|l| l.trim_end().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::missing_lines;

    const OLD: &str = "\
def upgrade():
    pass


def downgrade():
    op.drop_index('ix_a', table_name='t')
    with op.batch_alter_table('t') as batch:
        batch.drop_column('a')
";

    const NEW: &str = "\
def upgrade():
    pass


def downgrade():
    op.drop_index(\"ix_a\", table_name=\"t\")
    # mrt fix: NOT REVERSED: the data of t.b
    with op.batch_alter_table(\"t\") as batch:
        batch.drop_column(\"a\")
        batch.alter_column(
            \"b\",
            nullable=True,
        )
    op.drop_table(\"u\")
";

    #[test]
    fn lists_whole_missing_statements_under_their_with_header_and_new_comments() {
        assert_eq!(
            missing_lines(OLD, NEW, 5),
            vec![
                "    # mrt fix: NOT REVERSED: the data of t.b",
                "    with op.batch_alter_table(\"t\") as batch:",
                "        batch.alter_column(",
                "            \"b\",",
                "            nullable=True,",
                "        )",
                "    op.drop_table(\"u\")",
            ]
        );
    }

    #[test]
    fn nothing_is_missing_when_only_the_formatting_differs() {
        let same = NEW.replace('"', "'");
        assert!(missing_lines(&same, NEW, 5).is_empty());
    }

    #[test]
    fn text_that_does_not_parse_lists_every_indented_line_after_the_def() {
        let got = missing_lines("def downgrade(:\n", "x = 1\ndef downgrade():\n    a()\n", 2);
        assert_eq!(got, vec!["    a()"]);
    }
}
