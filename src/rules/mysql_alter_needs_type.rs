use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;
use crate::scanner::model::{DialectHint, Dialects, OpKind, Operation, Recreate, Value};
use crate::scanner::state::Replay;

use super::{Rule, active_downgrade, runs_on};

declare_rule! {
    /// ## What it does
    /// Flags a `downgrade()` that gives Alembic too little for MySQL and MariaDB to run it:
    /// an `alter_column` that renames a column or changes its nullability, autoincrement or
    /// comment without `type_` or `existing_type`, and a `drop_constraint` without `type_`.
    ///
    /// Only chains that run on MySQL or MariaDB are checked: some revision shows it (a file
    /// that imports SQLAlchemy's MySQL dialect, an `if dialect == "mysql":` branch, a
    /// `mysql_*` argument). Statements under a condition, in a dialect branch, in a `try`
    /// that swallows the error, or spreading `**kwargs` are left alone, and so is a batch
    /// that always copies the table (`recreate="always"`).
    ///
    /// ## Why is this bad?
    /// MySQL renames a column and changes its nullability with `CHANGE COLUMN` / `MODIFY
    /// COLUMN`, which restate the whole column, type included: Alembic raises "All MySQL
    /// CHANGE/MODIFY COLUMN operations require the existing type" when it does not know it.
    /// MySQL has no generic `DROP CONSTRAINT` either (`DROP FOREIGN KEY`, `DROP INDEX`, `DROP
    /// CHECK` each need the kind): Alembic raises "No generic 'DROP CONSTRAINT' in MySQL".
    /// PostgreSQL and SQLite need neither, so the rollback passes there and fails on MySQL
    /// before it touches the database (superset e557699a813e sets
    /// `row_level_security_filters.table_id` back to NOT NULL with `nullable=False` alone).
    ///
    /// ## Example
    /// ```python
    /// def downgrade():
    ///     op.alter_column("filters", "table_id", nullable=False)
    ///     op.drop_constraint("fk_filters_table", "filters")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.alter_column("filters", "table_id", existing_type=sa.Integer(), nullable=False)
    ///     op.drop_constraint("fk_filters_table", "filters", type_="foreignkey")
    /// ```
    pub struct MysqlAlterNeedsType;
}

pub(crate) fn check(g: &Graph<'_>, _replay: &Replay, out: &mut Vec<(usize, Diagnostic)>) {
    let mut mysql = None;
    for (i, m) in g.migs.iter().enumerate() {
        let Some(down) = active_downgrade(m) else {
            continue;
        };
        for op in down {
            let Some(missing) = missing_type(op) else {
                continue;
            };
            if !*mysql.get_or_insert_with(|| runs_on(g, DialectHint::MySql)) {
                return;
            }
            let (what, error, fix) = match missing {
                Missing::ColumnType(change) => (
                    format!("{change} '{}' without type_ or existing_type", op.target()),
                    "Alembic raises \"All MySQL CHANGE/MODIFY COLUMN operations require the existing type\"",
                    "pass existing_type= with the column's current type".to_string(),
                ),
                Missing::ConstraintType => (
                    format!(
                        "drops constraint {} of {} without type_",
                        super::q(op.name.as_ref()),
                        super::q(op.table.as_ref())
                    ),
                    "Alembic raises \"No generic 'DROP CONSTRAINT' in MySQL\"",
                    "pass type_= (\"foreignkey\", \"unique\", \"primary\" or \"check\")".to_string(),
                ),
            };
            out.push((
                i,
                Diagnostic::new(
                    Rule::MysqlAlterNeedsType,
                    format!(
                        "downgrade() of '{}' {what}: {error}, so the rollback fails on MySQL and MariaDB",
                        m.revision
                    ),
                    op.range,
                )
                .with_fix(fix),
            ));
        }
    }
}

/// The type Alembic needs for MySQL and does not have.
enum Missing {
    /// An `alter_column` change that restates the column: what it does.
    ColumnType(&'static str),
    /// A `drop_constraint` that does not say what kind of constraint it drops.
    ConstraintType,
}

/// What `op`, an unconditional `op.*` call that reaches MySQL as an `ALTER`, lacks.
fn missing_type(op: &Operation) -> Option<Missing> {
    if op.spread
        || op.batch.is_some_and(|b| b.recreate == Recreate::Always)
        || !op.surely_runs_on(Dialects::MYSQL)
    {
        return None;
    }
    let given = |name: &str, unchanged: &Value| {
        op.kwargs
            .iter()
            .any(|k| k.name == name && k.value != *unchanged)
    };
    match op.kind {
        // `alter_column(..., new_column_name=...)`: the scanner reads the rename as its own
        // operation, and keeps the other changes on an `AlterColumn` beside it.
        OpKind::RenameColumn | OpKind::AlterColumn => {
            let renames = op.kwargs.iter().any(|k| k.name == "new_column_name");
            if renames != (op.kind == OpKind::RenameColumn)
                || given("type_", &Value::None)
                || given("existing_type", &Value::None)
            {
                return None;
            }
            let change = if op.kind == OpKind::RenameColumn {
                "renames"
            } else if given("nullable", &Value::None) {
                "changes the nullability of"
            } else if given("autoincrement", &Value::None) {
                "changes the autoincrement of"
            } else if given("comment", &Value::Bool(false)) {
                "changes the comment of"
            } else {
                return None;
            };
            Some(Missing::ColumnType(change))
        }
        OpKind::DropConstraint
            if !op.name_is_none && !op.kwargs.iter().any(|k| k.name == "type_") =>
        {
            Some(Missing::ConstraintType)
        }
        _ => None,
    }
}
