use crate::diagnostic::Diagnostic;
use crate::scanner::model::{MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags `TRUNCATE` statements in raw SQL, in `upgrade()` or `downgrade()`.
    ///
    /// ## Why is this bad?
    /// `TRUNCATE` removes every row of a table with no way back: neither the other direction of
    /// the migration nor a rollback can restore them.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.execute("TRUNCATE sessions")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def upgrade():
    ///     op.execute("DELETE FROM sessions WHERE expires_at < now()")
    /// ```
    ///
    /// ## Severity
    /// An error, except when the migration says the rows are derived (see MRT001): then a
    /// warning whose message quotes why.
    pub struct Truncate;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for (func, ops) in [("upgrade", m.upgrade_ops()), ("downgrade", m.downgrade_ops())] {
        for op in ops.iter().filter(|op| op.kind == OpKind::Truncate) {
            let mut d = Diagnostic::new(
                Rule::Truncate,
                format!("{func}() truncates table {}: every row is destroyed with no undo", super::q(op.table.as_ref())),
                op.range,
            )
            .with_fix("delete only the rows you mean to, with a WHERE clause, or move them aside first");
            super::derived_warning(op, &mut d);
            out.push(d);
        }
    }
}
