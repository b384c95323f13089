use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_name, same_opt, MigrationAST, OpKind, Operation};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags a named constraint `upgrade()` drops (`op.drop_constraint` or
    /// `ALTER TABLE ... DROP CONSTRAINT`) that a non-empty `downgrade()` does not create again.
    /// A drop `IF EXISTS` (or under a check) of a name the revision chain shows the table does
    /// not have drops nothing and is not flagged. Nor is a primary key renamed with its table:
    /// the upgrade drops it (`type_="primary"`, or a name such as `todr_pkey`) and gives the
    /// table a new primary key, and the downgrade gives the table, under its old name too, a
    /// primary key again. The guarantee comes back, under the downgrade's name.
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
    for (at, op) in up.iter().enumerate().filter(|(_, o)| o.kind == OpKind::DropConstraint && super::known(o.name.as_ref())) {
        let table_dropped = up.iter().any(|u| u.kind == OpKind::DropTable && same_opt(u.table.as_ref(), op.table.as_ref()));
        let rebuilt = up.iter().any(|u| creates.contains(&u.kind) && same_opt(u.name.as_ref(), op.name.as_ref()));
        let recreated = down.iter().any(|d| creates.contains(&d.kind) && same_opt(d.name.as_ref(), op.name.as_ref()));
        if !table_dropped && !rebuilt && !recreated && !primary_key_replaced(up, down, at) {
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

/// The constraint `up[at]` drops is the table's primary key (`type_="primary"`, or a name
/// such as `todr_pkey`), the upgrade gives the table a new primary key after dropping it, and
/// the downgrade gives the table (or the name it renames it back to) a primary key again: a
/// renamed key, whose guarantee the rollback restores under the downgrade's name (airflow
/// 05234396c6fc drops `task_outlet_dataset_reference_pkey` or `todr_pkey` and creates
/// `toar_pkey`; its downgrade creates `todr_pkey`).
fn primary_key_replaced(up: &[Operation], down: &[Operation], at: usize) -> bool {
    let dropped = &up[at];
    let Some(table) = dropped.table.as_deref() else {
        return false;
    };
    let typed = dropped.kwarg_value("type_").and_then(|v| v.as_str()) == Some("primary");
    let named = dropped.name.as_deref().is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        n.ends_with("pkey") || n.ends_with("_pk") || n.starts_with("pk_")
    });
    let on = |o: &Operation, t: &str| o.kind == OpKind::CreatePrimaryKey && o.table.as_deref().is_some_and(|x| same_name(x, t));
    let replaced = up[at..].iter().any(|o| on(o, table));
    // The downgrade renames the table back before it recreates the key.
    let names: Vec<&str> = std::iter::once(table)
        .chain(down.iter().filter(|r| r.kind == OpKind::RenameTable && r.table.as_deref().is_some_and(|t| same_name(t, table))).filter_map(|r| r.new_name.as_deref()))
        .collect();
    let restored = down.iter().any(|d| names.iter().any(|t| on(d, t)));
    (typed || named) && replaced && restored
}
