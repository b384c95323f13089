use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_name, same_opt, MigrationAST, OpKind, Operation};

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
    /// column, or the new column takes the old one's name (a type change by copy), or the
    /// upgrade adds the dropped column again and copies the values back from the new one (a
    /// column rebuilt through a scratch copy: mage-ai 90d978a8aef8 sheds a unique constraint
    /// that way on SQLite). Nor when the dropped column is a scratch column the same upgrade
    /// added. Nor when
    /// the column is dropped before the add and the data step, or when nothing before the drop
    /// reads it (the fills take their values elsewhere): that is a plain drop, which DROP
    /// COLUMN (MRT001) reports.
    ///
    /// Where this rule reports a drop, it takes the place of MRT001 on the same statement: one
    /// finding per dropped column. Unless MRT001 made that drop a warning (the migration says the
    /// data is derived, the drop is guarded, ...): then MRT001's warning, with its reason, stays.
    pub struct AddMigrateDrop;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let up = m.upgrade_ops();
    let down = m.downgrade_ops();
    // Offline mode (`if context.is_offline_mode():`) is another path through the upgrade:
    // its statements never combine with the online ones (airflow 808787349f22).
    for (i, drop) in up.iter().enumerate().filter(|(_, o)| o.kind == OpKind::DropColumn && !o.offline && !o.column_object) {
        if let (Some(t), Some(c)) = (&drop.table, &drop.column)
            && super::column_kept(m, up, down, i, t, c)
        {
            // A type change by copy, or values the downgrade copies back: it can be undone.
            continue;
        }
        // The pattern is a sequence: the column added and the data migrated before the old
        // column goes. A drop that comes first (dagster 567bc23fd1ac drops a surrogate key,
        // then adds and fills other columns) loses its values to no migration: DROP COLUMN
        // (MRT001) reports that.
        let before = &up[..i];
        let (Some(table), Some(column)) = (&drop.table, &drop.column) else { continue };
        let added: Vec<&Operation> = before
            .iter()
            .filter(|a| a.kind == OpKind::AddColumn && !a.offline && same_opt(a.table.as_ref(), Some(table)) && !same_opt(a.column.as_ref(), Some(column)))
            .collect();
        let updates: Vec<&Operation> = before
            .iter()
            .filter(|u| u.kind == OpKind::Update && !u.offline && same_opt(u.table.as_ref(), Some(table)))
            .collect();
        if added.is_empty() || updates.is_empty() {
            continue;
        }
        // The data step must touch the dropped column: an UPDATE that reads it, or a SELECT
        // whose rows the Python code turns into the new values (prefect 1c9390e2f9c6 reads
        // block_schema.name with `sa.select` and fills block_type_id from it). Fills that read
        // nothing of it (`SET checksum = 'abc'`) migrate other data: the drop is a plain one,
        // which DROP COLUMN (MRT001) reports on the same statement.
        if !before.iter().any(|o| !o.offline && o.reads_column(table, column)) {
            continue;
        }
        // Name the new column the old values went into only where the SQL says so: the
        // updates may fill it from elsewhere (prefect 1c9390e2f9c6 moves block_schema.name
        // into another table, and fills the new checksum from Python).
        let fed = |a: &&&Operation| {
            a.column.as_deref().is_some_and(|new| {
                updates.iter().any(|u| {
                    u.writes_column(table, new) && u.reads.iter().any(|(t, c)| same_name(t, table) && same_name(c, column))
                })
            })
        };
        let how = match added.iter().find(fed) {
            Some(a) => format!("adds {}, fills it from {}, then drops that column", a.target(), drop.target()),
            None => {
                let mut names: Vec<String> = added.iter().map(|a| a.target()).collect();
                let last = names.pop().unwrap_or_default();
                let names = if names.is_empty() { last } else { format!("{} and {last}", names.join(", ")) };
                format!("adds {names}, updates {table}, then drops {}", drop.target())
            }
        };
        out.push(
            Diagnostic::new(
                Rule::AddMigrateDrop,
                format!("upgrade() {how}: the combined step cannot be undone"),
                drop.range,
            )
            .with_fix("split it: add and backfill in one release, drop the old column in a later one"),
        );
    }
}
