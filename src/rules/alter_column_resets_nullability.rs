use crate::diagnostic::Diagnostic;
use crate::scanner::model::{Dialects, MigrationAST, OpKind, Origin};
use crate::scanner::model::DialectHint;

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags `alter_column()` calls that change a column's type or name without saying
    /// whether the column is nullable (`existing_nullable=` or `nullable=`), in `upgrade()`
    /// or `downgrade()`.
    ///
    /// ## Why is this bad?
    /// MySQL and MariaDB have no "change just the type" statement: Alembic restates the whole
    /// column with `MODIFY COLUMN` / `CHANGE COLUMN`, and what it is not told it leaves out.
    /// A NOT NULL column silently becomes nullable, and a rollback written the same way does
    /// not bring NOT NULL back: the schema after the round trip is not the one before it.
    /// PostgreSQL and SQLite are not affected, so the rule is quiet when the migration is
    /// known to target one of them, or the call sits in a branch for another dialect.
    ///
    /// Quiet too when the chain shows the column nullable: restating it cannot make it
    /// nullable. That includes a column read nullable in a `create_table` that only runs if
    /// the table is absent (superset's helper checks `has_table`), and one a change for some
    /// dialects only (`if isinstance(bind.dialect, MySQLDialect):`) restated without
    /// `nullable=`, which leaves a nullable column nullable everywhere (superset afc69274c25a
    /// widens `query.sql` to `LONGTEXT` on MySQL and narrows it back in its downgrade).
    /// And quiet when the chain cannot tell: a table created outside it (dagster and mlflow
    /// create their first tables from the ORM, then guard each change with `has_table`), or a
    /// column it never saw. SQLAlchemy makes columns nullable unless told otherwise, so most
    /// such columns are (all 60 dagster restates); the warning is for a column the chain shows
    /// NOT NULL.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.alter_column("posts", "title", type_=sa.String(50), existing_type=sa.String(200))
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def upgrade():
    ///     op.alter_column(
    ///         "posts", "title",
    ///         type_=sa.String(50), existing_type=sa.String(200), existing_nullable=False,
    ///     )
    /// ```
    pub struct AlterColumnResetsNullability;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    if matches!(m.dialect, DialectHint::Postgres | DialectHint::Sqlite) {
        return;
    }
    let mut seen = Vec::new();
    for (function, ops) in [("upgrade", m.upgrade_ops()), ("downgrade", m.downgrade_ops())] {
        for op in ops {
            let restates = match op.kind {
                OpKind::AlterColumn => op.kwarg("type_").is_some(),
                OpKind::RenameColumn => true,
                _ => false,
            };
            if op.origin != Origin::Op
                || !restates
                // A branch for another dialect (`if dialect == "postgresql":`) never
                // restates a MySQL column.
                || !op.dialects.meets(Dialects::MYSQL)
                || op.kwarg("existing_nullable").is_some()
                || op.kwarg("nullable").is_some()
                // A rename that also changes the type is two operations on one call.
                || seen.contains(&op.range)
            {
                continue;
            }
            seen.push(op.range);
            out.push(
                Diagnostic::new(
                    Rule::AlterColumnResetsNullability,
                    format!(
                        "{function}() alters {} without existing_nullable=: on MySQL/MariaDB \
                         the column is restated and a NOT NULL column becomes nullable",
                        op.target()
                    ),
                    op.range,
                )
                .with_fix("pass existing_nullable= with the column's current nullability"),
            );
        }
    }
}
