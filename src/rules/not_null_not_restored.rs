use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_opt, MigrationAST, OpKind, Origin, Value};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags `alter_column(..., nullable=False)` in `upgrade()` when a non-empty `downgrade()`
    /// does not set the column back to `nullable=True` (or drop it). Quiet when the revision
    /// chain shows the column was NOT NULL already: there is no nullability to restore.
    ///
    /// ## Why is this bad?
    /// The downgrade leaves the column NOT NULL: the schema after rollback differs from the one
    /// before the upgrade, and the previous release may fail inserting NULLs.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.alter_column("users", "email", nullable=False)
    ///
    /// def downgrade():
    ///     op.drop_index("ix_users_email", table_name="users")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.alter_column("users", "email", nullable=True)
    /// ```
    pub struct NotNullNotRestored;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let Some(down) = super::active_downgrade(m) else { return };
    for op in m.upgrade_ops() {
        if op.kind != OpKind::AlterColumn || op.origin != Origin::Op || op.kwarg_value("nullable") != Some(&Value::Bool(false)) {
            continue;
        }
        let restored = down.iter().any(|d| {
            let same = same_opt(d.table.as_ref(), op.table.as_ref()) && same_opt(d.column.as_ref(), op.column.as_ref());
            (same && d.kind == OpKind::AlterColumn && d.kwarg_value("nullable") == Some(&Value::Bool(true)))
                || (same && matches!(d.kind, OpKind::DropNotNull | OpKind::DropColumn))
                || (d.kind == OpKind::DropTable && same_opt(d.table.as_ref(), op.table.as_ref()))
        });
        if !restored {
            out.push(
                Diagnostic::new(
                    Rule::NotNullNotRestored,
                    format!("upgrade() makes {} NOT NULL and downgrade() does not restore nullable=True", op.target()),
                    op.range,
                )
                .with_fix(format!(
                    "in downgrade(): op.alter_column({:?}, {:?}, nullable=True)",
                    op.table.as_deref().unwrap_or("?"),
                    op.column.as_deref().unwrap_or("?")
                )),
            );
        }
    }
}
