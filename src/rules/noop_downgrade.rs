use crate::diagnostic::{Diagnostic, Severity};
use crate::scanner::model::{BodyKind, MigrationAST, OpKind, Operation, same_name};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags a `downgrade()` whose body does nothing (`pass`, a docstring, `...`, or only
    /// `print()` and logging calls saying it is not supported) while `upgrade()` changes the
    /// database.
    ///
    /// ## Why is this bad?
    /// `alembic downgrade` succeeds and records the rollback, but the schema and data stay as the
    /// upgrade left them. The next upgrade then fails, or the application runs against a schema
    /// it does not expect.
    ///
    /// ## Severity
    /// An error when the upgrade creates, drops or renames a schema object (a table, column,
    /// index, constraint, view, type, sequence) unconditionally: after the empty rollback the
    /// next `alembic upgrade` runs the same statement against an object that is already there
    /// (or already gone) and fails. A table rebuild (create `t_new`, copy, drop `t`, rename)
    /// leaves the same tables and runs again. Also an error when the upgrade rewrites every row
    /// of a table: the rollback reports success while the old values are gone. An upgrade that
    /// only empties a table is a clean-up (MRT004 names the statement), and so is one that only
    /// rewrites some rows, also through a scratch table it creates and drops again (MRT014 names
    /// the rewrite). A warning when the upgrade only alters columns (a type
    /// widening, a default), adds enum values, or calls a helper whose statements are not
    /// visible in the file, or when every create is guarded (`if not has_table(...)`, `IF NOT
    /// EXISTS`, a swallowing `try`): the rollback and the next upgrade both run, and the
    /// schema left in place needs a human look rather than failing anything. A warning too in
    /// a history that migrates forward only (see MRT006: nova's initial versions say `pass`
    /// where its other revisions have no `downgrade()` at all).
    ///
    /// A warning too, whose message quotes why, when the `downgrade()` says in a comment or
    /// its docstring that the upgrade repairs a bug or an inconsistency, so that the old state
    /// is not one to go back to (airflow 686269002441: "NO downgrade because this is to make
    /// ORM consistent with the database"). Whether the repair leaves the old revision's code
    /// working needs the project's knowledge; the quote lets a reviewer check. A sentence that
    /// says the rollback cannot be done, or a TODO, is no such reason and keeps the error.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.create_table("tags", sa.Column("id", sa.Integer, primary_key=True))
    ///
    /// def downgrade():
    ///     pass
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.drop_table("tags")
    /// ```
    pub struct NoopDowngrade;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let (Some(up), Some(down)) = (&m.upgrade, &m.downgrade) else { return };
    if down.body != BodyKind::Empty || !up.changes_something() {
        return;
    }
    // A data-only clean-up has no schema to restore: what it deletes or rewrites is reported
    // on its own statement (MRT004, MRT014), and an empty downgrade is the honest reverse.
    // A rewrite of every row stays reported here: nothing else says the rollback keeps it.
    // A scratch table the upgrade creates and drops again (indico 735dc4e8d2f3 builds a
    // temporary merge map) leaves no schema to restore either.
    let scratch = |o: &Operation| {
        o.table.as_deref().is_some_and(|t| {
            let on = |x: &Operation, kind| x.kind == kind && x.table.as_deref().is_some_and(|n| same_name(n, t));
            up.ops.iter().any(|c| on(c, OpKind::CreateTable)) && up.ops.iter().any(|d| on(d, OpKind::DropTable))
        })
    };
    let data_only = up.ops.iter().all(|o| {
        o.sql_error.is_none()
            && (scratch(o)
                || match o.kind {
                OpKind::Update | OpKind::Delete => o.has_where,
                OpKind::Insert | OpKind::BulkInsert | OpKind::Read | OpKind::Execute => true,
                _ => false,
            })
    });
    if data_only {
        return;
    }
    let opaque: Vec<&str> = up
        .ops
        .iter()
        .filter(|o| o.kind == OpKind::Call)
        .filter_map(|o| o.name.as_deref())
        .collect();
    let what = if opaque.len() == up.ops.len() {
        format!("calls {}()", opaque.join("(), "))
    } else {
        "changes the database".to_string()
    };
    let reupgrade_fails = reupgrade_fails(&up.ops);
    let mut d = Diagnostic::new(
        Rule::NoopDowngrade,
        format!("downgrade() does nothing while upgrade() {what}: the rollback is silently a no-op"),
        down.header,
    );
    let inverse = inverse_ops(m);
    d = if inverse.is_empty() {
        d.with_fix("implement downgrade() so that it undoes every operation of upgrade()")
    } else {
        d.with_fix(format!("implement downgrade(): {}", inverse.join("; ")))
    };
    if !reupgrade_fails {
        d = d.with_severity(Severity::Warning);
    }
    if let Some(why) = &down.repair_note {
        d = d.with_severity(Severity::Warning);
        d.message.push_str(&format!(
            "; the migration says why there is nothing to undo: \"{why}\""
        ));
    }
    out.push(d);
}

