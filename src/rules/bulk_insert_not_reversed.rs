use crate::diagnostic::Diagnostic;
use crate::scanner::model::{MigrationAST, OpKind, Origin, same_opt};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags `op.bulk_insert()` into an existing table in `upgrade()` when `downgrade()`
    /// neither deletes those rows nor drops the table.
    ///
    /// ## Why is this bad?
    /// The rows outlive the rollback. The previous release then runs against data it never
    /// wrote (lookup rows, feature flags, seeded settings), and upgrading again inserts them a
    /// second time or fails on a unique key.
    ///
    /// ## Example
    /// ```python
    /// roles = sa.table("roles", sa.column("name", sa.String))
    ///
    /// def upgrade():
    ///     op.bulk_insert(roles, [{"name": "auditor"}])
    ///
    /// def downgrade():
    ///     pass  # the 'auditor' row stays
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.execute("DELETE FROM roles WHERE name = 'auditor'")
    /// ```
    ///
    /// A downgrade DELETE whose WHERE compares the table object's `.name` deletes nothing:
    /// `tables.logentrykind.delete().where(tables.logentrykind.name ==
    /// op.inline_literal("x"))` (quay 2062bbd5ef0e) renders `WHERE 'x' = 'logentrykind'`,
    /// because `Table.name` is the table's name, not its `name` column (`.c.name`). Only
    /// where the object is surely a Core table (`tables.x` given by the environment,
    /// `meta.tables["x"]`); an ORM model's `Model.name` is its column.
    pub struct BulkInsertNotReversed;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let Some(down) = super::active_downgrade(m) else { return };
    for op in m.upgrade_ops() {
        if op.kind != OpKind::BulkInsert || op.origin != Origin::Op {
            continue;
        }
        // Rows put into a table this upgrade creates go away with the table.
        if op.table.as_deref().is_some_and(|t| m.creates_table(t)) {
            continue;
        }
        // A DELETE whose WHERE tests the table's name, not a column, deletes nothing.
        let undone = down.iter().any(|d| {
            matches!(d.kind, OpKind::Delete | OpKind::Truncate | OpKind::DropTable)
                && !d.where_names_table
                && same_opt(d.table.as_ref(), op.table.as_ref())
        });
        let misnamed = down.iter().any(|d| {
            d.kind == OpKind::Delete
                && d.where_names_table
                && same_opt(d.table.as_ref(), op.table.as_ref())
        });
        if !undone {
            out.push(
                Diagnostic::new(
                    Rule::BulkInsertNotReversed,
                    format!(
                        "upgrade() inserts rows into {} with bulk_insert and downgrade() does \
                         not delete them: they stay after a rollback",
                        super::q(op.table.as_ref())
                    ),
                    op.range,
                )
                .with_fix("in downgrade(), DELETE the inserted rows (by their keys)"),
            );
            if misnamed && let Some(d) = out.last_mut() {
                d.message.push_str(
                    "; its DELETE compares the table's `.name` (the table's name, a Python \
                     string) where a column (`.c.name`) was meant: it deletes none of them",
                );
            }
        }
    }
}
