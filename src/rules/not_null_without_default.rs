use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_name, same_opt, MigrationAST, OpKind, Operation, Origin, Value};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags a NOT NULL column added to an *existing* table without a `server_default`
    /// (`op.add_column(..., nullable=False)`, `ADD COLUMN ... NOT NULL` without `DEFAULT`), and
    /// `alter_column(..., nullable=False)` on an existing table with no backfill `UPDATE` of that
    /// table before it. Tables created in the same migration are empty and never flagged, nor
    /// are tables the same function empties first (`DELETE` without `WHERE`, `TRUNCATE`), nor
    /// columns the revision chain shows NOT NULL already.
    /// `downgrade()` is read too: re-adding a dropped NOT NULL column without a default makes
    /// the rollback itself fail once the table has rows, and so does setting back to NOT NULL
    /// a column the upgrade made nullable, with no `UPDATE` or `DELETE` of the rows that hold
    /// NULL first: the application may have written them since (prefect 05ea6f882b1d).
    ///
    /// ## Why is this bad?
    /// On a table that has rows, the database has no value to put in the new column: the
    /// migration fails in production although it passed on an empty development database.
    /// A client-side `default=` does not help, only a server default does.
    ///
    /// ## Example
    /// ```python
    /// op.add_column("users", sa.Column("country", sa.String(2), nullable=False))
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// op.add_column("users", sa.Column("country", sa.String(2), nullable=False, server_default="US"))
    /// ```
    pub struct NotNullWithoutDefault;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let up = m.upgrade_ops();
    for (i, op) in up.iter().enumerate() {
        let Some(table) = &op.table else { continue };
        // A table this revision creates, or empties earlier in the upgrade (airflow
        // 2b47dc6bc8df runs `delete from dag_code` before adding dag_code's NOT NULL
        // columns), has no rows for the column to fail on.
        if m.creates_table(table) || super::nothing_to_lose(up, i, Some(table)) {
            continue;
        }
        match op.kind {
            OpKind::AddColumn => {
                for col in &op.columns {
                    if col.fails_on_filled_table() {
                        out.push(
                            Diagnostic::new(
                                Rule::NotNullWithoutDefault,
                                format!(
                                    "NOT NULL column {table}.{} added without a server_default: fails on a table that has rows",
                                    col.name
                                ),
                                op.range,
                            )
                            .with_fix("add a server_default, or add the column nullable, backfill it, then set NOT NULL"),
                        );
                    }
                }
            }
            OpKind::AlterColumn if op.origin == Origin::Op => {
                if op.kwarg_value("nullable") != Some(&Value::Bool(false)) || op.kwarg("server_default").is_some() {
                    continue;
                }
                let backfilled = up[..i]
                    .iter()
                    .any(|u| matches!(u.kind, OpKind::Update | OpKind::Execute) && (u.kind == OpKind::Execute && u.sql_error.is_some() || same_opt(u.table.as_ref(), Some(table))));
                if !backfilled {
                    out.push(
                        Diagnostic::new(
                            Rule::NotNullWithoutDefault,
                            format!(
                                "{} set to NOT NULL without a server_default or a backfill: fails if any row holds NULL",
                                op.target()
                            ),
                            op.range,
                        )
                        .with_fix("UPDATE the NULL rows first (or give a server_default), then set nullable=False"),
                    );
                }
            }
            _ => {}
        }
    }
    // The downgrade re-adding a column the upgrade dropped: the rollback itself fails on a
    // table with rows.
    let down = m.downgrade_ops();
    renarrowed(up, down, out);
    for (i, op) in down.iter().enumerate().filter(|(_, o)| o.kind == OpKind::AddColumn) {
        let Some(table) = &op.table else { continue };
        let created = down[..i]
            .iter()
            .any(|d| d.kind == OpKind::CreateTable && same_opt(d.table.as_ref(), Some(table)));
        if created || super::nothing_to_lose(down, i, Some(table)) || crate::scanner::model::is_unresolved(table) {
            continue;
        }
        for col in &op.columns {
            if col.fails_on_filled_table() {
                out.push(
                    Diagnostic::new(
                        Rule::NotNullWithoutDefault,
                        format!(
                            "downgrade() adds NOT NULL column {table}.{} without a server_default: the rollback fails on a table that has rows",
                            col.name
                        ),
                        op.range,
                    )
                    .with_fix("add the column with a server_default (or nullable, backfill, then set NOT NULL)"),
                );
            }
        }
    }
}

/// The downgrade sets back to NOT NULL a column the upgrade made nullable, with no `UPDATE`
/// of its table before it: rows the application wrote since with NULL make the rollback
/// itself fail (prefect 05ea6f882b1d makes `task_run.flow_run_id` nullable; its downgrade
/// fails on SQLite and PostgreSQL as soon as a task run has no flow run).
fn renarrowed(up: &[Operation], down: &[Operation], out: &mut Vec<Diagnostic>) {
    let sets = |o: &Operation, nullable: bool| {
        o.kind == OpKind::AlterColumn
            && o.origin == Origin::Op
            && o.kwarg_value("nullable") == Some(&Value::Bool(nullable))
    };
    for (i, op) in down.iter().enumerate() {
        let (Some(table), Some(column)) = (&op.table, &op.column) else {
            continue;
        };
        if !sets(op, false) || op.kwarg("server_default").is_some() {
            continue;
        }
        let widened = up.iter().any(|u| {
            sets(u, true)
                && same_opt(u.table.as_ref(), Some(table))
                && u.column.as_deref().is_some_and(|c| same_name(c, column))
        });
        let backfilled = down[..i].iter().any(|d| {
            matches!(d.kind, OpKind::Update | OpKind::Delete | OpKind::Execute)
                && (d.sql_error.is_some() || same_opt(d.table.as_ref(), Some(table)))
        });
        if widened && !backfilled {
            out.push(
                Diagnostic::new(
                    Rule::NotNullWithoutDefault,
                    format!(
                        "downgrade() sets {} back to NOT NULL without a backfill: the upgrade made it nullable, so rows written since with NULL make the rollback fail",
                        op.target()
                    ),
                    op.range,
                )
                .with_fix("UPDATE (or DELETE) the rows that hold NULL before setting nullable=False again"),
            );
        }
    }
}