/// Would the next `alembic upgrade` fail after an empty rollback: the upgrade creates, drops or
/// renames a schema object unconditionally (outside a table rebuild), or rewrites every row?
fn reupgrade_fails(ops: &[Operation]) -> bool {
    ops.iter().enumerate().any(|(i, o)| {
        !rebuild_step(ops, i)
            && !o.guarded
            && !o.if_exists
            && o.swallowed.is_none()
            && o.sql_error.is_none()
            && matches!(
                o.kind,
                OpKind::CreateTable
                    | OpKind::DropTable
                    | OpKind::RenameTable
                    | OpKind::AddColumn
                    | OpKind::DropColumn
                    | OpKind::RenameColumn
                    | OpKind::CreateIndex
                    | OpKind::DropIndex
                    | OpKind::CreateUniqueConstraint
                    | OpKind::CreateForeignKey
                    | OpKind::CreateCheckConstraint
                    | OpKind::CreatePrimaryKey
                    | OpKind::DropConstraint
                    | OpKind::CreateView
                    | OpKind::DropView
                    | OpKind::CreateType
                    | OpKind::DropType
                    | OpKind::CreateSequence
                    | OpKind::DropSequence
                    | OpKind::Truncate
            )
            || (o.kind == OpKind::Update && !o.has_where && !o.guarded)
    })
}

/// A step of a table rebuild (create `t_new`, copy, drop `t`, rename `t_new` to `t`, as SQLite
/// needs; airflow 686269002441): the table set is the same afterwards, and the next upgrade
/// rebuilds it again without failing.
fn rebuild_step(ops: &[Operation], at: usize) -> bool {
    let op = &ops[at];
    let swapped = |t: &str| {
        ops.iter()
            .enumerate()
            .any(|(i, d)| d.kind == OpKind::DropTable && d.table.as_deref().is_some_and(|x| same_name(x, t)) && super::table_swapped_in(ops, i, t))
    };
    match op.kind {
        OpKind::DropTable => op.table.as_deref().is_some_and(swapped),
        OpKind::RenameTable => op.new_name.as_deref().is_some_and(swapped),
        OpKind::CreateTable => op.table.as_deref().is_some_and(|tmp| {
            ops[at + 1..].iter().any(|r| {
                r.kind == OpKind::RenameTable
                    && r.table.as_deref().is_some_and(|x| same_name(x, tmp))
                    && r.new_name.as_deref().is_some_and(swapped)
            })
        }),
        _ => false,
    }
}

/// Python statements undoing the upgrade's simple operations, newest first.
pub(crate) fn inverse_ops(m: &MigrationAST) -> Vec<String> {
    let mut out = Vec::new();
    for op in m.upgrade_ops().iter().rev() {
        let t = op.table.as_deref().unwrap_or("?");
        let stmt = match op.kind {
            OpKind::CreateTable => format!("op.drop_table({t:?})"),
            OpKind::AddColumn if !m.creates_table(t) => {
                format!("op.drop_column({t:?}, {:?})", op.column.as_deref().unwrap_or("?"))
            }
            OpKind::CreateIndex if !m.creates_table(t) => match &op.name {
                Some(n) => format!("op.drop_index({n:?}, table_name={t:?})"),
                None => continue,
            },
            OpKind::RenameTable => format!(
                "op.rename_table({:?}, {t:?})",
                op.new_name.as_deref().unwrap_or("?")
            ),
            OpKind::RenameColumn => format!(
                "op.alter_column({t:?}, {:?}, new_column_name={:?})",
                op.new_name.as_deref().unwrap_or("?"),
                op.column.as_deref().unwrap_or("?")
            ),
            _ => continue,
        };
        out.push(stmt);
    }
    out
}
