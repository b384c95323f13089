use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_opt, MigrationAST, OpKind, Operation};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags renames in `upgrade()` (`op.rename_table`, `alter_column(new_column_name=...)`,
    /// `ALTER TABLE ... RENAME`) that the downgrade does not undo *by the same names*: the
    /// downgrade must rename the new name back to the old one.
    ///
    /// ## Why is this bad?
    /// After a rollback the table or column is still under the new name, or under a third one.
    /// Application code of the previous release, which uses the old name, breaks.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     with op.batch_alter_table("posts") as batch:
    ///         batch.alter_column("body", new_column_name="content")
    ///
    /// def downgrade():
    ///     with op.batch_alter_table("posts") as batch:
    ///         batch.alter_column("content", new_column_name="body_text")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     with op.batch_alter_table("posts") as batch:
    ///         batch.alter_column("content", new_column_name="body")
    /// ```
    ///
    /// Not reported for a table or column renamed aside and dropped later in the same upgrade
    /// (`Token` → `Token_old`, rebuilt, dropped): nothing is left to rename back, and MRT001 /
    /// MRT002 follow the data.
    pub struct RenameNotReversed;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let Some(down) = super::active_downgrade(m) else { return };
    let up = m.upgrade_ops();
    for (i, op) in up.iter().enumerate() {
        // Rebuilding a table under a temporary name and renaming it into place is not a rename.
        if op.kind == OpKind::RenameTable && op.table.as_deref().is_some_and(|t| m.creates_table(t)) {
            continue;
        }
        // Nor is renaming a column added earlier in this upgrade into place (the copy-swap of a
        // type change): `create-not-reversed` checks the downgrade removes it.
        if op.kind == OpKind::RenameColumn
            && up[..i].iter().any(|a| {
                a.kind == OpKind::AddColumn && same_opt(a.table.as_ref(), op.table.as_ref()) && same_opt(a.column.as_ref(), op.column.as_ref())
            })
        {
            continue;
        }
        // Nor is renaming a column aside to drop it later in this upgrade (`value` →
        // `value_old`, copied into a new `value`, dropped): `drop-column` follows its data.
        if op.kind == OpKind::RenameColumn
            && up[i + 1..].iter().any(|d| {
                d.kind == OpKind::DropColumn && same_opt(d.table.as_ref(), op.table.as_ref()) && same_opt(d.column.as_ref(), op.new_name.as_ref())
            })
        {
            continue;
        }
        // Nor a table renamed aside and dropped later in this upgrade (privacyidea
        // 4f32a4e1bf33 renames `Token` to `Token_old`, rebuilds `Token` and drops the old one):
        // there is nothing left to rename back, and `drop-table` follows its rows.
        if op.kind == OpKind::RenameTable
            && up[i + 1..]
                .iter()
                .any(|d| d.kind == OpKind::DropTable && same_opt(d.table.as_ref(), op.new_name.as_ref()))
        {
            continue;
        }
        if !super::known(op.table.as_ref()) || !super::known(op.new_name.as_ref()) {
            continue;
        }
        match op.kind {
            OpKind::RenameTable => {
                let back = down.iter().any(|d| {
                    d.kind == OpKind::RenameTable
                        && same_opt(d.table.as_ref(), op.new_name.as_ref())
                        && same_opt(d.new_name.as_ref(), op.table.as_ref())
                });
                if !back {
                    let other = down
                        .iter()
                        .find(|d| d.kind == OpKind::RenameTable && same_opt(d.table.as_ref(), op.new_name.as_ref()));
                    out.push(report(op, "table", op.table.as_ref(), op.new_name.as_ref(), other));
                }
            }
            OpKind::RenameColumn => {
                // The downgrade may rename the table back first, then the column under the
                // table's old name.
                let same_table = |d: &Operation| same_table(m, down, d.table.as_ref(), op.table.as_ref());
                let back = down.iter().any(|d| {
                    d.kind == OpKind::RenameColumn
                        && same_table(d)
                        && same_opt(d.column.as_ref(), op.new_name.as_ref())
                        && same_opt(d.new_name.as_ref(), op.column.as_ref())
                });
                if !back {
                    let other = down.iter().find(|d| {
                        d.kind == OpKind::RenameColumn
                            && same_table(d)
                            && same_opt(d.column.as_ref(), op.new_name.as_ref())
                    });
                    let old = op.column.as_ref().map(|c| format!("{}.{c}", op.table.as_deref().unwrap_or("?")));
                    out.push(report(op, "column", old.as_ref(), op.new_name.as_ref(), other));
                }
            }
            _ => {}
        }
    }
}

/// Do two table names denote the same table in this migration: equal, or one renamed to the
/// other by the upgrade or the downgrade?
fn same_table(m: &MigrationAST, down: &[Operation], a: Option<&String>, b: Option<&String>) -> bool {
    if same_opt(a, b) {
        return true;
    }
    m.upgrade_ops().iter().chain(down).any(|r| {
        r.kind == OpKind::RenameTable
            && ((same_opt(r.table.as_ref(), a) && same_opt(r.new_name.as_ref(), b))
                || (same_opt(r.table.as_ref(), b) && same_opt(r.new_name.as_ref(), a)))
    })
}

fn report(op: &Operation, what: &str, old: Option<&String>, new: Option<&String>, other: Option<&Operation>) -> Diagnostic {
    let old = old.map_or("?", String::as_str);
    let new = new.map_or("?", String::as_str);
    let short_old = old.rsplit('.').next().unwrap_or(old);
    let message = match other.and_then(|o| o.new_name.as_deref()) {
        Some(third) => format!(
            "upgrade() renames {what} {old} to '{new}', but downgrade() renames it to '{third}', not back to '{short_old}'"
        ),
        None => format!("upgrade() renames {what} {old} to '{new}', but downgrade() does not rename it back"),
    };
    Diagnostic::new(Rule::RenameNotReversed, message, op.range)
        .with_fix(format!("in downgrade(), rename '{new}' back to '{short_old}'"))
}
