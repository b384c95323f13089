use crate::diagnostic::Diagnostic;
use crate::scanner::model::{MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Reports raw SQL passed to `op.execute`, `conn.execute` or Django's `RunSQL` that the SQL
    /// parser could not read, or that is built at run time, once per call.
    ///
    /// ## Why is this bad?
    /// Every other rule reads the parsed SQL. When it cannot be parsed, a `DROP` or `TRUNCATE`
    /// inside goes unnoticed, so a human has to check what it does and that the other direction
    /// undoes it.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.execute(build_cleanup_sql())
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def upgrade():
    ///     op.execute("DELETE FROM sessions WHERE expires_at < now()")
    /// ```
    pub struct UnanalysableSql;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for (func, ops) in [("upgrade", m.upgrade_ops()), ("downgrade", m.downgrade_ops())] {
        // A loop read once per item repeats the call: it is reported once.
        let mut seen = Vec::new();
        for op in ops.iter().filter(|o| matches!(o.kind, OpKind::Execute | OpKind::RunSql)) {
            let Some(error) = &op.sql_error else { continue };
            if seen.contains(&op.range) {
                continue;
            }
            seen.push(op.range);
            let func = if op.kind == OpKind::RunSql { "RunSQL" } else { func };
            out.push(
                Diagnostic::new(
                    Rule::UnanalysableSql,
                    format!("could not analyse SQL in {func}(): {error}; check by hand what it does and that it is undone"),
                    op.range,
                )
                .with_fix("write the SQL as a literal string (f-string holes are fine), or review it and suppress with # mrt: ignore[MRT015]"),
            );
        }
    }
}
