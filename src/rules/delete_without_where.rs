use crate::diagnostic::{Diagnostic, Severity};
use crate::scanner::model::{same_opt, MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags `DELETE` statements without a `WHERE` clause (raw SQL or SQLAlchemy Core
    /// `table.delete()`), in `upgrade()`, and in `downgrade()` unless the upgrade inserted into
    /// that table.
    ///
    /// ## Why is this bad?
    /// An unrestricted `DELETE` empties the table. Nothing in the migration can bring the rows back.
    ///
    /// Not reported: emptying a table the upgrade created; rows the upgrade copied elsewhere
    /// first and the downgrade copies back (moved, not lost); a downgrade that copies the rows
    /// back to where the upgrade filled them from, then empties the table; a downgrade undoing
    /// the upgrade's own inserts; a `DELETE` only Alembic's offline mode runs (`if context.is_offline_mode():`
    /// branches, which emit a SQL script and cannot move data; the online path is what a
    /// rollback runs).
    ///
    /// ## Severity
    /// In `downgrade()` an error: the rollback itself empties a table that existed at the
    /// revision it returns to (it was neither created nor filled by the upgrade), so rows the
    /// parent revision held are gone after a rollback that claims to restore it (prefect
    /// b9bda9f142f1 deletes every work pool). In `upgrade()` a warning: the schema stays, no
    /// downgrade claims the rows back, and emptying a table on purpose (a cache the application
    /// refills, a queue of transient requests, import errors) is common; whether the rows
    /// mattered needs a human look. In `downgrade()` a warning too when the upgrade emptied
    /// the same table (under this name or the one it renamed from): the parent revision's
    /// rows were gone before the rollback ran (that DELETE is reported in the upgrade), and
    /// the downgrade only clears rows written in the new shape. A warning as well when the
    /// migration says the rows are derived (see MRT001): the message quotes it.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.execute("DELETE FROM notifications")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def upgrade():
    ///     op.execute("DELETE FROM notifications WHERE read_at < now() - interval '90 days'")
    /// ```
    pub struct DeleteWithoutWhere;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    // A DELETE only offline mode runs (`if context.is_offline_mode():`, where a script cannot
    // move rows) is not what an online rollback does (airflow e812941398f4).
    let unrestricted = |op: &&crate::scanner::model::Operation| {
        op.kind == OpKind::Delete && !op.has_where && !op.offline
    };
    let ups = m.upgrade_ops();
    for (at, op) in ups.iter().enumerate().filter(|(_, op)| unrestricted(op)) {
        // Emptying a table this upgrade created loses nothing. (A second delete after a first
        // stays reported: each is its own statement to fix.)
        let created = ups[..at].iter().any(|c| {
            c.kind == OpKind::CreateTable
                && crate::scanner::model::same_opt(c.table.as_ref(), op.table.as_ref())
        });
        // Rows copied elsewhere before the DELETE and copied back by the downgrade were moved,
        // not lost (prefect 9e83011d1f2a moves V1 limits into concurrency_limit_v2).
        let moved = op.table.as_deref().is_some_and(|t| {
            super::table_copied_out(ups, at, t)
                && super::restores_table(m.downgrade_ops(), t)
        });
        if !created && !moved {
            out.push(message("upgrade", op).with_severity(Severity::Warning));
        }
    }
    let downs = m.downgrade_ops();
    for (at, op) in downs.iter().enumerate().filter(|(_, op)| unrestricted(op)) {
        // The downgrade first copies the rows back where the upgrade took them from (indico
        // a3295d628e3b moves labels from settings into a table, and back): moved, not lost.
        let moved_back = op.table.as_deref().is_some_and(|t| {
            super::table_copied_out(downs, at, t) && super::restores_table(m.upgrade_ops(), t)
        });
        if moved_back {
            continue;
        }
        // Undoing the upgrade's own inserts is what a downgrade is for.
        let inserted = m
            .upgrade_ops()
            .iter()
            .any(|u| matches!(u.kind, OpKind::Insert | OpKind::BulkInsert) && same_opt(u.table.as_ref(), op.table.as_ref()));
        if inserted {
            continue;
        }
        // The upgrade emptied this table as well (under this name, or under the name it had
        // before the upgrade renamed it): the rows of the parent revision were gone before the
        // rollback ran, and that DELETE is reported on its own line. The downgrade only clears
        // rows written in the new shape, symmetric to the upgrade (airflow be2cc2f742cf).
        let mirrored = op.table.as_deref().is_some_and(|t| upgrade_emptied(m.upgrade_ops(), t));
        let d = message("downgrade", op);
        out.push(if mirrored { d.with_severity(Severity::Warning) } else { d });
    }
}

/// Did the upgrade delete every row of `table`, or of the table it then renamed to `table`?
fn upgrade_emptied(up: &[crate::scanner::model::Operation], table: &str) -> bool {
    use crate::scanner::model::same_name;
    let named = |o: &crate::scanner::model::Operation, t: &str| {
        o.table.as_deref().is_some_and(|x| same_name(x, t))
    };
    up.iter().enumerate().any(|(i, d)| {
        matches!(d.kind, OpKind::Delete | OpKind::Truncate)
            && !d.has_where
            && !d.offline
            && !d.guarded
            && (named(d, table)
                || up[i + 1..].iter().any(|r| {
                    r.kind == OpKind::RenameTable
                        && d.table.as_deref().is_some_and(|old| named(r, old))
                        && r.new_name.as_deref().is_some_and(|n| same_name(n, table))
                }))
    })
}

fn message(func: &str, op: &crate::scanner::model::Operation) -> Diagnostic {
    let mut d = Diagnostic::new(
        Rule::DeleteWithoutWhere,
        format!("{func}() deletes every row of {} (DELETE without WHERE)", super::q(op.table.as_ref())),
        op.range,
    )
    .with_fix("restrict the DELETE with a WHERE clause");
    super::derived_warning(op, &mut d);
    d
}
