use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_opt, MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags an `upgrade()` that adds a column, copies data into it (`UPDATE` on the same table)
    /// and drops another column of that table: the classic "add + migrate + drop" in one step.
    ///
    /// ## Why is this bad?
    /// The combined operation cannot be undone: the original column's data only survives inside
    /// the new one, transformed, and the downgrade has to reconstruct it (if it can at all).
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.add_column("users", sa.Column("full_name", sa.String(200)))
    ///     op.execute("UPDATE users SET full_name = first_name || ' ' || last_name")
    ///     op.drop_column("users", "first_name")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # Release N: add full_name and backfill it, keep first_name.
    /// # Release N+1: drop first_name once nothing reads it.
    /// ```
    ///
    /// Not reported when the values are kept: `downgrade()` copies them back into the dropped
    /// column, or the new column takes the old one's name (a type change by copy). Nor when
    /// the column is dropped before the add and the data step: that is a plain drop, which
    /// DROP COLUMN (MRT001) reports.
    pub struct AddMigrateDrop;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let up = m.upgrade_ops();
    let down = m.downgrade_ops();
    // Offline mode (`if context.is_offline_mode():`) is another path through the upgrade:
    // its statements never combine with the online ones (airflow 808787349f22).
    for (i, drop) in up.iter().enumerate().filter(|(_, o)| o.kind == OpKind::DropColumn && !o.offline) {
        if let (Some(t), Some(c)) = (&drop.table, &drop.column)
            && super::column_kept(up, down, i, t, c)
        {
            // A type change by copy, or values the downgrade copies back: it can be undone.
            continue;
        }
        // The pattern is a sequence: the column added and the data migrated before the old
        // column goes. A drop that comes first (dagster 567bc23fd1ac drops a surrogate key,
        // then adds and fills other columns) loses its values to no migration: DROP COLUMN
        // (MRT001) reports that.
        let before = &up[..i];
        let added = before.iter().find(|a| {
            a.kind == OpKind::AddColumn && !a.offline && same_opt(a.table.as_ref(), drop.table.as_ref()) && !same_opt(a.column.as_ref(), drop.column.as_ref())
        });
        let migrated = before.iter().any(|u| u.kind == OpKind::Update && !u.offline && same_opt(u.table.as_ref(), drop.table.as_ref()));
        if let (Some(added), true) = (added, migrated) {
            out.push(
                Diagnostic::new(
                    Rule::AddMigrateDrop,
                    format!(
                        "upgrade() adds {}, migrates data into it and drops {}: the combined step cannot be undone",
                        added.target(),
                        drop.target()
                    ),
                    drop.range,
                )
                .with_fix("split it: add and backfill in one release, drop the old column in a later one"),
            );
        }
    }
}
