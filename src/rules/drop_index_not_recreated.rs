use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_opt, MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags an index `upgrade()` drops (`op.drop_index` or `DROP INDEX`) that a non-empty
    /// `downgrade()` does not create again. A drop `IF EXISTS` (or under a check) of a name the
    /// revision chain shows the table does not have drops nothing and is not flagged.
    ///
    /// ## Why is this bad?
    /// After a rollback the index is missing: queries of the previous release slow down, and a
    /// unique index no longer guarantees uniqueness.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.drop_index("ix_users_email", table_name="users")
    ///
    /// def downgrade():
    ///     op.drop_column("users", "nickname")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.create_index("ix_users_email", "users", ["email"], unique=True)
    /// ```
    pub struct DropIndexNotRecreated;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let Some(down) = super::active_downgrade(m) else { return };
    if down.iter().any(|d| d.kind == OpKind::Execute && d.sql_error.is_some()) {
        return;
    }
    let up = m.upgrade_ops();
    for op in up.iter().filter(|o| o.kind == OpKind::DropIndex && super::known(o.name.as_ref())) {
        let table_dropped = up.iter().any(|u| u.kind == OpKind::DropTable && same_opt(u.table.as_ref(), op.table.as_ref()));
        let rebuilt = up.iter().any(|u| u.kind == OpKind::CreateIndex && same_opt(u.name.as_ref(), op.name.as_ref()));
        let recreated = down.iter().any(|d| {
            matches!(d.kind, OpKind::CreateIndex | OpKind::CreateUniqueConstraint) && same_opt(d.name.as_ref(), op.name.as_ref())
        });
        if !table_dropped && !rebuilt && !recreated {
            out.push(
                Diagnostic::new(
                    Rule::DropIndexNotRecreated,
                    format!("upgrade() drops index {} and downgrade() does not recreate it", super::q(op.name.as_ref())),
                    op.range,
                )
                .with_fix("create the index again in downgrade()"),
            );
        }
    }
}
