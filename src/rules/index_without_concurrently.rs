use crate::diagnostic::Diagnostic;
use crate::scanner::model::{Dialects, MigrationAST, OpKind};
use crate::scanner::model::DialectHint;

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags `op.create_index` / `op.drop_index` without `postgresql_concurrently=True`, and
    /// `CREATE INDEX` / `DROP INDEX` without `CONCURRENTLY` in raw SQL, in `upgrade()`, on tables
    /// that already exist. Indexes on tables created in the same migration are not flagged, nor
    /// are files that target MySQL/MariaDB or SQLite only, nor statements in a branch for
    /// another dialect (`if dialect == "mysql":`).
    ///
    /// ## Why is this bad?
    /// On PostgreSQL a plain `CREATE INDEX` blocks every write to the table for the whole build,
    /// and `DROP INDEX` takes an exclusive lock: on a large, busy table that is an outage.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.create_index("ix_posts_title", "posts", ["title"])
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def upgrade():
    ///     with op.get_context().autocommit_block():
    ///         op.create_index("ix_posts_title", "posts", ["title"], postgresql_concurrently=True)
    /// ```
    pub struct IndexWithoutConcurrently;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    if matches!(m.dialect, DialectHint::MySql | DialectHint::Sqlite) {
        return;
    }
    for op in m.upgrade_ops() {
        let verb = match op.kind {
            OpKind::CreateIndex => "creates",
            OpKind::DropIndex => "drops",
            _ => continue,
        };
        // A statement in an `if dialect == "mysql":` (or SQLite) branch never runs on
        // PostgreSQL.
        if op.concurrently
            || !op.dialects.meets(Dialects::POSTGRES)
            || op.table.as_deref().is_some_and(|t| m.creates_table(t))
        {
            continue;
        }
        // An index named at run time (`op.drop_index(index)` with `index` looked up by
        // reflection, mlflow 1b5f0d9ad7c1) may not exist: an unknown object fires no rule.
        if op.kind == OpKind::DropIndex && !super::known(op.name.as_ref()) {
            continue;
        }
        let on = op.table.as_deref().map(|t| format!(" on '{t}'")).unwrap_or_default();
        out.push(
            Diagnostic::new(
                Rule::IndexWithoutConcurrently,
                format!(
                    "upgrade() {verb} index {}{on} without CONCURRENTLY: on PostgreSQL this locks the table for the whole operation",
                    super::q(op.name.as_ref())
                ),
                op.range,
            )
            .with_fix("pass postgresql_concurrently=True inside op.get_context().autocommit_block()"),
        );
    }
}
