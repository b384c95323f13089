use crate::diagnostic::{Diagnostic, Severity};
use crate::scanner::model::MigrationAST;

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags `op.drop_column()` (or `batch_op.drop_column()`) given a `Column` object where
    /// Alembic wants the column's name: `op.drop_column("groups", sa.Column("properties"))`.
    ///
    /// ## Why is this bad?
    /// Alembic builds a column from the name it is given, and a `Column` is no name:
    /// SQLAlchemy raises a `TypeError` and the migration stops at that line. Written in
    /// `downgrade()`, the mistake stays hidden until the rollback is needed; the column is
    /// never dropped and the rollback cannot go past this revision.
    ///
    /// ## Severity
    /// An error: the statement always raises. A warning when it sits in a `try:` whose
    /// `except` swallows the error (`pass`, a log line): the migration goes on and only the
    /// column stays in place.
    ///
    /// ## Example
    /// ```python
    /// def downgrade():
    ///     op.drop_column("groups", sa.Column("properties"))
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.drop_column("groups", "properties")
    /// ```
    pub struct DropColumnObject;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for (func, ops) in [("upgrade", m.upgrade_ops()), ("downgrade", m.downgrade_ops())] {
        for op in ops.iter().filter(|o| o.column_object) {
            let column = op.column.as_deref().filter(|_| super::known(op.column.as_ref()));
            let what = match column {
                Some(c) => format!("`Column({c:?})`"),
                None => "a `Column` object".to_string(),
            };
            let fix = match column {
                Some(c) => format!("pass the column's name: drop_column(..., {c:?})"),
                None => "pass the column's name, not a Column object".to_string(),
            };
            let (outcome, severity) = if op.swallowed.is_some() {
                ("the `try` swallows it and the column stays", Severity::Warning)
            } else {
                ("the migration stops here", Severity::Error)
            };
            let d = Diagnostic::new(
                Rule::DropColumnObject,
                format!(
                    "{func}() passes {what} to drop_column() on {} where Alembic wants the column's name: it raises TypeError and {outcome}",
                    super::q(op.table.as_ref())
                ),
                op.range,
            )
            .with_severity(severity);
            out.push(d.with_fix(fix));
        }
    }
}
