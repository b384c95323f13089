use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_opt, MigrationAST, OpKind, Value};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE ... ALTER COLUMN ... SET NOT NULL` in raw SQL in `upgrade()` when
    /// `downgrade()` neither drops the NOT NULL (`DROP NOT NULL`, `alter_column(nullable=True)`)
    /// nor drops the column.
    ///
    /// ## Why is this bad?
    /// After a rollback the column stays NOT NULL, and the previous release, which may write
    /// NULL there, fails on insert.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.execute("ALTER TABLE users ALTER COLUMN email SET NOT NULL")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.execute("ALTER TABLE users ALTER COLUMN email DROP NOT NULL")
    /// ```
    pub struct NotNullRawSql;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let down = m.downgrade_ops();
    for op in m.upgrade_ops().iter().filter(|o| o.kind == OpKind::SetNotNull) {
        let restored = down.iter().any(|d| {
            let same = same_opt(d.table.as_ref(), op.table.as_ref()) && same_opt(d.column.as_ref(), op.column.as_ref());
            (same && (d.kind == OpKind::DropNotNull || d.kind == OpKind::DropColumn))
                || (same && d.kind == OpKind::AlterColumn && d.kwarg_value("nullable") == Some(&Value::Bool(true)))
                || (d.kind == OpKind::DropTable && same_opt(d.table.as_ref(), op.table.as_ref()))
        });
        if !restored {
            out.push(
                Diagnostic::new(
                    Rule::NotNullRawSql,
                    format!("upgrade() sets {} NOT NULL in raw SQL and downgrade() does not make it nullable again", op.target()),
                    op.range,
                )
                .with_fix(format!(
                    "in downgrade(): ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL",
                    op.table.as_deref().unwrap_or("?"),
                    op.column.as_deref().unwrap_or("?")
                )),
            );
        }
    }
}
