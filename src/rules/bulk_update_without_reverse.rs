use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_name, same_opt, Framework, MigrationAST, OpKind, Operation, Value};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags an `UPDATE` in `upgrade()` (raw SQL or SQLAlchemy Core) when `downgrade()` contains
    /// no `UPDATE` of the same table. Backfills (`UPDATE ... WHERE col IS NULL`) are not
    /// reported: they only fill gaps, the usual step before `SET NOT NULL`.
    ///
    /// ## Why is this bad?
    /// A data transformation with no reverse is one-way: after a rollback the schema is back but
    /// the values stay transformed (or, for a lossy change such as `UPPER(name)`, the originals
    /// are simply gone).
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.execute("UPDATE users SET name = UPPER(name)")
    ///
    /// def downgrade():
    ///     pass
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def upgrade():
    ///     op.add_column("users", sa.Column("name_upper", sa.String(100)))
    ///     op.execute("UPDATE users SET name_upper = UPPER(name)")
    /// ```
    ///
    /// In Django, a `RunPython(forward, RunPython.noop)` whose `forward` writes rows (`.save()`,
    /// a queryset `.update(...)` or `.delete()`, `bulk_update`, `bulk_create`, raw SQL through
    /// `cursor.execute`) is the same one-way change: the finding points at the writing call.
    /// SQL that keeps every row (`PRAGMA`, `SET`, `ALTER TABLE ... COLLATE`) and the statements
    /// of `connection.ops.sequence_reset_sql(...)` are not row writes. Nor is a backfill: when
    /// the replayed migrations show that every row the function writes is a field added by
    /// `AddField` and written by nothing since (wagtail 0040 fills the new `draft_title` from
    /// `title`), unapplying leaves values in a column that held only its default, and
    /// unapplying the `AddField` drops them. A model named through
    /// `swapper.get_model_name("app", "Model")` is read as that default model (wagtail 0075
    /// backfills `Page.latest_revision` that way).
    /// A `RunPython` without any reverse is `MRT042`.
    ///
    /// In Alembic, an `UPDATE` that only writes columns the same upgrade added (or a table it
    /// created) is the same backfill: the values it writes go with the column when the
    /// downgrade drops it (superset af30ca79208f copies each alert's observer into the new
    /// `alerts.sql` with ORM attribute writes).
    pub struct BulkUpdateWithoutReverse;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    // Django: RunSQL/RunPython without a reverse are reported by their own rules; a no-op
    // reverse of a function that writes rows is reported here.
    if m.framework == Framework::Django {
        for op in m.upgrade_ops().iter().filter(|o| o.kind == OpKind::RunPython) {
            let noop = matches!(op.kwarg_value("reverse_code"), Some(Value::Name(n)) if n == "noop");
            let (Some((call, range)), true) = (&op.data_write, noop) else { continue };
            out.push(
                Diagnostic::new(
                    Rule::BulkUpdateWithoutReverse,
                    format!(
                        "RunPython({}, RunPython.noop) writes rows ({call}) and its reverse does nothing: unapplying keeps the changed data",
                        op.name.as_deref().unwrap_or("?")
                    ),
                    *range,
                )
                .with_fix("give RunPython a reverse_code that restores the rows (or document why the change is harmless after a rollback)"),
            );
        }
        return;
    }
    let down = m.downgrade_ops();
    // A backfill (`... WHERE col IS NULL`) only fills gaps; it is the safe way to add NOT NULL.
    let up = m.upgrade_ops();
    for (i, op) in up.iter().enumerate().filter(|(_, o)| o.kind == OpKind::Update && !o.backfill) {
        let reversed = down.iter().any(|d| d.kind == OpKind::Update && same_opt(d.table.as_ref(), op.table.as_ref()));
        // A table named at run time (`conn.execute(table.update()...)` with `table` a helper's
        // parameter the scanner cannot bind): an unknown object fires no rule.
        if reversed || fills_new_columns(up, i) || !super::known(op.table.as_ref()) {
            continue;
        }
        let scope = if op.has_where { "" } else { " (every row: no WHERE)" };
        out.push(
            Diagnostic::new(
                Rule::BulkUpdateWithoutReverse,
                format!(
                    "upgrade() updates {}{scope} and downgrade() has no UPDATE restoring it: a one-way data change",
                    super::q(op.table.as_ref())
                ),
                op.range,
            )
            .with_fix("keep the original values (a new column or a backup table) and restore them in downgrade()"),
        );
    }
}

/// Does `up[at]` only write columns that the upgrade added to its table (or created with
/// it) before, and does not rename into place later (a copy-swap transforms the old values)?
/// Filling a new column changes no value a rollback should restore: the downgrade drops it.
fn fills_new_columns(up: &[Operation], at: usize) -> bool {
    let op = &up[at];
    let Some(table) = op.table.as_deref() else {
        return false;
    };
    let on_table = |o: &Operation| o.table.as_deref().is_some_and(|t| same_name(t, table));
    !op.writes.is_empty()
        && op.writes.iter().all(|c| {
            c != "*"
                && !up[at + 1..].iter().any(|r| {
                    r.kind == OpKind::RenameColumn
                        && on_table(r)
                        && r.column.as_deref().is_some_and(|x| same_name(x, c))
                })
                && up[..at].iter().any(|b| {
                    b.table.as_deref().is_some_and(|t| same_name(t, table))
                        && match b.kind {
                            OpKind::AddColumn => b.column.as_deref().is_some_and(|x| same_name(x, c)),
                            OpKind::CreateTable => true,
                            _ => false,
                        }
                })
        })
}

/// A Django backfill: every write of the function goes to a field the state shows was added by
/// `AddField` and not written since.
pub(crate) fn check_state(s: &super::DjangoStep<'_>, out: &mut super::GraphFindings) {
    use crate::scanner::django_state::{Change, Seen};
    let Change::RunPython {
        forward,
        finding: Some(range),
        ..
    } = &s.step.change
    else {
        return;
    };
    if forward.writes.is_empty() || forward.unattributed {
        return;
    }
    let backfill = forward.writes.iter().all(|(model, field)| {
        matches!(s.state.named(s.app, model),
            Seen::Known(m) if m.written_field(field).is_some_and(|f| f.fresh))
    });
    if backfill {
        out.cleared.push((s.node, Rule::BulkUpdateWithoutReverse, *range));
    }
}
