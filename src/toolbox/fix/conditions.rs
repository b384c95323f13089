//! An upgrade step under a test other than on the dialect: dagster's
//! `if not has_table("kvs"): op.create_table("kvs", ...)`, `if not has_index(...)`, or
//! `if not has_table("runs"): return` before the steps. Its undo runs under the mirrored test,
//! as dagster's own downgrades are written: `if has_table("kvs"): op.drop_table("kvs")`.
//!
//! The test must be a conjunction of plain existence checks (`has_table`, `has_column`,
//! `table_exists`, `utils.table_has_column`, ... each possibly under `not`) whose last
//! argument is a literal name and that `downgrade()` can call (they read only names the module
//! binds). A check on the very object the step creates or drops (its table, column, index or
//! constraint) flips: it exists after the upgrade exactly when it did not before. Any other
//! check (the table a column is added to) holds after the upgrade as before and stays. Any
//! other test (a local list, a flag, a row count) cannot be mirrored: the undo becomes a
//! marked comment that names the test.

use std::collections::HashMap;

use ruff_python_ast::{BoolOp, Expr, ExprCall, UnaryOp};
use ruff_text_size::Ranged;

use super::helpers::substitute;
use super::source_map::Cond;
use super::undo::Gen;
use crate::scanner::model::{OpKind, Operation};
use crate::toolbox::chain::root_names;
use crate::toolbox::one_line;

/// One condition and the helper arguments its text is read with (a helper's own `if`).
pub(super) type Guard<'a> = (Cond<'a>, Option<HashMap<String, String>>);

impl Gen<'_> {
    /// The test the undo of `op` runs under (`None`: no condition); `Err` with the upgrade's
    /// test when it cannot be mirrored.
    pub(super) fn mirrored(
        &self,
        op: &Operation,
        guards: &[Guard<'_>],
    ) -> Result<Option<String>, String> {
        let mut out: Vec<String> = Vec::new();
        for (cond, args) in guards {
            let test = |e: &Expr| format!("`{}`", one_line(self.text(e.range()), 100));
            let (atoms, shown) = match cond {
                Cond::Branch(s, 0) => (atoms(&s.test, false), test(&s.test)),
                // The `else` of a one-test `if`: the test was false.
                Cond::Branch(s, 1)
                    if s.elif_else_clauses.len() == 1 && s.elif_else_clauses[0].test.is_none() =>
                {
                    (negated(&s.test), format!("{} is false", test(&s.test)))
                }
                Cond::Unless(t) => (
                    negated(t),
                    format!("{} is false (it returns before otherwise)", test(t)),
                ),
                Cond::Branch(s, _) => (
                    None,
                    format!("a later branch of the `if` on {} is taken", test(&s.test)),
                ),
            };
            let atoms = atoms.ok_or_else(|| shown.clone())?;
            for (negative, call) in atoms {
                let text = self.text(call.range());
                let text = match args {
                    Some(args) => substitute(text, args).ok_or_else(|| shown.clone())?,
                    None => text.to_string(),
                };
                let flip = self.about(op, &text).ok_or_else(|| shown.clone())?;
                let atom = if negative == flip {
                    text
                } else {
                    format!("not {text}")
                };
                if !out.contains(&atom) {
                    out.push(atom);
                }
            }
        }
        Ok((!out.is_empty()).then(|| out.join(" and ")))
    }

    /// Whether the existence check `text` is on what `op` creates or drops (it flips), or on
    /// something `op` leaves as it was (it stays); `None` when it is not such a check, reads a
    /// name `downgrade()` does not have, or is on a name `op` renames.
    fn about(&self, op: &Operation, text: &str) -> Option<bool> {
        let parsed = ruff_python_parser::parse_expression(text).ok()?;
        let Expr::Call(call) = parsed.expr() else {
            return None;
        };
        if !is_existence_check(call) || !call.arguments.keywords.is_empty() {
            return None;
        }
        let bound = root_names(parsed.expr())
            .iter()
            .all(|n| self.bound.contains(n));
        let Some(Expr::StringLiteral(last)) = call.arguments.args.last() else {
            return None;
        };
        if !bound {
            return None;
        }
        let name = last.value.to_str();
        let is = |n: &Option<String>| n.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name));
        match op.kind {
            OpKind::AddColumn | OpKind::DropColumn => {
                op.column.as_ref()?;
                Some(is(&op.column))
            }
            OpKind::CreateTable | OpKind::DropTable => {
                op.table.as_ref()?;
                Some(is(&op.table))
            }
            OpKind::CreateIndex
            | OpKind::DropIndex
            | OpKind::CreateUniqueConstraint
            | OpKind::CreateForeignKey
            | OpKind::CreateCheckConstraint
            | OpKind::CreatePrimaryKey
            | OpKind::DropConstraint => {
                op.name.as_ref()?;
                Some(is(&op.name))
            }
            OpKind::RenameTable | OpKind::RenameColumn => {
                let old = if op.kind == OpKind::RenameTable {
                    &op.table
                } else {
                    &op.column
                };
                (!is(old) && !is(&op.new_name)).then_some(false)
            }
            // Anything else leaves every object standing: the check holds as it did.
            _ => Some(false),
        }
    }
}

/// `has_table(...)`, `table_exists(...)`, `utils.table_has_column(...)`, `_has_index(...)`.
fn is_existence_check(call: &ExprCall) -> bool {
    let name = match call.func.as_ref() {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.as_str(),
        _ => return false,
    };
    let name = name.trim_start_matches('_').to_ascii_lowercase();
    name.starts_with("has_") || name.contains("_has_") || name.ends_with("_exists")
}

/// The checks of a conjunction, each with whether it is negated.
fn atoms(test: &Expr, negative: bool) -> Option<Vec<(bool, &ExprCall)>> {
    match test {
        Expr::BoolOp(b) if b.op == BoolOp::And && !negative => {
            let mut out = Vec::new();
            for v in &b.values {
                out.extend(atoms(v, false)?);
            }
            Some(out)
        }
        Expr::UnaryOp(u) if u.op == UnaryOp::Not => atoms(&u.operand, !negative),
        Expr::Call(c) => Some(vec![(negative, c)]),
        _ => None,
    }
}

/// The checks of `not test`: one check, negated (`not (a and b)` is no conjunction).
fn negated(test: &Expr) -> Option<Vec<(bool, &ExprCall)>> {
    let atoms = atoms(test, true)?;
    (atoms.len() == 1).then_some(atoms)
}
