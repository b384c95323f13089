use crate::diagnostic::{Diagnostic, Severity};
use crate::scanner::model::MigrationAST;

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags a column whose type is a generic SQLAlchemy type called with arguments it does
    /// not take: `sa.Integer`, `sa.SmallInteger`, `sa.BigInteger` and `sa.Date` take none.
    ///
    /// Only types written `sa.X(...)` or `sqlalchemy.X(...)` are checked: a dialect's own
    /// types take more (`mysql.INTEGER(display_width=11)` is valid).
    ///
    /// ## Why is this bad?
    /// Python raises `TypeError` when the column is built, before anything reaches the
    /// database, on every database. Autogenerate writes MySQL's reflected `INTEGER(display_width=1)`
    /// this way when the type is edited by hand, and downgrades are rarely run: superset
    /// a61b40f9f57f's downgrade re-adds `dbs.allow_run_sync` as `sa.Integer(display_width=1)`
    /// and stops with "Integer() takes no arguments".
    ///
    /// ## Example
    /// ```python
    /// def downgrade():
    ///     op.add_column("dbs", sa.Column("allow_run_sync", sa.Integer(display_width=1)))
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.add_column("dbs", sa.Column("allow_run_sync", sa.Integer()))
    /// ```
    /// or MySQL's own type, `mysql.INTEGER(display_width=1)`.
    pub struct TypeRejectsArguments;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for (func, ops) in [("upgrade", m.upgrade_ops()), ("downgrade", m.downgrade_ops())] {
        for op in ops {
            for c in &op.columns {
                let Some(text) = &c.rejected_type else {
                    continue;
                };
                let callee = text.split('(').next().unwrap_or(text);
                let (outcome, severity) = if op.swallowed.is_some() {
                    ("the `try` swallows it and the statement is skipped", Severity::Warning)
                } else {
                    ("the migration stops there, on every database", Severity::Error)
                };
                out.push(
                    Diagnostic::new(
                        Rule::TypeRejectsArguments,
                        format!(
                            "{func}() types column '{}' as `{text}`, but {callee}() takes no arguments: Python raises TypeError and {outcome}",
                            c.name
                        ),
                        c.range,
                    )
                    .with_severity(severity)
                    .with_fix(format!("write `{callee}()`, or the dialect's own type")),
                );
            }
        }
    }
}
