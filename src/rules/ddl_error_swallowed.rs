use crate::diagnostic::Diagnostic;
use crate::scanner::model::{MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags schema changes in `upgrade()` or `downgrade()` wrapped in a `try:` whose `except`
    /// handlers swallow the error (`pass`, `continue`, a log line), reported once per `try`.
    ///
    /// ## Why is this bad?
    /// When the statement fails, the migration carries on and Alembic records the revision as
    /// applied: the schema silently differs from what the revision says. On PostgreSQL the
    /// failed statement also aborts the transaction, so every later statement of the migration
    /// fails too. A rollback test passes while the database is not in the state it claims.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     try:
    ///         op.drop_index("ix_users_email", table_name="users")
    ///     except Exception:
    ///         pass
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def upgrade():
    ///     op.drop_index("ix_users_email", table_name="users", if_exists=True)
    /// ```
    pub struct DdlErrorSwallowed;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for (func, ops) in [("upgrade", m.upgrade_ops()), ("downgrade", m.downgrade_ops())] {
        let mut seen = Vec::new();
        for op in ops.iter().filter(|o| is_schema_change(o.kind)) {
            // One finding per `try` block.
            let Some(block) = op.swallowed else { continue };
            if seen.contains(&block) {
                continue;
            }
            seen.push(block);
            out.push(
                Diagnostic::new(
                    Rule::DdlErrorSwallowed,
                    format!(
                        "{func}() runs {} on {} inside try/except that swallows the error: if it fails, the revision is recorded as applied anyway (on PostgreSQL the failure aborts the transaction, and the migration stops at its next statement)",
                        op.kind.as_str(),
                        super::q(op.table.as_ref().or(op.name.as_ref()))
                    ),
                    op.range,
                )
                .with_fix("let the error propagate; use if_exists=/if_not_exists= or check the schema first for an idempotent step"),
            );
        }
    }
}

fn is_schema_change(kind: OpKind) -> bool {
    !kind.is_inert()
        && !matches!(
            kind,
            OpKind::Call
                | OpKind::Other
                | OpKind::Update
                | OpKind::Delete
                | OpKind::Insert
                | OpKind::BulkInsert
                | OpKind::SetVal
        )
}
