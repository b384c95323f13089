use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_opt, MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags a named constraint `upgrade()` drops (`op.drop_constraint` or
    /// `ALTER TABLE ... DROP CONSTRAINT`) that a non-empty `downgrade()` does not create again.
    /// A drop `IF EXISTS` (or under a check) of a name the revision chain shows the table does
    /// not have drops nothing and is not flagged.
    ///
    /// ## Why is this bad?
    /// After a rollback the data-integrity guarantee (foreign key, unique, check) is gone, and
    /// rows violating it can pile up unnoticed.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.drop_constraint("uq_users_email", "users", type_="unique")
    ///
    /// def downgrade():
    ///     op.drop_column("users", "nickname")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.create_unique_constraint("uq_users_email", "users", ["email"])
    /// ```
    pub struct DropConstraintNotRecreated;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let Some(down) = super::active_downgrade(m) else { return };
    if down.iter().any(|d| d.kind == OpKind::Execute && d.sql_error.is_some()) {
        return;
    }
    let up = m.upgrade_ops();
    let creates = [
        OpKind::CreateUniqueConstraint,
        OpKind::CreateForeignKey,
        OpKind::CreateCheckConstraint,
        OpKind::CreatePrimaryKey,
        OpKind::CreateIndex,
    ];
    for op in up.iter().filter(|o| o.kind == OpKind::DropConstraint && super::known(o.name.as_ref())) {
        let table_dropped = up.iter().any(|u| u.kind == OpKind::DropTable && same_opt(u.table.as_ref(), op.table.as_ref()));
        let rebuilt = up.iter().any(|u| creates.contains(&u.kind) && same_opt(u.name.as_ref(), op.name.as_ref()));
        let recreated = down.iter().any(|d| creates.contains(&d.kind) && same_opt(d.name.as_ref(), op.name.as_ref()));
        if !table_dropped && !rebuilt && !recreated {
            out.push(
                Diagnostic::new(
                    Rule::DropConstraintNotRecreated,
                    format!(
                        "upgrade() drops constraint {} on {} and downgrade() does not recreate it",
                        super::q(op.name.as_ref()),
                        super::q(op.table.as_ref())
                    ),
                    op.range,
                )
                .with_fix("create the constraint again in downgrade()"),
            );
        }
    }
}
